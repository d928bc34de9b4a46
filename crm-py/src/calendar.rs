//! `crm_core.BusinessClock`: a business calendar held natively, for deadline arithmetic from
//! Python without an engine (add a business duration, business time between two instants).
//!
//! The calendar is decoded once, when the clock is made; every call then converts only its
//! instants and durations. The arithmetic is crm-core's `BusinessCalendar::add` / `between`.

use crate::value::decode;
use crate::{PyCrmError, guard, instant_arg};
use crm_core::Instant;
use crm_core::calendar::{BusinessCalendar, TimeRange};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// The smallest batch of `add_many` that releases the GIL while the adds run.
const DETACH_BATCH: usize = 64;

/// A business calendar (`records.BusinessCalendar`, or its dict) ready for deadline
/// arithmetic: `add` a business duration to an instant, the business time `between` two
/// instants, `add_many` for a list of instants. Instants are aware datetimes (returned in UTC).
#[pyclass(frozen, module = "crm_core")]
pub struct BusinessClock {
    pub(crate) inner: BusinessCalendar,
}

/// A `BusinessDuration`, or its dict `{"seconds": n}`.
pub(crate) fn duration_arg(obj: &Bound<'_, PyAny>) -> PyResult<crm_core::BusinessDuration> {
    match obj.cast::<crate::BusinessDuration>() {
        Ok(d) => Ok(d.get().inner),
        Err(_) => decode(obj),
    }
}

/// The paused ranges: `None`, or a list of `TimeRange` (or their dicts).
fn paused_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<TimeRange>> {
    match obj {
        None => Ok(Vec::new()),
        Some(o) if o.is_none() => Ok(Vec::new()),
        Some(o) => decode(o),
    }
}

impl BusinessClock {
    /// The calendar of `obj`: a `BusinessClock`'s own, else `obj` decoded as a calendar.
    pub(crate) fn calendar_of(obj: &Bound<'_, PyAny>) -> PyResult<BusinessCalendar> {
        match obj.cast::<BusinessClock>() {
            Ok(clock) => Ok(clock.get().inner.clone()),
            Err(_) => decode(obj),
        }
    }
}

#[pymethods]
impl BusinessClock {
    /// `BusinessClock(calendar)` from a `records.BusinessCalendar` (or its dict, or another
    /// `BusinessClock`); a calendar the core refuses raises its `CrmError`.
    #[new]
    fn new(calendar: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(BusinessClock {
                inner: BusinessClock::calendar_of(calendar)?,
            })
        })
    }

    /// The calendar's id.
    #[getter]
    fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The calendar's IANA time zone (`Europe/Berlin`).
    #[getter]
    fn zone(&self) -> String {
        self.inner.zone().name().to_string()
    }

    /// The instant at which `duration` (a `BusinessDuration`) of business time has elapsed
    /// after `at`, not counting the `paused` ranges (`TimeRange`s). A start outside working
    /// time counts from the next opening; a deadline that uses up a working interval exactly
    /// is its closing. A naive `at` raises `ValidationError`.
    #[pyo3(signature = (at, duration, paused = None))]
    fn add(
        &self,
        at: &Bound<'_, PyAny>,
        duration: &Bound<'_, PyAny>,
        paused: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Instant> {
        guard(|| {
            let at = instant_arg("at", at)?;
            let d = duration_arg(duration)?;
            let paused = paused_arg(paused)?;
            self.inner
                .add(at, d, &paused)
                .map_err(|e| PyCrmError::Core(e).into())
        })
    }

    /// The business time in `[start, end)`, not counting the `paused` ranges; an end before
    /// the start raises `ValidationError`.
    #[pyo3(signature = (start, end, paused = None))]
    fn between(
        &self,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        paused: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<crate::BusinessDuration> {
        guard(|| {
            let a = instant_arg("start", start)?;
            let b = instant_arg("end", end)?;
            let paused = paused_arg(paused)?;
            let inner = self
                .inner
                .between(a, b, &paused)
                .map_err(PyCrmError::Core)?;
            Ok(crate::BusinessDuration { inner })
        })
    }

    /// `[add(at, duration) for at in instants]` in one call, the GIL released while the adds
    /// run (for 64 instants or more). A naive instant raises `ValidationError` naming its
    /// index (`instants[3]`); an add the core refuses raises its error; either way nothing is
    /// returned.
    fn add_many<'py>(
        &self,
        py: Python<'py>,
        instants: &Bound<'py, PyAny>,
        duration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(|| {
            let d = duration_arg(duration)?;
            let mut ats = Vec::with_capacity(instants.len().unwrap_or(0));
            for (i, at) in instants.try_iter()?.enumerate() {
                ats.push(instant_arg(&format!("instants[{i}]"), &at?)?);
            }
            let calendar = &self.inner;
            let add_all = || {
                ats.iter()
                    .map(|at| calendar.add(*at, d, &[]))
                    .collect::<crm_core::Result<Vec<Instant>>>()
            };
            let out = if ats.len() >= DETACH_BATCH {
                py.detach(add_all)
            } else {
                add_all()
            }
            .map_err(PyCrmError::Core)?;
            PyList::new(py, out)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "BusinessClock(id={:?}, zone={:?})",
            self.inner.id().to_string(),
            self.inner.zone().name()
        )
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let data = crate::value::from_value(
            py,
            &serde_json::to_value(&self.inner).map_err(|e| PyCrmError::Core(e.into()))?,
        )?;
        PyTuple::new(
            py,
            [
                py.get_type::<Self>().into_any(),
                PyTuple::new(py, [data])?.into_any(),
            ],
        )
    }
}
