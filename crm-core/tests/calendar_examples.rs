//! Concrete examples and bad input for the business calendar.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::{NaiveDate, TimeZone, Weekday};
use crm_core::{
    BusinessCalendar, BusinessDuration, CalendarId, ErrorKind, Holiday, Instant, TimeRange,
    WeeklyHours, WorkingInterval,
};

fn iv(s: &str, e: &str) -> WorkingInterval {
    WorkingInterval::parse(s, e).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hours(h: i64) -> BusinessDuration {
    BusinessDuration::from_hours(h).unwrap()
}

/// A wall-clock time in `zone`, which must exist once.
fn local(zone: &str, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Instant {
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .to_utc()
}

fn utc(s: &str) -> Instant {
    s.parse().unwrap()
}

fn office(zone: &str, holidays: Vec<Holiday>) -> BusinessCalendar {
    BusinessCalendar::new(
        CalendarId::new("office").unwrap(),
        zone,
        WeeklyHours::monday_to_friday(&[iv("09:00", "17:00")]),
        holidays,
    )
    .unwrap()
}

fn christmas() -> Vec<Holiday> {
    vec![
        Holiday::new(
            date(2026, 12, 24),
            "Christmas Eve",
            vec![iv("09:00", "12:00")],
        )
        .unwrap(),
        Holiday::closed(date(2026, 12, 25), "Christmas Day").unwrap(),
        Holiday::closed(date(2026, 12, 26), "Boxing Day").unwrap(),
        Holiday::closed(date(2027, 1, 1), "New Year").unwrap(),
    ]
}

#[test]
fn friday_afternoon_plus_four_hours_is_monday_eleven() {
    let cal = office("Europe/Berlin", vec![]);
    let fri = local("Europe/Berlin", 2026, 11, 20, 15, 0);
    let due = cal.add(fri, hours(4), &[]).unwrap();
    assert_eq!(due, local("Europe/Berlin", 2026, 11, 23, 11, 0));
    assert_eq!(cal.between(fri, due, &[]).unwrap(), hours(4));
    // Two hours use up Friday exactly: the deadline is Friday 17:00, not Monday 09:00.
    let two = cal.add(fri, hours(2), &[]).unwrap();
    assert_eq!(two, local("Europe/Berlin", 2026, 11, 20, 17, 0));
}

#[test]
fn zero_duration_is_the_instant_itself() {
    let cal = office("Europe/Berlin", vec![]);
    let sat = local("Europe/Berlin", 2026, 11, 21, 10, 0);
    assert_eq!(cal.add(sat, BusinessDuration::ZERO, &[]).unwrap(), sat);
    assert_eq!(
        cal.next_working_instant(sat).unwrap(),
        local("Europe/Berlin", 2026, 11, 23, 9, 0)
    );
}

#[test]
fn christmas_holidays_are_skipped() {
    let cal = office("Europe/Berlin", christmas());
    // Wed 2026-12-23 16:00 + 4h: 1h Wed, 3h on the half day Thu 24th (09-12) -> Thu 12:00.
    let wed = local("Europe/Berlin", 2026, 12, 23, 16, 0);
    assert_eq!(
        cal.add(wed, hours(4), &[]).unwrap(),
        local("Europe/Berlin", 2026, 12, 24, 12, 0)
    );
    // + 5h: 25th and 26th closed, 27th a Sunday -> Monday 28th 10:00.
    assert_eq!(
        cal.add(wed, hours(5), &[]).unwrap(),
        local("Europe/Berlin", 2026, 12, 28, 10, 0)
    );
    // Mon 28th 09:00 + 40h: 28-31 are 32h, 1st closed, Mon 4th 09:00 + 8h -> Mon 4th 17:00.
    let mon = local("Europe/Berlin", 2026, 12, 28, 9, 0);
    assert_eq!(
        cal.add(mon, hours(40), &[]).unwrap(),
        local("Europe/Berlin", 2027, 1, 4, 17, 0)
    );
    assert!(!cal.is_working_time(local("Europe/Berlin", 2026, 12, 25, 10, 0)));
    assert!(cal.is_working_time(local("Europe/Berlin", 2026, 12, 24, 10, 0)));
    assert!(!cal.is_working_time(local("Europe/Berlin", 2026, 12, 24, 13, 0)));
}

#[test]
fn berlin_spring_forward_2026() {
    // Clocks jump from 02:00 to 03:00 on Sunday 2026-03-29.
    let cal = BusinessCalendar::new(
        CalendarId::new("night").unwrap(),
        "Europe/Berlin",
        WeeklyHours::every_day(&[iv("01:00", "05:00")]),
        vec![],
    )
    .unwrap();
    let d = date(2026, 3, 29);
    let ranges = cal.working_time_on(d).unwrap();
    assert_eq!(ranges.len(), 1);
    assert_eq!(ranges[0].start(), utc("2026-03-29T00:00:00Z"));
    assert_eq!(ranges[0].end(), utc("2026-03-29T03:00:00Z"));
    let day = cal
        .between(
            cal.start_of_day(d).unwrap(),
            cal.start_of_day(date(2026, 3, 30)).unwrap(),
            &[],
        )
        .unwrap();
    assert_eq!(day, hours(3));
    // 01:00 + 2h is 04:00 local (one hour is skipped by the clocks).
    assert_eq!(
        cal.add(utc("2026-03-29T00:00:00Z"), hours(2), &[]).unwrap(),
        local("Europe/Berlin", 2026, 3, 29, 4, 0)
    );
    // An office day is unaffected: 09:00-17:00 is 8 hours.
    let office = office("Europe/Berlin", vec![]);
    let fri = local("Europe/Berlin", 2026, 3, 27, 15, 0);
    assert_eq!(
        office.add(fri, hours(4), &[]).unwrap(),
        local("Europe/Berlin", 2026, 3, 30, 11, 0)
    );
    assert_eq!(
        office
            .between(fri, local("Europe/Berlin", 2026, 3, 30, 11, 0), &[])
            .unwrap(),
        hours(4)
    );
}

#[test]
fn berlin_fall_back_2026() {
    // Clocks go back from 03:00 to 02:00 on Sunday 2026-10-25.
    let cal = BusinessCalendar::new(
        CalendarId::new("night").unwrap(),
        "Europe/Berlin",
        WeeklyHours::every_day(&[iv("01:00", "05:00")]),
        vec![],
    )
    .unwrap();
    let d = date(2026, 10, 25);
    let day = cal
        .between(
            cal.start_of_day(d).unwrap(),
            cal.start_of_day(date(2026, 10, 26)).unwrap(),
            &[],
        )
        .unwrap();
    assert_eq!(day, hours(5));
    // 01:00 local (CEST) + 3h is 03:00 local CET: 02:00-03:00 is counted twice.
    let start = local("Europe/Berlin", 2026, 10, 25, 1, 0);
    assert_eq!(
        cal.add(start, hours(3), &[]).unwrap(),
        utc("2026-10-25T02:00:00Z")
    );
    // A 24x7 calendar: the day has 25 hours.
    let always = BusinessCalendar::new(
        CalendarId::new("always").unwrap(),
        "Europe/Berlin",
        WeeklyHours::every_day(&[iv("00:00", "24:00")]),
        vec![],
    )
    .unwrap();
    let b = always
        .between(
            always.start_of_day(d).unwrap(),
            always.start_of_day(date(2026, 10, 26)).unwrap(),
            &[],
        )
        .unwrap();
    assert_eq!(b, hours(25));
    // Friday 15:00 CEST + 4h -> Monday 11:00 CET.
    let office = office("Europe/Berlin", vec![]);
    let fri = local("Europe/Berlin", 2026, 10, 23, 15, 0);
    assert_eq!(
        office.add(fri, hours(4), &[]).unwrap(),
        local("Europe/Berlin", 2026, 10, 26, 11, 0)
    );
}

#[test]
fn pauses_are_not_counted() {
    let cal = office("Europe/Berlin", vec![]);
    let mon9 = local("Europe/Berlin", 2026, 11, 23, 9, 0);
    let p1 = TimeRange::new(
        local("Europe/Berlin", 2026, 11, 23, 10, 0),
        local("Europe/Berlin", 2026, 11, 23, 11, 0),
    )
    .unwrap();
    // Overlapping, unsorted, partly outside working hours.
    let p2 = TimeRange::new(
        local("Europe/Berlin", 2026, 11, 23, 10, 30),
        local("Europe/Berlin", 2026, 11, 23, 12, 0),
    )
    .unwrap();
    let p3 = TimeRange::new(
        local("Europe/Berlin", 2026, 11, 22, 0, 0),
        local("Europe/Berlin", 2026, 11, 23, 9, 30),
    )
    .unwrap();
    let due = cal.add(mon9, hours(4), &[p2, p1, p3]).unwrap();
    assert_eq!(due, local("Europe/Berlin", 2026, 11, 23, 15, 30));
    assert_eq!(cal.between(mon9, due, &[p1, p2, p3]).unwrap(), hours(4));
    // A pause lasting months.
    let long = TimeRange::new(mon9, local("Europe/Berlin", 2027, 6, 1, 0, 0)).unwrap();
    assert_eq!(
        cal.add(mon9, hours(1), &[long]).unwrap(),
        local("Europe/Berlin", 2027, 6, 1, 10, 0)
    );
}

#[test]
fn long_durations_jump_weeks() {
    let cal = office("Europe/Berlin", christmas());
    let start = local("Europe/Berlin", 2026, 1, 5, 9, 0); // a Monday
    // 52 weeks of 40 hours. Holidays on working days: the 24th loses 5h, the 25th (Friday)
    // and the 1st (Friday) 8h each: 21 hours carried into the next weeks.
    let due = cal.add(start, hours(52 * 40), &[]).unwrap();
    assert_eq!(cal.between(start, due, &[]).unwrap(), hours(52 * 40));
    assert_eq!(due, local("Europe/Berlin", 2027, 1, 6, 14, 0));
}

#[test]
fn several_intervals_and_overnight_intervals() {
    let mut week = WeeklyHours::monday_to_friday(&[iv("08:00", "12:00"), iv("13:00", "17:00")]);
    week.set(Weekday::Sat, vec![iv("22:00", "24:00")]);
    week.set(Weekday::Sun, vec![iv("00:00", "02:00")]);
    let cal = BusinessCalendar::new(
        CalendarId::new("split").unwrap(),
        "America/New_York",
        week,
        vec![],
    )
    .unwrap();
    let mon11 = local("America/New_York", 2026, 11, 23, 11, 0);
    assert_eq!(
        cal.add(mon11, hours(2), &[]).unwrap(),
        local("America/New_York", 2026, 11, 23, 14, 0)
    );
    let sat23 = local("America/New_York", 2026, 11, 28, 23, 0);
    assert_eq!(
        cal.add(sat23, hours(2), &[]).unwrap(),
        local("America/New_York", 2026, 11, 29, 1, 0)
    );
    assert_eq!(cal.weekly_business_time(), hours(44));
}

#[test]
fn start_of_day_when_midnight_is_in_a_gap() {
    // Havana moves its clocks from 00:00 to 01:00 (second Sunday of March: 2026-03-08).
    let cal = office("America/Havana", vec![]);
    let start = cal.start_of_day(date(2026, 3, 8)).unwrap();
    assert_eq!(start, local("America/Havana", 2026, 3, 8, 1, 0));
    assert_eq!(cal.local_date(start), date(2026, 3, 8));
    assert_eq!(
        cal.local_date(start - chrono::Duration::seconds(1)),
        date(2026, 3, 7)
    );
}

#[test]
fn json_round_trip() {
    let json = r#"{"id":"support","zone":"Europe/Berlin",
        "week":{"monday":[{"start":"13:00","end":"17:00"},{"start":"09:00","end":"12:00"}],
                "friday":[{"start":"09:00","end":"24:00"}]},
        "holidays":[{"date":"2026-12-25","name":"Christmas","hours":[]},
                    {"date":"2026-12-24","name":"Christmas Eve","hours":[{"start":"09:00","end":"12:30:30"}]}]}"#;
    let cal = BusinessCalendar::from_json(json).unwrap();
    assert_eq!(cal.week().get(Weekday::Mon)[0], iv("09:00", "12:00"));
    assert_eq!(cal.holidays()[0].date(), date(2026, 12, 24));
    let out = serde_json::to_string(&cal).unwrap();
    assert!(out.contains(r#""end":"24:00""#), "{out}");
    assert!(out.contains(r#""end":"12:30:30""#), "{out}");
    let back: BusinessCalendar = serde_json::from_str(&out).unwrap();
    assert_eq!(back, cal);
}

#[test]
fn bad_input_is_a_typed_error() {
    let week = || WeeklyHours::monday_to_friday(&[iv("09:00", "17:00")]);
    let id = || CalendarId::new("c").unwrap();
    let e = BusinessCalendar::new(id(), "Mars/Olympus", week(), vec![]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);

    assert!(WorkingInterval::parse("17:00", "09:00").is_err());
    assert!(WorkingInterval::parse("09:00", "09:00").is_err());
    assert!(WorkingInterval::parse("24:00", "24:00").is_err());
    assert!(WorkingInterval::parse("09:00", "24:01").is_err());
    assert!(WorkingInterval::parse("9:00", "17:00").is_err());

    let overlapping = WeeklyHours::new().with(
        Weekday::Mon,
        vec![iv("09:00", "13:00"), iv("12:00", "17:00")],
    );
    let e = BusinessCalendar::new(id(), "UTC", overlapping, vec![]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDefinition);

    let e = BusinessCalendar::new(id(), "UTC", WeeklyHours::new(), vec![]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDefinition);
    assert!(e.to_string().contains("no working time"), "{e}");

    // Every problem of a JSON calendar is reported at once.
    let json = r#"{"id":"c","zone":"UTC",
        "week":{"monday":[{"start":"17:00","end":"09:00"}],"tuesday":[{"start":"25:00","end":"26:00"}],
                "wednesday":[{"start":"09:00","end":"12:00"},{"start":"11:00","end":"13:00"}]},
        "holidays":[{"date":"2026-02-30","name":"Nope"},{"date":"2026-12-25","name":"X"},{"date":"2026-12-25","name":"Y"}]}"#;
    let e = BusinessCalendar::from_json(json).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDefinition);
    let crm_core::Error::InvalidDefinition { problems, .. } = &e else {
        panic!("{e}")
    };
    assert!(problems.len() >= 6, "{problems:#?}");
    // The same refusal through serde.
    assert!(serde_json::from_str::<BusinessCalendar>(json).is_err());
    // A closed week in JSON: every day empty.
    let closed = r#"{"id":"c","zone":"UTC","week":{"monday":[],"sunday":[]}}"#;
    assert_eq!(
        BusinessCalendar::from_json(closed).unwrap_err().kind(),
        ErrorKind::InvalidDefinition
    );
    let unknown_zone = r#"{"id":"c","zone":"Europe/Atlantis","week":{"monday":[{"start":"09:00","end":"17:00"}]}}"#;
    assert_eq!(
        BusinessCalendar::from_json(unknown_zone)
            .unwrap_err()
            .kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        BusinessCalendar::from_json("{").unwrap_err().kind(),
        ErrorKind::Json
    );
    assert!(serde_json::from_str::<Holiday>(r#"{"date":"2026-13-01","name":"x"}"#).is_err());

    assert!(BusinessDuration::from_secs(-1).is_err());
    let cal = office("Europe/Berlin", vec![]);
    let a = utc("2026-01-05T10:00:00Z");
    let b = utc("2026-01-05T09:00:00Z");
    assert_eq!(
        cal.between(a, b, &[]).unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[test]
fn day_lengths_on_clock_change_days() {
    let always = |zone: &str| {
        BusinessCalendar::new(
            CalendarId::new("always").unwrap(),
            zone,
            WeeklyHours::every_day(&[iv("00:00", "24:00")]),
            vec![],
        )
        .unwrap()
    };
    let day_secs = |cal: &BusinessCalendar, d: NaiveDate| {
        let next = d.succ_opt().unwrap();
        cal.between(
            cal.start_of_day(d).unwrap(),
            cal.start_of_day(next).unwrap(),
            &[],
        )
        .unwrap()
        .as_secs()
    };
    let ny = always("America/New_York");
    assert_eq!(day_secs(&ny, date(2026, 3, 8)), 23 * 3600);
    assert_eq!(day_secs(&ny, date(2026, 11, 1)), 25 * 3600);
    assert_eq!(day_secs(&ny, date(2026, 11, 2)), 24 * 3600);
    // Lord Howe Island shifts by 30 minutes.
    let lh = always("Australia/Lord_Howe");
    assert_eq!(day_secs(&lh, date(2026, 4, 5)), 24 * 3600 + 1800);
    assert_eq!(day_secs(&lh, date(2026, 10, 4)), 24 * 3600 - 1800);
    // 24x7: adding 48 hours across the New York spring change is 48 real hours.
    let a = local("America/New_York", 2026, 3, 7, 12, 0);
    assert_eq!(
        ny.add(a, hours(48), &[]).unwrap(),
        a + chrono::Duration::hours(48)
    );
    // An office interval 01:00-03:00 on Lord Howe's spring day loses 30 minutes.
    let lh_office = BusinessCalendar::new(
        CalendarId::new("lh").unwrap(),
        "Australia/Lord_Howe",
        WeeklyHours::every_day(&[iv("01:00", "03:00")]),
        vec![],
    )
    .unwrap();
    let ranges = lh_office.working_time_on(date(2026, 10, 4)).unwrap();
    assert_eq!((ranges[0].end() - ranges[0].start()).num_minutes(), 90);
}

#[test]
fn weekly_hours_json_refuses_overlaps() {
    let ok: WeeklyHours = serde_json::from_str(
        r#"{"monday":[{"start":"13:00","end":"17:00"},{"start":"09:00","end":"12:00"}]}"#,
    )
    .unwrap();
    assert_eq!(ok.get(Weekday::Mon)[0], iv("09:00", "12:00"));
    assert!(
        serde_json::from_str::<WeeklyHours>(
            r#"{"monday":[{"start":"09:00","end":"13:00"},{"start":"12:00","end":"17:00"}]}"#,
        )
        .is_err()
    );
    assert!(serde_json::from_str::<WeeklyHours>(r#"{"funday":[]}"#).is_err());
}

#[test]
fn calendars_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<BusinessCalendar>();
}

#[test]
fn the_ends_of_time_are_errors_not_panics() {
    let max = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    let min = chrono::DateTime::<chrono::Utc>::MIN_UTC;
    for zone in ["Europe/Berlin", "America/New_York", "UTC"] {
        let cal = office(zone, christmas());
        let e = cal
            .add(max - chrono::Duration::days(3), hours(1000), &[])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow, "{zone}");
        let e = cal
            .add(max, hours(1), &[TimeRange::new(min, max).unwrap()])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow, "{zone}");
        assert!(cal.add(min, hours(1), &[]).is_ok(), "{zone}");
        assert!(cal.add(min, BusinessDuration::ZERO, &[]).is_ok());
        // Far more than the longest business duration.
        let e = cal.between(min, max, &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{zone}");
        let _ = cal.is_working_time(min);
        let _ = cal.is_working_time(max);
        let _ = cal.local_date(min);
        let _ = cal.local_date(max);
        let _ = cal.start_of_day(NaiveDate::MIN);
        let _ = cal.start_of_day(NaiveDate::MAX);
        let _ = cal.next_working_instant(max);
        assert!(cal.next_working_instant(min).is_ok());
        let _ = cal.working_time_on(NaiveDate::MAX);
    }
    // A whole pause of a thousand years is jumped over, not walked.
    let cal = office("Europe/Berlin", vec![]);
    let a = utc("2026-01-05T08:00:00Z");
    let pause = TimeRange::new(a, utc("3026-01-01T00:00:00Z")).unwrap();
    let due = cal.add(a, hours(1), &[pause]).unwrap();
    assert_eq!(due, utc("3026-01-02T09:00:00Z"));
    // The longest duration accepted.
    let longest = BusinessDuration::from_secs(crm_core::calendar::MAX_BUSINESS_SECONDS).unwrap();
    let due = cal.add(a, longest, &[]).unwrap();
    assert_eq!(cal.between(a, due, &[]).unwrap(), longest);
}
