//! Story 5 and the calendar-based property test: a chat complaint over a weekend on a
//! Mon-Fri 09:00-17:00 Europe/Berlin calendar.

use super::tests::{new_instance, run_random_walk};
use super::*;
use crate::calendar::{BusinessCalendar, BusinessDuration, WeeklyHours, WorkingInterval};
use crate::ids::*;
use crate::{ErrorKind, Instant};
use chrono::TimeZone;

fn berlin_calendar() -> BusinessCalendar {
    BusinessCalendar::new(
        CalendarId::new("berlin").unwrap(),
        "Europe/Berlin",
        WeeklyHours::monday_to_friday(&[WorkingInterval::from_hm(9, 0, 17, 0).unwrap()]),
        Vec::new(),
    )
    .unwrap()
}

/// A local Berlin wall-clock time as an instant.
fn berlin(d: u32, h: u32, mi: u32) -> Instant {
    chrono_tz::Europe::Berlin
        .with_ymd_and_hms(2026, 3, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn minutes(m: i64) -> BusinessDuration {
    BusinessDuration::from_minutes(m).unwrap()
}

/// Runs the story: chat complaint Friday 16:30, warm transfer at 16:50, the back office
/// resolves on Monday at `resolved_at`, callback, and the customer's feedback on Tuesday.
fn chat_complaint_over_a_weekend(resolved_at: Instant) -> (ProcessDefinition, ProcessInstance) {
    let def = builtin::complaint().unwrap();
    let cal = berlin_calendar();
    // The preferred tier's resolution target applies (story 4), not the definition's 8h.
    let sla = SlaTargets::from_definition(&def).with_resolution(SlaTarget::new(
        BusinessDuration::from_hours(4).unwrap(),
        SlaSource::Tier {
            tier: "preferred".into(),
        },
    ));
    let mut inst =
        ProcessInstance::start(&def, new_instance("chat-1", berlin(6, 16, 30), sla)).unwrap();
    let none = InstanceData::new();
    let fl = Performer::queue("first_line");
    let bo = Performer::queue("back_office");
    inst.advance(
        &def,
        &cal,
        "accepted",
        berlin(6, 16, 31),
        &Performer::handler("intake"),
        &none,
    )
    .unwrap();
    inst.advance(&def, &cal, "transfer", berlin(6, 16, 50), &fl, &none)
        .unwrap();

    // Over the weekend both clocks stand still.
    let sat = inst.status(&def, &cal, berlin(7, 12, 0)).unwrap();
    let sun = inst.status(&def, &cal, berlin(8, 20, 0)).unwrap();
    assert_eq!(sat, InstanceStatus { ..sun.clone() });
    let res = sun.resolution.unwrap();
    assert_eq!(res.used, minutes(30));
    assert_eq!(res.state, SlaState::OnTrack);
    assert_eq!(res.deadline, berlin(9, 12, 30));
    let step = sun.step_sla.unwrap();
    assert_eq!(step.used, minutes(10));
    assert_eq!(step.deadline, berlin(9, 12, 50));

    // Monday 11:30, still in the back office: 3h of 4h used, on track.
    let s = inst.status(&def, &cal, berlin(9, 11, 30)).unwrap();
    assert_eq!(s.step, "back_office");
    assert_eq!(s.resolution.as_ref().unwrap().used, minutes(180));
    assert_eq!(s.resolution.as_ref().unwrap().state, SlaState::OnTrack);
    assert_eq!(s.step_sla.as_ref().unwrap().used, minutes(160));

    inst.advance(&def, &cal, "resolved", resolved_at, &bo, &none)
        .unwrap();
    let decided = resolved_at + chrono::Duration::minutes(5);
    inst.advance(
        &def,
        &cal,
        "decided",
        decided,
        &Performer::handler("compensation_policy"),
        &none,
    )
    .unwrap();
    let called = decided + chrono::Duration::minutes(35);
    inst.advance(&def, &cal, "called_back", called, &bo, &none)
        .unwrap();
    // Waiting for the customer's feedback: the resolution clock is paused; the deadline
    // shown is where it would fall if the clock resumed now (or, once breached, when the
    // target ran out).
    let waiting = inst.status(&def, &cal, berlin(9, 15, 0)).unwrap();
    let w = waiting.resolution.unwrap();
    assert!(w.clock_paused);
    assert_eq!(w.used, inst.active_time());
    if w.state == SlaState::Breached {
        assert_eq!(w.deadline, berlin(9, 12, 30));
    } else {
        assert_eq!(w.deadline, berlin(9, 15, 10));
    }
    inst.advance(
        &def,
        &cal,
        "feedback_given",
        berlin(10, 10, 0),
        &Performer::Customer,
        &none,
    )
    .unwrap();
    assert!(inst.is_ended());
    (def, inst)
}

#[test]
fn story_5_chat_complaint_over_a_weekend_met_by_ten_minutes() {
    let (def, inst) = chat_complaint_over_a_weekend(berlin(9, 11, 40));
    let cal = berlin_calendar();

    // The records show how long each step took, in business time.
    let h = inst.history(&def).unwrap();
    let took: Vec<(&str, BusinessDuration, bool)> = h
        .iter()
        .map(|m| (m.from, m.business_time, m.clock_paused))
        .collect();
    assert_eq!(
        took,
        vec![
            ("received", minutes(1), false),
            ("first_line", minutes(19), false),
            // Friday 16:50-17:00 and Monday 09:00-11:40
            ("back_office", minutes(170), false),
            ("compensation_decision", minutes(5), false),
            ("callback", minutes(35), false),
            // Monday 12:20-17:00 and Tuesday 09:00-10:00, waiting for the customer: paused
            ("feedback", minutes(340), true),
        ]
    );
    // The warm transfer is recorded with both performers.
    assert!(h[1].warm_transfer);
    assert_eq!(h[1].performer, &Performer::queue("first_line"));
    assert_eq!(h[1].to_performer, &Performer::queue("back_office"));

    // Resolution met: 3h50m of 4h counted; the feedback wait does not count.
    let s = inst.status(&def, &cal, berlin(10, 10, 0)).unwrap();
    assert!(s.ended);
    assert!(s.step_sla.is_none());
    let r = s.resolution.unwrap();
    assert_eq!(r.state, SlaState::Met);
    assert_eq!(r.used, minutes(230));
    assert_eq!(r.remaining, minutes(10));
    // The deadline moved by the pause: 10 minutes after the customer answered.
    assert_eq!(r.deadline, berlin(10, 10, 10));
    assert_eq!(
        r.to_string(),
        format!(
            "4h from tier preferred: met, 3h50m used, 0h10m left, deadline {}",
            berlin(10, 10, 10).to_rfc3339()
        )
    );
    // A later status gives the same answer: the instance has ended.
    assert_eq!(
        inst.status(&def, &cal, berlin(20, 9, 0))
            .unwrap()
            .resolution
            .unwrap(),
        r
    );
}

#[test]
fn story_5_resolved_five_minutes_too_late_is_breached() {
    let (def, inst) = chat_complaint_over_a_weekend(berlin(9, 11, 55));
    let cal = berlin_calendar();
    let r = inst
        .status(&def, &cal, berlin(10, 10, 0))
        .unwrap()
        .resolution
        .unwrap();
    assert_eq!(r.state, SlaState::Breached);
    assert_eq!(r.used, minutes(245));
    assert_eq!(r.overdue, minutes(5));
    assert_eq!(r.remaining, BusinessDuration::ZERO);
    // The clock ran out Monday 12:30, during the callback, before the pause.
    assert_eq!(r.deadline, berlin(9, 12, 30));

    // At risk before that: Monday 12:00 in the compensation decision, 3h35m+ used of 4h.
    let def2 = &def;
    let mut running = ProcessInstance::start(
        def2,
        new_instance(
            "chat-2",
            berlin(6, 16, 30),
            SlaTargets::none().with_resolution(SlaTarget::new(
                BusinessDuration::from_hours(4).unwrap(),
                SlaSource::Entitlement {
                    agreement: AgreementId::new("A1").unwrap(),
                    entitlement: EntitlementId::new("E1").unwrap(),
                },
            )),
        ),
    )
    .unwrap();
    let none = InstanceData::new();
    running
        .advance(
            def2,
            &cal,
            "accepted",
            berlin(6, 16, 30),
            &Performer::handler("intake"),
            &none,
        )
        .unwrap();
    running
        .advance(
            def2,
            &cal,
            "transfer",
            berlin(6, 16, 50),
            &Performer::queue("first_line"),
            &none,
        )
        .unwrap();
    let s = running.status(def2, &cal, berlin(9, 11, 45)).unwrap();
    let r = s.resolution.unwrap();
    assert_eq!(r.state, SlaState::AtRisk);
    assert!(
        r.to_string()
            .starts_with("4h from entitlement E1 of agreement A1: at risk"),
        "{r}"
    );
    // Analytics over both story runs: after the feedback wait, the back office takes longest.
    let (_, met) = chat_complaint_over_a_weekend(berlin(9, 11, 40));
    let report = analyze(&def, [&inst, &met]).unwrap();
    assert_eq!(report.bottlenecks_by_time[0].step, "feedback");
    assert_eq!(report.bottlenecks_by_time[1].step, "back_office");
    assert_eq!(report.resolution_with_target, 2);
    assert_eq!(report.resolution_breached, 1);
    assert_eq!(
        report.resolution_breach_share,
        rust_decimal::Decimal::new(5, 1)
    );
}

#[test]
fn a_calendar_other_than_the_instances_is_refused() {
    let def = builtin::complaint().unwrap();
    let other = BusinessCalendar::new(
        CalendarId::new("paris").unwrap(),
        "Europe/Paris",
        WeeklyHours::monday_to_friday(&[WorkingInterval::from_hm(9, 0, 17, 0).unwrap()]),
        Vec::new(),
    )
    .unwrap();
    let mut inst =
        ProcessInstance::start(&def, new_instance("I", berlin(6, 9, 0), SlaTargets::none()))
            .unwrap();
    let before = inst.clone();
    let e = inst
        .advance(
            &def,
            &other,
            "accepted",
            berlin(6, 9, 5),
            &Performer::handler("intake"),
            &InstanceData::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(inst, before);
}

proptest::proptest! {
    #[test]
    fn random_walks_on_the_berlin_calendar_add_up(
        which in 0usize..6,
        steps in proptest::collection::vec((0usize..8, 0u32..4000), 0..30),
    ) {
        let def = &builtin::all().unwrap()[which];
        run_random_walk(def, &berlin_calendar(), berlin(6, 15, 0), &steps);
    }
}
