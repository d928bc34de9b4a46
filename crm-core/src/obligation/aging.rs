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
use chrono::NaiveDate;
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
        // Minor units in i128: exact, and no decimal work in the loop.
        let mut buckets = [0i128; 5];
        let mut overdue = 0i128;
        let mut oldest = None;
        let grace = i64::from(grace_days);
        let all = matches!(scope, Scope::Customer);
        for e in self.charges() {
            let open = e.open.minor_units();
            if open == 0 || !(all || scope.matches(&e.charge)) {
                continue;
            }
            let days = (as_of - e.charge.due_date).num_days();
            let b = match days {
                i64::MIN..=0 => 0,
                1..=30 => 1,
                31..=60 => 2,
                61..=90 => 3,
                _ => 4,
            };
            if let Some(slot) = buckets.get_mut(b) {
                *slot = slot.saturating_add(open);
            }
            if days > 0 && oldest.is_none() {
                oldest = Some(e.charge.due_date);
            }
            if days > grace {
                overdue = overdue.saturating_add(open);
            }
        }
        let m = |minor: i128| money_of(minor, cur);
        let [b0, b1, b2, b3, b4] = buckets;
        Ok(AgingReport {
            as_of,
            grace_days,
            current: m(b0)?,
            days_1_30: m(b1)?,
            days_31_60: m(b2)?,
            days_61_90: m(b3)?,
            over_90: m(b4)?,
            total_open: m(b0
                .saturating_add(b1)
                .saturating_add(b2)
                .saturating_add(b3)
                .saturating_add(b4))?,
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
