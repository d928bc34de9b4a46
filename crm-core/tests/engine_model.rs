//! Model-based property tests: the engine against a small reference model, over random
//! sequences of commands (customers, agreements, line moves, exceptions, entitlement uses and
//! reversals), with idempotency keys that are reused and expected versions that are right or
//! stale. In every case:
//!
//! - every command's outcome is the one the model predicts (success, or an error of the
//!   predicted kinds), and a failed command changes nothing;
//! - a stale expected version is a conflict; a repeated key returns the first events and
//!   changes nothing; the same key with another command is a conflict;
//! - replaying the log gives the same state, byte for byte;
//! - quota usage never exceeds the quota without a cited exception (and never the quota plus
//!   every extra ever approved).
//!
//! A separate property checks that deadline arithmetic on business calendars is additive.
//!
//! Cases per property: 10,000 by default (`CRM_MODEL_CASES` changes it, e.g. 100000 for a long
//! run); sequences are short so that the whole file takes well under a minute in a debug build.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{customer, mobile_offering, state_json};
use crm_core::agreement::{
    Exception, ExceptionEffect, ExceptionScope, LineAction, LineStatus, NewLine, SoldThrough, Term,
};
use crm_core::calendar::{BusinessCalendar, BusinessDuration};
use crm_core::entitlement::{EntitlementRequest, UsageRecord};
use crm_core::lifecycle::{LineKind, next_status};
use crm_core::party::{Channel, Consent};
use crm_core::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const QUOTA: usize = 2;

fn cases() -> u32 {
    std::env::var("CRM_MODEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

fn config() -> Config {
    Config {
        cases: cases(),
        // the sequences are cheap; failures shrink quickly
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

fn t0() -> Instant {
    "2026-01-01T08:00:00Z".parse().unwrap()
}

const ACTIONS: [LineAction; 9] = [
    LineAction::RequestActivation,
    LineAction::Activate,
    LineAction::Suspend,
    LineAction::Resume,
    LineAction::Restrict,
    LineAction::LiftRestriction,
    LineAction::RequestTermination,
    LineAction::CancelTermination,
    LineAction::Terminate,
];

/// What a step asks for, over a few ids so that collisions and unknown ids happen.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Register {
        customer: u8,
    },
    Create {
        agreement: u8,
        customer: u8,
        line: u8,
    },
    Move {
        agreement: u8,
        line: u8,
        action: usize,
    },
    Approve {
        exception: u8,
        agreement: u8,
    },
    Revoke {
        exception: u8,
    },
    Consume {
        usage: u8,
        customer: u8,
    },
    Reverse {
        usage: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Version {
    None,
    Right,
    Stale(u8),
}

#[derive(Debug, Clone)]
struct Step {
    op: Op,
    key: Option<u8>,
    version: Version,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1u8..4).prop_map(|customer| Op::Register { customer }),
        2 => (1u8..4, 1u8..4, 1u8..5).prop_map(|(agreement, customer, line)| Op::Create {
            agreement,
            customer,
            line
        }),
        3 => (1u8..4, 1u8..5, 0..ACTIONS.len()).prop_map(|(agreement, line, action)| Op::Move {
            agreement,
            line,
            action
        }),
        1 => (1u8..4, 1u8..4).prop_map(|(exception, agreement)| Op::Approve { exception, agreement }),
        1 => (1u8..4).prop_map(|exception| Op::Revoke { exception }),
        4 => (1u8..6, 1u8..4).prop_map(|(usage, customer)| Op::Consume { usage, customer }),
        1 => (1u8..6).prop_map(|usage| Op::Reverse { usage }),
    ]
}

fn arb_steps() -> impl Strategy<Value = Vec<Step>> {
    let version = prop_oneof![
        3 => Just(Version::None),
        1 => Just(Version::Right),
        1 => (0u8..3).prop_map(Version::Stale),
    ];
    prop::collection::vec(
        (arb_op(), prop::option::weighted(0.4, 0u8..4), version)
            .prop_map(|(op, key, version)| Step { op, key, version }),
        1..14,
    )
}

fn c_id(n: u8) -> CustomerId {
    CustomerId::new(format!("C{n}")).unwrap()
}
fn a_id(n: u8) -> AgreementId {
    AgreementId::new(format!("A{n}")).unwrap()
}
fn l_id(n: u8) -> LineId {
    LineId::new(format!("L{n}")).unwrap()
}

/// The starting point of every case: offering MOBILE (quota of 2 repairs per rolling year),
/// customer C1 and agreement A1 with the active line L1.
fn setup_events() -> &'static [EventEnvelope] {
    static EVENTS: OnceLock<Vec<EventEnvelope>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let mut crm = Crm::new();
        let meta = Metadata::new(t0(), ActorId::new("setup").unwrap());
        let mut run = |command| {
            crm.execute(&CommandEnvelope {
                meta: meta.clone(),
                command,
            })
            .unwrap();
        };
        let mut offering = mobile_offering();
        offering.entitlements[0].code = "repair".into();
        run(Command::AddOffering { offering });
        run(Command::RegisterCustomer {
            customer: customer("C1"),
        });
        run(create(1, 1, 1));
        for action in [LineAction::RequestActivation, LineAction::Activate] {
            run(line_move(1, 1, action));
        }
        crm.events().unwrap()
    })
}

fn create(agreement: u8, customer: u8, line: u8) -> Command {
    Command::CreateAgreement {
        agreement: a_id(agreement),
        customer: c_id(customer),
        sold_through: SoldThrough::Direct,
        term: Term {
            start: "2026-01-01".parse().unwrap(),
            end: None,
            auto_renew: false,
        },
        lines: vec![NewLine {
            id: l_id(line),
            offering: OfferingId::new("MOBILE").unwrap(),
            quantity: 1,
        }],
        signature: Consent {
            channel: Channel::Branch,
            at: t0(),
        },
    }
}

fn line_move(agreement: u8, line: u8, action: LineAction) -> Command {
    Command::ChangeLineStatus {
        agreement: a_id(agreement),
        line: l_id(line),
        action,
        effective_at: None,
        asset: None,
        renew_until: None,
    }
}

/// The reference model: only what the predictions need.
#[derive(Debug, Clone)]
struct Model {
    customers: BTreeSet<u8>,
    /// agreement -> (customer, line, status of its line)
    agreements: BTreeMap<u8, (u8, u8, LineStatus)>,
    lines: BTreeSet<u8>,
    /// exception -> (agreement, revoked)
    exceptions: BTreeMap<u8, (u8, bool)>,
    /// usage -> reversed
    usages: BTreeMap<u8, bool>,
    versions: BTreeMap<String, u64>,
    keys: BTreeMap<u8, (Command, Vec<EventEnvelope>)>,
}

impl Model {
    fn new() -> Model {
        Model {
            customers: [1].into(),
            agreements: [(1, (1, 1, LineStatus::Active))].into(),
            lines: [1].into(),
            exceptions: BTreeMap::new(),
            usages: BTreeMap::new(),
            versions: [
                ("offering/MOBILE".to_string(), 1),
                ("customer/C1".to_string(), 1),
                ("agreement/A1".to_string(), 3),
            ]
            .into(),
            keys: BTreeMap::new(),
        }
    }

    fn version(&self, stream: &str) -> u64 {
        self.versions.get(stream).copied().unwrap_or(0)
    }

    /// The command of a step, and the stream it targets when the model knows it beforehand.
    fn command(&self, op: &Op) -> (Command, Option<String>) {
        match *op {
            Op::Register { customer: c } => (
                Command::RegisterCustomer {
                    customer: customer(&format!("C{c}")),
                },
                Some(format!("customer/C{c}")),
            ),
            Op::Create {
                agreement,
                customer,
                line,
            } => (
                create(agreement, customer, line),
                Some(format!("agreement/A{agreement}")),
            ),
            Op::Move {
                agreement,
                line,
                action,
            } => (
                line_move(agreement, line, ACTIONS[action]),
                Some(format!("agreement/A{agreement}")),
            ),
            Op::Approve {
                exception,
                agreement,
            } => {
                let (customer, line) = self
                    .agreements
                    .get(&agreement)
                    .map(|(c, l, _)| (*c, *l))
                    .unwrap_or((1, 1));
                (
                    Command::ApproveException {
                        exception: Exception {
                            id: ExceptionId::new(format!("X{exception}")).unwrap(),
                            customer: c_id(customer),
                            agreement: Some(a_id(agreement)),
                            scope: ExceptionScope::Entitlement {
                                entitlement: EntitlementId::new(format!("L{line}.repair")).unwrap(),
                            },
                            effect: ExceptionEffect::Allow {
                                extra: Some(1.into()),
                            },
                            approved_by: ActorId::new("supervisor").unwrap(),
                            reason: "goodwill".into(),
                            valid_from: t0(),
                            valid_to: None,
                            revoked: None,
                        },
                    },
                    Some(format!("agreement/A{agreement}")),
                )
            }
            Op::Revoke { exception } => (
                Command::RevokeException {
                    exception: ExceptionId::new(format!("X{exception}")).unwrap(),
                    reason: "withdrawn".into(),
                },
                None,
            ),
            Op::Consume { usage, customer } => (
                Command::ConsumeEntitlement {
                    usage: UsageId::new(format!("U{usage}")).unwrap(),
                    request: EntitlementRequest::new(c_id(customer), "repair", Channel::Phone),
                },
                None,
            ),
            Op::Reverse { usage } => (
                Command::ReverseUsage {
                    usage: UsageId::new(format!("U{usage}")).unwrap(),
                    reason: "cancelled".into(),
                },
                None,
            ),
        }
    }

    /// What the model expects of `op` when no key or version gets in the way: `Ok(())`, or the
    /// error kinds that may come (any of them); `None` when the model does not predict it.
    fn predict(&self, op: &Op) -> Option<Result<(), Vec<ErrorKind>>> {
        use ErrorKind::*;
        let errors = |list: Vec<(bool, ErrorKind)>| {
            let kinds: Vec<ErrorKind> = list.into_iter().filter(|(b, _)| *b).map(|x| x.1).collect();
            if kinds.is_empty() { Ok(()) } else { Err(kinds) }
        };
        Some(match *op {
            Op::Register { customer } => {
                errors(vec![(self.customers.contains(&customer), AlreadyExists)])
            }
            Op::Create {
                agreement,
                customer,
                line,
            } => errors(vec![
                (!self.customers.contains(&customer), NotFound),
                (self.agreements.contains_key(&agreement), AlreadyExists),
                (self.lines.contains(&line), AlreadyExists),
            ]),
            Op::Move {
                agreement,
                line,
                action,
            } => match self.agreements.get(&agreement) {
                None => Err(vec![NotFound]),
                Some((_, l, _)) if *l != line => Err(vec![NotFound]),
                Some((_, _, status)) => errors(vec![(
                    next_status(LineKind::Service, *status, ACTIONS[action]).is_none(),
                    InvalidTransition,
                )]),
            },
            Op::Approve {
                exception,
                agreement,
            } => errors(vec![
                (!self.agreements.contains_key(&agreement), NotFound),
                (self.exceptions.contains_key(&exception), AlreadyExists),
            ]),
            Op::Revoke { exception } => match self.exceptions.get(&exception) {
                None => Err(vec![NotFound]),
                Some((_, true)) => Err(vec![InvalidTransition, Validation, AlreadyExists]),
                Some((_, false)) => Ok(()),
            },
            Op::Consume { usage, .. } if self.usages.contains_key(&usage) => {
                Err(vec![AlreadyExists])
            }
            Op::Consume { .. } => return None,
            Op::Reverse { usage } => match self.usages.get(&usage) {
                None => Err(vec![NotFound]),
                Some(true) => Err(vec![InvalidTransition, Validation, AlreadyExists]),
                Some(false) => Ok(()),
            },
        })
    }

    /// Records a success.
    fn apply(&mut self, op: &Op, events: &[EventEnvelope]) {
        for e in events {
            self.versions.insert(e.stream.clone(), e.stream_version);
        }
        match *op {
            Op::Register { customer } => {
                self.customers.insert(customer);
            }
            Op::Create {
                agreement,
                customer,
                line,
            } => {
                self.agreements
                    .insert(agreement, (customer, line, LineStatus::Created));
                self.lines.insert(line);
            }
            Op::Move {
                agreement, action, ..
            } => {
                let entry = self.agreements.get_mut(&agreement).unwrap();
                entry.2 = next_status(LineKind::Service, entry.2, ACTIONS[action]).unwrap();
            }
            Op::Approve {
                exception,
                agreement,
            } => {
                self.exceptions.insert(exception, (agreement, false));
            }
            Op::Revoke { exception } => {
                self.exceptions.get_mut(&exception).unwrap().1 = true;
            }
            Op::Consume { usage, .. } => {
                self.usages.insert(usage, false);
            }
            Op::Reverse { usage } => {
                self.usages.insert(usage, true);
            }
        }
    }
}

fn kind_of(r: &Result<Vec<EventEnvelope>>) -> Option<ErrorKind> {
    r.as_ref().err().map(Error::kind)
}

/// Runs the steps on an engine and the model side by side, checking every prediction.
fn run(steps: &[Step]) -> std::result::Result<Crm, TestCaseError> {
    let store = InMemoryStore::from_events(setup_events().to_vec()).unwrap();
    let mut crm = Crm::open(Box::new(store)).unwrap();
    let mut model = Model::new();
    for (i, step) in steps.iter().enumerate() {
        let (command, stream) = model.command(&step.op);
        let mut meta = Metadata::new(
            t0() + chrono::Duration::minutes(i as i64 + 1),
            ActorId::new("clerk").unwrap(),
        );
        meta.idempotency_key = step.key.map(|k| format!("key-{k}"));
        let right = stream.as_deref().map(|s| model.version(s));
        meta.expected_version = match (step.version, right) {
            (Version::Right, Some(v)) => Some(v),
            (Version::Stale(d), Some(v)) => Some(if d == 0 && v > 0 {
                v - 1
            } else {
                v + 1 + u64::from(d)
            }),
            _ => None,
        };
        let stale = meta.expected_version.is_some() && meta.expected_version != right;
        let before = crm.state().clone();
        let result = crm.execute(&CommandEnvelope {
            meta,
            command: command.clone(),
        });
        let context = format!("step {i} {step:?}: {result:?}");

        // A key seen before answers for the command, whatever the command would do now.
        if let Some(k) = step.key
            && let Some((first, events)) = model.keys.get(&k)
        {
            if *first == command {
                prop_assert_eq!(result.as_ref().ok(), Some(events), "{}", context);
            } else {
                prop_assert!(
                    matches!(result, Err(Error::IdempotencyConflict { .. })),
                    "{}",
                    context
                );
            }
            prop_assert!(
                crm.state() == &before,
                "a repeated key changed the state: {}",
                context
            );
            continue;
        }
        match (model.predict(&step.op), &result) {
            (Some(Err(kinds)), r) => {
                let kind = kind_of(r);
                prop_assert!(
                    kind.is_some_and(|k| kinds.contains(&k)),
                    "expected one of {:?}: {}",
                    kinds,
                    context
                );
            }
            (Some(Ok(())), r) if stale => {
                prop_assert!(
                    matches!(r, Err(Error::VersionConflict { .. })),
                    "a stale version must conflict: {}",
                    context
                );
            }
            (Some(Ok(())), r) => prop_assert!(r.is_ok(), "expected success: {}", context),
            (None, _) => {}
        }
        match &result {
            Ok(events) => {
                prop_assert!(!stale, "a stale version was accepted: {}", context);
                prop_assert_eq!(events.len(), 1, "{}", context);
                model.apply(&step.op, events);
                if let Some(k) = step.key {
                    model.keys.insert(k, (command, events.clone()));
                }
            }
            Err(_) => {
                prop_assert!(
                    crm.state() == &before,
                    "a failed command changed the state: {}",
                    context
                );
            }
        }
    }
    Ok(crm)
}

/// Every use that took an entitlement past its quota cites an exception, and no entitlement
/// is ever used more than its quota plus every extra ever approved on it.
fn check_quota(crm: &Crm) -> std::result::Result<(), TestCaseError> {
    let events = crm.events().unwrap();
    let mut extras: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        if let Event::ExceptionApproved { exception } = &e.event
            && let ExceptionScope::Entitlement { entitlement } = &exception.scope
        {
            *extras.entry(entitlement.to_string()).or_default() += 1;
        }
    }
    let mut uses: BTreeMap<String, Vec<UsageRecord>> = BTreeMap::new();
    let mut reversed = BTreeSet::new();
    for e in &events {
        match &e.event {
            Event::UsageRecorded { usage } => uses
                .entry(usage.entitlement.to_string())
                .or_default()
                .push(usage.clone()),
            Event::UsageReversed { usage, .. } => {
                reversed.insert(usage.clone());
            }
            _ => {}
        }
    }
    for (entitlement, list) in &uses {
        let counted: Vec<_> = list.iter().filter(|u| !reversed.contains(&u.id)).collect();
        for (n, u) in counted.iter().enumerate() {
            // every use is within the rolling year of the others here
            if n + 1 > QUOTA {
                prop_assert!(
                    !u.exceptions.is_empty(),
                    "use {} of {entitlement} is number {} of a quota of {QUOTA} and cites no exception",
                    u.id,
                    n + 1
                );
            }
        }
        let bound = QUOTA + extras.get(entitlement).copied().unwrap_or(0);
        prop_assert!(
            counted.len() <= bound,
            "{entitlement}: {} uses, more than {bound}",
            counted.len()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_engine_agrees_with_the_model(steps in arb_steps()) {
        let crm = run(&steps)?;
        // replay equals state, byte for byte
        let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
        prop_assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
        // quota usage never exceeds the quota without a cited exception
        check_quota(&crm)?;
    }
}

// ------------------------------------------------------------------------------------------
// Deadline arithmetic is additive on a business calendar.

fn calendars() -> &'static [BusinessCalendar] {
    static CALS: OnceLock<Vec<BusinessCalendar>> = OnceLock::new();
    CALS.get_or_init(|| {
        [
            r#"{"id":"berlin","zone":"Europe/Berlin",
                "week":{"monday":[{"start":"08:00","end":"12:00"},{"start":"13:00","end":"17:00"}],
                        "tuesday":[{"start":"08:00","end":"17:00"}],"wednesday":[{"start":"08:00","end":"17:00"}],
                        "thursday":[{"start":"08:00","end":"17:00"}],"friday":[{"start":"08:00","end":"15:00"}]},
                "holidays":[{"date":"2026-12-25","name":"Christmas","hours":[]},
                            {"date":"2026-12-24","name":"Christmas Eve","hours":[{"start":"08:00","end":"12:00"}]}]}"#,
            r#"{"id":"new-york","zone":"America/New_York",
                "week":{"monday":[{"start":"01:30","end":"03:30"}],"sunday":[{"start":"00:00","end":"24:00"}]}}"#,
            r#"{"id":"lord-howe","zone":"Australia/Lord_Howe",
                "week":{"saturday":[{"start":"01:00","end":"03:00"}],"sunday":[{"start":"01:45","end":"02:15"}]}}"#,
        ]
        .iter()
        .map(|json| BusinessCalendar::from_json(json).unwrap())
        .collect()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn deadline_arithmetic_is_additive(
        cal in 0usize..3,
        // 2025 to 2028, to the second (daylight-saving changes included)
        start in 1_735_689_600i64..1_830_297_600,
        a in 0i64..400 * 3600,
        b in 0i64..400 * 3600,
    ) {
        let cal = &calendars()[cal];
        let at = chrono::DateTime::from_timestamp(start, 0).unwrap();
        let (da, db) = (BusinessDuration::from_secs(a).unwrap(), BusinessDuration::from_secs(b).unwrap());
        let after_a = cal.add(at, da, &[]).unwrap();
        let after_ab = cal.add(after_a, db, &[]).unwrap();
        let direct = cal.add(at, da.checked_add(db).unwrap(), &[]).unwrap();
        prop_assert_eq!(after_ab, direct);
        prop_assert_eq!(cal.between(at, direct, &[]).unwrap().as_secs(), a + b);
    }
}
