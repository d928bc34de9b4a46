//! Reconciliation: has all the money owed to us for a period arrived?
//!
//! For the charges of a scope **due** in the period `[from, to]` (both days included):
//! `due = paid + credited + written_off + missing`, where `due` is their amount after
//! adjustments, `paid` and `credited` what payments and credits settled of them (whenever
//! those arrived, as the ledger stands now), and `missing` what is still open. Each charge
//! still open is listed with the day it has been unpaid since (its due date) and its days
//! past due on `as_of`. Separately, `received` is the customer's payments received in the
//! period (by the UTC date of their instant), not reversed, whatever they were applied to;
//! `reversed` is those received in the period and reversed since.

use crate::error::{Error, Result};
use crate::ids::{AgreementId, ChargeId, LineId, PlanId};
use crate::money::Money;
use crate::obligation::ledger::{FundingSource, Ledger, Scope};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A charge due in the period that is not (fully) settled.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnpaidCharge {
    /// The charge.
    pub charge_id: ChargeId,
    /// Its agreement.
    pub agreement_id: AgreementId,
    /// Its line, if any.
    pub line_id: Option<LineId>,
    /// Its plan, if any.
    pub plan_id: Option<PlanId>,
    /// Its amount after adjustments.
    pub amount: Money,
    /// What is still open.
    pub open: Money,
    /// Unpaid since this day (its due date).
    pub unpaid_since: NaiveDate,
    /// Days past due on `as_of` (0 or less: not yet past due).
    pub days_past_due: i64,
}

/// The answer to "has all the money owed to us for the period arrived?".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reconciliation {
    /// The scope.
    pub scope: Scope,
    /// The first day of the period.
    pub from: NaiveDate,
    /// The last day of the period (included).
    pub to: NaiveDate,
    /// The day `days_past_due` is counted on.
    pub as_of: NaiveDate,
    /// Charges due in the period, after adjustments.
    pub due: Money,
    /// Of `due`, settled by payments.
    pub paid: Money,
    /// Of `due`, settled by credits.
    pub credited: Money,
    /// Of `due`, written off.
    pub written_off: Money,
    /// Of `due`, still open.
    pub missing: Money,
    /// Payments received in the period and not reversed (customer-wide).
    pub received: Money,
    /// Payments received in the period and reversed since (customer-wide).
    pub reversed: Money,
    /// The charges still open, oldest due first.
    pub unpaid: Vec<UnpaidCharge>,
    /// True when nothing due in the period is missing.
    pub all_received: bool,
}

impl Ledger {
    /// Reconciles the period `[from, to]` (both included) for `scope`, as of `as_of`.
    pub fn reconcile(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        as_of: NaiveDate,
        scope: &Scope,
    ) -> Result<Reconciliation> {
        if to < from {
            return Err(Error::validation(
                "reconciliation period",
                format!("{from} .. {to}"),
                "the end is before the start",
            ));
        }
        let zero = Money::zero(self.currency());
        let mut r = Reconciliation {
            scope: scope.clone(),
            from,
            to,
            as_of,
            due: zero,
            paid: zero,
            credited: zero,
            written_off: zero,
            missing: zero,
            received: zero,
            reversed: zero,
            unpaid: Vec::new(),
            all_received: true,
        };
        let charges = self.charges();
        let start = charges.partition_point(|e| e.charge.due_date < from);
        for e in charges.get(start..).unwrap_or_default() {
            if e.charge.due_date > to {
                break;
            }
            if !scope.matches(&e.charge) {
                continue;
            }
            let amount = e.net_amount()?;
            r.due = r.due.checked_add(&amount)?;
            r.paid = r.paid.checked_add(&e.paid)?;
            r.credited = r.credited.checked_add(&e.credited)?;
            r.written_off = r.written_off.checked_add(&e.written_off)?;
            r.missing = r.missing.checked_add(&e.open)?;
            if e.open.is_positive() {
                r.unpaid.push(UnpaidCharge {
                    charge_id: e.charge.id.clone(),
                    agreement_id: e.charge.agreement_id.clone(),
                    line_id: e.charge.line_id.clone(),
                    plan_id: e.charge.plan_id.clone(),
                    amount,
                    open: e.open,
                    unpaid_since: e.charge.due_date,
                    days_past_due: (as_of - e.charge.due_date).num_days(),
                });
            }
        }
        for f in self.fundings() {
            if let FundingSource::Payment(p) = &f.source {
                let day = p.received_at.date_naive();
                if day < from || day > to {
                    continue;
                }
                if f.reversal.is_some() {
                    r.reversed = r.reversed.checked_add(&p.amount)?;
                } else {
                    r.received = r.received.checked_add(&p.amount)?;
                }
            }
        }
        r.all_received = r.missing.is_zero();
        Ok(r)
    }
}
