//! The one error type of the Kotlin and Swift bindings, and its single conversion point from
//! crm-core's [`crm_core::Error`].
//!
//! One variant per [`crm_core::ErrorKind`] (Kotlin: one `CrmException` subclass each), with the
//! structured fields of the core error, plus `Internal` for a panic caught at the boundary.
//! No field is called `message`: Kotlin exceptions already have one (built from the fields).

use std::any::Any;

/// An error raised by crm-core, as Kotlin (`CrmException`) and Swift (`CrmError`) see it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum CrmError {
    /// A value is malformed or out of range.
    #[error("invalid {field}: {reason} (got {value:?})")]
    Validation {
        /// What was being validated.
        field: String,
        /// The offending value.
        value: String,
        /// Why the value was refused.
        reason: String,
    },
    /// A referenced entity does not exist.
    #[error("{entity} {id:?} not found")]
    NotFound {
        /// The kind of entity.
        entity: String,
        /// The id looked up.
        id: String,
    },
    /// An entity with that id already exists.
    #[error("{entity} {id:?} already exists")]
    AlreadyExists {
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
        /// The full description.
        detail: String,
    },
    /// A state machine refused a move.
    #[error("cannot {action} {entity} {id:?} in state {state}")]
    InvalidTransition {
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
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: String,
        /// The currency of the right operand.
        right: String,
    },
    /// A change that needs the customer's consent was attempted without it.
    #[error("{what} needs the customer's consent")]
    ConsentRequired {
        /// What needed consent.
        what: String,
    },
    /// A gated action was refused; the reasons say why.
    #[error("not entitled to {what}: {}", reasons.join("; "))]
    NotEntitled {
        /// What was asked for.
        what: String,
        /// Why it was refused.
        reasons: Vec<String>,
    },
    /// A definition is not well formed.
    #[error("invalid {what}: {}", problems.join("; "))]
    InvalidDefinition {
        /// What was being built.
        what: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// A JSON document could not be decoded.
    #[error("invalid JSON at line {line}, column {column}: {detail}")]
    Json {
        /// What the decoder reported.
        detail: String,
        /// 1-based line, 0 when unknown.
        line: i64,
        /// 1-based column, 0 when unknown.
        column: i64,
    },
    /// The event store failed.
    #[error("storage error: {detail}")]
    Storage {
        /// What the store reported.
        detail: String,
    },
    /// An arithmetic result does not fit the exact decimal range.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
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
            },
            E::NotFound { entity, id } => CrmError::NotFound { entity, id },
            E::AlreadyExists { entity, id } => CrmError::AlreadyExists { entity, id },
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
            },
            E::CurrencyMismatch { left, right } => CrmError::CurrencyMismatch { left, right },
            E::ConsentRequired { what } => CrmError::ConsentRequired { what },
            E::NotEntitled { what, reasons } => CrmError::NotEntitled { what, reasons },
            E::InvalidDefinition { what, problems } => {
                CrmError::InvalidDefinition { what, problems }
            }
            E::Json {
                message,
                line,
                column,
            } => CrmError::Json {
                detail: message,
                line: signed(line),
                column: signed(column),
            },
            E::Storage { message } => CrmError::Storage { detail: message },
            E::Overflow { operation } => CrmError::Overflow { operation },
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
}
