//! Event stores: where the engine's log lives.
//!
//! The engine writes through the [`EventStore`] trait. [`InMemoryStore`] is the default; a host
//! plugs its own database in through the same trait.
//!
//! The log is append-only with one exception: [`EventStore::redact`], which forgetting a
//! customer uses to replace personal data in earlier events (`docs/privacy.md`).

use super::event::EventEnvelope;
use crate::error::{Error, Result};

/// An append-only log of events.
///
/// `append` is all or nothing: either every event of a command is stored, or none is. So is
/// `redact`, the one operation that changes stored events.
pub trait EventStore: Send {
    /// Appends `events` when the store holds exactly `expected_len` events (optimistic
    /// concurrency: another writer makes this a conflict).
    fn append(&mut self, expected_len: u64, events: &[EventEnvelope]) -> Result<()>;

    /// Appends `events` like [`EventStore::append`] and, in the same all-or-nothing step,
    /// replaces each stored event that has the seq of an event in `replacements` by that
    /// event. The engine uses it to forget a customer: the replacements are earlier events
    /// with personal data replaced by a marker.
    ///
    /// A replacement may only erase personal texts: it keeps its seq (which must be stored
    /// already), stream, stream version, instant, actor, idempotency key, fingerprint and
    /// type, and every id, amount, date and status of the event; otherwise the call is
    /// [`Error::Storage`] and nothing changes (see [`check_replacement`]). A store must not
    /// keep the replaced content anywhere it can be read back.
    fn redact(
        &mut self,
        expected_len: u64,
        events: &[EventEnvelope],
        replacements: &[EventEnvelope],
    ) -> Result<()>;

    /// Up to `limit` events from position `from_seq` (1-based) on.
    fn read(&self, from_seq: u64, limit: usize) -> Result<Vec<EventEnvelope>>;

    /// How many events the store holds.
    fn len(&self) -> Result<u64>;

    /// True when the store holds no event.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Checks that `new` may replace the stored event `old` in [`EventStore::redact`]: the same
/// seq, stream, stream version, instant, actor, idempotency key, fingerprint and event type,
/// and an event that differs only where a personal text (a name, a summary, a description, a
/// reason, a note) became the marker [`super::FORGOTTEN`] or contact points were removed: ids,
/// amounts, dates and statuses cannot change.
pub fn check_replacement(old: &EventEnvelope, new: &EventEnvelope) -> Result<()> {
    let same_place = old.seq == new.seq
        && old.stream == new.stream
        && old.stream_version == new.stream_version
        && old.at == new.at
        && old.actor == new.actor
        && old.idempotency_key == new.idempotency_key
        && old.command_hash == new.command_hash
        && old.event.tag() == new.event.tag();
    let encode = |e: &EventEnvelope| {
        serde_json::to_value(&e.event).map_err(|err| Error::Storage {
            message: format!("cannot encode event {}: {err}", e.seq),
        })
    };
    if same_place && super::privacy::only_erased(&encode(old)?, &encode(new)?, None) {
        Ok(())
    } else {
        Err(Error::Storage {
            message: format!(
                "a redaction of event {} may only erase personal texts ({} replaces {})",
                old.seq,
                new.event.tag(),
                old.event.tag()
            ),
        })
    }
}

/// An event store in memory.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    events: Vec<EventEnvelope>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `events` (e.g. read from elsewhere), checked to be gap-free.
    pub fn from_events(events: Vec<EventEnvelope>) -> Result<Self> {
        for (i, e) in events.iter().enumerate() {
            if e.seq != i as u64 + 1 {
                return Err(Error::Storage {
                    message: format!("event at position {} has seq {}", i + 1, e.seq),
                });
            }
        }
        Ok(InMemoryStore { events })
    }
}

impl EventStore for InMemoryStore {
    fn append(&mut self, expected_len: u64, events: &[EventEnvelope]) -> Result<()> {
        let len = self.events.len() as u64;
        if len != expected_len {
            return Err(Error::VersionConflict {
                stream: "store".into(),
                expected: expected_len,
                actual: len,
            });
        }
        for (i, e) in events.iter().enumerate() {
            if e.seq != len + i as u64 + 1 {
                return Err(Error::Storage {
                    message: format!("event seq {} does not follow {}", e.seq, len + i as u64),
                });
            }
        }
        self.events.extend_from_slice(events);
        Ok(())
    }

    fn redact(
        &mut self,
        expected_len: u64,
        events: &[EventEnvelope],
        replacements: &[EventEnvelope],
    ) -> Result<()> {
        // Every check comes before the first change, so a refused call changes nothing.
        let mut slots = Vec::with_capacity(replacements.len());
        for new in replacements {
            let slot = usize::try_from(new.seq)
                .ok()
                .and_then(|s| s.checked_sub(1))
                .filter(|s| *s < self.events.len())
                .ok_or_else(|| Error::Storage {
                    message: format!("no stored event {} to redact", new.seq),
                })?;
            if let Some(old) = self.events.get(slot) {
                check_replacement(old, new)?;
            }
            slots.push(slot);
        }
        self.append(expected_len, events)?;
        for (slot, new) in slots.into_iter().zip(replacements) {
            if let Some(old) = self.events.get_mut(slot) {
                old.clone_from(new);
            }
        }
        Ok(())
    }

    fn read(&self, from_seq: u64, limit: usize) -> Result<Vec<EventEnvelope>> {
        let start = usize::try_from(from_seq.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(self
            .events
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect())
    }

    fn len(&self) -> Result<u64> {
        Ok(self.events.len() as u64)
    }
}
