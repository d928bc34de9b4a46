//! Property tests of the business calendar against a simple model.
//!
//! The model computes each local day's working time straight from chrono-tz (with the
//! documented rule: a wall time in a gap is the instant the clocks jump, in a fold the earlier
//! instant) and sums overlaps second-exactly; the calendar's skipping of whole weeks, its own
//! offset table and its pause handling must agree with it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use crm_core::{
    BusinessCalendar, BusinessDuration, CalendarId, Holiday, Instant, TimeRange, WeeklyHours,
    WorkingInterval,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const ZONES: [&str; 5] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kolkata",
];

/// Local 2026 clock changes of the zones above, as UTC seconds: instants are drawn near them.
const CHANGES_2026: [i64; 6] = [
    1_774_746_000, // Europe/Berlin spring forward, 2026-03-29T01:00Z
    1_792_890_000, // Europe/Berlin fall back, 2026-10-25T01:00Z
    1_773_039_600, // America/New_York spring forward, 2026-03-08T07:00Z
    1_793_599_200, // America/New_York fall back, 2026-11-01T06:00Z
    1_775_313_000, // Australia/Lord_Howe back 30 min, 2026-04-04T15:00Z
    1_791_043_200, // Australia/Lord_Howe forward 30 min, 2026-10-03T15:30Z
];

/// A generated calendar and the plain data the model reads.
#[derive(Debug, Clone)]
struct Spec {
    zone: &'static str,
    week: [Vec<(u32, u32)>; 7],
    holidays: BTreeMap<NaiveDate, Vec<(u32, u32)>>,
}

impl Spec {
    fn calendar(&self) -> BusinessCalendar {
        let to_ivs = |v: &Vec<(u32, u32)>| {
            v.iter()
                .map(|&(s, e)| WorkingInterval::from_secs(s, e).unwrap())
                .collect::<Vec<_>>()
        };
        let mut week = WeeklyHours::new();
        for (i, day) in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .enumerate()
        {
            week.set(day, to_ivs(&self.week[i]));
        }
        let holidays = self
            .holidays
            .iter()
            .map(|(d, h)| Holiday::new(*d, "holiday", to_ivs(h)).unwrap())
            .collect();
        BusinessCalendar::new(CalendarId::new("p").unwrap(), self.zone, week, holidays).unwrap()
    }

    fn tz(&self) -> Tz {
        self.zone.parse().unwrap()
    }

    /// The wall-clock second `secs` of `date` as a UTC second, by the documented rule.
    fn resolve(&self, date: NaiveDate, secs: u32) -> i64 {
        if secs == 86_400 {
            return self.resolve(date.succ_opt().unwrap(), 0);
        }
        let tz = self.tz();
        let naive = date
            .and_hms_opt(secs / 3600, secs / 60 % 60, secs % 60)
            .unwrap();
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.timestamp(),
            LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
            LocalResult::None => chrono_tz::GapInfo::new(&naive, &tz)
                .unwrap()
                .end
                .unwrap()
                .timestamp(),
        }
    }

    /// The working time of a local date as UTC seconds.
    fn day(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        let hours = self
            .holidays
            .get(&date)
            .unwrap_or(&self.week[date.weekday().num_days_from_monday() as usize]);
        hours
            .iter()
            .map(|&(s, e)| (self.resolve(date, s), self.resolve(date, e)))
            .filter(|(s, e)| s < e)
            .collect()
    }

    fn local_date(&self, t: i64) -> NaiveDate {
        DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&self.tz())
            .date_naive()
    }

    /// Business seconds in [a, b) minus the pauses (whole seconds).
    fn between(&self, a: i64, b: i64, pauses: &[(i64, i64)]) -> i64 {
        let mut merged: Vec<(i64, i64)> = pauses.to_vec();
        merged.sort();
        let mut m: Vec<(i64, i64)> = Vec::new();
        for (s, e) in merged {
            match m.last_mut() {
                Some(l) if s <= l.1 => l.1 = l.1.max(e),
                _ => m.push((s, e)),
            }
        }
        let mut total = 0;
        let mut date = self.local_date(a).pred_opt().unwrap();
        let last = self.local_date(b).succ_opt().unwrap();
        while date <= last {
            for (s, e) in self.day(date) {
                let (s, e) = (s.max(a), e.min(b));
                if s < e {
                    total += e - s;
                    for &(ps, pe) in &m {
                        total -= (e.min(pe) - s.max(ps)).max(0);
                    }
                }
            }
            date = date.succ_opt().unwrap();
        }
        total
    }
}

fn day_strategy() -> impl Strategy<Value = Vec<(u32, u32)>> {
    // 0 to 3 intervals on a 15-minute grid; 96 is 24:00. Half the days have their boundaries
    // between 00:00 and 05:00, where the clocks change.
    let points = prop_oneof![
        prop::collection::btree_set(0u32..=96, 0..=6),
        prop::collection::btree_set(0u32..=20, 0..=6),
    ];
    points.prop_map(|points| {
        let p: Vec<u32> = points.into_iter().collect();
        p.chunks_exact(2)
            .map(|c| (c[0] * 900, c[1] * 900))
            .collect()
    })
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(&ZONES[..]),
        prop::array::uniform7(day_strategy()),
        prop::collection::btree_map(0i64..730, day_strategy(), 0..8),
    )
        .prop_filter("the week needs working time", |(_, week, _)| {
            week.iter().any(|d| !d.is_empty())
        })
        .prop_map(|(zone, week, hol)| Spec {
            zone,
            week,
            holidays: hol
                .into_iter()
                .map(|(d, h)| {
                    (
                        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(d),
                        h,
                    )
                })
                .collect(),
        })
}

/// An instant in 2026-2027, often within a day of a clock change; sub-second parts included.
fn instant_strategy() -> impl Strategy<Value = Instant> {
    prop_oneof![
        (1_767_225_600i64..1_830_297_600, 0u32..2).prop_map(|(s, n)| (s, n * 500_000_000)),
        (
            prop::sample::select(&CHANGES_2026[..]),
            -86_400i64..86_400,
            0u32..2
        )
            .prop_map(|(c, d, n)| (c + d, n * 250_000_000)),
    ]
    .prop_map(|(s, n)| DateTime::<Utc>::from_timestamp(s, n).unwrap())
}

/// A duration: minutes, hours, or many weeks' worth of hours.
fn duration_strategy() -> impl Strategy<Value = BusinessDuration> {
    prop_oneof![0i64..7_200, 0i64..200 * 3600, 0i64..3_000 * 3600,]
        .prop_map(|s| BusinessDuration::from_secs(s).unwrap())
}

fn pauses_strategy() -> impl Strategy<Value = Vec<TimeRange>> {
    prop::collection::vec((instant_strategy(), 0i64..14 * 86_400), 0..5).prop_map(|v| {
        v.into_iter()
            .map(|(s, len)| TimeRange::new(s, s + Duration::seconds(len)).unwrap())
            .collect()
    })
}

fn secs(p: &[TimeRange]) -> Vec<(i64, i64)> {
    p.iter()
        .map(|r| {
            let end = r.end().timestamp() + i64::from(r.end().timestamp_subsec_nanos() > 0);
            (r.start().timestamp(), end)
        })
        .collect()
}

fn ceil(t: Instant) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// An instant anywhere from 1850 to 2150: local mean time before the zones adopted standard
/// offsets (offsets with seconds), war-time double summer time, negative timestamps, and the
/// years after chrono-tz's last transition (2099).
fn far_instant_strategy() -> impl Strategy<Value = Instant> {
    (-3_786_825_600i64..5_680_281_600).prop_map(|s| DateTime::<Utc>::from_timestamp(s, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn far_from_today_too(
        spec in spec_strategy(),
        a in far_instant_strategy(),
        len in 0i64..40 * 86_400,
        d in duration_strategy(),
    ) {
        let cal = spec.calendar();
        let b = a + Duration::seconds(len);
        prop_assert_eq!(cal.between(a, b, &[]).unwrap().as_secs(), spec.between(a.timestamp(), b.timestamp(), &[]));
        let due = cal.add(a, d, &[]).unwrap();
        prop_assert_eq!(cal.between(a, due, &[]).unwrap(), d);
        prop_assert_eq!(cal.local_date(a), spec.local_date(a.timestamp()));
    }

    #[test]
    fn between_of_add_is_the_duration(
        spec in spec_strategy(),
        a in instant_strategy(),
        d in duration_strategy(),
        pauses in pauses_strategy(),
    ) {
        let cal = spec.calendar();
        let due = cal.add(a, d, &pauses).unwrap();
        prop_assert!(due >= a);
        prop_assert_eq!(cal.between(a, due, &pauses).unwrap(), d);
        // The earliest such instant: one second less is one business second short.
        if d.as_secs() > 0 {
            let before = due - Duration::seconds(1);
            prop_assert_eq!(spec.between(ceil(a), before.timestamp(), &secs(&pauses)), d.as_secs() - 1);
        }
        let plain = cal.add(a, d, &[]).unwrap();
        prop_assert_eq!(cal.between(a, plain, &[]).unwrap(), d);
        prop_assert!(plain <= due, "pauses can only delay: {plain} > {due}");
    }

    #[test]
    fn between_agrees_with_the_model(
        spec in spec_strategy(),
        a in instant_strategy(),
        len in prop_oneof![0i64..3 * 86_400, 0i64..200 * 86_400],
        pauses in pauses_strategy(),
    ) {
        let cal = spec.calendar();
        let b = a + Duration::seconds(len);
        let got = cal.between(a, b, &pauses).unwrap().as_secs();
        prop_assert_eq!(got, spec.between(ceil(a), b.timestamp(), &secs(&pauses)));
        let free = cal.between(a, b, &[]).unwrap().as_secs();
        prop_assert_eq!(free, spec.between(ceil(a), b.timestamp(), &[]));
        prop_assert!(got <= free);
    }

    #[test]
    fn add_is_monotone(
        spec in spec_strategy(),
        a in instant_strategy(),
        step in 0i64..10 * 86_400,
        d1 in duration_strategy(),
        d2 in duration_strategy(),
        pauses in pauses_strategy(),
    ) {
        let cal = spec.calendar();
        let (lo, hi) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
        prop_assert!(cal.add(a, lo, &pauses).unwrap() <= cal.add(a, hi, &pauses).unwrap());
        let later = a + Duration::seconds(step);
        prop_assert!(cal.add(a, d1, &pauses).unwrap() <= cal.add(later, d1, &pauses).unwrap());
    }

    #[test]
    fn instants_and_days_agree_with_chrono(spec in spec_strategy(), a in instant_strategy()) {
        let cal = spec.calendar();
        let t = a.timestamp();
        let date = spec.local_date(t);
        prop_assert_eq!(cal.local_date(a), date);
        let start = cal.start_of_day(date).unwrap();
        prop_assert_eq!(start.timestamp(), spec.resolve(date, 0));
        prop_assert!(start <= a);
        let working = (-1..=1)
            .flat_map(|k| spec.day(date + Duration::days(k)))
            .any(|(s, e)| s <= t && t < e);
        prop_assert_eq!(cal.is_working_time(a), working);
        let next = cal.next_working_instant(a).unwrap();
        prop_assert!(next >= a);
        prop_assert!(cal.is_working_time(next));
        prop_assert_eq!(spec.between(ceil(a), next.timestamp(), &[]), 0);
        let ranges = cal.working_time_on(date).unwrap();
        let model: Vec<(i64, i64)> = spec.day(date);
        let got: Vec<(i64, i64)> = ranges.iter().map(|r| (r.start().timestamp(), r.end().timestamp())).collect();
        prop_assert_eq!(got, model);
    }

    #[test]
    fn json_round_trips(spec in spec_strategy()) {
        let cal = spec.calendar();
        let json = serde_json::to_string(&cal).unwrap();
        let back = BusinessCalendar::from_json(&json).unwrap();
        prop_assert_eq!(back, cal);
    }
}
