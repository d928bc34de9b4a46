//! Property tests of the engine over random command sequences.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use crm_core::agreement::{AmendmentChange, LineAction, NewLine};
use crm_core::lifecycle::{LineKind, next_status};
use crm_core::party::{Channel, Consent};
use crm_core::*;
use proptest::prelude::*;

const ACTIONS: [LineAction; 10] = [
    LineAction::RequestActivation,
    LineAction::Activate,
    LineAction::Suspend,
    LineAction::Resume,
    LineAction::Restrict,
    LineAction::LiftRestriction,
    LineAction::RequestTermination,
    LineAction::CancelTermination,
    LineAction::Terminate,
    LineAction::Install,
];

/// A small alphabet of commands over few ids, so that collisions, unknown ids and illegal
/// moves all happen.
fn arb_command() -> impl Strategy<Value = Command> {
    let cust = prop::sample::select(vec!["C1", "C2", "C3"]);
    let agr = prop::sample::select(vec!["A1", "A2"]);
    let line = prop::sample::select(vec!["L1", "L2", "L3"]);
    prop_oneof![
        cust.clone().prop_map(|c| Command::RegisterCustomer {
            customer: customer(c)
        }),
        Just(Command::AddOffering {
            offering: mobile_offering()
        }),
        (agr.clone(), cust, line.clone())
            .prop_map(|(a, c, l)| { create_agreement(a, c, l, "2026-01-01T00:00:00Z").command }),
        (agr.clone(), line.clone(), 0..ACTIONS.len()).prop_map(|(a, l, i)| {
            Command::ChangeLineStatus {
                agreement: AgreementId::new(a).unwrap(),
                line: LineId::new(l).unwrap(),
                action: ACTIONS[i],
                effective_at: None,
                asset: None,
                renew_until: None,
            }
        }),
        (agr, line, any::<bool>(), 1u32..4).prop_map(|(a, l, consent, q)| {
            Command::AmendAgreement {
                agreement: AgreementId::new(a).unwrap(),
                changes: vec![AmendmentChange::AddLine {
                    line: NewLine {
                        id: LineId::new(l).unwrap(),
                        offering: OfferingId::new("MOBILE").unwrap(),
                        quantity: q,
                    },
                }],
                reason: "more".into(),
                consent: consent.then(|| Consent {
                    channel: Channel::Web,
                    at: t("2026-01-01T00:00:00Z"),
                }),
            }
        }),
    ]
}

fn arb_run() -> impl Strategy<Value = Vec<(Command, Option<u8>)>> {
    prop::collection::vec((arb_command(), prop::option::of(0u8..6)), 1..40)
}

fn run(cmds: &[(Command, Option<u8>)]) -> (Crm, Vec<Result<Vec<EventEnvelope>>>) {
    let mut crm = Crm::new();
    let mut results = Vec::new();
    for (i, (command, key)) in cmds.iter().enumerate() {
        let mut meta = meta("2026-01-01T00:00:00Z");
        meta.at += chrono::Duration::minutes(i as i64);
        meta.idempotency_key = key.map(|k| format!("key-{k}"));
        let before = state_json(&crm);
        let r = crm.execute(&CommandEnvelope {
            meta,
            command: command.clone(),
        });
        if r.is_err() {
            assert_eq!(
                state_json(&crm),
                before,
                "a failed command changed the state"
            );
        }
        results.push(r);
    }
    (crm, results)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn replay_equals_state(cmds in arb_run()) {
        let (crm, _) = run(&cmds);
        let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
        prop_assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
    }

    #[test]
    fn a_repeated_key_changes_nothing(cmds in arb_run()) {
        let (mut crm, results) = run(&cmds);
        // the first successful use of each key
        let mut first: std::collections::BTreeMap<u8, (&Command, &Vec<EventEnvelope>)> = Default::default();
        for ((command, key), result) in cmds.iter().zip(&results) {
            let Some(k) = key else { continue };
            match (first.get(k), result) {
                (None, Ok(events)) => { first.insert(*k, (command, events)); }
                (Some((c, events)), r) => {
                    // later uses: same content gives the first events, other content a conflict
                    if *c == command {
                        prop_assert_eq!(r.as_ref().unwrap(), *events);
                    } else {
                        let conflict = matches!(r, Err(Error::IdempotencyConflict { .. }));
                        prop_assert!(conflict, "key reused with other content must conflict");
                    }
                }
                (None, Err(_)) => {}
            }
        }
        let before = state_json(&crm);
        for (k, (command, events)) in &first {
            let mut meta = meta("2026-06-01T00:00:00Z");
            meta.idempotency_key = Some(format!("key-{k}"));
            let again = crm.execute(&CommandEnvelope { meta, command: (*command).clone() }).unwrap();
            prop_assert_eq!(&again, *events);
        }
        prop_assert_eq!(state_json(&crm), before);
    }

    #[test]
    fn line_moves_follow_the_table(cmds in arb_run()) {
        let (crm, _) = run(&cmds);
        for a in crm.state().agreements.values() {
            for l in &a.lines {
                for pair in l.history.windows(2) {
                    let action = pair[1].action.unwrap();
                    prop_assert_eq!(next_status(l.kind, pair[0].status, action), Some(pair[1].status));
                }
                prop_assert_eq!(l.kind, LineKind::Service);
            }
        }
    }

    #[test]
    fn amendments_without_consent_are_never_recorded(cmds in arb_run()) {
        let (crm, _) = run(&cmds);
        for a in crm.state().agreements.values() {
            for m in &a.amendments {
                prop_assert!(m.consent.is_some());
            }
        }
    }
}
