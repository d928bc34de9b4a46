//! The engine: commands, events, replay, idempotency, versions, JSON, and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use crm_core::agreement::{
    AmendmentChange, CommitmentState, Exception, ExceptionEffect, ExceptionScope, LineAction,
    LineStatus, NewLine, PartyRef,
};
use crm_core::engine::NewCommitment;
use crm_core::party::{Channel, Consent, ConsentGrant, Purpose};
use crm_core::*;

fn line_move(action: LineAction, at: &str) -> CommandEnvelope {
    env(
        at,
        Command::ChangeLineStatus {
            agreement: AgreementId::new("A1").unwrap(),
            line: LineId::new("L1").unwrap(),
            action,
            effective_at: None,
            asset: None,
            renew_until: None,
        },
    )
}

#[test]
fn creating_an_agreement_grants_the_offerings_entitlements() {
    let crm = engine_with_agreement();
    let a = crm.agreement(&AgreementId::new("A1").unwrap()).unwrap();
    assert_eq!(a.revision, 1);
    assert_eq!(a.version, 1);
    assert_eq!(
        a.lines[0].status_at(t("2026-01-01T10:00:00Z")),
        Some(LineStatus::Created)
    );
    assert_eq!(a.entitlements.len(), 1);
    assert_eq!(a.entitlements[0].id.as_str(), "L1.device_replacement");
}

#[test]
fn replay_rebuilds_the_same_state_byte_for_byte() {
    let mut crm = engine_with_agreement();
    crm.execute(&line_move(
        LineAction::RequestActivation,
        "2026-01-01T11:00:00Z",
    ))
    .unwrap();
    crm.execute(&line_move(LineAction::Activate, "2026-01-02T08:00:00Z"))
        .unwrap();
    let events = crm.events().unwrap();
    let replayed = Crm::replay(&events).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
    // through JSON too
    let json = serde_json::to_string(&events).unwrap();
    let back: Vec<EventEnvelope> = serde_json::from_str(&json).unwrap();
    let reopened = Crm::open(Box::new(InMemoryStore::from_events(back).unwrap())).unwrap();
    assert_eq!(state_json(&reopened), state_json(&crm));
}

#[test]
fn a_repeated_idempotency_key_returns_the_first_result_and_changes_nothing() {
    let mut crm = Crm::new();
    let mut cmd = env(
        "2026-01-01T09:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C1"),
        },
    );
    cmd.meta.idempotency_key = Some("req-1".into());
    let first = crm.execute(&cmd).unwrap();
    let before = state_json(&crm);
    // a retry with a fresh instant is still the same command
    cmd.meta.at = t("2026-01-01T09:05:00Z");
    let second = crm.execute(&cmd).unwrap();
    assert_eq!(first, second);
    assert_eq!(state_json(&crm), before);
    assert_eq!(crm.events().unwrap().len(), 1);
    // same key, other content: a conflict
    let other = CommandEnvelope {
        meta: cmd.meta.clone(),
        command: Command::RegisterCustomer {
            customer: customer("C2"),
        },
    };
    let e = crm.execute(&other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(matches!(e, Error::IdempotencyConflict { .. }));
    assert_eq!(state_json(&crm), before);
}

#[test]
fn idempotency_survives_replay() {
    let mut crm = Crm::new();
    let mut cmd = env(
        "2026-01-01T09:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C1"),
        },
    );
    cmd.meta.idempotency_key = Some("req-1".into());
    let first = crm.execute(&cmd).unwrap();
    let mut reopened = Crm::open(Box::new(
        InMemoryStore::from_events(crm.events().unwrap()).unwrap(),
    ))
    .unwrap();
    assert_eq!(reopened.execute(&cmd).unwrap(), first);
    assert_eq!(reopened.events().unwrap().len(), 1);
}

#[test]
fn a_stale_expected_version_is_a_conflict() {
    let mut crm = engine_with_agreement();
    let mut cmd = line_move(LineAction::RequestActivation, "2026-01-01T11:00:00Z");
    cmd.meta.expected_version = Some(1);
    crm.execute(&cmd).unwrap();
    let before = state_json(&crm);
    let mut stale = line_move(LineAction::Activate, "2026-01-01T12:00:00Z");
    stale.meta.expected_version = Some(1);
    let e = crm.execute(&stale).unwrap_err();
    assert_eq!(
        e,
        Error::VersionConflict {
            stream: "agreement/A1".into(),
            expected: 1,
            actual: 2
        }
    );
    assert_eq!(state_json(&crm), before);
    stale.meta.expected_version = Some(2);
    crm.execute(&stale).unwrap();
}

#[test]
fn illegal_lifecycle_moves_are_typed_errors_and_change_nothing() {
    let mut crm = engine_with_agreement();
    let before = state_json(&crm);
    let e = crm
        .execute(&line_move(LineAction::Suspend, "2026-01-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
    assert!(e.to_string().contains("created") && e.to_string().contains("suspend"));
    assert_eq!(state_json(&crm), before);
}

#[test]
fn future_dated_moves_and_the_agreement_as_of_an_instant() {
    let mut crm = engine_with_agreement();
    crm.execute(&line_move(
        LineAction::RequestActivation,
        "2026-01-01T11:00:00Z",
    ))
    .unwrap();
    crm.execute(&line_move(LineAction::Activate, "2026-01-01T12:00:00Z"))
        .unwrap();
    // termination requested now, effective at the end of the month
    let mut cmd = line_move(LineAction::RequestTermination, "2026-01-10T12:00:00Z");
    if let Command::ChangeLineStatus { effective_at, .. } = &mut cmd.command {
        *effective_at = Some(t("2026-01-31T23:00:00Z"));
    }
    crm.execute(&cmd).unwrap();
    let id = AgreementId::new("A1").unwrap();
    let mid = crm.agreement_as_of(&id, t("2026-01-20T00:00:00Z")).unwrap();
    assert_eq!(mid.lines[0].latest().unwrap().status, LineStatus::Active);
    let end = crm.agreement_as_of(&id, t("2026-02-01T00:00:00Z")).unwrap();
    assert_eq!(
        end.lines[0].latest().unwrap().status,
        LineStatus::PendingTermination
    );
}

#[test]
fn amendments_need_consent_when_they_touch_what_the_customer_gets_or_pays() {
    let mut crm = engine_with_agreement();
    let before = state_json(&crm);
    let amend = |consent: Option<Consent>, changes: Vec<AmendmentChange>| {
        env(
            "2026-02-01T10:00:00Z",
            Command::AmendAgreement {
                agreement: AgreementId::new("A1").unwrap(),
                changes,
                reason: "customer asked for a second line".into(),
                consent,
            },
        )
    };
    let add = vec![AmendmentChange::AddLine {
        line: NewLine {
            id: LineId::new("L2").unwrap(),
            offering: OfferingId::new("MOBILE").unwrap(),
            quantity: 1,
        },
    }];
    let e = crm.execute(&amend(None, add.clone())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConsentRequired);
    assert_eq!(state_json(&crm), before);
    // a note needs no consent
    crm.execute(&amend(
        None,
        vec![AmendmentChange::SetNote { note: "VIP".into() }],
    ))
    .unwrap();
    let consent = Consent {
        channel: Channel::CustomerApp,
        at: t("2026-02-01T09:59:00Z"),
    };
    crm.execute(&amend(Some(consent), add)).unwrap();
    let id = AgreementId::new("A1").unwrap();
    let a = crm.agreement(&id).unwrap();
    assert_eq!(a.revision, 3);
    assert_eq!(a.lines.len(), 2);
    assert_eq!(a.amendments[1].consent, Some(consent));
    // history: as of before the amendment there is one line
    let old = crm.agreement_as_of(&id, t("2026-01-15T00:00:00Z")).unwrap();
    assert_eq!(old.lines.len(), 1);
    assert_eq!(old.revision, 1);
    assert_eq!(old.note, "");
}

#[test]
fn exceptions_are_found_by_what_they_cover() {
    let mut crm = engine_with_agreement();
    let x = Exception {
        id: ExceptionId::new("X1").unwrap(),
        customer: CustomerId::new("C1").unwrap(),
        agreement: Some(AgreementId::new("A1").unwrap()),
        scope: ExceptionScope::Entitlement {
            entitlement: EntitlementId::new("L1.device_replacement").unwrap(),
        },
        effect: ExceptionEffect::Allow { extra: None },
        approved_by: ActorId::new("supervisor").unwrap(),
        reason: "goodwill".into(),
        valid_from: t("2026-03-01T00:00:00Z"),
        valid_to: Some(t("2026-04-01T00:00:00Z")),
        revoked: None,
    };
    crm.execute(&env(
        "2026-02-20T00:00:00Z",
        Command::ApproveException {
            exception: x.clone(),
        },
    ))
    .unwrap();
    let c1 = CustomerId::new("C1").unwrap();
    let a1 = AgreementId::new("A1").unwrap();
    let found = |crm: &Crm, at: &str| {
        crm.exceptions_covering(&c1, Some(&a1), &x.scope, t(at))
            .unwrap()
            .len()
    };
    assert_eq!(found(&crm, "2026-02-25T00:00:00Z"), 0);
    assert_eq!(found(&crm, "2026-03-10T00:00:00Z"), 1);
    crm.execute(&env(
        "2026-03-15T00:00:00Z",
        Command::RevokeException {
            exception: ExceptionId::new("X1").unwrap(),
            reason: "abused".into(),
        },
    ))
    .unwrap();
    assert_eq!(found(&crm, "2026-03-10T00:00:00Z"), 1);
    assert_eq!(found(&crm, "2026-03-20T00:00:00Z"), 0);
    // an exception on an entitlement that does not exist
    let mut bad = x.clone();
    bad.id = ExceptionId::new("X2").unwrap();
    bad.scope = ExceptionScope::Entitlement {
        entitlement: EntitlementId::new("nope").unwrap(),
    };
    let e = crm
        .execute(&env(
            "2026-02-20T00:00:00Z",
            Command::ApproveException { exception: bad },
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn commitments_have_a_maker_an_owner_and_a_due_time() {
    let mut crm = engine_with_agreement();
    crm.execute(&env(
        "2026-03-01T10:00:00Z",
        Command::MakeCommitment {
            commitment: NewCommitment {
                id: CommitmentId::new("CB-1").unwrap(),
                customer: CustomerId::new("C1").unwrap(),
                agreement: None,
                description: "call back about the complaint".into(),
                made_by: PartyRef::Employee {
                    employee: ActorId::new("agent-7").unwrap(),
                },
                responsible: PartyRef::Organisation {
                    unit: "back office".into(),
                },
                due_at: t("2026-03-03T10:00:00Z"),
            },
        },
    ))
    .unwrap();
    assert!(
        crm.overdue_commitments(t("2026-03-02T10:00:00Z"))
            .is_empty()
    );
    assert_eq!(crm.overdue_commitments(t("2026-03-04T10:00:00Z")).len(), 1);
    crm.execute(&env(
        "2026-03-04T12:00:00Z",
        Command::KeepCommitment {
            commitment: CommitmentId::new("CB-1").unwrap(),
        },
    ))
    .unwrap();
    let c = &crm.state().commitments[&CommitmentId::new("CB-1").unwrap()];
    assert_eq!(c.state, CommitmentState::Kept);
    assert!(c.was_kept_late());
    let e = crm
        .execute(&env(
            "2026-03-05T12:00:00Z",
            Command::BreakCommitment {
                commitment: CommitmentId::new("CB-1").unwrap(),
                reason: "late".into(),
            },
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition);
}

#[test]
fn consent_can_be_set_and_withdrawn() {
    let mut crm = engine_with_agreement();
    let c1 = CustomerId::new("C1").unwrap();
    let grant = ConsentGrant {
        purpose: Purpose::Marketing,
        channel: Channel::Email,
        granted: true,
    };
    crm.execute(&env(
        "2026-01-05T00:00:00Z",
        Command::SetConsent {
            customer: c1.clone(),
            grant,
        },
    ))
    .unwrap();
    assert!(
        crm.customer(&c1)
            .unwrap()
            .has_consent(Purpose::Marketing, Channel::Email)
    );
}

#[test]
fn bad_input_is_a_typed_error_and_changes_nothing() {
    let mut crm = engine_with_agreement();
    let before = state_json(&crm);
    let cases: Vec<(CommandEnvelope, ErrorKind)> = vec![
        // unknown customer
        (
            create_agreement("A2", "NOPE", "L9", "2026-01-02T00:00:00Z"),
            ErrorKind::NotFound,
        ),
        // duplicate agreement
        (
            create_agreement("A1", "C1", "L9", "2026-01-02T00:00:00Z"),
            ErrorKind::AlreadyExists,
        ),
        // a line id already sold
        (
            create_agreement("A2", "C1", "L1", "2026-01-02T00:00:00Z"),
            ErrorKind::AlreadyExists,
        ),
        // duplicate customer
        (
            env(
                "2026-01-02T00:00:00Z",
                Command::RegisterCustomer {
                    customer: customer("C1"),
                },
            ),
            ErrorKind::AlreadyExists,
        ),
        // unknown agreement
        (
            env(
                "2026-01-02T00:00:00Z",
                Command::ChangeLineStatus {
                    agreement: AgreementId::new("A9").unwrap(),
                    line: LineId::new("L1").unwrap(),
                    action: LineAction::Activate,
                    effective_at: None,
                    asset: None,
                    renew_until: None,
                },
            ),
            ErrorKind::NotFound,
        ),
    ];
    for (cmd, kind) in cases {
        let e = crm.execute(&cmd).unwrap_err();
        assert_eq!(e.kind(), kind, "{cmd:?}: {e}");
        assert_eq!(state_json(&crm), before, "{cmd:?}");
    }
}

#[test]
fn json_commands_drive_the_engine() {
    let mut crm = Crm::new();
    let out = crm
        .execute_json(
            r#"{"meta":{"at":"2026-01-01T09:00:00Z","actor":"erp"},
               "command":{"type":"register_customer","customer":{"id":"C1","name":"Ada"}}}"#,
        )
        .unwrap();
    let events: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(events[0]["event"]["type"], "customer_registered");
    assert_eq!(events[0]["stream"], "customer/C1");
    assert_eq!(events[0]["seq"], 1);
}

#[test]
fn malformed_json_commands_are_typed_errors() {
    let mut crm = engine_with_agreement();
    let before = state_json(&crm);
    let cases = [
        ("", ErrorKind::Json),
        ("{", ErrorKind::Json),
        ("[]", ErrorKind::Json),
        (
            r#"{"meta":{"at":"2026-01-01T09:00:00Z","actor":"erp"},"command":{"type":"launch_rocket"}}"#,
            ErrorKind::Json,
        ),
        (
            r#"{"meta":{"at":"2026-01-01T09:00:00Z","actor":""},"command":{"type":"register_customer","customer":{"id":"C5","name":"x"}}}"#,
            ErrorKind::Json,
        ),
        (
            r#"{"meta":{"at":"not a time","actor":"erp"},"command":{"type":"register_customer","customer":{"id":"C5","name":"x"}}}"#,
            ErrorKind::Json,
        ),
        (
            r#"{"meta":{"at":"2026-01-01T09:00:00Z","actor":"erp","idempotency_key":""},"command":{"type":"register_customer","customer":{"id":"C5","name":"x"}}}"#,
            ErrorKind::Validation,
        ),
    ];
    for (json, kind) in cases {
        let e = crm.execute_json(json).unwrap_err();
        assert_eq!(e.kind(), kind, "{json}: {e}");
    }
    let deep = "[".repeat(10_000);
    assert_eq!(crm.execute_json(&deep).unwrap_err().kind(), ErrorKind::Json);
    assert_eq!(state_json(&crm), before);
}

#[test]
fn renewal_extends_the_term() {
    let mut crm = engine_with_agreement();
    crm.execute(&line_move(
        LineAction::RequestActivation,
        "2026-01-01T11:00:00Z",
    ))
    .unwrap();
    crm.execute(&line_move(LineAction::Activate, "2026-01-01T12:00:00Z"))
        .unwrap();
    let mut renew = line_move(LineAction::Renew, "2027-12-01T00:00:00Z");
    let e = crm.execute(&renew).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    if let Command::ChangeLineStatus { renew_until, .. } = &mut renew.command {
        *renew_until = Some("2029-12-31".parse().unwrap());
    }
    crm.execute(&renew).unwrap();
    let a = crm.agreement(&AgreementId::new("A1").unwrap()).unwrap();
    assert_eq!(a.term.end, Some("2029-12-31".parse().unwrap()));
}

#[test]
fn calendars_are_registered_and_validated_from_json() {
    let mut crm = Crm::new();
    crm.execute_json(
        r#"{"meta":{"at":"2026-01-01T09:00:00Z","actor":"admin"},
            "command":{"type":"register_calendar","calendar":{"id":"support","zone":"Europe/Berlin",
              "week":{"monday":[{"start":"09:00","end":"17:00"}],"friday":[{"start":"09:00","end":"17:00"}]},
              "holidays":[{"date":"2026-12-25","name":"Christmas","hours":[]}]}}}"#,
    )
    .unwrap();
    let cal = crm.calendar(&CalendarId::new("support").unwrap()).unwrap();
    // Friday 15:00 Berlin (14:00 UTC) + 4 business hours = Monday 11:00 Berlin
    let due = cal
        .add(
            t("2026-01-09T14:00:00Z"),
            BusinessDuration::from_hours(4).unwrap(),
            &[],
        )
        .unwrap();
    assert_eq!(due, t("2026-01-12T10:00:00Z"));
    let before = state_json(&crm);
    for bad in [
        r#"{"id":"x","zone":"Mars/Olympus","week":{"monday":[{"start":"09:00","end":"17:00"}]}}"#,
        r#"{"id":"x","zone":"UTC","week":{}}"#,
        r#"{"id":"x","zone":"UTC","week":{"monday":[{"start":"17:00","end":"09:00"}]}}"#,
    ] {
        let cmd = format!(
            r#"{{"meta":{{"at":"2026-01-01T09:00:00Z","actor":"admin"}},"command":{{"type":"register_calendar","calendar":{bad}}}}}"#
        );
        assert!(crm.execute_json(&cmd).is_err(), "{bad}");
    }
    assert_eq!(state_json(&crm), before);
}
