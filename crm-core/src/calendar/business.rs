//! The business calendar and its arithmetic.

use super::hours::{
    HolidayRepr, IntervalRepr, WEEKDAYS, WeekRepr, check_day, check_holiday, parse_date,
    parse_wall_time, weekday_name,
};
use super::zone::ZoneTable;
use super::{BusinessDuration, Holiday, TimeRange, WeeklyHours, WorkingInterval};
use crate::error::{Error, Result};
use crate::{CalendarId, Instant};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

const DAY: i64 = 86_400;

/// A business calendar: an IANA time zone, weekly working hours and holidays.
///
/// Working intervals are local wall-clock times in the calendar's zone. Business time is the
/// set of instants inside them, measured in whole seconds. Build one with
/// [`BusinessCalendar::new`] or from JSON:
///
/// ```json
/// {"id":"support","zone":"Europe/Berlin",
///  "week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}]},
///  "holidays":[{"date":"2026-12-25","name":"Christmas","hours":[]}]}
/// ```
///
/// ```
/// use crm_core::{BusinessCalendar, BusinessDuration, CalendarId, Instant, WeeklyHours, WorkingInterval};
///
/// let office = BusinessCalendar::new(
///     CalendarId::new("support")?,
///     "Europe/Berlin",
///     WeeklyHours::monday_to_friday(&[WorkingInterval::parse("09:00", "17:00")?]),
///     vec![],
/// )?;
/// // Friday 2026-11-20 15:00 in Berlin (14:00 UTC) + 4 business hours: Monday 11:00.
/// let friday: Instant = "2026-11-20T14:00:00Z".parse().unwrap();
/// let due = office.add(friday, BusinessDuration::from_hours(4)?, &[])?;
/// assert_eq!(due.to_rfc3339(), "2026-11-23T10:00:00+00:00");
/// assert_eq!(office.between(friday, due, &[])?, BusinessDuration::from_hours(4)?);
/// # Ok::<(), crm_core::Error>(())
/// ```
///
/// # Rules
///
/// * **Clock changes.** A wall-clock time that does not exist (in the gap when the clocks go
///   forward) stands for the instant the clocks jump; a wall-clock time that occurs twice (in
///   the fold when the clocks go back) stands for the earlier of its two instants. So an
///   interval spanning the gap is shorter in real time (09:00-17:00 is still 8 hours, but
///   01:00-05:00 in Berlin on 2026-03-29 is 3 hours), an interval spanning the fold is longer
///   (01:00-05:00 on 2026-10-25 is 5 hours), and an interval inside the gap is empty.
///   The first instant of a local date ([`BusinessCalendar::start_of_day`]) follows the same
///   rule, so it is correct when midnight falls in a gap.
/// * **Whole seconds.** Business time counts whole seconds: the start of a measured range is
///   rounded up to the whole second, its end rounded down; a pause is widened to the whole
///   seconds it touches.
/// * **Zero duration.** [`BusinessCalendar::add`] returns the earliest instant at which the
///   duration has elapsed, so `add(at, 0)` is `at` (rounded up to the whole second) and a
///   deadline lands at the end of a working interval rather than the start of the next one:
///   Friday 15:00 + 2 hours on a 09:00-17:00 calendar is Friday 17:00. For every `at` and `d`,
///   `between(at, add(at, d)) == d`.
/// * **Order.** [`BusinessCalendar::between`] with `b` before `a` is a validation error.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "CalendarRepr", into = "CalendarRepr")]
pub struct BusinessCalendar {
    id: CalendarId,
    zone: Tz,
    week: WeeklyHours,
    /// Sorted by date, one per date.
    holidays: Vec<Holiday>,
    /// The holidays' dates as days since 1970-01-01, same order.
    holiday_days: Vec<i64>,
    /// Business seconds of a week without holidays and clock changes.
    week_secs: i64,
    /// `runs[w][j]`: business seconds of `j` plain days in a row starting on weekday `w`
    /// (0 = Monday), for `j` from 0 to 7.
    runs: [[i64; 8]; 7],
    /// Derived from `zone`; shared so that clones stay cheap.
    table: Arc<ZoneTable>,
}

/// Two calendars are equal when their definitions are (the derived tables follow).
impl PartialEq for BusinessCalendar {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.zone == other.zone
            && self.week == other.week
            && self.holidays == other.holidays
    }
}

impl Eq for BusinessCalendar {}

impl fmt::Debug for BusinessCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusinessCalendar")
            .field("id", &self.id)
            .field("zone", &self.zone)
            .field("week", &self.week)
            .field("holidays", &self.holidays)
            .finish_non_exhaustive()
    }
}

/// The JSON form of a calendar, unvalidated, so that every problem can be reported at once.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarRepr {
    id: String,
    zone: String,
    week: WeekRepr<IntervalRepr>,
    #[serde(default)]
    holidays: Vec<HolidayRepr<IntervalRepr>>,
}

impl TryFrom<CalendarRepr> for BusinessCalendar {
    type Error = Error;
    fn try_from(r: CalendarRepr) -> Result<Self> {
        let id = CalendarId::new(r.id)?;
        let zone = parse_zone(&r.zone)?;
        let mut problems = Vec::new();
        let mut week = WeeklyHours::new();
        for (day, raw) in WEEKDAYS.iter().zip(r.week.into_days()) {
            let what = weekday_name(*day);
            week.set(*day, parse_intervals(what, raw, &mut problems));
        }
        let mut holidays = Vec::new();
        for raw in r.holidays {
            let hours =
                parse_intervals(&format!("holiday {:?}", raw.date), raw.hours, &mut problems);
            match parse_date(&raw.date) {
                Ok(date) => holidays.push(Holiday {
                    date,
                    name: raw.name,
                    hours,
                }),
                Err(reason) => problems.push(format!("holiday {:?}: {reason}", raw.name)),
            }
        }
        Self::build(id, zone, week, holidays, problems)
    }
}

impl From<BusinessCalendar> for CalendarRepr {
    fn from(c: BusinessCalendar) -> Self {
        let days = std::array::from_fn(|i| {
            c.week
                .day_index(i)
                .iter()
                .map(|iv| IntervalRepr::from(*iv))
                .collect()
        });
        CalendarRepr {
            id: c.id.as_str().to_string(),
            zone: c.zone.name().to_string(),
            week: WeekRepr::from_days(days),
            holidays: c
                .holidays
                .into_iter()
                .map(|h| {
                    let h = HolidayRepr::<WorkingInterval>::from(h);
                    HolidayRepr {
                        date: h.date,
                        name: h.name,
                        hours: h.hours.into_iter().map(IntervalRepr::from).collect(),
                    }
                })
                .collect(),
        }
    }
}

/// Parses raw intervals, recording a problem for each bad one.
fn parse_intervals(
    what: &str,
    raw: Vec<IntervalRepr>,
    problems: &mut Vec<String>,
) -> Vec<WorkingInterval> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let n = i + 1;
        let start = parse_wall_time(&r.start, false);
        let end = parse_wall_time(&r.end, true);
        match (start, end) {
            (Ok(s), Ok(e)) => match WorkingInterval::from_secs(s, e) {
                Ok(iv) => out.push(iv),
                Err(_) => problems.push(format!(
                    "{what}: interval {n} ({}-{}): the start must be before the end",
                    r.start, r.end
                )),
            },
            (s, e) => {
                for reason in [s.err(), e.err()].into_iter().flatten() {
                    problems.push(format!("{what}: interval {n}: {reason}"));
                }
            }
        }
    }
    out
}

/// Looks up an IANA time zone name such as `Europe/Berlin`.
fn parse_zone(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        Error::validation(
            "time zone",
            name,
            "not a known IANA time zone name (e.g. Europe/Berlin)",
        )
    })
}

/// Round an instant down to its whole second.
fn floor_secs(at: Instant) -> i64 {
    at.timestamp()
}

/// Round an instant up to its whole second.
fn ceil_secs(at: Instant) -> i64 {
    let s = at.timestamp();
    if at.timestamp_subsec_nanos() > 0 {
        s.saturating_add(1)
    } else {
        s
    }
}

/// The instant of a whole UTC second, or an overflow error outside chrono's range.
fn to_instant(secs: i64) -> Result<Instant> {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .ok_or_else(|| Error::overflow("business calendar: instant beyond the supported range"))
}

/// The weekday index (0 = Monday) of a day counted from 1970-01-01 (a Thursday).
fn weekday_index(day: i64) -> usize {
    // rem_euclid(7) is 0..=6, so the cast is lossless.
    (day + 3).rem_euclid(7) as usize
}

/// The last second chrono can represent: `DateTime::<Utc>::MAX_UTC.timestamp()`
/// (the end of year 262142), checked by a test.
const MAX_SECS: i64 = 8_210_266_876_799;

/// The last day (since 1970-01-01) the arithmetic may reach before reporting an overflow.
const MAX_DAY: i64 = MAX_SECS / DAY + 2;

/// Merges pauses into sorted, disjoint whole-second ranges, dropping those that end by `from`.
fn merge_pauses(paused: &[TimeRange], from: i64) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = paused
        .iter()
        .map(|p| (floor_secs(p.start()), ceil_secs(p.end())))
        .filter(|&(s, e)| s < e && e > from)
        .collect();
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// What a scan found: business seconds counted and where it stopped.
struct Scanned {
    counted: i64,
    stop: i64,
}

impl BusinessCalendar {
    /// A calendar in the IANA zone `zone` (e.g. `"Europe/Berlin"`).
    ///
    /// Intervals are sorted; an unknown zone or a bad id is a validation error; overlapping
    /// intervals, two holidays on one date, a holiday without a name or a week without any
    /// working time are an [`Error::InvalidDefinition`] listing every problem.
    pub fn new(
        id: CalendarId,
        zone: &str,
        week: WeeklyHours,
        holidays: Vec<Holiday>,
    ) -> Result<Self> {
        Self::with_zone(id, parse_zone(zone)?, week, holidays)
    }

    /// A calendar in the time zone `zone`; see [`BusinessCalendar::new`].
    pub fn with_zone(
        id: CalendarId,
        zone: Tz,
        week: WeeklyHours,
        holidays: Vec<Holiday>,
    ) -> Result<Self> {
        Self::build(id, zone, week, holidays, Vec::new())
    }

    /// Decodes a calendar from its JSON form (see the type documentation); bad JSON is an
    /// [`Error::Json`], bad content the same errors as [`BusinessCalendar::new`].
    pub fn from_json(json: &str) -> Result<Self> {
        let repr: CalendarRepr = serde_json::from_str(json)?;
        Self::try_from(repr)
    }

    fn build(
        id: CalendarId,
        zone: Tz,
        mut week: WeeklyHours,
        mut holidays: Vec<Holiday>,
        mut problems: Vec<String>,
    ) -> Result<Self> {
        let mut week_secs = 0i64;
        for (day, intervals) in WEEKDAYS.iter().zip(week.days_mut().iter_mut()) {
            check_day(weekday_name(*day), intervals, &mut problems);
            week_secs += intervals
                .iter()
                .map(|iv| i64::from(iv.len_secs()))
                .sum::<i64>();
        }
        if week_secs == 0 {
            problems.push(
                "the week has no working time: give at least one weekday a working interval"
                    .to_string(),
            );
        }
        for h in &mut holidays {
            check_holiday(h.date, &h.name, &mut h.hours, &mut problems);
        }
        holidays.sort_by_key(|h| h.date);
        for pair in holidays.windows(2) {
            if let [a, b] = pair
                && a.date == b.date
            {
                problems.push(format!("holiday {}: the date is listed twice", a.date));
            }
        }
        if !problems.is_empty() {
            return Err(Error::InvalidDefinition {
                what: format!("business calendar {:?}", id.as_str()),
                problems,
            });
        }
        let day_secs: Vec<i64> = (0..7)
            .map(|w| {
                week.day_index(w)
                    .iter()
                    .map(|iv| i64::from(iv.len_secs()))
                    .sum()
            })
            .collect();
        let runs = std::array::from_fn(|w| {
            let mut run = [0i64; 8];
            for j in 1..8 {
                let prev = run.get(j - 1).copied().unwrap_or(0);
                let today = day_secs.get((w + j - 1) % 7).copied().unwrap_or(0);
                if let Some(slot) = run.get_mut(j) {
                    *slot = prev + today;
                }
            }
            run
        });
        let holiday_days = holidays
            .iter()
            .map(|h| i64::from(h.date.to_epoch_days()))
            .collect();
        Ok(BusinessCalendar {
            id,
            zone,
            week,
            holidays,
            holiday_days,
            week_secs,
            runs,
            table: Arc::new(ZoneTable::build(zone)),
        })
    }

    /// The calendar's id.
    pub fn id(&self) -> &CalendarId {
        &self.id
    }

    /// The calendar's time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The weekly working hours (each day's intervals sorted).
    pub fn week(&self) -> &WeeklyHours {
        &self.week
    }

    /// The holidays, sorted by date.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The holiday on `date`, if any.
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&Holiday> {
        let day = i64::from(date.to_epoch_days());
        self.holiday_days
            .binary_search(&day)
            .ok()
            .and_then(|i| self.holidays.get(i))
    }

    /// The business time of a week without holidays and clock changes.
    pub fn weekly_business_time(&self) -> BusinessDuration {
        BusinessDuration::from_secs(self.week_secs).unwrap_or_default()
    }

    /// The working intervals (wall-clock) that apply on the local date `date`: the holiday's
    /// hours on a holiday, otherwise the weekday's.
    pub fn hours_on(&self, date: NaiveDate) -> &[WorkingInterval] {
        self.hours_on_day(i64::from(date.to_epoch_days()))
    }

    fn hours_on_day(&self, day: i64) -> &[WorkingInterval] {
        match self.holiday_days.binary_search(&day) {
            Ok(i) => self.holidays.get(i).map_or(&[], |h| h.hours.as_slice()),
            Err(_) => self.week.day_index(weekday_index(day)),
        }
    }

    /// The local date (days since 1970-01-01) of the UTC second `t`.
    fn local_day(&self, t: i64) -> i64 {
        t.saturating_add(self.table.offset_at(t)).div_euclid(DAY)
    }

    /// The business intervals of local day `day` as UTC seconds (some may be empty).
    fn day_ranges(&self, day: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let l0 = day * DAY;
        self.hours_on_day(day).iter().map(move |iv| {
            (
                self.table.resolve(l0 + i64::from(iv.start_secs())),
                self.table.resolve(l0 + i64::from(iv.end_secs())),
            )
        })
    }

    /// The calendar date of `at` in the calendar's zone (clamped to chrono's date range at
    /// its extreme ends).
    pub fn local_date(&self, at: Instant) -> NaiveDate {
        let day = self.local_day(floor_secs(at));
        match i32::try_from(day) {
            Ok(d) => NaiveDate::from_epoch_days(d).unwrap_or(if d < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            }),
            Err(_) if day < 0 => NaiveDate::MIN,
            Err(_) => NaiveDate::MAX,
        }
    }

    /// The first instant of the local date `date`; when midnight falls in a gap this is the
    /// instant the clocks jump, when it occurs twice the earlier one.
    pub fn start_of_day(&self, date: NaiveDate) -> Result<Instant> {
        to_instant(self.table.resolve(i64::from(date.to_epoch_days()) * DAY))
    }

    /// The real working time on the local date `date`, as instant ranges in order (intervals
    /// that vanish in a clock-change gap are left out).
    pub fn working_time_on(&self, date: NaiveDate) -> Result<Vec<TimeRange>> {
        self.day_ranges(i64::from(date.to_epoch_days()))
            .filter(|(s, e)| s < e)
            .map(|(s, e)| TimeRange::new(to_instant(s)?, to_instant(e)?))
            .collect()
    }

    /// True when `at` lies in working time.
    pub fn is_working_time(&self, at: Instant) -> bool {
        let t = floor_secs(at);
        let day = self.local_day(t);
        // A fold around midnight can place `t` in either neighbour's intervals.
        [day, day - 1, day + 1]
            .into_iter()
            .any(|d| self.day_ranges(d).any(|(s, e)| s <= t && t < e))
    }

    /// `at` itself when it lies in working time, otherwise the start of the next working
    /// interval.
    pub fn next_working_instant(&self, at: Instant) -> Result<Instant> {
        if self.is_working_time(at) {
            return Ok(at);
        }
        let t = floor_secs(at);
        let mut day = self.local_day(t);
        let last = MAX_DAY;
        while day <= last {
            if let Some((s, _)) = self.day_ranges(day).find(|&(s, e)| s < e && e > t) {
                return to_instant(s.max(t));
            }
            day += 1;
        }
        Err(Error::overflow("business calendar: next working instant"))
    }

    /// The instant at which `d` of business time has elapsed after `at`, not counting time in
    /// `paused` (pauses may overlap, come in any order and lie outside working hours).
    ///
    /// This is the earliest such instant: `add(at, 0)` is `at` (rounded up to the whole
    /// second), and a deadline that uses up a working interval exactly lands at its end.
    /// `between(at, add(at, d), paused) == d` always holds. An instant beyond chrono's range is
    /// an overflow error.
    pub fn add(&self, at: Instant, d: BusinessDuration, paused: &[TimeRange]) -> Result<Instant> {
        let from = ceil_secs(at);
        let budget = d.as_secs();
        if budget == 0 {
            return to_instant(from);
        }
        let found = if paused.is_empty() {
            self.scan(from, i64::MAX, budget, &[])?
        } else {
            self.scan(from, i64::MAX, budget, &merge_pauses(paused, from))?
        };
        if found.counted < budget {
            return Err(Error::overflow("business calendar add"));
        }
        to_instant(found.stop)
    }

    /// The business time in `[a, b)` minus the time in `paused`; `b` before `a` is a
    /// validation error.
    pub fn between(
        &self,
        a: Instant,
        b: Instant,
        paused: &[TimeRange],
    ) -> Result<BusinessDuration> {
        if b < a {
            return Err(Error::validation(
                "business time range",
                format!("{a} .. {b}"),
                "the end is before the start",
            ));
        }
        let from = ceil_secs(a);
        let until = floor_secs(b);
        if until <= from {
            return Ok(BusinessDuration::ZERO);
        }
        let found = if paused.is_empty() {
            self.scan(from, until, i64::MAX, &[])?
        } else {
            self.scan(from, until, i64::MAX, &merge_pauses(paused, from))?
        };
        BusinessDuration::from_secs(found.counted)
    }

    /// How many whole plain days from a day on `weekday` can be counted in one step without
    /// using up `remaining` business seconds, given that at most `limit` days are plain and
    /// free of holidays and pauses: whole weeks first, then single days from the precomputed
    /// runs. Returns the days and their business seconds, or `None` for none.
    fn skippable_days(&self, weekday: usize, remaining: i64, limit: i64) -> Option<(i64, i64)> {
        if limit <= 0 {
            return None;
        }
        let mut weeks = limit / 7;
        if remaining <= self.week_secs {
            weeks = 0;
        } else if weeks > 0 {
            weeks = weeks.min((remaining - 1) / self.week_secs.max(1));
        }
        let left = remaining - weeks * self.week_secs;
        let run = self.runs.get(weekday)?;
        let max_j = (limit - weeks * 7).min(6);
        let mut j = 0i64;
        let mut secs = 0i64;
        while j < max_j {
            let next = run.get(usize::try_from(j + 1).ok()?).copied()?;
            if next >= left {
                break;
            }
            j += 1;
            secs = next;
        }
        let days = weeks * 7 + j;
        (days > 0).then_some((days, weeks * self.week_secs + secs))
    }

    /// Walks business time forward from `from`, skipping `pauses`, until `budget` seconds are
    /// counted (then `stop` is the instant they are) or `until` is reached.
    ///
    /// Days are visited one by one; whole weeks without holidays, clock changes and pauses are
    /// skipped in one step, as many as fit.
    fn scan(&self, from: i64, until: i64, budget: i64, pauses: &[(i64, i64)]) -> Result<Scanned> {
        let table: &ZoneTable = &self.table;
        let mut counted = 0i64;
        let mut k = table.span_at_utc(from);
        let mut day = from.saturating_add(table.offset_of(k)).div_euclid(DAY);
        let mut weekday = weekday_index(day);
        let mut hol = self.holiday_days.partition_point(|&h| h < day);
        let mut p = 0usize;
        let mut first = true;
        // The plain local range of span `k` and its offset.
        let (mut span_lo, mut span_hi, mut off) = (i64::MAX, i64::MIN, 0i64);
        loop {
            if day > MAX_DAY {
                return Err(Error::overflow(
                    "business calendar: beyond the supported range",
                ));
            }
            let l0 = day * DAY;
            let mut plain = span_lo <= l0 && l0 + DAY <= span_hi;
            if !plain {
                k = table.seek_local(k, l0);
                (span_lo, span_hi, off) = table.plain_range(k);
                plain = span_lo <= l0 && l0 + DAY <= span_hi;
            }
            let day_start = if plain { l0 - off } else { table.resolve(l0) };
            if day_start >= until {
                break;
            }
            while self.holiday_days.get(hol).is_some_and(|&h| h < day) {
                hol += 1;
            }
            if !pauses.is_empty() {
                while pauses.get(p).is_some_and(|&(_, pe)| pe <= day_start) {
                    p += 1;
                }
                // Inside a pause that outlasts this day: go straight to its last day.
                if let Some(&(ps, pe)) = pauses.get(p)
                    && !first
                    && ps <= day_start
                    && pe > day_start + 2 * DAY
                {
                    let to = self.local_day(pe);
                    if to > day {
                        day = to;
                        weekday = weekday_index(day);
                        k = table.span_at_local(day * DAY);
                        (span_lo, span_hi) = (i64::MAX, i64::MIN);
                        hol = self.holiday_days.partition_point(|&h| h < day);
                        continue;
                    }
                }
            }
            // Skip whole days when this one cannot use up the budget.
            if !first
                && plain
                && self
                    .runs
                    .get(weekday)
                    .and_then(|r| r.get(1))
                    .is_some_and(|&today| today < budget - counted)
            {
                let skip = self.skippable_days(
                    weekday,
                    budget - counted,
                    // Whole plain days before the clock change, `until`, holiday and pause.
                    [
                        span_hi.saturating_sub(l0) / DAY,
                        until.saturating_sub(day_start) / DAY,
                        self.holiday_days.get(hol).map_or(i64::MAX, |&h| h - day),
                        pauses
                            .get(p)
                            .map_or(i64::MAX, |&(ps, _)| ps.saturating_sub(day_start) / DAY),
                    ]
                    .into_iter()
                    .fold(i64::MAX, i64::min),
                );
                if let Some((days, secs)) = skip {
                    day += days;
                    weekday = weekday_index(day);
                    counted += secs;
                    continue;
                }
            }
            first = false;
            let hours = match self.holiday_days.get(hol) {
                Some(&h) if h == day => self.holidays.get(hol).map_or(&[][..], |h| &h.hours),
                _ => self.week.day_index(weekday),
            };
            for iv in hours {
                let ls = l0 + i64::from(iv.start_secs());
                let le = l0 + i64::from(iv.end_secs());
                let (s, e) = if plain {
                    (ls - off, le - off)
                } else {
                    (table.resolve(ls), table.resolve(le))
                };
                let e = e.min(until);
                let mut cur = s.max(from);
                if pauses.is_empty() {
                    if cur < e {
                        let left = budget - counted;
                        if e - cur >= left {
                            return Ok(Scanned {
                                counted: budget,
                                stop: cur + left,
                            });
                        }
                        counted += e - cur;
                    }
                    continue;
                }
                while cur < e {
                    while pauses.get(p).is_some_and(|&(_, pe)| pe <= cur) {
                        p += 1;
                    }
                    match pauses.get(p) {
                        Some(&(ps, pe)) if ps <= cur => cur = pe.min(e),
                        next => {
                            let seg_end = next.map_or(e, |&(ps, _)| ps.min(e));
                            let left = budget - counted;
                            if seg_end - cur >= left {
                                return Ok(Scanned {
                                    counted: budget,
                                    stop: cur + left,
                                });
                            }
                            counted += seg_end - cur;
                            cur = seg_end;
                        }
                    }
                }
            }
            day += 1;
            weekday = if weekday == 6 { 0 } else { weekday + 1 };
        }
        Ok(Scanned {
            counted,
            stop: until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_constants_match_chrono() {
        assert_eq!(MAX_SECS, DateTime::<Utc>::MAX_UTC.timestamp());
    }
}
