#![doc = include_str!("../../README.md")]
//!
//! ## Modules
//!
//! Dependencies between modules point one way: [`money`], [`ids`] and [`error`] at the
//! bottom; the engine at the top. See `docs/architecture.md`.

pub mod accountability;
pub mod agreement;
pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod engine;
pub mod entitlement;
pub mod error;
pub mod ids;
pub mod interaction;
pub mod lifecycle;
pub mod measures;
pub mod money;
pub mod obligation;
pub mod party;
pub mod policy;
pub mod process;
mod stats;
pub mod view;

pub use calendar::{
    BusinessCalendar, BusinessDuration, Holiday, TimeRange, WeeklyHours, WorkingInterval,
};
#[cfg(feature = "sqlite")]
pub use engine::SqliteStore;
pub use engine::{
    Command, CommandEnvelope, Crm, Event, EventEnvelope, EventStore, InMemoryStore, Metadata,
};
pub use error::{Error, ErrorKind, Result};
pub use ids::*;
pub use money::{Currency, Money, Rounding};

/// An instant in time, always UTC. crm-core never reads the clock: every instant is passed in.
pub type Instant = chrono::DateTime<chrono::Utc>;
