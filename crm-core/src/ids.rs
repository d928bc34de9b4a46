//! Typed identifiers supplied by the host.
//!
//! Each kind of entity has its own id type, so a [`CustomerId`] can never be passed where an
//! [`AgreementId`] is expected. An id is non-empty, at most [`MAX_ID_LEN`] bytes long, has no
//! leading or trailing white space and contains only printable characters. Ids serialize as
//! plain JSON strings and are validated again when deserialized.
//!
//! An id up to 23 bytes long is stored inline (no heap allocation); a longer one is shared
//! behind a reference count. Cloning an id is therefore a copy of 24 bytes, never an
//! allocation, so records that cite an id (a usage citing its entitlement, an application
//! citing its charge) cost no extra memory or allocator work.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::fmt;

/// The longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// Checks the rules every id follows; `kind` names the id type in the error.
pub fn validate_id(kind: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::validation(kind, value, "an id must not be empty"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(Error::validation(
            kind,
            value,
            format!("an id must be at most {MAX_ID_LEN} bytes long"),
        ));
    }
    if value.trim() != value {
        return Err(Error::validation(
            kind,
            value,
            "an id must not start or end with white space",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::validation(
            kind,
            value.escape_default(),
            "an id must contain only printable characters",
        ));
    }
    Ok(())
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(SmolStr);

        impl $name {
            /// The name of this id type in error messages.
            pub const KIND: &'static str = $kind;

            /// Validates and wraps a host-supplied id.
            pub fn new(value: impl Into<String>) -> Result<Self> {
                let value = value.into();
                validate_id($kind, &value)?;
                Ok(Self(SmolStr::from(value)))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self> {
                Self::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(value: &str) -> Result<Self> {
                validate_id($kind, value)?;
                Ok(Self(SmolStr::new(value)))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.into()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::try_from(s)
            }
        }
    };
}

define_id!(
    /// Identifies a customer.
    CustomerId,
    "customer_id"
);
define_id!(
    /// Identifies a channel partner (agent, dealer, reseller, service provider).
    PartnerId,
    "partner_id"
);
define_id!(
    /// Identifies an offering in the catalog.
    OfferingId,
    "offering_id"
);
define_id!(
    /// Identifies an agreement.
    AgreementId,
    "agreement_id"
);
define_id!(
    /// Identifies a line of an agreement.
    LineId,
    "line_id"
);
define_id!(
    /// Identifies an installed asset (a device, a router) of a physical-product line.
    AssetId,
    "asset_id"
);
define_id!(
    /// Identifies an entitlement granted by an agreement line.
    EntitlementId,
    "entitlement_id"
);
define_id!(
    /// Identifies a payment plan.
    PlanId,
    "plan_id"
);
define_id!(
    /// Identifies a charge generated from a payment plan.
    ChargeId,
    "charge_id"
);
define_id!(
    /// Identifies a payment received.
    PaymentId,
    "payment_id"
);
define_id!(
    /// Identifies a ledger entry that is not a payment or a charge: a credit, an adjustment or
    /// a write-off.
    EntryId,
    "entry_id"
);
define_id!(
    /// Identifies an approved exception.
    ExceptionId,
    "exception_id"
);
define_id!(
    /// Identifies a commitment (a promise made to a customer).
    CommitmentId,
    "commitment_id"
);
define_id!(
    /// Identifies an interaction (a contact on any channel).
    InteractionId,
    "interaction_id"
);
define_id!(
    /// Identifies a process definition.
    DefinitionId,
    "definition_id"
);
define_id!(
    /// Identifies a process instance.
    InstanceId,
    "instance_id"
);
define_id!(
    /// Identifies a business calendar.
    CalendarId,
    "calendar_id"
);
define_id!(
    /// Identifies a usage record of an entitlement (the host's request id).
    UsageId,
    "usage_id"
);
define_id!(
    /// Identifies a person or system acting (an employee, a queue, a handler).
    ActorId,
    "actor_id"
);

/// The name of every id type (its `KIND`), for hosts and bindings that validate an id by kind.
pub const ID_KINDS: &[&str] = &[
    CustomerId::KIND,
    PartnerId::KIND,
    OfferingId::KIND,
    AgreementId::KIND,
    LineId::KIND,
    AssetId::KIND,
    EntitlementId::KIND,
    PlanId::KIND,
    ChargeId::KIND,
    PaymentId::KIND,
    EntryId::KIND,
    ExceptionId::KIND,
    CommitmentId::KIND,
    InteractionId::KIND,
    DefinitionId::KIND,
    InstanceId::KIND,
    CalendarId::KIND,
    UsageId::KIND,
    ActorId::KIND,
];

/// Checks `value` as an id of the named `kind` (one of [`ID_KINDS`], e.g. `customer_id`); an
/// unknown kind is a validation error like a bad value.
pub fn validate_id_of_kind(kind: &str, value: &str) -> Result<()> {
    if !ID_KINDS.contains(&kind) {
        return Err(Error::validation(
            "id kind",
            kind,
            format!("not one of {}", ID_KINDS.join(", ")),
        ));
    }
    validate_id(kind, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_listed_once_and_checked() {
        for (i, k) in ID_KINDS.iter().enumerate() {
            assert!(!ID_KINDS.iter().skip(i + 1).any(|o| o == k), "{k}");
            assert!(validate_id_of_kind(k, "X-1").is_ok());
        }
        assert!(validate_id_of_kind("planet_id", "X-1").is_err());
        assert!(validate_id_of_kind("customer_id", "").is_err());
    }

    #[test]
    fn valid_ids_round_trip() {
        let id = CustomerId::new("C-001").unwrap();
        assert_eq!(id.as_str(), "C-001");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"C-001\"");
        let back: CustomerId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn bad_ids_are_typed_errors() {
        for bad in ["", " x", "x ", "a\u{0}b", "tab\there"] {
            let err = CustomerId::new(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Validation, "{bad:?}");
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        assert!(AgreementId::new(long).is_err());
        assert!(AgreementId::new("x".repeat(MAX_ID_LEN)).is_ok());
    }

    #[test]
    fn deserializing_a_bad_id_fails() {
        assert!(serde_json::from_str::<CustomerId>("\"\"").is_err());
    }

    #[test]
    fn error_names_the_id_kind() {
        let err = LineId::new("").unwrap_err();
        assert!(err.to_string().contains("line_id"), "{err}");
    }
}
