//! Tests of the obligation module: story 3 end to end, properties, bad input.

use super::*;
use crate::ids::*;
use crate::lifecycle::LineStatus;
use crate::money::{Currency, Money, Rounding};
use crate::{Error, ErrorKind, Instant};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

fn eur() -> Currency {
    Currency::new("EUR").unwrap()
}
fn m(s: &str) -> Money {
    Money::parse(s, "EUR").unwrap()
}
fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn at(s: &str) -> Instant {
    Utc.from_utc_datetime(&d(s).and_hms_opt(12, 0, 0).unwrap())
}
fn cust() -> CustomerId {
    CustomerId::new("C1").unwrap()
}
fn agr() -> AgreementId {
    AgreementId::new("A1").unwrap()
}
fn line(s: &str) -> LineId {
    LineId::new(s).unwrap()
}

fn device_plan() -> PaymentPlan {
    PaymentPlan::new(
        PlanId::new("P-DEV").unwrap(),
        cust(),
        agr(),
        Some(line("L-DEV")),
        PaymentType::Sale,
        Periodicity::Installments {
            total: m("1200.00"),
            count: 12,
            every: Frequency::Monthly,
            first_due: d("2025-01-31"),
        },
    )
    .unwrap()
}

fn service_plan() -> PaymentPlan {
    PaymentPlan::new(
        PlanId::new("P-SVC").unwrap(),
        cust(),
        agr(),
        Some(line("L-SVC")),
        PaymentType::Service,
        Periodicity::Recurring {
            amount: m("49.90"),
            every: Frequency::Monthly,
            start: d("2025-01-01"),
            end: None,
            timing: BillingTiming::InAdvance,
            price_changes: vec![],
        },
    )
    .unwrap()
}

fn payment(id: &str, when: &str, amount: &str) -> Payment {
    Payment {
        id: PaymentId::new(id).unwrap(),
        customer_id: cust(),
        received_at: at(when),
        amount: m(amount),
        method: PaymentMethod::BankTransfer,
        reference: format!("ref-{id}"),
        allocation: AllocationRule::OldestDueFirst,
    }
}

#[derive(Default)]
struct Ctx {
    statuses: BTreeMap<LineId, LineStatus>,
    exceptions: Vec<(CollectionTarget, CollectionStepKind, Instant, Suppression)>,
    taken: BTreeSet<String>,
}

impl CollectionContext for Ctx {
    fn line_status(&self, line: &LineId) -> Option<LineStatus> {
        self.statuses.get(line).copied()
    }
    fn exception_covering(
        &self,
        target: &CollectionTarget,
        step: CollectionStepKind,
        at: Instant,
    ) -> Option<Suppression> {
        self.exceptions
            .iter()
            .find(|(t, s, from, sup)| {
                t == target && *s == step && *from <= at && sup.until.is_none_or(|u| at < u)
            })
            .map(|(_, _, _, s)| s.clone())
    }
    fn already_taken(&self, key: &str) -> bool {
        self.taken.contains(key)
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

/// Brings the ledger up to date with both plans as the engine would each day.
fn bill_until(ledger: &mut Ledger, day: &str) {
    for plan in [device_plan(), service_plan()] {
        let charges = plan
            .charges_until(d(day), &ScheduleInput::default())
            .unwrap();
        ledger.add_charges(charges, at(day)).unwrap();
    }
}

/// (target line, step, status kind) for compact assertions.
fn summary(actions: &[CollectionAction]) -> Vec<(String, CollectionStepKind, &'static str)> {
    actions
        .iter()
        .map(|a| {
            let l = a
                .line_id
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default();
            let s = match a.status {
                ActionStatus::Due => "due",
                ActionStatus::Suppressed { .. } => "suppressed",
                ActionStatus::NotApplicable { .. } => "not_applicable",
            };
            (l, a.step, s)
        })
        .collect()
}

#[test]
fn story_3_device_installments_service_late_and_partial_payments_collections() {
    use CollectionStepKind::*;
    // The device: 1,200.00 in 12 monthly installments of exactly 100.00, month-end anchored.
    let all = device_plan()
        .charges_until(d("2026-12-31"), &ScheduleInput::default())
        .unwrap();
    assert_eq!(all.len(), 12);
    assert!(all.iter().all(|c| c.amount == m("100.00")));
    assert_eq!(
        Money::sum(eur(), all.iter().map(|c| &c.amount)).unwrap(),
        m("1200.00")
    );
    let dues: Vec<NaiveDate> = all.iter().take(4).map(|c| c.due_date).collect();
    assert_eq!(
        dues,
        [
            d("2025-01-31"),
            d("2025-02-28"),
            d("2025-03-31"),
            d("2025-04-30")
        ]
    );
    assert_eq!(all[0].id.as_str(), "P-DEV#1");

    let mut ledger = Ledger::new(cust(), eur());
    let mut ctx = Ctx::default();
    ctx.statuses.insert(line("L-DEV"), LineStatus::Installed);
    ctx.statuses.insert(line("L-SVC"), LineStatus::Active);
    let policy = ladder();

    // January: both paid on time.
    bill_until(&mut ledger, "2025-01-31");
    ledger
        .record_payment(payment("PAY1", "2025-01-01", "49.90"))
        .unwrap();
    ledger
        .record_payment(payment("PAY2", "2025-01-31", "100.00"))
        .unwrap();
    assert!(ledger.balance().unwrap().is_zero());

    // February's service is paid 19 days late (late payment 1).
    bill_until(&mut ledger, "2025-02-20");
    let acts = collection_actions(&ledger, &policy, &ctx, at("2025-02-05")).unwrap();
    assert_eq!(summary(&acts), [("L-SVC".to_string(), Reminder, "due")]);
    ledger
        .record_payment(payment("PAY3", "2025-02-20", "49.90"))
        .unwrap();
    assert!(
        collection_actions(&ledger, &policy, &ctx, at("2025-02-21"))
            .unwrap()
            .is_empty()
    );

    // March 12: device (Feb 28) and service (Mar 1) unpaid.
    bill_until(&mut ledger, "2025-03-12");
    let aging = ledger.aging(d("2025-03-12"), 5, &Scope::Customer).unwrap();
    assert_eq!(aging.days_1_30, m("149.90"));
    assert_eq!(aging.current, m("0.00"));
    assert_eq!(aging.overdue, m("149.90"));
    assert_eq!(aging.oldest_overdue_due_date, Some(d("2025-02-28")));
    let acts = collection_actions(&ledger, &policy, &ctx, at("2025-03-12")).unwrap();
    assert_eq!(
        summary(&acts),
        [
            ("L-DEV".to_string(), Reminder, "due"),
            // a device cannot be restricted: a restriction warning would contradict its state
            ("L-DEV".to_string(), Notice, "not_applicable"),
            ("L-SVC".to_string(), Reminder, "due"),
            ("L-SVC".to_string(), Notice, "due"),
        ]
    );
    let svc_notice = &acts[3];
    assert_eq!(svc_notice.days_past_due, 11);
    assert_eq!(svc_notice.charge_ids, [ChargeId::new("P-SVC#3").unwrap()]);
    assert_eq!(svc_notice.overdue_amount, m("49.90"));
    for a in &acts {
        ctx.taken.insert(a.key.clone());
    }
    assert!(
        collection_actions(&ledger, &policy, &ctx, at("2025-03-13"))
            .unwrap()
            .is_empty()
    );

    // March 20: a partial payment (100.00 of 149.90) settles the device installment first.
    let out = ledger
        .record_payment(payment("PAY4", "2025-03-20", "100.00"))
        .unwrap();
    assert_eq!(out.applications.len(), 1);
    assert_eq!(out.applications[0].charge_id.as_str(), "P-DEV#2");
    assert!(out.to_credit_balance.is_zero());

    // March 22: day 21 for the service line: restrict it. The device line's ladder stopped.
    let acts = collection_actions(&ledger, &policy, &ctx, at("2025-03-22")).unwrap();
    assert_eq!(summary(&acts), [("L-SVC".to_string(), Restrict, "due")]);
    assert_eq!(acts[0].days_past_due, 21);
    assert_eq!(
        acts[0].reason,
        "1 charge of 49.90 EUR past due for 21 days (since 2025-03-01); step 3 restrict is due from day 21"
    );
    ctx.taken.insert(acts[0].key.clone());
    ctx.statuses.insert(line("L-SVC"), LineStatus::Restricted);
    let acts = collection_actions(&ledger, &policy, &ctx, at("2025-03-23")).unwrap();
    assert_eq!(
        summary(&acts),
        [("L-SVC".to_string(), RestrictionNotice, "due")]
    );
    ctx.taken.insert(acts[0].key.clone());

    // April 2: March's service charge is 32 days past due; the new ones 1 and 2 days.
    bill_until(&mut ledger, "2025-04-02");
    let aging = ledger.aging(d("2025-04-02"), 0, &Scope::Customer).unwrap();
    assert_eq!(aging.days_31_60, m("49.90"));
    assert_eq!(aging.days_1_30, m("149.90")); // device Mar 31, service Apr 1
    assert_eq!(aging.current, m("0.00"));
    let svc = ledger
        .aging(
            d("2025-04-02"),
            0,
            &Scope::Line {
                line_id: line("L-SVC"),
            },
        )
        .unwrap();
    assert_eq!(svc.total_open, m("99.80"));
    let rec = ledger
        .reconcile(
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-04-02"),
            &Scope::Customer,
        )
        .unwrap();
    assert_eq!(rec.due, m("149.90"));
    assert_eq!(rec.missing, m("149.90"));
    assert_eq!(rec.received, m("100.00"));
    assert!(!rec.all_received);
    assert_eq!(rec.unpaid.len(), 2);
    assert_eq!(rec.unpaid[0].unpaid_since, d("2025-03-01"));
    assert_eq!(rec.unpaid[0].days_past_due, 32);

    // April 5: late payment 2 settles everything; the ladder stops at once.
    let out = ledger
        .record_payment(payment("PAY5", "2025-04-05", "199.80"))
        .unwrap();
    assert_eq!(out.applications.len(), 3);
    assert!(ledger.balance().unwrap().is_zero());
    assert!(
        collection_actions(&ledger, &policy, &ctx, at("2025-04-06"))
            .unwrap()
            .is_empty()
    );
    let rec = ledger
        .reconcile(
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-04-06"),
            &Scope::Customer,
        )
        .unwrap();
    assert!(rec.all_received);
    assert_eq!(rec.paid, m("149.90"));
    let plan_view = ledger
        .statement(&Scope::Plan {
            plan_id: PlanId::new("P-DEV").unwrap(),
        })
        .unwrap();
    assert_eq!(plan_view.charges.len(), 3);
    assert_eq!(plan_view.paid, m("300.00"));
    let t = ledger.totals().unwrap();
    assert_eq!(t.charged, m("499.60"));
    assert_eq!(t.received, m("499.60"));

    // The ledger survives JSON byte for byte.
    let json = serde_json::to_string(&ledger).unwrap();
    let back: Ledger = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ledger);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

#[test]
fn exceptions_suppress_steps_and_say_which() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-01");
    let mut ctx = Ctx::default();
    ctx.statuses.insert(line("L-SVC"), LineStatus::Active);
    let target = CollectionTarget::Line {
        agreement_id: agr(),
        line_id: line("L-SVC"),
    };
    let sup = Suppression {
        exception_id: ExceptionId::new("EX-1").unwrap(),
        approved_by: ActorId::new("supervisor-7").unwrap(),
        until: Some(at("2025-02-01")),
        reason: "customer in hospital".into(),
    };
    ctx.exceptions.push((
        target,
        CollectionStepKind::Restrict,
        at("2025-01-01"),
        sup.clone(),
    ));
    let acts = collection_actions(&ledger, &ladder(), &ctx, at("2025-01-25")).unwrap();
    let restrict = acts
        .iter()
        .find(|a| a.step == CollectionStepKind::Restrict)
        .unwrap();
    assert_eq!(
        restrict.status,
        ActionStatus::Suppressed { suppression: sup }
    );
    // after the exception ends, the restriction is due
    let acts = collection_actions(&ledger, &ladder(), &ctx, at("2025-02-02")).unwrap();
    let restrict = acts
        .iter()
        .find(|a| a.step == CollectionStepKind::Restrict)
        .unwrap();
    assert_eq!(restrict.status, ActionStatus::Due);
}

#[test]
fn a_paid_line_is_not_restricted_for_another_lines_debt_unless_account_wide() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-01"); // only the service charge (Jan 1) exists
    let other = Charge {
        id: ChargeId::new("X#1").unwrap(),
        customer_id: cust(),
        agreement_id: agr(),
        line_id: Some(line("L-OTHER")),
        plan_id: None,
        payment_type: PaymentType::Service,
        sequence: 1,
        due_date: d("2025-01-01"),
        amount: m("10.00"),
        period: None,
        proration: None,
    };
    ledger.add_charge(other, at("2025-01-01")).unwrap();
    // pay the other line's charge by name
    let mut p = payment("P", "2025-01-02", "10.00");
    p.allocation = AllocationRule::ToCharges {
        charge_ids: vec![ChargeId::new("X#1").unwrap()],
    };
    ledger.record_payment(p).unwrap();
    let mut ctx = Ctx::default();
    ctx.statuses.insert(line("L-SVC"), LineStatus::Active);
    ctx.statuses.insert(line("L-OTHER"), LineStatus::Active);
    let acts = collection_actions(&ledger, &ladder(), &ctx, at("2025-01-25")).unwrap();
    assert!(acts.iter().all(|a| a.line_id == Some(line("L-SVC"))));
    assert!(acts.iter().any(|a| a.step == CollectionStepKind::Restrict));

    let mut wide = ladder();
    wide.scope = CollectionPolicyScope::AccountWide;
    let acts = collection_actions(&ledger, &wide, &ctx, at("2025-01-25")).unwrap();
    let restricted: Vec<_> = acts
        .iter()
        .filter(|a| a.step == CollectionStepKind::Restrict && a.status == ActionStatus::Due)
        .map(|a| a.line_id.clone().unwrap())
        .collect();
    assert_eq!(restricted, [line("L-OTHER"), line("L-SVC")]);
}

#[test]
fn no_action_contradicts_the_line_state() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-01");
    for (status, restrict, notice, restriction_notice) in [
        (LineStatus::Active, "due", "due", "not_applicable"),
        (
            LineStatus::Restricted,
            "not_applicable",
            "not_applicable",
            "due",
        ),
        (
            LineStatus::Terminated,
            "not_applicable",
            "not_applicable",
            "not_applicable",
        ),
        (
            LineStatus::PendingTermination,
            "not_applicable",
            "not_applicable",
            "not_applicable",
        ),
    ] {
        let mut ctx = Ctx::default();
        ctx.statuses.insert(line("L-SVC"), status);
        let acts = collection_actions(&ledger, &ladder(), &ctx, at("2025-03-01")).unwrap();
        let get = |k| summary(&acts).into_iter().find(|s| s.1 == k).unwrap().2;
        assert_eq!(get(CollectionStepKind::Restrict), restrict, "{status}");
        assert_eq!(get(CollectionStepKind::Notice), notice, "{status}");
        assert_eq!(
            get(CollectionStepKind::RestrictionNotice),
            restriction_notice,
            "{status}"
        );
        assert_eq!(get(CollectionStepKind::Reminder), "due");
        assert_eq!(get(CollectionStepKind::Handover), "due");
    }
}

#[test]
fn payments_are_idempotent_by_id() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-31");
    let first = ledger
        .record_payment(payment("PAY1", "2025-01-02", "200.00"))
        .unwrap();
    let before = ledger.clone();
    let again = ledger
        .record_payment(payment("PAY1", "2025-01-02", "200.00"))
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(ledger, before);
    let e = ledger
        .record_payment(payment("PAY1", "2025-01-02", "201.00"))
        .unwrap_err();
    assert!(matches!(e, Error::IdempotencyConflict { ref key } if key == "PAY1"));
    assert_eq!(ledger, before);
    // the overpayment became credit balance and is applied to the next charge when it comes
    assert_eq!(first.to_credit_balance, m("50.10"));
    assert_eq!(ledger.credit_balance().unwrap(), m("50.10"));
    let applied = ledger
        .add_charges(
            service_plan()
                .charges_until(d("2025-02-01"), &ScheduleInput::default())
                .unwrap(),
            at("2025-02-01"),
        )
        .unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].amount, m("49.90"));
    assert_eq!(ledger.credit_balance().unwrap(), m("0.20"));
}

#[test]
fn bad_input_is_a_typed_error_and_records_nothing() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-31");
    let before = ledger.clone();

    let mut usd = payment("P1", "2025-01-02", "10.00");
    usd.amount = Money::parse("10.00", "USD").unwrap();
    assert_eq!(
        ledger.record_payment(usd).unwrap_err().kind(),
        ErrorKind::CurrencyMismatch
    );

    let neg = payment("P2", "2025-01-02", "-10.00");
    assert_eq!(
        ledger.record_payment(neg).unwrap_err().kind(),
        ErrorKind::Validation
    );
    let zero = payment("P2", "2025-01-02", "0.00");
    assert_eq!(
        ledger.record_payment(zero).unwrap_err().kind(),
        ErrorKind::Validation
    );

    let mut unknown = payment("P3", "2025-01-02", "10.00");
    unknown.allocation = AllocationRule::ToCharges {
        charge_ids: vec![
            ChargeId::new("P-SVC#1").unwrap(),
            ChargeId::new("NOPE#1").unwrap(),
        ],
    };
    assert_eq!(
        ledger.record_payment(unknown).unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // another customer's charge lives in another ledger: unknown here
    let mut other = Ledger::new(CustomerId::new("C2").unwrap(), eur());
    let c2_charge = Charge {
        id: ChargeId::new("C2-CHARGE").unwrap(),
        customer_id: CustomerId::new("C2").unwrap(),
        agreement_id: AgreementId::new("A2").unwrap(),
        line_id: None,
        plan_id: None,
        payment_type: PaymentType::Sale,
        sequence: 1,
        due_date: d("2025-01-01"),
        amount: m("5.00"),
        period: None,
        proration: None,
    };
    other
        .add_charge(c2_charge.clone(), at("2025-01-01"))
        .unwrap();
    let mut cross = payment("P4", "2025-01-02", "5.00");
    cross.allocation = AllocationRule::ToCharges {
        charge_ids: vec![c2_charge.id.clone()],
    };
    assert_eq!(
        ledger.record_payment(cross).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // and the other customer's charge cannot be added here
    assert_eq!(
        ledger
            .add_charge(c2_charge, at("2025-01-01"))
            .unwrap_err()
            .kind(),
        ErrorKind::Validation
    );
    let mut foreign = payment("P5", "2025-01-02", "5.00");
    foreign.customer_id = CustomerId::new("C2").unwrap();
    assert_eq!(
        ledger.record_payment(foreign).unwrap_err().kind(),
        ErrorKind::Validation
    );

    let dup = AllocationRule::ToCharges {
        charge_ids: vec![
            ChargeId::new("P-SVC#1").unwrap(),
            ChargeId::new("P-SVC#1").unwrap(),
        ],
    };
    let mut p = payment("P6", "2025-01-02", "5.00");
    p.allocation = dup;
    assert_eq!(
        ledger.record_payment(p).unwrap_err().kind(),
        ErrorKind::Validation
    );

    let wo = WriteOff {
        id: EntryId::new("W1").unwrap(),
        charge_id: ChargeId::new("P-SVC#1").unwrap(),
        at: at("2025-01-02"),
        amount: m("50.00"),
        reason: "too much".into(),
        approved_by: ActorId::new("boss").unwrap(),
    };
    assert_eq!(
        ledger.write_off(wo).unwrap_err().kind(),
        ErrorKind::Validation
    );
    let adj = Adjustment {
        id: EntryId::new("ADJ1").unwrap(),
        charge_id: ChargeId::new("P-SVC#1").unwrap(),
        at: at("2025-01-02"),
        amount: m("-49.91"),
        reason: "below zero".into(),
        approved_by: ActorId::new("boss").unwrap(),
    };
    assert_eq!(
        ledger.adjust(adj).unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        ledger
            .reverse_payment(&PaymentId::new("NOPE").unwrap(), at("2025-01-03"), "x")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(ledger, before, "nothing was recorded");

    // zero-count installments, negative amounts, another currency in a plan
    let mut plan = device_plan();
    plan.periodicity = Periodicity::Installments {
        total: m("1200.00"),
        count: 0,
        every: Frequency::Monthly,
        first_due: d("2025-01-31"),
    };
    assert_eq!(plan.validate().unwrap_err().kind(), ErrorKind::Validation);
    assert!(
        plan.charges_until(d("2026-01-01"), &ScheduleInput::default())
            .is_err()
    );
    plan.periodicity = Periodicity::OneTime {
        amount: m("-1.00"),
        due: d("2025-01-01"),
    };
    assert_eq!(plan.validate().unwrap_err().kind(), ErrorKind::Validation);
    let mut svc = service_plan();
    let snapshot = svc.clone();
    let e = svc
        .add_price_change(PriceChange {
            from: d("2025-03-01"),
            amount: Money::parse("1", "USD").unwrap(),
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CurrencyMismatch);
    assert_eq!(svc, snapshot);
}

#[test]
fn reversal_reopens_what_the_payment_paid() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-31");
    let before = (ledger.balance().unwrap(), ledger.charges().to_vec());
    ledger
        .record_payment(payment("PAY1", "2025-01-05", "170.00"))
        .unwrap();
    // the overpayment (20.10) reaches the next charge when it is added
    bill_until(&mut ledger, "2025-02-01");
    assert_eq!(
        ledger
            .charge(&ChargeId::new("P-SVC#2").unwrap())
            .unwrap()
            .open,
        m("29.80")
    );
    let out = ledger
        .reverse_payment(
            &PaymentId::new("PAY1").unwrap(),
            at("2025-02-03"),
            "insufficient funds",
        )
        .unwrap();
    assert_eq!(out.reopened.len(), 3);
    assert_eq!(
        ledger
            .charge(&ChargeId::new("P-SVC#2").unwrap())
            .unwrap()
            .open,
        m("49.90")
    );
    assert_eq!(
        ledger.balance().unwrap(),
        before.0.checked_add(&m("49.90")).unwrap()
    );
    assert_eq!(
        ledger.charges()[..2]
            .iter()
            .map(|e| e.open)
            .collect::<Vec<_>>(),
        before.1.iter().map(|e| e.open).collect::<Vec<_>>()
    );
    // the same reversal again changes nothing; a different one is refused
    let again = ledger.clone();
    assert_eq!(
        ledger
            .reverse_payment(
                &PaymentId::new("PAY1").unwrap(),
                at("2025-02-03"),
                "insufficient funds"
            )
            .unwrap(),
        out
    );
    assert_eq!(ledger, again);
    let e = ledger
        .reverse_payment(&PaymentId::new("PAY1").unwrap(), at("2025-02-04"), "other")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    assert_eq!(ledger.totals().unwrap().received, m("0.00"));
}

#[test]
fn proration_by_status_history() {
    let plan = service_plan();
    // activated on Jan 15: 17 of 31 days; 49.90 × 17 / 31 = 27.3645… → 27.36 (half even)
    let input = ScheduleInput {
        history: vec![StatusChange {
            on: d("2025-01-15"),
            status: LineStatus::Active,
        }],
        ..Default::default()
    };
    let c = plan.charges_until(d("2025-02-01"), &input).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].amount, m("27.36"));
    let p = c[0].proration.clone().unwrap();
    assert_eq!((p.billable_days, p.period_days), (17, 31));
    assert_eq!(c[1].amount, m("49.90"));
    assert!(c[1].proration.is_none());

    // suspended Feb 10 to Feb 24 (14 days of 28): billed or not, as the plan says
    let input = ScheduleInput {
        history: vec![
            StatusChange {
                on: d("2025-01-01"),
                status: LineStatus::Active,
            },
            StatusChange {
                on: d("2025-02-10"),
                status: LineStatus::Suspended,
            },
            StatusChange {
                on: d("2025-02-24"),
                status: LineStatus::Active,
            },
        ],
        ..Default::default()
    };
    let feb = |p: &PaymentPlan| p.charges_until(d("2025-02-01"), &input).unwrap()[1].amount;
    assert_eq!(feb(&plan), m("49.90"));
    let mut skip = plan.clone();
    skip.suspended_billing = SuspendedBilling::DoNotBill;
    assert_eq!(feb(&skip), m("24.95"));
    skip.proration_rounding = Rounding::Ceiling;
    assert_eq!(feb(&skip), m("24.95"));

    // terminated on Mar 11: March billed for 10 days, nothing after
    let input = ScheduleInput {
        terminated_on: Some(d("2025-03-11")),
        ..Default::default()
    };
    let c = plan.charges_until(d("2025-12-31"), &input).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c[2].amount, m("16.10")); // 49.90 × 10 / 31 = 16.0967…
}

#[test]
fn price_changes_in_arrears_and_usage() {
    let mut plan = service_plan();
    plan.add_price_change(PriceChange {
        from: d("2025-03-01"),
        amount: m("54.90"),
    })
    .unwrap();
    assert!(
        plan.add_price_change(PriceChange {
            from: d("2025-03-01"),
            amount: m("1.00")
        })
        .is_err()
    );
    if let Periodicity::Recurring { timing, .. } = &mut plan.periodicity {
        *timing = BillingTiming::InArrears;
    }
    let c = plan
        .charges_until(d("2025-04-01"), &ScheduleInput::default())
        .unwrap();
    let got: Vec<(NaiveDate, Money)> = c.iter().map(|c| (c.due_date, c.amount)).collect();
    assert_eq!(
        got,
        [
            (d("2025-02-01"), m("49.90")),
            (d("2025-03-01"), m("49.90")),
            (d("2025-04-01"), m("54.90"))
        ]
    );

    let usage = PaymentPlan::new(
        PlanId::new("P-USE").unwrap(),
        cust(),
        agr(),
        Some(line("L-SVC")),
        PaymentType::Consumption,
        Periodicity::Usage {
            rate: Rate {
                currency: eur(),
                tiers: vec![
                    PriceTier {
                        up_to: Some(Decimal::from(100)),
                        unit_price: "0.10".parse().unwrap(),
                    },
                    PriceTier {
                        up_to: None,
                        unit_price: "0.045".parse().unwrap(),
                    },
                ],
                rounding: Rounding::HalfUp,
            },
            every: Frequency::Monthly,
            start: d("2025-01-01"),
            end: None,
        },
    )
    .unwrap();
    let input = ScheduleInput {
        usage: vec![
            PeriodUsage {
                period_start: d("2025-01-01"),
                quantity: Decimal::from(150),
            },
            PeriodUsage {
                period_start: d("2025-02-01"),
                quantity: Decimal::from(3),
            },
        ],
        ..Default::default()
    };
    let c = usage.charges_until(d("2025-02-28"), &input).unwrap();
    assert_eq!(c.len(), 1, "February is not over yet");
    assert_eq!(c[0].amount, m("12.25")); // 100 × 0.10 + 50 × 0.045 = 12.25
    assert_eq!(c[0].due_date, d("2025-02-01"));
    let bad = ScheduleInput {
        usage: vec![PeriodUsage {
            period_start: d("2025-01-02"),
            quantity: Decimal::ONE,
        }],
        ..Default::default()
    };
    assert!(usage.charges_until(d("2025-12-31"), &bad).is_err());
}

#[test]
fn early_termination_settles_installments_as_the_plan_says() {
    let input = ScheduleInput {
        terminated_on: Some(d("2025-05-10")),
        ..Default::default()
    };
    let plan = device_plan();
    let c = plan.charges_until(d("2025-05-10"), &input).unwrap();
    assert_eq!(c.len(), 12);
    assert_eq!(
        c.iter().filter(|c| c.due_date == d("2025-05-10")).count(),
        8
    );
    let mut cont = plan.clone();
    cont.early_termination = EarlyTermination::Continue;
    assert_eq!(
        cont.charges_until(d("2025-05-10"), &input).unwrap().len(),
        4
    );
}

#[test]
fn credits_adjustments_write_offs_and_views() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-31");
    let boss = ActorId::new("boss").unwrap();
    ledger
        .grant_credit(Credit {
            id: EntryId::new("CR1").unwrap(),
            customer_id: cust(),
            granted_at: at("2025-01-02"),
            amount: m("10.00"),
            reason: "outage compensation".into(),
            approved_by: boss.clone(),
            allocation: AllocationRule::OldestDueFirst,
        })
        .unwrap();
    let svc1 = ChargeId::new("P-SVC#1").unwrap();
    ledger
        .adjust(Adjustment {
            id: EntryId::new("ADJ1").unwrap(),
            charge_id: svc1.clone(),
            at: at("2025-01-03"),
            amount: m("-9.90"),
            reason: "promotion".into(),
            approved_by: boss.clone(),
        })
        .unwrap();
    ledger
        .write_off(WriteOff {
            id: EntryId::new("W1").unwrap(),
            charge_id: svc1.clone(),
            at: at("2025-01-04"),
            amount: m("30.00"),
            reason: "goodwill".into(),
            approved_by: boss.clone(),
        })
        .unwrap();
    let e = ledger.charge(&svc1).unwrap();
    assert_eq!(
        (e.credited, e.adjusted, e.written_off, e.open),
        (m("10.00"), m("-9.90"), m("30.00"), m("0.00"))
    );
    let t = ledger.totals().unwrap();
    assert_eq!(t.balance, m("100.00"));
    assert_eq!(t.balance, ledger.balance().unwrap());
    let line_view = ledger
        .statement(&Scope::Line {
            line_id: line("L-SVC"),
        })
        .unwrap();
    assert_eq!((line_view.charged, line_view.open), (m("40.00"), m("0.00")));
    let agr_view = ledger
        .statement(&Scope::Agreement {
            agreement_id: agr(),
        })
        .unwrap();
    assert_eq!(agr_view.charges.len(), 2);
    // an entry id is shared by credits, adjustments and write-offs
    let clash = WriteOff {
        id: EntryId::new("CR1").unwrap(),
        charge_id: ChargeId::new("P-DEV#1").unwrap(),
        at: at("2025-01-04"),
        amount: m("1.00"),
        reason: "x".into(),
        approved_by: boss,
    };
    assert_eq!(
        ledger.write_off(clash).unwrap_err().kind(),
        ErrorKind::Conflict
    );
}

#[test]
fn large_ledgers_use_the_index() {
    let mut ledger = Ledger::new(cust(), eur());
    let mut plan = service_plan();
    if let Periodicity::Recurring { every, .. } = &mut plan.periodicity {
        *every = Frequency::Weekly;
    }
    let charges = plan
        .charges_until(d("2026-12-31"), &ScheduleInput::default())
        .unwrap();
    assert!(charges.len() > 100);
    // add in reverse order to exercise insertion in the middle
    for c in charges.iter().rev() {
        ledger.add_charge(c.clone(), at("2025-01-01")).unwrap();
    }
    assert!(
        ledger
            .charges()
            .windows(2)
            .all(|w| w[0].charge.due_date <= w[1].charge.due_date)
    );
    for c in &charges {
        assert_eq!(ledger.charge(&c.id).unwrap().charge, *c);
    }
    let json = serde_json::to_string(&ledger).unwrap();
    let back: Ledger = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ledger);
}

// ---------------------------------------------------------------- properties

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2200, 1u32..=12, 1u32..=31).prop_map(|(y, mo, day)| {
        let last = (28..=31)
            .rev()
            .find(|dd| NaiveDate::from_ymd_opt(y, mo, *dd).is_some())
            .unwrap();
        NaiveDate::from_ymd_opt(y, mo, day.min(last)).unwrap()
    })
}

fn days_in(y: i32, mo: u32) -> u32 {
    (28..=31)
        .rev()
        .find(|dd| NaiveDate::from_ymd_opt(y, mo, *dd).is_some())
        .unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Charge { cents: i64, due_offset: i64 },
    Pay { cents: i64, named: Option<usize> },
    Credit { cents: i64 },
    Adjust { idx: usize, cents: i64 },
    WriteOff { idx: usize, cents: i64 },
    Reverse { idx: usize },
    ApplyCredit,
    Foreign { cents: i64 },
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1i64..50_000, 0i64..120).prop_map(|(cents, due_offset)| Op::Charge { cents, due_offset }),
        3 => (-100i64..60_000, proptest::option::of(0usize..20)).prop_map(|(cents, named)| Op::Pay { cents, named }),
        1 => (1i64..20_000).prop_map(|cents| Op::Credit { cents }),
        1 => (0usize..20, -20_000i64..20_000).prop_map(|(idx, cents)| Op::Adjust { idx, cents }),
        1 => (0usize..20, 1i64..20_000).prop_map(|(idx, cents)| Op::WriteOff { idx, cents }),
        1 => (0usize..20).prop_map(|idx| Op::Reverse { idx }),
        1 => Just(Op::ApplyCredit),
        1 => (1i64..1000).prop_map(|cents| Op::Foreign { cents }),
    ]
}

fn run(ledger: &mut Ledger, op: &Op, n: usize) -> crate::Result<()> {
    let base = d("2025-01-01");
    let now = at("2025-03-01");
    let cents = |c: i64| Money::from_minor(c, eur());
    let boss = ActorId::new("boss").unwrap();
    let charge_id = |idx: usize, l: &Ledger| {
        l.charges()
            .get(idx % l.charges().len().max(1))
            .map(|e| e.charge.id.clone())
    };
    match op {
        Op::Charge {
            cents: c,
            due_offset,
        } => ledger
            .add_charge(
                Charge {
                    id: ChargeId::new(format!("CH{n}")).unwrap(),
                    customer_id: cust(),
                    agreement_id: agr(),
                    line_id: Some(line(if n.is_multiple_of(2) { "L1" } else { "L2" })),
                    plan_id: None,
                    payment_type: PaymentType::Service,
                    sequence: 1,
                    due_date: base + chrono::Duration::days(*due_offset),
                    amount: cents(*c),
                    period: None,
                    proration: None,
                },
                now,
            )
            .map(|_| ()),
        Op::Pay { cents: c, named } => {
            let allocation = match named.and_then(|i| charge_id(i, ledger)) {
                Some(id) => AllocationRule::ToCharges {
                    charge_ids: vec![id],
                },
                None => AllocationRule::OldestDueFirst,
            };
            ledger
                .record_payment(Payment {
                    id: PaymentId::new(format!("PAY{n}")).unwrap(),
                    customer_id: cust(),
                    received_at: now,
                    amount: cents(*c),
                    method: PaymentMethod::Card,
                    reference: String::new(),
                    allocation,
                })
                .map(|_| ())
        }
        Op::Credit { cents: c } => ledger
            .grant_credit(Credit {
                id: EntryId::new(format!("E{n}")).unwrap(),
                customer_id: cust(),
                granted_at: now,
                amount: cents(*c),
                reason: "r".into(),
                approved_by: boss,
                allocation: AllocationRule::OldestDueFirst,
            })
            .map(|_| ()),
        Op::Adjust { idx, cents: c } => {
            let Some(id) = charge_id(*idx, ledger) else {
                return Ok(());
            };
            ledger.adjust(Adjustment {
                id: EntryId::new(format!("E{n}")).unwrap(),
                charge_id: id,
                at: now,
                amount: cents(*c),
                reason: "r".into(),
                approved_by: boss,
            })
        }
        Op::WriteOff { idx, cents: c } => {
            let Some(id) = charge_id(*idx, ledger) else {
                return Ok(());
            };
            ledger.write_off(WriteOff {
                id: EntryId::new(format!("E{n}")).unwrap(),
                charge_id: id,
                at: now,
                amount: cents(*c),
                reason: "r".into(),
                approved_by: boss,
            })
        }
        Op::Reverse { idx } => {
            let ids: Vec<PaymentId> = ledger
                .fundings()
                .iter()
                .filter_map(|f| match &f.source {
                    FundingSource::Payment(p) => Some(p.id.clone()),
                    _ => None,
                })
                .collect();
            if ids.is_empty() {
                return Ok(());
            }
            ledger
                .reverse_payment(&ids[idx % ids.len()], now, "bounced")
                .map(|_| ())
        }
        Op::ApplyCredit => ledger.apply_credit_balance(now).map(|_| ()),
        Op::Foreign { cents: c } => ledger
            .record_payment(Payment {
                id: PaymentId::new(format!("PAY{n}")).unwrap(),
                customer_id: cust(),
                received_at: now,
                amount: Money::from_minor(*c, Currency::new("USD").unwrap()),
                method: PaymentMethod::Card,
                reference: String::new(),
                allocation: AllocationRule::OldestDueFirst,
            })
            .map(|_| ()),
    }
}

fn check_invariants(ledger: &Ledger) -> Result<(), TestCaseError> {
    let t = ledger.totals().unwrap();
    // balance = charges + adjustments - payments - credits - write-offs = Σ open - credit balance
    prop_assert_eq!(t.balance, ledger.balance().unwrap());
    prop_assert_eq!(t.balance, t.open.checked_sub(&t.credit_balance).unwrap());
    for e in ledger.charges() {
        prop_assert!(!e.open.is_negative());
        let settled = e
            .paid
            .checked_add(&e.credited)
            .unwrap()
            .checked_add(&e.written_off)
            .unwrap();
        prop_assert!(
            settled.try_cmp(&e.net_amount().unwrap()).unwrap().is_le(),
            "charge over-settled"
        );
        prop_assert_eq!(
            e.net_amount().unwrap().checked_sub(&settled).unwrap(),
            e.open
        );
    }
    // the compact hot array mirrors the charges
    prop_assert_eq!(ledger.hot().len(), ledger.charges().len());
    for (h, e) in ledger.hot().iter().zip(ledger.charges()) {
        prop_assert_eq!((h.due, h.open), (e.charge.due_date, e.open));
    }
    // aging agrees with a day-by-day computation
    for (as_of, grace) in [
        (d("2025-01-01"), 0u32),
        (d("2025-03-15"), 5),
        (d("2025-06-30"), 30),
    ] {
        let a = ledger.aging(as_of, grace, &Scope::Customer).unwrap();
        let mut want = [0i128; 5];
        let mut overdue = 0i128;
        for e in ledger.charges() {
            let days = (as_of - e.charge.due_date).num_days();
            let b = match days {
                ..=0 => 0,
                1..=30 => 1,
                31..=60 => 2,
                61..=90 => 3,
                _ => 4,
            };
            want[b] += e.open.minor_units();
            if days > i64::from(grace) {
                overdue += e.open.minor_units();
            }
        }
        let got = [
            a.current,
            a.days_1_30,
            a.days_31_60,
            a.days_61_90,
            a.over_90,
        ]
        .map(|m| m.minor_units());
        prop_assert_eq!(got, want);
        prop_assert_eq!(a.overdue.minor_units(), overdue);
        prop_assert_eq!(a.total_open, t.open);
        let line1 = ledger
            .aging(
                as_of,
                grace,
                &Scope::Line {
                    line_id: line("L1"),
                },
            )
            .unwrap();
        let line2 = ledger
            .aging(
                as_of,
                grace,
                &Scope::Line {
                    line_id: line("L2"),
                },
            )
            .unwrap();
        prop_assert_eq!(
            line1.total_open.checked_add(&line2.total_open).unwrap(),
            a.total_open
        );
    }
    let mut applied_per_charge: BTreeMap<ChargeId, Money> = BTreeMap::new();
    for f in ledger.fundings() {
        let amount = match &f.source {
            FundingSource::Payment(p) => p.amount,
            FundingSource::Credit(c) => c.amount,
        };
        let applied = Money::sum(eur(), f.applications.iter().map(|a| &a.amount)).unwrap();
        prop_assert!(f.applications.iter().all(|a| a.amount.is_positive()));
        prop_assert!(
            applied.try_cmp(&amount).unwrap().is_le(),
            "allocation exceeds payment"
        );
        if f.reversal.is_none() {
            prop_assert_eq!(applied.checked_add(&f.unapplied).unwrap(), amount);
            for a in &f.applications {
                let s = applied_per_charge
                    .entry(a.charge_id.clone())
                    .or_insert(Money::zero(eur()));
                *s = s.checked_add(&a.amount).unwrap();
            }
        } else {
            prop_assert!(f.unapplied.is_zero());
        }
    }
    for e in ledger.charges() {
        let from_fundings = applied_per_charge
            .get(&e.charge.id)
            .copied()
            .unwrap_or(Money::zero(eur()));
        prop_assert_eq!(from_fundings, e.paid.checked_add(&e.credited).unwrap());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn installments_sum_to_the_total(cents in 1i64..100_000_000_000, count in 1u32..=240,
                                      first in any_date(), weekly in any::<bool>()) {
        let plan = PaymentPlan::new(
            PlanId::new("P").unwrap(), cust(), agr(), None, PaymentType::Sale,
            Periodicity::Installments {
                total: Money::from_minor(cents, eur()),
                count,
                every: if weekly { Frequency::Weekly } else { Frequency::Monthly },
                first_due: first,
            },
        ).unwrap();
        let c = plan.charges_until(NaiveDate::MAX, &ScheduleInput::default()).unwrap();
        prop_assert_eq!(c.len() as u32, count);
        prop_assert_eq!(Money::sum(eur(), c.iter().map(|c| &c.amount)).unwrap(), Money::from_minor(cents, eur()));
        let max = c.iter().map(|c| c.amount.minor_units()).max().unwrap();
        let min = c.iter().map(|c| c.amount.minor_units()).min().unwrap();
        prop_assert!(max - min <= 1);
        let ids: BTreeSet<_> = c.iter().map(|c| c.id.clone()).collect();
        prop_assert_eq!(ids.len(), c.len());
        // deterministic
        prop_assert_eq!(c, plan.charges_until(NaiveDate::MAX, &ScheduleInput::default()).unwrap());
    }

    #[test]
    fn month_end_schedules_never_skip_or_repeat_a_month(anchor in any_date(), n in 1u32..400) {
        let mut prev: Option<NaiveDate> = None;
        for k in 0..n {
            let due = schedule::anchor_date(anchor, Frequency::Monthly, k).unwrap();
            prop_assert_eq!(due.day(), anchor.day().min(days_in(due.year(), due.month())));
            if let Some(p) = prev {
                let months = (due.year() - p.year()) * 12 + due.month() as i32 - p.month() as i32;
                prop_assert_eq!(months, 1, "{} then {}", p, due);
            }
            prev = Some(due);
        }
    }

    #[test]
    fn ledger_invariants_hold_for_any_sequence(ops in proptest::collection::vec(any_op(), 1..60)) {
        let mut ledger = Ledger::new(cust(), eur());
        for (n, op) in ops.iter().enumerate() {
            let before = ledger.clone();
            if run(&mut ledger, op, n).is_err() {
                prop_assert_eq!(&ledger, &before, "a refused {:?} changed the ledger", op);
            }
            check_invariants(&ledger)?;
        }
        let json = serde_json::to_string(&ledger).unwrap();
        let back: Ledger = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &ledger);
    }

    #[test]
    fn a_reversal_round_trip_restores_the_previous_state(
        ops in proptest::collection::vec(any_op(), 0..40),
        cents in 1i64..100_000,
        named in proptest::option::of(0usize..20),
    ) {
        let mut ledger = Ledger::new(cust(), eur());
        for (n, op) in ops.iter().enumerate() {
            let _ = run(&mut ledger, op, n);
        }
        let opens: Vec<(ChargeId, Money)> = ledger.charges().iter().map(|e| (e.charge.id.clone(), e.open)).collect();
        let (balance, credit) = (ledger.balance().unwrap(), ledger.credit_balance().unwrap());
        let n = ops.len() + 1;
        run(&mut ledger, &Op::Pay { cents, named }, n).unwrap();
        ledger.reverse_payment(&PaymentId::new(format!("PAY{n}")).unwrap(), at("2025-03-02"), "bounced").unwrap();
        let after: Vec<(ChargeId, Money)> = ledger.charges().iter().map(|e| (e.charge.id.clone(), e.open)).collect();
        prop_assert_eq!(after, opens);
        prop_assert_eq!(ledger.balance().unwrap(), balance);
        prop_assert_eq!(ledger.credit_balance().unwrap(), credit);
        check_invariants(&ledger)?;
    }

    #[test]
    fn prorated_amounts_never_exceed_the_full_amount(start in any_date(), act in 0i64..40, cents in 1i64..1_000_000) {
        let plan = PaymentPlan::new(
            PlanId::new("P").unwrap(), cust(), agr(), None, PaymentType::Service,
            Periodicity::Recurring {
                amount: Money::from_minor(cents, eur()), every: Frequency::Monthly, start,
                end: None, timing: BillingTiming::InAdvance, price_changes: vec![],
            },
        ).unwrap();
        let input = ScheduleInput {
            history: vec![StatusChange { on: start + chrono::Duration::days(act), status: LineStatus::Active }],
            ..Default::default()
        };
        let until = schedule::anchor_date(start, Frequency::Monthly, 3).unwrap();
        for c in plan.charges_until(until, &input).unwrap() {
            prop_assert!(c.amount.minor_units() <= i128::from(cents));
            prop_assert!(c.amount.is_positive());
        }
    }
}

#[test]
fn termination_after_billing_reschedules_and_adjusts() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-03-31");
    // the line is terminated on Mar 11: regenerate and compare
    let input = ScheduleInput {
        terminated_on: Some(d("2025-03-11")),
        ..Default::default()
    };
    let dev = device_plan()
        .charges_until(d("2025-03-31"), &input)
        .unwrap();
    let changes = ledger.plan_changes(&dev);
    // Mar 31 moves to Mar 11; Apr..Dec are new, due Mar 11
    assert!(changes.contains(&ChargeChange::DueDateChanged {
        charge_id: ChargeId::new("P-DEV#3").unwrap(),
        from: d("2025-03-31"),
        to: d("2025-03-11"),
    }));
    assert_eq!(
        changes
            .iter()
            .filter(|c| matches!(c, ChargeChange::New { .. }))
            .count(),
        9
    );
    ledger
        .reschedule_charge(&ChargeId::new("P-DEV#3").unwrap(), d("2025-03-11"))
        .unwrap();
    assert!(
        ledger
            .charges()
            .windows(2)
            .all(|w| (w[0].charge.due_date, w[0].added) < (w[1].charge.due_date, w[1].added))
    );
    assert_eq!(
        ledger.hot().iter().map(|h| h.due).collect::<Vec<_>>(),
        ledger
            .charges()
            .iter()
            .map(|e| e.charge.due_date)
            .collect::<Vec<_>>()
    );
    let svc = service_plan()
        .charges_until(d("2025-03-31"), &input)
        .unwrap();
    let changes = ledger.plan_changes(&svc);
    assert_eq!(
        changes,
        [ChargeChange::AmountChanged {
            charge_id: ChargeId::new("P-SVC#3").unwrap(),
            from: m("49.90"),
            to: m("16.10"),
        }]
    );
    let json = serde_json::to_string(&changes[0]).unwrap();
    assert!(json.starts_with(r#"{"type":"amount_changed""#), "{json}");
}

#[test]
fn json_names_are_stable_snake_case() {
    let p = device_plan();
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["periodicity"]["type"], "installments");
    assert_eq!(json["periodicity"]["every"]["type"], "monthly");
    assert_eq!(json["periodicity"]["total"]["amount"], "1200.00");
    assert_eq!(json["payment_type"], "sale");
    assert_eq!(json["early_termination"], "due_at_once");
    assert_eq!(json["suspended_billing"], "bill");
    let back: PaymentPlan = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
    let rule = AllocationRule::ToCharges {
        charge_ids: vec![ChargeId::new("X").unwrap()],
    };
    assert_eq!(
        serde_json::to_string(&rule).unwrap(),
        r#"{"type":"to_charges","charge_ids":["X"]}"#
    );
    assert_eq!(
        serde_json::to_string(&ActionStatus::Due).unwrap(),
        r#"{"type":"due"}"#
    );
    assert_eq!(
        serde_json::to_string(&Frequency::EveryNDays { days: 14 }).unwrap(),
        r#"{"type":"every_n_days","days":14}"#
    );
    assert_eq!(
        serde_json::to_string(&CollectionStepKind::RestrictionNotice).unwrap(),
        r#""restriction_notice""#
    );
    // a tampered ledger is refused on the way in
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-01-01");
    let text = serde_json::to_string(&ledger)
        .unwrap()
        .replace(r#""open":{"amount":"49.90""#, r#""open":{"amount":"1.00""#);
    assert!(serde_json::from_str::<Ledger>(&text).is_err());
    // so is one whose payment applications do not match the charges
    ledger
        .record_payment(payment("PAY1", "2025-01-01", "49.90"))
        .unwrap();
    let good = serde_json::to_string(&ledger).unwrap();
    assert!(serde_json::from_str::<Ledger>(&good).is_ok());
    let text = good.replace(
        r#""unapplied":{"amount":"0.00""#,
        r#""unapplied":{"amount":"5.00""#,
    );
    assert_ne!(text, good);
    assert!(serde_json::from_str::<Ledger>(&text).is_err());
}

#[test]
fn many_payments_and_credits_stay_idempotent_past_the_scan_limit() {
    let mut ledger = Ledger::new(cust(), eur());
    bill_until(&mut ledger, "2025-12-31");
    for i in 0..40 {
        if i % 3 == 0 {
            ledger
                .grant_credit(Credit {
                    id: EntryId::new(format!("CR{i}")).unwrap(),
                    customer_id: cust(),
                    granted_at: at("2025-02-01"),
                    amount: m("1.00"),
                    reason: "r".into(),
                    approved_by: ActorId::new("boss").unwrap(),
                    allocation: AllocationRule::OldestDueFirst,
                })
                .unwrap();
        } else {
            ledger
                .record_payment(payment(&format!("P{i}"), "2025-02-01", "1.00"))
                .unwrap();
        }
    }
    let before = ledger.clone();
    for i in (0..40).filter(|i| i % 3 != 0) {
        ledger
            .record_payment(payment(&format!("P{i}"), "2025-02-01", "1.00"))
            .unwrap();
        let e = ledger
            .record_payment(payment(&format!("P{i}"), "2025-02-01", "2.00"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
    assert_eq!(ledger, before);
    ledger
        .reverse_payment(&PaymentId::new("P38").unwrap(), at("2025-02-02"), "bounced")
        .unwrap();
    let json = serde_json::to_string(&ledger).unwrap();
    let back: Ledger = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ledger);
}
