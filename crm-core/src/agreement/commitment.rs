//! Commitments: promises made to a customer, with a maker, a responsible party and a due time.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, AgreementId, CommitmentId, CustomerId, PartnerId};
use crate::party::validate_text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A party that makes or is responsible for a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PartyRef {
    /// A unit of the organisation (first line, back office, field service ...).
    Organisation {
        /// The unit.
        unit: String,
    },
    /// An employee.
    Employee {
        /// The employee.
        employee: ActorId,
    },
    /// A channel partner.
    Partner {
        /// The partner.
        partner: PartnerId,
    },
    /// The customer (e.g. a promise to return a loan device).
    Customer {
        /// The customer.
        customer: CustomerId,
    },
}

impl fmt::Display for PartyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartyRef::Organisation { unit } => write!(f, "organisation unit {unit}"),
            PartyRef::Employee { employee } => write!(f, "employee {employee}"),
            PartyRef::Partner { partner } => write!(f, "partner {partner}"),
            PartyRef::Customer { customer } => write!(f, "customer {customer}"),
        }
    }
}

/// Where a commitment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentState {
    /// Not yet kept; overdue once its due time has passed.
    Open,
    /// Kept (possibly late: compare `closed_at` with `due_at`).
    Kept,
    /// Broken.
    Broken,
    /// Cancelled (no longer owed).
    Cancelled,
}

impl fmt::Display for CommitmentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CommitmentState::Open => "open",
            CommitmentState::Kept => "kept",
            CommitmentState::Broken => "broken",
            CommitmentState::Cancelled => "cancelled",
        })
    }
}

/// A promise made to a customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// The host's id.
    pub id: CommitmentId,
    /// The customer it was made to.
    pub customer: CustomerId,
    /// The agreement it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// What was promised.
    pub description: String,
    /// Who made the promise.
    pub made_by: PartyRef,
    /// Who must keep it.
    pub responsible: PartyRef,
    /// When it was made.
    pub made_at: Instant,
    /// When it is due.
    pub due_at: Instant,
    /// Where it stands.
    pub state: CommitmentState,
    /// When it was kept, broken or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Instant>,
    /// Why it was broken or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
}

impl Commitment {
    /// Checks texts, parties and that it is due after it was made.
    pub fn validate(&self) -> Result<()> {
        validate_text("commitment description", &self.description, true)?;
        for p in [&self.made_by, &self.responsible] {
            if let PartyRef::Organisation { unit } = p {
                validate_text("organisation unit", unit, true)?;
            }
        }
        if self.due_at < self.made_at {
            return Err(Error::validation(
                "due_at",
                self.due_at,
                format!("is before the commitment was made ({})", self.made_at),
            ));
        }
        Ok(())
    }

    /// Open and past its due time at `at`.
    pub fn is_overdue(&self, at: Instant) -> bool {
        self.state == CommitmentState::Open && at > self.due_at
    }

    /// Kept after its due time.
    pub fn was_kept_late(&self) -> bool {
        self.state == CommitmentState::Kept && self.closed_at.is_some_and(|c| c > self.due_at)
    }
}
