//! `BusinessClock`: a business calendar held natively, for deadline arithmetic from Kotlin,
//! Java and Swift without an engine (add a business duration to an instant, the business time
//! between two instants, many adds in one call).
//!
//! The calendar is decoded once, when the clock is made; every call then converts only its
//! instants and durations. The arithmetic is crm-core's `BusinessCalendar::add` / `between`.

use crate::{BusinessDuration, CrmError, TimeRange, core, from_instant, guard, to_instant};
use crm_core::calendar::BusinessCalendar;
use std::sync::Arc;
use std::time::SystemTime;

/// A business calendar ready for deadline arithmetic: `add` a business duration to an
/// instant, the business time `between` two instants, `addMany` for a list of instants.
/// Immutable, so safe to share between threads; Kotlin callers close it (`use {}`), Swift
/// releases it automatically.
#[derive(Debug, uniffi::Object)]
pub struct BusinessClock {
    pub(crate) inner: BusinessCalendar,
}

/// The core's duration of a binding `BusinessDuration` (a negative one is a `Validation` error).
pub(crate) fn duration_to_core(
    d: BusinessDuration,
) -> Result<crm_core::BusinessDuration, CrmError> {
    core(crm_core::BusinessDuration::from_secs(d.seconds))
}

/// The core's ranges of binding `TimeRange`s, checked (an end before its start is a
/// `Validation` error naming `paused[i]`).
fn ranges_to_core(paused: &[TimeRange]) -> Result<Vec<crm_core::TimeRange>, CrmError> {
    paused
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let field = format!("paused[{i}]");
            core(crm_core::TimeRange::new(
                to_instant(&field, r.start)?,
                to_instant(&field, r.end)?,
            ))
        })
        .collect()
}

impl BusinessClock {
    /// A clock over an already decoded calendar.
    pub(crate) fn of(inner: BusinessCalendar) -> Arc<Self> {
        Arc::new(BusinessClock { inner })
    }
}

#[uniffi::export]
impl BusinessClock {
    /// A clock over `calendar`, a business calendar as JSON (the JSON contract form:
    /// `{"id", "zone", "week", "holidays"}`), read by the core's `BusinessCalendar::from_json`:
    /// JSON that does not decode is a `Json` error; content the core refuses (an unknown zone,
    /// overlapping hours) its own typed error.
    #[uniffi::constructor]
    pub fn new(calendar: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(BusinessClock::of(core(BusinessCalendar::from_json(
                &calendar,
            ))?))
        })
    }

    /// The calendar's id.
    pub fn id(&self) -> Result<String, CrmError> {
        guard(|| Ok(self.inner.id().to_string()))
    }

    /// The calendar's IANA time zone (`Europe/Berlin`).
    pub fn zone(&self) -> Result<String, CrmError> {
        guard(|| Ok(self.inner.zone().name().to_string()))
    }

    /// The calendar as a typed record.
    pub fn calendar(&self) -> Result<crate::records::BusinessCalendar, CrmError> {
        guard(|| crate::records::BusinessCalendar::from_core(&self.inner))
    }

    /// The calendar as JSON (the JSON contract form it was made from).
    pub fn to_json(&self) -> Result<String, CrmError> {
        guard(|| core(serde_json::to_string(&self.inner).map_err(crm_core::Error::from)))
    }

    /// The instant at which `duration` of business time has elapsed after `at`, not counting
    /// the `paused` ranges. A start outside working time counts from the next opening; a
    /// deadline that uses up a working interval exactly is its closing.
    #[uniffi::method(default(paused = []))]
    pub fn add(
        &self,
        at: SystemTime,
        duration: BusinessDuration,
        paused: Vec<TimeRange>,
    ) -> Result<SystemTime, CrmError> {
        guard(|| {
            let at = to_instant("at", at)?;
            let d = duration_to_core(duration)?;
            let paused = ranges_to_core(&paused)?;
            core(self.inner.add(at, d, &paused)).map(from_instant)
        })
    }

    /// The business time in `[start, end)`, not counting the `paused` ranges; an end before
    /// the start is a `Validation` error.
    #[uniffi::method(default(paused = []))]
    pub fn between(
        &self,
        start: SystemTime,
        end: SystemTime,
        paused: Vec<TimeRange>,
    ) -> Result<BusinessDuration, CrmError> {
        guard(|| {
            let a = to_instant("start", start)?;
            let b = to_instant("end", end)?;
            let paused = ranges_to_core(&paused)?;
            core(self.inner.between(a, b, &paused)).map(BusinessDuration::from)
        })
    }

    /// `add(at, duration, [])` for every instant, in order, in one call. An instant out of
    /// range is a `Validation` error naming its index (`instants[3]`); an add the core refuses
    /// throws its error; either way nothing is returned.
    pub fn add_many(
        &self,
        instants: Vec<SystemTime>,
        duration: BusinessDuration,
    ) -> Result<Vec<SystemTime>, CrmError> {
        guard(|| {
            let d = duration_to_core(duration)?;
            let ats = instants
                .iter()
                .enumerate()
                .map(|(i, at)| to_instant(&format!("instants[{i}]"), *at))
                .collect::<Result<Vec<_>, _>>()?;
            ats.into_iter()
                .map(|at| core(self.inner.add(at, d, &[])).map(from_instant))
                .collect()
        })
    }
}
