//! The five stories of DOMAIN.md end to end through the engine, checking the figures of the
//! reports a host would show: the customer 360 view, the audit, accountability, the process
//! report and the service measures.
//!
//! Story 3 (sale, billing, late and partial payments, the collection ladder, restriction and
//! settlement) runs end to end in `engine_obligations.rs`
//! (`story_3_end_to_end_through_the_engine`); story 4 (low value, high potential, preferred,
//! the shorter SLA) in `engine_policies.rs`
//! (`story_4_low_value_high_potential_is_preferred_and_gets_the_shorter_sla`). Here story 3's
//! collections appear in the audit and story 4's tier in story 5.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use crm_core::agreement::{
    Exception, ExceptionEffect, ExceptionScope, NewLine, PartyRef, SoldThrough, Term,
};
use crm_core::audit::FindingKind;
use crm_core::calendar::TimeRange;
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::engine::{HostFacts, InteractionUpdate, NewCommitment, PolicySettings};
use crm_core::entitlement::{EntitlementKind, EntitlementRequest, EntitlementTemplate, Window};
use crm_core::interaction::{Direction, Feedback, InteractionOutcome};
use crm_core::measures::MeasureFilter;
use crm_core::party::{Channel, Consent, Partner, PartnerKind, Purpose};
use crm_core::policy::{Complaint, PolicySet};
use crm_core::process::{Performer, SlaSource, SlaState};
use crm_core::view::Customer360;
use crm_core::*;
use rust_decimal::Decimal;

fn eur(s: &str) -> Money {
    Money::parse(s, "EUR").unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn cid(s: &str) -> CustomerId {
    CustomerId::new(s).unwrap()
}

fn run(crm: &mut Crm, at: &str, command: Command) -> Vec<EventEnvelope> {
    crm.execute(&env(at, command)).unwrap()
}

fn policies() -> PolicySet {
    serde_json::from_str(
        r#"{
  "tiering": {
    "tiers": ["standard", "gold"],
    "table": {
      "name": "tiering", "hit_policy": "first",
      "inputs": [{"name": "revenue", "type": "money", "currency": "EUR"},
                 {"name": "potential", "type": "money", "currency": "EUR"}],
      "outputs": [{"name": "tier", "type": "string"}],
      "rules": [
        {"id": "R3", "description": "small today, large potential",
         "when": {"potential": {"op": "ge", "value": "100000.00"}, "revenue": {"op": "lt", "value": "5000.00"}},
         "then": {"tier": "gold"}}
      ]
    }
  },
  "service": {
    "tiers": ["standard", "gold"],
    "cap_period": {"period": "calendar_month"},
    "per_tier": {
      "standard": {"routing_priority": 0, "compensation_cap": {"amount": "50.00", "currency": "EUR"}},
      "gold": {"routing_priority": 2, "compensation_cap": {"amount": "100.00", "currency": "EUR"},
               "sla": {"complaint": {"resolution": {"rule": "absolute", "duration": {"seconds": 14400}}}}}
    }
  },
  "compensation": {
    "tiers": ["standard", "gold"],
    "table": {
      "name": "compensation", "hit_policy": "first",
      "inputs": [{"name": "commitment_broken", "type": "boolean"}],
      "outputs": [{"name": "credit", "type": "money", "currency": "EUR"}],
      "rules": [
        {"id": "C1", "when": {"commitment_broken": {"op": "eq", "value": true}}, "then": {"credit": "20.00"}}
      ]
    }
  }
}"#,
    )
    .unwrap()
}

fn commitment(
    id: &str,
    customer: &str,
    what: &str,
    made_by: PartyRef,
    responsible: PartyRef,
    due: &str,
) -> Command {
    Command::MakeCommitment {
        commitment: NewCommitment {
            id: CommitmentId::new(id).unwrap(),
            customer: cid(customer),
            agreement: None,
            description: what.into(),
            made_by,
            responsible,
            due_at: t(due),
        },
    }
}

fn service() -> PartyRef {
    PartyRef::Organisation {
        unit: "service".into(),
    }
}

fn partner(id: &str) -> PartyRef {
    PartyRef::Partner {
        partner: PartnerId::new(id).unwrap(),
    }
}

fn advance(crm: &mut Crm, at: &str, instance: &str, outcome: &str, performer: Performer) {
    run(
        crm,
        at,
        Command::AdvanceProcess {
            instance: InstanceId::new(instance).unwrap(),
            outcome: outcome.into(),
            performer,
            data: Default::default(),
        },
    );
}

/// One organisation: policies, the support calendar, a device insurance offering; customers
/// S1 (story 1), S2 (story 2), S5 (story 5).
fn organisation() -> Crm {
    let mut crm = Crm::new();
    let at = "2026-01-05T09:00:00Z";
    run(
        &mut crm,
        at,
        Command::RegisterPolicies {
            policies: Box::new(policies()),
            settings: PolicySettings::default(),
        },
    );
    crm.execute_json(support_calendar_json()).unwrap();
    run(
        &mut crm,
        at,
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("INSURED").unwrap(),
                name: "Mobile with device insurance".into(),
                kind: OfferingKind::Service,
                payment_plans: vec![],
                entitlements: vec![EntitlementTemplate {
                    code: "device_insurance".into(),
                    kind: EntitlementKind::Quota {
                        uses: 2,
                        window: Window::RollingDays { days: 365 },
                        per_channel: vec![],
                    },
                    conditions: Default::default(),
                    valid_days: None,
                }],
            },
        },
    );
    for c in ["S1", "S2", "S5"] {
        run(
            &mut crm,
            at,
            Command::RegisterCustomer {
                customer: customer(c),
            },
        );
    }
    for (id, name) in [("TRAVEL-AGENT", "Sunny Travel"), ("CARRIER", "Blue Air")] {
        run(
            &mut crm,
            at,
            Command::RegisterPartner {
                partner: Partner {
                    id: PartnerId::new(id).unwrap(),
                    name: name.into(),
                    kind: if id == "CARRIER" {
                        PartnerKind::ServiceProvider
                    } else {
                        PartnerKind::Agent
                    },
                },
            },
        );
    }
    run(
        &mut crm,
        at,
        Command::CreateAgreement {
            agreement: AgreementId::new("AG-S1").unwrap(),
            customer: cid("S1"),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: "2026-01-05".parse().unwrap(),
                end: Some("2027-12-31".parse().unwrap()),
                auto_renew: false,
            },
            lines: vec![NewLine {
                id: LineId::new("L-S1").unwrap(),
                offering: OfferingId::new("INSURED").unwrap(),
                quantity: 1,
            }],
            signature: Consent {
                channel: Channel::Branch,
                at: t(at),
            },
        },
    );
    activate_line(&mut crm, "AG-S1", "L-S1", "2026-01-05T10:00:00Z");
    crm
}

#[test]
fn story_1_device_insurance_loan_device_extension_and_a_broken_callback() {
    let mut crm = organisation();
    let s1 = cid("S1");
    // Monday 2 March: the device is broken; the customer calls
    let mut call = contact(
        "PH-1",
        "S1",
        Channel::Phone,
        "device_claim",
        "2026-03-02T09:00:00Z",
    );
    call.answered_at = Some(t("2026-03-02T09:00:40Z"));
    let request = EntitlementRequest::new(s1.clone(), "device_insurance", Channel::Phone);
    let decision = crm
        .check_entitlement(&request, t("2026-03-02T09:05:00Z"))
        .unwrap();
    assert!(decision.is_granted());
    run(
        &mut crm,
        "2026-03-02T09:05:00Z",
        Command::ConsumeEntitlement {
            usage: UsageId::new("U-1").unwrap(),
            request,
        },
    );
    // a loan device until the repair is done, and a callback within two days
    run(
        &mut crm,
        "2026-03-02T09:10:00Z",
        commitment(
            "K-LOAN",
            "S1",
            "return the loan device",
            service(),
            PartyRef::Customer {
                customer: s1.clone(),
            },
            "2026-03-16T17:00:00Z",
        ),
    );
    run(
        &mut crm,
        "2026-03-02T09:10:00Z",
        commitment(
            "K-CB",
            "S1",
            "call back when the repair is done",
            service(),
            service(),
            "2026-03-04T09:00:00Z",
        ),
    );
    call.ended_at = Some(t("2026-03-02T09:12:00Z"));
    call.outcome = Some(InteractionOutcome::FollowUpNeeded);
    call.commitments = vec![
        CommitmentId::new("K-CB").unwrap(),
        CommitmentId::new("K-LOAN").unwrap(),
    ];
    record(&mut crm, "2026-03-02T09:12:00Z", call, None).unwrap();
    // granted, one remains
    let view = crm.customer_360(&s1, t("2026-03-02T10:00:00Z"), 5).unwrap();
    let ins = view
        .entitlements
        .iter()
        .find(|e| e.code == "device_insurance")
        .unwrap();
    assert_eq!(ins.remaining.as_ref().unwrap().remaining, dec("1"));
    assert!(view.alerts.is_empty(), "{:?}", view.alerts);
    // the callback passes unkept: the audit says so
    let alerts = crm.audit(&s1, t("2026-03-05T08:00:00Z")).unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, FindingKind::CommitmentPastDue);
    assert_eq!(alerts[0].ids[0].id, "K-CB");
    // the customer complains; the complaint starts its process; the promise is recorded broken
    let mut complaint = contact(
        "PH-2",
        "S1",
        Channel::Phone,
        "complaint",
        "2026-03-05T08:00:00Z",
    );
    complaint.answered_at = Some(t("2026-03-05T08:00:30Z"));
    complaint.sentiment = Some(dec("-0.6"));
    complaint.commitments = vec![CommitmentId::new("K-CB").unwrap()];
    record(
        &mut crm,
        "2026-03-05T08:05:00Z",
        complaint,
        Some(start_on("P-S1", "support")),
    )
    .unwrap();
    run(
        &mut crm,
        "2026-03-05T08:10:00Z",
        Command::BreakCommitment {
            commitment: CommitmentId::new("K-CB").unwrap(),
            reason: "nobody called back".into(),
        },
    );
    // the compensation policy decides: 20.00 for a broken commitment, into the ledger
    let ev = run(
        &mut crm,
        "2026-03-05T08:15:00Z",
        Command::GrantCompensation {
            customer: s1.clone(),
            complaint: Complaint {
                id: InteractionId::new("PH-2").unwrap(),
                category: "service".into(),
                severity: "normal".into(),
                sla_breach: None,
                commitment_broken: true,
                complaints_last_90_days: 0,
                disputed_charge: None,
                attributes: Default::default(),
            },
            approved_by: None,
        },
    );
    let Event::CompensationGranted { grant, .. } = &ev[0].event else {
        panic!("{ev:?}")
    };
    assert_eq!(grant.value, eur("20.00"));
    assert_eq!(grant.rule.as_deref(), Some("C1"));
    // the supervisor extends the loan: the repair takes longer
    run(
        &mut crm,
        "2026-03-13T09:00:00Z",
        Command::ApproveException {
            exception: Exception {
                id: ExceptionId::new("X-LOAN").unwrap(),
                customer: s1.clone(),
                agreement: None,
                scope: ExceptionScope::Commitment {
                    commitment: CommitmentId::new("K-LOAN").unwrap(),
                },
                effect: ExceptionEffect::Extend {
                    until: t("2026-03-31T17:00:00Z"),
                },
                approved_by: ActorId::new("supervisor-1").unwrap(),
                reason: "repair delayed by the manufacturer".into(),
                valid_from: t("2026-03-13T09:00:00Z"),
                valid_to: None,
                revoked: None,
            },
        },
    );
    // on the 20th, nothing is wrong: the loan is extended, the breach was compensated
    let view = crm.customer_360(&s1, t("2026-03-20T09:00:00Z"), 2).unwrap();
    assert!(view.alerts.is_empty(), "{:?}", view.alerts);
    assert_eq!(view.overdue_commitments, Vec::<CommitmentId>::new());
    assert_eq!(
        view.open_commitments
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        vec!["K-LOAN"]
    );
    let tier = view.tier.clone().unwrap();
    assert_eq!((tier.tier.as_str(), tier.baseline), ("standard", true));
    assert_eq!(
        view.agreements[0].active_lines,
        vec![LineId::new("L-S1").unwrap()]
    );
    let money = view.money.clone().unwrap();
    assert_eq!(money.balance, eur("-20.00"));
    assert_eq!(money.overdue, eur("0.00"));
    assert_eq!(view.open_processes.len(), 1);
    assert_eq!(
        view.open_processes[0]
            .status
            .resolution
            .as_ref()
            .unwrap()
            .state,
        SlaState::Breached
    );
    assert_eq!(
        view.interactions
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        vec!["PH-2", "PH-1"]
    );
    assert_eq!(view.sentiment_trend.len(), 1);
    assert_eq!(view.sentiment_trend[0].moving_average, dec("-0.6"));
    // the view is JSON and back
    let json = serde_json::to_string(&view).unwrap();
    let back: Customer360 = serde_json::from_str(&json).unwrap();
    assert_eq!(back, view);
    // the automated reminder must not fire during the extension; when it does, the audit says so
    let mut reminder = contact(
        "R-1",
        "S1",
        Channel::Email,
        "reminder",
        "2026-03-20T10:00:00Z",
    );
    reminder.direction = Direction::Outbound;
    reminder.purpose = Some(Purpose::Service);
    reminder.commitments = vec![CommitmentId::new("K-LOAN").unwrap()];
    record(&mut crm, "2026-03-20T10:00:00Z", reminder, None).unwrap();
    let view = crm.customer_360(&s1, t("2026-03-20T11:00:00Z"), 2).unwrap();
    assert_eq!(
        view.alerts.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![FindingKind::ReminderDuringExtension]
    );
    // accountability: the service unit broke one promise of two made to the customer
    let report = crm.accountability(t("2026-03-20T11:00:00Z")).unwrap();
    let unit = report
        .parties
        .iter()
        .find(|p| p.responsible == service())
        .unwrap();
    assert_eq!(unit.counts.broken, 1);
    assert_eq!(unit.broken[0].id.as_str(), "K-CB");
    // replay rebuilds the same record, byte for byte
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn story_2_the_travel_agent_promised_the_carrier_broke_it() {
    let mut crm = organisation();
    run(
        &mut crm,
        "2026-03-20T10:00:00Z",
        commitment(
            "K-MEAL",
            "S2",
            "gluten-free meal on flight BA 117",
            partner("TRAVEL-AGENT"),
            partner("CARRIER"),
            "2026-04-01T08:00:00Z",
        ),
    );
    run(
        &mut crm,
        "2026-04-01T12:00:00Z",
        Command::BreakCommitment {
            commitment: CommitmentId::new("K-MEAL").unwrap(),
            reason: "no special meal on board".into(),
        },
    );
    // the customer complains by e-mail; the complaint process starts from the interaction
    let mut mail = contact(
        "EM-1",
        "S2",
        Channel::Email,
        "complaint",
        "2026-04-02T07:00:00Z",
    );
    mail.answered_at = Some(t("2026-04-02T07:30:00Z"));
    mail.commitments = vec![CommitmentId::new("K-MEAL").unwrap()];
    let events = record(
        &mut crm,
        "2026-04-02T07:30:00Z",
        mail,
        Some(start_on("P-S2", "support")),
    )
    .unwrap();
    assert_eq!(events.len(), 1);
    let inst = crm
        .process_of_interaction(&InteractionId::new("EM-1").unwrap())
        .unwrap();
    assert_eq!(inst.id().as_str(), "P-S2");
    assert_eq!(inst.definition().as_str(), "complaint");
    // the record shows both: who promised and who was responsible
    let report = crm.accountability(t("2026-04-03T00:00:00Z")).unwrap();
    assert_eq!(report.totals.broken, 1);
    let carrier = report
        .parties
        .iter()
        .find(|p| p.responsible == partner("CARRIER"))
        .unwrap();
    assert_eq!(carrier.counts.broken, 1);
    assert_eq!(carrier.share_of_all_broken, Some(dec("1")));
    assert_eq!(carrier.broken[0].made_by, partner("TRAVEL-AGENT"));
    assert_eq!(carrier.broken[0].responsible, partner("CARRIER"));
    let card = |id: &str| {
        report
            .partners
            .iter()
            .find(|c| c.partner.as_str() == id)
            .unwrap()
            .clone()
    };
    assert_eq!(card("CARRIER").responsible.broken, 1);
    assert_eq!(card("CARRIER").made.total(), 0);
    assert_eq!(card("TRAVEL-AGENT").made.broken, 1);
    assert_eq!(card("TRAVEL-AGENT").responsible.total(), 0);
}

#[test]
fn story_5_a_chat_complaint_over_a_weekend_within_the_tiers_sla() {
    let mut crm = organisation();
    let s5 = cid("S5");
    // story 4 in short: a small customer with a large potential is gold
    run(
        &mut crm,
        "2026-03-01T09:00:00Z",
        Command::SetCustomerFacts {
            customer: s5.clone(),
            facts: HostFacts {
                potential: Some(eur("150000.00")),
                churn_risk: Decimal::ZERO,
                attributes: Default::default(),
            },
        },
    );
    run(
        &mut crm,
        "2026-03-01T09:00:00Z",
        Command::AssignTiers {
            customers: vec![s5.clone()],
        },
    );
    // Friday 6 March, 16:30 Berlin: a complaint by chat; gold's complaint SLA is 4 business hours
    let mut chat = contact(
        "CHAT-5",
        "S5",
        Channel::Chat,
        "complaint",
        "2026-03-06T15:30:00Z",
    );
    chat.answered_at = Some(t("2026-03-06T15:30:20Z"));
    chat.queue = Some("first_line".into());
    record(
        &mut crm,
        "2026-03-06T15:31:00Z",
        chat,
        Some(start_on("P-S5", "support")),
    )
    .unwrap();
    let p = InstanceId::new("P-S5").unwrap();
    let target = crm
        .process_instance(&p)
        .unwrap()
        .sla()
        .resolution
        .clone()
        .unwrap();
    assert_eq!(target.target, BusinessDuration::from_minutes(240).unwrap());
    assert_eq!(
        target.source,
        SlaSource::Tier {
            tier: "gold".into()
        }
    );
    advance(
        &mut crm,
        "2026-03-06T15:30:00Z",
        "P-S5",
        "accepted",
        Performer::handler("intake"),
    );
    // first line cannot solve it: warm transfer to the back office at 16:50 Berlin
    advance(
        &mut crm,
        "2026-03-06T15:50:00Z",
        "P-S5",
        "transfer",
        Performer::queue("first_line"),
    );
    run(
        &mut crm,
        "2026-03-06T15:51:00Z",
        Command::UpdateInteraction {
            interaction: InteractionId::new("CHAT-5").unwrap(),
            update: InteractionUpdate {
                ended_at: Some(t("2026-03-06T15:50:20Z")),
                outcome: Some(InteractionOutcome::TransferredWarm),
                ..Default::default()
            },
        },
    );
    // the clock stops over the weekend: Monday 09:00 Berlin, 30 business minutes used
    let monday = crm.process_status(&p, t("2026-03-09T08:00:00Z")).unwrap();
    let r = monday.resolution.unwrap();
    assert_eq!(r.used, BusinessDuration::from_minutes(30).unwrap());
    assert_eq!(r.state, SlaState::OnTrack);
    // the back office resolves on Monday 11:00 Berlin; decided, called back, feedback given
    let done = "2026-03-09T10:00:00Z";
    advance(
        &mut crm,
        done,
        "P-S5",
        "resolved",
        Performer::queue("back_office"),
    );
    advance(
        &mut crm,
        done,
        "P-S5",
        "decided",
        Performer::handler("compensation_policy"),
    );
    advance(
        &mut crm,
        done,
        "P-S5",
        "called_back",
        Performer::queue("back_office"),
    );
    advance(
        &mut crm,
        done,
        "P-S5",
        "feedback_given",
        Performer::Customer,
    );
    let status = crm.process_status(&p, t(done)).unwrap();
    assert!(status.ended);
    let r = status.resolution.unwrap();
    assert_eq!(r.state, SlaState::Met);
    // 30 min on Friday + 2 h on Monday
    assert_eq!(r.used, BusinessDuration::from_minutes(150).unwrap());
    // the survey arrives: CSAT 5, NPS 9
    run(
        &mut crm,
        "2026-03-10T09:00:00Z",
        Command::UpdateInteraction {
            interaction: InteractionId::new("CHAT-5").unwrap(),
            update: InteractionUpdate {
                feedback: Feedback {
                    csat: Some(5),
                    nps: Some(9),
                },
                sentiment: Some(dec("0.3")),
                ..Default::default()
            },
        },
    );
    // step durations from the process report: first line 20 min, back office 10 + 120 min
    let report = crm
        .process_report(&DefinitionId::new("complaint").unwrap())
        .unwrap();
    let step = |name: &str| {
        report
            .steps
            .iter()
            .find(|s| s.step == name)
            .unwrap()
            .clone()
    };
    assert_eq!(step("first_line").count, 1);
    assert_eq!(
        step("first_line").mean,
        BusinessDuration::from_minutes(20).unwrap()
    );
    assert_eq!(
        step("back_office").mean,
        BusinessDuration::from_minutes(130).unwrap()
    );
    assert_eq!(report.resolution_breached, 0);
    // the chat measures of the week: one contact, answered in 20 s, handled 20 min, warm
    // transfer, SLA met, CSAT 5, NPS +100
    let week = TimeRange::new(t("2026-03-02T00:00:00Z"), t("2026-03-14T00:00:00Z")).unwrap();
    let m = crm
        .service_measures(&week, &MeasureFilter::all().with_channel(Channel::Chat))
        .unwrap();
    assert_eq!((m.offered, m.answered), (1, 1));
    assert_eq!(m.average_speed_of_answer_seconds, Some(dec("20")));
    assert_eq!(m.average_handling_time_seconds, Some(dec("1200")));
    assert_eq!(m.transfer_share, Some(dec("1")));
    assert_eq!((m.sla.with_target, m.sla.met), (1, 1));
    assert_eq!(m.sla.share, Some(dec("1")));
    assert_eq!(m.csat.average, Some(dec("5")));
    assert_eq!(m.nps.score, Some(dec("100")));
    // the 360 view: gold and why, nothing open, no alerts
    let view = crm
        .customer_360(&s5, t("2026-03-10T10:00:00Z"), 10)
        .unwrap();
    let tier = view.tier.unwrap();
    assert_eq!(
        (tier.tier.as_str(), tier.rule.as_deref()),
        ("gold", Some("R3"))
    );
    assert!(!tier.baseline);
    assert!(view.open_processes.is_empty());
    assert!(view.alerts.is_empty(), "{:?}", view.alerts);
    assert_eq!(view.interactions.len(), 1);
    assert_eq!(view.interactions[0].feedback.csat, Some(5));
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}
