//! Obligations: what the customer owes and whether it has arrived.
//!
//! - [`plan`]: a [`PaymentPlan`] (payment type, periodicity, proration and termination rules).
//! - [`schedule`]: [`PaymentPlan::charges_until`] turns a plan into deterministic [`Charge`]s,
//!   month-end aware and prorated by the line's status history ([`ScheduleInput`]).
//! - [`ledger`]: the per-customer [`Ledger`] of charges, payments, credits, adjustments and
//!   write-offs, with allocation, reversal, balance and views per agreement, line and plan.
//! - [`aging`]: overdue amounts and aging buckets.
//! - [`reconcile`]: "has all the money owed to us arrived?" for a period.
//! - [`collections`]: a [`CollectionPolicy`] ladder applied per obligation, respecting
//!   approved exceptions and the actual state of each line ([`CollectionContext`]).
//!
//! Everything here is pure data and functions: no clock, no I/O. Instants and dates are passed
//! in; the same inputs give the same outputs, so the engine can rebuild every ledger by
//! replaying its events. The rules are written down in `docs/obligations.md`.

pub mod aging;
pub mod collections;
pub mod ledger;
pub mod plan;
pub mod reconcile;
pub mod schedule;

#[cfg(test)]
mod tests;

pub use aging::AgingReport;
pub use collections::{
    ActionStatus, CollectionAction, CollectionContext, CollectionPolicy, CollectionPolicyScope,
    CollectionStep, CollectionStepKind, CollectionTarget, Suppression, collection_actions,
};
pub use ledger::{
    Adjustment, AllocationOutcome, AllocationRule, Application, Charge, ChargeChange, ChargeEntry,
    Credit, FundingRecord, FundingSource, Ledger, LedgerTotals, Payment, PaymentMethod,
    PaymentOutcome, Proration, Reversal, ReversalOutcome, Scope, Statement, WriteOff,
};
pub use plan::{
    BillingTiming, EarlyTermination, Frequency, PaymentPlan, PaymentPlanTemplate, PaymentType,
    Periodicity, PriceChange, PriceTier, Rate, ScheduleTemplate, SuspendedBilling,
};
pub use reconcile::{Reconciliation, UnpaidCharge};
pub use schedule::{PeriodUsage, ScheduleInput, StatusChange, anchor_date};

pub use crate::ids::EntryId;

use crate::error::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A range of calendar days `[start, end)`: `start` is included, `end` is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "DateRangeRepr", into = "DateRangeRepr")]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DateRangeRepr {
    start: NaiveDate,
    end: NaiveDate,
}

impl TryFrom<DateRangeRepr> for DateRange {
    type Error = Error;
    fn try_from(r: DateRangeRepr) -> Result<Self> {
        DateRange::new(r.start, r.end)
    }
}

impl From<DateRange> for DateRangeRepr {
    fn from(r: DateRange) -> Self {
        DateRangeRepr {
            start: r.start,
            end: r.end,
        }
    }
}

impl DateRange {
    /// The days `[start, end)`; `end` before `start` is an error.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self> {
        if end < start {
            return Err(Error::validation(
                "date range",
                format!("{start} .. {end}"),
                "the end is before the start",
            ));
        }
        Ok(DateRange { start, end })
    }

    /// The first day in the range.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The first day after the range.
    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// The number of days in the range.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// True when `day` lies in `[start, end)`.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.end
    }
}
