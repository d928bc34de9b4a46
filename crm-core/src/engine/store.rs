//! Event stores: where the engine's log lives.
//!
//! The engine writes through the [`EventStore`] trait. [`InMemoryStore`] is the default; a host
//! plugs its own database in through the same trait.

use super::event::EventEnvelope;
use crate::error::{Error, Result};

/// An append-only log of events.
///
/// `append` is all or nothing: either every event of a command is stored, or none is.
pub trait EventStore: Send {
    /// Appends `events` when the store holds exactly `expected_len` events (optimistic
    /// concurrency: another writer makes this a conflict).
    fn append(&mut self, expected_len: u64, events: &[EventEnvelope]) -> Result<()>;

    /// Up to `limit` events from position `from_seq` (1-based) on.
    fn read(&self, from_seq: u64, limit: usize) -> Result<Vec<EventEnvelope>>;

    /// How many events the store holds.
    fn len(&self) -> Result<u64>;

    /// True when the store holds no event.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
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
