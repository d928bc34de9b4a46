//! Typed guards over an instance's data: a key, a comparison and a typed literal.

use crate::error::{Error, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A typed value in an instance's data, or the literal of a guard.
///
/// JSON: `{"bool": true}`, `{"integer": 3}`, `{"decimal": "12.50"}`, `{"text": "gold"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataValue {
    /// A yes/no fact, e.g. `resolved_first_line`.
    Bool(bool),
    /// A whole number, e.g. `days_overdue`.
    Integer(i64),
    /// An exact decimal, e.g. an amount (travels as a string).
    Decimal(Decimal),
    /// A text, e.g. a category.
    Text(String),
}

impl DataValue {
    /// The type's snake_case name: `bool`, `integer`, `decimal`, `text`.
    pub fn type_name(&self) -> &'static str {
        match self {
            DataValue::Bool(_) => "bool",
            DataValue::Integer(_) => "integer",
            DataValue::Decimal(_) => "decimal",
            DataValue::Text(_) => "text",
        }
    }

    fn as_number(&self) -> Option<Decimal> {
        match self {
            DataValue::Integer(i) => Some(Decimal::from(*i)),
            DataValue::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

impl fmt::Display for DataValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataValue::Bool(b) => write!(f, "{b}"),
            DataValue::Integer(i) => write!(f, "{i}"),
            DataValue::Decimal(d) => write!(f, "{d}"),
            DataValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<bool> for DataValue {
    fn from(v: bool) -> Self {
        DataValue::Bool(v)
    }
}

impl From<i64> for DataValue {
    fn from(v: i64) -> Self {
        DataValue::Integer(v)
    }
}

impl From<Decimal> for DataValue {
    fn from(v: Decimal) -> Self {
        DataValue::Decimal(v)
    }
}

impl From<&str> for DataValue {
    fn from(v: &str) -> Self {
        DataValue::Text(v.to_string())
    }
}

/// An instance's data: named typed values that guards read. Ordered, so it serializes the
/// same way every time.
pub type InstanceData = BTreeMap<String, DataValue>;

/// A comparison in a guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less than (numbers only).
    Lt,
    /// Less than or equal (numbers only).
    Le,
    /// Greater than (numbers only).
    Gt,
    /// Greater than or equal (numbers only).
    Ge,
}

impl Comparison {
    /// The operator as written in diagrams: `==`, `!=`, `<`, `<=`, `>`, `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }

    fn is_ordering(self) -> bool {
        !matches!(self, Comparison::Eq | Comparison::Ne)
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Comparison::Eq => ord == Ordering::Equal,
            Comparison::Ne => ord != Ordering::Equal,
            Comparison::Lt => ord == Ordering::Less,
            Comparison::Le => ord != Ordering::Greater,
            Comparison::Gt => ord == Ordering::Greater,
            Comparison::Ge => ord != Ordering::Less,
        }
    }
}

/// A condition on an edge: `data[key] <op> value`.
///
/// Integers and decimals compare as numbers; booleans and texts allow only `eq` and `ne`.
/// Comparing values of different types is an error, as is a guard over a key the instance
/// has no data for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    /// The data key read.
    pub key: String,
    /// The comparison.
    pub op: Comparison,
    /// The literal compared against.
    pub value: DataValue,
}

impl Guard {
    /// `key <op> value`.
    pub fn new(key: impl Into<String>, op: Comparison, value: impl Into<DataValue>) -> Self {
        Guard {
            key: key.into(),
            op,
            value: value.into(),
        }
    }

    /// `key == true`.
    pub fn is_true(key: impl Into<String>) -> Self {
        Guard::new(key, Comparison::Eq, true)
    }

    /// What is wrong with this guard as written (empty when it is well formed).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.key.trim().is_empty() {
            out.push("the guard has no data key".to_string());
        }
        if self.op.is_ordering() && self.value.as_number().is_none() {
            out.push(format!(
                "guard {self}: {} compares only numbers, not a {}",
                self.op.symbol(),
                self.value.type_name()
            ));
        }
        out
    }

    /// Evaluates the guard against `value` (the data found under [`Guard::key`]).
    pub fn holds(&self, value: &DataValue) -> Result<bool> {
        let ord = match (value, &self.value) {
            (DataValue::Bool(a), DataValue::Bool(b)) => Some(a.cmp(b)),
            (DataValue::Text(a), DataValue::Text(b)) => Some(a.cmp(b)),
            (a, b) => match (a.as_number(), b.as_number()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => None,
            },
        };
        let Some(ord) = ord else {
            return Err(Error::validation(
                format!("instance data {:?}", self.key),
                value,
                format!(
                    "guard {self} expects a {}, the data holds a {}",
                    self.value.type_name(),
                    value.type_name()
                ),
            ));
        };
        if self.op.is_ordering() && value.as_number().is_none() {
            return Err(Error::validation(
                format!("instance data {:?}", self.key),
                value,
                format!("guard {self} compares only numbers"),
            ));
        }
        Ok(self.op.holds(ord))
    }
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.key, self.op.symbol(), self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_compare_typed_values() {
        let g = Guard::new("days_overdue", Comparison::Ge, 30);
        assert!(g.holds(&DataValue::Integer(30)).unwrap());
        assert!(!g.holds(&DataValue::Integer(29)).unwrap());
        assert!(g.holds(&DataValue::Decimal(Decimal::new(305, 1))).unwrap());
        assert!(g.holds(&DataValue::Bool(true)).is_err());
        assert!(Guard::is_true("x").holds(&DataValue::Bool(true)).unwrap());
        assert!(Guard::is_true("x").holds(&DataValue::Integer(1)).is_err());
        let bad = Guard::new("x", Comparison::Lt, true);
        assert_eq!(bad.problems().len(), 1);
        assert_eq!(g.to_string(), "days_overdue >= 30");
        let json = serde_json::to_string(&Guard::is_true("resolved_first_line")).unwrap();
        assert_eq!(
            json,
            r#"{"key":"resolved_first_line","op":"eq","value":{"bool":true}}"#
        );
    }
}
