//! Payment plans: what a line of an agreement obliges the customer to pay, and when.
//!
//! A plan is created from an offering's template at sale or added by amendment (the engine does
//! that); this module holds the data and its validation. Charges are generated from a plan by
//! [`PaymentPlan::charges_until`](crate::obligation::schedule).

use crate::error::{Error, Result};
use crate::ids::{AgreementId, CustomerId, LineId, PlanId};
use crate::money::{Currency, Money, Rounding};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The most installments a plan may have.
pub const MAX_INSTALLMENTS: u32 = 1_200;

/// The longest period of an "every n days" frequency.
pub const MAX_PERIOD_DAYS: u32 = 3_660;

/// What a plan is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentType {
    /// The sale of a product (a device), typically one time or in installments.
    Sale,
    /// A service, typically recurring.
    Service,
    /// Consumption rated from usage the host supplies.
    Consumption,
}

/// How often a periodic plan falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frequency {
    /// Every calendar month, on the anchor's day (or the month's last day when shorter).
    Monthly,
    /// Every 7 days.
    Weekly,
    /// Every `days` days (1 to [`MAX_PERIOD_DAYS`]).
    EveryNDays {
        /// The length of a period in days.
        days: u32,
    },
}

impl Frequency {
    fn validate(&self) -> Result<()> {
        if let Frequency::EveryNDays { days } = self
            && (*days == 0 || *days > MAX_PERIOD_DAYS)
        {
            return Err(Error::validation(
                "frequency days",
                days,
                format!("must be between 1 and {MAX_PERIOD_DAYS}"),
            ));
        }
        Ok(())
    }
}

/// Whether a recurring charge is due at the start of its period or at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BillingTiming {
    /// Due on the first day of the period it pays for.
    #[default]
    InAdvance,
    /// Due on the first day after the period it pays for.
    InArrears,
}

/// Whether a suspended line is billed for the days it is suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SuspendedBilling {
    /// Suspended days are billed like active days.
    #[default]
    Bill,
    /// Suspended days are not billed: the period is prorated.
    DoNotBill,
}

/// What happens to the installments not yet due when the line or agreement ends early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EarlyTermination {
    /// Every remaining installment falls due on the termination date.
    #[default]
    DueAtOnce,
    /// The installments stay on their schedule.
    Continue,
}

/// A new recurring amount from a date on (added by amendment).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceChange {
    /// The first day the new amount applies. A period is priced by the change in force on the
    /// period's first day; a change in the middle of a period applies from the next period.
    pub from: NaiveDate,
    /// The new amount per full period.
    pub amount: Money,
}

/// One band of a graduated usage price.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceTier {
    /// The quantity where the band ends (inclusive), `None` for the last band.
    pub up_to: Option<Decimal>,
    /// The price of one unit within the band, in the rate's currency (may have more decimals
    /// than the currency's minor unit; only the period's total is rounded).
    pub unit_price: Decimal,
}

/// How usage is priced: graduated tiers, one rounding of the period's total.
///
/// A flat price is one tier with `up_to: None`. The amount of a period is
/// `Σ (quantity within band × band unit price)`, rounded once by `rounding`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    /// The currency of the unit prices.
    pub currency: Currency,
    /// The bands, in increasing `up_to`; only the last has `up_to: None`.
    pub tiers: Vec<PriceTier>,
    /// How the period's total is rounded to the minor unit.
    pub rounding: Rounding,
}

impl Rate {
    fn validate(&self) -> Result<()> {
        let n = self.tiers.len();
        if n == 0 {
            return Err(Error::validation(
                "rate tiers",
                "[]",
                "at least one tier is needed",
            ));
        }
        let mut previous = Decimal::ZERO;
        for (i, tier) in self.tiers.iter().enumerate() {
            if tier.unit_price.is_sign_negative() && !tier.unit_price.is_zero() {
                return Err(Error::validation(
                    "unit price",
                    tier.unit_price,
                    "must not be negative",
                ));
            }
            match tier.up_to {
                Some(limit) if i + 1 == n => {
                    return Err(Error::validation(
                        "rate tiers",
                        limit,
                        "the last tier must have no upper limit",
                    ));
                }
                Some(limit) => {
                    if limit <= previous {
                        return Err(Error::validation(
                            "tier up_to",
                            limit,
                            "tier limits must be positive and increasing",
                        ));
                    }
                    previous = limit;
                }
                None if i + 1 < n => {
                    return Err(Error::validation(
                        "rate tiers",
                        i,
                        "only the last tier may have no upper limit",
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Prices `quantity` units (not negative) by the graduated tiers, rounded once.
    pub fn price(&self, quantity: Decimal) -> Result<Money> {
        self.validate()?;
        if quantity.is_sign_negative() && !quantity.is_zero() {
            return Err(Error::validation(
                "usage quantity",
                quantity,
                "must not be negative",
            ));
        }
        let mut total = Decimal::ZERO;
        let mut lower = Decimal::ZERO;
        for tier in &self.tiers {
            if quantity <= lower {
                break;
            }
            let upper = tier.up_to.map_or(quantity, |u| u.min(quantity));
            let band = upper - lower;
            let part = band
                .checked_mul(tier.unit_price)
                .ok_or_else(|| Error::overflow("usage rating"))?;
            total = total
                .checked_add(part)
                .ok_or_else(|| Error::overflow("usage rating"))?;
            lower = upper;
        }
        Money::rounded(total, self.currency, self.rounding)
    }
}

/// When and how much a plan falls due.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Periodicity {
    /// One charge of `amount` due on `due`.
    OneTime {
        /// The amount.
        amount: Money,
        /// The due date.
        due: NaiveDate,
    },
    /// `total` split exactly into `count` installments (odd minor units on the first ones),
    /// the k-th due on the k-th anchor date from `first_due`.
    Installments {
        /// The total; the installments sum to it exactly.
        total: Money,
        /// The number of installments (1 to [`MAX_INSTALLMENTS`]).
        count: u32,
        /// How often an installment falls due.
        every: Frequency,
        /// The first installment's due date, the anchor of the schedule.
        first_due: NaiveDate,
    },
    /// `amount` per period from `start`, until `end` (exclusive) if any; periods are
    /// `[a_k, a_k+1)` where `a_k` is the k-th anchor date from `start`.
    Recurring {
        /// The amount of a full period (before price changes).
        amount: Money,
        /// The length of a period.
        every: Frequency,
        /// The first day of the first period, the anchor of the schedule. In advance, this is
        /// also the first due date.
        start: NaiveDate,
        /// The first day no longer billed, if the plan ends.
        end: Option<NaiveDate>,
        /// Due at the start of each period or after its end.
        timing: BillingTiming,
        /// Amendments of the amount, in increasing `from`.
        price_changes: Vec<PriceChange>,
    },
    /// Usage rated per period, billed in arrears: the period `[a_k, a_k+1)` is due on `a_k+1`,
    /// priced from the quantity the host supplies for it.
    Usage {
        /// How usage is priced.
        rate: Rate,
        /// The length of a period.
        every: Frequency,
        /// The first day of the first period.
        start: NaiveDate,
        /// The first day no longer billed, if the plan ends.
        end: Option<NaiveDate>,
    },
}

/// A payment plan of an agreement line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentPlan {
    /// The plan's id; charge ids are derived from it.
    pub id: PlanId,
    /// The customer who owes.
    pub customer_id: CustomerId,
    /// The agreement the plan belongs to.
    pub agreement_id: AgreementId,
    /// The line the plan pays for, if any.
    pub line_id: Option<LineId>,
    /// What the plan is paid for.
    pub payment_type: PaymentType,
    /// When and how much falls due.
    pub periodicity: Periodicity,
    /// Whether suspended days are billed (recurring plans).
    #[serde(default)]
    pub suspended_billing: SuspendedBilling,
    /// What happens to remaining installments on early termination (installment plans).
    #[serde(default)]
    pub early_termination: EarlyTermination,
    /// How a prorated amount is rounded to the minor unit.
    #[serde(default)]
    pub proration_rounding: Rounding,
}

fn positive(field: &str, m: &Money) -> Result<()> {
    if !m.is_positive() {
        return Err(Error::validation(field, m, "must be above zero"));
    }
    Ok(())
}

impl PaymentPlan {
    /// Builds a plan with the default rules (suspended days billed, remaining installments due
    /// at once on early termination, half-even proration), validating it.
    pub fn new(
        id: PlanId,
        customer_id: CustomerId,
        agreement_id: AgreementId,
        line_id: Option<LineId>,
        payment_type: PaymentType,
        periodicity: Periodicity,
    ) -> Result<Self> {
        let plan = PaymentPlan {
            id,
            customer_id,
            agreement_id,
            line_id,
            payment_type,
            periodicity,
            suspended_billing: SuspendedBilling::default(),
            early_termination: EarlyTermination::default(),
            proration_rounding: Rounding::default(),
        };
        plan.validate()?;
        Ok(plan)
    }

    /// The currency every charge of the plan is in.
    pub fn currency(&self) -> Currency {
        match &self.periodicity {
            Periodicity::OneTime { amount, .. } => amount.currency(),
            Periodicity::Installments { total, .. } => total.currency(),
            Periodicity::Recurring { amount, .. } => amount.currency(),
            Periodicity::Usage { rate, .. } => rate.currency,
        }
    }

    /// Checks the plan: positive amounts, one currency, counts and periods in range, price
    /// changes in increasing date order, usage only for consumption plans.
    pub fn validate(&self) -> Result<()> {
        let is_usage = matches!(self.periodicity, Periodicity::Usage { .. });
        if is_usage != (self.payment_type == PaymentType::Consumption) {
            return Err(Error::validation(
                "payment type",
                format!("{:?}", self.payment_type),
                "consumption plans, and only they, are priced from usage",
            ));
        }
        match &self.periodicity {
            Periodicity::OneTime { amount, .. } => positive("amount", amount),
            Periodicity::Installments {
                total,
                count,
                every,
                ..
            } => {
                positive("installment total", total)?;
                every.validate()?;
                if *count == 0 || *count > MAX_INSTALLMENTS {
                    return Err(Error::validation(
                        "installment count",
                        count,
                        format!("must be between 1 and {MAX_INSTALLMENTS}"),
                    ));
                }
                Ok(())
            }
            Periodicity::Recurring {
                amount,
                every,
                start,
                end,
                price_changes,
                ..
            } => {
                positive("recurring amount", amount)?;
                every.validate()?;
                check_end(*start, *end)?;
                let mut previous: Option<NaiveDate> = None;
                for change in price_changes {
                    check_price_change(amount.currency(), change)?;
                    if previous.is_some_and(|p| change.from <= p) {
                        return Err(Error::validation(
                            "price change",
                            change.from,
                            "price changes must be in strictly increasing date order",
                        ));
                    }
                    previous = Some(change.from);
                }
                Ok(())
            }
            Periodicity::Usage {
                rate,
                every,
                start,
                end,
            } => {
                rate.validate()?;
                every.validate()?;
                check_end(*start, *end)
            }
        }
    }

    /// Adds an amended recurring amount from `change.from` on (kept in date order). Refused
    /// for a plan that is not recurring, another currency, a negative amount or a date that
    /// already has a change; the plan is unchanged on error.
    pub fn add_price_change(&mut self, change: PriceChange) -> Result<()> {
        let Periodicity::Recurring {
            amount,
            price_changes,
            ..
        } = &mut self.periodicity
        else {
            return Err(Error::validation(
                "price change",
                change.from,
                "only recurring plans have price changes",
            ));
        };
        check_price_change(amount.currency(), &change)?;
        if price_changes.iter().any(|c| c.from == change.from) {
            return Err(Error::validation(
                "price change",
                change.from,
                "a price change from that date already exists",
            ));
        }
        let at = price_changes.partition_point(|c| c.from < change.from);
        price_changes.insert(at, change);
        Ok(())
    }
}

fn check_end(start: NaiveDate, end: Option<NaiveDate>) -> Result<()> {
    if let Some(end) = end
        && end <= start
    {
        return Err(Error::validation(
            "plan end",
            end,
            "must be after the start",
        ));
    }
    Ok(())
}

fn check_price_change(currency: Currency, change: &PriceChange) -> Result<()> {
    if change.amount.currency() != currency {
        return Err(Error::CurrencyMismatch {
            left: currency.code().to_string(),
            right: change.amount.currency().code().to_string(),
        });
    }
    if change.amount.is_negative() {
        return Err(Error::validation(
            "price change amount",
            change.amount,
            "must not be negative",
        ));
    }
    Ok(())
}

/// The schedule of a [`PaymentPlanTemplate`], relative to the day of the sale. Amounts are per
/// unit: a line of quantity `q` owes `q` times them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleTemplate {
    /// One charge, due `due_after_days` after the sale.
    OneTime {
        /// The amount per unit.
        amount: Money,
        /// Days from the sale to the due date (0: due on the day of the sale).
        #[serde(default)]
        due_after_days: u32,
    },
    /// The total split into `count` installments, the first due `first_due_after_days` after
    /// the sale.
    Installments {
        /// The total per unit.
        total: Money,
        /// The number of installments.
        count: u32,
        /// How often an installment falls due.
        every: Frequency,
        /// Days from the sale to the first due date.
        #[serde(default)]
        first_due_after_days: u32,
    },
    /// A recurring amount from `start_after_days` after the sale, open-ended (the line's
    /// termination ends it).
    Recurring {
        /// The amount of a full period, per unit.
        amount: Money,
        /// The length of a period.
        every: Frequency,
        /// Due at the start of each period or after its end.
        #[serde(default)]
        timing: BillingTiming,
        /// Days from the sale to the first day of the first period.
        #[serde(default)]
        start_after_days: u32,
    },
    /// Usage rated per period, from `start_after_days` after the sale.
    Usage {
        /// How usage is priced (not multiplied by the quantity: usage is measured).
        rate: Rate,
        /// The length of a period.
        every: Frequency,
        /// Days from the sale to the first day of the first period.
        #[serde(default)]
        start_after_days: u32,
    },
}

/// A payment plan that a sale of an offering creates, carried by the offering.
///
/// The plan created for line `L` from the template with code `c` has the id `L.c`, is anchored
/// on the day of the sale (the command's UTC date) and multiplies the template's amounts by
/// the line's quantity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentPlanTemplate {
    /// The template's code, unique within the offering (`device`, `service`).
    pub code: String,
    /// What the plan is paid for.
    pub payment_type: PaymentType,
    /// When and how much falls due.
    pub schedule: ScheduleTemplate,
    /// Whether suspended days are billed (recurring plans).
    #[serde(default)]
    pub suspended_billing: SuspendedBilling,
    /// What happens to remaining installments on early termination (installment plans).
    #[serde(default)]
    pub early_termination: EarlyTermination,
    /// How a prorated amount is rounded to the minor unit.
    #[serde(default)]
    pub proration_rounding: Rounding,
}

fn days_after(sale: NaiveDate, days: u32) -> Result<NaiveDate> {
    sale.checked_add_days(chrono::Days::new(u64::from(days)))
        .ok_or_else(|| Error::validation("days after the sale", days, "out of the date range"))
}

fn per_quantity(m: &Money, quantity: u32) -> Result<Money> {
    m.times(Decimal::from(quantity), Rounding::default())
}

impl PaymentPlanTemplate {
    /// Checks the code and the schedule (as a plan sold today for one unit would be checked).
    pub fn validate(&self) -> Result<()> {
        crate::entitlement::validate_code("payment plan code", &self.code)?;
        let sale = NaiveDate::from_ymd_opt(2000, 1, 1)
            .ok_or_else(|| Error::validation("sale date", "2000-01-01", "out of range"))?;
        let probe = |id: &str| -> Result<()> {
            self.instantiate(
                PlanId::new(id)?,
                CustomerId::new("template")?,
                AgreementId::new("template")?,
                None,
                1,
                sale,
            )
            .map(|_| ())
        };
        probe("template")
    }

    /// The plan a sale of `quantity` units on `sale` creates (validated).
    pub fn instantiate(
        &self,
        id: PlanId,
        customer_id: CustomerId,
        agreement_id: AgreementId,
        line_id: Option<LineId>,
        quantity: u32,
        sale: NaiveDate,
    ) -> Result<PaymentPlan> {
        let periodicity = match &self.schedule {
            ScheduleTemplate::OneTime {
                amount,
                due_after_days,
            } => Periodicity::OneTime {
                amount: per_quantity(amount, quantity)?,
                due: days_after(sale, *due_after_days)?,
            },
            ScheduleTemplate::Installments {
                total,
                count,
                every,
                first_due_after_days,
            } => Periodicity::Installments {
                total: per_quantity(total, quantity)?,
                count: *count,
                every: *every,
                first_due: days_after(sale, *first_due_after_days)?,
            },
            ScheduleTemplate::Recurring {
                amount,
                every,
                timing,
                start_after_days,
            } => Periodicity::Recurring {
                amount: per_quantity(amount, quantity)?,
                every: *every,
                start: days_after(sale, *start_after_days)?,
                end: None,
                timing: *timing,
                price_changes: Vec::new(),
            },
            ScheduleTemplate::Usage {
                rate,
                every,
                start_after_days,
            } => Periodicity::Usage {
                rate: rate.clone(),
                every: *every,
                start: days_after(sale, *start_after_days)?,
                end: None,
            },
        };
        let plan = PaymentPlan {
            id,
            customer_id,
            agreement_id,
            line_id,
            payment_type: self.payment_type,
            periodicity,
            suspended_billing: self.suspended_billing,
            early_termination: self.early_termination,
            proration_rounding: self.proration_rounding,
        };
        plan.validate()?;
        Ok(plan)
    }
}
