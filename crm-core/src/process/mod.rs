//! Processes (BPM): definitions as graphs of steps joined by outcomes, instances that move
//! through them against SLA deadlines on a business calendar, analytics over recorded moves,
//! and the built-in definitions.
//!
//! - [`ProcessDefinition`]: a checked petgraph graph, built from a [`DefinitionSpec`]
//!   (validation lists every problem), drawn with [`ProcessDefinition::to_mermaid`] and
//!   [`ProcessDefinition::to_dot`].
//! - [`ProcessInstance`]: [`ProcessInstance::start`] with a [`NewInstance`] (the SLA targets
//!   that apply, with their sources, are an explicit [`SlaTargets`] input),
//!   [`ProcessInstance::advance`] along an outcome, [`ProcessInstance::status`] at an instant.
//! - [`analytics::analyze`]: time per step, breach share, bottlenecks, workload per performer.
//! - [`builtin`]: line lifecycles (drawn from [`crate::lifecycle::TRANSITIONS`]), field visits,
//!   complaints, collections, lead to order; [`ProcessCatalog`] maps interaction kinds to
//!   definitions.
//!
//! Everything here is pure: instants are passed in, business time comes from a
//! [`BusinessClock`] passed in.
//!
//! ## Driving instances from an engine
//!
//! An instance is rebuilt by replaying its inputs ([`ProcessInstance::replay`]): store the
//! [`NewInstance`] of a start command and the [`AdvanceInput`] of every accepted advance.
//! The definition and the calendar are passed to every call by reference (hold definitions
//! in a [`ProcessCatalog`] as `Arc`s); the instance records the definition's id and version
//! and the calendar's id and refuses others. Which SLA target applies is decided by the
//! caller and passed in [`SlaTargets`] with its [`SlaSource`]. A failed advance returns a
//! typed error and changes nothing, so an engine can validate a command by attempting it on
//! a clone or on the live state.

pub mod analytics;
pub mod builtin;
pub mod catalog;
pub mod definition;
pub mod guard;
pub mod instance;
mod render;
pub mod sla;

#[cfg(test)]
mod story;
#[cfg(test)]
mod tests;

pub use analytics::{ProcessReport, analyze};
pub use catalog::ProcessCatalog;
pub use definition::{
    DefinitionSpec, EdgeSpec, EdgeView, Outcome, OutcomeIndex, Performer, ProcessDefinition, Step,
    StepIndex, StepKind,
};
pub use guard::{Comparison, DataValue, Guard, InstanceData};
pub use instance::{AdvanceInput, InstanceStatus, Move, MoveView, NewInstance, ProcessInstance};
pub use sla::{BusinessClock, ResolvedSla, SlaSource, SlaState, SlaStatus, SlaTarget, SlaTargets};
