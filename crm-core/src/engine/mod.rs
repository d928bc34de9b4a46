//! The engine: commands in, events out, state as a fold over events.
//!
//! [`Crm`] validates each [`Command`] against its current state, turns it into [`Event`]s,
//! appends them to its [`EventStore`] and folds them into its [`CrmState`]. A command that
//! fails changes nothing. Replaying the log ([`Crm::open`]) rebuilds the same state.
//!
//! - **Idempotency**: a command with an idempotency key that was already used returns the
//!   events of its first execution and changes nothing; the same key with a different command
//!   is [`Error::IdempotencyConflict`]. Only the command's content counts, not its metadata, so
//!   a retry may carry a fresh instant.
//! - **Optimistic concurrency**: a command may name the version it expects its target stream
//!   (the customer, the agreement ...) to have; another version is [`Error::VersionConflict`].
//! - **Storage**: the log lives in an [`EventStore`]: [`InMemoryStore`] by default, a SQLite
//!   file with the cargo feature `sqlite` (`SqliteStore`), or the host's own database.
//! - **JSON**: [`Crm::execute_json`] takes a command envelope as JSON and returns the events
//!   as JSON, so a host in any language can drive the engine. See `docs/json-contract.md`.

mod command;
mod decide;
mod entitlements;
mod event;
mod interactions;
mod obligations;
mod policies;
mod privacy;
mod processes;
#[cfg(feature = "sqlite")]
mod sqlite;
mod state;
mod store;

pub use command::{Command, CommandEnvelope, MAX_KEY_LEN, Metadata, NewCommitment};
pub use event::{Event, EventEnvelope, agreement_stream, customer_stream, ledger_stream};
pub use interactions::{InteractionUpdate, StartOptions};
pub use obligations::{SettledRestriction, TakenCollectionAction};
pub use policies::{COMPLAINT_KIND, HostFacts, PolicySettings, RegisteredPolicies};
pub use privacy::FORGOTTEN;
pub use processes::{BuiltinProcesses, ProcessStart, StartProcess, StoredDefinition};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use state::{CrmState, CustomerIndex, CustomerOwned, KeyRecord, OfCustomer};
pub use store::{EventStore, InMemoryStore, check_replacement};

use crate::Instant;
use crate::agreement::{Agreement, Commitment, Exception, ExceptionScope};
use crate::error::{Error, Result};
use crate::ids::{AgreementId, CustomerId};
use crate::party::Customer;

/// The largest JSON command accepted by [`Crm::execute_json`], in bytes.
pub const MAX_JSON_LEN: usize = 16 * 1024 * 1024;

/// The engine.
pub struct Crm {
    state: CrmState,
    store: Box<dyn EventStore>,
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm")
            .field("last_seq", &self.state.last_seq)
            .finish_non_exhaustive()
    }
}

impl Default for Crm {
    fn default() -> Self {
        Self::new()
    }
}

/// A 64-bit FNV-1a fingerprint, stable across platforms and versions.
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Crm {
    /// An empty engine with an in-memory store.
    pub fn new() -> Self {
        Crm {
            state: CrmState::default(),
            store: Box::new(InMemoryStore::new()),
        }
    }

    /// An engine over `store`, with its state rebuilt by replaying every stored event.
    pub fn open(store: Box<dyn EventStore>) -> Result<Self> {
        let mut state = CrmState::default();
        let mut from = 1;
        loop {
            let batch = store.read(from, 10_000)?;
            if batch.is_empty() {
                break;
            }
            for e in &batch {
                state.apply(e)?;
            }
            from += batch.len() as u64;
        }
        state.shrink_to_fit();
        Ok(Crm { state, store })
    }

    /// Rebuilds the state from a list of events (without a store).
    pub fn replay(events: &[EventEnvelope]) -> Result<CrmState> {
        let mut state = CrmState::default();
        for e in events {
            state.apply(e)?;
        }
        state.shrink_to_fit();
        Ok(state)
    }

    /// The current state.
    pub fn state(&self) -> &CrmState {
        &self.state
    }

    /// Every event in the store, oldest first.
    pub fn events(&self) -> Result<Vec<EventEnvelope>> {
        self.store.read(1, usize::MAX)
    }

    /// Executes a command: validates it, stores and applies its events, and returns them.
    /// On error nothing changes.
    pub fn execute(&mut self, cmd: &CommandEnvelope) -> Result<Vec<EventEnvelope>> {
        cmd.meta.validate()?;
        let hash = match &cmd.meta.idempotency_key {
            Some(key) => {
                let hash = fingerprint(&serde_json::to_vec(&cmd.command)?);
                if let Some(rec) = self.state.keys.get(key) {
                    if rec.command_hash != hash {
                        return Err(Error::IdempotencyConflict { key: key.clone() });
                    }
                    let count = usize::try_from(rec.count).unwrap_or(usize::MAX);
                    return self.store.read(rec.first_seq, count);
                }
                Some(hash)
            }
            None => None,
        };
        if let Some(seq) = obligations::repeat_of(&self.state, &cmd.command)? {
            return self.store.read(seq, 1);
        }
        let (stream, events) = decide::decide(&self.state, &cmd.meta, &cmd.command)?;
        let current = self.state.stream_version(&stream);
        if let Some(expected) = cmd.meta.expected_version
            && expected != current
        {
            return Err(Error::VersionConflict {
                stream,
                expected,
                actual: current,
            });
        }
        let envelopes: Vec<EventEnvelope> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| EventEnvelope {
                seq: self.state.last_seq + i as u64 + 1,
                stream: stream.clone(),
                stream_version: current + i as u64 + 1,
                at: cmd.meta.at,
                actor: cmd.meta.actor.clone(),
                idempotency_key: cmd.meta.idempotency_key.clone(),
                command_hash: hash.clone(),
                event,
            })
            .collect();
        // `decide` validated the command against the state, so applying cannot fail on a
        // state that the engine built itself; the store goes first so that a storage failure
        // leaves the state as it was.
        if let Command::ForgetCustomer { customer } = &cmd.command {
            let replacements = self.redactions_for(customer)?;
            self.store
                .redact(self.state.last_seq, &envelopes, &replacements)?;
        } else {
            self.store.append(self.state.last_seq, &envelopes)?;
        }
        for e in &envelopes {
            self.state.apply(e)?;
        }
        Ok(envelopes)
    }

    /// The stored events that hold personal data of `customer`, rewritten without it (read
    /// in batches, like [`Crm::open`]).
    fn redactions_for(&self, customer: &CustomerId) -> Result<Vec<EventEnvelope>> {
        let mut out = Vec::new();
        let mut from = 1;
        loop {
            let batch = self.store.read(from, 10_000)?;
            if batch.is_empty() {
                break;
            }
            out.extend(privacy::redact_log(&self.state, customer, &batch));
            from += batch.len() as u64;
        }
        Ok(out)
    }

    /// Executes a command given as JSON (a [`CommandEnvelope`]) and returns its events as a
    /// JSON array.
    pub fn execute_json(&mut self, json: &str) -> Result<String> {
        if json.len() > MAX_JSON_LEN {
            return Err(Error::validation(
                "command JSON",
                format!("{} bytes", json.len()),
                format!("must be at most {MAX_JSON_LEN} bytes"),
            ));
        }
        let cmd: CommandEnvelope = serde_json::from_str(json)?;
        let events = self.execute(&cmd)?;
        Ok(serde_json::to_string(&events)?)
    }

    /// The customer with that id.
    pub fn customer(&self, id: &CustomerId) -> Result<&Customer> {
        self.state
            .customers
            .get(id)
            .ok_or_else(|| Error::not_found("customer", id))
    }

    /// The agreement with that id, as it is now (including moves dated in the future).
    pub fn agreement(&self, id: &AgreementId) -> Result<&Agreement> {
        self.state
            .agreements
            .get(id)
            .ok_or_else(|| Error::not_found("agreement", id))
    }

    /// The agreement as it stood at `at`.
    pub fn agreement_as_of(&self, id: &AgreementId, at: Instant) -> Result<Agreement> {
        self.agreement(id)?.as_of(at)
    }

    /// The agreements of a customer, in id order.
    pub fn agreements_of(&self, customer: &CustomerId) -> Result<Vec<&Agreement>> {
        self.customer(customer)?;
        Ok(self.state.agreements_of_customer(customer).collect())
    }

    /// The exceptions of `customer` that cover `scope` (of `agreement`, if any) at `at`.
    pub fn exceptions_covering(
        &self,
        customer: &CustomerId,
        agreement: Option<&AgreementId>,
        scope: &ExceptionScope,
        at: Instant,
    ) -> Result<Vec<&Exception>> {
        self.customer(customer)?;
        Ok(self
            .state
            .exceptions_of_customer(customer)
            .filter(|x| x.covers(agreement, scope, at))
            .collect())
    }

    /// The commitments made to a customer, in id order.
    pub fn commitments_of(&self, customer: &CustomerId) -> Result<Vec<&Commitment>> {
        self.customer(customer)?;
        Ok(self
            .state
            .commitments
            .values()
            .filter(|c| &c.customer == customer)
            .collect())
    }

    /// The business calendar with that id.
    pub fn calendar(
        &self,
        id: &crate::ids::CalendarId,
    ) -> Result<&crate::calendar::BusinessCalendar> {
        self.state
            .calendars
            .get(id)
            .ok_or_else(|| Error::not_found("calendar", id))
    }

    /// Every open commitment past its due time at `at`, in id order.
    pub fn overdue_commitments(&self, at: Instant) -> Vec<&Commitment> {
        self.state
            .commitments
            .values()
            .filter(|c| c.is_overdue(at))
            .collect()
    }
}
