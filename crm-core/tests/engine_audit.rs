//! The consistency audit through the engine: each planted contradiction is found, a clean
//! record gives nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use crm_core::agreement::{
    Exception, ExceptionEffect, ExceptionScope, LineAction, NewLine, PartyRef, SoldThrough, Term,
};
use crm_core::audit::{FindingKind, Severity};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::engine::NewCommitment;
use crm_core::interaction::Direction;
use crm_core::obligation::{
    ActionStatus, AllocationRule, CollectionPolicy, CollectionPolicyScope, CollectionStep,
    CollectionStepKind, Frequency, Payment, PaymentMethod, PaymentPlanTemplate, PaymentType,
    ScheduleTemplate,
};
use crm_core::party::{Channel, Consent, Purpose};
use crm_core::*;

fn run(crm: &mut Crm, at: &str, command: Command) -> Vec<EventEnvelope> {
    crm.execute(&env(at, command)).unwrap()
}

fn kinds(crm: &Crm, customer: &str, at: &str) -> Vec<(Severity, FindingKind)> {
    crm.audit(&CustomerId::new(customer).unwrap(), t(at))
        .unwrap()
        .into_iter()
        .map(|f| (f.severity, f.kind))
        .collect()
}

fn exception(
    id: &str,
    customer: &str,
    scope: ExceptionScope,
    effect: ExceptionEffect,
    from: &str,
) -> Exception {
    Exception {
        id: ExceptionId::new(id).unwrap(),
        customer: CustomerId::new(customer).unwrap(),
        agreement: match scope {
            ExceptionScope::Line { .. } => Some(AgreementId::new("A3").unwrap()),
            _ => None,
        },
        scope,
        effect,
        approved_by: ActorId::new("supervisor-1").unwrap(),
        reason: "approved by the supervisor".into(),
        valid_from: t(from),
        valid_to: None,
        revoked: None,
    }
}

/// C3 with a 49.90 monthly service line L-SVC (active) since 2025-01-01 and a collection
/// ladder; the January charge is billed and not paid.
fn in_arrears() -> Crm {
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
            offering: Offering {
                id: OfferingId::new("MOBILE-S").unwrap(),
                name: "Mobile service".into(),
                kind: OfferingKind::Service,
                entitlements: vec![],
                payment_plans: vec![PaymentPlanTemplate {
                    code: "service".into(),
                    payment_type: PaymentType::Service,
                    schedule: ScheduleTemplate::Recurring {
                        amount: Money::parse("49.90", "EUR").unwrap(),
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
    let s = |kind, after_days| CollectionStep { kind, after_days };
    run(
        &mut crm,
        at,
        Command::RegisterCollectionPolicy {
            policy: CollectionPolicy::new(
                "standard",
                CollectionPolicyScope::PerObligation,
                vec![
                    s(CollectionStepKind::Reminder, 3),
                    s(CollectionStepKind::Restrict, 21),
                ],
            )
            .unwrap(),
        },
    );
    run(
        &mut crm,
        at,
        Command::CreateAgreement {
            agreement: AgreementId::new("A3").unwrap(),
            customer: CustomerId::new("C3").unwrap(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: "2025-01-01".parse().unwrap(),
                end: Some("2026-12-31".parse().unwrap()),
                auto_renew: false,
            },
            lines: vec![NewLine {
                id: LineId::new("L-SVC").unwrap(),
                offering: OfferingId::new("MOBILE-S").unwrap(),
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
                agreement: AgreementId::new("A3").unwrap(),
                line: LineId::new("L-SVC").unwrap(),
                action,
                effective_at: None,
                asset: None,
                renew_until: None,
            },
        );
    }
    run(
        &mut crm,
        "2025-01-02T06:00:00Z",
        Command::GenerateCharges {
            customer: CustomerId::new("C3").unwrap(),
            until: "2025-01-31".parse().unwrap(),
        },
    );
    crm
}

fn take_due(crm: &mut Crm, at: &str, step: CollectionStepKind) {
    let due: Vec<_> = crm
        .collection_actions(&CustomerId::new("C3").unwrap(), "standard", t(at))
        .unwrap()
        .into_iter()
        .filter(|a| a.status == ActionStatus::Due && a.step == step)
        .collect();
    assert_eq!(due.len(), 1, "{due:?}");
    run(
        crm,
        at,
        Command::TakeCollectionAction {
            customer: CustomerId::new("C3").unwrap(),
            policy: "standard".into(),
            key: due[0].key.clone(),
        },
    );
}

#[test]
fn collection_actions_against_exceptions_and_restrictions_without_debt_are_found() {
    let mut crm = in_arrears();
    // arrears alone are no contradiction
    assert_eq!(kinds(&crm, "C3", "2025-01-05T09:00:00Z"), vec![]);
    take_due(
        &mut crm,
        "2025-01-05T09:00:00Z",
        CollectionStepKind::Reminder,
    );
    assert_eq!(kinds(&crm, "C3", "2025-01-05T10:00:00Z"), vec![]);
    // an exception approved later but in force since 2025-01-02 suspended reminders on the line
    run(
        &mut crm,
        "2025-01-06T09:00:00Z",
        Command::ApproveException {
            exception: exception(
                "X-REM",
                "C3",
                ExceptionScope::Line {
                    line: LineId::new("L-SVC").unwrap(),
                },
                ExceptionEffect::Suspend {
                    actions: vec!["reminder".into()],
                },
                "2025-01-02T00:00:00Z",
            ),
        },
    );
    let findings = crm
        .audit(&CustomerId::new("C3").unwrap(), t("2025-01-06T10:00:00Z"))
        .unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].kind,
        FindingKind::CollectionActionUnderException
    );
    assert_eq!(findings[0].severity, Severity::Critical);
    assert!(
        findings[0]
            .ids
            .iter()
            .any(|r| r.entity == "exception" && r.id == "X-REM")
    );
    // the line is restricted after 21 days; then an exception suspends restrictions
    take_due(
        &mut crm,
        "2025-01-23T09:00:00Z",
        CollectionStepKind::Restrict,
    );
    run(
        &mut crm,
        "2025-01-24T09:00:00Z",
        Command::ApproveException {
            exception: exception(
                "X-RES",
                "C3",
                ExceptionScope::Line {
                    line: LineId::new("L-SVC").unwrap(),
                },
                ExceptionEffect::Suspend {
                    actions: vec!["restrict".into()],
                },
                "2025-01-24T09:00:00Z",
            ),
        },
    );
    assert_eq!(
        kinds(&crm, "C3", "2025-01-24T10:00:00Z"),
        vec![
            (
                Severity::Critical,
                FindingKind::CollectionActionUnderException
            ),
            (
                Severity::Warning,
                FindingKind::CollectionActionUnderException
            ),
        ]
    );
    // the customer pays: the line stays restricted although nothing is past due
    run(
        &mut crm,
        "2025-01-25T12:00:00Z",
        Command::RecordPayment {
            payment: Payment {
                id: PaymentId::new("PAY-1").unwrap(),
                customer_id: CustomerId::new("C3").unwrap(),
                received_at: t("2025-01-25T12:00:00Z"),
                amount: Money::parse("49.90", "EUR").unwrap(),
                method: PaymentMethod::BankTransfer,
                reference: "bank".into(),
                allocation: AllocationRule::OldestDueFirst,
            },
        },
    );
    let k = kinds(&crm, "C3", "2025-01-26T10:00:00Z");
    assert!(
        k.contains(&(Severity::Warning, FindingKind::RestrictionContradictsLine)),
        "{k:?}"
    );
    // lifting the restriction removes both restriction findings; the reminder stays on record
    run(
        &mut crm,
        "2025-01-26T11:00:00Z",
        Command::ChangeLineStatus {
            agreement: AgreementId::new("A3").unwrap(),
            line: LineId::new("L-SVC").unwrap(),
            action: LineAction::LiftRestriction,
            effective_at: None,
            asset: None,
            renew_until: None,
        },
    );
    assert_eq!(
        kinds(&crm, "C3", "2025-01-26T12:00:00Z"),
        vec![(
            Severity::Critical,
            FindingKind::CollectionActionUnderException
        )]
    );
    // before the reminder was taken, the record was clean
    assert_eq!(kinds(&crm, "C3", "2025-01-05T08:00:00Z"), vec![]);
}

fn commitment(id: &str, description: &str, responsible: PartyRef, due: &str) -> Command {
    Command::MakeCommitment {
        commitment: NewCommitment {
            id: CommitmentId::new(id).unwrap(),
            customer: CustomerId::new("C1").unwrap(),
            agreement: None,
            description: description.into(),
            made_by: PartyRef::Organisation {
                unit: "service".into(),
            },
            responsible,
            due_at: t(due),
        },
    }
}

fn reminder(id: &str, at: &str, about: &str) -> crm_core::interaction::Interaction {
    let mut i = contact(id, "C1", Channel::Email, "reminder", at);
    i.direction = Direction::Outbound;
    i.purpose = Some(Purpose::Service);
    i.commitments = vec![CommitmentId::new(about).unwrap()];
    i
}

#[test]
fn commitments_reminders_complaints_and_breaches_are_found() {
    let mut crm = engine_with_agreement();
    crm.execute_json(support_calendar_json()).unwrap();
    let c1 = "C1";
    run(
        &mut crm,
        "2026-03-02T10:00:00Z",
        commitment(
            "K-LOAN",
            "return the loan device",
            PartyRef::Customer {
                customer: CustomerId::new(c1).unwrap(),
            },
            "2026-03-16T10:00:00Z",
        ),
    );
    // a reminder before the extension is no contradiction
    record(
        &mut crm,
        "2026-03-13T09:00:00Z",
        reminder("R-0", "2026-03-13T09:00:00Z", "K-LOAN"),
        None,
    )
    .unwrap();
    run(
        &mut crm,
        "2026-03-14T09:00:00Z",
        Command::ApproveException {
            exception: exception(
                "X-EXT",
                c1,
                ExceptionScope::Commitment {
                    commitment: CommitmentId::new("K-LOAN").unwrap(),
                },
                ExceptionEffect::Extend {
                    until: t("2026-03-30T10:00:00Z"),
                },
                "2026-03-14T09:00:00Z",
            ),
        },
    );
    // extended: not past due on the 20th
    assert_eq!(kinds(&crm, c1, "2026-03-20T10:00:00Z"), vec![]);
    // a reminder during the extension
    record(
        &mut crm,
        "2026-03-20T09:00:00Z",
        reminder("R-1", "2026-03-20T09:00:00Z", "K-LOAN"),
        None,
    )
    .unwrap();
    let f = crm
        .audit(&CustomerId::new(c1).unwrap(), t("2026-03-20T10:00:00Z"))
        .unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].kind, FindingKind::ReminderDuringExtension);
    assert_eq!(
        f[0].ids.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["R-1", "K-LOAN", "X-EXT"]
    );
    // after the extended due time, the open loan is past due
    assert_eq!(
        kinds(&crm, c1, "2026-03-31T10:00:00Z"),
        vec![
            (Severity::Critical, FindingKind::ReminderDuringExtension),
            (Severity::Warning, FindingKind::CommitmentPastDue),
        ]
    );
    // a complaint recorded without its process
    let mut chat = contact(
        "CH-1",
        c1,
        Channel::Chat,
        "complaint",
        "2026-03-31T09:00:00Z",
    );
    chat.answered_at = Some(t("2026-03-31T09:00:00Z"));
    record(&mut crm, "2026-03-31T09:30:00Z", chat, None).unwrap();
    // a complaint with its process (8 business hours) that is left to run over its target
    let mut phone = contact(
        "PH-1",
        c1,
        Channel::Phone,
        "complaint",
        "2026-03-31T10:00:00Z",
    );
    phone.answered_at = Some(t("2026-03-31T10:00:00Z"));
    record(
        &mut crm,
        "2026-03-31T10:30:00Z",
        phone,
        Some(start_on("P-1", "support")),
    )
    .unwrap();
    let k = kinds(&crm, c1, "2026-03-31T11:00:00Z");
    assert!(
        k.contains(&(Severity::Warning, FindingKind::ComplaintWithoutProcess)),
        "{k:?}"
    );
    assert!(!k.contains(&(
        Severity::Critical,
        FindingKind::BreachedSlaWithoutCompensation
    )));
    let f = crm
        .audit(&CustomerId::new(c1).unwrap(), t("2026-04-03T10:00:00Z"))
        .unwrap();
    let breach = f
        .iter()
        .find(|f| f.kind == FindingKind::BreachedSlaWithoutCompensation)
        .expect("the breach is found");
    assert_eq!(breach.severity, Severity::Critical);
    assert_eq!(
        breach.ids.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["P-1", "PH-1"]
    );
    // keeping the promise and linking the chat to the process clears those findings
    run(
        &mut crm,
        "2026-04-03T11:00:00Z",
        Command::KeepCommitment {
            commitment: CommitmentId::new("K-LOAN").unwrap(),
        },
    );
    let k = kinds(&crm, c1, "2026-04-03T12:00:00Z");
    assert!(
        !k.contains(&(Severity::Warning, FindingKind::CommitmentPastDue)),
        "{k:?}"
    );
}

#[test]
fn a_clean_record_gives_no_findings() {
    let mut crm = engine_with_agreement();
    crm.execute_json(support_calendar_json()).unwrap();
    run(
        &mut crm,
        "2026-03-02T10:00:00Z",
        commitment(
            "K-CB",
            "call back",
            PartyRef::Organisation {
                unit: "service".into(),
            },
            "2026-03-04T10:00:00Z",
        ),
    );
    let mut chat = contact(
        "CH-1",
        "C1",
        Channel::Chat,
        "complaint",
        "2026-03-02T10:00:00Z",
    );
    chat.answered_at = Some(t("2026-03-02T10:00:00Z"));
    chat.commitments = vec![CommitmentId::new("K-CB").unwrap()];
    record(
        &mut crm,
        "2026-03-02T10:05:00Z",
        chat,
        Some(start_on("P-1", "support")),
    )
    .unwrap();
    // a reminder with no extension in force is fine
    record(
        &mut crm,
        "2026-03-03T10:00:00Z",
        reminder("R-1", "2026-03-03T10:00:00Z", "K-CB"),
        None,
    )
    .unwrap();
    run(
        &mut crm,
        "2026-03-03T11:00:00Z",
        Command::KeepCommitment {
            commitment: CommitmentId::new("K-CB").unwrap(),
        },
    );
    for (outcome, performer) in [
        ("accepted", crm_core::process::Performer::handler("intake")),
        (
            "transfer",
            crm_core::process::Performer::queue("first_line"),
        ),
        (
            "resolved",
            crm_core::process::Performer::queue("back_office"),
        ),
        (
            "decided",
            crm_core::process::Performer::handler("compensation_policy"),
        ),
        (
            "called_back",
            crm_core::process::Performer::queue("back_office"),
        ),
        ("feedback_given", crm_core::process::Performer::Customer),
    ] {
        run(
            &mut crm,
            "2026-03-02T12:00:00Z",
            Command::AdvanceProcess {
                instance: InstanceId::new("P-1").unwrap(),
                outcome: outcome.into(),
                performer,
                data: Default::default(),
            },
        );
    }
    for at in [
        "2026-03-02T12:00:00Z",
        "2026-03-03T13:00:00Z",
        "2026-06-01T00:00:00Z",
    ] {
        assert_eq!(kinds(&crm, "C1", at), vec![], "{at}");
    }
}
