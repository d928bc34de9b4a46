//! The entitlement requests of the hot paths (`is_entitled`, `are_entitled`,
//! `check_entitlement(s)`), read straight from their JSON-shaped data: a `dict`, or a record's
//! `_data`, with `str` ids, code and channel, and a standing of an `int` and `str`s.
//!
//! Only that common shape is read here, and only when every key is one the request has and
//! every value is of the plain kind; anything else (a quantity or an amount, a key the
//! request does not have, a value of another kind, an id the core refuses, ...) answers
//! `None`, and the caller decodes the request the general way ([`crate::value::decode`]),
//! which gives the same value or the same typed error as before. So this path never words
//! an error of its own.

use crm_core::entitlement::{CustomerStanding, EntitlementRequest};
use crm_core::ids::{AgreementId, AssetId, CustomerId, LineId};
use crm_core::party::Channel;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyType};
use serde::Deserialize;

/// The JSON-shaped data of `obj`: a `dict` itself, or a record's `_data` when it is a `dict`.
fn data<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyDict>> {
    static RECORD: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if let Ok(d) = obj.cast::<PyDict>() {
        return Some(d.clone());
    }
    let py = obj.py();
    let record = RECORD.import(py, "crm_core.records", "Record").ok()?;
    if !obj.is_instance(record).ok()? {
        return None;
    }
    obj.getattr(pyo3::intern!(py, "_data"))
        .ok()?
        .cast_into::<PyDict>()
        .ok()
}

/// `f` of a value that may be `None` (an optional field): `Some(None)` for `None`.
fn optional<T>(
    v: &Bound<'_, PyAny>,
    f: impl FnOnce(&Bound<'_, PyAny>) -> Option<T>,
) -> Option<Option<T>> {
    if v.is_none() {
        Some(None)
    } else {
        f(v).map(Some)
    }
}

/// The text of a `str` (an `enum` member of `crm_core.enums` is one).
fn text(v: &Bound<'_, PyAny>) -> Option<String> {
    Some(v.cast::<PyString>().ok()?.to_str().ok()?.to_owned())
}

/// An id from a `str`, validated and stored straight from the string's UTF-8 view (no
/// intermediate `String`).
fn id<T>(v: &Bound<'_, PyAny>) -> Option<T>
where
    T: for<'a> TryFrom<&'a str>,
{
    T::try_from(v.cast::<PyString>().ok()?.to_str().ok()?).ok()
}

/// A request in the common shape, or `None` for the general way (see the module's notes).
pub(crate) fn entitlement_request(obj: &Bound<'_, PyAny>) -> Option<EntitlementRequest> {
    let d = data(obj)?;
    let (mut customer, mut agreement, mut code, mut channel) = (None, None, None, None);
    let (mut line, mut asset, mut standing) = (None, None, None);
    for (k, v) in d.iter() {
        let k = k.cast::<PyString>().ok()?;
        match k.to_str().ok()? {
            "customer" => customer = Some(id::<CustomerId>(&v)?),
            "code" => code = Some(text(&v)?),
            "channel" => {
                let tag = v.cast::<PyString>().ok()?;
                let tag = tag.to_str().ok()?;
                channel = Some(
                    Channel::deserialize(serde::de::value::StrDeserializer::<
                        serde::de::value::Error,
                    >::new(tag))
                    .ok()?,
                );
            }
            "agreement" => agreement = optional(&v, id::<AgreementId>)?,
            "line" => line = optional(&v, id::<LineId>)?,
            "asset" => asset = optional(&v, id::<AssetId>)?,
            "standing" => standing = optional(&v, customer_standing)?,
            "quantity" | "amount" if v.is_none() => {}
            _ => return None,
        }
    }
    Some(EntitlementRequest {
        customer: customer?,
        agreement,
        code: code?,
        quantity: None,
        amount: None,
        channel: channel?,
        line,
        asset,
        standing,
    })
}

/// A customer's standing in the common shape (a `dict` or a record).
fn customer_standing(obj: &Bound<'_, PyAny>) -> Option<CustomerStanding> {
    let d = data(obj)?;
    let (mut days_overdue, mut tier, mut tier_order) = (None, None, Vec::new());
    for (k, v) in d.iter() {
        let k = k.cast::<PyString>().ok()?;
        match k.to_str().ok()? {
            "days_overdue" => {
                // a bool is an int in Python, not a number in JSON
                if v.is_instance_of::<PyBool>() {
                    return None;
                }
                let n: u64 = v.cast::<PyInt>().ok()?.extract().ok()?;
                days_overdue = Some(u32::try_from(n).ok()?);
            }
            "tier" => tier = optional(&v, text)?,
            "tier_order" => {
                for t in v.cast::<PyList>().ok()?.iter() {
                    tier_order.push(text(&t)?);
                }
            }
            _ => return None,
        }
    }
    Some(CustomerStanding {
        days_overdue: days_overdue?,
        tier,
        tier_order,
    })
}
