//! Forgetting a customer (`forget_customer`, docs/privacy.md): personal data leaves the state
//! and every stored event; ids, instants, amounts, statuses, the ledger and every answer that
//! depends on them stay as they were. The scenario is the cross-language fixture
//! `tests/fixtures/forget_customer.json`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::state_json;
use crm_core::engine::{FORGOTTEN, check_replacement};
use crm_core::entitlement::EntitlementRequest;
use crm_core::obligation::Scope;
use crm_core::party::Channel;
use crm_core::*;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../tests/fixtures/forget_customer.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

fn c7() -> CustomerId {
    CustomerId::new("C-7").unwrap()
}

fn erased() -> Vec<String> {
    fixture()["erased"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_lowercase())
        .collect()
}

/// The texts of `erased()` found in `haystack` (case-insensitive).
fn leaks(haystack: &str) -> Vec<String> {
    let lower = haystack.to_lowercase();
    erased().into_iter().filter(|s| lower.contains(s)).collect()
}

fn forget_json() -> String {
    fixture()["forget"].to_string()
}

/// An engine over `store` with the fixture's setup run, plus customer C-8 with personal data
/// of its own (which forgetting C-7 must leave alone).
fn set_up(store: Box<dyn EventStore>) -> Crm {
    let mut crm = Crm::open(store).unwrap();
    for cmd in fixture()["setup"].as_array().unwrap() {
        crm.execute_json(&cmd.to_string())
            .unwrap_or_else(|e| panic!("{e}\n{cmd}"));
    }
    crm.execute_json(
        r#"{"meta": {"at": "2026-01-05T09:00:00Z", "actor": "erp"},
            "command": {"type": "register_customer",
                        "customer": {"id": "C-8", "name": "Ada Lovelace",
                                     "contact_points": [{"channel": "email", "address": "ada@example.com"}]}}}"#,
    )
    .unwrap();
    crm.execute_json(
        r#"{"meta": {"at": "2026-02-03T09:10:00Z", "actor": "chat-gateway"},
            "command": {"type": "record_interaction",
                        "interaction": {"id": "CHAT-8", "customer": "C-8", "channel": "chat",
                                        "direction": "inbound", "kind": "question",
                                        "started_at": "2026-02-03T08:55:00Z",
                                        "summary": "Ada asks about roaming"}}}"#,
    )
    .unwrap();
    crm
}

fn device_request() -> EntitlementRequest {
    serde_json::from_value(serde_json::json!({
        "customer": "C-7", "code": "device_replacement", "channel": "branch"
    }))
    .unwrap()
}

/// Every answer about C-7 that forgetting must not change, as JSON.
fn answers(crm: &Crm) -> Value {
    let c = c7();
    let at: Instant = "2026-04-02T00:00:00Z".parse().unwrap();
    let agreement = crm.agreement(&AgreementId::new("AG-7").unwrap()).unwrap();
    let commitment = crm.commitments_of(&c).unwrap()[0].clone();
    let exception = crm.state().exceptions.values().next().unwrap().clone();
    let interaction = crm
        .state()
        .interactions
        .get(&InteractionId::new("CHAT-7").unwrap())
        .unwrap()
        .clone();
    serde_json::json!({
        "balance": crm.balance(&c).unwrap(),
        "statement": crm.statement(&c, &Scope::Customer).unwrap(),
        "aging": crm.aging(&c, "2026-04-02".parse().unwrap(), 0, &Scope::Customer).unwrap(),
        "ledger": crm.ledger(&c).unwrap(),
        "standing": crm.standing(&c, at),
        "plans": crm.payment_plans_of(&c).unwrap(),
        "check": crm.check_entitlement(&device_request(), at).unwrap(),
        "usage": crm.usage(&UsageId::new("U-7").unwrap()).unwrap(),
        "agreement": [&agreement.id, &agreement.customer, &agreement.term, &agreement.signed_at,
                      &agreement.lines, &agreement.entitlements, &agreement.payment_plans,
                      agreement.revision, agreement.version, agreement.amendments.len()],
        "amendment": [agreement.amendments[0].at, agreement.amendments[0].revision],
        "commitment": [&commitment.id, &commitment.state, &commitment.made_at,
                       &commitment.due_at, &commitment.closed_at],
        "exception": [&exception.id, &exception.scope, &exception.effect,
                      &exception.valid_from, exception.revoked.as_ref().map(|r| r.at)],
        "interaction": [&interaction.id, &interaction.started_at, &interaction.ended_at,
                        &interaction.sentiment, &interaction.feedback, &interaction.outcome],
        "consents": &crm.customer(&c).unwrap().consents,
        "since": crm.state().customer_since.get(&c),
        "streams": &crm.state().stream_versions,
    })
}

fn events_json(crm: &Crm) -> String {
    serde_json::to_string(&crm.events().unwrap()).unwrap()
}

#[test]
fn the_fixture_puts_every_erased_text_somewhere() {
    let crm = set_up(Box::new(InMemoryStore::new()));
    let before = events_json(&crm);
    let state = state_json(&crm);
    for s in erased() {
        assert!(before.to_lowercase().contains(&s), "{s} is in no event");
        // The first e-mail address was replaced by `update_customer`: only the log has it.
        if s != "example.org" {
            assert!(state.to_lowercase().contains(&s), "{s} is not in the state");
        }
    }
}

#[test]
fn forgetting_erases_personal_data_and_keeps_every_answer() {
    let mut crm = set_up(Box::new(InMemoryStore::new()));
    let before = answers(&crm);
    let log_before = crm.events().unwrap();
    let other_before = serde_json::to_string(&crm.customer_360(
        &CustomerId::new("C-8").unwrap(),
        "2026-04-02T00:00:00Z".parse().unwrap(),
        10,
    ))
    .unwrap();

    let out: Vec<EventEnvelope> =
        serde_json::from_str(&crm.execute_json(&forget_json()).unwrap()).unwrap();

    // The event names the customer and nothing else.
    assert_eq!(out.len(), 1);
    assert_eq!(
        serde_json::to_value(&out[0].event).unwrap(),
        serde_json::json!({"type": "customer_forgotten", "customer": "C-7"})
    );
    assert_eq!(out[0].stream, "customer/C-7");

    // Nothing personal is left in the log or the state.
    assert_eq!(leaks(&events_json(&crm)), Vec::<String>::new());
    assert_eq!(leaks(&state_json(&crm)), Vec::<String>::new());
    let customer = crm.customer(&c7()).unwrap();
    assert_eq!(customer.name, FORGOTTEN);
    assert!(customer.contact_points.is_empty());
    assert_eq!(
        crm.state().forgotten.get(&c7()),
        Some(&"2026-04-01T09:00:00Z".parse().unwrap())
    );

    // The log keeps its shape: every earlier event at its place, with its metadata.
    let log_after = crm.events().unwrap();
    assert_eq!(log_after.len(), log_before.len() + 1);
    for (old, new) in log_before.iter().zip(&log_after) {
        check_replacement(old, new).unwrap();
    }
    let rewritten = log_before.iter().zip(&log_after).filter(|(o, n)| o != n);
    assert_eq!(rewritten.count(), 9, "the events that held C-7's texts");

    // Every answer about money, entitlements, statuses and dates is the same; C-7 only lost
    // the personal texts, C-8 nothing.
    let mut after = answers(&crm);
    after["streams"]["customer/C-7"] = before["streams"]["customer/C-7"].clone();
    assert_eq!(after, before);
    assert_eq!(
        crm.state().stream_version("customer/C-7"),
        before["streams"]["customer/C-7"].as_u64().unwrap() + 1
    );
    let other_after = serde_json::to_string(&crm.customer_360(
        &CustomerId::new("C-8").unwrap(),
        "2026-04-02T00:00:00Z".parse().unwrap(),
        10,
    ))
    .unwrap();
    assert_eq!(other_after, other_before);
    assert!(state_json(&crm).contains("Ada asks about roaming"));

    // A replay of the store rebuilds exactly this state.
    let replayed = Crm::replay(&log_after).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
    let reopened = Crm::open(Box::new(InMemoryStore::from_events(log_after).unwrap())).unwrap();
    assert_eq!(state_json(&reopened), state_json(&crm));

    // The views over the forgotten customer still work, with the marker.
    let view = crm
        .customer_360(&c7(), "2026-04-02T00:00:00Z".parse().unwrap(), 10)
        .unwrap();
    let view = serde_json::to_string(&view).unwrap();
    assert_eq!(leaks(&view), Vec::<String>::new(), "{view}");
    crm.audit(&c7(), "2026-04-02T00:00:00Z".parse().unwrap())
        .unwrap();
}

#[test]
fn forgetting_an_unknown_customer_is_not_found_and_changes_nothing() {
    let mut crm = set_up(Box::new(InMemoryStore::new()));
    let state = state_json(&crm);
    let log = events_json(&crm);
    let e = crm
        .execute_json(
            r#"{"meta": {"at": "2026-04-01T09:00:00Z", "actor": "privacy-office"},
                "command": {"type": "forget_customer", "customer": "C-404"}}"#,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(state_json(&crm), state);
    assert_eq!(events_json(&crm), log);
}

#[test]
fn forgetting_twice_records_the_request_and_erases_nothing_more() {
    let mut crm = set_up(Box::new(InMemoryStore::new()));
    let first = crm.execute_json(&forget_json()).unwrap();
    let log = crm.events().unwrap();

    // The same key: the first result, nothing recorded.
    assert_eq!(crm.execute_json(&forget_json()).unwrap(), first);
    assert_eq!(crm.events().unwrap(), log);

    // A new request: one more event, no earlier event touched, the data as it was.
    let state = crm.state().clone();
    let again = crm
        .execute(&CommandEnvelope {
            meta: Metadata::new(
                "2026-05-01T09:00:00Z".parse().unwrap(),
                ActorId::new("privacy-office").unwrap(),
            ),
            command: Command::ForgetCustomer { customer: c7() },
        })
        .unwrap();
    assert_eq!(again.len(), 1);
    let after = crm.events().unwrap();
    assert_eq!(&after[..log.len()], &log[..]);
    assert_eq!(crm.state().customers, state.customers);
    assert_eq!(crm.state().interactions, state.interactions);
    assert_eq!(crm.state().ledgers, state.ledgers);
}

#[test]
fn contact_data_given_after_forgetting_is_kept_until_the_next_forget() {
    let mut crm = set_up(Box::new(InMemoryStore::new()));
    crm.execute_json(&forget_json()).unwrap();
    crm.execute_json(
        r#"{"meta": {"at": "2026-06-01T09:00:00Z", "actor": "erp"},
            "command": {"type": "update_customer", "customer": "C-7", "name": "H. Lamarr",
                        "contact_points": [{"channel": "email", "address": "gh@example.org"}]}}"#,
    )
    .unwrap();
    assert_eq!(crm.customer(&c7()).unwrap().name, "H. Lamarr");
    assert!(events_json(&crm).contains("gh@example.org"));

    crm.execute_json(
        r#"{"meta": {"at": "2026-07-01T09:00:00Z", "actor": "privacy-office"},
            "command": {"type": "forget_customer", "customer": "C-7"}}"#,
    )
    .unwrap();
    assert!(!events_json(&crm).contains("gh@example.org"));
    assert!(!state_json(&crm).contains("Lamarr"));
    let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
}

#[test]
fn an_outbound_contact_needs_new_contact_data_after_forgetting() {
    let mut crm = set_up(Box::new(InMemoryStore::new()));
    crm.execute_json(&forget_json()).unwrap();
    // The consent record stays (it is a fact about what the customer agreed to), but there is
    // no address left: the customer cannot be reached until the host records a new one.
    let c = crm.customer(&c7()).unwrap();
    assert!(c.has_consent(crm_core::party::Purpose::Service, Channel::Email));
    assert!(c.contact_points.is_empty());
}

fn envelope(seq: u64, stream: &str, version: u64, event: Event) -> EventEnvelope {
    EventEnvelope {
        seq,
        stream: stream.into(),
        stream_version: version,
        at: "2026-01-01T00:00:00Z".parse().unwrap(),
        actor: ActorId::new("erp").unwrap(),
        idempotency_key: None,
        command_hash: None,
        event,
    }
}

#[test]
fn a_store_refuses_a_redaction_that_moves_or_retypes_an_event_and_changes_nothing() {
    let crm = set_up(Box::new(InMemoryStore::new()));
    let log = crm.events().unwrap();
    let forgotten = envelope(
        log.len() as u64 + 1,
        "customer/C-7",
        100,
        Event::CustomerForgotten { customer: c7() },
    );
    let registered = log
        .iter()
        .find(|e| e.event.tag() == "customer_registered")
        .unwrap();
    let mut other_stream = registered.clone();
    other_stream.stream = "customer/C-8".into();
    let mut other_type = registered.clone();
    other_type.event = Event::CustomerForgotten { customer: c7() };
    let mut other_instant = registered.clone();
    other_instant.at = "2030-01-01T00:00:00Z".parse().unwrap();
    let mut not_stored = registered.clone();
    not_stored.seq = 10_000;
    // Same place and type, but an id or an amount changes: not a redaction.
    let mut other_id = registered.clone();
    if let Event::CustomerRegistered { customer } = &mut other_id.event {
        customer.id = CustomerId::new(FORGOTTEN).unwrap();
    }
    let paid = log
        .iter()
        .find(|e| e.event.tag() == "payment_recorded")
        .unwrap();
    let mut other_amount = paid.clone();
    if let Event::PaymentRecorded { payment, .. } = &mut other_amount.event {
        payment.amount = Money::parse("0.01", "EUR").unwrap();
    }
    let mut other_reference = paid.clone();
    if let Event::PaymentRecorded { payment, .. } = &mut other_reference.event {
        payment.reference = FORGOTTEN.into();
    }
    for bad in [
        other_stream,
        other_type,
        other_instant,
        not_stored,
        other_id,
        other_amount,
        other_reference,
    ] {
        let mut store = InMemoryStore::from_events(log.clone()).unwrap();
        let e = store
            .redact(
                log.len() as u64,
                std::slice::from_ref(&forgotten),
                std::slice::from_ref(&bad),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Storage, "{bad:?}");
        assert_eq!(
            store.read(1, usize::MAX).unwrap(),
            log,
            "a refused redaction changed the store"
        );
    }
    // A stale length is a conflict, and nothing is rewritten either.
    let mut store = InMemoryStore::from_events(log.clone()).unwrap();
    let e = store
        .redact(
            log.len() as u64 - 1,
            std::slice::from_ref(&forgotten),
            std::slice::from_ref(registered),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(store.read(1, usize::MAX).unwrap(), log);
}

#[test]
fn errors_about_personal_texts_carry_their_length_not_the_text() {
    let mut crm = Crm::new();
    let cases = [
        (
            r#"{"type": "register_customer", "customer": {"id": "C-9", "name": "Hedy\u0007Lamarr"}}"#,
            "customer name",
        ),
        (
            r#"{"type": "register_customer", "customer": {"id": "C-9", "name": "Ada",
                "contact_points": [{"channel": "phone", "address": "+44 20 7946\u00000001"}]}}"#,
            "contact address",
        ),
    ];
    for (command, field) in cases {
        let json = format!(
            r#"{{"meta": {{"at": "2026-01-05T09:00:00Z", "actor": "erp"}}, "command": {command}}}"#
        );
        let e = crm.execute_json(&json).unwrap_err();
        let shown = format!("{e} {e:?} {}", serde_json::to_string(&e).unwrap());
        assert!(
            matches!(&e, Error::Validation { field: f, .. } if f == field),
            "{shown}"
        );
        assert!(shown.contains("<redacted: "), "{shown}");
        assert_eq!(leaks(&shown), Vec::<String>::new(), "{shown}");
    }
    crm.execute_json(
        r#"{"meta": {"at": "2026-01-05T09:00:00Z", "actor": "erp"},
            "command": {"type": "register_customer", "customer": {"id": "C-9", "name": "Ada"}}}"#,
    )
    .unwrap();
    let e = crm
        .execute_json(
            r#"{"meta": {"at": "2026-01-05T09:10:00Z", "actor": "erp"},
                "command": {"type": "record_interaction",
                            "interaction": {"id": "I-9", "customer": "C-9", "channel": "chat",
                                            "direction": "inbound", "kind": "question",
                                            "started_at": "2026-01-05T09:00:00Z",
                                            "summary": "hip surgery\u0000"}}}"#,
        )
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("interaction summary"), "{shown}");
    assert_eq!(leaks(&shown), Vec::<String>::new(), "{shown}");
}
