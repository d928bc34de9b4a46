//! Business time: durations that count only working time, and the business calendar that
//! measures them.
//!
//! A [`BusinessCalendar`] has an IANA time zone, [`WeeklyHours`] made of [`WorkingInterval`]s
//! (local wall-clock times, several per day, up to `24:00`) and [`Holiday`]s (closed all day
//! or open during their own hours). It adds a [`BusinessDuration`] to an instant and measures
//! the business time between two instants, minus paused [`TimeRange`]s, correctly across
//! daylight-saving changes and without walking minute by minute. See `docs/calendar.md`.

mod business;
mod hours;
mod zone;

pub use business::BusinessCalendar;
pub use hours::{Holiday, SECONDS_PER_DAY, WeeklyHours, WorkingInterval};

use crate::Instant;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A span of business (working) time, in whole seconds, never negative.
///
/// Serializes as a whole number of seconds: `{"seconds": 14400}` is four business hours.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "DurationRepr", into = "DurationRepr")]
pub struct BusinessDuration {
    seconds: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DurationRepr {
    seconds: i64,
}

impl TryFrom<DurationRepr> for BusinessDuration {
    type Error = Error;
    fn try_from(r: DurationRepr) -> Result<Self> {
        BusinessDuration::from_secs(r.seconds)
    }
}

impl From<BusinessDuration> for DurationRepr {
    fn from(d: BusinessDuration) -> Self {
        DurationRepr { seconds: d.seconds }
    }
}

/// The longest business duration accepted: 1,000 years of seconds.
pub const MAX_BUSINESS_SECONDS: i64 = 1_000 * 366 * 24 * 3600;

impl BusinessDuration {
    /// No business time.
    pub const ZERO: BusinessDuration = BusinessDuration { seconds: 0 };

    /// A duration of `seconds` business seconds (0 to [`MAX_BUSINESS_SECONDS`]).
    pub fn from_secs(seconds: i64) -> Result<Self> {
        if !(0..=MAX_BUSINESS_SECONDS).contains(&seconds) {
            return Err(Error::validation(
                "business duration",
                seconds,
                format!("must be between 0 and {MAX_BUSINESS_SECONDS} seconds"),
            ));
        }
        Ok(BusinessDuration { seconds })
    }

    /// A duration of `minutes` business minutes.
    pub fn from_minutes(minutes: i64) -> Result<Self> {
        let s = minutes
            .checked_mul(60)
            .ok_or_else(|| Error::validation("business duration", minutes, "too many minutes"))?;
        Self::from_secs(s)
    }

    /// A duration of `hours` business hours.
    pub fn from_hours(hours: i64) -> Result<Self> {
        let s = hours
            .checked_mul(3600)
            .ok_or_else(|| Error::validation("business duration", hours, "too many hours"))?;
        Self::from_secs(s)
    }

    /// The duration in whole seconds.
    pub fn as_secs(&self) -> i64 {
        self.seconds
    }

    /// The sum of two durations, or an error past [`MAX_BUSINESS_SECONDS`].
    pub fn checked_add(&self, other: BusinessDuration) -> Result<Self> {
        Self::from_secs(self.seconds.saturating_add(other.seconds))
    }

    /// `self - other`, or zero when `other` is longer.
    pub fn saturating_sub(&self, other: BusinessDuration) -> Self {
        BusinessDuration {
            seconds: (self.seconds - other.seconds).max(0),
        }
    }
}

impl fmt::Display for BusinessDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, rem) = (self.seconds / 3600, self.seconds % 3600);
        let (m, s) = (rem / 60, rem % 60);
        match (h, m, s) {
            (h, 0, 0) => write!(f, "{h}h"),
            (h, m, 0) => write!(f, "{h}h{m:02}m"),
            (h, m, s) => write!(f, "{h}h{m:02}m{s:02}s"),
        }
    }
}

/// A half-open range of instants `[start, end)`, e.g. a time the SLA clock is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RangeRepr", into = "RangeRepr")]
pub struct TimeRange {
    start: Instant,
    end: Instant,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeRepr {
    start: Instant,
    end: Instant,
}

impl TryFrom<RangeRepr> for TimeRange {
    type Error = Error;
    fn try_from(r: RangeRepr) -> Result<Self> {
        TimeRange::new(r.start, r.end)
    }
}

impl From<TimeRange> for RangeRepr {
    fn from(r: TimeRange) -> Self {
        RangeRepr {
            start: r.start,
            end: r.end,
        }
    }
}

impl TimeRange {
    /// The range `[start, end)`; `end` before `start` is an error.
    pub fn new(start: Instant, end: Instant) -> Result<Self> {
        if end < start {
            return Err(Error::validation(
                "time range",
                format!("{start} .. {end}"),
                "the end is before the start",
            ));
        }
        Ok(TimeRange { start, end })
    }

    /// The first instant in the range.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The first instant after the range.
    pub fn end(&self) -> Instant {
        self.end
    }

    /// True when `at` lies in `[start, end)`.
    pub fn contains(&self, at: Instant) -> bool {
        self.start <= at && at < self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_validated_and_display_readably() {
        assert_eq!(BusinessDuration::from_hours(4).unwrap().as_secs(), 14_400);
        assert_eq!(
            BusinessDuration::from_minutes(90).unwrap().to_string(),
            "1h30m"
        );
        assert!(BusinessDuration::from_secs(-1).is_err());
        assert!(BusinessDuration::from_hours(i64::MAX).is_err());
        let json = serde_json::to_string(&BusinessDuration::from_hours(1).unwrap()).unwrap();
        assert_eq!(json, r#"{"seconds":3600}"#);
        assert!(serde_json::from_str::<BusinessDuration>(r#"{"seconds":-5}"#).is_err());
    }

    #[test]
    fn ranges_refuse_an_end_before_the_start() {
        let a: Instant = "2026-01-01T10:00:00Z".parse().unwrap();
        let b: Instant = "2026-01-01T11:00:00Z".parse().unwrap();
        assert!(TimeRange::new(b, a).is_err());
        let r = TimeRange::new(a, b).unwrap();
        assert!(r.contains(a) && !r.contains(b));
    }
}
