//! Business-calendar arithmetic on arbitrary instants, durations and pauses.
//!
//! The input picks one of a few calendars (zones with daylight-saving changes, a 30-minute
//! shift, a lunch break, holidays, a calendar open one hour a week, one open all the time), an
//! instant anywhere in chrono's range, two business durations and up to three pauses. Checked:
//! nothing panics; `add` never goes back in time; `between(at, add(at, d)) == d`; deadline
//! arithmetic is additive: `add(add(at, a), b) == add(at, a + b)`.
#![no_main]

use chrono::{DateTime, Utc};
use crm_core::calendar::MAX_BUSINESS_SECONDS;
use crm_core::calendar::{BusinessCalendar, BusinessDuration, TimeRange};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const CALENDARS: [&str; 6] = [
    r#"{"id":"berlin","zone":"Europe/Berlin",
        "week":{"monday":[{"start":"08:00","end":"12:00"},{"start":"13:00","end":"17:00"}],
                "tuesday":[{"start":"08:00","end":"17:00"}],"wednesday":[{"start":"08:00","end":"17:00"}],
                "thursday":[{"start":"08:00","end":"17:00"}],"friday":[{"start":"08:00","end":"15:00"}]},
        "holidays":[{"date":"2026-12-25","name":"Christmas","hours":[]},
                    {"date":"2026-12-24","name":"Christmas Eve","hours":[{"start":"08:00","end":"12:00"}]}]}"#,
    r#"{"id":"new-york","zone":"America/New_York",
        "week":{"monday":[{"start":"01:30","end":"03:30"}],"sunday":[{"start":"00:00","end":"24:00"}]}}"#,
    r#"{"id":"lord-howe","zone":"Australia/Lord_Howe",
        "week":{"saturday":[{"start":"01:00","end":"03:00"}],"sunday":[{"start":"01:45","end":"02:15"}]}}"#,
    r#"{"id":"always","zone":"UTC",
        "week":{"monday":[{"start":"00:00","end":"24:00"}],"tuesday":[{"start":"00:00","end":"24:00"}],
                "wednesday":[{"start":"00:00","end":"24:00"}],"thursday":[{"start":"00:00","end":"24:00"}],
                "friday":[{"start":"00:00","end":"24:00"}],"saturday":[{"start":"00:00","end":"24:00"}],
                "sunday":[{"start":"00:00","end":"24:00"}]}}"#,
    r#"{"id":"one-hour","zone":"Asia/Kathmandu","week":{"wednesday":[{"start":"23:00","end":"24:00"}]}}"#,
    r#"{"id":"chatham","zone":"Pacific/Chatham",
        "week":{"monday":[{"start":"09:00","end":"17:00"}],"friday":[{"start":"02:00","end":"04:00"}]},
        "holidays":[{"date":"2027-01-04","name":"closed","hours":[]}]}"#,
];

fn calendars() -> &'static [BusinessCalendar] {
    static CALS: OnceLock<Vec<BusinessCalendar>> = OnceLock::new();
    CALS.get_or_init(|| {
        CALENDARS
            .iter()
            .map(|json| BusinessCalendar::from_json(json).expect("a fixed calendar"))
            .collect()
    })
}

fn instant(u: &mut Unstructured<'_>) -> Result<DateTime<Utc>> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    // Mostly near our time, sometimes anywhere, sometimes at the ends of the range.
    let secs = match u.int_in_range(0u8..=9)? {
        0 => u.int_in_range(min..=max)?,
        1 => max - u.int_in_range(0..=10_000_000)?,
        2 => min + u.int_in_range(0..=10_000_000)?,
        _ => 1_767_225_600 + u.int_in_range(-4_000_000_000i64..=4_000_000_000)?,
    };
    let nanos = if u.arbitrary()? {
        u.int_in_range(0..=999_999_999)?
    } else {
        0
    };
    Ok(DateTime::from_timestamp(secs, nanos).unwrap_or(DateTime::<Utc>::MIN_UTC))
}

fn duration(u: &mut Unstructured<'_>) -> Result<BusinessDuration> {
    let secs = match u.int_in_range(0u8..=3)? {
        0 => u.int_in_range(0..=MAX_BUSINESS_SECONDS)?,
        _ => u.int_in_range(0..=10 * 86_400)?,
    };
    Ok(BusinessDuration::from_secs(secs).expect("in range"))
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let cals = calendars();
    let cal = &cals[u.choose_index(cals.len())?];
    let at = instant(u)?;
    let a = duration(u)?;
    let b = duration(u)?;
    let mut pauses = Vec::new();
    for _ in 0..u.int_in_range(0u8..=3)? {
        let offset = chrono::Duration::seconds(u.int_in_range(-86_400 * 30..=86_400 * 30)?);
        let length = chrono::Duration::seconds(u.int_in_range(0..=86_400 * 10)?);
        if let Some(start) = at.checked_add_signed(offset)
            && let Some(end) = start.checked_add_signed(length)
            && let Ok(p) = TimeRange::new(start, end)
        {
            pauses.push(p);
        }
    }
    let _ = cal.is_working_time(at);
    let _ = cal.next_working_instant(at);
    let _ = cal.working_time_on(cal.local_date(at));
    let Ok(end_a) = cal.add(at, a, &pauses) else {
        return Ok(());
    };
    assert!(end_a >= at, "add went back in time");
    let counted = cal.between(at, end_a, &pauses).expect("between of an add");
    assert_eq!(counted, a, "between(at, add(at, d)) != d");
    let (Ok(sum), Ok(end_ab)) = (a.checked_add(b), cal.add(end_a, b, &pauses)) else {
        return Ok(());
    };
    if let Ok(direct) = cal.add(at, sum, &pauses) {
        assert_eq!(direct, end_ab, "add(add(at, a), b) != add(at, a + b)");
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
