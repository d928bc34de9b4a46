//! The agreement repository: agreements, their lines and lifecycle, amendments, exceptions
//! and commitments.

pub mod lifecycle;

pub use lifecycle::{LineAction, LineKind, LineStatus, TRANSITIONS, Transition, next_status};
