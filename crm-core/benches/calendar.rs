//! Business-calendar arithmetic: adding 4 and 400 business hours on a Mon-Fri 09:00-17:00
//! calendar in Europe/Berlin with German public holidays. Adding 400 hours must cost less
//! than three times adding 4 (whole weeks are skipped in one step), and adding 4 hours must
//! stay under 100 ns in release.
//!
//! The summary (issue #10) adds 4 and 400 business hours to each of 100,000 instants (one
//! every 5 minutes 17 seconds from 2026-01-01: working hours, nights, weekends, holidays and
//! both clock changes), the two interleaved, and reports the median per add and the ratio.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use crm_core::{
    BusinessCalendar, BusinessDuration, CalendarId, Holiday, Instant, WeeklyHours, WorkingInterval,
};
use std::hint::black_box;

#[path = "support/mod.rs"]
mod summary;
use summary::{Summary, Unit, interleaved, pick};

fn calendar() -> BusinessCalendar {
    let holidays = [
        (2026, 1, 1),
        (2026, 4, 3),
        (2026, 4, 6),
        (2026, 5, 1),
        (2026, 5, 14),
        (2026, 5, 25),
        (2026, 10, 3),
        (2026, 12, 25),
        (2026, 12, 26),
        (2027, 1, 1),
        (2027, 3, 26),
        (2027, 3, 29),
        (2027, 5, 1),
        (2027, 5, 6),
        (2027, 5, 17),
        (2027, 10, 3),
        (2027, 12, 25),
        (2027, 12, 26),
    ]
    .into_iter()
    .map(|(y, m, d)| Holiday::closed(NaiveDate::from_ymd_opt(y, m, d).unwrap(), "holiday").unwrap())
    .collect();
    BusinessCalendar::new(
        CalendarId::new("office").unwrap(),
        "Europe/Berlin",
        WeeklyHours::monday_to_friday(&[WorkingInterval::parse("09:00", "17:00").unwrap()]),
        holidays,
    )
    .unwrap()
}

fn starts() -> Vec<Instant> {
    // Every day of a week in June 2026 at 07:10 UTC plus 5h47m steps: mid-interval, before
    // opening, after closing and weekends.
    let base: Instant = "2026-06-08T07:10:00Z".parse().unwrap();
    (0..29)
        .map(|i| base + chrono::Duration::minutes(i * 347))
        .collect()
}

/// 100,000 instants (fewer in the smoke run), 5 min 17 s apart from 2026-01-01T00:00Z.
fn many_starts() -> Vec<Instant> {
    let base: Instant = "2026-01-01T00:00:00Z".parse().unwrap();
    (0..pick(100_000, 500))
        .map(|i| base + chrono::Duration::seconds(i * 317))
        .collect()
}

fn summary(cal: &BusinessCalendar) {
    let starts = many_starts();
    let d4 = BusinessDuration::from_hours(4).unwrap();
    let d400 = BusinessDuration::from_hours(400).unwrap();
    // Every answer lies after its start and measures exactly its duration back.
    for &s in starts.iter().step_by(97) {
        for d in [d4, d400] {
            let due = cal.add(s, d, &[]).unwrap();
            assert!(due > s);
            assert_eq!(cal.between(s, due, &[]).unwrap(), d);
        }
    }
    let n = starts.len();
    let (mut i, mut j) = (0usize, 0usize);
    let mut add4 = || {
        i = if i + 1 == n { 0 } else { i + 1 };
        black_box(cal.add(black_box(starts[i]), d4, &[]).unwrap());
    };
    let mut add400 = || {
        j = if j + 1 == n { 0 } else { j + 1 };
        black_box(cal.add(black_box(starts[j]), d400, &[]).unwrap());
    };
    let m = interleaved(pick(15, 1), n as u64, &mut [&mut add4, &mut add400]);
    Summary {
        id: "calendar_add_4h",
        what: "add 4 business hours (Mon-Fri 09-17, Europe/Berlin, holidays), 100,000 instants",
        ours: m[0],
        peer: None,
        unit: Unit::Ns,
        ratio: None,
        target: "< 100 ns per add",
        met: m[0] < 100.0,
    }
    .print();
    Summary {
        id: "calendar_add_400h_vs_4h",
        what: "add 400 business hours, same instants; ratio = 400 h / 4 h",
        ours: m[1],
        peer: None,
        unit: Unit::Ns,
        ratio: Some(m[1] / m[0]),
        target: "400 h < 3x 4 h",
        met: m[1] < 3.0 * m[0],
    }
    .print();
}

fn bench(c: &mut Criterion) {
    let cal = calendar();
    summary(&cal);
    let starts = starts();
    for hours in [4, 400] {
        let d = BusinessDuration::from_hours(hours).unwrap();
        let mut i = 0;
        c.bench_function(&format!("calendar add {hours}h"), |b| {
            b.iter(|| {
                i = (i + 1) % starts.len();
                cal.add(black_box(starts[i]), black_box(d), &[]).unwrap()
            })
        });
    }
    let a = starts[0];
    let b = a + chrono::Duration::days(90);
    c.bench_function("calendar between 90 days", |bch| {
        bch.iter(|| cal.between(black_box(a), black_box(b), &[]).unwrap())
    });
    c.bench_function("calendar build", |bch| bch.iter(calendar));
}

criterion_group!(benches, bench);
criterion_main!(benches);
