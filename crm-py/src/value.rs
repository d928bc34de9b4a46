//! The one generic conversion between Python data and the JSON contract.
//!
//! Every engine command, query and record crosses the boundary here, so no core type is
//! restated in this crate:
//!
//! - [`to_value`]: Python → JSON value. `decimal.Decimal` becomes its fixed-point text, an
//!   aware `datetime` an RFC 3339 UTC instant, a `date` its ISO form, a `crm_core.enums`
//!   member its tag, a record (`crm_core.records.Record`) its JSON data, `Money` and the other
//!   native values their JSON form. A `float` is a `TypeError` (use `Decimal`), a naive
//!   `datetime` a `ValidationError`. The core then decodes the value into its own type with
//!   serde, so every rule and every message stays in crm-core.
//! - [`from_value`]: JSON value → JSON-shaped Python data (`dict`, `list`, `str`, `int`, `bool`,
//!   `None`) that `crm_core.records` wraps into typed records.
//! - [`decode`]: Python data into a core type, with the core's serde doing the typed work
//!   ([`decode_items`]: a list of them, item by item).

use crate::{PyCrmError, core, instant_arg, json};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The deepest nesting accepted, so a cyclic structure is an error rather than a crash.
const MAX_DEPTH: usize = 64;

fn class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyType>>,
    module: &str,
    name: &str,
) -> PyResult<&'py Bound<'py, PyType>> {
    cell.import(py, module, name)
}

/// Python data in the JSON contract's shape, as a JSON value.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    convert(obj, Path::Root, 0)
}

/// Where a value sits in the data being converted, written out only for an error message
/// (`value` at the top, `standing.days_overdue` in a mapping, `value[2]` in a list).
#[derive(Clone, Copy)]
enum Path<'a> {
    /// The value passed in.
    Root,
    /// A value of a mapping at `key`.
    Key(&'a Path<'a>, &'a str),
    /// An item of a list at `index`.
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// The prefix of a key below this path: empty at the top.
    fn prefix(&self) -> String {
        match self {
            Path::Root => String::new(),
            other => other.name(),
        }
    }

    /// The path as the error messages cite it.
    fn name(&self) -> String {
        match self {
            Path::Root => "value".to_string(),
            Path::Key(parent, key) => {
                let prefix = parent.prefix();
                if prefix.is_empty() {
                    (*key).to_string()
                } else {
                    format!("{prefix}.{key}")
                }
            }
            Path::Index(parent, i) => format!("{}[{i}]", parent.name()),
        }
    }
}

fn convert(obj: &Bound<'_, PyAny>, path: Path<'_>, depth: usize) -> PyResult<Value> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static RECORD: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static MAPPING: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = obj.py();
    if depth > MAX_DEPTH {
        return Err(PyCrmError::Core(crm_core::Error::validation(
            path.name(),
            "…",
            format!("nested deeper than {MAX_DEPTH} levels"),
        ))
        .into());
    }
    // The built-in types first: each is one flag test, and most values are one of them.
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        // also every crm_core.enums member: a str whose value is the JSON tag (its own text,
        // not `str(member)`, which is `Channel.EMAIL`)
        return Ok(Value::String(s.to_str()?.to_string()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyCrmError::Core(crm_core::Error::validation(
            path.name(),
            obj.str()?.to_cow()?,
            "an integer out of the 64-bit range",
        ))
        .into());
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(format!(
            "{}: floats are not exact and are refused (got {}); use decimal.Decimal, \
             e.g. Decimal(\"0.1\")",
            path.name(),
            obj.repr()?
        )));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return object(d.iter(), path, depth);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(convert(&item?, Path::Index(&path, i), depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if obj.is_instance(class(py, &RECORD, "crm_core.records", "Record")?)? {
        return convert(&obj.getattr(pyo3::intern!(py, "_data"))?, path, depth + 1);
    }
    if obj.is_instance(class(py, &DECIMAL, "decimal", "Decimal")?)? {
        let builtins = py.import("builtins")?;
        let text: String = builtins.getattr("format")?.call1((obj, "f"))?.extract()?;
        return Ok(Value::String(text));
    }
    if obj.is_instance_of::<PyDateTime>() {
        let at = instant_arg(&path.name(), obj)?;
        return json(&at);
    }
    if obj.is_instance_of::<PyDate>() {
        let text: String = obj.call_method0("isoformat")?.extract()?;
        return Ok(Value::String(text));
    }
    if let Ok(m) = obj.cast::<crate::Money>() {
        return json(&m.get().inner);
    }
    if let Ok(c) = obj.cast::<crate::Currency>() {
        return json(&c.get().inner);
    }
    if let Ok(d) = obj.cast::<crate::BusinessDuration>() {
        return json(&d.get().inner);
    }
    if let Ok(r) = obj.cast::<crate::TimeRange>() {
        return json(&r.get().inner);
    }
    if obj.is_instance(class(py, &MAPPING, "collections.abc", "Mapping")?)? {
        let items = obj.call_method0("items")?;
        let mut pairs = Vec::new();
        for item in items.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            pairs.push((k, v));
        }
        return object(pairs.into_iter(), path, depth);
    }
    Err(PyTypeError::new_err(format!(
        "{}: cannot be sent to crm-core: {} (expected a record, dict, list, str, int, \
         bool, None, Decimal, date or aware datetime)",
        path.name(),
        obj.get_type().name()?
    )))
}

fn object<'py>(
    items: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    path: Path<'_>,
    depth: usize,
) -> PyResult<Value> {
    let mut map = Map::new();
    for (k, v) in items {
        let key = k.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!("{}: mapping keys must be str", path.prefix()))
        })?;
        let key = key.to_str()?;
        // `from_` is `from` in JSON (`from` is a Python keyword)
        let key = if key == "from_" { "from" } else { key };
        let child = convert(&v, Path::Key(&path, key), depth + 1)?;
        map.insert(key.to_string(), child);
    }
    Ok(Value::Object(map))
}

/// A JSON value as JSON-shaped Python data.
pub fn from_value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // the core writes no JSON floats (decimals travel as strings)
                n.to_string().into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, from_value(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// Decodes Python data into a core type through its serde form; a shape the core refuses is
/// a `JsonError` naming the field, a value the core refuses the core's own error.
///
/// The quick way first: the core's serde reads the Python objects in place ([`Direct`]), with
/// no JSON value built in between. Any refusal on that way (bad input of any kind) goes the
/// JSON-value way instead, which gives the error its exact type and message; the two ways
/// read the same data the same way, as `Direct` mirrors `serde_json::Value`'s deserializer.
pub fn decode<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> PyResult<T> {
    if let Ok(v) = T::deserialize(Direct { obj, depth: 0 }) {
        return Ok(v);
    }
    decode_slow(obj)
}

/// [`decode`] through a JSON value: the reference way, and the one that words the errors.
fn decode_slow<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> PyResult<T> {
    let v = to_value(obj)?;
    core(serde_json::from_value(v).map_err(crm_core::Error::from))
}

/// Decodes a list (or tuple) of Python data into core values item by item, as [`decode`]
/// would decode the whole list (the same errors, an item's path as `value[i]...`) without
/// building one JSON array first; anything else goes through [`decode`].
pub fn decode_items<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> PyResult<Vec<T>> {
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return decode(obj);
    }
    let mut out = Vec::with_capacity(obj.len()?);
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(v) = T::deserialize(Direct {
            obj: &item,
            depth: 1,
        }) {
            out.push(v);
            continue;
        }
        let v = convert(&item, Path::Index(&Path::Root, i), 1)?;
        out.push(core(
            serde_json::from_value(v).map_err(crm_core::Error::from),
        )?);
    }
    Ok(out)
}

/// The error of the [`Direct`] way: only ever a signal to take the JSON-value way.
type DirectError = serde::de::value::Error;

fn refuse<T>(why: impl std::fmt::Display) -> Result<T, DirectError> {
    Err(serde::de::Error::custom(why))
}

/// A serde deserializer over Python data in the JSON contract's shape, read in place: a
/// `dict` is a map (`from_` read as `from`), a `list` or `tuple` a sequence, a `str`, `int`,
/// `bool` or `None` itself, a record its `_data`; any other value (`Decimal`, `datetime`,
/// `date`, `Money` ...) is converted by [`to_value`] and read from its JSON value. It answers
/// every request as `serde_json::Value`'s deserializer does for the value [`to_value`] would
/// build, so a type decodes to the same value either way; anything it cannot read (a float,
/// a non-`str` key, too deep) is an error that sends [`decode`] the JSON-value way.
struct Direct<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    depth: usize,
}

impl<'a, 'py> Direct<'a, 'py> {
    /// The object to read: a record's data, else the object itself.
    fn target(&self) -> Result<Option<Bound<'py, PyAny>>, DirectError> {
        static RECORD: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        let py = self.obj.py();
        let record = class(py, &RECORD, "crm_core.records", "Record").or_else(refuse)?;
        if self.obj.is_instance(record).or_else(refuse)? {
            return self
                .obj
                .getattr(pyo3::intern!(py, "_data"))
                .map(Some)
                .or_else(refuse);
        }
        Ok(None)
    }

    fn deeper(&self) -> Result<usize, DirectError> {
        if self.depth >= MAX_DEPTH {
            return refuse("too deep");
        }
        Ok(self.depth + 1)
    }

    /// The JSON value of an object the deserializer does not read in place.
    fn value(&self) -> Result<Value, DirectError> {
        convert(self.obj, Path::Root, self.depth).or_else(refuse)
    }
}

impl<'de> serde::Deserializer<'de> for Direct<'_, '_> {
    type Error = DirectError;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let obj = self.obj;
        if obj.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return visitor.visit_str(s.to_str().or_else(refuse)?);
        }
        if obj.is_instance_of::<PyInt>() {
            // as serde_json's Number: a non-negative integer is a u64, a negative one an i64
            if let Ok(u) = obj.extract::<u64>() {
                return visitor.visit_u64(u);
            }
            return visitor.visit_i64(obj.extract::<i64>().or_else(refuse)?);
        }
        if obj.is_instance_of::<PyFloat>() {
            return refuse("a float");
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            let depth = self.deeper()?;
            return visitor.visit_map(DictAccess {
                items: d.iter(),
                value: None,
                depth,
            });
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            let depth = self.deeper()?;
            return visitor.visit_seq(SeqAccess {
                items: obj.try_iter().or_else(refuse)?,
                depth,
            });
        }
        if let Some(data) = self.target()? {
            let depth = self.deeper()?;
            return Direct { obj: &data, depth }.deserialize_any(visitor);
        }
        self.value()?.deserialize_any(visitor).or_else(refuse)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        if self.obj.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let obj = self.obj;
        if let Ok(s) = obj.cast::<PyString>() {
            let tag = s.to_str().or_else(refuse)?;
            return visitor.visit_enum(serde::de::value::StrDeserializer::new(tag));
        }
        if let Some(data) = self.target()? {
            let depth = self.deeper()?;
            return Direct { obj: &data, depth }.deserialize_enum(name, variants, visitor);
        }
        // a one-entry object (`{"variant": content}`), or anything else, as serde_json reads it
        self.value()?
            .deserialize_enum(name, variants, visitor)
            .or_else(refuse)
    }

    fn deserialize_ignored_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The entries of a `dict` for [`Direct`].
struct DictAccess<'py> {
    items: pyo3::types::iter::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
    depth: usize,
}

impl<'de> serde::de::MapAccess<'de> for DictAccess<'_> {
    type Error = DirectError;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((k, v)) = self.items.next() else {
            return Ok(None);
        };
        let key = k
            .cast::<PyString>()
            .or_else(|_| refuse("a key not a str"))?;
        let key = key.to_str().or_else(refuse)?;
        // `from_` is `from` in JSON (`from` is a Python keyword)
        let key = if key == "from_" { "from" } else { key };
        self.value = Some(v);
        seed.deserialize(serde::de::value::StrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let Some(v) = self.value.take() else {
            return refuse("a value without its key");
        };
        seed.deserialize(Direct {
            obj: &v,
            depth: self.depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The items of a `list` or `tuple` for [`Direct`].
struct SeqAccess<'py> {
    items: Bound<'py, pyo3::types::PyIterator>,
    depth: usize,
}

impl<'de> serde::de::SeqAccess<'de> for SeqAccess<'_> {
    type Error = DirectError;

    fn next_element_seed<T: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        match self.items.next() {
            None => Ok(None),
            Some(item) => {
                let item = item.or_else(refuse)?;
                seed.deserialize(Direct {
                    obj: &item,
                    depth: self.depth,
                })
                .map(Some)
            }
        }
    }
}

/// How a [`Lazy`] gets its JSON value: already built, or built on first use from the core
/// value it captured.
type Make = Box<dyn Fn() -> crm_core::Result<Value> + Send + Sync>;

/// How a [`Lazy`] answers a read of one field without converting the whole value.
type FieldOf = Box<dyn Fn(&str) -> crm_core::Result<Field> + Send + Sync>;

/// One field of a core value, converted alone (see [`Lazy::deferred_fields`]).
pub enum Field {
    /// The field's JSON value.
    Value(Value),
    /// The value has no such field (an absent optional field: `_get` says not found).
    Absent,
    /// Not converted alone: convert the whole value and read the field from it.
    Whole,
}

/// A core value on its way to a Python record, converted only as far as Python reads it: the
/// record asks for one field (`_get`) or for all its data (`_data`). A query result costs
/// one small object until it is read; a field read converts only that field.
#[pyclass(frozen, module = "crm_core._crm_core", name = "_Lazy")]
pub struct Lazy {
    make: Option<Make>,
    field: Option<FieldOf>,
    cache: std::sync::OnceLock<Value>,
}

impl Lazy {
    /// A lazy value over an already built JSON value.
    pub fn ready(v: Value) -> Self {
        let cache = std::sync::OnceLock::new();
        let _ = cache.set(v);
        Lazy {
            make: None,
            field: None,
            cache,
        }
    }

    /// A lazy value that serializes `v` (a core value) on first use.
    pub fn deferred<T: Serialize + Send + Sync + 'static>(v: T) -> Self {
        Lazy {
            make: Some(Box::new(move || {
                serde_json::to_value(&v).map_err(crm_core::Error::from)
            })),
            field: None,
            cache: std::sync::OnceLock::new(),
        }
    }

    /// Like [`Lazy::deferred`], and a read of one field asks `field` first: the fields it
    /// converts alone (the outcome of a decision, say) cost only their own conversion, the
    /// others ([`Field::Whole`]) the whole value, once.
    pub fn deferred_fields<T: Serialize + Send + Sync + 'static>(
        v: T,
        field: fn(&T, &str) -> crm_core::Result<Field>,
    ) -> Self {
        let whole = std::sync::Arc::new(v);
        let one = std::sync::Arc::clone(&whole);
        Lazy {
            make: Some(Box::new(move || {
                serde_json::to_value(&*whole).map_err(crm_core::Error::from)
            })),
            field: Some(Box::new(move |key| field(&one, key))),
            cache: std::sync::OnceLock::new(),
        }
    }

    fn value(&self) -> PyResult<&Value> {
        if let Some(v) = self.cache.get() {
            return Ok(v);
        }
        let v = match &self.make {
            Some(make) => make().map_err(PyCrmError::Core)?,
            None => Value::Null,
        };
        Ok(self.cache.get_or_init(|| v))
    }
}

#[pymethods]
impl Lazy {
    /// `(True, value)` for a field of an object (as JSON-shaped Python data), `(False, None)`
    /// when the object has no such field.
    fn _get<'py>(&self, py: Python<'py>, key: &str) -> PyResult<(bool, Bound<'py, PyAny>)> {
        if let (None, Some(field)) = (self.cache.get(), &self.field) {
            match field(key).map_err(PyCrmError::Core)? {
                Field::Value(v) => return Ok((true, from_value(py, &v)?)),
                Field::Absent => return Ok((false, py.None().into_bound(py))),
                Field::Whole => {}
            }
        }
        match self.value()?.get(key) {
            Some(v) => Ok((true, from_value(py, v)?)),
            None => Ok((false, py.None().into_bound(py))),
        }
    }

    /// The whole value as JSON-shaped Python data.
    fn _data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        from_value(py, self.value()?)
    }
}
