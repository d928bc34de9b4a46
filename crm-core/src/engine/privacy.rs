//! Forgetting a customer: personal data erased, the financial record kept whole.
//!
//! [`Command::ForgetCustomer`](super::Command::ForgetCustomer) records one
//! [`Event::CustomerForgotten`], which names only the customer's id. Applying it replaces the
//! customer's personal data in the state by [`FORGOTTEN`]; the engine also asks its
//! [`EventStore`](super::EventStore) to rewrite every earlier event of that customer the same
//! way ([`EventStore::redact`](super::EventStore::redact)), in the same all-or-nothing step as
//! the append, so a replay cannot bring the data back.
//!
//! What is erased (see `docs/privacy.md`): the customer's name (it becomes [`FORGOTTEN`]) and
//! contact points (removed); the summaries of the customer's interactions; the descriptions and
//! close reasons of the commitments made to the customer; the reasons of the customer's
//! exceptions and their revocations; the notes and amendment reasons of the customer's
//! agreements. Ids, instants, amounts, statuses, consents, the ledger and every balance stay as
//! they were.

use super::event::{Event, EventEnvelope, customer_stream};
use super::state::CrmState;
use crate::agreement::{Agreement, Amendment, AppliedChange, Commitment, Exception};
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::interaction::Interaction;
use crate::party::Customer;
use serde_json::Value;

/// The marker that replaces erased text (a customer's name, a summary, a reason).
pub const FORGOTTEN: &str = "<forgotten>";

/// The JSON fields whose text a redaction may replace by the marker: the customer's name, a
/// summary, a description, a reason, a note (and the note an amendment replaced).
const ERASABLE: [&str; 7] = [
    "name",
    "summary",
    "description",
    "close_reason",
    "reason",
    "note",
    "previous",
];

/// Whether `new` is `old` with nothing changed but erasable texts replaced by the marker and
/// contact points removed: what [`EventStore::redact`](super::EventStore::redact) may do to
/// a stored event. Ids, amounts, dates, statuses and every other value must stay equal.
pub(super) fn only_erased(old: &Value, new: &Value, key: Option<&str>) -> bool {
    match (old, new) {
        _ if old == new => true,
        (Value::String(_), Value::String(n)) => {
            n == FORGOTTEN && key.is_some_and(|k| ERASABLE.contains(&k))
        }
        (Value::Array(_), Value::Array(n)) if key == Some("contact_points") => n.is_empty(),
        (Value::Array(o), Value::Array(n)) => {
            o.len() == n.len() && o.iter().zip(n).all(|(a, b)| only_erased(a, b, key))
        }
        (Value::Object(o), Value::Object(n)) => {
            o.len() == n.len()
                && o.iter()
                    .all(|(k, v)| n.get(k).is_some_and(|w| only_erased(v, w, Some(k))))
        }
        _ => false,
    }
}

/// Replaces a text by the marker; true when it changed. An empty text stays empty (there is
/// nothing to erase, and optional texts such as an agreement's note are empty by default).
fn erase(text: &mut String) -> bool {
    if text.is_empty() || text == FORGOTTEN {
        return false;
    }
    FORGOTTEN.clone_into(text);
    true
}

fn erase_opt(text: &mut Option<String>) -> bool {
    text.as_mut().is_some_and(erase)
}

fn scrub_customer(c: &mut Customer) -> bool {
    let named = erase(&mut c.name);
    let reachable = !c.contact_points.is_empty();
    c.contact_points.clear();
    named | reachable
}

fn scrub_interaction(i: &mut Interaction) -> bool {
    erase(&mut i.summary)
}

fn scrub_commitment(c: &mut Commitment) -> bool {
    erase(&mut c.description) | erase_opt(&mut c.close_reason)
}

fn scrub_exception(x: &mut Exception) -> bool {
    let reason = erase(&mut x.reason);
    let revoked = x.revoked.as_mut().is_some_and(|r| erase(&mut r.reason));
    reason | revoked
}

fn scrub_amendment(a: &mut Amendment) -> bool {
    let mut changed = erase(&mut a.reason);
    for change in &mut a.changes {
        if let AppliedChange::SetNote { note, previous } = change {
            changed |= erase(note) | erase(previous);
        }
    }
    changed
}

fn scrub_agreement(a: &mut Agreement) -> bool {
    let mut changed = erase(&mut a.note);
    for amendment in &mut a.amendments {
        changed |= scrub_amendment(amendment);
    }
    changed
}

/// Decides `ForgetCustomer`: the customer must exist; the event names only its id.
pub(super) fn decide_forget(
    state: &CrmState,
    customer: &CustomerId,
) -> Result<(String, Vec<Event>)> {
    if !state.customers.contains_key(customer) {
        return Err(Error::not_found("customer", customer));
    }
    Ok((
        customer_stream(customer),
        vec![Event::CustomerForgotten {
            customer: customer.clone(),
        }],
    ))
}

/// Applies `CustomerForgotten` to the state: the customer's personal data is replaced by the
/// marker wherever the state holds it.
pub(super) fn apply_forget(
    state: &mut CrmState,
    customer: &CustomerId,
    at: crate::Instant,
) -> Result<()> {
    let c = state
        .customers
        .get_mut(customer)
        .ok_or_else(|| Error::Storage {
            message: format!("event refers to unknown customer {customer}"),
        })?;
    scrub_customer(c);
    for i in state.interactions.values_mut() {
        if &i.customer == customer {
            scrub_interaction(i);
        }
    }
    for c in state.commitments.values_mut() {
        if &c.customer == customer {
            scrub_commitment(c);
        }
    }
    for x in state.exceptions.values_mut() {
        if &x.customer == customer {
            scrub_exception(x);
        }
    }
    for a in state.agreements.values_mut() {
        if &a.customer == customer {
            scrub_agreement(a);
        }
    }
    state.forgotten.insert(customer.clone(), at);
    Ok(())
}

/// The event with the customer's personal data replaced by the marker, or `None` when it holds
/// none of it. Ids named by an event (a commitment, an exception, an agreement) are resolved
/// to their customer through `state`.
fn redact_event(state: &CrmState, customer: &CustomerId, event: &Event) -> Option<Event> {
    let concerns = match event {
        Event::CustomerRegistered { customer: c } | Event::CustomerUpdated { customer: c } => {
            &c.id == customer
        }
        Event::InteractionRecorded { interaction, .. }
        | Event::InteractionUpdated { interaction } => &interaction.customer == customer,
        Event::CommitmentMade { commitment } => &commitment.customer == customer,
        Event::CommitmentClosed { commitment, .. } => state
            .commitments
            .get(commitment)
            .is_some_and(|c| &c.customer == customer),
        Event::ExceptionApproved { exception } => &exception.customer == customer,
        Event::ExceptionRevoked { exception, .. } => state
            .exceptions
            .get(exception)
            .is_some_and(|x| &x.customer == customer),
        Event::AgreementCreated { agreement } => &agreement.customer == customer,
        Event::AgreementAmended { agreement, .. } => state
            .agreements
            .get(agreement)
            .is_some_and(|a| &a.customer == customer),
        _ => false,
    };
    if !concerns {
        return None;
    }
    let mut event = event.clone();
    let changed = match &mut event {
        Event::CustomerRegistered { customer } | Event::CustomerUpdated { customer } => {
            scrub_customer(customer)
        }
        Event::InteractionRecorded { interaction, .. }
        | Event::InteractionUpdated { interaction } => scrub_interaction(interaction),
        Event::CommitmentMade { commitment } => scrub_commitment(commitment),
        Event::CommitmentClosed { reason, .. } => erase_opt(reason),
        Event::ExceptionApproved { exception } => scrub_exception(exception),
        Event::ExceptionRevoked { revocation, .. } => erase(&mut revocation.reason),
        Event::AgreementCreated { agreement } => scrub_agreement(agreement),
        Event::AgreementAmended { amendment, .. } => scrub_amendment(amendment),
        _ => false,
    };
    changed.then_some(event)
}

/// The events of `log` that hold personal data of `customer`, rewritten with that data replaced
/// by the marker; seq, stream, version, instant, actor, key and fingerprint unchanged.
pub(super) fn redact_log(
    state: &CrmState,
    customer: &CustomerId,
    log: &[EventEnvelope],
) -> Vec<EventEnvelope> {
    log.iter()
        .filter_map(|env| {
            redact_event(state, customer, &env.event).map(|event| EventEnvelope {
                event,
                ..env.clone()
            })
        })
        .collect()
}
