//! Policies from Python data: decision tables, tiering, service and compensation policies.
//!
//! Each class holds the core's built (checked) policy; a spec is Python data in the JSON
//! contract's shape (see `docs/policies.md`), so a bad policy raises the core's
//! `InvalidDefinitionError` with every problem. Decisions come back as `crm_core.records`.

use crate::engine::wrap;
use crate::value::decode;
use crate::{core, guard, instant_arg, json};
use crm_core::policy as p;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDateTime, PyDict, PyInt, PyString};

/// A fact for a decision table from a plain Python value: `bool`, `int`, `Decimal`, `Money`,
/// `str`, `date`, or the tagged form (`{"type": "money", "value": ...}`).
fn fact(obj: &Bound<'_, PyAny>) -> PyResult<p::Value> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(p::Value::boolean(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(p::Value::integer(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(p::Value::string(s.to_str()?));
    }
    if let Ok(m) = obj.cast::<crate::Money>() {
        return Ok(p::Value::money(m.get().inner));
    }
    if obj.is_instance_of::<PyDate>() && !obj.is_instance_of::<PyDateTime>() {
        return Ok(p::Value::date(obj.extract()?));
    }
    if obj.is_instance_of::<PyDict>() {
        return decode(obj);
    }
    Ok(p::Value::decimal(crate::decimal_arg("fact", obj)?))
}

/// A decision table: typed columns, rules, a hit policy; checked when built.
#[pyclass(frozen, module = "crm_core")]
pub struct DecisionTable {
    inner: p::DecisionTable,
}

#[pymethods]
impl DecisionTable {
    /// Builds a table from its spec (`name`, `hit_policy`, `inputs`, `outputs`, `rules`).
    #[new]
    fn new(spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(DecisionTable {
                inner: core(p::DecisionTable::new(decode(spec)?))?,
            })
        })
    }

    /// The table's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// Evaluates the table over `facts` (input name to `bool`, `int`, `Decimal`, `Money`,
    /// `str` or `date`): the matched and selected rules, the result and the reasons.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        facts: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let mut f = p::Facts::new();
            for (k, v) in facts.iter() {
                let key: String = k
                    .extract()
                    .map_err(|_| PyTypeError::new_err("facts: keys must be str"))?;
                f.insert(key, fact(&v)?);
            }
            wrap(py, "Evaluation", json(&core(self.inner.evaluate(&f))?)?)
        })
    }

    /// The spec as JSON.
    fn to_json(&self) -> PyResult<String> {
        guard(|| core(self.inner.to_json()))
    }

    fn __repr__(&self) -> String {
        format!("DecisionTable({:?})", self.inner.name())
    }
}

/// Places customers in value tiers by a decision table over their measures.
#[pyclass(frozen, module = "crm_core")]
pub struct TieringPolicy {
    inner: p::TieringPolicy,
}

#[pymethods]
impl TieringPolicy {
    /// Builds a policy from its spec (`tiers`, `attributes`, `table`).
    #[new]
    fn new(spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(TieringPolicy {
                inner: core(p::TieringPolicy::new(decode(spec)?))?,
            })
        })
    }

    /// The tier of one customer at `at`, with the rule and the reasons.
    #[pyo3(signature = (measures, at, previous = None))]
    fn assign_tier<'py>(
        &self,
        py: Python<'py>,
        measures: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
        previous: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let m: p::CustomerMeasures = decode(measures)?;
            let at = instant_arg("at", at)?;
            let d = core(self.inner.assign_tier(&m, previous, at))?;
            wrap(py, "TierDecision", json(&d)?)
        })
    }

    /// The tiers of many customers (`TieringInput` records or dicts) at `at`, with the GIL
    /// released: decisions and failures, each in input order.
    fn assign_tiers<'py>(
        &self,
        py: Python<'py>,
        customers: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let inputs: Vec<p::TieringInput> = decode(customers)?;
            let at = instant_arg("at", at)?;
            let batch = py.detach(|| self.inner.assign_tiers(&inputs, at));
            wrap(py, "TieringBatch", json(&batch)?)
        })
    }

    fn __repr__(&self) -> String {
        format!("TieringPolicy(tiers={:?})", self.inner.tiers().names())
    }
}

/// What each tier gets: routing priority, SLA targets, compensation cap, retention offers;
/// never less than the baseline tier (checked when built).
#[pyclass(frozen, module = "crm_core")]
pub struct ServicePolicy {
    inner: p::ServicePolicy,
}

#[pymethods]
impl ServicePolicy {
    /// Builds a policy from its spec (`tiers`, `cap_period`, `per_tier`).
    #[new]
    fn new(spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(ServicePolicy {
                inner: core(p::ServicePolicy::new(decode(spec)?))?,
            })
        })
    }

    /// The SLA targets for a request of `kind` from a customer of `tier`, given the agreement's
    /// own targets (`{"response": ..., "resolution": ...}`, either may be absent).
    #[pyo3(signature = (tier, kind, agreement = None))]
    fn targets<'py>(
        &self,
        py: Python<'py>,
        tier: &str,
        kind: &str,
        agreement: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let own: p::SlaTargets = match agreement {
                Some(a) => decode(a)?,
                None => p::SlaTargets::default(),
            };
            let t = core(self.inner.targets(tier, kind, &own))?;
            wrap(py, "AppliedTargets", json(&t)?)
        })
    }

    /// The routing priority of a tier (higher is served first).
    fn routing_priority(&self, tier: &str) -> PyResult<u32> {
        guard(|| core(self.inner.routing_priority(tier)))
    }

    /// The compensation cap of a tier.
    fn compensation_cap<'py>(&self, py: Python<'py>, tier: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            wrap(
                py,
                "CompensationCap",
                json(&core(self.inner.compensation_cap(tier))?)?,
            )
        })
    }

    /// The retention offers of a tier.
    fn retention_offers(&self, tier: &str) -> PyResult<Vec<String>> {
        guard(|| core(self.inner.retention_offers(tier)).map(<[String]>::to_vec))
    }

    fn __repr__(&self) -> String {
        format!("ServicePolicy(tiers={:?})", self.inner.tiers().names())
    }
}

/// Decides what a complaint earns, the same way every time, within the tier's cap.
#[pyclass(frozen, module = "crm_core")]
pub struct CompensationPolicy {
    inner: p::CompensationPolicy,
}

#[pymethods]
impl CompensationPolicy {
    /// Builds a policy from its spec (`tiers`, `attributes`, `approvals`, `table`).
    #[new]
    fn new(spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(CompensationPolicy {
                inner: core(p::CompensationPolicy::new(decode(spec)?))?,
            })
        })
    }

    /// The offer for `complaint` from `customer` at `at`, reduced to what remains of `cap`
    /// after the compensation already `granted`, with approval, rule and reasons.
    fn decide<'py>(
        &self,
        py: Python<'py>,
        complaint: &Bound<'py, PyAny>,
        customer: &Bound<'py, PyAny>,
        granted: &Bound<'py, PyAny>,
        cap: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let complaint: p::Complaint = decode(complaint)?;
            let customer: p::CustomerFacts = decode(customer)?;
            let granted: Vec<p::CompensationGranted> = decode(granted)?;
            let cap: p::CompensationCap = decode(cap)?;
            let at = instant_arg("at", at)?;
            let d = core(self.inner.decide(&complaint, &customer, &granted, &cap, at))?;
            wrap(py, "CompensationDecision", json(&d)?)
        })
    }

    fn __repr__(&self) -> String {
        format!("CompensationPolicy(tiers={:?})", self.inner.tiers().names())
    }
}
