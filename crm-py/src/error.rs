//! The single conversion point from crm-core's [`crm_core::Error`] to a Python exception.
//!
//! The orphan rule forbids `From<crm_core::Error> for PyErr`, so errors pass through the
//! newtype [`PyCrmError`]. It raises the class of `crm_core.errors` named by [`class_name`]
//! with three arguments: the message, the error's serde JSON as a dict (`.details`) and the
//! flat kind tag (`.kind`); the Python class turns the details into attributes (`.field`,
//! `.value`, `.reason`, ...).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;
use std::any::Any;

/// An error on its way to Python.
#[derive(Debug)]
pub enum PyCrmError {
    /// An error returned by crm-core.
    Core(crm_core::Error),
    /// A bug inside the library: a caught panic or a poisoned lock (`InternalError`).
    Internal(String),
}

impl PyCrmError {
    /// The error for a panic payload caught by [`crate::guard`].
    pub fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with a non-text payload".to_string());
        PyCrmError::Internal(format!("panic: {text}"))
    }

    /// The error for a lock poisoned by an earlier panic.
    pub fn poisoned() -> Self {
        PyCrmError::Internal("state lock poisoned by an earlier panic".into())
    }
}

/// The `crm_core.errors` class raised for a core error.
pub fn class_name(e: &crm_core::Error) -> &'static str {
    use crm_core::Error as E;
    match e {
        E::Validation { .. } => "ValidationError",
        E::NotFound { .. } => "NotFoundError",
        E::AlreadyExists { .. } => "AlreadyExistsError",
        E::VersionConflict { .. } => "VersionConflictError",
        E::IdempotencyConflict { .. } => "IdempotencyConflictError",
        E::InvalidTransition { .. } => "InvalidTransitionError",
        E::CurrencyMismatch { .. } => "CurrencyMismatchError",
        E::ConsentRequired { .. } => "ConsentRequiredError",
        E::NotEntitled { .. } => "NotEntitledError",
        E::InvalidDefinition { .. } => "InvalidDefinitionError",
        E::Json { .. } => "JsonError",
        E::Storage { .. } => "StorageError",
        E::Overflow { .. } => "OverflowError",
        // A variant added to the core later: still a CrmError, by its flat kind.
        #[allow(unreachable_patterns, reason = "crm_core::Error is non_exhaustive")]
        _ => "CrmError",
    }
}

/// The JSON tag of the error's flat kind (`validation`, `conflict`, ...).
pub fn kind_tag(e: &crm_core::Error) -> String {
    match serde_json::to_value(e.kind()) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".to_string(),
    }
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    ERRORS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("crm_core.errors")?.unbind())
        })
        .map(|m| m.bind(py))
}

fn to_pyerr(py: Python<'_>, e: PyCrmError) -> PyResult<PyErr> {
    let errors = errors_module(py)?;
    let (class, message, details, kind) = match e {
        PyCrmError::Core(e) => {
            let details = serde_json::to_value(&e)
                .unwrap_or_else(|_| serde_json::json!({ "kind": "unknown" }));
            (class_name(&e), e.to_string(), details, kind_tag(&e))
        }
        PyCrmError::Internal(reason) => (
            "InternalError",
            format!("internal error: {reason}"),
            serde_json::json!({ "kind": "internal", "reason": reason }),
            "internal".to_string(),
        ),
    };
    let json_text = serde_json::to_string(&details).unwrap_or_else(|_| "{}".into());
    let details = py.import("json")?.call_method1("loads", (json_text,))?;
    let instance = errors.getattr(class)?.call1((message, details, kind))?;
    Ok(PyErr::from_value(instance))
}

impl From<PyCrmError> for PyErr {
    fn from(e: PyCrmError) -> PyErr {
        Python::attach(|py| to_pyerr(py, e).unwrap_or_else(|err| err))
    }
}
