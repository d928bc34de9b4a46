//! Interactions through the engine: recording, classification into a process, consent,
//! closing, channel independence, measures on a hand-computed fixture, bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use crm_core::agreement::PartyRef;
use crm_core::calendar::TimeRange;
use crm_core::engine::{InteractionUpdate, NewCommitment};
use crm_core::entitlement::EntitlementRequest;
use crm_core::interaction::{Direction, Feedback, InteractionOutcome};
use crm_core::measures::MeasureFilter;
use crm_core::party::{Channel, ConsentGrant, Purpose};
use crm_core::*;
use rust_decimal::Decimal;

const ALL_CHANNELS: [Channel; 9] = [
    Channel::Phone,
    Channel::Email,
    Channel::Chat,
    Channel::MessagingApp,
    Channel::CustomerApp,
    Channel::Web,
    Channel::Branch,
    Channel::Partner,
    Channel::Bot,
];

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn base() -> Crm {
    let mut crm = engine_with_agreement();
    crm.execute_json(support_calendar_json()).unwrap();
    activate_line(&mut crm, "A1", "L1", "2026-01-02T08:00:00Z");
    crm
}

#[test]
fn a_complaint_contact_starts_its_process_in_the_same_event() {
    let mut crm = base();
    let mut i = contact(
        "CHAT-1",
        "C1",
        Channel::Chat,
        "complaint",
        "2026-03-06T15:30:00Z",
    );
    i.answered_at = Some(t("2026-03-06T15:31:00Z"));
    let events = record(
        &mut crm,
        "2026-03-06T15:35:00Z",
        i,
        Some(start_on("P-1", "support")),
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].stream, "customer/C1");
    assert_eq!(events[0].event.tag(), "interaction_recorded");
    let id = InteractionId::new("CHAT-1").unwrap();
    let recorded = crm.interaction(&id).unwrap();
    assert_eq!(recorded.process, Some(InstanceId::new("P-1").unwrap()));
    let inst = crm.process_of_interaction(&id).unwrap();
    assert_eq!(inst.definition().as_str(), "complaint");
    // the process starts when the contact started, not when it was recorded
    assert_eq!(inst.started_at(), t("2026-03-06T15:30:00Z"));
    // replay rebuilds the same state
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
    // a later contact links the running instance instead of starting another
    let mut follow = contact(
        "PHONE-2",
        "C1",
        Channel::Phone,
        "complaint",
        "2026-03-07T09:00:00Z",
    );
    follow.process = Some(InstanceId::new("P-1").unwrap());
    follow.answered_at = Some(t("2026-03-07T09:00:10Z"));
    record(&mut crm, "2026-03-07T09:10:00Z", follow.clone(), None).unwrap();
    assert_eq!(crm.state().process_instances.len(), 1);
    // ... and may not also ask for a start
    follow.id = InteractionId::new("PHONE-3").unwrap();
    let e = record(
        &mut crm,
        "2026-03-07T09:10:00Z",
        follow,
        Some(start_on("P-9", "support")),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    let last = crm
        .interactions_of(&CustomerId::new("C1").unwrap(), 1)
        .unwrap();
    assert_eq!(last[0].id.as_str(), "PHONE-2");
}

#[test]
fn bad_input_is_a_typed_error_and_records_nothing() {
    let mut crm = base();
    let before = state_json(&crm);
    let at = "2026-03-06T16:00:00Z";
    let ok = || {
        contact(
            "X-1",
            "C1",
            Channel::Phone,
            "billing",
            "2026-03-06T15:00:00Z",
        )
    };
    // unknown customer
    let e = record(
        &mut crm,
        at,
        contact(
            "X-1",
            "NOBODY",
            Channel::Phone,
            "billing",
            "2026-03-06T15:00:00Z",
        ),
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // end before start
    let mut i = ok();
    i.answered_at = Some(t("2026-03-06T15:00:00Z"));
    i.ended_at = Some(t("2026-03-06T14:00:00Z"));
    let e = record(&mut crm, at, i, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    // sentiment out of range
    let mut i = ok();
    i.sentiment = Some(dec("1.5"));
    let e = record(&mut crm, at, i, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    // feedback out of scale
    for feedback in [
        Feedback {
            csat: Some(6),
            nps: None,
        },
        Feedback {
            csat: None,
            nps: Some(11),
        },
    ] {
        let mut i = ok();
        i.feedback = feedback;
        let e = record(&mut crm, at, i, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    }
    // a contact dated after the command
    let e = record(&mut crm, "2026-03-06T14:00:00Z", ok(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    // unknown commitment, unknown process
    let mut i = ok();
    i.commitments = vec![CommitmentId::new("NO-SUCH").unwrap()];
    let e = record(&mut crm, at, i, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let mut i = ok();
    i.process = Some(InstanceId::new("NO-SUCH").unwrap());
    let e = record(&mut crm, at, i, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // a kind no process serves cannot start one
    let e = record(&mut crm, at, ok(), Some(start_on("P-1", "support"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(state_json(&crm), before);
    // the good one records once; the same id again is a conflict
    record(&mut crm, at, ok(), None).unwrap();
    let e = record(&mut crm, at, ok(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
}

#[test]
fn commitments_and_processes_of_another_customer_are_refused() {
    let mut crm = base();
    crm.execute(&env(
        "2026-01-02T09:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C2"),
        },
    ))
    .unwrap();
    crm.execute(&env(
        "2026-01-02T09:00:00Z",
        Command::MakeCommitment {
            commitment: NewCommitment {
                id: CommitmentId::new("K-2").unwrap(),
                customer: CustomerId::new("C2").unwrap(),
                agreement: None,
                description: "call back".into(),
                made_by: PartyRef::Organisation {
                    unit: "service".into(),
                },
                responsible: PartyRef::Organisation {
                    unit: "service".into(),
                },
                due_at: t("2026-01-04T09:00:00Z"),
            },
        },
    ))
    .unwrap();
    let mut other = contact(
        "C2-1",
        "C2",
        Channel::Chat,
        "complaint",
        "2026-01-02T10:00:00Z",
    );
    other.answered_at = Some(t("2026-01-02T10:00:00Z"));
    record(
        &mut crm,
        "2026-01-02T10:05:00Z",
        other,
        Some(start_on("P-C2", "support")),
    )
    .unwrap();
    let before = state_json(&crm);
    let mut i = contact(
        "C1-1",
        "C1",
        Channel::Phone,
        "billing",
        "2026-01-03T10:00:00Z",
    );
    i.commitments = vec![CommitmentId::new("K-2").unwrap()];
    let e = record(&mut crm, "2026-01-03T10:05:00Z", i, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    let mut i = contact(
        "C1-1",
        "C1",
        Channel::Phone,
        "billing",
        "2026-01-03T10:00:00Z",
    );
    i.process = Some(InstanceId::new("P-C2").unwrap());
    let e = record(&mut crm, "2026-01-03T10:05:00Z", i, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(state_json(&crm), before);
}

#[test]
fn outbound_contacts_respect_consent() {
    let mut crm = base();
    let at = "2026-03-06T16:00:00Z";
    let outbound = |id: &str, channel: Channel, purpose: Purpose| {
        let mut i = contact(id, "C1", channel, "offer", "2026-03-06T15:00:00Z");
        i.direction = Direction::Outbound;
        i.purpose = Some(purpose);
        i
    };
    let before = state_json(&crm);
    let e = record(
        &mut crm,
        at,
        outbound("M-1", Channel::Email, Purpose::Marketing),
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConsentRequired, "{e}");
    assert_eq!(state_json(&crm), before);
    // service contacts need no opt-in
    record(
        &mut crm,
        at,
        outbound("S-1", Channel::Email, Purpose::Service),
        None,
    )
    .unwrap();
    // with consent on e-mail, marketing by e-mail passes and by phone still does not
    crm.execute(&env(
        at,
        Command::SetConsent {
            customer: CustomerId::new("C1").unwrap(),
            grant: ConsentGrant {
                purpose: Purpose::Marketing,
                channel: Channel::Email,
                granted: true,
            },
        },
    ))
    .unwrap();
    record(
        &mut crm,
        at,
        outbound("M-1", Channel::Email, Purpose::Marketing),
        None,
    )
    .unwrap();
    let e = record(
        &mut crm,
        at,
        outbound("M-2", Channel::Phone, Purpose::Marketing),
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConsentRequired, "{e}");
    // a withdrawn service consent on a channel refuses service contacts there
    crm.execute(&env(
        at,
        Command::SetConsent {
            customer: CustomerId::new("C1").unwrap(),
            grant: ConsentGrant {
                purpose: Purpose::Service,
                channel: Channel::Phone,
                granted: false,
            },
        },
    ))
    .unwrap();
    let e = record(
        &mut crm,
        at,
        outbound("S-2", Channel::Phone, Purpose::Service),
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConsentRequired, "{e}");
}

#[test]
fn update_closes_an_interaction_once_and_validates_the_result() {
    let mut crm = base();
    let mut i = contact(
        "PH-1",
        "C1",
        Channel::Phone,
        "billing",
        "2026-03-06T15:00:00Z",
    );
    i.answered_at = Some(t("2026-03-06T15:00:20Z"));
    record(&mut crm, "2026-03-06T15:01:00Z", i, None).unwrap();
    let id = InteractionId::new("PH-1").unwrap();
    let update = |crm: &mut Crm, at: &str, u: InteractionUpdate| {
        crm.execute(&env(
            at,
            Command::UpdateInteraction {
                interaction: id.clone(),
                update: u,
            },
        ))
    };
    let before = state_json(&crm);
    for bad in [
        InteractionUpdate::default(),
        InteractionUpdate {
            sentiment: Some(dec("-1.01")),
            ..Default::default()
        },
        InteractionUpdate {
            feedback: Feedback {
                csat: Some(0),
                nps: None,
            },
            ..Default::default()
        },
        InteractionUpdate {
            ended_at: Some(t("2026-03-06T14:00:00Z")),
            ..Default::default()
        },
    ] {
        let e = update(&mut crm, "2026-03-06T15:10:00Z", bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    }
    assert_eq!(state_json(&crm), before);
    update(
        &mut crm,
        "2026-03-06T15:10:00Z",
        InteractionUpdate {
            ended_at: Some(t("2026-03-06T15:06:00Z")),
            outcome: Some(InteractionOutcome::ResolvedFirstContact),
            sentiment: Some(dec("0.4")),
            ..Default::default()
        },
    )
    .unwrap();
    // the survey arrives the next day
    update(
        &mut crm,
        "2026-03-07T10:00:00Z",
        InteractionUpdate {
            feedback: Feedback {
                csat: Some(4),
                nps: Some(9),
            },
            ..Default::default()
        },
    )
    .unwrap();
    let i = crm.interaction(&id).unwrap();
    assert_eq!(i.ended_at, Some(t("2026-03-06T15:06:00Z")));
    assert_eq!(i.feedback.csat, Some(4));
    assert_eq!(i.sentiment, Some(dec("0.4")));
    let e = update(
        &mut crm,
        "2026-03-07T10:00:00Z",
        InteractionUpdate {
            ended_at: Some(t("2026-03-06T15:07:00Z")),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition, "{e}");
}

#[test]
fn the_channel_never_changes_an_answer() {
    let mut crm = base();
    let c1 = CustomerId::new("C1").unwrap();
    // a complaint process is running
    let mut i = contact(
        "CH-0",
        "C1",
        Channel::Chat,
        "complaint",
        "2026-03-06T15:30:00Z",
    );
    i.answered_at = Some(t("2026-03-06T15:30:00Z"));
    record(
        &mut crm,
        "2026-03-06T15:30:00Z",
        i,
        Some(start_on("P-1", "support")),
    )
    .unwrap();
    let p1 = InstanceId::new("P-1").unwrap();
    // one device replacement already used (by phone)
    crm.execute(&env(
        "2026-03-06T16:00:00Z",
        Command::ConsumeEntitlement {
            usage: UsageId::new("U-1").unwrap(),
            request: EntitlementRequest::new(c1.clone(), "device_replacement", Channel::Phone),
        },
    ))
    .unwrap();
    let at = t("2026-03-09T10:00:00Z");
    let reference = crm
        .check_entitlement(
            &EntitlementRequest::new(c1.clone(), "device_replacement", Channel::Phone),
            at,
        )
        .unwrap();
    assert!(reference.is_granted());
    let status = crm.process_status(&p1, at).unwrap();
    for (n, channel) in ALL_CHANNELS.into_iter().enumerate() {
        let d = crm
            .check_entitlement(
                &EntitlementRequest::new(c1.clone(), "device_replacement", channel),
                at,
            )
            .unwrap();
        assert_eq!(d, reference, "{channel:?}");
        // recording a contact on the channel changes no answer either
        let mut i = contact(
            &format!("Q-{n}"),
            "C1",
            channel,
            "complaint",
            "2026-03-06T17:00:00Z",
        );
        i.process = Some(p1.clone());
        record(&mut crm, "2026-03-06T17:00:00Z", i, None).unwrap();
        assert_eq!(crm.process_status(&p1, at).unwrap(), status, "{channel:?}");
        let d = crm
            .check_entitlement(
                &EntitlementRequest::new(c1.clone(), "device_replacement", channel),
                at,
            )
            .unwrap();
        assert_eq!(d, reference, "{channel:?}");
    }
    assert_eq!(
        crm.process_of_interaction(&InteractionId::new("CH-0").unwrap())
            .unwrap()
            .id(),
        &p1
    );
}

/// Four contacts on 2026-03-10, measured through the engine; every figure computed by hand
/// in the comments.
#[test]
fn measures_through_the_engine_equal_hand_computed_values() {
    let mut crm = base();
    let mut fixture = Vec::new();
    // phone: answered after 30 s, handled 300 s, resolved in one touch; CSAT 5, NPS 10
    let mut a = contact(
        "M-A",
        "C1",
        Channel::Phone,
        "billing",
        "2026-03-10T10:00:00Z",
    );
    a.answered_at = Some(t("2026-03-10T10:00:30Z"));
    a.ended_at = Some(t("2026-03-10T10:05:30Z"));
    a.outcome = Some(InteractionOutcome::ResolvedFirstContact);
    a.feedback = Feedback {
        csat: Some(5),
        nps: Some(10),
    };
    a.sentiment = Some(dec("0.5"));
    fixture.push(a);
    // phone: answered after 90 s, handled 600 s, transferred warm; CSAT 3, NPS 6
    let mut b = contact(
        "M-B",
        "C1",
        Channel::Phone,
        "billing",
        "2026-03-10T11:00:00Z",
    );
    b.answered_at = Some(t("2026-03-10T11:01:30Z"));
    b.ended_at = Some(t("2026-03-10T11:11:30Z"));
    b.outcome = Some(InteractionOutcome::TransferredWarm);
    b.feedback = Feedback {
        csat: Some(3),
        nps: Some(6),
    };
    b.sentiment = Some(dec("-0.5"));
    fixture.push(b);
    // phone: abandoned after 2 minutes in the queue
    let mut c = contact(
        "M-C",
        "C1",
        Channel::Phone,
        "billing",
        "2026-03-10T12:00:00Z",
    );
    c.ended_at = Some(t("2026-03-10T12:02:00Z"));
    c.outcome = Some(InteractionOutcome::Abandoned);
    fixture.push(c);
    // chat: answered at once, handled 600 s, resolved in one touch; CSAT 4, NPS 9
    let mut d = contact(
        "M-D",
        "C1",
        Channel::Chat,
        "billing",
        "2026-03-10T13:00:00Z",
    );
    d.answered_at = Some(t("2026-03-10T13:00:00Z"));
    d.ended_at = Some(t("2026-03-10T13:10:00Z"));
    d.outcome = Some(InteractionOutcome::ResolvedFirstContact);
    d.feedback = Feedback {
        csat: Some(4),
        nps: Some(9),
    };
    fixture.push(d);
    // outside the period: not counted
    let mut e = contact(
        "M-E",
        "C1",
        Channel::Phone,
        "billing",
        "2026-03-11T13:00:00Z",
    );
    e.answered_at = Some(t("2026-03-11T13:00:00Z"));
    fixture.push(e);
    for i in fixture {
        record(&mut crm, "2026-03-12T00:00:00Z", i, None).unwrap();
    }
    let day = TimeRange::new(t("2026-03-10T00:00:00Z"), t("2026-03-11T00:00:00Z")).unwrap();
    let m = crm.service_measures(&day, &MeasureFilter::all()).unwrap();
    assert_eq!(m.contacts, 4);
    assert_eq!((m.offered, m.answered, m.abandoned), (4, 3, 1));
    assert_eq!(m.answered_share, Some(dec("0.75")));
    assert_eq!(m.abandoned_share, Some(dec("0.25")));
    // (30 + 90 + 0) / 3
    assert_eq!(m.average_speed_of_answer_seconds, Some(dec("40")));
    // (300 + 600 + 600) / 3
    assert_eq!(m.handled, 3);
    assert_eq!(m.average_handling_time_seconds, Some(dec("500")));
    // 2 of 3 handled resolved in one touch, 1 of 3 transferred
    assert_eq!(m.one_touch_resolution_share, Some(dec("0.6667")));
    assert_eq!(m.transfer_share, Some(dec("0.3333")));
    // (5 + 3 + 4) / 3; one answer each of 3, 4, 5
    assert_eq!(m.csat.average, Some(dec("4")));
    assert_eq!(m.csat.distribution, [0, 0, 1, 1, 1]);
    // promoters 10 and 9, detractor 6: (2 - 1) / 3 * 100
    assert_eq!(m.nps.score, Some(dec("33.33")));
    // (0.5 - 0.5) / 2
    assert_eq!(m.average_sentiment, Some(dec("0")));
    // per channel: phone only
    let phone = crm
        .service_measures(&day, &MeasureFilter::all().with_channel(Channel::Phone))
        .unwrap();
    assert_eq!((phone.offered, phone.answered, phone.abandoned), (3, 2, 1));
    // (30 + 90) / 2
    assert_eq!(phone.average_speed_of_answer_seconds, Some(dec("60")));
    assert_eq!(phone.csat.average, Some(dec("4")));
}

/// The 360 view's sentiment trend: a moving average of the last three sentiments, by hand.
#[test]
fn the_sentiment_trend_is_a_moving_average_of_the_last_three() {
    let mut crm = base();
    // sentiments 0.5, -0.5, (none), 0.2, 0.9 on consecutive days
    for (n, s) in [Some("0.5"), Some("-0.5"), None, Some("0.2"), Some("0.9")]
        .into_iter()
        .enumerate()
    {
        let mut i = contact(
            &format!("S-{n}"),
            "C1",
            Channel::Phone,
            "billing",
            &format!("2026-03-1{n}T10:00:00Z"),
        );
        i.sentiment = s.map(dec);
        record(&mut crm, "2026-03-20T00:00:00Z", i, None).unwrap();
    }
    let c1 = CustomerId::new("C1").unwrap();
    let view = crm
        .customer_360(&c1, t("2026-03-20T00:00:00Z"), 10)
        .unwrap();
    let trend: Vec<(&str, Decimal)> = view
        .sentiment_trend
        .iter()
        .map(|p| (p.interaction.as_str(), p.moving_average))
        .collect();
    assert_eq!(
        trend,
        vec![
            ("S-0", dec("0.5")),
            // (0.5 - 0.5) / 2
            ("S-1", dec("0")),
            // (0.5 - 0.5 + 0.2) / 3 = 0.0666.. -> 0.07
            ("S-3", dec("0.07")),
            // (-0.5 + 0.2 + 0.9) / 3
            ("S-4", dec("0.2")),
        ]
    );
    // last_n keeps the newest points and interactions; the instant hides later contacts
    let view = crm.customer_360(&c1, t("2026-03-13T12:00:00Z"), 2).unwrap();
    assert_eq!(
        view.interactions
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        vec!["S-3", "S-2"]
    );
    assert_eq!(
        view.sentiment_trend
            .iter()
            .map(|p| p.interaction.as_str())
            .collect::<Vec<_>>(),
        vec!["S-1", "S-3"]
    );
    assert!(
        crm.customer_360(
            &CustomerId::new("NOBODY").unwrap(),
            t("2026-03-13T12:00:00Z"),
            2
        )
        .is_err()
    );
}
