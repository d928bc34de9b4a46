//! The one error type of the Kotlin and Swift bindings, and its single conversion point from
//! crm-core's [`crm_core::Error`].
//!
//! One variant per [`crm_core::ErrorKind`] (Kotlin: one `CrmException` subclass each), with the
//! structured fields of the core error, plus `Internal` for a panic caught at the boundary.
//! Every core variant also carries `detail`, the core error's own `to_string()`, and displays
//! it: the message formats live in crm-core only. No field is called `message`: Kotlin
//! exceptions already have one (uniffi builds it from the fields).

use std::any::Any;

/// An error raised by crm-core, as Kotlin (`CrmException`) and Swift (`CrmError`) see it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum CrmError {
    /// A value is malformed or out of range.
    #[error("{detail}")]
    Validation {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// What was being validated.
        field: String,
        /// The offending value.
        value: String,
        /// Why the value was refused.
        reason: String,
    },
    /// A referenced entity does not exist.
    #[error("{detail}")]
    NotFound {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// The kind of entity.
        entity: String,
        /// The id looked up.
        id: String,
    },
    /// An entity with that id already exists.
    #[error("{detail}")]
    AlreadyExists {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// The kind of entity.
        entity: String,
        /// The duplicated id.
        id: String,
    },
    /// A stale expected version (`stream`, `expected`, `actual` set) or an idempotency key reused
    /// with different content (`key` set).
    #[error("{detail}")]
    Conflict {
        /// The aggregate whose version was checked, for a version conflict.
        stream: Option<String>,
        /// The version the caller expected, for a version conflict.
        expected: Option<i64>,
        /// The version the engine holds, for a version conflict.
        actual: Option<i64>,
        /// The reused idempotency key, for an idempotency conflict.
        key: Option<String>,
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
    },
    /// A state machine refused a move.
    #[error("{detail}")]
    InvalidTransition {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// The kind of entity.
        entity: String,
        /// Its id.
        id: String,
        /// The state it is in.
        state: String,
        /// The action refused.
        action: String,
    },
    /// Money of two currencies was combined.
    #[error("{detail}")]
    CurrencyMismatch {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// The currency of the left operand.
        left: String,
        /// The currency of the right operand.
        right: String,
    },
    /// A change that needs the customer's consent was attempted without it.
    #[error("{detail}")]
    ConsentRequired {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// What needed consent.
        what: String,
    },
    /// A gated action was refused; the reasons say why.
    #[error("{detail}")]
    NotEntitled {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// What was asked for.
        what: String,
        /// Why it was refused.
        reasons: Vec<String>,
    },
    /// A definition is not well formed.
    #[error("{detail}")]
    InvalidDefinition {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// What was being built.
        what: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// A JSON document could not be decoded.
    #[error("{detail}")]
    Json {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// What the decoder reported (the core's `message`; Kotlin reserves that name).
        reason: String,
        /// 1-based line, 0 when unknown.
        line: i64,
        /// 1-based column, 0 when unknown.
        column: i64,
    },
    /// The event store failed.
    #[error("{detail}")]
    Storage {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// What the store reported (the core's `message`; Kotlin reserves that name).
        reason: String,
    },
    /// An arithmetic result does not fit the exact decimal range.
    #[error("{detail}")]
    Overflow {
        /// The core's message, as crm-core's `Display` writes it.
        detail: String,
        /// The operation that overflowed.
        operation: String,
    },
    /// A bug inside the library (a caught panic, a poisoned lock, an unmapped variant).
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong.
        reason: String,
    },
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The single conversion point from the core error.
impl From<crm_core::Error> for CrmError {
    fn from(e: crm_core::Error) -> Self {
        use crm_core::Error as E;
        let detail = e.to_string();
        match e {
            E::Validation {
                field,
                value,
                reason,
            } => CrmError::Validation {
                field,
                value,
                reason,
                detail,
            },
            E::NotFound { entity, id } => CrmError::NotFound { entity, id, detail },
            E::AlreadyExists { entity, id } => CrmError::AlreadyExists { entity, id, detail },
            E::VersionConflict {
                stream,
                expected,
                actual,
            } => CrmError::Conflict {
                stream: Some(stream),
                expected: Some(signed(expected)),
                actual: Some(signed(actual)),
                key: None,
                detail,
            },
            E::IdempotencyConflict { key } => CrmError::Conflict {
                stream: None,
                expected: None,
                actual: None,
                key: Some(key),
                detail,
            },
            E::InvalidTransition {
                entity,
                id,
                state,
                action,
            } => CrmError::InvalidTransition {
                entity,
                id,
                state,
                action,
                detail,
            },
            E::CurrencyMismatch { left, right } => CrmError::CurrencyMismatch {
                left,
                right,
                detail,
            },
            E::ConsentRequired { what } => CrmError::ConsentRequired { what, detail },
            E::NotEntitled { what, reasons } => CrmError::NotEntitled {
                what,
                reasons,
                detail,
            },
            E::InvalidDefinition { what, problems } => CrmError::InvalidDefinition {
                what,
                problems,
                detail,
            },
            E::Json {
                message,
                line,
                column,
            } => CrmError::Json {
                reason: message,
                line: signed(line),
                column: signed(column),
                detail,
            },
            E::Storage { message } => CrmError::Storage {
                reason: message,
                detail,
            },
            E::Overflow { operation } => CrmError::Overflow { operation, detail },
            #[allow(unreachable_patterns, reason = "crm_core::Error is non_exhaustive")]
            _ => CrmError::Internal {
                reason: format!("unmapped core error: {detail}"),
            },
        }
    }
}

impl CrmError {
    /// The error for a panic payload caught by [`crate::guard`].
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a non-text payload".to_string());
        CrmError::Internal {
            reason: format!("panic: {text}"),
        }
    }

    /// The error for a lock poisoned by an earlier panic.
    pub(crate) fn poisoned() -> Self {
        CrmError::Internal {
            reason: "state lock poisoned by an earlier panic".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_keep_their_fields() {
        let e = CrmError::from(crm_core::Error::VersionConflict {
            stream: "agreement:A1".into(),
            expected: 2,
            actual: 3,
        });
        assert!(matches!(
            e,
            CrmError::Conflict { expected: Some(2), actual: Some(3), ref stream, .. }
                if stream.as_deref() == Some("agreement:A1")
        ));
    }

    #[test]
    fn every_variant_displays_the_core_message() {
        let core = crm_core::Error::validation("amount", "1.005", "too many decimals");
        let text = core.to_string();
        let e = CrmError::from(core);
        assert_eq!(e.to_string(), text);
        assert!(matches!(e, CrmError::Validation { ref detail, .. } if *detail == text));
    }
}
