//! Where a window lies at one instant.

use super::Window;
use crate::Instant;
use crate::error::{Error, Result};
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A window placed at one instant: the uses counted are those at instants in `[from, to)`.
///
/// - rolling `d` days at `at`: `(at - d, at]`, i.e. `from = at - d + 1ns`, `to = at + 1ns`;
///   a use at `u` leaves the window at `u + d`;
/// - calendar month or year: from midnight at the start of the period in the window's zone up
///   to and including `at`; the period ends at `period_end` (midnight starting the next one);
/// - agreement term: from midnight UTC on the term's first day up to and including `at`; the
///   period ends at midnight UTC after the term's last day (`None` for an open-ended term).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpan {
    /// First instant counted.
    pub from: Instant,
    /// First instant no longer counted (just after the instant of the check).
    pub to: Instant,
    /// For calendar and term windows: when the period ends and a new one starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_end: Option<Instant>,
    /// For rolling windows: the length in days; a use frees this long after it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_days: Option<u32>,
}

fn overflow() -> Error {
    Error::overflow("entitlement window")
}

/// Midnight starting `date` in `zone`. Where a daylight-saving or offset change skips
/// midnight, the first instant of the day that exists (the end of the gap, found minute by
/// minute; gaps end on a whole minute); where it repeats midnight, the earlier one.
pub(crate) fn local_midnight(zone: Tz, date: NaiveDate) -> Result<Instant> {
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(overflow)?;
    for minute in 0..=24 * 60 {
        let local = midnight
            .checked_add_signed(Duration::minutes(minute))
            .ok_or_else(overflow)?;
        if let Some(t) = zone.from_local_datetime(&local).earliest() {
            return Ok(t.with_timezone(&chrono::Utc));
        }
    }
    Err(Error::validation(
        "window zone",
        zone.name(),
        format!("has no {date}"),
    ))
}

fn month_start(date: NaiveDate) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(date.year(), date.month(), 1).ok_or_else(overflow)
}

fn next_month_start(date: NaiveDate) -> Result<NaiveDate> {
    let (y, m) = if date.month() == 12 {
        (date.year().checked_add(1).ok_or_else(overflow)?, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(overflow)
}

impl Window {
    /// Places the window at `at`. `term` is the agreement's term (first day, last day), needed
    /// for [`Window::AgreementTerm`].
    pub fn span(&self, at: Instant, term: (NaiveDate, Option<NaiveDate>)) -> Result<WindowSpan> {
        let one_ns = Duration::nanoseconds(1);
        let to = at.checked_add_signed(one_ns).ok_or_else(overflow)?;
        match *self {
            Window::RollingDays { days } => {
                let from = at
                    .checked_sub_signed(Duration::days(i64::from(days)))
                    .and_then(|f| f.checked_add_signed(one_ns))
                    .ok_or_else(overflow)?;
                Ok(WindowSpan {
                    from,
                    to,
                    period_end: None,
                    rolling_days: Some(days),
                })
            }
            Window::CalendarMonth { zone } => {
                let local = at.with_timezone(&zone).date_naive();
                Ok(WindowSpan {
                    from: local_midnight(zone, month_start(local)?)?,
                    to,
                    period_end: Some(local_midnight(zone, next_month_start(local)?)?),
                    rolling_days: None,
                })
            }
            Window::CalendarYear { zone } => {
                let local = at.with_timezone(&zone).date_naive();
                let start = NaiveDate::from_ymd_opt(local.year(), 1, 1).ok_or_else(overflow)?;
                let next = local
                    .year()
                    .checked_add(1)
                    .and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1))
                    .ok_or_else(overflow)?;
                Ok(WindowSpan {
                    from: local_midnight(zone, start)?,
                    to,
                    period_end: Some(local_midnight(zone, next)?),
                    rolling_days: None,
                })
            }
            Window::AgreementTerm => {
                let (start, end) = term;
                let period_end = match end {
                    Some(e) => Some(local_midnight(Tz::UTC, e.succ_opt().ok_or_else(overflow)?)?),
                    None => None,
                };
                Ok(WindowSpan {
                    from: local_midnight(Tz::UTC, start)?,
                    to,
                    period_end,
                    rolling_days: None,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Calendar periods tile time: the instant lies in its period, and the period after
        /// starts exactly where this one ends, also in zones whose midnight a daylight-saving
        /// change skips (São Paulo, Havana, Beirut).
        #[test]
        fn calendar_periods_tile_time(
            secs in 0i64..4_102_444_800,
            zone in prop_oneof![
                Just(chrono_tz::UTC),
                Just(chrono_tz::Europe::Berlin),
                Just(chrono_tz::America::Sao_Paulo),
                Just(chrono_tz::America::Havana),
                Just(chrono_tz::Asia::Beirut),
                Just(chrono_tz::Pacific::Apia),
                Just(chrono_tz::Australia::Lord_Howe),
            ],
            year in any::<bool>(),
        ) {
            let at = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            let w = if year { Window::CalendarYear { zone } } else { Window::CalendarMonth { zone } };
            let term = (d("2026-01-01"), None);
            let s = w.span(at, term).unwrap();
            let end = s.period_end.unwrap();
            prop_assert!(s.from <= at && at < end && at < s.to);
            let next = w.span(end, term).unwrap();
            prop_assert_eq!(next.from, end);
            let last = w.span(end - Duration::nanoseconds(1), term).unwrap();
            prop_assert_eq!(last.from, s.from);
        }
    }

    fn t(s: &str) -> Instant {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn calendar_months_start_at_midnight_in_their_zone() {
        let w = Window::CalendarMonth {
            zone: chrono_tz::Europe::Berlin,
        };
        // 23:30 UTC on 31 January is already 1 February in Berlin
        let s = w
            .span(t("2026-01-31T23:30:00Z"), (d("2026-01-01"), None))
            .unwrap();
        assert_eq!(s.from, t("2026-01-31T23:00:00Z"));
        assert_eq!(s.period_end, Some(t("2026-02-28T23:00:00Z")));
        // December rolls into the next year; March ends in summer time
        let s = w
            .span(t("2026-12-15T00:00:00Z"), (d("2026-01-01"), None))
            .unwrap();
        assert_eq!(s.period_end, Some(t("2026-12-31T23:00:00Z")));
        let s = w
            .span(t("2026-03-15T00:00:00Z"), (d("2026-01-01"), None))
            .unwrap();
        assert_eq!(s.period_end, Some(t("2026-03-31T22:00:00Z")));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_end_of_the_gap() {
        // Lord Howe moved from +10:00 to +10:30 at local midnight on 1 March 1981
        let t0 = local_midnight(chrono_tz::Australia::Lord_Howe, d("1981-03-01")).unwrap();
        assert_eq!(t0, t("1981-02-28T14:00:00Z"));
        // Havana skips midnight when summer time starts (8 March 2026: 00:00 -> 01:00)
        let t1 = local_midnight(chrono_tz::America::Havana, d("2026-03-08")).unwrap();
        assert_eq!(t1, t("2026-03-08T05:00:00Z"));
    }

    #[test]
    fn rolling_windows_exclude_their_first_instant() {
        let w = Window::RollingDays { days: 365 };
        let s = w
            .span(t("2027-01-01T00:00:00Z"), (d("2026-01-01"), None))
            .unwrap();
        assert_eq!(s.from, t("2026-01-01T00:00:00.000000001Z"));
        assert_eq!(s.to, t("2027-01-01T00:00:00.000000001Z"));
    }

    #[test]
    fn zones_default_to_utc_and_unknown_zones_are_refused() {
        let w: Window = serde_json::from_str(r#"{"type":"calendar_year"}"#).unwrap();
        assert_eq!(w, Window::CalendarYear { zone: Tz::UTC });
        let w: Window =
            serde_json::from_str(r#"{"type":"calendar_month","zone":"Europe/Berlin"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"type":"calendar_month","zone":"Europe/Berlin"}"#
        );
        assert!(
            serde_json::from_str::<Window>(r#"{"type":"calendar_month","zone":"Mars/Base"}"#)
                .is_err()
        );
    }
}
