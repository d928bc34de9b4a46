//! Obligations for Kotlin, Java and Swift: payment plans turned into charges, and a customer's
//! ledger. Records go in and come out as the JSON contract; money is exact throughout.

use crate::{CrmError, IsoDate, core, from_json, guard, to_instant};
use crm_core::obligation as o;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String, CrmError> {
    core(serde_json::to_string(v).map_err(crm_core::Error::from))
}

fn scope(json: Option<String>) -> Result<o::Scope, CrmError> {
    json.as_deref()
        .map_or_else(|| Ok(o::Scope::default()), from_json)
}

/// The charges a payment plan (its JSON) generates up to `until`, given the line's status
/// history and usage (`input`, JSON, optional); a JSON array.
#[uniffi::export]
pub fn payment_plan_charges_until(
    plan: String,
    until: IsoDate,
    input: Option<String>,
) -> Result<String, CrmError> {
    guard(|| {
        let plan: o::PaymentPlan = from_json(&plan)?;
        let input: o::ScheduleInput = match input {
            Some(i) => from_json(&i)?,
            None => o::ScheduleInput::default(),
        };
        to_json(&core(plan.charges_until(until, &input))?)
    })
}

/// A customer's ledger in one currency. Safe to share between threads; Kotlin callers close
/// it (`use {}`).
#[derive(Debug, uniffi::Object)]
pub struct Ledger {
    inner: Mutex<o::Ledger>,
}

impl Ledger {
    /// A ledger object holding `ledger` (e.g. a copy of an engine's).
    pub(crate) fn holding(ledger: o::Ledger) -> Arc<Self> {
        Arc::new(Ledger {
            inner: Mutex::new(ledger),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut o::Ledger) -> Result<T, CrmError>,
    ) -> Result<T, CrmError> {
        guard(|| {
            let mut ledger = self.inner.lock().map_err(|_| CrmError::poisoned())?;
            f(&mut ledger)
        })
    }
}

#[uniffi::export]
impl Ledger {
    /// An empty ledger of `customer` in `currency` (an ISO 4217 code).
    #[uniffi::constructor]
    pub fn new(customer: String, currency: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(Arc::new(Ledger {
                inner: Mutex::new(o::Ledger::new(
                    core(crm_core::CustomerId::new(customer))?,
                    core(crm_core::Currency::new(&currency))?,
                )),
            }))
        })
    }

    /// A ledger from its JSON (what `toJson` gives).
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(Arc::new(Ledger {
                inner: Mutex::new(from_json(&json)?),
            }))
        })
    }

    /// The ledger as JSON.
    pub fn to_json(&self) -> Result<String, CrmError> {
        self.with(|l| to_json(l))
    }

    /// Adds charges (a JSON array) at `at`; the applications as a JSON array.
    pub fn add_charges(&self, charges: String, at: SystemTime) -> Result<String, CrmError> {
        let charges: Vec<o::Charge> = from_json(&charges)?;
        let at = to_instant("at", at)?;
        self.with(|l| to_json(&core(l.add_charges(charges, at))?))
    }

    /// Records a payment (JSON) and allocates it; the outcome as JSON.
    pub fn record_payment(&self, payment: String) -> Result<String, CrmError> {
        let payment: o::Payment = from_json(&payment)?;
        self.with(|l| to_json(&core(l.record_payment(payment))?))
    }

    /// Grants a credit (JSON) and allocates it; the outcome as JSON.
    pub fn grant_credit(&self, credit: String) -> Result<String, CrmError> {
        let credit: o::Credit = from_json(&credit)?;
        self.with(|l| to_json(&core(l.grant_credit(credit))?))
    }

    /// Reverses a payment (it bounced); the outcome as JSON.
    pub fn reverse_payment(
        &self,
        payment: String,
        at: SystemTime,
        reason: String,
    ) -> Result<String, CrmError> {
        let id = core(crm_core::PaymentId::new(payment))?;
        let at = to_instant("at", at)?;
        self.with(|l| to_json(&core(l.reverse_payment(&id, at, &reason))?))
    }

    /// What the customer owes (negative: in credit).
    pub fn balance(&self) -> Result<crate::Money, CrmError> {
        self.with(|l| core(l.balance()).map(crate::Money::from))
    }

    /// Totals: charged, adjustments, received, credited, written off, open, credit balance,
    /// balance.
    pub fn totals(&self) -> Result<crate::LedgerTotals, CrmError> {
        self.with(|l| Ok(crate::LedgerTotals::from(&core(l.totals())?)))
    }

    /// The statement of a scope (the customer when null; `{"type": "line", ...}`).
    pub fn statement(&self, scope: Option<String>) -> Result<crate::Statement, CrmError> {
        let scope = self::scope(scope)?;
        self.with(|l| crate::Statement::from_core(&core(l.statement(&scope))?))
    }

    /// Open amounts by age on `asOf`, and the overdue amount after `graceDays`.
    pub fn aging(
        &self,
        as_of: IsoDate,
        grace_days: i32,
        scope: Option<String>,
    ) -> Result<crate::AgingReport, CrmError> {
        let scope = self::scope(scope)?;
        let grace = u32::try_from(grace_days).map_err(|_| {
            CrmError::from(crm_core::Error::validation(
                "grace_days",
                grace_days,
                "must not be negative",
            ))
        })?;
        self.with(|l| {
            Ok(crate::AgingReport::from(&core(
                l.aging(as_of, grace, &scope),
            )?))
        })
    }

    /// Whether everything due from `from` to `to` arrived by `asOf`.
    pub fn reconcile(
        &self,
        from: IsoDate,
        to: IsoDate,
        as_of: IsoDate,
        scope: Option<String>,
    ) -> Result<crate::Reconciliation, CrmError> {
        let scope = self::scope(scope)?;
        self.with(|l| {
            Ok(crate::Reconciliation::from(&core(
                l.reconcile(from, to, as_of, &scope),
            )?))
        })
    }
}
