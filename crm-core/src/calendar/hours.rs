//! Working hours: wall-clock intervals, the weekly pattern and holidays.

use crate::error::{Error, Result};
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Seconds in a calendar day: the end of an interval that runs to midnight (`"24:00"`).
pub const SECONDS_PER_DAY: u32 = 86_400;

/// Parses `HH:MM` or `HH:MM:SS` (00:00 to 23:59:59, and `24:00` when `allow_24` is set) into
/// seconds since midnight.
pub(crate) fn parse_wall_time(text: &str, allow_24: bool) -> std::result::Result<u32, String> {
    let bad = || {
        format!(
            "{text:?} is not a wall-clock time HH:MM or HH:MM:SS{}",
            if allow_24 { " (24:00 allowed)" } else { "" }
        )
    };
    let mut parts = text.split(':');
    let mut field = |max: u32| -> std::result::Result<Option<u32>, String> {
        match parts.next() {
            None => Ok(None),
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                let v: u32 = p.parse().map_err(|_| bad())?;
                if v > max { Err(bad()) } else { Ok(Some(v)) }
            }
            Some(_) => Err(bad()),
        }
    };
    let h = field(24)?.ok_or_else(bad)?;
    let m = field(59)?.ok_or_else(bad)?;
    let s = field(59)?.unwrap_or(0);
    if parts.next().is_some() {
        return Err(bad());
    }
    let secs = h * 3600 + m * 60 + s;
    if h == 24 && (!allow_24 || secs != SECONDS_PER_DAY) {
        return Err(bad());
    }
    Ok(secs)
}

/// Formats seconds since midnight as `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
pub(crate) fn format_wall_time(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// A working interval of one day in local wall-clock time, `[start, end)`.
///
/// `start` is from `00:00` to `23:59:59`, `end` from just after `start` to `24:00` (the end of
/// the day, for intervals that run to midnight and for 24x7 calendars). Serializes as
/// `{"start":"09:00","end":"17:00"}`; seconds are optional (`"08:30:15"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "IntervalRepr", into = "IntervalRepr")]
pub struct WorkingInterval {
    start: u32,
    end: u32,
}

/// The JSON form of a [`WorkingInterval`], also used unvalidated while a calendar is checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IntervalRepr {
    pub(crate) start: String,
    pub(crate) end: String,
}

impl TryFrom<IntervalRepr> for WorkingInterval {
    type Error = Error;
    fn try_from(r: IntervalRepr) -> Result<Self> {
        WorkingInterval::parse(&r.start, &r.end)
    }
}

impl From<WorkingInterval> for IntervalRepr {
    fn from(i: WorkingInterval) -> Self {
        IntervalRepr {
            start: format_wall_time(i.start),
            end: format_wall_time(i.end),
        }
    }
}

impl WorkingInterval {
    /// The interval from `start` to `end`, both in seconds since local midnight;
    /// `start < end <= 86400` is required.
    pub fn from_secs(start: u32, end: u32) -> Result<Self> {
        if start >= end || end > SECONDS_PER_DAY {
            return Err(Error::validation(
                "working interval",
                format!("{}-{}", format_wall_time(start), format_wall_time(end)),
                "the start must be before the end, and the end at most 24:00",
            ));
        }
        Ok(WorkingInterval { start, end })
    }

    /// The interval from `start_h:start_m` to `end_h:end_m` (`end_h` may be 24 with
    /// `end_m` 0).
    pub fn from_hm(start_h: u32, start_m: u32, end_h: u32, end_m: u32) -> Result<Self> {
        if start_h > 23 || start_m > 59 || end_h > 24 || end_m > 59 {
            return Err(Error::validation(
                "working interval",
                format!("{start_h}:{start_m:02}-{end_h}:{end_m:02}"),
                "hours must be 0 to 23 (24 for an end at midnight), minutes 0 to 59",
            ));
        }
        Self::from_secs(start_h * 3600 + start_m * 60, end_h * 3600 + end_m * 60)
    }

    /// Parses wall-clock times `"HH:MM"` or `"HH:MM:SS"`; `end` may be `"24:00"`.
    pub fn parse(start: &str, end: &str) -> Result<Self> {
        let s = parse_wall_time(start, false)
            .map_err(|reason| Error::validation("working interval start", start, reason))?;
        let e = parse_wall_time(end, true)
            .map_err(|reason| Error::validation("working interval end", end, reason))?;
        Self::from_secs(s, e)
    }

    /// The start, in seconds since local midnight.
    pub fn start_secs(&self) -> u32 {
        self.start
    }

    /// The end, in seconds since local midnight (86400 for `24:00`).
    pub fn end_secs(&self) -> u32 {
        self.end
    }

    /// The nominal length in seconds (real time differs on a day the clocks change).
    pub fn len_secs(&self) -> u32 {
        self.end - self.start
    }
}

impl fmt::Display for WorkingInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            format_wall_time(self.start),
            format_wall_time(self.end)
        )
    }
}

/// Checks one day's intervals: sorts them and reports every overlap as a problem line.
pub(crate) fn check_day(what: &str, intervals: &mut [WorkingInterval], problems: &mut Vec<String>) {
    intervals.sort();
    for pair in intervals.windows(2) {
        if let [a, b] = pair
            && b.start < a.end
        {
            problems.push(format!("{what}: interval {b} overlaps interval {a}"));
        }
    }
}

/// The weekly pattern of working hours: for each weekday, its working intervals (none means
/// closed all day). Serializes as `{"monday":[{"start":"09:00","end":"17:00"}], ...}`; a
/// missing day is closed. Decoding sorts each day and refuses overlapping intervals; a week
/// built in code is checked when it becomes part of a [`crate::BusinessCalendar`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    try_from = "WeekRepr<WorkingInterval>",
    into = "WeekRepr<WorkingInterval>"
)]
pub struct WeeklyHours {
    days: [Vec<WorkingInterval>; 7],
}

/// The JSON form of [`WeeklyHours`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeekRepr<T> {
    #[serde(default = "Vec::new")]
    pub(crate) monday: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(crate) tuesday: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(crate) wednesday: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(crate) thursday: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(crate) friday: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(crate) saturday: Vec<T>,
    #[serde(default = "Vec::new")]
    pub(crate) sunday: Vec<T>,
}

impl<T> Default for WeekRepr<T> {
    fn default() -> Self {
        WeekRepr {
            monday: Vec::new(),
            tuesday: Vec::new(),
            wednesday: Vec::new(),
            thursday: Vec::new(),
            friday: Vec::new(),
            saturday: Vec::new(),
            sunday: Vec::new(),
        }
    }
}

impl<T> WeekRepr<T> {
    /// The seven days, Monday first.
    pub(crate) fn into_days(self) -> [Vec<T>; 7] {
        [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
    }

    /// Builds the form from seven days, Monday first.
    pub(crate) fn from_days(days: [Vec<T>; 7]) -> Self {
        let [
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        ] = days;
        WeekRepr {
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        }
    }
}

impl TryFrom<WeekRepr<WorkingInterval>> for WeeklyHours {
    type Error = Error;
    fn try_from(r: WeekRepr<WorkingInterval>) -> Result<Self> {
        let mut days = r.into_days();
        let mut problems = Vec::new();
        for (i, day) in days.iter_mut().enumerate() {
            let name = WEEKDAYS.get(i).map_or("day", |d| weekday_name(*d));
            check_day(name, day, &mut problems);
        }
        if !problems.is_empty() {
            return Err(Error::InvalidDefinition {
                what: "weekly hours".to_string(),
                problems,
            });
        }
        Ok(WeeklyHours { days })
    }
}

impl From<WeeklyHours> for WeekRepr<WorkingInterval> {
    fn from(w: WeeklyHours) -> Self {
        WeekRepr::from_days(w.days)
    }
}

/// The days of the week, Monday first, as stored in [`WeeklyHours`].
pub(crate) const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The English lower-case name of a weekday, as used in JSON and messages.
pub(crate) fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

impl WeeklyHours {
    /// A week closed every day (add intervals with [`WeeklyHours::set`] or
    /// [`WeeklyHours::with`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Monday to Friday with the same intervals, Saturday and Sunday closed.
    pub fn monday_to_friday(intervals: &[WorkingInterval]) -> Self {
        let mut w = Self::new();
        for day in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ] {
            w.set(day, intervals.to_vec());
        }
        w
    }

    /// Every day of the week with the same intervals.
    pub fn every_day(intervals: &[WorkingInterval]) -> Self {
        WeeklyHours {
            days: std::array::from_fn(|_| intervals.to_vec()),
        }
    }

    /// Replaces the intervals of `day` (validated when the calendar is built).
    pub fn set(&mut self, day: Weekday, intervals: Vec<WorkingInterval>) {
        if let Some(slot) = self.days.get_mut(day.num_days_from_monday() as usize) {
            *slot = intervals;
        }
    }

    /// This week with the intervals of `day` replaced.
    pub fn with(mut self, day: Weekday, intervals: Vec<WorkingInterval>) -> Self {
        self.set(day, intervals);
        self
    }

    /// The intervals of `day`, sorted once the week belongs to a calendar.
    pub fn get(&self, day: Weekday) -> &[WorkingInterval] {
        self.day_index(day.num_days_from_monday() as usize)
    }

    /// The intervals of the day `index` (0 = Monday).
    pub(crate) fn day_index(&self, index: usize) -> &[WorkingInterval] {
        self.days.get(index).map_or(&[], Vec::as_slice)
    }

    /// Mutable access to the seven days, Monday first.
    pub(crate) fn days_mut(&mut self) -> &mut [Vec<WorkingInterval>; 7] {
        &mut self.days
    }
}

/// A date on which the weekly hours do not apply: closed all day (`hours` empty) or open only
/// during its own `hours`.
///
/// Serializes as `{"date":"2026-12-24","name":"Christmas Eve","hours":[{"start":"09:00","end":"12:00"}]}`;
/// `hours` may be left out for a day closed throughout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    try_from = "HolidayRepr<WorkingInterval>",
    into = "HolidayRepr<WorkingInterval>"
)]
pub struct Holiday {
    pub(crate) date: NaiveDate,
    pub(crate) name: String,
    pub(crate) hours: Vec<WorkingInterval>,
}

/// The JSON form of a [`Holiday`]. The date stays a string and `T` is the raw interval form
/// while a whole calendar is checked, so that every bad value becomes one problem among others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HolidayRepr<T> {
    pub(crate) date: String,
    pub(crate) name: String,
    #[serde(default = "Vec::new")]
    pub(crate) hours: Vec<T>,
}

impl TryFrom<HolidayRepr<WorkingInterval>> for Holiday {
    type Error = Error;
    fn try_from(r: HolidayRepr<WorkingInterval>) -> Result<Self> {
        let date = parse_date(&r.date)
            .map_err(|reason| Error::validation("holiday date", &r.date, reason))?;
        Holiday::new(date, r.name, r.hours)
    }
}

impl From<Holiday> for HolidayRepr<WorkingInterval> {
    fn from(h: Holiday) -> Self {
        HolidayRepr {
            date: h.date.format("%Y-%m-%d").to_string(),
            name: h.name,
            hours: h.hours,
        }
    }
}

/// Parses an ISO date `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date YYYY-MM-DD"))
}

impl Holiday {
    /// A holiday closed all day.
    pub fn closed(date: NaiveDate, name: impl Into<String>) -> Result<Self> {
        Self::new(date, name, Vec::new())
    }

    /// A holiday open only during `hours` (sorted here; overlaps are an error); empty `hours`
    /// means closed all day.
    pub fn new(
        date: NaiveDate,
        name: impl Into<String>,
        mut hours: Vec<WorkingInterval>,
    ) -> Result<Self> {
        let name = name.into();
        let mut problems = Vec::new();
        check_holiday(date, &name, &mut hours, &mut problems);
        if !problems.is_empty() {
            return Err(Error::InvalidDefinition {
                what: format!("holiday {date}"),
                problems,
            });
        }
        Ok(Holiday { date, name, hours })
    }

    /// The date, in the calendar's time zone.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The name, e.g. `Christmas`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The working intervals of the day; empty when closed all day.
    pub fn hours(&self) -> &[WorkingInterval] {
        &self.hours
    }

    /// True when the day has no working time.
    pub fn is_closed(&self) -> bool {
        self.hours.is_empty()
    }
}

/// Checks a holiday's name and hours, sorting the hours.
pub(crate) fn check_holiday(
    date: NaiveDate,
    name: &str,
    hours: &mut [WorkingInterval],
    problems: &mut Vec<String>,
) {
    if name.trim().is_empty() {
        problems.push(format!("holiday {date}: the name must not be empty"));
    }
    check_day(&format!("holiday {date}"), hours, problems);
}
