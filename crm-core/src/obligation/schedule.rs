//! Schedule generation: deterministic charges from a payment plan.
//!
//! ## Due dates
//! The k-th date of a schedule (k = 0, 1, 2, ...) is computed from the anchor directly, never by
//! adding a month to the previous date: monthly, it is the anchor's day in the k-th month after
//! the anchor's month, or that month's last day when the month is shorter (an anchor of Jan 31
//! gives Feb 28 or 29, Mar 31, Apr 30, ...). Weekly is anchor + 7k days; every n days is
//! anchor + n·k days. See [`anchor_date`].
//!
//! ## Proration
//! A recurring period `[a_k, a_k+1)` of `D` days in which `B` days are billable costs
//! `amount × B / D`, rounded once to the minor unit by the plan's `proration_rounding`
//! (half-even unless the plan says otherwise). `B = D` gives the full amount exactly; `B = 0`
//! gives no charge. A day is billable when the line's status on that day (the last
//! [`StatusChange`] on or before it; a change takes effect for its whole day) is `active`,
//! `restricted`, `pending_termination` or `installed`, or `suspended` when the plan bills
//! suspended days; and when the day is before the plan's `end` and before the termination
//! date. An empty history means the line is billable on every day; with a history, days before
//! its first change are not billable.
//!
//! ## Charge ids
//! The charge with sequence number `s` (1-based) of plan `P` has id `P#s`; if that is longer
//! than an id may be, the plan id is shortened and a 64-bit FNV-1a hash of the full plan id is
//! inserted (`<prefix>~<hash>#s`). The same plan and inputs always give the same charges.

use crate::error::{Error, Result};
use crate::ids::{ChargeId, MAX_ID_LEN, PlanId};
use crate::lifecycle::LineStatus;
use crate::money::Money;
use crate::obligation::DateRange;
use crate::obligation::ledger::{Charge, Proration};
use crate::obligation::plan::{
    BillingTiming, EarlyTermination, Frequency, PaymentPlan, Periodicity, PriceChange,
    SuspendedBilling,
};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The most periods one call of [`PaymentPlan::charges_until`] walks through.
pub const MAX_PERIODS: u32 = 100_000;

/// A change of a line's status on a date (the engine derives these from the line's events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusChange {
    /// The day from which the status holds (for the whole day).
    pub on: NaiveDate,
    /// The status.
    pub status: LineStatus,
}

/// The quantity used in one period of a usage plan, rated by the host's mediation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeriodUsage {
    /// The first day of the period (an anchor date of the plan).
    pub period_start: NaiveDate,
    /// The quantity used in the period, not negative.
    pub quantity: Decimal,
}

/// What the engine knows about the line when generating charges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct ScheduleInput {
    /// The line's status changes in date order (empty: billable on every day).
    #[serde(default)]
    pub history: Vec<StatusChange>,
    /// The date the line or agreement ended early, if it did. When absent, the first day of
    /// a final status (`terminated`, `removed`) in `history` is used.
    #[serde(default)]
    pub terminated_on: Option<NaiveDate>,
    /// Usage per period (usage plans only).
    #[serde(default)]
    pub usage: Vec<PeriodUsage>,
}

impl StatusChange {
    /// A status history from the simpler facts a host may hold: active from `active_from`,
    /// suspended over each of `suspensions` (`[start, end)`, in date order, not overlapping),
    /// terminated on `terminated_on`.
    pub fn history(
        active_from: NaiveDate,
        suspensions: &[DateRange],
        terminated_on: Option<NaiveDate>,
    ) -> Result<Vec<StatusChange>> {
        let mut out = vec![StatusChange {
            on: active_from,
            status: LineStatus::Active,
        }];
        let mut previous_end = active_from;
        for r in suspensions {
            if r.start() < previous_end {
                return Err(Error::validation(
                    "suspensions",
                    r.start(),
                    "suspensions must start after activation, in date order, without overlap",
                ));
            }
            out.push(StatusChange {
                on: r.start(),
                status: LineStatus::Suspended,
            });
            out.push(StatusChange {
                on: r.end(),
                status: LineStatus::Active,
            });
            previous_end = r.end();
        }
        if let Some(t) = terminated_on {
            if t < previous_end {
                return Err(Error::validation(
                    "terminated_on",
                    t,
                    "the termination is before the activation or a suspension's end",
                ));
            }
            out.push(StatusChange {
                on: t,
                status: LineStatus::Terminated,
            });
        }
        Ok(out)
    }
}

impl ScheduleInput {
    fn validate(&self) -> Result<()> {
        if let Some(pair) = self.history.windows(2).find(|w| match w {
            [a, b] => b.on < a.on,
            _ => false,
        }) && let Some(bad) = pair.get(1)
        {
            return Err(Error::validation(
                "status history",
                bad.on,
                "status changes must be in date order",
            ));
        }
        for u in &self.usage {
            if u.quantity.is_sign_negative() && !u.quantity.is_zero() {
                return Err(Error::validation(
                    "usage quantity",
                    u.quantity,
                    "must not be negative",
                ));
            }
        }
        Ok(())
    }

    /// The termination date: explicit, or the first final status in the history.
    pub fn termination_date(&self) -> Option<NaiveDate> {
        self.terminated_on.or_else(|| {
            self.history
                .iter()
                .find(|c| c.status.is_final())
                .map(|c| c.on)
        })
    }
}

/// The number of days in a month (`month` 1 to 12).
fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let (ny, nm) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    let first_next = NaiveDate::from_ymd_opt(ny, nm, 1)?;
    Some(first_next.pred_opt()?.day())
}

/// The k-th date (k = 0, 1, ...) of a schedule anchored at `anchor`, or `None` past the
/// calendar's range. Monthly: day = min(anchor day, length of the month).
pub fn anchor_date(anchor: NaiveDate, every: Frequency, k: u32) -> Option<NaiveDate> {
    match every {
        Frequency::Monthly => {
            let months = i64::from(anchor.year()) * 12 + i64::from(anchor.month0()) + i64::from(k);
            let year = i32::try_from(months.div_euclid(12)).ok()?;
            let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
            let day = anchor.day().min(days_in_month(year, month)?);
            NaiveDate::from_ymd_opt(year, month, day)
        }
        Frequency::Weekly => {
            anchor.checked_add_signed(Duration::try_days(i64::from(k).checked_mul(7)?)?)
        }
        Frequency::EveryNDays { days } => anchor.checked_add_signed(Duration::try_days(
            i64::from(k).checked_mul(i64::from(days))?,
        )?),
    }
}

/// The k with `anchor_date(anchor, every, k) == date`, if any.
pub(crate) fn anchor_index(anchor: NaiveDate, every: Frequency, date: NaiveDate) -> Option<u32> {
    let k = match every {
        Frequency::Monthly => {
            let months = (i64::from(date.year()) - i64::from(anchor.year())) * 12
                + i64::from(date.month0())
                - i64::from(anchor.month0());
            u32::try_from(months).ok()?
        }
        Frequency::Weekly | Frequency::EveryNDays { .. } => {
            let n = match every {
                Frequency::EveryNDays { days } => i64::from(days),
                _ => 7,
            };
            let diff = (date - anchor).num_days();
            if diff < 0 || n == 0 || diff % n != 0 {
                return None;
            }
            u32::try_from(diff / n).ok()?
        }
    };
    (anchor_date(anchor, every, k) == Some(date)).then_some(k)
}

/// FNV-1a, 64 bits: a stable hash for shortening long derived ids.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The deterministic id of the charge with sequence `seq` of `plan`.
pub fn charge_id(plan: &PlanId, seq: u32) -> Result<ChargeId> {
    let plain = format!("{plan}#{seq}");
    if plain.len() <= MAX_ID_LEN {
        return ChargeId::new(plain);
    }
    let suffix = format!("~{:016x}#{seq}", fnv1a(plan.as_str()));
    let mut keep = MAX_ID_LEN.saturating_sub(suffix.len());
    let p = plan.as_str();
    while keep > 0 && !p.is_char_boundary(keep) {
        keep -= 1;
    }
    let prefix = p.get(..keep).unwrap_or_default().trim_end();
    ChargeId::new(format!("{prefix}{suffix}"))
}

fn is_billable(status: LineStatus, suspended: SuspendedBilling) -> bool {
    match status {
        LineStatus::Active
        | LineStatus::Restricted
        | LineStatus::PendingTermination
        | LineStatus::Installed => true,
        LineStatus::Suspended => suspended == SuspendedBilling::Bill,
        LineStatus::Created
        | LineStatus::PendingActivation
        | LineStatus::Terminated
        | LineStatus::Ordered
        | LineStatus::Removed => false,
    }
}

/// Billable days in `[start, end)` given the history and a stop date (exclusive).
fn billable_days(
    start: NaiveDate,
    end: NaiveDate,
    stop: Option<NaiveDate>,
    history: &[StatusChange],
    suspended: SuspendedBilling,
) -> i64 {
    let end = stop.map_or(end, |s| s.min(end));
    if end <= start {
        return 0;
    }
    if history.is_empty() {
        return (end - start).num_days();
    }
    let idx = history.partition_point(|c| c.on <= start);
    let mut billable = idx
        .checked_sub(1)
        .and_then(|i| history.get(i))
        .is_some_and(|c| is_billable(c.status, suspended));
    let mut from = start;
    let mut total = 0;
    for change in history.get(idx..).unwrap_or_default() {
        if change.on >= end {
            break;
        }
        if billable {
            total += (change.on - from).num_days();
        }
        from = change.on;
        billable = is_billable(change.status, suspended);
    }
    if billable {
        total += (end - from).num_days();
    }
    total
}

fn price_at(base: &Money, changes: &[PriceChange], day: NaiveDate) -> Money {
    let idx = changes.partition_point(|c| c.from <= day);
    idx.checked_sub(1)
        .and_then(|i| changes.get(i))
        .map_or(*base, |c| c.amount)
}

fn min_date(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn too_many() -> Error {
    Error::validation(
        "charges_until",
        MAX_PERIODS,
        "too many periods in one call; generate up to an earlier date",
    )
}

impl PaymentPlan {
    fn charge(
        &self,
        seq: u32,
        due_date: NaiveDate,
        amount: Money,
        period: Option<DateRange>,
        proration: Option<Proration>,
    ) -> Result<Charge> {
        Ok(Charge {
            id: charge_id(&self.id, seq)?,
            customer_id: self.customer_id.clone(),
            agreement_id: self.agreement_id.clone(),
            line_id: self.line_id.clone(),
            plan_id: Some(self.id.clone()),
            payment_type: self.payment_type,
            sequence: seq,
            due_date,
            amount,
            period,
            proration,
        })
    }

    /// Every charge of the plan due on or before `until`, in sequence order, given what the
    /// engine knows of the line (`input`). Deterministic: the same plan and input give the same
    /// charges with the same ids, so the engine adds to the ledger only the ids it lacks.
    ///
    /// Installments: `total` split exactly; on early termination with
    /// [`EarlyTermination::DueAtOnce`] every installment due after the termination date is due
    /// on that date instead. Recurring: prorated as the module documentation says; no period
    /// starts on or after the plan's end or the termination date. Usage: a period is charged
    /// once it is due and its usage is supplied; a zero amount gives no charge.
    pub fn charges_until(&self, until: NaiveDate, input: &ScheduleInput) -> Result<Vec<Charge>> {
        self.validate()?;
        input.validate()?;
        let terminated = input.termination_date();
        let mut out = Vec::new();
        match &self.periodicity {
            Periodicity::OneTime { amount, due } => {
                if *due <= until {
                    out.push(self.charge(1, *due, *amount, None, None)?);
                }
            }
            Periodicity::Installments {
                total,
                count,
                every,
                first_due,
            } => {
                let parts = total.split(i64::from(*count))?;
                for (k, part) in (0..*count).zip(parts) {
                    let Some(mut due) = anchor_date(*first_due, *every, k) else {
                        return Err(Error::validation(
                            "installment due date",
                            first_due,
                            "the schedule runs past the calendar's range",
                        ));
                    };
                    if self.early_termination == EarlyTermination::DueAtOnce
                        && let Some(t) = terminated
                        && due > t
                    {
                        due = t;
                    }
                    if due <= until {
                        out.push(self.charge(k + 1, due, part, None, None)?);
                    }
                }
            }
            Periodicity::Recurring {
                amount,
                every,
                start,
                end,
                timing,
                price_changes,
            } => {
                let stop = min_date(*end, terminated);
                for k in 0..=MAX_PERIODS {
                    if k == MAX_PERIODS {
                        return Err(too_many());
                    }
                    let (Some(ps), Some(pe)) = (
                        anchor_date(*start, *every, k),
                        anchor_date(*start, *every, k + 1),
                    ) else {
                        break;
                    };
                    if stop.is_some_and(|s| ps >= s) {
                        break;
                    }
                    let due = match timing {
                        BillingTiming::InAdvance => ps,
                        BillingTiming::InArrears => pe,
                    };
                    if due > until {
                        break;
                    }
                    let full = price_at(amount, price_changes, ps);
                    let days = (pe - ps).num_days();
                    let billable =
                        billable_days(ps, pe, stop, &input.history, self.suspended_billing);
                    if billable == 0 || full.is_zero() {
                        continue;
                    }
                    let (charged, proration) = if billable >= days {
                        (full, None)
                    } else {
                        let exact = full
                            .amount()
                            .checked_mul(Decimal::from(billable))
                            .and_then(|x| x.checked_div(Decimal::from(days)))
                            .ok_or_else(|| Error::overflow("proration"))?;
                        let p = Proration {
                            billable_days: u32::try_from(billable).unwrap_or(u32::MAX),
                            period_days: u32::try_from(days).unwrap_or(u32::MAX),
                            full_amount: full,
                        };
                        (
                            Money::rounded(exact, full.currency(), self.proration_rounding)?,
                            Some(p),
                        )
                    };
                    if charged.is_zero() {
                        continue;
                    }
                    let period = DateRange::new(ps, pe)?;
                    out.push(self.charge(k + 1, due, charged, Some(period), proration)?);
                }
            }
            Periodicity::Usage {
                rate,
                every,
                start,
                end,
            } => {
                let mut quantities = std::collections::BTreeMap::new();
                for u in &input.usage {
                    let Some(k) = anchor_index(*start, *every, u.period_start) else {
                        return Err(Error::validation(
                            "usage period_start",
                            u.period_start,
                            "is not the first day of a period of the plan",
                        ));
                    };
                    if quantities.insert(k, u.quantity).is_some() {
                        return Err(Error::validation(
                            "usage period_start",
                            u.period_start,
                            "usage for this period is given twice",
                        ));
                    }
                }
                let stop = min_date(*end, terminated);
                for (k, quantity) in quantities {
                    let (Some(ps), Some(pe)) = (
                        anchor_date(*start, *every, k),
                        anchor_date(*start, *every, k.saturating_add(1)),
                    ) else {
                        continue;
                    };
                    if stop.is_some_and(|s| ps >= s) || pe > until {
                        continue;
                    }
                    let amount = rate.price(quantity)?;
                    if amount.is_zero() {
                        continue;
                    }
                    let period = DateRange::new(ps, pe)?;
                    out.push(self.charge(k + 1, pe, amount, Some(period), None)?);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_end_anchor_clamps_without_drifting() {
        let a = d("2024-01-31");
        let got: Vec<NaiveDate> = (0..5)
            .map(|k| anchor_date(a, Frequency::Monthly, k).unwrap())
            .collect();
        assert_eq!(
            got,
            [
                d("2024-01-31"),
                d("2024-02-29"),
                d("2024-03-31"),
                d("2024-04-30"),
                d("2024-05-31")
            ]
        );
        assert_eq!(
            anchor_date(d("2023-01-31"), Frequency::Monthly, 1),
            Some(d("2023-02-28"))
        );
        assert_eq!(
            anchor_index(a, Frequency::Monthly, d("2024-04-30")),
            Some(3)
        );
        assert_eq!(anchor_index(a, Frequency::Monthly, d("2024-04-29")), None);
    }

    #[test]
    fn long_plan_ids_give_short_stable_charge_ids() {
        let plan = PlanId::new("p".repeat(128)).unwrap();
        let a = charge_id(&plan, 12).unwrap();
        assert!(a.as_str().len() <= MAX_ID_LEN);
        assert_eq!(a, charge_id(&plan, 12).unwrap());
        assert_ne!(a, charge_id(&plan, 13).unwrap());
        assert_eq!(
            charge_id(&PlanId::new("P1").unwrap(), 3).unwrap().as_str(),
            "P1#3"
        );
    }

    #[test]
    fn billable_days_follow_the_history() {
        let h = [
            StatusChange {
                on: d("2024-01-10"),
                status: LineStatus::Active,
            },
            StatusChange {
                on: d("2024-01-20"),
                status: LineStatus::Suspended,
            },
            StatusChange {
                on: d("2024-01-25"),
                status: LineStatus::Active,
            },
        ];
        let (s, e) = (d("2024-01-01"), d("2024-02-01"));
        assert_eq!(billable_days(s, e, None, &h, SuspendedBilling::Bill), 22);
        assert_eq!(
            billable_days(s, e, None, &h, SuspendedBilling::DoNotBill),
            17
        );
        assert_eq!(
            billable_days(s, e, Some(d("2024-01-28")), &h, SuspendedBilling::DoNotBill),
            13
        );
        assert_eq!(billable_days(s, e, None, &[], SuspendedBilling::Bill), 31);
        let built = StatusChange::history(
            d("2024-01-10"),
            &[DateRange::new(d("2024-01-20"), d("2024-01-25")).unwrap()],
            None,
        )
        .unwrap();
        assert_eq!(built, h);
        assert!(
            StatusChange::history(
                d("2024-01-10"),
                &[DateRange::new(d("2024-01-05"), d("2024-01-07")).unwrap()],
                None
            )
            .is_err()
        );
    }
}
