//! `crm_core.ProcessRunner`: one process instance run in memory, without the engine's log.
//!
//! The definition and the calendar are decoded once; an advance converts its outcome,
//! instant and performer and calls crm-core's `ProcessInstance::advance`, which checks the
//! move, measures the business time spent in the step and records the move. Nothing is
//! appended to an event log: a host that needs the record of a process uses `Crm.execute`
//! (`StartProcess`, `AdvanceProcess`); a host that only steps a definition uses this.

use crate::calendar::BusinessClock;
use crate::engine::wrap;
use crate::value::decode;
use crate::{PyCrmError, core, guard, instant_arg, json};
use crm_core::calendar::BusinessCalendar;
use crm_core::ids::{AgreementId, CustomerId, InstanceId};
use crm_core::process::{
    InstanceData, NewInstance, Performer, ProcessDefinition, ProcessInstance, SlaTargets,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

/// How many performer records a runner remembers (a process has a handful of performers).
const REMEMBERED_PERFORMERS: usize = 8;

/// One instance of a process definition, run in memory: `advance(outcome, at, performer)`
/// takes an outcome from the current step, as `Crm.execute(AdvanceProcess)` would, and
/// returns the id of the step entered. A refused advance raises its `CrmError`
/// (`InvalidTransitionError` for an outcome that does not leave the step, `ValidationError`
/// for a naive or earlier instant or the wrong performer) and leaves the instance unchanged.
/// Not shared between threads: one runner per instance.
#[pyclass(module = "crm_core")]
pub struct ProcessRunner {
    definition: ProcessDefinition,
    calendar: BusinessCalendar,
    instance: ProcessInstance,
    /// The last few performer records converted, with the records they came from (kept
    /// alive, so an identity stays theirs): a host passing the same immutable record again
    /// skips the conversion.
    performers: Vec<(Py<PyAny>, Performer)>,
}

impl ProcessRunner {
    /// The performer of `obj`: a remembered one when `obj` is that same record, else decoded.
    fn performer(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<Performer> {
        if let Some((_, performer)) = self
            .performers
            .iter()
            .find(|(o, _)| o.bind(obj.py()).is(obj))
        {
            return Ok(performer.clone());
        }
        let performer: Performer = decode(obj)?;
        // only a record is immutable; a dict may change between calls
        if is_record(obj)? {
            if self.performers.len() >= REMEMBERED_PERFORMERS {
                self.performers.remove(0);
            }
            self.performers
                .push((obj.clone().unbind(), performer.clone()));
        }
        Ok(performer)
    }

    fn step_id(&self) -> PyResult<&str> {
        self.instance
            .current_step_in(&self.definition)
            .map(|s| s.id.as_str())
            .ok_or_else(|| {
                PyCrmError::Internal("the current step is not in the definition".into()).into()
            })
    }
}

fn is_record(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    static RECORD: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> = pyo3::sync::PyOnceLock::new();
    obj.is_instance(RECORD.import(obj.py(), "crm_core.records", "Record")?)
}

#[pymethods]
impl ProcessRunner {
    /// Starts instance `instance` of `definition` (a `records.ProcessDefinition` or its dict)
    /// for `customer` at `at`, its deadlines measured on `calendar` (a `BusinessClock`, or a
    /// `records.BusinessCalendar` or its dict). `data` is the initial data guards read;
    /// `sla` the `SlaTargets` (the definition's own targets when `None`).
    #[new]
    #[pyo3(signature = (definition, calendar, instance, customer, at, agreement = None, data = None, sla = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        definition: &Bound<'_, PyAny>,
        calendar: &Bound<'_, PyAny>,
        instance: &str,
        customer: &str,
        at: &Bound<'_, PyAny>,
        agreement: Option<&str>,
        data: Option<&Bound<'_, PyAny>>,
        sla: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(|| {
            let definition: ProcessDefinition = decode(definition)?;
            let calendar = BusinessClock::calendar_of(calendar)?;
            let at = instant_arg("at", at)?;
            let data: InstanceData = match data {
                Some(d) if !d.is_none() => decode(d)?,
                _ => InstanceData::default(),
            };
            let sla = match sla {
                Some(s) if !s.is_none() => decode(s)?,
                _ => SlaTargets::from_definition(&definition),
            };
            let new = NewInstance {
                id: core(InstanceId::new(instance))?,
                customer: core(CustomerId::new(customer))?,
                agreement: core(agreement.map(AgreementId::new).transpose())?,
                calendar: calendar.id().clone(),
                at,
                data,
                sla,
            };
            let instance = core(ProcessInstance::start(&definition, new))?;
            Ok(ProcessRunner {
                definition,
                calendar,
                instance,
                performers: Vec::new(),
            })
        })
    }

    /// Takes `outcome` from the current step at `at` (an aware datetime), performed by
    /// `performer` (a `records.Performer` or its dict), after setting `data`; records the
    /// move and returns the id of the step entered.
    #[pyo3(signature = (outcome, at, performer, data = None))]
    fn advance<'py>(
        &mut self,
        py: Python<'py>,
        outcome: &str,
        at: &Bound<'py, PyAny>,
        performer: &Bound<'py, PyAny>,
        data: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyString>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            let performer = self.performer(performer)?;
            let data: InstanceData = match data {
                Some(d) if !d.is_none() => decode(d)?,
                _ => InstanceData::default(),
            };
            core(self.instance.advance(
                &self.definition,
                &self.calendar,
                outcome,
                at,
                &performer,
                &data,
            ))?;
            Ok(PyString::new(py, self.step_id()?))
        })
    }

    /// The id of the current step (the end step once ended).
    #[getter]
    fn step(&self) -> PyResult<String> {
        guard(|| Ok(self.step_id()?.to_string()))
    }

    /// True once the instance reached an end step.
    #[getter]
    fn ended(&self) -> bool {
        self.instance.is_ended()
    }

    /// The number of moves made.
    #[getter]
    fn move_count(&self) -> usize {
        self.instance.moves().len()
    }

    /// The outcomes that leave the current step (none once ended).
    fn available_outcomes(&self) -> Vec<String> {
        self.instance
            .available_outcomes(&self.definition)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The instance as it stands: a `records.ProcessInstance` (its moves included).
    fn instance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| wrap(py, "ProcessInstance", json(&self.instance)?))
    }

    /// The instance's status at `at`: a `records.InstanceStatus` with its step and
    /// resolution clocks on the runner's calendar.
    fn status<'py>(&self, py: Python<'py>, at: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let at = instant_arg("at", at)?;
            let status = core(self.instance.status(&self.definition, &self.calendar, at))?;
            wrap(py, "InstanceStatus", json(&status)?)
        })
    }

    /// The moves made, oldest first, as readable dicts (`from`, `to`, `outcome`,
    /// `performer`, `at`, `entered_at`, `business_time` ...).
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let views = core(self.instance.history(&self.definition))?;
            let list = PyList::empty(py);
            for v in views {
                list.append(crate::value::from_value(py, &json(&v)?)?)?;
            }
            Ok(list)
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!(
            "ProcessRunner(instance={:?}, definition={:?}, step={:?}, moves={})",
            self.instance.id().to_string(),
            self.definition.id().to_string(),
            self.step_id()?,
            self.instance.moves().len()
        ))
    }
}
