//! `crm_core.Crm`: the engine handle, its commands, events, replay and queries.
//!
//! The engine lives behind a `Mutex`; every call converts its arguments while holding the GIL,
//! releases the GIL (`Python::detach`) while the engine works, and converts the results after.
//! The entitlement checks, a few microseconds each, release it only for a batch or when another
//! thread holds the engine (see `check_entitlement`).
//! Commands, events and records cross as the JSON contract through [`crate::value`], and come
//! back as the typed records of `crm_core.records`: no core type is restated here.

use crate::value::{Field, Lazy, decode, decode_items, from_value, to_value};
use crate::{PyCrmError, guard, instant_arg};
use crm_core::engine::{CommandEnvelope, EventEnvelope, InMemoryStore};
use crm_core::entitlement::{DecisionOutcome, EntitlementDecision, EntitlementRequest};
use crm_core::ids::{
    AgreementId, CalendarId, CustomerId, DefinitionId, EntitlementId, InstanceId, InteractionId,
    PlanId, UsageId,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyModule};
use serde::Serialize;
use serde_json::Value;
use std::sync::Mutex;

mod request;

/// An entitlement request from Python: read in place when it has the common shape (see
/// [`request`]), else decoded the general way (the same value, or the same error).
fn entitlement_request(obj: &Bound<'_, PyAny>) -> PyResult<EntitlementRequest> {
    match request::entitlement_request(obj) {
        Some(r) => Ok(r),
        None => decode(obj),
    }
}

/// A list of entitlement requests, each read as [`entitlement_request`] reads one; when one
/// is not of the common shape, the whole list is decoded the general way
/// ([`decode_items`]), so that any error names the item as before.
fn entitlement_requests(obj: &Bound<'_, PyAny>) -> PyResult<Vec<EntitlementRequest>> {
    if let Ok(list) = obj.cast::<PyList>() {
        let mut out = Vec::with_capacity(list.len());
        for item in list.iter() {
            match request::entitlement_request(&item) {
                Some(r) => out.push(r),
                None => return decode_items(obj),
            }
        }
        return Ok(out);
    }
    decode_items(obj)
}

fn json<T: Serialize>(v: &T) -> crm_core::Result<Value> {
    serde_json::to_value(v).map_err(crm_core::Error::from)
}

fn json_all<'a, T: Serialize + 'a>(
    vs: impl IntoIterator<Item = &'a T>,
) -> crm_core::Result<Vec<Value>> {
    vs.into_iter().map(json).collect()
}

/// The record for a JSON value: `class_name` is a class of `crm_core.records`, or `Event`
/// (`crm_core.events.Event`).
pub(crate) fn wrap<'py>(
    py: Python<'py>,
    class_name: &str,
    v: Value,
) -> PyResult<Bound<'py, PyAny>> {
    wrap_lazy(py, class_name, Lazy::ready(v))
}

/// The record of `class_name` over a lazy value (see [`Lazy`]).
pub(crate) fn wrap_lazy<'py>(
    py: Python<'py>,
    class_name: &str,
    lazy: Lazy,
) -> PyResult<Bound<'py, PyAny>> {
    static RECORDS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    static EVENTS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let (cell, module) = if class_name == "Event" {
        (&EVENTS, "crm_core.events")
    } else {
        (&RECORDS, "crm_core.records")
    };
    let module = cell
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import(module)?.unbind()))?
        .bind(py);
    let raw = Bound::new(py, lazy)?;
    module
        .getattr(class_name)?
        .call_method1("_from_raw", (raw,))
}

fn wrap_all<'py>(
    py: Python<'py>,
    class_name: &str,
    vs: Vec<Value>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for v in vs {
        list.append(wrap(py, class_name, v)?)?;
    }
    Ok(list)
}

/// The smallest batch of `check_entitlements` that releases the GIL while the engine works:
/// below it, releasing and taking back the GIL costs more than the other threads gain.
const DETACH_BATCH: usize = 32;

/// The fields of an entitlement decision converted alone when Python reads them (the outcome
/// on every check; the reasons, which are most of a decision, only when read).
fn decision_field(d: &EntitlementDecision, key: &str) -> crm_core::Result<Field> {
    fn some<T: Serialize>(v: &Option<T>) -> crm_core::Result<Field> {
        match v {
            Some(v) => json(v).map(Field::Value),
            None => Ok(Field::Absent),
        }
    }
    match key {
        "outcome" => json(&d.outcome).map(Field::Value),
        "code" => Ok(Field::Value(Value::String(d.code.clone()))),
        "at" => json(&d.at).map(Field::Value),
        "quantity" => json(&d.quantity).map(Field::Value),
        "matched" => some(&d.matched),
        "remaining" => some(&d.remaining),
        "next_available" => some(&d.next_available),
        _ => Ok(Field::Whole),
    }
}

/// The JSON tag of an outcome (serde's `snake_case` name), without serializing it.
fn outcome_tag(outcome: DecisionOutcome) -> &'static str {
    match outcome {
        DecisionOutcome::Granted => "granted",
        DecisionOutcome::GrantedByException => "granted_by_exception",
        DecisionOutcome::Denied => "denied",
    }
}

/// A `crm_core.records.EntitlementDecision` over a decision: its `_from_raw` is looked up
/// once per process, the decision converts field by field as Python reads it, and the outcome,
/// which a host reads on every check, is in place from the start (the `DecisionOutcome`
/// member, as the record's first read of the field would have stored it).
fn decision_record(py: Python<'_>, d: EntitlementDecision) -> PyResult<Bound<'_, PyAny>> {
    static FROM_RAW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static OUTCOMES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let from_raw = FROM_RAW.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("crm_core.records")?
                .getattr("EntitlementDecision")?
                .getattr("_from_raw")?
                .unbind(),
        )
    })?;
    // tag -> member, e.g. "granted" -> DecisionOutcome.GRANTED
    let outcomes = OUTCOMES.get_or_try_init(py, || {
        let members = PyDict::new(py);
        for member in py
            .import("crm_core.enums")?
            .getattr("DecisionOutcome")?
            .try_iter()?
        {
            let member = member?;
            members.set_item(member.getattr("value")?, member)?;
        }
        Ok::<_, PyErr>(members.unbind())
    })?;
    let outcome = outcomes.bind(py).get_item(outcome_tag(d.outcome))?;
    let raw = Bound::new(py, Lazy::deferred_fields(d, decision_field))?;
    let record = from_raw.bind(py).call1((raw,))?;
    if let Some(outcome) = outcome {
        record
            .getattr(pyo3::intern!(py, "__dict__"))?
            .set_item(pyo3::intern!(py, "outcome"), outcome)?;
    }
    Ok(record)
}

/// The engine: commands in, events out, state as a fold over events. Safe to share between
/// threads (the engine is behind a lock; the GIL is released while it works).
#[pyclass(frozen, module = "crm_core")]
pub struct Crm {
    inner: Mutex<crm_core::Crm>,
}

impl Crm {
    /// Runs `f` on the engine without the GIL; a core error becomes its Python class.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut crm_core::Crm) -> crm_core::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut crm = self.inner.lock().map_err(|_| PyCrmError::poisoned())?;
            f(&mut crm).map_err(PyCrmError::Core)
        })
        .map_err(PyErr::from)
    }

    /// Runs `f`, a short read, on the engine keeping the GIL when the engine is free
    /// (releasing and taking back the GIL would cost more than `f`); when another thread holds
    /// the engine, releases the GIL and waits as [`Crm::with`] does.
    fn quick<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&crm_core::Crm) -> crm_core::Result<T> + Send,
    ) -> PyResult<T> {
        match self.inner.try_lock() {
            Ok(crm) => f(&crm).map_err(|e| PyCrmError::Core(e).into()),
            Err(std::sync::TryLockError::WouldBlock) => self.with(py, |crm| f(crm)),
            Err(std::sync::TryLockError::Poisoned(_)) => Err(PyCrmError::poisoned().into()),
        }
    }

    fn one<'py>(
        &self,
        py: Python<'py>,
        class_name: &str,
        f: impl FnOnce(&crm_core::Crm) -> crm_core::Result<Value> + Send,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.with(py, |crm| f(crm))?;
        wrap(py, class_name, v)
    }

    fn many<'py>(
        &self,
        py: Python<'py>,
        class_name: &str,
        f: impl FnOnce(&crm_core::Crm) -> crm_core::Result<Vec<Value>> + Send,
    ) -> PyResult<Bound<'py, PyList>> {
        let vs = self.with(py, |crm| f(crm))?;
        wrap_all(py, class_name, vs)
    }
}

#[pymethods]
impl Crm {
    /// An empty engine with an in-memory event store.
    #[new]
    fn new() -> Self {
        Crm {
            inner: Mutex::new(crm_core::Crm::new()),
        }
    }

    /// An engine over the SQLite event log at `path` (created when missing; opening an existing
    /// log replays it). Every command is one transaction: what returned is on disk.
    #[staticmethod]
    fn open(py: Python<'_>, path: &str) -> PyResult<Self> {
        guard(|| {
            let path = path.to_owned();
            let crm = py
                .detach(|| {
                    let store = crm_core::engine::SqliteStore::open(&path)?;
                    crm_core::Crm::open(Box::new(store))
                })
                .map_err(PyCrmError::Core)?;
            Ok(Crm {
                inner: Mutex::new(crm),
            })
        })
    }

    /// An engine rebuilt by replaying `events` (`Event` records, or their dicts, oldest first).
    #[staticmethod]
    fn replay(py: Python<'_>, events: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            let list: Vec<EventEnvelope> = decode(events)?;
            let crm = py
                .detach(|| {
                    let store = InMemoryStore::from_events(list)?;
                    crm_core::Crm::open(Box::new(store))
                })
                .map_err(PyCrmError::Core)?;
            Ok(Crm {
                inner: Mutex::new(crm),
            })
        })
    }

    /// Executes a command envelope given as JSON text and returns its events as JSON text.
    fn execute_json(&self, py: Python<'_>, envelope: &str) -> PyResult<String> {
        guard(|| self.with(py, |crm| crm.execute_json(envelope)))
    }

    /// Executes `command` (a `crm_core.commands` value or its dict) under `meta` and returns the
    /// events it produced. A failed command raises its `CrmError` and changes nothing.
    fn execute<'py>(
        &self,
        py: Python<'py>,
        meta: &Bound<'py, PyAny>,
        command: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let envelope = CommandEnvelope {
                meta: decode(meta)?,
                command: decode(command)?,
            };
            let events = self.with(py, |crm| json_all(&crm.execute(&envelope)?))?;
            wrap_all(py, "Event", events)
        })
    }

    /// Every event, oldest first.
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(|| self.many(py, "Event", |crm| json_all(&crm.events()?)))
    }

    /// Every event as the JSON contract's array.
    fn events_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| self.with(py, |crm| Ok(serde_json::to_string(&crm.events()?)?)))
    }

    /// The whole state as JSON: equal, byte for byte, for two engines with the same events.
    fn state_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| self.with(py, |crm| Ok(serde_json::to_string(crm.state())?)))
    }

    // -- parties, agreements, exceptions, commitments ------------------------------------------

    /// The customer with that id (`NotFoundError` otherwise).
    fn customer<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "Customer", |crm| {
                json(crm.customer(&CustomerId::new(id)?)?)
            })
        })
    }

    /// The agreement with that id, as it is now.
    fn agreement<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "Agreement", |crm| {
                json(crm.agreement(&AgreementId::new(id)?)?)
            })
        })
    }

    /// The agreement as it stood at `at` (an aware `datetime`).
    fn agreement_as_of<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "Agreement", |crm| {
                json(&crm.agreement_as_of(&AgreementId::new(id)?, at)?)
            })
        })
    }

    /// The agreements of a customer, in id order.
    fn agreements_of<'py>(&self, py: Python<'py>, customer: &str) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "Agreement", |crm| {
                json_all(crm.agreements_of(&CustomerId::new(customer)?)?)
            })
        })
    }

    /// The exceptions of `customer` covering `scope` (an `ExceptionScope` or its dict) of
    /// `agreement` (if given) at `at`.
    #[pyo3(signature = (customer, scope, at, agreement = None))]
    fn exceptions_covering<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        scope: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
        agreement: Option<&str>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let scope: crm_core::agreement::ExceptionScope = decode(scope)?;
            let at = instant_arg("at", at)?;
            self.many(py, "Exception", |crm| {
                let agreement = agreement.map(AgreementId::new).transpose()?;
                json_all(crm.exceptions_covering(
                    &CustomerId::new(customer)?,
                    agreement.as_ref(),
                    &scope,
                    at,
                )?)
            })
        })
    }

    /// The commitments made to a customer, in id order.
    fn commitments_of<'py>(&self, py: Python<'py>, customer: &str) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "Commitment", |crm| {
                json_all(crm.commitments_of(&CustomerId::new(customer)?)?)
            })
        })
    }

    /// Every open commitment past its due time at `at`, in id order.
    fn overdue_commitments<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.many(py, "Commitment", |crm| {
                json_all(crm.overdue_commitments(at))
            })
        })
    }

    // -- entitlements -----------------------------------------------------------------------

    /// Whether `request` (an `EntitlementRequest` or its dict) would be granted at `at`, with
    /// the reasons. Does not consume (send a `ConsumeEntitlement` command for that).
    ///
    /// A single check holds the GIL unless another thread is using the engine: releasing and
    /// taking back the GIL would cost more than the check.
    fn check_entitlement<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let request = entitlement_request(request)?;
            let at = instant_arg("at", at)?;
            let decision = self.quick(py, |crm| crm.check_entitlement(&request, at))?;
            decision_record(py, decision)
        })
    }

    /// Checks many requests at one instant; returns the decisions in the order of the
    /// requests. The GIL is released while the engine works when the batch has at least
    /// [`DETACH_BATCH`] requests or another thread holds the engine. A request the core refuses (an unknown customer ...) raises
    /// its error for the whole batch.
    fn check_entitlements<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let requests = entitlement_requests(requests)?;
            let at = instant_arg("at", at)?;
            let check_all = |crm: &crm_core::Crm| {
                requests
                    .iter()
                    .map(|r| crm.check_entitlement(r, at))
                    .collect::<crm_core::Result<Vec<_>>>()
            };
            let decisions = if requests.len() >= DETACH_BATCH {
                self.with(py, |crm| check_all(crm))?
            } else {
                self.quick(py, check_all)?
            };
            let mut records = Vec::with_capacity(decisions.len());
            for d in decisions {
                records.push(decision_record(py, d)?);
            }
            PyList::new(py, records)
        })
    }

    /// Whether `request` would be granted at `at`: the `outcome` of `check_entitlement`
    /// (granted within the entitlement or by an exception) as a `bool`, decided by the same
    /// core code without building the decision's reasons and figures. The same errors as
    /// `check_entitlement`. For hot paths that only need yes or no.
    fn is_entitled(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        guard(|| {
            let request = entitlement_request(request)?;
            let at = instant_arg("at", at)?;
            self.quick(py, |crm| crm.is_entitled(&request, at))
        })
    }

    /// `[is_entitled(r, at) for r in requests]` in one call, the GIL released as in
    /// `check_entitlements`; a request the core refuses raises its error for the whole batch.
    fn are_entitled(
        &self,
        py: Python<'_>,
        requests: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<bool>> {
        guard(|| {
            let requests = entitlement_requests(requests)?;
            let at = instant_arg("at", at)?;
            let check_all = |crm: &crm_core::Crm| {
                requests
                    .iter()
                    .map(|r| crm.is_entitled(r, at))
                    .collect::<crm_core::Result<Vec<bool>>>()
            };
            if requests.len() >= DETACH_BATCH {
                self.with(py, |crm| check_all(crm))
            } else {
                self.quick(py, check_all)
            }
        })
    }

    /// The response and resolution targets for a request of kind `code` and `priority`.
    fn service_level<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        code: &str,
        priority: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "ServiceLevelTargets", |crm| {
                json(&crm.service_level(&CustomerId::new(customer)?, code, priority, at)?)
            })
        })
    }

    /// Every entitlement of a customer as it stands at `at`, with what remains.
    #[pyo3(signature = (customer, at, standing = None))]
    fn entitlements_of<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
        standing: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let standing: Option<crm_core::entitlement::CustomerStanding> =
                standing.map(decode).transpose()?;
            let at = instant_arg("at", at)?;
            self.many(py, "EntitlementStatus", |crm| {
                json_all(&crm.entitlements_of(
                    &CustomerId::new(customer)?,
                    standing.as_ref(),
                    at,
                )?)
            })
        })
    }

    /// The usage record with that id.
    fn usage<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "UsageRecord", |crm| {
                json(&crm.usage(&UsageId::new(id)?)?)
            })
        })
    }

    /// Every use of an entitlement, oldest first, reversed ones included.
    fn usage_of<'py>(&self, py: Python<'py>, entitlement: &str) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "UsageRecord", |crm| {
                json_all(&crm.usage_of(&EntitlementId::new(entitlement)?)?)
            })
        })
    }

    // -- calendars and processes -------------------------------------------------------------

    /// The business calendar with that id.
    fn calendar<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "BusinessCalendar", |crm| {
                json(crm.calendar(&CalendarId::new(id)?)?)
            })
        })
    }

    /// The process definition with that id (host-registered, else built-in).
    fn process_definition<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "ProcessDefinition", |crm| {
                json(crm.process_definition(&DefinitionId::new(id)?)?)
            })
        })
    }

    /// The process definition that serves an interaction kind (`complaint` ...).
    fn classify_interaction<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "ProcessDefinition", |crm| {
                json(crm.classify_interaction(kind)?)
            })
        })
    }

    /// The process instance with that id.
    fn process_instance<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "ProcessInstance", |crm| {
                json(crm.process_instance(&InstanceId::new(id)?)?)
            })
        })
    }

    /// Where an instance stands at `at`: its step and its SLA clocks.
    fn process_status<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "InstanceStatus", |crm| {
                json(&crm.process_status(&InstanceId::new(id)?, at)?)
            })
        })
    }

    /// The process instance an interaction started, or `None`.
    fn process_of_interaction<'py>(
        &self,
        py: Python<'py>,
        interaction: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(|| {
            let found = self.with(py, |crm| {
                crm.process_of_interaction(&InteractionId::new(interaction)?)
                    .map(json)
                    .transpose()
            })?;
            found.map(|v| wrap(py, "ProcessInstance", v)).transpose()
        })
    }

    /// The process instances serving a customer, in id order.
    fn processes_of<'py>(&self, py: Python<'py>, customer: &str) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "ProcessInstance", |crm| {
                json_all(crm.processes_of(&CustomerId::new(customer)?)?)
            })
        })
    }

    /// Time per step, breaches, bottlenecks and workload over every instance of a definition.
    fn process_report<'py>(
        &self,
        py: Python<'py>,
        definition: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "ProcessReport", |crm| {
                json(&crm.process_report(&DefinitionId::new(definition)?)?)
            })
        })
    }

    // -- obligations, interactions, the 360 view, the audit, measures, policies -----------

    /// What the customer owes (negative: in credit).
    fn balance(&self, py: Python<'_>, customer: &str) -> PyResult<crate::Money> {
        guard(|| {
            let inner = self.with(py, |crm| crm.balance(&CustomerId::new(customer)?))?;
            Ok(crate::Money { inner })
        })
    }

    /// The statement of a customer's ledger for a scope (the customer when `None`).
    #[pyo3(signature = (customer, scope = None))]
    fn statement<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        scope: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let scope: crm_core::obligation::Scope =
                scope.map_or_else(|| Ok(Default::default()), decode)?;
            self.one(py, "Statement", |crm| {
                json(&crm.statement(&CustomerId::new(customer)?, &scope)?)
            })
        })
    }

    /// Overdue amounts by age on `as_of` (a `date`), after `grace_days`.
    #[pyo3(signature = (customer, as_of, grace_days = 0, scope = None))]
    fn aging<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        as_of: &Bound<'py, PyAny>,
        grace_days: u32,
        scope: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let as_of: chrono::NaiveDate = as_of.extract()?;
            let scope: crm_core::obligation::Scope =
                scope.map_or_else(|| Ok(Default::default()), decode)?;
            self.one(py, "AgingReport", |crm| {
                json(&crm.aging(&CustomerId::new(customer)?, as_of, grace_days, &scope)?)
            })
        })
    }

    /// "Has everything due from `from_` to `to` arrived?" as of `as_of` (all `date`s).
    #[pyo3(signature = (customer, from_, to, as_of, scope = None))]
    fn reconcile<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        scope: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let (from, to, as_of): (chrono::NaiveDate, chrono::NaiveDate, chrono::NaiveDate) =
                (from_.extract()?, to.extract()?, as_of.extract()?);
            let scope: crm_core::obligation::Scope =
                scope.map_or_else(|| Ok(Default::default()), decode)?;
            self.one(py, "Reconciliation", |crm| {
                json(&crm.reconcile(&CustomerId::new(customer)?, from, to, as_of, &scope)?)
            })
        })
    }

    /// The payment plans of a customer's agreements.
    fn payment_plans_of<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "PaymentPlan", |crm| {
                json_all(crm.payment_plans_of(&CustomerId::new(customer)?)?)
            })
        })
    }

    /// A copy of a customer's ledger (`None` while the customer owes and paid nothing): a
    /// `Ledger` to query offline; changing it does not change the engine.
    fn ledger(
        &self,
        py: Python<'_>,
        customer: &str,
    ) -> PyResult<Option<crate::obligation::Ledger>> {
        guard(|| {
            let found = self.with(py, |crm| {
                Ok(crm.ledger(&CustomerId::new(customer)?)?.cloned())
            })?;
            Ok(found.map(crate::obligation::Ledger::from_core))
        })
    }

    /// The collection policy registered under `name`.
    fn collection_policy<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "CollectionPolicy", |crm| {
                json(crm.collection_policy(name)?)
            })
        })
    }

    /// The customer's restricted lines with nothing past due any more at `at`: the host lifts
    /// them (`ChangeLineStatus` with `lift_restriction`).
    fn settled_restrictions<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.many(py, "SettledRestriction", |crm| {
                json_all(&crm.settled_restrictions(&CustomerId::new(customer)?, at)?)
            })
        })
    }

    /// The collection actions due at `at` for a customer under a registered policy.
    fn collection_actions<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        policy: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.many(py, "CollectionAction", |crm| {
                json_all(&crm.collection_actions(&CustomerId::new(customer)?, policy, at)?)
            })
        })
    }

    /// The collection actions of many customers (one list each, in order), GIL released.
    fn collection_actions_batch<'py>(
        &self,
        py: Python<'py>,
        customers: Vec<String>,
        policy: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            let all = self.with(py, |crm| {
                let ids = customers
                    .iter()
                    .map(CustomerId::new)
                    .collect::<crm_core::Result<Vec<_>>>()?;
                crm.collection_actions_batch(&ids, policy, at)?
                    .iter()
                    .map(json_all)
                    .collect::<crm_core::Result<Vec<_>>>()
            })?;
            let list = PyList::empty(py);
            for actions in all {
                list.append(wrap_all(py, "CollectionAction", actions)?)?;
            }
            Ok(list)
        })
    }

    /// The customer 360 view at `at`, with the last `last_n` interactions.
    #[pyo3(signature = (customer, at, last_n = 10))]
    fn customer_360<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
        last_n: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "Customer360", |crm| {
                json(&crm.customer_360(&CustomerId::new(customer)?, at, last_n)?)
            })
        })
    }

    /// The 360 views of many customers at `at`, in order, GIL released.
    #[pyo3(signature = (customers, at, last_n = 10))]
    fn customer_360_batch<'py>(
        &self,
        py: Python<'py>,
        customers: Vec<String>,
        at: &Bound<'py, PyAny>,
        last_n: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.many(py, "Customer360", |crm| {
                customers
                    .iter()
                    .map(|c| json(&crm.customer_360(&CustomerId::new(c.as_str())?, at, last_n)?))
                    .collect()
            })
        })
    }

    /// The consistency findings for a customer at `at`.
    fn audit<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.many(py, "Finding", |crm| {
                json_all(&crm.audit(&CustomerId::new(customer)?, at)?)
            })
        })
    }

    /// The interaction with that id.
    fn interaction<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "Interaction", |crm| {
                json(crm.interaction(&InteractionId::new(id)?)?)
            })
        })
    }

    /// The last `last_n` interactions of a customer, newest first.
    #[pyo3(signature = (customer, last_n = 10))]
    fn interactions_of<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        last_n: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "Interaction", |crm| {
                json_all(crm.interactions_of(&CustomerId::new(customer)?, last_n)?)
            })
        })
    }

    /// Service measures over `period` (a `TimeRange`), optionally filtered (channel, queue,
    /// performer).
    #[pyo3(signature = (period, filter = None))]
    fn service_measures<'py>(
        &self,
        py: Python<'py>,
        period: &Bound<'py, crate::TimeRange>,
        filter: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let period = period.get().inner;
            let filter: crm_core::measures::MeasureFilter =
                filter.map_or_else(|| Ok(Default::default()), decode)?;
            self.one(py, "ServiceMeasures", |crm| {
                json(&crm.service_measures(&period, &filter)?)
            })
        })
    }

    /// Broken and overdue commitments by responsible party at `at`.
    fn accountability<'py>(
        &self,
        py: Python<'py>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "AccountabilityReport", |crm| {
                json(&crm.accountability(at)?)
            })
        })
    }

    /// The customer's last tier change (`TierChange`: its tier, rule and reasons), or `None`.
    fn tier_of<'py>(&self, py: Python<'py>, customer: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        guard(|| {
            let found = self.with(py, |crm| {
                crm.tier_of(&CustomerId::new(customer)?)?
                    .map(json)
                    .transpose()
            })?;
            found.map(|v| wrap(py, "TierChange", v)).transpose()
        })
    }

    /// The customer's measures for tiering at `at` (value, potential, tenure, payment
    /// behaviour, churn risk), as the registered policies see them.
    fn customer_measures<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "CustomerMeasures", |crm| {
                json(&crm.customer_measures(&CustomerId::new(customer)?, at)?)
            })
        })
    }

    /// The tier the registered policy gives the customer at `at`, with the rule and reasons;
    /// nothing is recorded (the `AssignTiers` command records changes).
    fn assign_tier<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "TierDecision", |crm| {
                json(&crm.assign_tier(&CustomerId::new(customer)?, at)?)
            })
        })
    }

    /// Tiers many customers at `at` (an empty list: every customer), GIL released; nothing is
    /// recorded. A customer that cannot be tiered is listed in the failures.
    fn assign_tiers<'py>(
        &self,
        py: Python<'py>,
        customers: Vec<String>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "TieringBatch", |crm| {
                let ids = customers
                    .iter()
                    .map(CustomerId::new)
                    .collect::<crm_core::Result<Vec<_>>>()?;
                json(&crm.assign_tiers(&ids, at)?)
            })
        })
    }

    /// What the registered compensation policy offers for a complaint of the customer at
    /// `at`, under the tier's cap and what was granted; nothing is recorded.
    fn decide_compensation<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        complaint: &Bound<'py, PyAny>,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            let complaint: crm_core::policy::Complaint = decode(complaint)?;
            self.one(py, "CompensationDecision", |crm| {
                json(&crm.decide_compensation(&CustomerId::new(customer)?, &complaint, at)?)
            })
        })
    }

    /// The customer's standing at `at` (days overdue from the ledger, tier and tier order),
    /// as the entitlement check uses it when a request carries none.
    fn standing<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            self.one(py, "CustomerStanding", |crm| {
                json(&crm.standing(&CustomerId::new(customer)?, at)?)
            })
        })
    }

    /// The payment plan with that id.
    fn payment_plan<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            self.one(py, "PaymentPlan", |crm| {
                json(crm.payment_plan(&PlanId::new(id)?)?)
            })
        })
    }

    /// Reconciles `[from_, to]` as of `as_of` for every customer with a ledger and something
    /// due: `(customer, Reconciliation)` pairs in customer id order, GIL released.
    fn reconcile_all<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let (from, to, as_of): (chrono::NaiveDate, chrono::NaiveDate, chrono::NaiveDate) =
                (from_.extract()?, to.extract()?, as_of.extract()?);
            let all = self.with(py, |crm| {
                crm.reconcile_all(from, to, as_of)?
                    .into_iter()
                    .map(|(c, r)| Ok((c.to_string(), json(&r)?)))
                    .collect::<crm_core::Result<Vec<_>>>()
            })?;
            let list = PyList::empty(py);
            for (customer, r) in all {
                list.append((customer, wrap(py, "Reconciliation", r)?))?;
            }
            Ok(list)
        })
    }

    /// The version of an event stream (`customer/C-1`, `agreement/A-1`, `ledger/C-1` ...): the
    /// number of events it holds, 0 for none. A command whose `Meta.expected_version` differs
    /// from its target stream's version is a `VersionConflictError`.
    fn stream_version(&self, py: Python<'_>, stream: &str) -> PyResult<u64> {
        guard(|| self.with(py, |crm| Ok(crm.state().stream_version(stream))))
    }

    /// The compensation granted to a customer.
    fn compensations_of<'py>(
        &self,
        py: Python<'py>,
        customer: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            self.many(py, "CompensationGranted", |crm| {
                json_all(crm.compensations_of(&CustomerId::new(customer)?)?)
            })
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        let crm = self.inner.lock().map_err(|_| PyCrmError::poisoned())?;
        Ok(format!("Crm(events={})", crm.state().last_seq))
    }
}

/// Validates record data against its core type and returns the core's own JSON form of it
/// (defaults filled in, instants normalised). Used by `crm_core.records` constructors.
#[pyfunction]
pub fn _check_record<'py>(
    py: Python<'py>,
    type_name: &str,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let v = to_value(data)?;
        let checked = crate::registry::check(type_name, v).map_err(PyCrmError::Core)?;
        from_value(py, &checked)
    })
}

/// Data in the JSON contract's shape (records, Decimal, dates ... converted), as Python data.
#[pyfunction]
pub fn _json_data<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    guard(|| from_value(py, &to_value(data)?))
}

/// A process definition (its data) drawn as Mermaid (`"mermaid"`) or Graphviz DOT (`"dot"`).
#[pyfunction]
pub fn _render_definition(definition: &Bound<'_, PyAny>, format: &str) -> PyResult<String> {
    guard(|| {
        let def: crm_core::process::ProcessDefinition = decode(definition)?;
        match format {
            "mermaid" => Ok(def.to_mermaid()),
            "dot" => Ok(def.to_dot()),
            other => Err(PyCrmError::Core(crm_core::Error::validation(
                "format",
                other,
                "must be mermaid or dot",
            ))
            .into()),
        }
    })
}

/// The `CrmError` (its subclass for the kind) that error data in the JSON contract's shape
/// stands for, with the core's message: a batch reports failures as data, a host raises them.
#[pyfunction]
pub fn _error<'py>(py: Python<'py>, details: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let e: crm_core::Error = decode(details)?;
        Ok(PyErr::from(PyCrmError::Core(e))
            .into_value(py)
            .into_bound(py)
            .into_any())
    })
}

/// The tags of the core's `Command` or `Event` (see [`crate::registry::variant_tags`]).
#[pyfunction]
pub fn _variant_tags(name: &str) -> PyResult<Vec<String>> {
    guard(|| crate::registry::variant_tags(name).map_err(|e| PyCrmError::Core(e).into()))
}

#[cfg(test)]
mod outcome_tests {
    use super::*;

    #[test]
    fn outcome_tags_are_the_json_tags() {
        for o in [
            DecisionOutcome::Granted,
            DecisionOutcome::GrantedByException,
            DecisionOutcome::Denied,
        ] {
            assert_eq!(
                serde_json::to_value(o).ok(),
                Some(Value::String(outcome_tag(o).to_string()))
            );
        }
    }
}
