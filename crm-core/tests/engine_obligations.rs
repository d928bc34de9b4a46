//! Obligations through the engine: plans from offering templates and amendments, charge
//! generation, payments, reversals, credits, adjustments, write-offs, collections, and the
//! restriction the entitlement check sees. Story 3 of DOMAIN.md end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{customer, env, state_json, t};
use crm_core::agreement::{AmendmentChange, LineAction, LineStatus, NewLine, SoldThrough, Term};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{
    EntitlementDecision, EntitlementKind, EntitlementRequest, EntitlementTemplate,
};
use crm_core::obligation::{
    ActionStatus, Adjustment, AllocationRule, CollectionPolicy, CollectionPolicyScope,
    CollectionStep, CollectionStepKind, Credit, EarlyTermination, Frequency, Payment,
    PaymentMethod, PaymentPlanTemplate, PaymentType, PriceTier, Rate, ScheduleTemplate, Scope,
    WriteOff,
};
use crm_core::party::{Channel, Consent};
use crm_core::*;
use rust_decimal::Decimal;

fn eur(s: &str) -> Money {
    Money::parse(s, "EUR").unwrap()
}

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn cid() -> CustomerId {
    CustomerId::new("C3").unwrap()
}

fn run(crm: &mut Crm, at: &str, command: Command) -> Vec<EventEnvelope> {
    crm.execute(&env(at, command)).unwrap()
}

fn fail(crm: &mut Crm, at: &str, command: Command) -> Error {
    let before = state_json(crm);
    let n = crm.events().unwrap().len();
    let e = crm.execute(&env(at, command)).unwrap_err();
    assert_eq!(
        state_json(crm),
        before,
        "a refused command changed the state"
    );
    assert_eq!(
        crm.events().unwrap().len(),
        n,
        "a refused command was recorded"
    );
    e
}

fn device_offering() -> Offering {
    Offering {
        id: OfferingId::new("PHONE").unwrap(),
        name: "Phone".into(),
        kind: OfferingKind::PhysicalProduct,
        entitlements: vec![],
        payment_plans: vec![PaymentPlanTemplate {
            code: "device".into(),
            payment_type: PaymentType::Sale,
            schedule: ScheduleTemplate::Installments {
                total: eur("1200.00"),
                count: 12,
                every: Frequency::Monthly,
                first_due_after_days: 30,
            },
            suspended_billing: Default::default(),
            early_termination: EarlyTermination::DueAtOnce,
            proration_rounding: Default::default(),
        }],
    }
}

fn service_offering() -> Offering {
    Offering {
        id: OfferingId::new("MOBILE-S").unwrap(),
        name: "Mobile service".into(),
        kind: OfferingKind::Service,
        entitlements: vec![EntitlementTemplate {
            code: "access".into(),
            kind: EntitlementKind::Access,
            conditions: Default::default(),
            valid_days: None,
        }],
        payment_plans: vec![PaymentPlanTemplate {
            code: "service".into(),
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
    }
}

fn ladder() -> CollectionPolicy {
    let s = |kind, after_days| CollectionStep { kind, after_days };
    CollectionPolicy::new(
        "standard",
        CollectionPolicyScope::PerObligation,
        vec![
            s(CollectionStepKind::Reminder, 3),
            s(CollectionStepKind::Notice, 10),
            s(CollectionStepKind::Restrict, 21),
            s(CollectionStepKind::RestrictionNotice, 22),
            s(CollectionStepKind::Handover, 45),
        ],
    )
    .unwrap()
}

/// Customer C3 buys a phone in installments and a service plan on 2025-01-01; the phone is
/// installed and the service activated the same day.
fn sold() -> Crm {
    let mut crm = Crm::new();
    let at = "2025-01-01T10:00:00Z";
    run(
        &mut crm,
        at,
        Command::RegisterCustomer {
            customer: customer("C3"),
        },
    );
    run(
        &mut crm,
        at,
        Command::AddOffering {
            offering: device_offering(),
        },
    );
    run(
        &mut crm,
        at,
        Command::AddOffering {
            offering: service_offering(),
        },
    );
    run(
        &mut crm,
        at,
        Command::RegisterCollectionPolicy { policy: ladder() },
    );
    run(
        &mut crm,
        at,
        Command::CreateAgreement {
            agreement: AgreementId::new("A3").unwrap(),
            customer: cid(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: d("2025-01-01"),
                end: Some(d("2026-12-31")),
                auto_renew: false,
            },
            lines: vec![
                NewLine {
                    id: LineId::new("L-DEV").unwrap(),
                    offering: OfferingId::new("PHONE").unwrap(),
                    quantity: 1,
                },
                NewLine {
                    id: LineId::new("L-SVC").unwrap(),
                    offering: OfferingId::new("MOBILE-S").unwrap(),
                    quantity: 1,
                },
            ],
            signature: Consent {
                channel: Channel::Branch,
                at: t(at),
            },
        },
    );
    for (line, actions) in [
        ("L-DEV", vec![LineAction::Install]),
        (
            "L-SVC",
            vec![LineAction::RequestActivation, LineAction::Activate],
        ),
    ] {
        for action in actions {
            run(
                &mut crm,
                at,
                Command::ChangeLineStatus {
                    agreement: AgreementId::new("A3").unwrap(),
                    line: LineId::new(line).unwrap(),
                    action,
                    effective_at: None,
                    asset: (action == LineAction::Install).then(|| AssetId::new("IMEI-1").unwrap()),
                    renew_until: None,
                },
            );
        }
    }
    crm
}

fn bill(crm: &mut Crm, day: &str) -> Vec<EventEnvelope> {
    run(
        crm,
        &format!("{day}T06:00:00Z"),
        Command::GenerateCharges {
            customer: cid(),
            until: d(day),
        },
    )
}

fn payment(id: &str, day: &str, amount: &str) -> Payment {
    Payment {
        id: PaymentId::new(id).unwrap(),
        customer_id: cid(),
        received_at: t(&format!("{day}T12:00:00Z")),
        amount: eur(amount),
        method: PaymentMethod::BankTransfer,
        reference: format!("bank {id}"),
        allocation: AllocationRule::OldestDueFirst,
    }
}

fn pay(crm: &mut Crm, id: &str, day: &str, amount: &str) -> Vec<EventEnvelope> {
    run(
        crm,
        &format!("{day}T12:00:00Z"),
        Command::RecordPayment {
            payment: payment(id, day, amount),
        },
    )
}

fn actions(crm: &Crm, at: &str) -> Vec<(String, CollectionStepKind, &'static str)> {
    crm.collection_actions(&cid(), "standard", t(at))
        .unwrap()
        .iter()
        .map(|a| {
            let s = match a.status {
                ActionStatus::Due => "due",
                ActionStatus::Suppressed { .. } => "suppressed",
                ActionStatus::NotApplicable { .. } => "not_applicable",
            };
            (
                a.line_id
                    .as_ref()
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
                a.step,
                s,
            )
        })
        .collect()
}

fn take_all_due(crm: &mut Crm, at: &str) {
    for a in crm.collection_actions(&cid(), "standard", t(at)).unwrap() {
        if a.status == ActionStatus::Due {
            run(
                crm,
                at,
                Command::TakeCollectionAction {
                    customer: cid(),
                    policy: "standard".into(),
                    key: a.key.clone(),
                },
            );
        }
    }
}

fn access(crm: &Crm, at: &str) -> EntitlementDecision {
    crm.check_entitlement(
        &EntitlementRequest::new(cid(), "access", Channel::CustomerApp),
        t(at),
    )
    .unwrap()
}

#[test]
fn story_3_end_to_end_through_the_engine() {
    use CollectionStepKind::*;
    let mut crm = sold();
    let plans = crm.payment_plans_of(&cid()).unwrap();
    let ids: Vec<&str> = plans.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["L-DEV.device", "L-SVC.service"]);

    // The device's 12 installments sum exactly to 1,200.00, month-end anchored from Jan 31.
    bill(&mut crm, "2025-12-31");
    let device = crm
        .statement(
            &cid(),
            &Scope::Plan {
                plan_id: PlanId::new("L-DEV.device").unwrap(),
            },
        )
        .unwrap();
    assert_eq!(device.charges.len(), 12);
    assert_eq!(device.charged, eur("1200.00"));
    let dues: Vec<_> = device
        .charges
        .iter()
        .take(3)
        .map(|c| c.charge.due_date)
        .collect();
    assert_eq!(dues, [d("2025-01-31"), d("2025-02-28"), d("2025-03-31")]);
    // Billing again with nothing new records nothing.
    assert!(bill(&mut crm, "2025-12-31").is_empty());

    // Start over and run the year day by day as a host would.
    let mut crm = sold();
    bill(&mut crm, "2025-01-31");
    pay(&mut crm, "PAY1", "2025-01-01", "49.90");
    pay(&mut crm, "PAY2", "2025-01-31", "100.00");
    assert!(crm.balance(&cid()).unwrap().is_zero());

    // February's service is paid 19 days late (late payment 1): a reminder on day 3.
    bill(&mut crm, "2025-02-20");
    assert_eq!(
        actions(&crm, "2025-02-05T09:00:00Z"),
        [("L-SVC".into(), Reminder, "due")]
    );
    take_all_due(&mut crm, "2025-02-05T09:00:00Z");
    assert!(
        actions(&crm, "2025-02-06T09:00:00Z").is_empty(),
        "a taken action is not proposed again"
    );
    pay(&mut crm, "PAY3", "2025-02-20", "49.90");
    assert!(actions(&crm, "2025-02-21T09:00:00Z").is_empty());

    // March 12: the device (Feb 28) and the service (Mar 1) are unpaid.
    bill(&mut crm, "2025-03-12");
    let aging = crm
        .aging(&cid(), d("2025-03-12"), 5, &Scope::Customer)
        .unwrap();
    assert_eq!(aging.days_1_30, eur("149.90"));
    assert_eq!(aging.overdue, eur("149.90"));
    assert_eq!(
        crm.standing(&cid(), t("2025-03-12T09:00:00Z"))
            .unwrap()
            .days_overdue,
        12
    );
    assert_eq!(
        actions(&crm, "2025-03-12T09:00:00Z"),
        [
            ("L-DEV".into(), Reminder, "due"),
            ("L-DEV".into(), Notice, "not_applicable"),
            ("L-SVC".into(), Reminder, "due"),
            ("L-SVC".into(), Notice, "due"),
        ]
    );
    take_all_due(&mut crm, "2025-03-12T09:00:00Z");

    // March 20: a partial payment (100.00 of 149.90) settles the device installment first.
    let ev = pay(&mut crm, "PAY4", "2025-03-20", "100.00");
    let Event::PaymentRecorded { outcome, .. } = &ev[0].event else {
        panic!("{ev:?}")
    };
    assert_eq!(outcome.applications.len(), 1);
    assert_eq!(outcome.applications[0].charge_id.as_str(), "L-DEV.device#2");

    // March 22: day 21 for the service line: restrict it; the device line's ladder stopped.
    assert!(access(&crm, "2025-03-22T09:00:00Z").is_granted());
    assert_eq!(
        actions(&crm, "2025-03-22T09:00:00Z"),
        [("L-SVC".into(), Restrict, "due")]
    );
    take_all_due(&mut crm, "2025-03-22T09:00:00Z");
    let line = crm
        .agreement(&AgreementId::new("A3").unwrap())
        .unwrap()
        .lines[1]
        .clone();
    assert_eq!(
        line.status_at(t("2025-03-22T09:00:00Z")),
        Some(LineStatus::Restricted)
    );
    // The restriction is what the entitlement check sees.
    let denied = access(&crm, "2025-03-22T10:00:00Z");
    assert!(!denied.is_granted());
    assert!(
        denied
            .messages()
            .iter()
            .any(|m| m.contains("line L-SVC restricted since 2025-03-22")),
        "{:?}",
        denied.messages()
    );
    assert_eq!(
        actions(&crm, "2025-03-23T09:00:00Z"),
        [("L-SVC".into(), RestrictionNotice, "due")]
    );
    take_all_due(&mut crm, "2025-03-23T09:00:00Z");
    assert!(
        crm.settled_restrictions(&cid(), t("2025-03-23T09:00:00Z"))
            .unwrap()
            .is_empty()
    );

    // April 2: aging and reconciliation of March.
    bill(&mut crm, "2025-04-02");
    let aging = crm
        .aging(&cid(), d("2025-04-02"), 0, &Scope::Customer)
        .unwrap();
    assert_eq!(aging.days_31_60, eur("49.90"));
    assert_eq!(aging.days_1_30, eur("149.90"));
    let rec = crm
        .reconcile(
            &cid(),
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-04-02"),
            &Scope::Customer,
        )
        .unwrap();
    assert_eq!(rec.due, eur("149.90"));
    assert_eq!(rec.missing, eur("149.90"));
    assert!(!rec.all_received);
    assert_eq!(rec.unpaid[0].unpaid_since, d("2025-03-01"));

    // April 5: late payment 2 settles everything; the ladder stops at once.
    pay(&mut crm, "PAY5", "2025-04-05", "199.80");
    assert!(crm.balance(&cid()).unwrap().is_zero());
    assert!(actions(&crm, "2025-04-06T09:00:00Z").is_empty());
    let settled = crm
        .settled_restrictions(&cid(), t("2025-04-06T09:00:00Z"))
        .unwrap();
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].line.as_str(), "L-SVC");
    run(
        &mut crm,
        "2025-04-06T09:00:00Z",
        Command::ChangeLineStatus {
            agreement: AgreementId::new("A3").unwrap(),
            line: LineId::new("L-SVC").unwrap(),
            action: LineAction::LiftRestriction,
            effective_at: None,
            asset: None,
            renew_until: None,
        },
    );
    assert!(access(&crm, "2025-04-06T10:00:00Z").is_granted());
    let rec = crm
        .reconcile(
            &cid(),
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-04-06"),
            &Scope::Customer,
        )
        .unwrap();
    assert!(rec.all_received);
    let all = crm
        .reconcile_all(d("2025-03-01"), d("2025-03-31"), d("2025-04-06"))
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, cid());
    assert!(all[0].1.all_received);

    // Replaying the log gives the same state, byte for byte.
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn a_payment_id_seen_before_is_idempotent() {
    let mut crm = sold();
    bill(&mut crm, "2025-01-31");
    let first = pay(&mut crm, "PAY1", "2025-01-05", "60.00");
    let n = crm.events().unwrap().len();
    let again = pay(&mut crm, "PAY1", "2025-01-05", "60.00");
    assert_eq!(first, again, "the first result is returned");
    assert_eq!(crm.events().unwrap().len(), n, "nothing doubles");
    assert_eq!(crm.balance(&cid()).unwrap(), eur("89.90"));
    // the same id with other content is a conflict
    let e = fail(
        &mut crm,
        "2025-01-06T12:00:00Z",
        Command::RecordPayment {
            payment: payment("PAY1", "2025-01-05", "61.00"),
        },
    );
    assert_eq!(e.kind(), ErrorKind::Conflict);
}

#[test]
fn bad_input_is_a_typed_error_and_records_nothing() {
    let mut crm = sold();
    bill(&mut crm, "2025-02-28");
    let at = "2025-03-01T12:00:00Z";
    // a payment in another currency
    let mut p = payment("P-USD", "2025-03-01", "10.00");
    p.amount = Money::parse("10.00", "USD").unwrap();
    let e = fail(&mut crm, at, Command::RecordPayment { payment: p });
    assert_eq!(e.kind(), ErrorKind::CurrencyMismatch);
    // negative and zero amounts
    for bad in ["-5.00", "0.00"] {
        let e = fail(
            &mut crm,
            at,
            Command::RecordPayment {
                payment: payment("P-NEG", "2025-03-01", bad),
            },
        );
        assert_eq!(e.kind(), ErrorKind::Validation, "{bad}: {e}");
    }
    // allocation to an unknown charge, and to another customer's charge
    let mut p = payment("P-X", "2025-03-01", "10.00");
    p.allocation = AllocationRule::ToCharges {
        charge_ids: vec![ChargeId::new("NOPE#1").unwrap()],
    };
    assert_eq!(
        fail(&mut crm, at, Command::RecordPayment { payment: p }).kind(),
        ErrorKind::NotFound
    );
    run(
        &mut crm,
        at,
        Command::RegisterCustomer {
            customer: customer("C9"),
        },
    );
    let mut p = payment("P-Y", "2025-03-01", "10.00");
    p.customer_id = CustomerId::new("C9").unwrap();
    p.allocation = AllocationRule::ToCharges {
        charge_ids: vec![ChargeId::new("L-DEV.device#1").unwrap()],
    };
    let e = fail(&mut crm, at, Command::RecordPayment { payment: p });
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.to_string().contains("not a charge of customer C9"), "{e}");
    // a payment for an unknown customer
    let mut p = payment("P-Z", "2025-03-01", "10.00");
    p.customer_id = CustomerId::new("NOBODY").unwrap();
    assert_eq!(
        fail(&mut crm, at, Command::RecordPayment { payment: p }).kind(),
        ErrorKind::NotFound
    );
    // zero-count installments in an offering's template
    let mut o = device_offering();
    o.id = OfferingId::new("PHONE-0").unwrap();
    o.payment_plans[0].schedule = ScheduleTemplate::Installments {
        total: eur("100.00"),
        count: 0,
        every: Frequency::Monthly,
        first_due_after_days: 0,
    };
    assert_eq!(
        fail(&mut crm, at, Command::AddOffering { offering: o }).kind(),
        ErrorKind::Validation
    );
    // reversing an unknown payment, adjusting an unknown charge, writing off too much
    assert_eq!(
        fail(
            &mut crm,
            at,
            Command::ReversePayment {
                customer: cid(),
                payment: PaymentId::new("NOPE").unwrap(),
                reason: "bounced".into(),
            }
        )
        .kind(),
        ErrorKind::NotFound
    );
    let approver = ActorId::new("supervisor-1").unwrap();
    assert_eq!(
        fail(
            &mut crm,
            at,
            Command::AdjustCharge {
                adjustment: Adjustment {
                    id: EntryId::new("ADJ-1").unwrap(),
                    charge_id: ChargeId::new("NOPE#1").unwrap(),
                    at: t(at),
                    amount: eur("1.00"),
                    reason: "typo".into(),
                    approved_by: approver.clone(),
                },
            }
        )
        .kind(),
        ErrorKind::NotFound
    );
    let e = fail(
        &mut crm,
        at,
        Command::WriteOff {
            write_off: WriteOff {
                id: EntryId::new("WO-1").unwrap(),
                charge_id: ChargeId::new("L-DEV.device#1").unwrap(),
                at: t(at),
                amount: eur("100.01"),
                reason: "goodwill".into(),
                approved_by: approver,
            },
        },
    );
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    // a collection action that does not exist, a policy that does not exist
    assert_eq!(
        fail(
            &mut crm,
            at,
            Command::TakeCollectionAction {
                customer: cid(),
                policy: "standard".into(),
                key: "nope".into(),
            }
        )
        .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        crm.collection_actions(&cid(), "lenient", t(at))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // rated usage for a plan that is not a consumption plan
    assert_eq!(
        fail(
            &mut crm,
            at,
            Command::RecordRatedUsage {
                plan: PlanId::new("L-SVC.service").unwrap(),
                period_start: d("2025-01-01"),
                quantity: Decimal::ONE,
            }
        )
        .kind(),
        ErrorKind::Validation
    );
}

#[test]
fn reversal_credit_adjustment_and_write_off_through_the_engine() {
    let mut crm = sold();
    bill(&mut crm, "2025-01-31");
    assert_eq!(crm.balance(&cid()).unwrap(), eur("149.90"));
    pay(&mut crm, "PAY1", "2025-01-10", "149.90");
    assert!(crm.balance(&cid()).unwrap().is_zero());
    // the payment bounces: what it paid is open again
    run(
        &mut crm,
        "2025-01-12T09:00:00Z",
        Command::ReversePayment {
            customer: cid(),
            payment: PaymentId::new("PAY1").unwrap(),
            reason: "insufficient funds".into(),
        },
    );
    assert_eq!(crm.balance(&cid()).unwrap(), eur("149.90"));
    // twice is refused
    let e = fail(
        &mut crm,
        "2025-01-13T09:00:00Z",
        Command::ReversePayment {
            customer: cid(),
            payment: PaymentId::new("PAY1").unwrap(),
            reason: "insufficient funds".into(),
        },
    );
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    let approver = ActorId::new("supervisor-1").unwrap();
    run(
        &mut crm,
        "2025-01-14T09:00:00Z",
        Command::GrantCredit {
            credit: Credit {
                id: EntryId::new("CR-1").unwrap(),
                customer_id: cid(),
                granted_at: t("2025-01-14T09:00:00Z"),
                amount: eur("9.90"),
                reason: "outage on Jan 3".into(),
                approved_by: approver.clone(),
                allocation: AllocationRule::OldestDueFirst,
            },
        },
    );
    run(
        &mut crm,
        "2025-01-14T09:00:00Z",
        Command::AdjustCharge {
            adjustment: Adjustment {
                id: EntryId::new("ADJ-1").unwrap(),
                charge_id: ChargeId::new("L-SVC.service#1").unwrap(),
                at: t("2025-01-14T09:00:00Z"),
                amount: eur("-10.00"),
                reason: "promotional price".into(),
                approved_by: approver.clone(),
            },
        },
    );
    run(
        &mut crm,
        "2025-01-14T09:00:00Z",
        Command::WriteOff {
            write_off: WriteOff {
                id: EntryId::new("WO-1").unwrap(),
                charge_id: ChargeId::new("L-DEV.device#1").unwrap(),
                at: t("2025-01-14T09:00:00Z"),
                amount: eur("30.00"),
                reason: "goodwill".into(),
                approved_by: approver,
            },
        },
    );
    // 149.90 - 9.90 credit - 10.00 adjustment - 30.00 write-off
    assert_eq!(crm.balance(&cid()).unwrap(), eur("100.00"));
    let totals = crm.ledger(&cid()).unwrap().unwrap().totals().unwrap();
    assert_eq!(totals.written_off, eur("30.00"));
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn an_exception_suppresses_a_step_and_the_action_names_it() {
    let mut crm = sold();
    bill(&mut crm, "2025-01-31");
    pay(&mut crm, "PAY1", "2025-01-01", "49.90"); // the device installment stays unpaid
    run(
        &mut crm,
        "2025-02-01T09:00:00Z",
        Command::ApproveException {
            exception: crm_core::agreement::Exception {
                id: ExceptionId::new("X-1").unwrap(),
                customer: cid(),
                agreement: Some(AgreementId::new("A3").unwrap()),
                scope: crm_core::agreement::ExceptionScope::Line {
                    line: LineId::new("L-DEV").unwrap(),
                },
                effect: crm_core::agreement::ExceptionEffect::Suspend {
                    actions: vec!["reminder".into()],
                },
                approved_by: ActorId::new("supervisor-1").unwrap(),
                reason: "customer in hospital".into(),
                valid_from: t("2025-02-01T00:00:00Z"),
                valid_to: Some(t("2025-03-01T00:00:00Z")),
                revoked: None,
            },
        },
    );
    let acts = crm
        .collection_actions(&cid(), "standard", t("2025-02-04T09:00:00Z"))
        .unwrap();
    assert_eq!(acts.len(), 1);
    let ActionStatus::Suppressed { suppression } = &acts[0].status else {
        panic!("{acts:?}")
    };
    assert_eq!(suppression.exception_id.as_str(), "X-1");
    assert_eq!(suppression.reason, "customer in hospital");
    // a suppressed action cannot be taken
    let e = fail(
        &mut crm,
        "2025-02-04T09:00:00Z",
        Command::TakeCollectionAction {
            customer: cid(),
            policy: "standard".into(),
            key: acts[0].key.clone(),
        },
    );
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    // after the exception ends, the reminder is due
    let acts = crm
        .collection_actions(&cid(), "standard", t("2025-03-02T09:00:00Z"))
        .unwrap();
    assert!(acts.iter().any(|a| a.status == ActionStatus::Due));
}

#[test]
fn amendments_add_plans_and_change_prices_with_consent() {
    let mut crm = sold();
    let consent = Consent {
        channel: Channel::Phone,
        at: t("2025-02-10T09:00:00Z"),
    };
    // a price change without consent is refused
    let change = AmendmentChange::ChangePrice {
        plan: PlanId::new("L-SVC.service").unwrap(),
        from: d("2025-03-01"),
        amount: eur("39.90"),
    };
    let e = fail(
        &mut crm,
        "2025-02-10T09:00:00Z",
        Command::AmendAgreement {
            agreement: AgreementId::new("A3").unwrap(),
            changes: vec![change.clone()],
            reason: "retention offer".into(),
            consent: None,
        },
    );
    assert_eq!(e.kind(), ErrorKind::ConsentRequired);
    run(
        &mut crm,
        "2025-02-10T09:00:00Z",
        Command::AmendAgreement {
            agreement: AgreementId::new("A3").unwrap(),
            changes: vec![change],
            reason: "retention offer".into(),
            consent: Some(consent),
        },
    );
    // a consumption plan added by amendment, priced from rated usage
    let plan = PaymentPlanTemplate {
        code: "roaming".into(),
        payment_type: PaymentType::Consumption,
        schedule: ScheduleTemplate::Usage {
            rate: Rate {
                currency: Currency::new("EUR").unwrap(),
                tiers: vec![PriceTier {
                    up_to: None,
                    unit_price: Decimal::new(25, 2),
                }],
                rounding: Default::default(),
            },
            every: Frequency::Monthly,
            start_after_days: 0,
        },
        suspended_billing: Default::default(),
        early_termination: Default::default(),
        proration_rounding: Default::default(),
    }
    .instantiate(
        PlanId::new("L-SVC.roaming").unwrap(),
        cid(),
        AgreementId::new("A3").unwrap(),
        Some(LineId::new("L-SVC").unwrap()),
        1,
        d("2025-02-01"),
    )
    .unwrap();
    run(
        &mut crm,
        "2025-02-10T09:00:00Z",
        Command::AmendAgreement {
            agreement: AgreementId::new("A3").unwrap(),
            changes: vec![AmendmentChange::AddPaymentPlan { plan }],
            reason: "roaming pack".into(),
            consent: Some(consent),
        },
    );
    run(
        &mut crm,
        "2025-03-01T09:00:00Z",
        Command::RecordRatedUsage {
            plan: PlanId::new("L-SVC.roaming").unwrap(),
            period_start: d("2025-02-01"),
            quantity: Decimal::new(120, 0),
        },
    );
    bill(&mut crm, "2025-03-01");
    let svc = crm
        .statement(
            &cid(),
            &Scope::Plan {
                plan_id: PlanId::new("L-SVC.service").unwrap(),
            },
        )
        .unwrap();
    let amounts: Vec<Money> = svc.charges.iter().map(|c| c.charge.amount).collect();
    assert_eq!(amounts, [eur("49.90"), eur("49.90"), eur("39.90")]);
    let roaming = crm
        .statement(
            &cid(),
            &Scope::Plan {
                plan_id: PlanId::new("L-SVC.roaming").unwrap(),
            },
        )
        .unwrap();
    assert_eq!(roaming.charged, eur("30.00"));
    // the billed period's usage can no longer be replaced
    let e = fail(
        &mut crm,
        "2025-03-02T09:00:00Z",
        Command::RecordRatedUsage {
            plan: PlanId::new("L-SVC.roaming").unwrap(),
            period_start: d("2025-02-01"),
            quantity: Decimal::new(1, 0),
        },
    );
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    // as_of before the amendment shows the plan without the price change and without roaming
    let before = crm
        .agreement_as_of(&AgreementId::new("A3").unwrap(), t("2025-02-01T00:00:00Z"))
        .unwrap();
    assert_eq!(before.payment_plans.len(), 2);
}

#[test]
fn early_termination_makes_the_remaining_installments_due_and_refunds_the_unused_service() {
    let mut crm = sold();
    bill(&mut crm, "2025-03-31");
    pay(&mut crm, "PAY1", "2025-03-01", "449.70"); // everything billed so far
    assert!(crm.balance(&cid()).unwrap().is_zero());
    for (line, action) in [
        ("L-SVC", LineAction::RequestTermination),
        ("L-SVC", LineAction::Terminate),
        ("L-DEV", LineAction::Remove),
    ] {
        run(
            &mut crm,
            "2025-03-16T09:00:00Z",
            Command::ChangeLineStatus {
                agreement: AgreementId::new("A3").unwrap(),
                line: LineId::new(line).unwrap(),
                action,
                effective_at: None,
                asset: None,
                renew_until: None,
            },
        );
    }
    let ev = bill(&mut crm, "2025-03-31");
    assert_eq!(ev.len(), 1);
    let Event::ChargesGenerated { credits, .. } = &ev[0].event else {
        panic!("{ev:?}")
    };
    // March was paid in advance; 15 of its 31 days are billed (24.15), the rest is a credit.
    assert_eq!(credits.len(), 1);
    assert_eq!(credits[0].amount, eur("25.75"));
    let device = crm
        .statement(
            &cid(),
            &Scope::Plan {
                plan_id: PlanId::new("L-DEV.device").unwrap(),
            },
        )
        .unwrap();
    assert_eq!(device.charged, eur("1200.00"));
    assert!(
        device
            .charges
            .iter()
            .skip(3)
            .all(|c| c.charge.due_date == d("2025-03-16"))
    );
    assert_eq!(crm.balance(&cid()).unwrap(), eur("874.25"));
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn plans_in_two_currencies_for_one_customer_are_refused() {
    let mut crm = sold();
    let mut o = service_offering();
    o.id = OfferingId::new("US-SVC").unwrap();
    o.payment_plans[0].schedule = ScheduleTemplate::Recurring {
        amount: Money::parse("9.99", "USD").unwrap(),
        every: Frequency::Monthly,
        timing: Default::default(),
        start_after_days: 0,
    };
    run(
        &mut crm,
        "2025-02-01T09:00:00Z",
        Command::AddOffering { offering: o },
    );
    let e = fail(
        &mut crm,
        "2025-02-01T09:00:00Z",
        Command::AmendAgreement {
            agreement: AgreementId::new("A3").unwrap(),
            changes: vec![AmendmentChange::AddLine {
                line: NewLine {
                    id: LineId::new("L-US").unwrap(),
                    offering: OfferingId::new("US-SVC").unwrap(),
                    quantity: 1,
                },
            }],
            reason: "upsell".into(),
            consent: Some(Consent {
                channel: Channel::Phone,
                at: t("2025-02-01T09:00:00Z"),
            }),
        },
    );
    assert_eq!(e.kind(), ErrorKind::CurrencyMismatch);
}

/// An account-wide ladder restricts the service line for the account's debt (here the device
/// installment): the restriction is settled only when the account owes nothing past due, not
/// when the restricted line's own charges are paid.
#[test]
fn an_account_wide_restriction_is_settled_by_the_accounts_debt_not_the_lines() {
    let mut crm = sold();
    let policy = CollectionPolicy::new(
        "account",
        CollectionPolicyScope::AccountWide,
        vec![CollectionStep {
            kind: CollectionStepKind::Restrict,
            after_days: 21,
        }],
    )
    .unwrap();
    run(
        &mut crm,
        "2025-01-01T10:00:00Z",
        Command::RegisterCollectionPolicy { policy },
    );
    bill(&mut crm, "2025-01-31");
    pay(&mut crm, "PAY1", "2025-01-01", "49.90");
    pay(&mut crm, "PAY2", "2025-01-31", "100.00");
    bill(&mut crm, "2025-03-22");
    // The service line's charges (Feb 1, Mar 1) are paid by name; the device's Feb 28
    // installment stays unpaid.
    let service = crm
        .statement(
            &cid(),
            &Scope::Line {
                line_id: LineId::new("L-SVC").unwrap(),
            },
        )
        .unwrap();
    let unpaid: Vec<ChargeId> = service
        .charges
        .iter()
        .filter(|c| c.open.is_positive())
        .map(|c| c.charge.id.clone())
        .collect();
    assert_eq!(unpaid.len(), 2, "{unpaid:?}");
    let mut by_name = payment("PAY3", "2025-03-05", "99.80");
    by_name.allocation = AllocationRule::ToCharges { charge_ids: unpaid };
    run(
        &mut crm,
        "2025-03-05T12:00:00Z",
        Command::RecordPayment { payment: by_name },
    );

    let at = "2025-03-22T09:00:00Z";
    let due: Vec<_> = crm
        .collection_actions(&cid(), "account", t(at))
        .unwrap()
        .into_iter()
        .filter(|a| a.status == ActionStatus::Due)
        .collect();
    assert!(
        due.iter()
            .any(|a| a.line_id.as_ref().map(LineId::as_str) == Some("L-SVC")),
        "{due:?}"
    );
    for a in due {
        run(
            &mut crm,
            at,
            Command::TakeCollectionAction {
                customer: cid(),
                policy: "account".into(),
                key: a.key,
            },
        );
    }
    let later = t("2025-03-22T10:00:00Z");
    assert!(!access(&crm, "2025-03-22T10:00:00Z").is_granted());
    // The service line owes nothing itself, but the account does: not settled, no finding.
    assert!(crm.settled_restrictions(&cid(), later).unwrap().is_empty());
    assert!(
        crm.audit(&cid(), later)
            .unwrap()
            .iter()
            .all(|f| f.kind != crm_core::audit::FindingKind::RestrictionContradictsLine)
    );

    // The device installment is paid: now the restriction can be lifted.
    pay(&mut crm, "PAY4", "2025-03-25", "100.00");
    let settled = crm
        .settled_restrictions(&cid(), t("2025-03-25T13:00:00Z"))
        .unwrap();
    assert_eq!(settled.len(), 1, "{settled:?}");
    assert_eq!(settled[0].line.as_str(), "L-SVC");
}
