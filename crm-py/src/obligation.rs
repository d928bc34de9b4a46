//! Obligations from Python: payment plans turned into charges, and a customer's ledger
//! (charges, payments, credits, reversals, balance, statement, aging, reconciliation).
//!
//! These are the core's pure obligation functions at module level; the engine's own
//! obligation commands will use the same records. Every rule (allocation, proration, aging
//! buckets) is the core's.

use crate::engine::wrap;
use crate::value::decode;
use crate::{PyCrmError, core, currency_arg, guard, instant_arg, json};
use crm_core::obligation as o;
use pyo3::prelude::*;
use pyo3::types::PyList;
use serde::Serialize;
use std::sync::Mutex;

fn scope(obj: Option<&Bound<'_, PyAny>>) -> PyResult<o::Scope> {
    obj.map_or_else(|| Ok(o::Scope::default()), decode)
}

fn records<'py, T: Serialize>(
    py: Python<'py>,
    class_name: &str,
    vs: &[T],
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for v in vs {
        list.append(wrap(py, class_name, json(v)?)?)?;
    }
    Ok(list)
}

/// The charges a payment plan generates up to `until` (a `date`), given the line's status
/// history and usage (`input`, a `ScheduleInput` or its dict).
#[pyfunction]
#[pyo3(signature = (plan, until, input = None))]
pub fn _plan_charges<'py>(
    py: Python<'py>,
    plan: &Bound<'py, PyAny>,
    until: &Bound<'py, PyAny>,
    input: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    guard(|| {
        let plan: o::PaymentPlan = decode(plan)?;
        let until: chrono::NaiveDate = until.extract()?;
        let input: o::ScheduleInput = match input {
            Some(i) => decode(i)?,
            None => o::ScheduleInput::default(),
        };
        records(py, "Charge", &core(plan.charges_until(until, &input))?)
    })
}

/// A customer's ledger in one currency. Safe to share between threads.
#[pyclass(frozen, module = "crm_core")]
pub struct Ledger {
    inner: Mutex<o::Ledger>,
}

impl Ledger {
    /// A Python ledger holding a copy of a core ledger (the engine's, for `Crm.ledger`).
    pub(crate) fn from_core(ledger: o::Ledger) -> Self {
        Ledger {
            inner: Mutex::new(ledger),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut o::Ledger) -> crm_core::Result<T>) -> PyResult<T> {
        let mut ledger = self.inner.lock().map_err(|_| PyCrmError::poisoned())?;
        core(f(&mut ledger))
    }
}

#[pymethods]
impl Ledger {
    /// An empty ledger of `customer` in `currency` (a `Currency` or a code).
    #[new]
    fn new(customer: &str, currency: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(Ledger {
                inner: Mutex::new(o::Ledger::new(
                    core(crm_core::CustomerId::new(customer))?,
                    currency_arg(currency)?,
                )),
            })
        })
    }

    /// Decodes a ledger from its JSON form (what `to_json` gives).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        guard(|| {
            let ledger: o::Ledger =
                core(serde_json::from_str(text).map_err(crm_core::Error::from))?;
            Ok(Ledger {
                inner: Mutex::new(ledger),
            })
        })
    }

    /// The ledger as JSON (charges, fundings, adjustments, write-offs).
    fn to_json(&self) -> PyResult<String> {
        guard(|| self.with(|l| Ok(serde_json::to_string(l)?)))
    }

    /// Adds charges (`Charge` records or dicts) at `at`; a credit balance is applied to them.
    fn add_charges<'py>(
        &self,
        py: Python<'py>,
        charges: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let charges: Vec<o::Charge> = decode(charges)?;
            let at = instant_arg("at", at)?;
            let applied = self.with(|l| l.add_charges(charges, at))?;
            records(py, "Application", &applied)
        })
    }

    /// Records a payment (a `Payment` record or dict) and allocates it by its rule.
    fn record_payment<'py>(
        &self,
        py: Python<'py>,
        payment: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let payment: o::Payment = decode(payment)?;
            let outcome = self.with(|l| l.record_payment(payment))?;
            wrap(py, "AllocationOutcome", json(&outcome)?)
        })
    }

    /// Grants a credit (a `Credit` record or dict) and allocates it by its rule.
    fn grant_credit<'py>(
        &self,
        py: Python<'py>,
        credit: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let credit: o::Credit = decode(credit)?;
            let outcome = self.with(|l| l.grant_credit(credit))?;
            wrap(py, "AllocationOutcome", json(&outcome)?)
        })
    }

    /// Reverses a payment (it bounced): what it paid is open again.
    fn reverse_payment<'py>(
        &self,
        py: Python<'py>,
        payment: &str,
        at: &Bound<'py, PyAny>,
        reason: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let id = core(crm_core::PaymentId::new(payment))?;
            let at = instant_arg("at", at)?;
            let outcome = self.with(|l| l.reverse_payment(&id, at, reason))?;
            wrap(py, "ReversalOutcome", json(&outcome)?)
        })
    }

    /// What the customer owes (negative: what the customer has in credit).
    fn balance(&self) -> PyResult<crate::Money> {
        guard(|| {
            self.with(|l| l.balance())
                .map(|inner| crate::Money { inner })
        })
    }

    /// Money received and not yet applied to any charge.
    fn credit_balance(&self) -> PyResult<crate::Money> {
        guard(|| {
            self.with(|l| l.credit_balance())
                .map(|inner| crate::Money { inner })
        })
    }

    /// Charged, adjusted, received, credited, written off, open and the balance.
    fn totals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| wrap(py, "LedgerTotals", json(&self.with(|l| l.totals())?)?))
    }

    /// Every charge with what was paid, credited, written off and what is open.
    fn charges<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let entries = self.with(|l| Ok(l.charges().to_vec()))?;
            records(py, "ChargeEntry", &entries)
        })
    }

    /// The statement of a scope (the customer when `None`; a `{"type": "agreement", ...}`).
    #[pyo3(signature = (scope = None))]
    fn statement<'py>(
        &self,
        py: Python<'py>,
        scope: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let scope = self::scope(scope)?;
            wrap(py, "Statement", json(&self.with(|l| l.statement(&scope))?)?)
        })
    }

    /// Overdue amounts by age on `as_of` (a `date`), after `grace_days`.
    #[pyo3(signature = (as_of, grace_days = 0, scope = None))]
    fn aging<'py>(
        &self,
        py: Python<'py>,
        as_of: &Bound<'py, PyAny>,
        grace_days: u32,
        scope: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let as_of: chrono::NaiveDate = as_of.extract()?;
            let scope = self::scope(scope)?;
            let report = self.with(|l| l.aging(as_of, grace_days, &scope))?;
            wrap(py, "AgingReport", json(&report)?)
        })
    }

    /// "Has everything due from `from_` to `to` arrived?" as of `as_of` (all `date`s).
    #[pyo3(signature = (from_, to, as_of, scope = None))]
    fn reconcile<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        scope: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let (from, to, as_of): (chrono::NaiveDate, chrono::NaiveDate, chrono::NaiveDate) =
                (from_.extract()?, to.extract()?, as_of.extract()?);
            let scope = self::scope(scope)?;
            let r = self.with(|l| l.reconcile(from, to, as_of, &scope))?;
            wrap(py, "Reconciliation", json(&r)?)
        })
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let rebuild = py.get_type::<Self>().getattr("from_json")?;
        Ok((rebuild, (self.to_json()?,)))
    }

    fn __repr__(&self) -> PyResult<String> {
        let l = self.inner.lock().map_err(|_| PyCrmError::poisoned())?;
        Ok(format!(
            "Ledger(customer={:?}, currency={:?}, charges={})",
            l.customer_id().to_string(),
            l.currency().code(),
            l.charges().len()
        ))
    }
}
