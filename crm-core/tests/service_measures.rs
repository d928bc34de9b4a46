//! Service measures on a hand-computed fixture, and properties that hold for any input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crm_core::calendar::{BusinessDuration, TimeRange};
use crm_core::interaction::{Direction, Feedback, Interaction, InteractionOutcome};
use crm_core::measures::{MeasureFilter, ServiceMeasures, measure};
use crm_core::party::{Channel, Purpose};
use crm_core::process::{
    BusinessClock, DefinitionSpec, EdgeSpec, NewInstance, Performer, ProcessDefinition,
    ProcessInstance, SlaSource, SlaTarget, SlaTargets, Step, StepKind,
};
use crm_core::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Every second is business time.
struct WallClock;

impl BusinessClock for WallClock {
    fn add(&self, at: Instant, d: BusinessDuration, _: &[TimeRange]) -> Result<Instant> {
        Ok(at + chrono::TimeDelta::seconds(d.as_secs()))
    }
    fn between(&self, a: Instant, b: Instant, _: &[TimeRange]) -> Result<BusinessDuration> {
        BusinessDuration::from_secs((b - a).num_seconds())
    }
}

fn at(s: &str) -> Instant {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn march() -> TimeRange {
    TimeRange::new(at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z")).unwrap()
}

struct Contact {
    id: &'static str,
    channel: Channel,
    direction: Direction,
    start: &'static str,
    answered: Option<&'static str>,
    ended: Option<&'static str>,
    outcome: Option<InteractionOutcome>,
    queue: Option<&'static str>,
    performer: Option<&'static str>,
    sentiment: Option<&'static str>,
    csat: Option<i64>,
    nps: Option<i64>,
    process: Option<&'static str>,
}

const BASE: Contact = Contact {
    id: "",
    channel: Channel::Phone,
    direction: Direction::Inbound,
    start: "",
    answered: None,
    ended: None,
    outcome: None,
    queue: None,
    performer: None,
    sentiment: None,
    csat: None,
    nps: None,
    process: None,
};

impl Contact {
    fn build(&self) -> Interaction {
        Interaction {
            id: InteractionId::new(self.id).unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            channel: self.channel,
            direction: self.direction,
            purpose: (self.direction == Direction::Outbound).then_some(Purpose::Service),
            kind: "complaint".into(),
            started_at: at(self.start),
            answered_at: self.answered.map(at),
            ended_at: self.ended.map(at),
            summary: "fixture".into(),
            performer: self.performer.map(|p| ActorId::new(p).unwrap()),
            queue: self.queue.map(String::from),
            sentiment: self.sentiment.map(dec),
            feedback: Feedback {
                csat: self.csat,
                nps: self.nps,
            },
            outcome: self.outcome,
            process: self.process.map(|p| InstanceId::new(p).unwrap()),
            commitments: vec![],
        }
    }
}

/// Ten contacts in March (and one in February); the figures in the comments are the inputs of
/// the hand computation in `the_fixture_measures_as_computed_by_hand`.
fn fixture() -> Vec<Interaction> {
    use InteractionOutcome::*;
    let c = [
        // wait 20 s, handled 300 s
        Contact {
            id: "I-01",
            start: "2026-03-02T09:00:00Z",
            answered: Some("2026-03-02T09:00:20Z"),
            ended: Some("2026-03-02T09:05:20Z"),
            outcome: Some(ResolvedFirstContact),
            queue: Some("first_line"),
            performer: Some("A1"),
            sentiment: Some("0.5"),
            csat: Some(5),
            nps: Some(10),
            ..BASE
        },
        // wait 40 s, handled 600 s, started process P-1
        Contact {
            id: "I-02",
            start: "2026-03-02T09:10:00Z",
            answered: Some("2026-03-02T09:10:40Z"),
            ended: Some("2026-03-02T09:20:40Z"),
            outcome: Some(TransferredWarm),
            queue: Some("first_line"),
            performer: Some("A1"),
            sentiment: Some("-0.2"),
            csat: Some(3),
            nps: Some(7),
            process: Some("P-1"),
            ..BASE
        },
        // abandoned after 90 s
        Contact {
            id: "I-03",
            start: "2026-03-02T10:00:00Z",
            ended: Some("2026-03-02T10:01:30Z"),
            outcome: Some(Abandoned),
            queue: Some("first_line"),
            ..BASE
        },
        // chat: wait 5 s, handled 500 s
        Contact {
            id: "I-04",
            channel: Channel::Chat,
            start: "2026-03-02T11:00:00Z",
            answered: Some("2026-03-02T11:00:05Z"),
            ended: Some("2026-03-02T11:08:25Z"),
            outcome: Some(ResolvedFirstContact),
            queue: Some("first_line"),
            performer: Some("A2"),
            csat: Some(4),
            nps: Some(9),
            ..BASE
        },
        // chat: wait 75 s, handled 600 s, started process P-2
        Contact {
            id: "I-05",
            channel: Channel::Chat,
            start: "2026-03-02T11:30:00Z",
            answered: Some("2026-03-02T11:31:15Z"),
            ended: Some("2026-03-02T11:41:15Z"),
            outcome: Some(TransferredCold),
            queue: Some("first_line"),
            performer: Some("A2"),
            sentiment: Some("-0.9"),
            csat: Some(1),
            nps: Some(3),
            process: Some("P-2"),
            ..BASE
        },
        // e-mail: wait 7200 s, handled 600 s
        Contact {
            id: "I-06",
            channel: Channel::Email,
            start: "2026-03-02T12:00:00Z",
            answered: Some("2026-03-02T14:00:00Z"),
            ended: Some("2026-03-02T14:10:00Z"),
            outcome: Some(FollowUpNeeded),
            queue: Some("back_office"),
            performer: Some("A3"),
            csat: Some(2),
            nps: Some(6),
            ..BASE
        },
        // abandoned after 45 s
        Contact {
            id: "I-07",
            start: "2026-03-02T13:00:00Z",
            ended: Some("2026-03-02T13:00:45Z"),
            outcome: Some(Abandoned),
            queue: Some("first_line"),
            ..BASE
        },
        // outbound callback: handled 240 s (not offered: outbound)
        Contact {
            id: "I-08",
            direction: Direction::Outbound,
            start: "2026-03-02T15:00:00Z",
            answered: Some("2026-03-02T15:00:10Z"),
            ended: Some("2026-03-02T15:04:10Z"),
            outcome: Some(ResolvedFirstContact),
            performer: Some("A1"),
            csat: Some(5),
            nps: Some(10),
            ..BASE
        },
        // web bot: answered at once, still open
        Contact {
            id: "I-09",
            channel: Channel::Web,
            start: "2026-03-02T16:00:00Z",
            answered: Some("2026-03-02T16:00:00Z"),
            performer: Some("bot-1"),
            sentiment: Some("0.3"),
            ..BASE
        },
        // messaging app: still waiting
        Contact {
            id: "I-10",
            channel: Channel::MessagingApp,
            start: "2026-03-02T17:00:00Z",
            ..BASE
        },
        // February: out of the period
        Contact {
            id: "I-00",
            start: "2026-02-27T09:00:00Z",
            answered: Some("2026-02-27T09:00:01Z"),
            ended: Some("2026-02-27T09:00:02Z"),
            outcome: Some(ResolvedFirstContact),
            csat: Some(1),
            ..BASE
        },
    ];
    c.iter().map(Contact::build).collect()
}

fn definition() -> ProcessDefinition {
    DefinitionSpec::new(DefinitionId::new("fix").unwrap(), "Fix", 1)
        .serves("complaint")
        .step(Step::new(
            "handle",
            "Handle",
            "fix it",
            Performer::queue("first_line"),
            StepKind::Start,
        ))
        .step(Step::new(
            "done",
            "Done",
            "nothing",
            Performer::queue("first_line"),
            StepKind::End,
        ))
        .edge(EdgeSpec::new("handle", "fixed", "done"))
        .build()
        .unwrap()
}

/// An instance started at `start` with a resolution target of `hours` (none when 0), ended at
/// `end` when given.
fn instance(
    def: &ProcessDefinition,
    id: &str,
    start: &str,
    hours: i64,
    end: Option<&str>,
) -> ProcessInstance {
    let mut sla = SlaTargets::none();
    if hours > 0 {
        sla = sla.with_resolution(SlaTarget::new(
            BusinessDuration::from_hours(hours).unwrap(),
            SlaSource::Host {
                reason: "fixture".into(),
            },
        ));
    }
    let mut inst = ProcessInstance::start(
        def,
        NewInstance {
            id: InstanceId::new(id).unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            agreement: None,
            calendar: CalendarId::new("wall").unwrap(),
            at: at(start),
            data: Default::default(),
            sla,
        },
    )
    .unwrap();
    if let Some(end) = end {
        inst.advance(
            def,
            &WallClock,
            "fixed",
            at(end),
            &Performer::queue("first_line"),
            &Default::default(),
        )
        .unwrap();
    }
    inst
}

fn instances(def: &ProcessDefinition) -> Vec<ProcessInstance> {
    vec![
        // met: 40 minutes of 1 hour
        instance(
            def,
            "P-1",
            "2026-03-02T09:10:00Z",
            1,
            Some("2026-03-02T09:50:00Z"),
        ),
        // breached: 90 minutes of 1 hour
        instance(
            def,
            "P-2",
            "2026-03-02T11:30:00Z",
            1,
            Some("2026-03-02T13:00:00Z"),
        ),
        // met: exactly 2 hours of 2 (not above the target)
        instance(
            def,
            "P-3",
            "2026-03-03T10:00:00Z",
            2,
            Some("2026-03-03T12:00:00Z"),
        ),
        // ended in April: out of the period
        instance(
            def,
            "P-4",
            "2026-03-31T23:00:00Z",
            1,
            Some("2026-04-01T00:30:00Z"),
        ),
        // still running
        instance(def, "P-5", "2026-03-04T10:00:00Z", 1, None),
        // no target
        instance(
            def,
            "P-6",
            "2026-03-04T10:00:00Z",
            0,
            Some("2026-03-04T18:00:00Z"),
        ),
    ]
}

fn run(filter: MeasureFilter) -> ServiceMeasures {
    let def = definition();
    measure(&fixture(), &instances(&def), &march(), &filter).unwrap()
}

#[test]
fn the_fixture_measures_as_computed_by_hand() {
    let m = run(MeasureFilter::all());
    // In March: I-01..I-10; I-08 is the only outbound one.
    assert_eq!((m.contacts, m.inbound, m.outbound), (10, 9, 1));
    // Answered: I-01, 02, 04, 05, 06, 09; abandoned: I-03, 07; waiting: I-10.
    assert_eq!(
        (m.offered, m.answered, m.abandoned, m.waiting),
        (8, 6, 2, 1)
    );
    assert_eq!(m.answered_share, Some(dec("0.75")));
    assert_eq!(m.abandoned_share, Some(dec("0.25")));
    // (20 + 40 + 5 + 75 + 7200 + 0) / 6 = 1223.333...
    assert_eq!(m.average_speed_of_answer_seconds, Some(dec("1223.33")));
    // Handled: I-01, 02, 04, 05, 06, 08: (300 + 600 + 500 + 600 + 600 + 240) / 6 = 473.333...
    assert_eq!(m.handled, 6);
    assert_eq!(m.average_handling_time_seconds, Some(dec("473.33")));
    // One touch: I-01, 04, 08 = 3 of 6; transfers: I-02 warm, I-05 cold = 2 of 6.
    assert_eq!(m.resolved_first_contact, 3);
    assert_eq!(m.one_touch_resolution_share, Some(dec("0.5")));
    assert_eq!((m.transferred_warm, m.transferred_cold), (1, 1));
    assert_eq!(m.transfer_share, Some(dec("0.3333")));
    assert_eq!(m.follow_up_needed, 1);
    // (0.5 - 0.2 - 0.9 + 0.3) / 4 = -0.075: half to even, -0.08.
    assert_eq!(m.sentiment_count, 4);
    assert_eq!(m.average_sentiment, Some(dec("-0.08")));
    // P-1 met, P-2 breached, P-3 met (exactly on target); P-4 April, P-5 running, P-6 no target.
    assert_eq!((m.sla.with_target, m.sla.met, m.sla.breached), (3, 2, 1));
    assert_eq!(m.sla.share, Some(dec("0.6667")));
    // CSAT 5, 3, 4, 1, 2, 5: 20 / 6 = 3.333...
    assert_eq!(m.csat.responses, 6);
    assert_eq!(m.csat.average, Some(dec("3.33")));
    assert_eq!(m.csat.distribution, [1, 1, 1, 1, 2]);
    // NPS 10, 7, 9, 3, 6, 10: promoters 3, passive 1, detractors 2: (3 - 2) / 6 × 100.
    assert_eq!(
        (
            m.nps.responses,
            m.nps.promoters,
            m.nps.passives,
            m.nps.detractors
        ),
        (6, 3, 1, 2)
    );
    assert_eq!(m.nps.score, Some(dec("16.67")));
}

#[test]
fn per_channel_queue_and_performer() {
    // Phone: I-01, 02, 03, 07 inbound, I-08 outbound; SLA from P-1 (linked by I-02) only.
    let m = run(MeasureFilter::all().with_channel(Channel::Phone));
    assert_eq!(
        (m.contacts, m.offered, m.answered, m.abandoned),
        (5, 4, 2, 2)
    );
    assert_eq!(m.answered_share, Some(dec("0.5")));
    assert_eq!(m.average_speed_of_answer_seconds, Some(dec("30")));
    assert_eq!(m.handled, 3);
    assert_eq!(m.average_handling_time_seconds, Some(dec("380")));
    assert_eq!(m.one_touch_resolution_share, Some(dec("0.6667")));
    assert_eq!((m.sla.with_target, m.sla.met), (1, 1));
    assert_eq!(m.sla.share, Some(dec("1")));

    // Performer A2: I-04 and I-05 (both chat); P-2 breached.
    let m = run(MeasureFilter::all().with_performer(ActorId::new("A2").unwrap()));
    assert_eq!((m.contacts, m.answered, m.handled), (2, 2, 2));
    assert_eq!(m.average_speed_of_answer_seconds, Some(dec("40")));
    assert_eq!(m.average_handling_time_seconds, Some(dec("550")));
    assert_eq!(m.transfer_share, Some(dec("0.5")));
    assert_eq!(m.sla.share, Some(dec("0")));
    assert_eq!(m.nps.score, Some(dec("0")));

    // Queue back_office: I-06 alone; no linked process.
    let m = run(MeasureFilter::all().with_queue("back_office"));
    assert_eq!((m.contacts, m.answered, m.handled), (1, 1, 1));
    assert_eq!(m.average_speed_of_answer_seconds, Some(dec("7200")));
    assert_eq!(m.sla.with_target, 0);
    assert_eq!(m.sla.share, None);
    assert_eq!(m.nps.score, Some(dec("-100")));

    // A channel nobody used: all zero, no averages.
    let m = run(MeasureFilter::all().with_channel(Channel::Branch));
    assert_eq!((m.contacts, m.offered, m.handled), (0, 0, 0));
    assert_eq!(m.answered_share, None);
    assert_eq!(m.average_handling_time_seconds, None);
}

#[test]
fn measures_serialize_with_decimals_as_strings() {
    let m = run(MeasureFilter::all().with_channel(Channel::Chat));
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["answered_share"], "1");
    assert_eq!(json["average_handling_time_seconds"], "550");
    assert_eq!(json["filter"], serde_json::json!({"channel": "chat"}));
    assert_eq!(
        json["csat"]["distribution"],
        serde_json::json!([1, 0, 0, 1, 0])
    );
    let back: ServiceMeasures = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
}

/// The fenced json block that follows `<!-- marker -->` in docs/interactions.md.
fn doc_block(marker: &str) -> String {
    const PAGE: &str = include_str!("../../docs/interactions.md");
    let tag = format!("<!-- {marker} -->");
    let after = PAGE.split_once(&tag).expect("marker on the page").1;
    let body = after.split_once("```json").expect("a json block").1;
    body.split_once("```")
        .expect("a closed block")
        .0
        .to_string()
}

#[test]
fn the_documented_examples_hold() {
    let i: Interaction = serde_json::from_str(&doc_block("interaction")).unwrap();
    i.validate().unwrap();
    assert_eq!(i.outcome, Some(InteractionOutcome::TransferredWarm));
    let documented: ServiceMeasures = serde_json::from_str(&doc_block("service_measures")).unwrap();
    assert_eq!(
        documented,
        run(MeasureFilter::all().with_channel(Channel::Chat))
    );
}

const CHANNELS: [Channel; 9] = [
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

prop_compose! {
    /// A valid interaction: offsets in seconds from the start of March (some before it).
    fn arb_interaction(n: usize)(
        channel in 0..CHANNELS.len(),
        outbound in any::<bool>(),
        start in -86_400i64..(40 * 86_400),
        wait in proptest::option::of(0i64..3_600),
        handle in proptest::option::of(0i64..3_600),
        outcome in 0usize..5,
        queue in proptest::option::of(0usize..3),
        sentiment in proptest::option::of(-100i64..=100),
        csat in proptest::option::of(1i64..=5),
        nps in proptest::option::of(0i64..=10),
    ) -> Interaction {
        use InteractionOutcome::*;
        let base = at("2026-03-01T00:00:00Z");
        let started_at = base + chrono::TimeDelta::seconds(start);
        let answered_at = wait.map(|w| started_at + chrono::TimeDelta::seconds(w));
        let ended_at = handle.map(|h| answered_at.unwrap_or(started_at) + chrono::TimeDelta::seconds(h));
        let direction = if outbound { Direction::Outbound } else { Direction::Inbound };
        let outcome = match (answered_at, ended_at) {
            (None, Some(_)) if direction == Direction::Inbound => Some(Abandoned),
            (None, _) => None,
            (Some(_), _) => [ResolvedFirstContact, TransferredWarm, TransferredCold,
                FollowUpNeeded, FollowUpNeeded][outcome].into(),
        };
        Interaction {
            id: InteractionId::new(format!("I-{n}")).unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            channel: CHANNELS[channel],
            direction,
            purpose: outbound.then_some(Purpose::Service),
            kind: "question".into(),
            started_at,
            answered_at,
            ended_at,
            summary: "generated".into(),
            performer: None,
            queue: queue.map(|q| format!("q{q}")),
            sentiment: sentiment.map(|s| Decimal::new(s, 2)),
            feedback: Feedback { csat, nps },
            outcome,
            process: None,
            commitments: vec![],
        }
    }
}

fn arb_interactions() -> impl Strategy<Value = Vec<Interaction>> {
    (0usize..40).prop_flat_map(|len| (0..len).map(arb_interaction).collect::<Vec<_>>())
}

fn in_unit(share: Option<Decimal>) -> bool {
    share.is_none_or(|s| s >= Decimal::ZERO && s <= Decimal::ONE)
}

proptest! {
    #[test]
    fn measures_are_consistent_for_any_input(interactions in arb_interactions()) {
        for i in &interactions {
            prop_assert!(i.validate().is_ok(), "{i:?}");
        }
        let m = measure(&interactions, [], &march(), &MeasureFilter::all()).unwrap();
        prop_assert_eq!(m.offered, m.answered + m.abandoned);
        prop_assert_eq!(m.inbound, m.offered + m.waiting);
        prop_assert_eq!(m.contacts, m.inbound + m.outbound);
        prop_assert!(m.handled <= m.contacts);
        prop_assert!(m.resolved_first_contact + m.transferred_warm + m.transferred_cold
            + m.follow_up_needed <= m.handled);
        for s in [m.answered_share, m.abandoned_share, m.one_touch_resolution_share,
                  m.transfer_share, m.sla.share] {
            prop_assert!(in_unit(s), "{s:?}");
        }
        if let (Some(a), Some(b)) = (m.answered_share, m.abandoned_share) {
            // Each rounded to 4 places: their sum is one within rounding.
            prop_assert!((a + b - Decimal::ONE).abs() <= dec("0.0001"));
        }
        prop_assert_eq!(m.csat.distribution.iter().sum::<u64>(), m.csat.responses);
        prop_assert_eq!(m.nps.promoters + m.nps.passives + m.nps.detractors, m.nps.responses);
        if let Some(avg) = m.csat.average {
            prop_assert!(avg >= Decimal::ONE && avg <= Decimal::from(5));
        }
        if let Some(score) = m.nps.score {
            prop_assert!(score >= Decimal::from(-100) && score <= Decimal::ONE_HUNDRED);
        }
        if let Some(s) = m.average_sentiment {
            prop_assert!(s >= -Decimal::ONE && s <= Decimal::ONE);
        }
        for a in [m.average_speed_of_answer_seconds, m.average_handling_time_seconds] {
            prop_assert!(a.is_none_or(|a| a >= Decimal::ZERO));
        }
        // Grouping per channel partitions the contacts.
        let mut per_channel = (0, 0, 0, 0);
        for c in CHANNELS {
            let g = measure(&interactions, [], &march(), &MeasureFilter::all().with_channel(c)).unwrap();
            per_channel.0 += g.contacts;
            per_channel.1 += g.offered;
            per_channel.2 += g.handled;
            per_channel.3 += g.csat.responses;
        }
        prop_assert_eq!(per_channel, (m.contacts, m.offered, m.handled, m.csat.responses));
    }
}
