//! Policies through the engine: tiers measured from the ledger, tier changes as events, the
//! tier's shorter SLA on complaints, compensation decided and granted into the ledger.
//! Story 4 of DOMAIN.md end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{customer, env, state_json, t};
use crm_core::agreement::{LineAction, NewLine, SoldThrough, Term};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::engine::{HostFacts, PolicySettings, StartProcess};
use crm_core::obligation::{Frequency, PaymentPlanTemplate, PaymentType, ScheduleTemplate};
use crm_core::party::{Channel, Consent};
use crm_core::policy::{Complaint, FeeWaiver, PolicySet};
use crm_core::process::{InstanceData, SlaSource};
use crm_core::*;
use rust_decimal::Decimal;

fn eur(s: &str) -> Money {
    Money::parse(s, "EUR").unwrap()
}

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn policies() -> PolicySet {
    serde_json::from_str(include_str!("../../tests/fixtures/policy_set.json")).unwrap()
}

fn run(crm: &mut Crm, at: &str, command: Command) -> Vec<EventEnvelope> {
    crm.execute(&env(at, command)).unwrap()
}

fn fail(crm: &mut Crm, at: &str, command: Command) -> Error {
    let before = state_json(crm);
    let e = crm.execute(&env(at, command)).unwrap_err();
    assert_eq!(
        state_json(crm),
        before,
        "a refused command changed the state"
    );
    e
}

fn cid(s: &str) -> CustomerId {
    CustomerId::new(s).unwrap()
}

/// Two customers on the same 49.90/month plan since 2026-01-05: SMB-1 (a small business with a
/// large potential) and C-2 (no potential).
fn engine() -> Crm {
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
    run(
        &mut crm,
        at,
        Command::RegisterCalendar {
            calendar: Box::new(
                BusinessCalendar::from_json(
                    r#"{"id":"support","zone":"Europe/Berlin",
                        "week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],
                                "wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],
                                "friday":[{"start":"09:00","end":"17:00"}]},"holidays":[]}"#,
                )
                .unwrap(),
            ),
        },
    );
    run(
        &mut crm,
        at,
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("BIZ").unwrap(),
                name: "Business line".into(),
                kind: OfferingKind::Service,
                entitlements: vec![],
                payment_plans: vec![PaymentPlanTemplate {
                    code: "monthly".into(),
                    payment_type: PaymentType::Service,
                    schedule: ScheduleTemplate::Recurring {
                        amount: eur("49.90"),
                        every: Frequency::Monthly,
                        timing: Default::default(),
                        start_after_days: 0,
                    },
                    suspended_billing: Default::default(),
                    early_termination: Default::default(),
                    proration_rounding: Default::default(),
                }],
            },
        },
    );
    for c in ["SMB-1", "C-2"] {
        run(
            &mut crm,
            at,
            Command::RegisterCustomer {
                customer: customer(c),
            },
        );
        run(
            &mut crm,
            at,
            Command::CreateAgreement {
                agreement: AgreementId::new(format!("AG-{c}")).unwrap(),
                customer: cid(c),
                sold_through: SoldThrough::Direct,
                term: Term {
                    start: d("2026-01-05"),
                    end: None,
                    auto_renew: false,
                },
                lines: vec![NewLine {
                    id: LineId::new(format!("L-{c}")).unwrap(),
                    offering: OfferingId::new("BIZ").unwrap(),
                    quantity: 1,
                }],
                signature: Consent {
                    channel: Channel::Branch,
                    at: t(at),
                },
            },
        );
        for action in [LineAction::RequestActivation, LineAction::Activate] {
            run(
                &mut crm,
                at,
                Command::ChangeLineStatus {
                    agreement: AgreementId::new(format!("AG-{c}")).unwrap(),
                    line: LineId::new(format!("L-{c}")).unwrap(),
                    action,
                    effective_at: None,
                    asset: None,
                    renew_until: None,
                },
            );
        }
        run(
            &mut crm,
            "2026-03-05T01:00:00Z",
            Command::GenerateCharges {
                customer: cid(c),
                until: d("2026-03-05"),
            },
        );
    }
    run(
        &mut crm,
        "2026-03-05T08:00:00Z",
        Command::SetCustomerFacts {
            customer: cid("SMB-1"),
            facts: HostFacts {
                potential: Some(eur("250000.00")),
                churn_risk: Decimal::new(2, 1),
                attributes: Default::default(),
            },
        },
    );
    crm
}

fn complaint_start(instance: &str, customer: &str) -> Command {
    Command::StartProcess {
        start: StartProcess {
            instance: InstanceId::new(instance).unwrap(),
            definition: None,
            interaction_kind: Some("complaint".into()),
            customer: cid(customer),
            agreement: None,
            calendar: CalendarId::new("support").unwrap(),
            data: InstanceData::new(),
            sla: None,
            interaction: None,
        },
    }
}

#[test]
fn story_4_low_value_high_potential_is_preferred_and_gets_the_shorter_sla() {
    let mut crm = engine();
    let at = t("2026-03-05T09:00:00Z");
    // measured from the ledger: three months billed, 149.70 of revenue; potential from the host
    let m = crm.customer_measures(&cid("SMB-1"), at).unwrap();
    assert_eq!(m.revenue, eur("149.70"));
    assert_eq!(m.potential, eur("250000.00"));
    assert_eq!(m.days_overdue, 59, "nothing was paid since the sale");
    assert_eq!(m.customer_since, d("2026-01-05"));

    // the decision says why
    let decision = crm.assign_tier(&cid("SMB-1"), at).unwrap();
    assert_eq!(decision.tier, "gold");
    assert_eq!(decision.rule.as_deref(), Some("R3"));
    assert!(decision.changed);
    let inputs: Vec<&str> = decision.matched.iter().map(|c| c.input.as_str()).collect();
    assert!(
        inputs.contains(&"potential") && inputs.contains(&"revenue"),
        "{inputs:?}"
    );
    assert!(
        decision.reasons[0].contains("rule R3 gives gold"),
        "{:?}",
        decision.reasons
    );
    // nothing recorded by the query
    assert!(crm.tier_of(&cid("SMB-1")).unwrap().is_none());

    // the command records the changes as events, only for those that changed
    let ev = run(
        &mut crm,
        "2026-03-05T09:00:00Z",
        Command::AssignTiers { customers: vec![] },
    );
    let tags: Vec<_> = ev.iter().map(|e| e.event.tag()).collect();
    assert_eq!(tags, ["tier_changed", "tier_changed"]);
    assert_eq!(crm.tier_of(&cid("SMB-1")).unwrap().unwrap().to, "gold");
    assert_eq!(crm.tier_of(&cid("C-2")).unwrap().unwrap().to, "standard");
    assert!(
        run(
            &mut crm,
            "2026-03-05T09:05:00Z",
            Command::AssignTiers { customers: vec![] }
        )
        .is_empty(),
        "unchanged tiers record nothing"
    );
    let batch = crm.assign_tiers(&[], at).unwrap();
    assert_eq!(batch.decisions.len(), 2);
    assert!(batch.changes().is_empty());

    // the gold customer's complaint runs under the tier's 4 business hours; the other's under
    // the definition's own target
    run(
        &mut crm,
        "2026-03-06T15:00:00Z",
        complaint_start("P-GOLD", "SMB-1"),
    );
    run(
        &mut crm,
        "2026-03-06T15:00:00Z",
        complaint_start("P-STD", "C-2"),
    );
    let gold = crm
        .process_status(
            &InstanceId::new("P-GOLD").unwrap(),
            t("2026-03-06T15:00:00Z"),
        )
        .unwrap()
        .resolution
        .unwrap();
    let std = crm
        .process_status(
            &InstanceId::new("P-STD").unwrap(),
            t("2026-03-06T15:00:00Z"),
        )
        .unwrap()
        .resolution
        .unwrap();
    assert_eq!(gold.target.target, BusinessDuration::from_hours(4).unwrap());
    assert_eq!(
        gold.target.source,
        SlaSource::Tier {
            tier: "gold".into()
        }
    );
    assert!(std.target.target > gold.target.target);
    assert!(matches!(std.target.source, SlaSource::Definition { .. }));
    // Friday 16:00 Berlin + 4 business hours = Monday 12:00 Berlin (11:00 UTC)
    assert_eq!(gold.deadline, t("2026-03-09T11:00:00Z"));

    // an open complaint now counts in the measures
    let m = crm
        .customer_measures(&cid("SMB-1"), t("2026-03-06T16:00:00Z"))
        .unwrap();
    assert_eq!(m.open_complaints, 1);

    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

fn complaint(id: &str, breach_minutes: Option<i64>, waiver: Option<(&str, &str)>) -> Complaint {
    Complaint {
        id: InteractionId::new(id).unwrap(),
        category: "service".into(),
        severity: "high".into(),
        sla_breach: breach_minutes.map(|m| BusinessDuration::from_secs(m * 60).unwrap()),
        commitment_broken: false,
        complaints_last_90_days: 0,
        disputed_charge: waiver.map(|(c, a)| FeeWaiver {
            charge: ChargeId::new(c).unwrap(),
            amount: eur(a),
        }),
        attributes: Default::default(),
    }
}

#[test]
fn compensation_is_decided_capped_approved_and_reaches_the_ledger() {
    let mut crm = engine();
    run(
        &mut crm,
        "2026-03-05T09:00:00Z",
        Command::AssignTiers { customers: vec![] },
    );
    let smb = cid("SMB-1");
    assert_eq!(crm.balance(&smb).unwrap(), eur("149.70"));
    let c = complaint("CHAT-1", Some(500), Some(("L-SMB-1.monthly#3", "49.90")));
    let at = t("2026-03-10T10:00:00Z");
    let decision = crm.decide_compensation(&smb, &c, at).unwrap();
    assert_eq!(decision.rule.as_deref(), Some("C2"));
    assert_eq!(decision.value, eur("79.90"));
    assert_eq!(decision.cap_remaining, eur("20.10"));
    let approval = decision.approval.clone().unwrap();
    assert_eq!(approval.role, "supervisor");
    // without the approver: refused, nothing recorded
    let e = fail(
        &mut crm,
        "2026-03-10T10:00:00Z",
        Command::GrantCompensation {
            customer: smb.clone(),
            complaint: c.clone(),
            approved_by: None,
        },
    );
    assert_eq!(e.kind(), ErrorKind::Validation);
    let ev = run(
        &mut crm,
        "2026-03-10T10:00:00Z",
        Command::GrantCompensation {
            customer: smb.clone(),
            complaint: c.clone(),
            approved_by: Some(ActorId::new("supervisor-1").unwrap()),
        },
    );
    let Event::CompensationGranted { grant, credit, .. } = &ev[0].event else {
        panic!("{ev:?}")
    };
    assert_eq!(grant.value, eur("79.90"));
    let credit = credit.as_ref().unwrap();
    assert_eq!(credit.amount, eur("79.90"));
    // the waived charge is settled first, the rest goes to the oldest charges
    let statement = crm
        .statement(
            &smb,
            &crm_core::obligation::Scope::Plan {
                plan_id: PlanId::new("L-SMB-1.monthly").unwrap(),
            },
        )
        .unwrap();
    let waived = statement
        .charges
        .iter()
        .find(|e| e.charge.id.as_str() == "L-SMB-1.monthly#3")
        .unwrap();
    assert!(waived.open.is_zero());
    assert_eq!(crm.balance(&smb).unwrap(), eur("69.80"));
    assert_eq!(crm.compensations_of(&smb).unwrap().len(), 1);
    // the same complaint twice is refused
    let e = fail(
        &mut crm,
        "2026-03-10T11:00:00Z",
        Command::GrantCompensation {
            customer: smb.clone(),
            complaint: c,
            approved_by: Some(ActorId::new("supervisor-1").unwrap()),
        },
    );
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    // the cap of the month counts what was granted: only 20.10 remains of gold's 100.00
    let second = crm
        .decide_compensation(
            &smb,
            &complaint("CHAT-2", Some(600), None),
            t("2026-03-20T10:00:00Z"),
        )
        .unwrap();
    assert_eq!(second.value, eur("20.10"));
    assert!(second.reduced);
    // next month the cap is whole again
    let april = crm
        .decide_compensation(
            &smb,
            &complaint("CHAT-3", Some(600), None),
            t("2026-04-02T10:00:00Z"),
        )
        .unwrap();
    assert_eq!(april.value, eur("30.00"));
    // an apology-only decision is recorded too (the audit looks for it)
    run(
        &mut crm,
        "2026-03-21T10:00:00Z",
        Command::GrantCompensation {
            customer: cid("C-2"),
            complaint: complaint("CHAT-4", None, None),
            approved_by: None,
        },
    );
    let g = &crm.compensations_of(&cid("C-2")).unwrap()[0];
    assert!(g.offer.is_apology_only());
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn bad_input_is_a_typed_error_and_records_nothing() {
    let mut crm = Crm::new();
    run(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C1"),
        },
    );
    // no policies yet
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::AssignTiers { customers: vec![] },
    );
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // a policy set whose tier lists differ
    let mut json: serde_json::Value = serde_json::to_value(policies()).unwrap();
    json["service"]["tiers"] = serde_json::json!(["standard", "silver"]);
    assert!(serde_json::from_value::<PolicySet>(json).is_err());
    // settings out of range, facts out of range, unknown customers
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::RegisterPolicies {
            policies: Box::new(policies()),
            settings: PolicySettings {
                window_days: 0,
                margin_rates: Default::default(),
            },
        },
    );
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::SetCustomerFacts {
            customer: cid("C1"),
            facts: HostFacts {
                potential: Some(eur("-1.00")),
                ..Default::default()
            },
        },
    );
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::SetCustomerFacts {
            customer: cid("C1"),
            facts: HostFacts {
                churn_risk: Decimal::new(15, 1),
                ..Default::default()
            },
        },
    );
    assert_eq!(e.kind(), ErrorKind::Validation);
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::SetCustomerFacts {
            customer: cid("NOBODY"),
            facts: HostFacts::default(),
        },
    );
    assert_eq!(e.kind(), ErrorKind::NotFound);
    run(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::RegisterPolicies {
            policies: Box::new(policies()),
            settings: PolicySettings::default(),
        },
    );
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::AssignTiers {
            customers: vec![cid("NOBODY")],
        },
    );
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // a fee waiver of a charge that is not the customer's
    let e = fail(
        &mut crm,
        "2026-01-01T00:00:00Z",
        Command::GrantCompensation {
            customer: cid("C1"),
            complaint: complaint("X-1", Some(600), Some(("NOPE#1", "10.00"))),
            approved_by: None,
        },
    );
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn the_tier_reaches_the_entitlement_standing() {
    let mut crm = engine();
    run(
        &mut crm,
        "2026-03-05T09:00:00Z",
        Command::AssignTiers { customers: vec![] },
    );
    let s = crm
        .standing(&cid("SMB-1"), t("2026-03-05T10:00:00Z"))
        .unwrap();
    assert_eq!(s.tier.as_deref(), Some("gold"));
    assert_eq!(s.tier_order, ["standard", "gold"]);
    assert_eq!(s.days_overdue, 59);
}
