//! Business-calendar arithmetic: adding 4 and 400 business hours on a Mon-Fri 09:00-17:00
//! calendar in Europe/Berlin with German public holidays. Adding 400 hours must cost less
//! than three times adding 4 (whole weeks are skipped in one step), and adding 4 hours must
//! stay under 100 ns in release.
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

fn bench(c: &mut Criterion) {
    let cal = calendar();
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
