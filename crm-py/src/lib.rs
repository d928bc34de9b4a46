//! Python binding of crm-core (pyo3 + maturin): the native module `crm_core._crm_core`.
//!
//! This crate is thin: it converts types and errors; every rule lives in crm-core. Conventions
//! every export follows (see `docs/bindings.md`):
//!
//! - every exported function and method runs its body inside [`guard`], so a Rust panic reaches
//!   Python as `crm_core.InternalError` (a `CrmError`), never as pyo3's `PanicException`;
//! - a core error goes through [`PyCrmError`], the single conversion point, and is raised as the
//!   `crm_core.errors` class of its kind, carrying the error's serde JSON as `.details`;
//! - amounts are `decimal.Decimal` (also `int` and `str`, parsed exactly); a `float` is a
//!   `TypeError`; instants are aware `datetime` (a naive one is a `ValidationError`);
//! - enumerations cross as their JSON tag and come out as the `crm_core.enums` members.

use crm_core::lifecycle as core_lifecycle;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString, PyType};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

mod calendar;
mod engine;
mod error;
mod obligation;
mod policy;
mod process;
mod registry;
mod value;

pub use engine::Crm;
pub use error::PyCrmError;

/// Runs `f` at the boundary: a panic inside becomes `crm_core.InternalError`. Every export
/// goes through here.
pub fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(PyCrmError::from_panic(payload).into()))
}

/// Converts a core result, raising the `crm_core.errors` class of the error's kind.
fn core<T>(r: crm_core::Result<T>) -> PyResult<T> {
    r.map_err(|e| PyCrmError::Core(e).into())
}

/// A core value as its JSON (the JSON contract), for building Python records from it.
fn json<T: serde::Serialize>(v: &T) -> PyResult<serde_json::Value> {
    core(serde_json::to_value(v).map_err(crm_core::Error::from))
}

// ---------------------------------------------------------------------------------------------
// Argument conversions
// ---------------------------------------------------------------------------------------------

/// An exact decimal from `decimal.Decimal`, `int` or `str`; `float` and `bool` are refused.
fn decimal_arg(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{field}: expected decimal.Decimal, int or str, got bool"
        )));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(format!(
            "{field}: floats are not exact and are refused (got {}); use decimal.Decimal, \
             e.g. Decimal(\"0.1\"), or a str",
            obj.repr()?
        )));
    }
    let text: String = if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyInt>() {
        obj.str()?.extract()?
    } else if obj.is_instance(decimal_type(obj.py())?)? {
        // Fixed-point text: `Decimal("1E+2")` becomes "100", never exponent notation.
        let builtins = obj.py().import("builtins")?;
        builtins.getattr("format")?.call1((obj, "f"))?.extract()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{field}: expected decimal.Decimal, int or str, got {}",
            obj.get_type().name()?
        )));
    };
    core(crm_core::money::parse_decimal(field, &text))
}

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

/// A currency from a `Currency` or a code.
fn currency_arg(obj: &Bound<'_, PyAny>) -> PyResult<crm_core::Currency> {
    if let Ok(c) = obj.cast::<Currency>() {
        return Ok(c.get().inner);
    }
    if let Ok(code) = obj.cast::<PyString>() {
        return core(crm_core::Currency::new(code.to_str()?));
    }
    Err(PyTypeError::new_err(format!(
        "currency: expected Currency or str, got {}",
        obj.get_type().name()?
    )))
}

/// An aware `datetime` as a UTC instant; a naive one is a `ValidationError`.
fn instant_arg(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<crm_core::Instant> {
    let py = obj.py();
    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    if !obj.is_instance(DATETIME.import(py, "datetime", "datetime")?)? {
        return Err(PyTypeError::new_err(format!(
            "{field}: expected an aware datetime.datetime, got {}",
            obj.get_type().name()?
        )));
    }
    // The quick way (a few calls instead of a conversion field by field): an aware datetime
    // minus the aware Unix epoch is an exact timedelta. A naive datetime cannot be subtracted
    // and takes the way below, which says why it is refused.
    let epoch = EPOCH.get_or_try_init(py, || {
        let datetime = py.import("datetime")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        Ok::<_, PyErr>(
            datetime
                .getattr("datetime")?
                .call1((1970, 1, 1, 0, 0, 0, 0, utc))?
                .unbind(),
        )
    })?;
    if let Ok(delta) = obj.sub(epoch.bind(py)) {
        let days: i64 = delta.getattr(pyo3::intern!(py, "days"))?.extract()?;
        let seconds: i64 = delta.getattr(pyo3::intern!(py, "seconds"))?.extract()?;
        let micros: u32 = delta
            .getattr(pyo3::intern!(py, "microseconds"))?
            .extract()?;
        if let Some(at) = days
            .checked_mul(86_400)
            .and_then(|d| d.checked_add(seconds))
            .and_then(|secs| chrono::DateTime::from_timestamp(secs, micros.saturating_mul(1_000)))
        {
            return Ok(at);
        }
    }
    let aware = !obj.getattr("tzinfo")?.is_none() && !obj.call_method0("utcoffset")?.is_none();
    if !aware {
        return Err(PyCrmError::Core(crm_core::Error::validation(
            field,
            obj.str()?.to_cow()?,
            "a naive datetime is ambiguous: pass an aware one (e.g. tzinfo=timezone.utc)",
        ))
        .into());
    }
    let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
    obj.call_method1("astimezone", (utc,))?.extract()
}

/// An enumeration from its JSON tag (a `crm_core.enums` member is a `str` with that value).
fn enum_arg<T: DeserializeOwned>(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<T> {
    let tag: String = obj
        .cast::<PyString>()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{field}: expected a crm_core.enums member or its str value"
            ))
        })?
        .to_str()?
        .to_string();
    serde_json::from_value(serde_json::Value::String(tag.clone())).map_err(|_| {
        PyCrmError::Core(crm_core::Error::validation(
            field,
            &tag,
            "not a known value of this enumeration",
        ))
        .into()
    })
}

/// The JSON tag of an enumeration value.
fn enum_tag<T: Serialize>(v: &T) -> PyResult<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(PyCrmError::Internal("an enumeration without a string tag".into()).into()),
    }
}

/// The `crm_core.enums.<class_name>` member for an enumeration value.
fn enum_out<'py, T: Serialize>(
    py: Python<'py>,
    class_name: &str,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("crm_core.enums")?
        .getattr(class_name)?
        .call1((enum_tag(v)?,))
}

fn to_json<T: Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyCrmError::Core(e.into()).into())
}

fn from_json<T: DeserializeOwned>(text: &str) -> PyResult<T> {
    serde_json::from_str(text).map_err(|e| PyCrmError::Core(e.into()).into())
}

/// What `__reduce__` returns: the class and the arguments that rebuild the value.
type Reduced<'py, Args> = (Bound<'py, PyType>, Args);

// ---------------------------------------------------------------------------------------------
// Currency and Money
// ---------------------------------------------------------------------------------------------

/// An ISO 4217 currency: a three-letter code and its minor-unit exponent.
#[pyclass(frozen, eq, hash, module = "crm_core")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Currency {
    inner: crm_core::Currency,
}

#[pymethods]
impl Currency {
    #[new]
    fn new(code: &str) -> PyResult<Self> {
        guard(|| {
            Ok(Currency {
                inner: core(crm_core::Currency::new(code))?,
            })
        })
    }

    /// Every currency the library knows, in code order.
    #[staticmethod]
    fn all() -> Vec<Currency> {
        crm_core::Currency::all()
            .map(|inner| Currency { inner })
            .collect()
    }

    /// The three-letter code.
    #[getter]
    fn code(&self) -> &str {
        self.inner.code()
    }

    /// Decimal places of the minor unit (EUR 2, JPY 0, KWD 3).
    #[getter]
    fn exponent(&self) -> u32 {
        self.inner.exponent()
    }

    /// The smallest amount, e.g. `Decimal("0.01")` for EUR.
    #[getter]
    fn minor_unit(&self) -> Decimal {
        self.inner.minor_unit()
    }

    fn __repr__(&self) -> String {
        format!("Currency('{}')", self.inner.code())
    }

    fn __str__(&self) -> &str {
        self.inner.code()
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> (Bound<'py, PyType>, (String,)) {
        (py.get_type::<Self>(), (self.inner.code().to_string(),))
    }

    /// `{"code": "EUR", "exponent": 2}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("code", self.inner.code())?;
        d.set_item("exponent", self.inner.exponent())?;
        Ok(d)
    }

    /// The JSON contract form: the code as a JSON string, `"EUR"`.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}

/// An exact amount of one currency, always at the currency's minor-unit scale.
#[pyclass(frozen, module = "crm_core")]
#[derive(Clone)]
pub struct Money {
    inner: crm_core::Money,
}

fn wrap_all(parts: Vec<crm_core::Money>) -> Vec<Money> {
    parts.into_iter().map(|inner| Money { inner }).collect()
}

#[pymethods]
impl Money {
    /// `Money(Decimal("12.34"), "EUR")`; `amount` may also be an `int` or a `str`, never a
    /// `float`. More decimal places than the currency allows is a `ValidationError`.
    #[new]
    fn new(amount: &Bound<'_, PyAny>, currency: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            let a = decimal_arg("amount", amount)?;
            let c = currency_arg(currency)?;
            Ok(Money {
                inner: core(crm_core::Money::new(a, c))?,
            })
        })
    }

    /// An amount in minor units: `Money.from_minor(1999, "EUR")` is 19.99 EUR.
    #[staticmethod]
    fn from_minor(minor: i64, currency: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(Money {
                inner: crm_core::Money::from_minor(minor, currency_arg(currency)?),
            })
        })
    }

    /// Zero of `currency`.
    #[staticmethod]
    fn zero(currency: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(Money {
                inner: crm_core::Money::zero(currency_arg(currency)?),
            })
        })
    }

    /// Rounds a computed amount to the currency's minor unit by the named `Rounding` rule.
    #[staticmethod]
    #[pyo3(signature = (amount, currency, rounding = None))]
    fn rounded(
        amount: &Bound<'_, PyAny>,
        currency: &Bound<'_, PyAny>,
        rounding: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(|| {
            let rule = match rounding {
                Some(r) => enum_arg::<crm_core::Rounding>("rounding", r)?,
                None => crm_core::Rounding::default(),
            };
            let a = decimal_arg("amount", amount)?;
            Ok(Money {
                inner: core(crm_core::Money::rounded(a, currency_arg(currency)?, rule))?,
            })
        })
    }

    /// Decodes the JSON contract form `{"amount": "12.34", "currency": "EUR"}`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        guard(|| {
            Ok(Money {
                inner: from_json(text)?,
            })
        })
    }

    /// The amount, a `decimal.Decimal` at the currency's scale.
    #[getter]
    fn amount(&self) -> Decimal {
        self.inner.amount()
    }

    /// The currency.
    #[getter]
    fn currency(&self) -> Currency {
        Currency {
            inner: self.inner.currency(),
        }
    }

    /// The amount in minor units (cents).
    #[getter]
    fn minor_units(&self) -> i128 {
        self.inner.minor_units()
    }

    /// True when the amount is zero.
    fn is_zero(&self) -> bool {
        self.inner.is_zero()
    }

    /// True when the amount is above zero.
    fn is_positive(&self) -> bool {
        self.inner.is_positive()
    }

    /// True when the amount is below zero.
    fn is_negative(&self) -> bool {
        self.inner.is_negative()
    }

    /// Splits into `parts` amounts that sum exactly to this one; the odd minor units go one
    /// each to the first parts.
    fn split(&self, parts: i64) -> PyResult<Vec<Money>> {
        guard(|| core(self.inner.split(parts)).map(wrap_all))
    }

    /// Allocates this amount in proportion to `ratios` (largest-remainder method); the parts
    /// sum exactly to this amount.
    fn allocate(&self, ratios: &Bound<'_, PyAny>) -> PyResult<Vec<Money>> {
        guard(|| {
            if ratios.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "ratios: expected an iterable of decimal.Decimal, int or str, got one str",
                ));
            }
            let rs = ratios
                .try_iter()?
                .map(|r| decimal_arg("ratio", &r?))
                .collect::<PyResult<Vec<Decimal>>>()?;
            core(self.inner.allocate(&rs)).map(wrap_all)
        })
    }

    /// `self × factor`, rounded to the minor unit by the named rule.
    #[pyo3(signature = (factor, rounding = None))]
    fn times(
        &self,
        factor: &Bound<'_, PyAny>,
        rounding: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(|| {
            let rule = match rounding {
                Some(r) => enum_arg::<crm_core::Rounding>("rounding", r)?,
                None => crm_core::Rounding::default(),
            };
            let f = decimal_arg("factor", factor)?;
            Ok(Money {
                inner: core(self.inner.times(f, rule))?,
            })
        })
    }

    fn __add__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        guard(|| match other.cast::<Money>() {
            Ok(o) => Ok(Money {
                inner: core(self.inner.checked_add(&o.get().inner))?,
            }
            .into_pyobject(py)?
            .into_any()
            .unbind()),
            Err(_) => Ok(py.NotImplemented()),
        })
    }

    fn __sub__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        guard(|| match other.cast::<Money>() {
            Ok(o) => Ok(Money {
                inner: core(self.inner.checked_sub(&o.get().inner))?,
            }
            .into_pyobject(py)?
            .into_any()
            .unbind()),
            Err(_) => Ok(py.NotImplemented()),
        })
    }

    fn __neg__(&self) -> Self {
        Money {
            inner: self.inner.negated(),
        }
    }

    fn __abs__(&self) -> Self {
        Money {
            inner: self.inner.abs(),
        }
    }

    /// Equal when amount and currency are equal; ordering two currencies raises
    /// `CurrencyMismatchError`.
    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        guard(|| {
            let Ok(o) = other.cast::<Money>() else {
                return Ok(py.NotImplemented());
            };
            let o = o.get().inner;
            let result = match op {
                CompareOp::Eq => self.inner == o,
                CompareOp::Ne => self.inner != o,
                _ => op.matches(core(self.inner.try_cmp(&o))?),
            };
            Ok(PyBool::new(py, result).to_owned().into_any().unbind())
        })
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "Money('{}', '{}')",
            self.inner.amount(),
            self.inner.currency().code()
        )
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> (Bound<'py, PyType>, (String, String)) {
        (
            py.get_type::<Self>(),
            (
                self.inner.amount().to_string(),
                self.inner.currency().code().to_string(),
            ),
        )
    }

    /// `{"amount": Decimal("12.34"), "currency": "EUR"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("amount", self.inner.amount())?;
        d.set_item("currency", self.inner.currency().code())?;
        Ok(d)
    }

    /// The JSON contract form `{"amount":"12.34","currency":"EUR"}` (the amount as a string).
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}

/// A running total of amounts of one currency, safe to share between threads.
#[pyclass(frozen, module = "crm_core")]
pub struct MoneyTally {
    total: Mutex<crm_core::Money>,
}

#[pymethods]
impl MoneyTally {
    #[new]
    fn new(currency: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            Ok(MoneyTally {
                total: Mutex::new(crm_core::Money::zero(currency_arg(currency)?)),
            })
        })
    }

    /// Adds `amount` and returns the new total; another currency raises
    /// `CurrencyMismatchError` and changes nothing.
    fn add(&self, amount: &Bound<'_, Money>) -> PyResult<Money> {
        guard(|| {
            let mut total = self.total.lock().map_err(|_| PyCrmError::poisoned())?;
            *total = core(total.checked_add(&amount.get().inner))?;
            Ok(Money { inner: *total })
        })
    }

    /// The total so far.
    #[getter]
    fn total(&self) -> PyResult<Money> {
        guard(|| {
            let total = self.total.lock().map_err(|_| PyCrmError::poisoned())?;
            Ok(Money { inner: *total })
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        let total = self.total()?;
        Ok(format!("MoneyTally(total={})", total.__repr__()))
    }
}

// ---------------------------------------------------------------------------------------------
// Ids, business durations, time ranges
// ---------------------------------------------------------------------------------------------

use crm_core::ids::ID_KINDS;

/// Checks `value` against the rules every id follows and returns it; `kind` is an `IdKind`
/// (or its str value). A bad value raises `ValidationError`.
#[pyfunction]
fn validate_id(kind: &Bound<'_, PyAny>, value: &str) -> PyResult<String> {
    guard(|| {
        let kind: String = kind
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("kind: expected an IdKind or its str value"))?
            .to_str()?
            .to_string();
        core(crm_core::ids::validate_id_of_kind(&kind, value))?;
        Ok(value.to_string())
    })
}

/// A span of business (working) time in whole seconds, never negative.
#[pyclass(frozen, eq, hash, ord, module = "crm_core")]
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BusinessDuration {
    inner: crm_core::BusinessDuration,
}

#[pymethods]
impl BusinessDuration {
    /// `BusinessDuration(seconds)`; negative or too long raises `ValidationError`.
    #[new]
    fn new(seconds: i64) -> PyResult<Self> {
        guard(|| {
            Ok(BusinessDuration {
                inner: core(crm_core::BusinessDuration::from_secs(seconds))?,
            })
        })
    }

    /// A duration of `minutes` business minutes.
    #[staticmethod]
    fn from_minutes(minutes: i64) -> PyResult<Self> {
        guard(|| {
            Ok(BusinessDuration {
                inner: core(crm_core::BusinessDuration::from_minutes(minutes))?,
            })
        })
    }

    /// A duration of `hours` business hours.
    #[staticmethod]
    fn from_hours(hours: i64) -> PyResult<Self> {
        guard(|| {
            Ok(BusinessDuration {
                inner: core(crm_core::BusinessDuration::from_hours(hours))?,
            })
        })
    }

    /// Decodes the JSON contract form `{"seconds": 3600}`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        guard(|| {
            Ok(BusinessDuration {
                inner: from_json(text)?,
            })
        })
    }

    /// Whole business seconds.
    #[getter]
    fn seconds(&self) -> i64 {
        self.inner.as_secs()
    }

    fn __add__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        guard(|| match other.cast::<BusinessDuration>() {
            Ok(o) => Ok(BusinessDuration {
                inner: core(self.inner.checked_add(o.get().inner))?,
            }
            .into_pyobject(py)?
            .into_any()
            .unbind()),
            Err(_) => Ok(py.NotImplemented()),
        })
    }

    fn __repr__(&self) -> String {
        format!("BusinessDuration(seconds={})", self.inner.as_secs())
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> (Bound<'py, PyType>, (i64,)) {
        (py.get_type::<Self>(), (self.inner.as_secs(),))
    }

    /// `{"seconds": 5400}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("seconds", self.inner.as_secs())?;
        Ok(d)
    }

    /// The JSON contract form `{"seconds":5400}`.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}

/// A half-open range of instants `[start, end)`; instants are aware datetimes, returned in UTC.
#[pyclass(frozen, eq, hash, module = "crm_core")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TimeRange {
    inner: crm_core::TimeRange,
}

#[pymethods]
impl TimeRange {
    /// `TimeRange(start, end)` from aware datetimes; an end before the start raises
    /// `ValidationError`, and so does a naive datetime.
    #[new]
    fn new(start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            let s = instant_arg("start", start)?;
            let e = instant_arg("end", end)?;
            Ok(TimeRange {
                inner: core(crm_core::TimeRange::new(s, e))?,
            })
        })
    }

    /// Decodes the JSON contract form `{"start": "...Z", "end": "...Z"}`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        guard(|| {
            Ok(TimeRange {
                inner: from_json(text)?,
            })
        })
    }

    /// The first instant in the range (UTC).
    #[getter]
    fn start(&self) -> crm_core::Instant {
        self.inner.start()
    }

    /// The first instant after the range (UTC).
    #[getter]
    fn end(&self) -> crm_core::Instant {
        self.inner.end()
    }

    /// True when `at` (an aware datetime) lies in `[start, end)`.
    fn contains(&self, at: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(|| Ok(self.inner.contains(instant_arg("at", at)?)))
    }

    fn __repr__(&self) -> String {
        format!(
            "TimeRange(start='{}', end='{}')",
            self.inner.start().to_rfc3339(),
            self.inner.end().to_rfc3339()
        )
    }

    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyType>, (crm_core::Instant, crm_core::Instant)) {
        (
            py.get_type::<Self>(),
            (self.inner.start(), self.inner.end()),
        )
    }

    /// `{"start": datetime, "end": datetime}` (aware, UTC).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("start", self.inner.start())?;
        d.set_item("end", self.inner.end())?;
        Ok(d)
    }

    /// The JSON contract form, instants as RFC 3339 UTC strings.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}

// ---------------------------------------------------------------------------------------------
// Line lifecycle
// ---------------------------------------------------------------------------------------------

/// One allowed move of an agreement line: in `from_`, `action` takes a line of `kind` to `to`.
#[pyclass(frozen, module = "crm_core")]
#[derive(Clone)]
pub struct Transition {
    inner: core_lifecycle::Transition,
}

impl Transition {
    /// The JSON tags of kind, from, action and to.
    fn tags(&self) -> PyResult<(String, String, String, String)> {
        Ok((
            enum_tag(&self.inner.kind)?,
            enum_tag(&self.inner.from)?,
            enum_tag(&self.inner.action)?,
            enum_tag(&self.inner.to)?,
        ))
    }
}

#[pymethods]
impl Transition {
    #[new]
    fn new(
        kind: &Bound<'_, PyAny>,
        from_: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        guard(|| {
            Ok(Transition {
                inner: core_lifecycle::Transition {
                    kind: enum_arg("kind", kind)?,
                    from: enum_arg("from_", from_)?,
                    action: enum_arg("action", action)?,
                    to: enum_arg("to", to)?,
                },
            })
        })
    }

    /// Service or physical product (`LineKind`).
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_out(py, "LineKind", &self.inner.kind)
    }

    /// The state before (`LineStatus`).
    #[getter]
    fn from_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_out(py, "LineStatus", &self.inner.from)
    }

    /// The action (`LineAction`).
    #[getter]
    fn action<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_out(py, "LineAction", &self.inner.action)
    }

    /// The state after (`LineStatus`).
    #[getter]
    fn to<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_out(py, "LineStatus", &self.inner.to)
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(o) = other.cast::<Transition>() else {
            return Ok(py.NotImplemented());
        };
        let (a, b) = (self.tags()?, o.get().tags()?);
        let result = match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => return Ok(py.NotImplemented()),
        };
        Ok(PyBool::new(py, result).to_owned().into_any().unbind())
    }

    fn __hash__(&self) -> PyResult<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.tags()?.hash(&mut h);
        Ok(h.finish())
    }

    fn __repr__(&self) -> PyResult<String> {
        let (k, f, a, t) = self.tags()?;
        Ok(format!(
            "Transition(kind='{k}', from_='{f}', action='{a}', to='{t}')"
        ))
    }

    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Reduced<'py, (String, String, String, String)>> {
        Ok((py.get_type::<Self>(), self.tags()?))
    }

    /// `{"kind": LineKind, "from": LineStatus, "action": LineAction, "to": LineStatus}`
    /// (the JSON contract keys, enum members as values).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kind", self.kind(py)?)?;
        d.set_item("from", self.from_(py)?)?;
        d.set_item("action", self.action(py)?)?;
        d.set_item("to", self.to(py)?)?;
        Ok(d)
    }

    /// The JSON contract form `{"kind":"service","from":"created",...}`.
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.inner)
    }
}

/// The whole line lifecycle table; anything not listed is an invalid transition.
#[pyfunction]
fn line_transitions() -> Vec<Transition> {
    core_lifecycle::TRANSITIONS
        .iter()
        .map(|t| Transition { inner: *t })
        .collect()
}

/// The status `action` takes a line of `kind` in `from_` to, or None when no such move exists.
#[pyfunction]
fn next_line_status<'py>(
    py: Python<'py>,
    kind: &Bound<'py, PyAny>,
    from_: &Bound<'py, PyAny>,
    action: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    guard(|| {
        let next = core_lifecycle::next_status(
            enum_arg("kind", kind)?,
            enum_arg("from_", from_)?,
            enum_arg("action", action)?,
        );
        next.map(|s| enum_out(py, "LineStatus", &s)).transpose()
    })
}

// ---------------------------------------------------------------------------------------------
// Test hooks (private)
// ---------------------------------------------------------------------------------------------

/// Panics inside the library on purpose, so tests can prove a panic arrives as
/// `crm_core.InternalError`. Not part of the public API.
#[pyfunction]
#[allow(
    clippy::panic,
    reason = "the one deliberate panic, to test the boundary guard"
)]
fn _diagnostic_panic(message: &str) -> PyResult<()> {
    guard(|| panic!("{message}"))
}

/// The JSON tags the core uses for an enumeration (`LineKind`, `LineStatus`, `LineAction`,
/// `Rounding`, `IdKind`), so tests can check `crm_core.enums` against them.
#[pyfunction]
fn _enum_values(name: &str) -> PyResult<Vec<String>> {
    let mut tags: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !tags.contains(&t) {
            tags.push(t);
        }
    };
    match name {
        "LineKind" => {
            for t in core_lifecycle::TRANSITIONS {
                push(enum_tag(&t.kind)?);
            }
        }
        "LineStatus" => {
            for t in core_lifecycle::TRANSITIONS {
                push(enum_tag(&t.from)?);
                push(enum_tag(&t.to)?);
            }
        }
        "LineAction" => {
            for t in core_lifecycle::TRANSITIONS {
                push(enum_tag(&t.action)?);
            }
        }
        "Rounding" => {
            use crm_core::Rounding as R;
            for r in [
                R::HalfEven,
                R::HalfUp,
                R::TowardZero,
                R::AwayFromZero,
                R::Floor,
                R::Ceiling,
            ] {
                push(enum_tag(&r)?);
            }
        }
        "IdKind" => {
            for k in ID_KINDS {
                push((*k).to_string());
            }
        }
        other => {
            return Err(PyCrmError::Core(crm_core::Error::validation(
                "enumeration",
                other,
                "unknown",
            ))
            .into());
        }
    }
    Ok(tags)
}

/// The native module `crm_core._crm_core`; import `crm_core` instead.
#[pymodule]
fn _crm_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Currency>()?;
    m.add_class::<Money>()?;
    m.add_class::<MoneyTally>()?;
    m.add_class::<BusinessDuration>()?;
    m.add_class::<TimeRange>()?;
    m.add_class::<Transition>()?;
    m.add_class::<Crm>()?;
    m.add_class::<calendar::BusinessClock>()?;
    m.add_class::<process::ProcessRunner>()?;
    m.add_class::<value::Lazy>()?;
    m.add_class::<obligation::Ledger>()?;
    m.add_function(wrap_pyfunction!(obligation::_plan_charges, m)?)?;
    m.add_class::<policy::DecisionTable>()?;
    m.add_class::<policy::TieringPolicy>()?;
    m.add_class::<policy::ServicePolicy>()?;
    m.add_class::<policy::CompensationPolicy>()?;
    m.add_function(wrap_pyfunction!(engine::_check_record, m)?)?;
    m.add_function(wrap_pyfunction!(engine::_json_data, m)?)?;
    m.add_function(wrap_pyfunction!(engine::_error, m)?)?;
    m.add_function(wrap_pyfunction!(engine::_render_definition, m)?)?;
    m.add_function(wrap_pyfunction!(engine::_variant_tags, m)?)?;
    m.add_function(wrap_pyfunction!(validate_id, m)?)?;
    m.add_function(wrap_pyfunction!(line_transitions, m)?)?;
    m.add_function(wrap_pyfunction!(next_line_status, m)?)?;
    m.add_function(wrap_pyfunction!(_diagnostic_panic, m)?)?;
    m.add_function(wrap_pyfunction!(_enum_values, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_has_a_python_class() {
        let e = crm_core::Error::IdempotencyConflict { key: "k1".into() };
        assert_eq!(error::class_name(&e), "IdempotencyConflictError");
        let e = crm_core::Error::validation("amount", "x", "bad");
        assert_eq!(error::class_name(&e), "ValidationError");
        assert_eq!(error::kind_tag(&e), "validation");
    }

    #[test]
    fn a_panic_payload_becomes_an_internal_error() {
        assert!(matches!(
            PyCrmError::from_panic(Box::new("boom")),
            PyCrmError::Internal(ref m) if m.contains("boom")
        ));
        assert!(matches!(
            PyCrmError::from_panic(Box::new(String::from("bang"))),
            PyCrmError::Internal(ref m) if m.contains("bang")
        ));
    }

    #[test]
    fn id_kinds_are_unique() {
        for (i, k) in ID_KINDS.iter().enumerate() {
            assert!(!ID_KINDS.iter().skip(i + 1).any(|o| o == k), "{k}");
        }
    }
}
