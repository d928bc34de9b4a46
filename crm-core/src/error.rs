//! The public error type of crm-core.
//!
//! Every fallible public function returns [`Result<T>`]. Errors are typed: a host matches on
//! [`Error`] (or on [`Error::kind`], a flat [`ErrorKind`] that the bindings map to one
//! exception class each) and every message names the offending value.
//!
//! An operation that returns an error changes nothing.

use serde::{Deserialize, Serialize};

/// Result alias used across crm-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The flat classification of an [`Error`]; the bindings raise one exception class per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input that is malformed or out of range.
    Validation,
    /// A referenced entity does not exist.
    NotFound,
    /// An entity with that id already exists.
    AlreadyExists,
    /// A stale expected version, or an idempotency key reused with different content.
    Conflict,
    /// A state machine was asked for a move its current state does not allow.
    InvalidTransition,
    /// Money of two different currencies was combined.
    CurrencyMismatch,
    /// A change that needs the customer's consent was attempted without it.
    ConsentRequired,
    /// A consume, or another action gated by an entitlement, was refused.
    NotEntitled,
    /// A definition (process, decision table, calendar, policy) is not well formed.
    InvalidDefinition,
    /// A JSON document could not be decoded.
    Json,
    /// The event store failed.
    Storage,
    /// An arithmetic result does not fit the exact decimal range.
    Overflow,
}

/// The public error of crm-core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Error {
    /// A value is malformed or out of range.
    #[error("invalid {field}: {reason} (got {value:?})")]
    Validation {
        /// What was being validated, e.g. `customer_id` or `split count`.
        field: String,
        /// The offending value, shortened for display when very long.
        value: String,
        /// Why the value was refused.
        reason: String,
    },
    /// A referenced entity does not exist.
    #[error("{entity} {id:?} not found")]
    NotFound {
        /// The kind of entity, e.g. `customer`.
        entity: String,
        /// The id that was looked up.
        id: String,
    },
    /// An entity with that id already exists.
    #[error("{entity} {id:?} already exists")]
    AlreadyExists {
        /// The kind of entity, e.g. `agreement`.
        entity: String,
        /// The duplicated id.
        id: String,
    },
    /// The expected version of an aggregate is stale.
    #[error("version conflict on {stream}: expected version {expected}, current version {actual}")]
    VersionConflict {
        /// The aggregate (stream) whose version was checked.
        stream: String,
        /// The version the caller expected.
        expected: u64,
        /// The version the engine holds.
        actual: u64,
    },
    /// An idempotency key was reused for a command with different content.
    #[error("idempotency key {key:?} was already used for a different command")]
    IdempotencyConflict {
        /// The reused key.
        key: String,
    },
    /// A state machine refused a move.
    #[error("cannot {action} {entity} {id:?} in state {state}")]
    InvalidTransition {
        /// The kind of entity, e.g. `agreement line`.
        entity: String,
        /// Its id.
        id: String,
        /// The state it is in.
        state: String,
        /// The action that was refused.
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
    /// A consume or gated action was refused; the reasons say why.
    #[error("not entitled to {what}: {}", reasons.join("; "))]
    NotEntitled {
        /// What was asked for.
        what: String,
        /// Why it was refused, one line each.
        reasons: Vec<String>,
    },
    /// A definition is not well formed; every problem found is listed.
    #[error("invalid {what}: {}", list_problems(problems))]
    InvalidDefinition {
        /// What was being built, e.g. `process definition "complaint"`.
        what: String,
        /// Every problem found, one line each.
        problems: Vec<String>,
    },
    /// A JSON document could not be decoded.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// What the decoder reported.
        message: String,
        /// 1-based line, 0 when unknown.
        line: u64,
        /// 1-based column, 0 when unknown.
        column: u64,
    },
    /// The event store failed.
    #[error("storage error: {message}")]
    Storage {
        /// What the store reported.
        message: String,
    },
    /// An arithmetic result does not fit the exact decimal range.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// The operation that overflowed.
        operation: String,
    },
}

/// Longest value quoted verbatim in an error message; longer values are shortened.
const MAX_QUOTED: usize = 120;

/// How many problems the message of [`Error::InvalidDefinition`] lists (the error keeps all).
const MAX_LISTED: usize = 20;

/// The problems of a definition for a message: the first [`MAX_LISTED`], then how many more.
fn list_problems(problems: &[String]) -> String {
    let mut s = problems
        .iter()
        .take(MAX_LISTED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > MAX_LISTED {
        s.push_str(&format!("; and {} more", problems.len() - MAX_LISTED));
    }
    s
}

impl Error {
    /// The flat kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation { .. } => ErrorKind::Validation,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::VersionConflict { .. } | Error::IdempotencyConflict { .. } => {
                ErrorKind::Conflict
            }
            Error::InvalidTransition { .. } => ErrorKind::InvalidTransition,
            Error::CurrencyMismatch { .. } => ErrorKind::CurrencyMismatch,
            Error::ConsentRequired { .. } => ErrorKind::ConsentRequired,
            Error::NotEntitled { .. } => ErrorKind::NotEntitled,
            Error::InvalidDefinition { .. } => ErrorKind::InvalidDefinition,
            Error::Json { .. } => ErrorKind::Json,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Overflow { .. } => ErrorKind::Overflow,
        }
    }

    /// A validation error for `field` with the offending `value` and the `reason`.
    pub fn validation(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::Validation {
            field: field.into(),
            value: shorten(&value.to_string()),
            reason: reason.into(),
        }
    }

    /// A not-found error for an entity kind and id.
    pub fn not_found(entity: impl Into<String>, id: impl std::fmt::Display) -> Self {
        Error::NotFound {
            entity: entity.into(),
            id: shorten(&id.to_string()),
        }
    }

    /// An already-exists error for an entity kind and id.
    pub fn already_exists(entity: impl Into<String>, id: impl std::fmt::Display) -> Self {
        Error::AlreadyExists {
            entity: entity.into(),
            id: shorten(&id.to_string()),
        }
    }

    /// An invalid-transition error.
    pub fn invalid_transition(
        entity: impl Into<String>,
        id: impl std::fmt::Display,
        state: impl std::fmt::Display,
        action: impl std::fmt::Display,
    ) -> Self {
        Error::InvalidTransition {
            entity: entity.into(),
            id: shorten(&id.to_string()),
            state: state.to_string(),
            action: action.to_string(),
        }
    }

    /// An overflow error for the named operation.
    pub fn overflow(operation: impl Into<String>) -> Self {
        Error::Overflow {
            operation: operation.into(),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json {
            message: shorten(&e.to_string()),
            line: e.line() as u64,
            column: e.column() as u64,
        }
    }
}

/// Shortens a value for quoting in an error message, on a character boundary.
pub(crate) fn shorten(s: &str) -> String {
    if s.len() <= MAX_QUOTED {
        return s.to_string();
    }
    let mut end = MAX_QUOTED;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", s.get(..end).unwrap_or_default(), s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_shortened_in_messages() {
        let big = "x".repeat(10_000);
        let e = Error::validation("name", &big, "too long");
        let msg = e.to_string();
        assert!(msg.len() < 300, "{msg}");
        assert!(msg.contains("10000 bytes"));
        assert_eq!(e.kind(), ErrorKind::Validation);
    }

    #[test]
    fn definition_messages_list_at_most_twenty_problems() {
        let e = Error::InvalidDefinition {
            what: "business calendar \"x\"".into(),
            problems: (0..100_000).map(|i| format!("problem {i}")).collect(),
        };
        let msg = e.to_string();
        assert!(msg.ends_with("problem 19; and 99980 more"), "{msg}");
        assert!(msg.len() < 400, "{msg}");
    }

    #[test]
    fn shorten_respects_char_boundaries() {
        let s = "é".repeat(200);
        let out = shorten(&s);
        assert!(out.starts_with('é'));
    }

    /// docs/errors.md documents every variant with an example whose message is checked.
    #[test]
    fn every_variant_is_documented_with_its_message() {
        const PAGE: &str = include_str!("../../docs/errors.md");
        let mut documented = Vec::new();
        let mut lines = PAGE.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() != "```json" {
                continue;
            }
            let json = lines.next().unwrap();
            assert_eq!(lines.next().unwrap().trim(), "```");
            let message = lines.next().unwrap().trim_start_matches("> ");
            let e: Error = serde_json::from_str(json).unwrap();
            assert_eq!(e.to_string(), message);
            documented.push(e);
        }
        let tag = |e: &Error| match e {
            // An exhaustive match: a new variant does not compile until it is listed here, and
            // the assertion below then wants an example of it on the page.
            Error::Validation { .. } => "validation",
            Error::NotFound { .. } => "not_found",
            Error::AlreadyExists { .. } => "already_exists",
            Error::VersionConflict { .. } => "version_conflict",
            Error::IdempotencyConflict { .. } => "idempotency_conflict",
            Error::InvalidTransition { .. } => "invalid_transition",
            Error::CurrencyMismatch { .. } => "currency_mismatch",
            Error::ConsentRequired { .. } => "consent_required",
            Error::NotEntitled { .. } => "not_entitled",
            Error::InvalidDefinition { .. } => "invalid_definition",
            Error::Json { .. } => "json",
            Error::Storage { .. } => "storage",
            Error::Overflow { .. } => "overflow",
        };
        let tags: Vec<&str> = documented.iter().map(tag).collect();
        for t in [
            "validation",
            "not_found",
            "already_exists",
            "version_conflict",
            "idempotency_conflict",
            "invalid_transition",
            "currency_mismatch",
            "consent_required",
            "not_entitled",
            "invalid_definition",
            "json",
            "storage",
            "overflow",
        ] {
            assert!(tags.contains(&t), "docs/errors.md has no example of {t}");
        }
    }

    #[test]
    fn errors_round_trip_through_json() {
        let e = Error::VersionConflict {
            stream: "agreement:A1".into(),
            expected: 2,
            actual: 3,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"kind\":\"version_conflict\""));
        let back: Error = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }
}
