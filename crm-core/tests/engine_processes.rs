//! Processes through the engine: story 5, classification, SLA status, replay, bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use crm_core::engine::StartProcess;
use crm_core::process::{DataValue, InstanceData, Performer, SlaState};
use crm_core::*;

fn calendar_json() -> &'static str {
    r#"{"meta":{"at":"2026-01-01T00:00:00Z","actor":"admin"},
        "command":{"type":"register_calendar","calendar":{"id":"support","zone":"Europe/Berlin",
          "week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],
                  "wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],
                  "friday":[{"start":"09:00","end":"17:00"}]},"holidays":[]}}}"#
}

fn queue(name: &str) -> Performer {
    Performer::Queue { name: name.into() }
}

fn advance(
    crm: &mut Crm,
    at: &str,
    outcome: &str,
    performer: Performer,
    data: InstanceData,
) -> Result<Vec<EventEnvelope>> {
    crm.execute(&env(
        at,
        Command::AdvanceProcess {
            instance: InstanceId::new("P-1").unwrap(),
            outcome: outcome.into(),
            performer,
            data,
        },
    ))
}

fn started() -> Crm {
    let mut crm = engine_with_agreement();
    crm.execute_json(calendar_json()).unwrap();
    // Story 5: a complaint arrives by chat on Friday 16:30 Berlin (15:30 UTC)
    crm.execute(&env(
        "2026-03-06T15:30:00Z",
        Command::StartProcess {
            start: StartProcess {
                instance: InstanceId::new("P-1").unwrap(),
                definition: None,
                interaction_kind: Some("complaint".into()),
                customer: CustomerId::new("C1").unwrap(),
                agreement: Some(AgreementId::new("A1").unwrap()),
                calendar: CalendarId::new("support").unwrap(),
                data: InstanceData::new(),
                sla: None,
                interaction: Some(InteractionId::new("CHAT-77").unwrap()),
            },
        },
    ))
    .unwrap();
    crm
}

#[test]
fn story_5_a_chat_complaint_over_a_weekend_with_a_warm_transfer() {
    let mut crm = started();
    let id = InstanceId::new("P-1").unwrap();
    advance(
        &mut crm,
        "2026-03-06T15:30:00Z",
        "accepted",
        Performer::Handler {
            name: "intake".into(),
        },
        InstanceData::new(),
    )
    .unwrap();
    // first line cannot solve it and hands it warm to the back office at 16:50 Berlin
    advance(
        &mut crm,
        "2026-03-06T15:50:00Z",
        "transfer",
        queue("first_line"),
        InstanceData::new(),
    )
    .unwrap();
    // over the weekend the clock does not run: on Monday at 09:00 Berlin, 30 business minutes used
    let monday = crm.process_status(&id, t("2026-03-09T08:00:00Z")).unwrap();
    let resolution = monday.resolution.unwrap();
    assert_eq!(resolution.used, BusinessDuration::from_minutes(30).unwrap());
    assert_eq!(resolution.state, SlaState::OnTrack);
    // the back office resolves at Monday 13:00 Berlin: 4h30 business time in all, within 8h
    advance(
        &mut crm,
        "2026-03-09T12:00:00Z",
        "resolved",
        queue("back_office"),
        InstanceData::new(),
    )
    .unwrap();
    let inst = crm.process_instance(&id).unwrap();
    let def = crm.process_definition(inst.definition()).unwrap();
    let history = inst.history(def).unwrap();
    assert!(history[1].warm_transfer, "the transfer is recorded as warm");
    // time per step in business time: first line 20 min, back office 4h10 (16:50-17:00 + 09:00-13:00)
    assert_eq!(
        history[1].business_time,
        BusinessDuration::from_minutes(20).unwrap()
    );
    assert_eq!(
        history[2].business_time,
        BusinessDuration::from_minutes(250).unwrap()
    );
    // the report over all complaint instances sees the steps
    let report = crm.process_report(inst.definition()).unwrap();
    assert!(!report.steps.is_empty());
    // replay rebuilds the same instance
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(replayed.process_instances, crm.state().process_instances);
}

#[test]
fn a_guard_over_missing_data_or_a_wrong_performer_changes_nothing() {
    let mut crm = started();
    advance(
        &mut crm,
        "2026-03-06T15:30:00Z",
        "accepted",
        Performer::Handler {
            name: "intake".into(),
        },
        InstanceData::new(),
    )
    .unwrap();
    let before = state_json(&crm);
    let e = advance(
        &mut crm,
        "2026-03-06T15:40:00Z",
        "resolved",
        queue("first_line"),
        InstanceData::new(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = advance(
        &mut crm,
        "2026-03-06T15:40:00Z",
        "transfer",
        queue("back_office"),
        InstanceData::new(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    let e = advance(
        &mut crm,
        "2026-03-06T15:40:00Z",
        "no_such_outcome",
        queue("first_line"),
        InstanceData::new(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTransition, "{e}");
    assert_eq!(state_json(&crm), before);
    // with the data the guard reads, first line resolves in one touch
    let mut data = InstanceData::new();
    data.insert("resolved_first_line".into(), DataValue::Bool(true));
    advance(
        &mut crm,
        "2026-03-06T15:40:00Z",
        "resolved",
        queue("first_line"),
        data,
    )
    .unwrap();
}

#[test]
fn unknown_definitions_kinds_and_calendars_are_typed_errors() {
    let mut crm = started();
    let before = state_json(&crm);
    let mut start = StartProcess {
        instance: InstanceId::new("P-2").unwrap(),
        definition: None,
        interaction_kind: Some("teleportation".into()),
        customer: CustomerId::new("C1").unwrap(),
        agreement: None,
        calendar: CalendarId::new("support").unwrap(),
        data: InstanceData::new(),
        sla: None,
        interaction: None,
    };
    let run = |crm: &mut Crm, start: &StartProcess| {
        crm.execute(&env(
            "2026-03-06T16:00:00Z",
            Command::StartProcess {
                start: start.clone(),
            },
        ))
    };
    assert_eq!(
        run(&mut crm, &start).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    start.interaction_kind = None;
    start.definition = Some(DefinitionId::new("nope").unwrap());
    assert_eq!(
        run(&mut crm, &start).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    start.definition = Some(DefinitionId::new("complaint").unwrap());
    start.calendar = CalendarId::new("mars").unwrap();
    assert_eq!(
        run(&mut crm, &start).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    start.calendar = CalendarId::new("support").unwrap();
    start.instance = InstanceId::new("P-1").unwrap();
    assert_eq!(
        run(&mut crm, &start).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(state_json(&crm), before);
}

#[test]
fn a_host_definition_replaces_the_built_in_for_its_kind() {
    let mut crm = started();
    let json = r#"{"meta":{"at":"2026-03-06T16:00:00Z","actor":"admin"},
      "command":{"type":"register_process_definition","definition":{
        "id":"complaint_v2","name":"Complaint, fast lane","version":1,"interaction_kinds":["complaint"],
        "steps":[{"id":"in","name":"In","action":"take it","performer":{"type":"queue","name":"desk"},"kind":"start"},
                 {"id":"done","name":"Done","action":"close","performer":{"type":"queue","name":"desk"},"kind":"end"}],
        "edges":[{"from":"in","outcome":"close","to":"done"}]}}}"#;
    crm.execute_json(json).unwrap();
    assert_eq!(
        crm.classify_interaction("complaint").unwrap().id().as_str(),
        "complaint_v2"
    );
    // an invalid definition reports its problems and changes nothing
    let before = state_json(&crm);
    let bad = json
        .replace(r#""kind":"end""#, r#""kind":"task""#)
        .replace("complaint_v2", "complaint_v3")
        .replace(r#"["complaint"]"#, r#"["other"]"#);
    let e = crm.execute_json(&bad).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Json | ErrorKind::InvalidDefinition),
        "{e}"
    );
    assert_eq!(state_json(&crm), before);
}

#[test]
fn the_agreements_service_level_sets_the_resolution_target() {
    use crm_core::agreement::{LineAction, NewLine, SoldThrough, Term};
    use crm_core::catalog::{Offering, OfferingKind};
    use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, ServiceTarget};
    use crm_core::party::{Channel, Consent};
    use crm_core::process::SlaSource;
    let mut crm = started();
    let run = |crm: &mut Crm, at: &str, command: Command| crm.execute(&env(at, command)).unwrap();
    run(
        &mut crm,
        "2026-03-01T00:00:00Z",
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("CARE-GOLD").unwrap(),
                name: "Gold care".into(),
                payment_plans: vec![],
                kind: OfferingKind::Service,
                entitlements: vec![EntitlementTemplate {
                    code: "complaint".into(),
                    kind: EntitlementKind::ServiceLevel {
                        calendar: CalendarId::new("support").unwrap(),
                        targets: vec![ServiceTarget {
                            priority: "normal".into(),
                            response: BusinessDuration::from_hours(1).unwrap(),
                            resolution: BusinessDuration::from_hours(4).unwrap(),
                        }],
                    },
                    conditions: Default::default(),
                    valid_days: None,
                }],
            },
        },
    );
    run(
        &mut crm,
        "2026-03-01T00:00:00Z",
        Command::CreateAgreement {
            agreement: AgreementId::new("A-CARE").unwrap(),
            customer: CustomerId::new("C1").unwrap(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: "2026-03-01".parse().unwrap(),
                end: None,
                auto_renew: false,
            },
            lines: vec![NewLine {
                id: LineId::new("L-CARE").unwrap(),
                offering: OfferingId::new("CARE-GOLD").unwrap(),
                quantity: 1,
            }],
            signature: Consent {
                channel: Channel::Web,
                at: t("2026-03-01T00:00:00Z"),
            },
        },
    );
    for action in [LineAction::RequestActivation, LineAction::Activate] {
        run(
            &mut crm,
            "2026-03-01T00:00:00Z",
            Command::ChangeLineStatus {
                agreement: AgreementId::new("A-CARE").unwrap(),
                line: LineId::new("L-CARE").unwrap(),
                action,
                effective_at: None,
                asset: None,
                renew_until: None,
            },
        );
    }
    run(
        &mut crm,
        "2026-03-06T15:30:00Z",
        Command::StartProcess {
            start: StartProcess {
                instance: InstanceId::new("P-GOLD").unwrap(),
                definition: None,
                interaction_kind: Some("complaint".into()),
                customer: CustomerId::new("C1").unwrap(),
                agreement: None,
                calendar: CalendarId::new("support").unwrap(),
                data: InstanceData::new(),
                sla: None,
                interaction: None,
            },
        },
    );
    let status = crm
        .process_status(
            &InstanceId::new("P-GOLD").unwrap(),
            t("2026-03-06T15:30:00Z"),
        )
        .unwrap();
    let resolution = status.resolution.unwrap();
    assert_eq!(
        resolution.target.target,
        BusinessDuration::from_hours(4).unwrap()
    );
    assert_eq!(
        resolution.target.source,
        SlaSource::Entitlement {
            agreement: AgreementId::new("A-CARE").unwrap(),
            entitlement: EntitlementId::new("L-CARE.complaint").unwrap()
        }
    );
    // the instance started earlier (no such entitlement then) runs on the definition's 8h
    let old = crm
        .process_status(&InstanceId::new("P-1").unwrap(), t("2026-03-06T15:30:00Z"))
        .unwrap();
    assert_eq!(
        old.resolution.unwrap().target.target,
        BusinessDuration::from_hours(8).unwrap()
    );
}
