//! The lifecycle of agreement lines, as one table of transitions.
//!
//! [`TRANSITIONS`] is the single source of truth: the agreement engine validates every line
//! action against it, and the process module draws the built-in lifecycle definitions from it.
//!
//! A **service line** moves created → pending activation → active ⇄ suspended → pending
//! termination → terminated. Collections may restrict an active line (and lift the
//! restriction); renewal keeps an active line active and extends the term.
//!
//! A **physical product line** moves ordered → installed → removed; replacing the installed
//! asset keeps the line installed, with the previous asset kept in the line's history.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a line is a service or a physical product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A service (a mobile line, a health plan).
    Service,
    /// A physical product (a device, a router) with an installed asset.
    PhysicalProduct,
}

/// Where a line is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LineStatus {
    /// Service: sold, not yet requested for activation.
    Created,
    /// Service: activation requested, waiting for the delivering system.
    PendingActivation,
    /// Service: in use.
    Active,
    /// Service: suspended (at the customer's or the organisation's request).
    Suspended,
    /// Service: restricted by collections for non-payment.
    Restricted,
    /// Service: termination requested, waiting for the delivering system.
    PendingTermination,
    /// Service: ended. Final.
    Terminated,
    /// Physical product: ordered, not yet installed.
    Ordered,
    /// Physical product: installed at the customer.
    Installed,
    /// Physical product: removed. Final.
    Removed,
}

impl LineStatus {
    /// The snake_case name used in JSON and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Created => "created",
            LineStatus::PendingActivation => "pending_activation",
            LineStatus::Active => "active",
            LineStatus::Suspended => "suspended",
            LineStatus::Restricted => "restricted",
            LineStatus::PendingTermination => "pending_termination",
            LineStatus::Terminated => "terminated",
            LineStatus::Ordered => "ordered",
            LineStatus::Installed => "installed",
            LineStatus::Removed => "removed",
        }
    }

    /// True for states no action leaves.
    pub fn is_final(self) -> bool {
        matches!(self, LineStatus::Terminated | LineStatus::Removed)
    }

    /// The state a new line of `kind` starts in.
    pub fn initial(kind: LineKind) -> LineStatus {
        match kind {
            LineKind::Service => LineStatus::Created,
            LineKind::PhysicalProduct => LineStatus::Ordered,
        }
    }
}

impl fmt::Display for LineStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LineAction {
    /// Ask the delivering system to activate the service.
    RequestActivation,
    /// The service is active.
    Activate,
    /// Suspend the service.
    Suspend,
    /// Resume a suspended service.
    Resume,
    /// Restrict the service for non-payment (collections).
    Restrict,
    /// Lift a collections restriction.
    LiftRestriction,
    /// Ask the delivering system to terminate the service.
    RequestTermination,
    /// Withdraw a termination request; the service stays active.
    CancelTermination,
    /// The service has ended.
    Terminate,
    /// Renew the service: the line stays active and the term is extended.
    Renew,
    /// Install the physical product (an asset).
    Install,
    /// Replace the installed asset with a new one.
    Replace,
    /// Remove the physical product.
    Remove,
}

impl LineAction {
    /// The snake_case name used in JSON and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LineAction::RequestActivation => "request_activation",
            LineAction::Activate => "activate",
            LineAction::Suspend => "suspend",
            LineAction::Resume => "resume",
            LineAction::Restrict => "restrict",
            LineAction::LiftRestriction => "lift_restriction",
            LineAction::RequestTermination => "request_termination",
            LineAction::CancelTermination => "cancel_termination",
            LineAction::Terminate => "terminate",
            LineAction::Renew => "renew",
            LineAction::Install => "install",
            LineAction::Replace => "replace",
            LineAction::Remove => "remove",
        }
    }
}

impl fmt::Display for LineAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One allowed move: in `from`, `action` takes a line of `kind` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The kind of line this move applies to.
    pub kind: LineKind,
    /// The state before.
    pub from: LineStatus,
    /// The action.
    pub action: LineAction,
    /// The state after.
    pub to: LineStatus,
}

const fn t(kind: LineKind, from: LineStatus, action: LineAction, to: LineStatus) -> Transition {
    Transition {
        kind,
        from,
        action,
        to,
    }
}

use LineAction as A;
use LineKind::{PhysicalProduct as P, Service as S};
use LineStatus as St;

/// Every allowed line move. Anything not listed is an invalid transition.
pub const TRANSITIONS: &[Transition] = &[
    t(S, St::Created, A::RequestActivation, St::PendingActivation),
    t(S, St::PendingActivation, A::Activate, St::Active),
    t(S, St::Active, A::Suspend, St::Suspended),
    t(S, St::Suspended, A::Resume, St::Active),
    t(S, St::Active, A::Restrict, St::Restricted),
    t(S, St::Suspended, A::Restrict, St::Restricted),
    t(S, St::Restricted, A::LiftRestriction, St::Active),
    t(S, St::Active, A::RequestTermination, St::PendingTermination),
    t(
        S,
        St::Suspended,
        A::RequestTermination,
        St::PendingTermination,
    ),
    t(
        S,
        St::Restricted,
        A::RequestTermination,
        St::PendingTermination,
    ),
    t(S, St::PendingTermination, A::CancelTermination, St::Active),
    t(S, St::PendingTermination, A::Terminate, St::Terminated),
    t(S, St::Active, A::Renew, St::Active),
    t(P, St::Ordered, A::Install, St::Installed),
    t(P, St::Installed, A::Replace, St::Installed),
    t(P, St::Installed, A::Remove, St::Removed),
    t(P, St::Ordered, A::Remove, St::Removed),
];

/// The state `action` takes a line of `kind` in `from` to, or `None` when the table has no
/// such move.
pub fn next_status(kind: LineKind, from: LineStatus, action: LineAction) -> Option<LineStatus> {
    TRANSITIONS
        .iter()
        .find(|t| t.kind == kind && t.from == from && t.action == action)
        .map(|t| t.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicate_moves() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in TRANSITIONS.iter().skip(i + 1) {
                assert!(
                    !(a.kind == b.kind && a.from == b.from && a.action == b.action),
                    "duplicate {a:?}"
                );
            }
        }
    }

    #[test]
    fn final_states_have_no_moves_out() {
        assert!(
            TRANSITIONS.iter().all(|t| !t.from.is_final()),
            "a final state has a move out"
        );
    }

    #[test]
    fn happy_paths() {
        let mut s = LineStatus::initial(LineKind::Service);
        for a in [
            A::RequestActivation,
            A::Activate,
            A::Suspend,
            A::Resume,
            A::Renew,
        ] {
            s = next_status(S, s, a).unwrap();
        }
        assert_eq!(s, St::Active);
        assert_eq!(next_status(S, St::Active, A::Install), None);
        assert_eq!(next_status(S, St::Terminated, A::Activate), None);
        assert_eq!(
            next_status(P, St::Installed, A::Replace),
            Some(St::Installed)
        );
    }
}
