//! Overdue amounts and aging buckets.
//!
//! The **days past due** of a charge on `as_of` is `as_of - due_date` in days. Aging puts each
//! charge's *current* open amount in one bucket by its days past due: `current` (0 or less:
//! due today or later), `days_1_30`, `days_31_60`, `days_61_90`, `over_90`. **Overdue** is the
//! open amount of the charges more than `grace_days` past due. One pass over the ledger's
//! charges, no allocation.

use crate::error::Result;
use crate::money::Money;
use crate::obligation::ledger::{Ledger, Scope};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Open amounts by age, as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgingReport {
    /// The date aged against.
    pub as_of: NaiveDate,
    /// The grace days used for `overdue`.
    pub grace_days: u32,
    /// Open and not past due (due on `as_of` or later).
    pub current: Money,
    /// Open, 1 to 30 days past due.
    pub days_1_30: Money,
    /// Open, 31 to 60 days past due.
    pub days_31_60: Money,
    /// Open, 61 to 90 days past due.
    pub days_61_90: Money,
    /// Open, more than 90 days past due.
    pub over_90: Money,
    /// Every open amount (the sum of the buckets).
    pub total_open: Money,
    /// Open amount more than `grace_days` past due.
    pub overdue: Money,
    /// The due date of the oldest open charge past due, if any.
    pub oldest_overdue_due_date: Option<NaiveDate>,
}

impl Ledger {
    /// Ages the open charges of `scope` as of `as_of`, with `grace_days` before a charge counts
    /// as overdue.
    pub fn aging(&self, as_of: NaiveDate, grace_days: u32, scope: &Scope) -> Result<AgingReport> {
        let cur = self.currency();
        // Bucket limits as dates, so the loop compares packed dates instead of subtracting.
        let back = |days: u32| {
            as_of
                .checked_sub_days(Days::new(u64::from(days)))
                .unwrap_or(NaiveDate::MIN)
        };
        let (d30, d60, d90, grace) = (back(30), back(60), back(90), back(grace_days));
        // Minor units in i128: exact, and no decimal work in the loop.
        let mut buckets = [0i128; 5];
        let mut overdue = 0i128;
        let mut oldest = None;
        let all = matches!(scope, Scope::Customer);
        let charges = self.charges();
        for (i, h) in self.hot().iter().enumerate() {
            let open = h.open.minor_units();
            if open == 0 {
                continue;
            }
            if !all && !charges.get(i).is_some_and(|e| scope.matches(&e.charge)) {
                continue;
            }
            let due = h.due;
            let b = if due >= as_of {
                0
            } else if due >= d30 {
                1
            } else if due >= d60 {
                2
            } else if due >= d90 {
                3
            } else {
                4
            };
            if let Some(slot) = buckets.get_mut(b) {
                *slot = slot.saturating_add(open);
            }
            if b > 0 && oldest.is_none() {
                oldest = Some(due);
            }
            if due < grace {
                overdue = overdue.saturating_add(open);
            }
        }
        let m = |minor: i128| money_of(minor, cur);
        let [b0, b1, b2, b3, b4] = buckets;
        let total = b0
            .saturating_add(b1)
            .saturating_add(b2)
            .saturating_add(b3)
            .saturating_add(b4);
        Ok(AgingReport {
            as_of,
            grace_days,
            current: m(b0)?,
            days_1_30: m(b1)?,
            days_31_60: m(b2)?,
            days_61_90: m(b3)?,
            over_90: m(b4)?,
            total_open: m(total)?,
            overdue: m(overdue)?,
            oldest_overdue_due_date: oldest,
        })
    }

    /// The open amount of `scope` more than `grace_days` past due on `as_of`.
    pub fn overdue(&self, as_of: NaiveDate, grace_days: u32, scope: &Scope) -> Result<Money> {
        Ok(self.aging(as_of, grace_days, scope)?.overdue)
    }
}

fn money_of(minor: i128, cur: crate::money::Currency) -> Result<Money> {
    let m = i64::try_from(minor).map_err(|_| crate::Error::overflow("aging"))?;
    Ok(Money::from_minor(m, cur))
}
