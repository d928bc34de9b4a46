//! Decision tables: rows of conditions over named, typed inputs giving outputs.
//!
//! A table is data ([`DecisionTableSpec`], JSON) and is compiled when built
//! ([`DecisionTable::new`]): every cell's literal is checked against its input's type, and
//! every column is cut into *regions* (the points and gaps between all the literals of that
//! column, or its distinct symbols). Each cell becomes an exact set of regions, and each
//! column keeps, per region, the bit set of rows whose cell contains it. Evaluating a row set
//! is then one region look-up (a binary search) per column and a bitwise AND: no string
//! look-ups of input names and no allocation on the fast path.
//!
//! Regions make the static checks exact:
//! - two cells of a column intersect exactly when their region sets do (integers, money in
//!   minor units and dates are discrete; decimals are dense, with gaps that hold no decimal
//!   number detected and left out), so overlapping rows under [`HitPolicy::Unique`] are
//!   found without false alarms and without misses;
//! - under [`HitPolicy::First`], a row that can never match is found when the union of the
//!   earlier rows covers it (by box subtraction over the regions). The subtraction is
//!   bounded ([`COVERAGE_WORK_LIMIT`] pieces per row); past the bound only coverage by a
//!   single earlier row is checked, which is always exact.

use crate::error::{Error, Result};
use crate::money::{Currency, Money, parse_decimal};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The most pieces the coverage check under [`HitPolicy::First`] keeps for one row before it
/// falls back to checking coverage by a single earlier row.
pub const COVERAGE_WORK_LIMIT: usize = 4096;

/// The type of an input or output column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValueType {
    /// A whole number (`i64`), written as a JSON number.
    Integer,
    /// An exact decimal number, written as a string (`"0.25"`).
    Decimal,
    /// An amount of one currency, written as a decimal string in that currency (`"100.00"`).
    Money {
        /// The currency of every amount in the column.
        currency: Currency,
    },
    /// Free text; only `eq`, `ne`, `in`, `not_in` and `any` apply.
    String,
    /// `true` or `false`; only `eq`, `ne`, `in`, `not_in` and `any` apply.
    Boolean,
    /// One of a declared list of values. Under [`HitPolicy::Priority`] the list is also the
    /// priority order of an output: the first value wins.
    Enumeration {
        /// The allowed values, in priority order.
        values: Vec<String>,
    },
    /// A calendar date, written `"2026-01-31"`.
    Date,
}

impl ValueType {
    fn is_ordered(&self) -> bool {
        matches!(
            self,
            ValueType::Integer | ValueType::Decimal | ValueType::Money { .. } | ValueType::Date
        )
    }

    fn is_summable(&self) -> bool {
        matches!(
            self,
            ValueType::Integer | ValueType::Decimal | ValueType::Money { .. }
        )
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Integer => f.write_str("integer"),
            ValueType::Decimal => f.write_str("decimal"),
            ValueType::Money { currency } => write!(f, "money ({currency})"),
            ValueType::String => f.write_str("string"),
            ValueType::Boolean => f.write_str("boolean"),
            ValueType::Enumeration { values } => write!(f, "enumeration {{{}}}", values.join(", ")),
            ValueType::Date => f.write_str("date"),
        }
    }
}

/// A typed value: an input fact or an output of a table.
///
/// JSON: `{"type": "money", "value": {"amount": "12.00", "currency": "EUR"}}`,
/// `{"type": "decimal", "value": "0.25"}`, `{"type": "integer", "value": 3}`. Values of an
/// enumeration column are strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Value {
    /// A whole number.
    Integer {
        /// The number.
        value: i64,
    },
    /// An exact decimal.
    Decimal {
        /// The number.
        value: Decimal,
    },
    /// An amount of money.
    Money {
        /// The amount.
        value: Money,
    },
    /// Text, or a value of an enumeration.
    String {
        /// The text.
        value: String,
    },
    /// A truth value.
    Boolean {
        /// The truth value.
        value: bool,
    },
    /// A calendar date.
    Date {
        /// The date.
        value: NaiveDate,
    },
}

impl Value {
    /// An integer value.
    pub fn integer(value: i64) -> Self {
        Value::Integer { value }
    }
    /// A decimal value.
    pub fn decimal(value: Decimal) -> Self {
        Value::Decimal { value }
    }
    /// A money value.
    pub fn money(value: Money) -> Self {
        Value::Money { value }
    }
    /// A string (or enumeration) value.
    pub fn string(value: impl Into<String>) -> Self {
        Value::String {
            value: value.into(),
        }
    }
    /// A boolean value.
    pub fn boolean(value: bool) -> Self {
        Value::Boolean { value }
    }
    /// A date value.
    pub fn date(value: NaiveDate) -> Self {
        Value::Date { value }
    }

    pub(crate) fn as_scalar(&self) -> Scalar<'_> {
        match self {
            Value::Integer { value } => Scalar::Int(*value),
            Value::Decimal { value } => Scalar::Dec(*value),
            Value::Money { value } => Scalar::Money(value),
            Value::String { value } => Scalar::Str(value),
            Value::Boolean { value } => Scalar::Bool(*value),
            Value::Date { value } => Scalar::Date(*value),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer { value } => write!(f, "{value}"),
            Value::Decimal { value } => write!(f, "{value}"),
            Value::Money { value } => write!(f, "{value}"),
            Value::String { value } => f.write_str(value),
            Value::Boolean { value } => write!(f, "{value}"),
            Value::Date { value } => write!(f, "{value}"),
        }
    }
}

/// Named input facts for [`DecisionTable::evaluate`].
pub type Facts = BTreeMap<String, Value>;

/// A literal as a business user writes it in a cell: a JSON boolean, a whole number or a
/// string. Its meaning comes from the column's type (a decimal or an amount is a string such
/// as `"100000.00"`; a date is `"2026-01-31"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` or `false`.
    Boolean(bool),
    /// A whole number.
    Integer(i64),
    /// Text: a decimal, an amount, a date, a string or an enumeration value.
    Text(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Integer(i) => write!(f, "{i}"),
            Literal::Text(t) => f.write_str(t),
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::Text(s.to_string())
    }
}

impl From<i64> for Literal {
    fn from(i: i64) -> Self {
        Literal::Integer(i)
    }
}

impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Boolean(b)
    }
}

fn yes() -> bool {
    true
}

/// The condition of one cell. JSON: `{"op": "ge", "value": "100000.00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Condition {
    /// Matches every value (the same as leaving the input out of the row).
    Any,
    /// `=`
    Eq {
        /// The literal compared with.
        value: Literal,
    },
    /// `≠`
    Ne {
        /// The literal compared with.
        value: Literal,
    },
    /// `<` (ordered types only: integer, decimal, money, date).
    Lt {
        /// The literal compared with.
        value: Literal,
    },
    /// `≤` (ordered types only).
    Le {
        /// The literal compared with.
        value: Literal,
    },
    /// `>` (ordered types only).
    Gt {
        /// The literal compared with.
        value: Literal,
    },
    /// `≥` (ordered types only).
    Ge {
        /// The literal compared with.
        value: Literal,
    },
    /// A range (ordered types only); both ends are included unless said otherwise.
    Between {
        /// The lower end.
        low: Literal,
        /// The upper end.
        high: Literal,
        /// Whether the lower end itself matches (default true).
        #[serde(default = "yes")]
        low_inclusive: bool,
        /// Whether the upper end itself matches (default true).
        #[serde(default = "yes")]
        high_inclusive: bool,
    },
    /// Any of the listed values.
    In {
        /// The values.
        values: Vec<Literal>,
    },
    /// None of the listed values.
    NotIn {
        /// The values.
        values: Vec<Literal>,
    },
}

impl Condition {
    fn op_name(&self) -> &'static str {
        match self {
            Condition::Any => "any",
            Condition::Eq { .. } => "eq",
            Condition::Ne { .. } => "ne",
            Condition::Lt { .. } => "lt",
            Condition::Le { .. } => "le",
            Condition::Gt { .. } => "gt",
            Condition::Ge { .. } => "ge",
            Condition::Between { .. } => "between",
            Condition::In { .. } => "in",
            Condition::NotIn { .. } => "not_in",
        }
    }

    fn is_ordering(&self) -> bool {
        matches!(
            self,
            Condition::Lt { .. }
                | Condition::Le { .. }
                | Condition::Gt { .. }
                | Condition::Ge { .. }
                | Condition::Between { .. }
        )
    }
}

/// A column of a table: its name and type. JSON: `{"name": "revenue", "type": "money",
/// "currency": "EUR"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// The column's name; facts and outputs are named by it.
    pub name: String,
    /// The column's type.
    #[serde(flatten)]
    pub value_type: ValueType,
}

impl ColumnDef {
    /// A column named `name` of type `value_type`.
    pub fn new(name: impl Into<String>, value_type: ValueType) -> Self {
        ColumnDef {
            name: name.into(),
            value_type,
        }
    }
}

/// How the matching rows give the table's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HitPolicy {
    /// The first matching row (in table order) gives the outputs.
    First,
    /// At most one row may match; several matches is an error at evaluation, and overlapping
    /// rows are refused when the table is built.
    Unique,
    /// The matching row whose outputs come first in their enumerations' declared value lists
    /// (compared output by output, in declared order; ties to the earlier row).
    Priority,
    /// Every matching row's outputs, in table order.
    CollectList,
    /// The sum of each output over the matching rows (integer, decimal, money outputs).
    CollectSum,
    /// The least value of each output over the matching rows.
    CollectMin,
    /// The greatest value of each output over the matching rows.
    CollectMax,
    /// The number of matching rows.
    CollectCount,
}

impl HitPolicy {
    /// True for the policies that select at most one row (first, unique, priority).
    pub fn is_single(&self) -> bool {
        matches!(
            self,
            HitPolicy::First | HitPolicy::Unique | HitPolicy::Priority
        )
    }
}

/// One row of a table as written: conditions on inputs (`when`, an input left out matches
/// anything) and output literals (`then`, an output left out is absent from the result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// The row's id, unique in the table; decisions cite it.
    pub id: String,
    /// An optional note for readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Conditions by input name.
    #[serde(default)]
    pub when: BTreeMap<String, Condition>,
    /// Output literals by output name.
    #[serde(default)]
    pub then: BTreeMap<String, Literal>,
}

impl RuleSpec {
    /// A row with the given id and no conditions or outputs yet.
    pub fn new(id: impl Into<String>) -> Self {
        RuleSpec {
            id: id.into(),
            description: None,
            when: BTreeMap::new(),
            then: BTreeMap::new(),
        }
    }

    /// Adds a condition on `input`.
    pub fn when(mut self, input: impl Into<String>, condition: Condition) -> Self {
        self.when.insert(input.into(), condition);
        self
    }

    /// Sets the literal of `output`.
    pub fn then(mut self, output: impl Into<String>, literal: impl Into<Literal>) -> Self {
        self.then.insert(output.into(), literal.into());
        self
    }
}

/// A decision table as written (the JSON form). Build it with [`DecisionTable::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionTableSpec {
    /// The table's name, used in messages.
    pub name: String,
    /// How matching rows give the result.
    pub hit_policy: HitPolicy,
    /// The input columns.
    pub inputs: Vec<ColumnDef>,
    /// The output columns.
    pub outputs: Vec<ColumnDef>,
    /// The rows, in order.
    pub rules: Vec<RuleSpec>,
}

/// One condition of a selected row, with the value it was met by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedCondition {
    /// The input's name.
    pub input: String,
    /// The value the input had.
    pub value: Value,
    /// The condition, readable (`"≥ 100000.00"`).
    pub condition: String,
}

impl fmt::Display for MatchedCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.input, self.value, self.condition)
    }
}

/// The outputs of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutputs {
    /// The row's id.
    pub rule: String,
    /// Its outputs by name.
    pub outputs: BTreeMap<String, Value>,
}

/// What a table gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvaluationResult {
    /// No row matched (for every policy but `collect_count`).
    NoMatch,
    /// The outputs of the one selected row (first, unique, priority).
    Single {
        /// Outputs by name.
        outputs: BTreeMap<String, Value>,
    },
    /// The outputs of every matching row (collect_list).
    List {
        /// One entry per matching row, in table order.
        rows: Vec<RuleOutputs>,
    },
    /// The aggregated outputs (collect_sum, collect_min, collect_max).
    Aggregate {
        /// Outputs by name; an output no matching row gives is absent.
        outputs: BTreeMap<String, Value>,
    },
    /// The number of matching rows (collect_count).
    Count {
        /// How many rows matched.
        count: u64,
    },
}

/// The result of evaluating a table, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Every row whose conditions hold, in table order.
    pub matched_rules: Vec<String>,
    /// The rows whose outputs make the result.
    pub selected_rules: Vec<String>,
    /// The result.
    pub result: EvaluationResult,
    /// One readable line per selected row: `"rule R3: potential 250000.00 EUR ≥ 100000.00"`.
    pub reasons: Vec<String>,
}

impl Evaluation {
    /// The single result's outputs (first, unique, priority), if a row was selected.
    pub fn outputs(&self) -> Option<&BTreeMap<String, Value>> {
        match &self.result {
            EvaluationResult::Single { outputs } | EvaluationResult::Aggregate { outputs } => {
                Some(outputs)
            }
            _ => None,
        }
    }
}

/// A row that can never match under [`HitPolicy::First`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreachableRule {
    /// The row that never matches.
    pub rule: String,
    /// The earlier rows that together cover it.
    pub covered_by: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Compiled form
// ---------------------------------------------------------------------------------------

/// A borrowed input value on the evaluation path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Int(i64),
    Dec(Decimal),
    Money(&'a Money),
    Str(&'a str),
    Bool(bool),
    Date(NaiveDate),
}

impl Scalar<'_> {
    fn kind_name(&self) -> &'static str {
        match self {
            Scalar::Int(_) => "integer",
            Scalar::Dec(_) => "decimal",
            Scalar::Money(_) => "money",
            Scalar::Str(_) => "string",
            Scalar::Bool(_) => "boolean",
            Scalar::Date(_) => "date",
        }
    }

    pub(crate) fn to_value(self) -> Value {
        match self {
            Scalar::Int(v) => Value::integer(v),
            Scalar::Dec(v) => Value::decimal(v),
            Scalar::Money(v) => Value::money(*v),
            Scalar::Str(v) => Value::string(v),
            Scalar::Bool(v) => Value::boolean(v),
            Scalar::Date(v) => Value::date(v),
        }
    }
}

impl fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(v) => write!(f, "{v}"),
            Scalar::Dec(v) => write!(f, "{v}"),
            Scalar::Money(v) => write!(f, "{v}"),
            Scalar::Str(v) => f.write_str(v),
            Scalar::Bool(v) => write!(f, "{v}"),
            Scalar::Date(v) => write!(f, "{v}"),
        }
    }
}

/// How a discrete column maps values to whole numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discrete {
    Integer,
    Money(Currency),
    Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Index {
    /// Regions `[p(i-1), p(i) - 1]`; region 0 is below the first point.
    Discrete { kind: Discrete, points: Vec<i128> },
    /// Regions alternate gaps and points: `(-∞,b0) [b0] (b0,b1) [b1] … (bk,+∞)`.
    Dense { points: Vec<Decimal> },
    /// Region i is `values[i]`; a string column has one more region for every other string.
    Symbols {
        values: Vec<String>,
        enumeration: bool,
    },
    /// Region 0 is false, 1 is true.
    Boolean,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    value_type: ValueType,
    index: Index,
    regions: usize,
    /// Every non-empty region: what `any` covers.
    all: Vec<u64>,
    /// Per region, the rows whose cell contains it: `regions × words` words.
    masks: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Cell {
    regions: Vec<u64>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CompiledRule {
    id: String,
    /// One per input; `None` matches anything.
    cells: Vec<Option<Cell>>,
    /// One per output; `None` is absent.
    outputs: Vec<Option<Value>>,
}

/// A built, checked and compiled decision table. Serializes as its [`DecisionTableSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DecisionTableSpec", into = "DecisionTableSpec")]
pub struct DecisionTable {
    spec: DecisionTableSpec,
    columns: Vec<Column>,
    /// Indices of the columns some row constrains.
    active: Vec<usize>,
    rules: Vec<CompiledRule>,
    words: usize,
    /// Under `priority`, each row's rank (lower wins).
    priority_rank: Vec<u32>,
}

impl TryFrom<DecisionTableSpec> for DecisionTable {
    type Error = Error;
    fn try_from(spec: DecisionTableSpec) -> Result<Self> {
        DecisionTable::new(spec)
    }
}

impl From<DecisionTable> for DecisionTableSpec {
    fn from(t: DecisionTable) -> Self {
        t.spec
    }
}

fn bit_set(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1u64 << (i % 64);
    }
}

fn bits_intersect(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).any(|(x, y)| x & y != 0)
}

fn bits_empty(a: &[u64]) -> bool {
    a.iter().all(|w| *w == 0)
}

fn bits_subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

fn bits_iter(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(wi, w)| {
        let mut w = *w;
        std::iter::from_fn(move || {
            if w == 0 {
                None
            } else {
                let t = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + t)
            }
        })
    })
}

/// A lower or upper end of a dense interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    Incl(Decimal),
    Excl(Decimal),
}

/// A cell's set before regions are known.
enum Raw {
    /// Closed integer intervals inside the column's domain.
    Discrete(Vec<(i128, i128)>),
    /// Dense intervals.
    Dense(Vec<(End, End)>),
    /// Symbols: included (`true`) or excluded (`false`) set.
    Symbols(bool, BTreeSet<String>),
    /// Booleans: which of false/true.
    Boolean([bool; 2]),
}

/// The greatest number of minor units a decimal amount can hold.
const MONEY_MINOR_MAX: i128 = (1i128 << 96) - 1;

fn domain(kind: Discrete) -> (i128, i128) {
    match kind {
        Discrete::Integer => (i128::from(i64::MIN), i128::from(i64::MAX)),
        Discrete::Money(_) => (-MONEY_MINOR_MAX, MONEY_MINOR_MAX),
        Discrete::Date => (
            i128::from(NaiveDate::MIN.num_days_from_ce()),
            i128::from(NaiveDate::MAX.num_days_from_ce()),
        ),
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Parses a cell literal of an ordered discrete column to its whole-number form.
fn discrete_literal(kind: Discrete, lit: &Literal) -> std::result::Result<i128, String> {
    match (kind, lit) {
        (Discrete::Integer, Literal::Integer(i)) => Ok(i128::from(*i)),
        (Discrete::Integer, _) => Err(format!("{lit:?} is not an integer")),
        (Discrete::Money(c), Literal::Integer(i)) => Ok(Money::new(Decimal::from(*i), c)
            .map_err(|e| e.to_string())?
            .minor_units()),
        (Discrete::Money(c), Literal::Text(t)) => {
            let d = parse_decimal("amount", t).map_err(|_| format!("{t:?} is not an amount"))?;
            let m = Money::new(d, c).map_err(|_| format!("{t:?} is not an amount in {c}"))?;
            Ok(m.minor_units())
        }
        (Discrete::Money(c), _) => Err(format!("{lit:?} is not an amount in {c}")),
        (Discrete::Date, Literal::Text(t)) => parse_date(t)
            .map(|d| i128::from(d.num_days_from_ce()))
            .ok_or_else(|| format!("{t:?} is not a date (YYYY-MM-DD)")),
        (Discrete::Date, _) => Err(format!("{lit:?} is not a date (YYYY-MM-DD)")),
    }
}

fn decimal_literal(lit: &Literal) -> std::result::Result<Decimal, String> {
    match lit {
        Literal::Integer(i) => Ok(Decimal::from(*i)),
        Literal::Text(t) => {
            parse_decimal("decimal", t).map_err(|_| format!("{t:?} is not a decimal"))
        }
        Literal::Boolean(_) => Err(format!("{lit:?} is not a decimal")),
    }
}

fn symbol_literal(vt: &ValueType, lit: &Literal) -> std::result::Result<String, String> {
    match (vt, lit) {
        (ValueType::String, Literal::Text(t)) => Ok(t.clone()),
        (ValueType::Enumeration { values }, Literal::Text(t)) => {
            if values.iter().any(|v| v == t) {
                Ok(t.clone())
            } else {
                Err(format!("{t:?} is not one of {{{}}}", values.join(", ")))
            }
        }
        (vt, lit) => Err(format!("{lit:?} is not a {vt}")),
    }
}

/// Readable literal as compared: money and decimals normalised, text as written.
fn literal_text(vt: &ValueType, lit: &Literal) -> String {
    match (vt, lit) {
        (ValueType::Money { currency }, _) => {
            match discrete_literal(Discrete::Money(*currency), lit) {
                Ok(minor) => Decimal::try_from_i128_with_scale(minor, currency.exponent())
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| lit.to_string()),
                Err(_) => lit.to_string(),
            }
        }
        _ => lit.to_string(),
    }
}

fn condition_text(vt: &ValueType, c: &Condition) -> String {
    let l = |x: &Literal| literal_text(vt, x);
    let list = |xs: &[Literal]| xs.iter().map(l).collect::<Vec<_>>().join(", ");
    match c {
        Condition::Any => "any".to_string(),
        Condition::Eq { value } => format!("= {}", l(value)),
        Condition::Ne { value } => format!("≠ {}", l(value)),
        Condition::Lt { value } => format!("< {}", l(value)),
        Condition::Le { value } => format!("≤ {}", l(value)),
        Condition::Gt { value } => format!("> {}", l(value)),
        Condition::Ge { value } => format!("≥ {}", l(value)),
        Condition::Between {
            low,
            high,
            low_inclusive,
            high_inclusive,
        } => format!(
            "in {}{}, {}{}",
            if *low_inclusive { "[" } else { "(" },
            l(low),
            l(high),
            if *high_inclusive { "]" } else { ")" }
        ),
        Condition::In { values } => format!("in {{{}}}", list(values)),
        Condition::NotIn { values } => format!("not in {{{}}}", list(values)),
    }
}

/// Turns one condition into its raw set, or says why it cannot.
fn raw_condition(vt: &ValueType, c: &Condition) -> std::result::Result<Raw, String> {
    if c.is_ordering() && !vt.is_ordered() {
        return Err(format!(
            "operator {} does not apply to a {} input",
            c.op_name(),
            vt
        ));
    }
    match vt {
        ValueType::Integer | ValueType::Money { .. } | ValueType::Date => {
            let kind = match vt {
                ValueType::Money { currency } => Discrete::Money(*currency),
                ValueType::Date => Discrete::Date,
                _ => Discrete::Integer,
            };
            let (lo, hi) = domain(kind);
            let p = |x: &Literal| discrete_literal(kind, x);
            let ivs: Vec<(i128, i128)> = match c {
                Condition::Any => vec![(lo, hi)],
                Condition::Eq { value } => {
                    let v = p(value)?;
                    vec![(v, v)]
                }
                Condition::Ne { value } => {
                    let v = p(value)?;
                    vec![(lo, v - 1), (v + 1, hi)]
                }
                Condition::Lt { value } => vec![(lo, p(value)? - 1)],
                Condition::Le { value } => vec![(lo, p(value)?)],
                Condition::Gt { value } => vec![(p(value)? + 1, hi)],
                Condition::Ge { value } => vec![(p(value)?, hi)],
                Condition::Between {
                    low,
                    high,
                    low_inclusive,
                    high_inclusive,
                } => {
                    let a = p(low)? + i128::from(!*low_inclusive);
                    let b = p(high)? - i128::from(!*high_inclusive);
                    vec![(a, b)]
                }
                Condition::In { values } => values
                    .iter()
                    .map(|x| p(x).map(|v| (v, v)))
                    .collect::<std::result::Result<_, _>>()?,
                Condition::NotIn { values } => {
                    let pts: BTreeSet<i128> = values
                        .iter()
                        .map(p)
                        .collect::<std::result::Result<_, _>>()?;
                    let mut out = Vec::new();
                    let mut start = lo;
                    for v in pts {
                        out.push((start, v - 1));
                        start = v + 1;
                    }
                    out.push((start, hi));
                    out
                }
            };
            Ok(Raw::Discrete(
                ivs.into_iter()
                    .map(|(a, b)| (a.max(lo), b.min(hi)))
                    .filter(|(a, b)| a <= b)
                    .collect(),
            ))
        }
        ValueType::Decimal => {
            let p = decimal_literal;
            let ivs: Vec<(End, End)> = match c {
                Condition::Any => vec![(End::Open, End::Open)],
                Condition::Eq { value } => {
                    let v = p(value)?;
                    vec![(End::Incl(v), End::Incl(v))]
                }
                Condition::Ne { value } => {
                    let v = p(value)?;
                    vec![(End::Open, End::Excl(v)), (End::Excl(v), End::Open)]
                }
                Condition::Lt { value } => vec![(End::Open, End::Excl(p(value)?))],
                Condition::Le { value } => vec![(End::Open, End::Incl(p(value)?))],
                Condition::Gt { value } => vec![(End::Excl(p(value)?), End::Open)],
                Condition::Ge { value } => vec![(End::Incl(p(value)?), End::Open)],
                Condition::Between {
                    low,
                    high,
                    low_inclusive,
                    high_inclusive,
                } => {
                    let a = p(low)?;
                    let b = p(high)?;
                    vec![(
                        if *low_inclusive {
                            End::Incl(a)
                        } else {
                            End::Excl(a)
                        },
                        if *high_inclusive {
                            End::Incl(b)
                        } else {
                            End::Excl(b)
                        },
                    )]
                }
                Condition::In { values } => values
                    .iter()
                    .map(|x| p(x).map(|v| (End::Incl(v), End::Incl(v))))
                    .collect::<std::result::Result<_, _>>()?,
                Condition::NotIn { values } => {
                    let pts: BTreeSet<Decimal> = values
                        .iter()
                        .map(p)
                        .collect::<std::result::Result<_, _>>()?;
                    let mut out = Vec::new();
                    let mut start = End::Open;
                    for v in pts {
                        out.push((start, End::Excl(v)));
                        start = End::Excl(v);
                    }
                    out.push((start, End::Open));
                    out
                }
            };
            Ok(Raw::Dense(ivs))
        }
        ValueType::String | ValueType::Enumeration { .. } => {
            let p = |x: &Literal| symbol_literal(vt, x);
            let one = |x: &Literal| -> std::result::Result<BTreeSet<String>, String> {
                Ok(BTreeSet::from([p(x)?]))
            };
            let many = |xs: &[Literal]| -> std::result::Result<BTreeSet<String>, String> {
                xs.iter().map(p).collect()
            };
            Ok(match c {
                Condition::Any => Raw::Symbols(false, BTreeSet::new()),
                Condition::Eq { value } => Raw::Symbols(true, one(value)?),
                Condition::Ne { value } => Raw::Symbols(false, one(value)?),
                Condition::In { values } => Raw::Symbols(true, many(values)?),
                Condition::NotIn { values } => Raw::Symbols(false, many(values)?),
                _ => return Err(format!("operator {} does not apply", c.op_name())),
            })
        }
        ValueType::Boolean => {
            let p = |x: &Literal| match x {
                Literal::Boolean(b) => Ok(*b),
                other => Err(format!("{other:?} is not a boolean")),
            };
            let mut set = [false; 2];
            match c {
                Condition::Any => set = [true; 2],
                Condition::Eq { value } => set_flag(&mut set, p(value)?, true),
                Condition::Ne { value } => set_flag(&mut set, !p(value)?, true),
                Condition::In { values } => {
                    for v in values {
                        set_flag(&mut set, p(v)?, true);
                    }
                }
                Condition::NotIn { values } => {
                    set = [true; 2];
                    for v in values {
                        set_flag(&mut set, p(v)?, false);
                    }
                }
                _ => return Err(format!("operator {} does not apply", c.op_name())),
            }
            Ok(Raw::Boolean(set))
        }
    }
}

fn set_flag(set: &mut [bool; 2], which: bool, to: bool) {
    if let Some(slot) = set.get_mut(usize::from(which)) {
        *slot = to;
    }
}

fn end_value(e: End) -> Option<Decimal> {
    match e {
        End::Open => None,
        End::Incl(v) | End::Excl(v) => Some(v),
    }
}

fn lo_admits(lo: End, x: Decimal) -> bool {
    match lo {
        End::Open => true,
        End::Incl(l) => l <= x,
        End::Excl(l) => l < x,
    }
}

fn hi_admits(hi: End, x: Decimal) -> bool {
    match hi {
        End::Open => true,
        End::Incl(h) => x <= h,
        End::Excl(h) => x < h,
    }
}

/// Whether some decimal lies strictly between `a` and `b`.
fn gap_nonempty(a: Decimal, b: Decimal) -> bool {
    if a >= b {
        return false;
    }
    match b.checked_sub(a).and_then(|d| d.checked_div(Decimal::TWO)) {
        Some(half) => match a.checked_add(half) {
            Some(m) => a < m && m < b,
            None => true,
        },
        // The difference overflows: a and b are far apart.
        None => true,
    }
}

impl Index {
    fn regions(&self) -> usize {
        match self {
            Index::Discrete { points, .. } => points.len() + 1,
            Index::Dense { points } => 2 * points.len() + 1,
            Index::Symbols {
                values,
                enumeration,
            } => values.len() + usize::from(!*enumeration),
            Index::Boolean => 2,
        }
    }

    fn discrete_region(points: &[i128], v: i128) -> usize {
        points.partition_point(|p| *p <= v)
    }

    /// The region set of a raw cell set.
    fn region_set(&self, raw: &Raw, words: usize) -> Vec<u64> {
        let mut bits = vec![0u64; words];
        match (self, raw) {
            (Index::Discrete { points, .. }, Raw::Discrete(ivs)) => {
                for (a, b) in ivs {
                    let from = Self::discrete_region(points, *a);
                    let to = Self::discrete_region(points, *b);
                    for r in from..=to {
                        bit_set(&mut bits, r);
                    }
                }
            }
            (Index::Dense { points }, Raw::Dense(ivs)) => {
                let k = points.len();
                for r in 0..(2 * k + 1) {
                    let i = r / 2;
                    let covered = if r % 2 == 1 {
                        points.get(i).is_some_and(|b| {
                            ivs.iter()
                                .any(|(lo, hi)| lo_admits(*lo, *b) && hi_admits(*hi, *b))
                        })
                    } else {
                        // The gap between points[i-1] and points[i].
                        let left = if i == 0 {
                            None
                        } else {
                            points.get(i - 1).copied()
                        };
                        let right = points.get(i).copied();
                        let nonempty = match (left, right) {
                            (Some(a), Some(b)) => gap_nonempty(a, b),
                            (None, Some(b)) => b > Decimal::MIN,
                            (Some(a), None) => a < Decimal::MAX,
                            (None, None) => true,
                        };
                        nonempty
                            && ivs.iter().any(|(lo, hi)| {
                                let lo_ok = match (end_value(*lo), left) {
                                    (None, _) => true,
                                    (Some(l), Some(a)) => l <= a,
                                    (Some(_), None) => false,
                                };
                                let hi_ok = match (end_value(*hi), right) {
                                    (None, _) => true,
                                    (Some(h), Some(b)) => h >= b,
                                    (Some(_), None) => false,
                                };
                                lo_ok && hi_ok
                            })
                    };
                    if covered {
                        bit_set(&mut bits, r);
                    }
                }
            }
            (
                Index::Symbols {
                    values,
                    enumeration,
                },
                Raw::Symbols(include, set),
            ) => {
                for (i, v) in values.iter().enumerate() {
                    if set.contains(v) == *include {
                        bit_set(&mut bits, i);
                    }
                }
                if !*enumeration && !*include {
                    bit_set(&mut bits, values.len());
                }
            }
            (Index::Boolean, Raw::Boolean(set)) => {
                for (i, b) in set.iter().enumerate() {
                    if *b {
                        bit_set(&mut bits, i);
                    }
                }
            }
            _ => {}
        }
        bits
    }

    /// The region of an input value, or a typed error naming the input.
    #[inline]
    fn region_of(&self, name: &str, vt: &ValueType, v: Scalar<'_>) -> Result<usize> {
        let mismatch = || {
            Error::validation(
                format!("input {name}"),
                v,
                format!("expected a {vt}, got a {}", v.kind_name()),
            )
        };
        match (self, v) {
            (
                Index::Discrete {
                    kind: Discrete::Integer,
                    points,
                },
                Scalar::Int(i),
            ) => Ok(Self::discrete_region(points, i128::from(i))),
            (
                Index::Discrete {
                    kind: Discrete::Money(c),
                    points,
                },
                Scalar::Money(m),
            ) => {
                if m.currency() != *c {
                    return Err(Error::CurrencyMismatch {
                        left: c.code().to_string(),
                        right: m.currency().code().to_string(),
                    });
                }
                Ok(Self::discrete_region(points, m.minor_units()))
            }
            (
                Index::Discrete {
                    kind: Discrete::Date,
                    points,
                },
                Scalar::Date(d),
            ) => Ok(Self::discrete_region(
                points,
                i128::from(d.num_days_from_ce()),
            )),
            (Index::Dense { points }, Scalar::Dec(d)) => Ok(Self::dense_region(points, d)),
            (Index::Dense { points }, Scalar::Int(i)) => {
                Ok(Self::dense_region(points, Decimal::from(i)))
            }
            (
                Index::Symbols {
                    values,
                    enumeration,
                },
                Scalar::Str(s),
            ) => {
                if *enumeration {
                    values.iter().position(|x| x == s).ok_or_else(|| {
                        Error::validation(
                            format!("input {name}"),
                            s,
                            format!("expected one of {{{}}}", values.join(", ")),
                        )
                    })
                } else {
                    Ok(values
                        .binary_search_by(|x| x.as_str().cmp(s))
                        .unwrap_or(values.len()))
                }
            }
            (Index::Boolean, Scalar::Bool(b)) => Ok(usize::from(b)),
            _ => Err(mismatch()),
        }
    }

    #[inline]
    fn dense_region(points: &[Decimal], v: Decimal) -> usize {
        let i = points.partition_point(|p| *p < v);
        if points.get(i) == Some(&v) {
            2 * i + 1
        } else {
            2 * i
        }
    }
}

fn output_value(vt: &ValueType, lit: &Literal) -> std::result::Result<Value, String> {
    match vt {
        ValueType::Integer => match lit {
            Literal::Integer(i) => Ok(Value::integer(*i)),
            _ => Err(format!("{lit:?} is not an integer")),
        },
        ValueType::Decimal => decimal_literal(lit).map(Value::decimal),
        ValueType::Money { currency } => {
            let d = decimal_literal(lit).map_err(|_| format!("{lit:?} is not an amount"))?;
            Money::new(d, *currency)
                .map(Value::money)
                .map_err(|_| format!("{lit:?} is not an amount in {currency}"))
        }
        ValueType::String | ValueType::Enumeration { .. } => {
            symbol_literal(vt, lit).map(Value::string)
        }
        ValueType::Boolean => match lit {
            Literal::Boolean(b) => Ok(Value::boolean(*b)),
            _ => Err(format!("{lit:?} is not a boolean")),
        },
        ValueType::Date => match lit {
            Literal::Text(t) => parse_date(t)
                .map(Value::date)
                .ok_or_else(|| format!("{t:?} is not a date (YYYY-MM-DD)")),
            _ => Err(format!("{lit:?} is not a date (YYYY-MM-DD)")),
        },
    }
}

fn check_columns(kind: &str, cols: &[ColumnDef], problems: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    for c in cols {
        if c.name.trim().is_empty() {
            problems.push(format!("an {kind} has an empty name"));
        } else if !seen.insert(c.name.as_str()) {
            problems.push(format!("{kind} {:?} is declared twice", c.name));
        }
        if let ValueType::Enumeration { values } = &c.value_type {
            if values.is_empty() {
                problems.push(format!("{kind} {:?}: an enumeration needs values", c.name));
            }
            let mut vs = BTreeSet::new();
            for v in values {
                if !vs.insert(v) {
                    problems.push(format!("{kind} {:?}: value {v:?} is listed twice", c.name));
                }
            }
        }
    }
}

impl DecisionTable {
    /// Checks and compiles a table. Every problem found is reported at once in an
    /// [`Error::InvalidDefinition`]: unknown inputs or outputs, literals that do not match
    /// their column's type, operators that do not apply, conditions that can never be met,
    /// duplicate row ids, overlapping rows under `unique`, rows that can never match under
    /// `first`, and outputs a `collect` aggregation or `priority` cannot use.
    pub fn new(spec: DecisionTableSpec) -> Result<Self> {
        let mut problems = Vec::new();
        if spec.name.trim().is_empty() {
            problems.push("the table has no name".to_string());
        }
        check_columns("input", &spec.inputs, &mut problems);
        check_columns("output", &spec.outputs, &mut problems);
        if spec.rules.is_empty() {
            problems.push("the table has no rules".to_string());
        }
        match spec.hit_policy {
            HitPolicy::CollectSum => {
                for o in spec.outputs.iter().filter(|o| !o.value_type.is_summable()) {
                    problems.push(format!(
                        "output {:?} is a {}; collect_sum needs integer, decimal or money outputs",
                        o.name, o.value_type
                    ));
                }
            }
            HitPolicy::CollectMin | HitPolicy::CollectMax => {
                for o in spec.outputs.iter().filter(|o| !o.value_type.is_ordered()) {
                    problems.push(format!(
                        "output {:?} is a {}; collect_min and collect_max need ordered outputs",
                        o.name, o.value_type
                    ));
                }
            }
            HitPolicy::Priority
                if !spec
                    .outputs
                    .iter()
                    .any(|o| matches!(o.value_type, ValueType::Enumeration { .. })) =>
            {
                problems.push(
                    "hit policy priority needs an enumeration output whose values give the priority"
                        .to_string(),
                );
            }
            _ => {}
        }

        // Rows: ids, names, parse cells to raw sets and outputs to values.
        // A name declared twice (already reported) refers to its first declaration.
        let mut input_pos: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, c) in spec.inputs.iter().enumerate() {
            input_pos.entry(c.name.as_str()).or_insert(i);
        }
        let mut output_pos: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, c) in spec.outputs.iter().enumerate() {
            output_pos.entry(c.name.as_str()).or_insert(i);
        }
        let mut ids = BTreeSet::new();
        // raw[rule][input]
        let mut raws: Vec<Vec<Option<(Raw, String)>>> = Vec::with_capacity(spec.rules.len());
        let mut outs: Vec<Vec<Option<Value>>> = Vec::with_capacity(spec.rules.len());
        for rule in &spec.rules {
            if rule.id.trim().is_empty() {
                problems.push("a rule has an empty id".to_string());
            } else if !ids.insert(rule.id.as_str()) {
                problems.push(format!("rule id {:?} is used twice", rule.id));
            }
            let mut cells: Vec<Option<(Raw, String)>> = spec.inputs.iter().map(|_| None).collect();
            for (name, cond) in &rule.when {
                let Some(&i) = input_pos.get(name.as_str()) else {
                    problems.push(format!("rule {}: unknown input {name:?}", rule.id));
                    continue;
                };
                let Some(col) = spec.inputs.get(i) else {
                    continue;
                };
                if matches!(cond, Condition::Any) {
                    continue;
                }
                match raw_condition(&col.value_type, cond) {
                    Ok(raw) => {
                        if let Some(slot) = cells.get_mut(i) {
                            *slot = Some((raw, condition_text(&col.value_type, cond)));
                        }
                    }
                    Err(why) => problems.push(format!(
                        "rule {}, input {name:?} ({}): {why}",
                        rule.id, col.value_type
                    )),
                }
            }
            let mut values: Vec<Option<Value>> = spec.outputs.iter().map(|_| None).collect();
            for (name, lit) in &rule.then {
                let Some(&i) = output_pos.get(name.as_str()) else {
                    problems.push(format!("rule {}: unknown output {name:?}", rule.id));
                    continue;
                };
                let Some(col) = spec.outputs.get(i) else {
                    continue;
                };
                match output_value(&col.value_type, lit) {
                    Ok(v) => {
                        if let Some(slot) = values.get_mut(i) {
                            *slot = Some(v);
                        }
                    }
                    Err(why) => problems.push(format!(
                        "rule {}, output {name:?} ({}): {why}",
                        rule.id, col.value_type
                    )),
                }
            }
            raws.push(cells);
            outs.push(values);
        }
        if !problems.is_empty() {
            return Err(invalid(&spec.name, problems));
        }

        // Regions per column.
        let words = spec.rules.len().div_ceil(64).max(1);
        let mut columns = Vec::with_capacity(spec.inputs.len());
        for (ci, def) in spec.inputs.iter().enumerate() {
            let cells = raws
                .iter()
                .filter_map(|r| r.get(ci).and_then(|c| c.as_ref()));
            let index = match &def.value_type {
                ValueType::Integer | ValueType::Money { .. } | ValueType::Date => {
                    let kind = match &def.value_type {
                        ValueType::Money { currency } => Discrete::Money(*currency),
                        ValueType::Date => Discrete::Date,
                        _ => Discrete::Integer,
                    };
                    let (lo, hi) = domain(kind);
                    let mut pts = BTreeSet::from([lo, hi + 1]);
                    for (raw, _) in cells {
                        if let Raw::Discrete(ivs) = raw {
                            for (a, b) in ivs {
                                pts.insert(*a);
                                pts.insert(*b + 1);
                            }
                        }
                    }
                    Index::Discrete {
                        kind,
                        points: pts.into_iter().collect(),
                    }
                }
                ValueType::Decimal => {
                    let mut pts = BTreeSet::new();
                    for (raw, _) in cells {
                        if let Raw::Dense(ivs) = raw {
                            for (a, b) in ivs {
                                pts.extend(end_value(*a));
                                pts.extend(end_value(*b));
                            }
                        }
                    }
                    Index::Dense {
                        points: pts.into_iter().collect(),
                    }
                }
                ValueType::String => {
                    let mut syms = BTreeSet::new();
                    for (raw, _) in cells {
                        if let Raw::Symbols(_, set) = raw {
                            syms.extend(set.iter().cloned());
                        }
                    }
                    Index::Symbols {
                        values: syms.into_iter().collect(),
                        enumeration: false,
                    }
                }
                ValueType::Enumeration { values } => Index::Symbols {
                    values: values.clone(),
                    enumeration: true,
                },
                ValueType::Boolean => Index::Boolean,
            };
            let regions = index.regions();
            let any_raw = raw_condition(&def.value_type, &Condition::Any)
                .map_err(|why| invalid(&spec.name, vec![why]))?;
            let region_words = regions.div_ceil(64).max(1);
            let all = index.region_set(&any_raw, region_words);
            columns.push(Column {
                name: def.name.clone(),
                value_type: def.value_type.clone(),
                index,
                regions,
                all,
                masks: vec![0u64; regions * words],
            });
        }

        // Cells to region sets; masks.
        let mut rules = Vec::with_capacity(spec.rules.len());
        for (ri, ((rule, cells), values)) in spec.rules.iter().zip(raws).zip(outs).enumerate() {
            let mut compiled = Vec::with_capacity(cells.len());
            for (ci, cell) in cells.into_iter().enumerate() {
                let Some(col) = columns.get_mut(ci) else {
                    continue;
                };
                let region_words = col.regions.div_ceil(64).max(1);
                let set = match &cell {
                    Some((raw, _)) => col.index.region_set(raw, region_words),
                    None => col.all.clone(),
                };
                if bits_empty(&set) {
                    problems.push(format!(
                        "rule {}, input {:?}: the condition can never be met",
                        rule.id, col.name
                    ));
                }
                for r in bits_iter(&set) {
                    if let Some(w) = col.masks.get_mut(r * words + ri / 64) {
                        *w |= 1u64 << (ri % 64);
                    }
                }
                compiled.push(cell.and_then(|(_, text)| {
                    if set == col.all {
                        None
                    } else {
                        Some(Cell { regions: set, text })
                    }
                }));
            }
            rules.push(CompiledRule {
                id: rule.id.clone(),
                cells: compiled,
                outputs: values,
            });
        }
        let active = (0..columns.len())
            .filter(|ci| {
                rules
                    .iter()
                    .any(|r| r.cells.get(*ci).is_some_and(Option::is_some))
            })
            .collect();

        let priority_rank = if spec.hit_policy == HitPolicy::Priority {
            let key = |r: &CompiledRule| -> Vec<usize> {
                spec.outputs
                    .iter()
                    .zip(&r.outputs)
                    .filter_map(|(def, v)| match &def.value_type {
                        ValueType::Enumeration { values } => Some(match v {
                            Some(Value::String { value }) => values
                                .iter()
                                .position(|x| x == value)
                                .unwrap_or(values.len()),
                            _ => values.len(),
                        }),
                        _ => None,
                    })
                    .collect()
            };
            let mut order: Vec<(Vec<usize>, usize)> =
                rules.iter().enumerate().map(|(i, r)| (key(r), i)).collect();
            order.sort();
            let mut rank = vec![0u32; rules.len()];
            for (pos, (_, i)) in order.into_iter().enumerate() {
                if let Some(slot) = rank.get_mut(i) {
                    *slot = u32::try_from(pos).unwrap_or(u32::MAX);
                }
            }
            rank
        } else {
            Vec::new()
        };

        let table = DecisionTable {
            spec,
            columns,
            active,
            rules,
            words,
            priority_rank,
        };
        match table.spec.hit_policy {
            HitPolicy::Unique => {
                for (a, b) in table.overlapping_rules() {
                    problems.push(format!(
                        "rules {a} and {b} overlap: some input matches both under hit policy unique"
                    ));
                }
            }
            HitPolicy::First => {
                for u in table.unreachable_rules() {
                    problems.push(format!(
                        "rule {} can never match under hit policy first: covered by {}",
                        u.rule,
                        u.covered_by.join(", ")
                    ));
                }
            }
            _ => {}
        }
        if problems.is_empty() {
            Ok(table)
        } else {
            Err(invalid(&table.spec.name, problems))
        }
    }

    /// Reads a table from JSON and builds it: a syntax error is [`Error::Json`], a table with
    /// problems is [`Error::InvalidDefinition`].
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: DecisionTableSpec = serde_json::from_str(json)?;
        DecisionTable::new(spec)
    }

    /// The table as JSON (its spec).
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(&self.spec)?)
    }

    /// The table as written.
    pub fn spec(&self) -> &DecisionTableSpec {
        &self.spec
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The hit policy.
    pub fn hit_policy(&self) -> HitPolicy {
        self.spec.hit_policy
    }

    /// The input columns.
    pub fn inputs(&self) -> &[ColumnDef] {
        &self.spec.inputs
    }

    /// The output columns.
    pub fn outputs(&self) -> &[ColumnDef] {
        &self.spec.outputs
    }

    /// The number of rows.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The id of row `index` (table order).
    pub fn rule_id(&self, index: usize) -> Option<&str> {
        self.rules.get(index).map(|r| r.id.as_str())
    }

    /// Every pair of rows (ids, in table order) that some input matches both of.
    pub fn overlapping_rules(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, a) in self.rules.iter().enumerate() {
            for b in self.rules.iter().skip(i + 1) {
                let all_meet = self.columns.iter().enumerate().all(|(ci, col)| {
                    let sa = a
                        .cells
                        .get(ci)
                        .and_then(Option::as_ref)
                        .map_or(&col.all, |c| &c.regions);
                    let sb = b
                        .cells
                        .get(ci)
                        .and_then(Option::as_ref)
                        .map_or(&col.all, |c| &c.regions);
                    bits_intersect(sa, sb)
                });
                if all_meet {
                    out.push((a.id.clone(), b.id.clone()));
                }
            }
        }
        out
    }

    fn cell_set<'a>(&'a self, rule: &'a CompiledRule, ci: usize) -> &'a [u64] {
        match (
            rule.cells.get(ci).and_then(Option::as_ref),
            self.columns.get(ci),
        ) {
            (Some(c), _) => &c.regions,
            (None, Some(col)) => &col.all,
            (None, None) => &[],
        }
    }

    /// The rows that no input can reach when rows are tried in order (as under `first`):
    /// every input they match is matched by an earlier row.
    pub fn unreachable_rules(&self) -> Vec<UnreachableRule> {
        let mut out = Vec::new();
        for (j, rule) in self.rules.iter().enumerate() {
            let boxed: Vec<Vec<u64>> = (0..self.columns.len())
                .map(|ci| self.cell_set(rule, ci).to_vec())
                .collect();
            // Single-row coverage: exact and cheap.
            if let Some(earlier) = self.rules.iter().take(j).find(|e| {
                (0..self.columns.len())
                    .all(|ci| bits_subset(self.cell_set(rule, ci), self.cell_set(e, ci)))
            }) {
                out.push(UnreachableRule {
                    rule: rule.id.clone(),
                    covered_by: vec![earlier.id.clone()],
                });
                continue;
            }
            // Union coverage by box subtraction, bounded.
            let mut remaining = vec![boxed];
            let mut contributors = Vec::new();
            let mut gave_up = false;
            for e in self.rules.iter().take(j) {
                let mut next = Vec::new();
                let mut touched = false;
                for b in remaining {
                    let meets = b
                        .iter()
                        .enumerate()
                        .all(|(ci, s)| bits_intersect(s, self.cell_set(e, ci)));
                    if !meets {
                        next.push(b);
                        continue;
                    }
                    touched = true;
                    // b \ e = union over columns c of (b ∩ e on columns < c) × (b_c \ e_c) × b.
                    let mut prefix = b.clone();
                    for ci in 0..b.len() {
                        let es = self.cell_set(e, ci);
                        let Some(bs) = b.get(ci) else { continue };
                        let diff: Vec<u64> = bs
                            .iter()
                            .zip(es.iter().chain(std::iter::repeat(&0)))
                            .map(|(x, y)| x & !y)
                            .collect();
                        if !bits_empty(&diff) {
                            let mut piece = prefix.clone();
                            if let Some(slot) = piece.get_mut(ci) {
                                *slot = diff;
                            }
                            next.push(piece);
                        }
                        if let Some(slot) = prefix.get_mut(ci) {
                            for (x, y) in
                                slot.iter_mut().zip(es.iter().chain(std::iter::repeat(&0)))
                            {
                                *x &= *y;
                            }
                        }
                    }
                    if next.len() > COVERAGE_WORK_LIMIT {
                        gave_up = true;
                        break;
                    }
                }
                if touched {
                    contributors.push(e.id.clone());
                }
                remaining = next;
                if gave_up || remaining.is_empty() {
                    break;
                }
            }
            if !gave_up && remaining.is_empty() {
                out.push(UnreachableRule {
                    rule: rule.id.clone(),
                    covered_by: contributors,
                });
            }
        }
        out
    }

    /// Evaluates the table on named facts. Every input must be present with a value of its
    /// type (a missing input or a wrong type is a [`Error::Validation`], an amount of another
    /// currency a [`Error::CurrencyMismatch`]); facts that are not inputs are ignored.
    pub fn evaluate(&self, facts: &Facts) -> Result<Evaluation> {
        let mut regions = Vec::with_capacity(self.columns.len());
        for col in &self.columns {
            let v = facts.get(&col.name).ok_or_else(|| {
                Error::validation(
                    format!("input {}", col.name),
                    "missing",
                    format!(
                        "the table {:?} needs a {} value",
                        self.spec.name, col.value_type
                    ),
                )
            })?;
            regions.push(
                col.index
                    .region_of(&col.name, &col.value_type, v.as_scalar())?,
            );
        }
        let matched = self.match_bits(&regions);
        let matched_rules: Vec<String> = bits_iter(&matched)
            .filter_map(|i| self.rules.get(i).map(|r| r.id.clone()))
            .collect();
        let selected: Vec<usize> = if self.spec.hit_policy.is_single() {
            self.select_single(&matched)?.into_iter().collect()
        } else {
            bits_iter(&matched).collect()
        };
        let reasons = selected
            .iter()
            .filter_map(|i| {
                let conds = self.explain(*i, |ci| {
                    self.columns
                        .get(ci)
                        .and_then(|c| facts.get(&c.name))
                        .map(Value::as_scalar)
                });
                let id = self.rule_id(*i)?;
                Some(if conds.is_empty() {
                    format!("rule {id}: no conditions")
                } else {
                    format!("rule {id}: {}", join_conditions(&conds))
                })
            })
            .collect();
        let selected_rules = selected
            .iter()
            .filter_map(|i| self.rule_id(*i).map(str::to_string))
            .collect();
        let result = self.result_of(&selected)?;
        Ok(Evaluation {
            matched_rules,
            selected_rules,
            result,
            reasons,
        })
    }

    fn match_bits(&self, regions: &[usize]) -> Vec<u64> {
        (0..self.words)
            .map(|w| {
                let mut acc = self.word_mask(w);
                for &ci in &self.active {
                    let (Some(col), Some(r)) = (self.columns.get(ci), regions.get(ci)) else {
                        continue;
                    };
                    acc &= col.masks.get(r * self.words + w).copied().unwrap_or(0);
                }
                acc
            })
            .collect()
    }

    fn word_mask(&self, w: usize) -> u64 {
        let n = self.rules.len();
        let full = (w + 1) * 64;
        if full <= n {
            u64::MAX
        } else if w * 64 >= n {
            0
        } else {
            (1u64 << (n - w * 64)) - 1
        }
    }

    /// Fast path: the selected row under a single-hit policy, reading each constrained input
    /// through `value_of(column index)`. No allocation for tables of up to 64 rows.
    #[inline]
    pub(crate) fn select_with<'v>(
        &self,
        mut value_of: impl FnMut(usize) -> Result<Scalar<'v>>,
    ) -> Result<Option<usize>> {
        if self.words == 1 {
            let mut acc = self.word_mask(0);
            for &ci in &self.active {
                let Some(col) = self.columns.get(ci) else {
                    continue;
                };
                let r = col
                    .index
                    .region_of(&col.name, &col.value_type, value_of(ci)?)?;
                acc &= col.masks.get(r).copied().unwrap_or(0);
                if acc == 0 {
                    return Ok(None);
                }
            }
            if self.spec.hit_policy == HitPolicy::First {
                return Ok(if acc == 0 {
                    None
                } else {
                    Some(acc.trailing_zeros() as usize)
                });
            }
            self.select_single(std::slice::from_ref(&acc))
        } else {
            let mut regions = vec![0usize; self.columns.len()];
            for &ci in &self.active {
                let Some(col) = self.columns.get(ci) else {
                    continue;
                };
                let r = col
                    .index
                    .region_of(&col.name, &col.value_type, value_of(ci)?)?;
                if let Some(slot) = regions.get_mut(ci) {
                    *slot = r;
                }
            }
            let bits = self.match_bits(&regions);
            self.select_single(&bits)
        }
    }

    fn select_single(&self, matched: &[u64]) -> Result<Option<usize>> {
        let mut it = bits_iter(matched);
        match self.spec.hit_policy {
            HitPolicy::Unique => {
                let first = it.next();
                if it.next().is_some() {
                    let ids: Vec<&str> =
                        bits_iter(matched).filter_map(|i| self.rule_id(i)).collect();
                    return Err(invalid(
                        &self.spec.name,
                        vec![format!(
                            "rules {} all match one input under hit policy unique",
                            ids.join(", ")
                        )],
                    ));
                }
                Ok(first)
            }
            HitPolicy::Priority => {
                Ok(it.min_by_key(|i| self.priority_rank.get(*i).copied().unwrap_or(u32::MAX)))
            }
            _ => Ok(it.next()),
        }
    }

    /// The readable conditions of row `rule` with the values that met them (inputs the row
    /// does not constrain are left out).
    pub(crate) fn explain<'v>(
        &self,
        rule: usize,
        value_of: impl Fn(usize) -> Option<Scalar<'v>>,
    ) -> Vec<MatchedCondition> {
        let Some(r) = self.rules.get(rule) else {
            return Vec::new();
        };
        r.cells
            .iter()
            .enumerate()
            .filter_map(|(ci, cell)| {
                let cell = cell.as_ref()?;
                let col = self.columns.get(ci)?;
                Some(MatchedCondition {
                    input: col.name.clone(),
                    value: value_of(ci)?.to_value(),
                    condition: cell.text.clone(),
                })
            })
            .collect()
    }

    /// The outputs of row `rule`, by name.
    pub(crate) fn rule_outputs(&self, rule: usize) -> BTreeMap<String, Value> {
        let Some(r) = self.rules.get(rule) else {
            return BTreeMap::new();
        };
        self.spec
            .outputs
            .iter()
            .zip(&r.outputs)
            .filter_map(|(def, v)| v.clone().map(|v| (def.name.clone(), v)))
            .collect()
    }

    /// The value of output `output` (by position) in row `rule`.
    pub(crate) fn rule_output(&self, rule: usize, output: usize) -> Option<&Value> {
        self.rules.get(rule)?.outputs.get(output)?.as_ref()
    }

    fn result_of(&self, selected: &[usize]) -> Result<EvaluationResult> {
        if self.spec.hit_policy == HitPolicy::CollectCount {
            return Ok(EvaluationResult::Count {
                count: selected.len() as u64,
            });
        }
        if selected.is_empty() {
            return Ok(EvaluationResult::NoMatch);
        }
        Ok(match self.spec.hit_policy {
            HitPolicy::First | HitPolicy::Unique | HitPolicy::Priority => {
                EvaluationResult::Single {
                    outputs: selected
                        .first()
                        .map(|i| self.rule_outputs(*i))
                        .unwrap_or_default(),
                }
            }
            HitPolicy::CollectList => EvaluationResult::List {
                rows: selected
                    .iter()
                    .filter_map(|i| {
                        Some(RuleOutputs {
                            rule: self.rule_id(*i)?.to_string(),
                            outputs: self.rule_outputs(*i),
                        })
                    })
                    .collect(),
            },
            HitPolicy::CollectSum | HitPolicy::CollectMin | HitPolicy::CollectMax => {
                let mut outputs = BTreeMap::new();
                for (oi, def) in self.spec.outputs.iter().enumerate() {
                    let mut acc: Option<Value> = None;
                    for v in selected.iter().filter_map(|i| self.rule_output(*i, oi)) {
                        acc = Some(match acc {
                            None => v.clone(),
                            Some(a) => aggregate(self.spec.hit_policy, &a, v)?,
                        });
                    }
                    if let Some(a) = acc {
                        outputs.insert(def.name.clone(), a);
                    }
                }
                EvaluationResult::Aggregate { outputs }
            }
            HitPolicy::CollectCount => EvaluationResult::Count {
                count: selected.len() as u64,
            },
        })
    }
}

fn aggregate(policy: HitPolicy, a: &Value, b: &Value) -> Result<Value> {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Value::Integer { value: x }, Value::Integer { value: y }) => {
            if policy == HitPolicy::CollectSum {
                return x
                    .checked_add(*y)
                    .map(Value::integer)
                    .ok_or_else(|| Error::overflow("collect_sum"));
            }
            x.cmp(y)
        }
        (Value::Decimal { value: x }, Value::Decimal { value: y }) => {
            if policy == HitPolicy::CollectSum {
                return x
                    .checked_add(*y)
                    .map(Value::decimal)
                    .ok_or_else(|| Error::overflow("collect_sum"));
            }
            x.cmp(y)
        }
        (Value::Money { value: x }, Value::Money { value: y }) => {
            if policy == HitPolicy::CollectSum {
                return x.checked_add(y).map(Value::money);
            }
            x.try_cmp(y)?
        }
        (Value::Date { value: x }, Value::Date { value: y }) => x.cmp(y),
        _ => Ordering::Equal,
    };
    let keep_a = match policy {
        HitPolicy::CollectMin => ord != Ordering::Greater,
        _ => ord != Ordering::Less,
    };
    Ok(if keep_a { a.clone() } else { b.clone() })
}

/// Joins matched conditions readably: `"a 1 < 2 and b x = x"`.
pub(crate) fn join_conditions(conds: &[MatchedCondition]) -> String {
    conds
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

pub(crate) fn invalid(name: &str, problems: Vec<String>) -> Error {
    Error::InvalidDefinition {
        what: format!("decision table {name:?}"),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const EXAMPLE: &str = r#"{
      "name": "discount",
      "hit_policy": "first",
      "inputs": [
        {"name": "revenue", "type": "money", "currency": "EUR"},
        {"name": "segment", "type": "enumeration", "values": ["consumer", "smb", "corporate"]},
        {"name": "churn_risk", "type": "decimal"},
        {"name": "years", "type": "integer"}
      ],
      "outputs": [
        {"name": "discount", "type": "decimal"},
        {"name": "offer", "type": "string"}
      ],
      "rules": [
        {"id": "D1", "when": {"segment": {"op": "eq", "value": "corporate"},
                               "revenue": {"op": "ge", "value": "100000.00"}},
                     "then": {"discount": "0.15", "offer": "account_manager"}},
        {"id": "D2", "when": {"churn_risk": {"op": "between", "low": "0.6", "high": "1"}},
                     "then": {"discount": "0.10", "offer": "retention_call"}},
        {"id": "D3", "when": {"years": {"op": "in", "values": [5, 10, 15]}},
                     "then": {"discount": "0.05"}},
        {"id": "D4", "then": {"discount": "0"}}
      ]
    }"#;

    fn eur(s: &str) -> Value {
        Value::money(Money::parse(s, "EUR").unwrap())
    }

    fn facts(revenue: &str, segment: &str, churn: &str, years: i64) -> Facts {
        Facts::from([
            ("revenue".to_string(), eur(revenue)),
            ("segment".to_string(), Value::string(segment)),
            (
                "churn_risk".to_string(),
                Value::decimal(churn.parse().unwrap()),
            ),
            ("years".to_string(), Value::integer(years)),
        ])
    }

    fn problems(e: Error) -> Vec<String> {
        match e {
            Error::InvalidDefinition { problems, .. } => problems,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_json_table_evaluates_and_explains_itself() {
        let t = DecisionTable::from_json(EXAMPLE).unwrap();
        let e = t
            .evaluate(&facts("150000.00", "corporate", "0.7", 5))
            .unwrap();
        assert_eq!(e.matched_rules, ["D1", "D2", "D3", "D4"]);
        assert_eq!(e.selected_rules, ["D1"]);
        let out = e.outputs().unwrap();
        assert_eq!(out["discount"], Value::decimal("0.15".parse().unwrap()));
        assert_eq!(out["offer"], Value::string("account_manager"));
        assert_eq!(
            e.reasons,
            ["rule D1: revenue 150000.00 EUR ≥ 100000.00 and segment corporate = corporate"]
        );
        let e = t.evaluate(&facts("10.00", "smb", "0.2", 10)).unwrap();
        assert_eq!(e.selected_rules, ["D3"]);
        assert_eq!(e.reasons, ["rule D3: years 10 in {5, 10, 15}"]);
        assert!(!e.outputs().unwrap().contains_key("offer"));
        let e = t.evaluate(&facts("10.00", "smb", "0.2", 11)).unwrap();
        assert_eq!(e.reasons, ["rule D4: no conditions"]);
    }

    #[test]
    fn tables_round_trip_through_json() {
        let t = DecisionTable::from_json(EXAMPLE).unwrap();
        let json = t.to_json().unwrap();
        let back: DecisionTable = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let v =
            serde_json::to_string(&t.evaluate(&facts("1.00", "smb", "0.9", 1)).unwrap()).unwrap();
        let e: Evaluation = serde_json::from_str(&v).unwrap();
        assert_eq!(e.selected_rules, ["D2"]);
        for v in [
            eur("1.50"),
            Value::decimal("0.25".parse().unwrap()),
            Value::integer(-3),
            Value::boolean(true),
            Value::string("x"),
            Value::date(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()),
        ] {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), v, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&Value::decimal("0.25".parse().unwrap())).unwrap(),
            r#"{"type":"decimal","value":"0.25"}"#
        );
        // A bad table read from JSON is checked like one built in code.
        let bad = EXAMPLE.replace("\"0.15\"", "\"lots\"");
        assert!(serde_json::from_str::<DecisionTable>(&bad).is_err());
        assert_eq!(
            DecisionTable::from_json(&bad).unwrap_err().kind(),
            ErrorKind::InvalidDefinition
        );
        assert_eq!(
            DecisionTable::from_json("{").unwrap_err().kind(),
            ErrorKind::Json
        );
    }

    #[test]
    fn mistyped_and_unknown_cells_are_all_reported() {
        let bad = r#"{
          "name": "bad", "hit_policy": "first",
          "inputs": [
            {"name": "n", "type": "integer"},
            {"name": "amount", "type": "money", "currency": "EUR"},
            {"name": "flag", "type": "boolean"},
            {"name": "day", "type": "date"},
            {"name": "level", "type": "enumeration", "values": ["a", "b"]},
            {"name": "name", "type": "string"},
            {"name": "n", "type": "decimal"}
          ],
          "outputs": [{"name": "out", "type": "integer"}],
          "rules": [
            {"id": "R1", "when": {"n": {"op": "eq", "value": "abc"},
                                   "amount": {"op": "lt", "value": "1.234"},
                                   "flag": {"op": "eq", "value": 1},
                                   "day": {"op": "ge", "value": "2026-13-01"},
                                   "level": {"op": "eq", "value": "c"},
                                   "name": {"op": "lt", "value": "x"},
                                   "nope": {"op": "any"}},
                         "then": {"out": "1.5", "other": 1}},
            {"id": "R1", "then": {"out": 1}},
            {"id": "R3", "when": {"n": {"op": "between", "low": 5, "high": 3}}, "then": {"out": 1}}
          ]
        }"#;
        let p = problems(DecisionTable::from_json(bad).unwrap_err());
        for needle in [
            "input \"n\" is declared twice",
            "rule R1, input \"n\" (integer): Text(\"abc\") is not an integer",
            "rule R1, input \"amount\" (money (EUR)): \"1.234\" is not an amount in EUR",
            "rule R1, input \"flag\" (boolean): Integer(1) is not a boolean",
            "rule R1, input \"day\" (date): \"2026-13-01\" is not a date (YYYY-MM-DD)",
            "rule R1, input \"level\" (enumeration {a, b}): \"c\" is not one of {a, b}",
            "rule R1, input \"name\" (string): operator lt does not apply to a string input",
            "rule R1: unknown input \"nope\"",
            "rule R1, output \"out\" (integer): Text(\"1.5\") is not an integer",
            "rule R1: unknown output \"other\"",
            "rule id \"R1\" is used twice",
        ] {
            assert!(
                p.iter().any(|x| x == needle),
                "missing {needle:?} in {p:#?}"
            );
        }
    }

    fn int_table(policy: HitPolicy, rows: &[(&str, Condition)]) -> Result<DecisionTable> {
        DecisionTable::new(DecisionTableSpec {
            name: "t".into(),
            hit_policy: policy,
            inputs: vec![ColumnDef::new("x", ValueType::Integer)],
            outputs: vec![ColumnDef::new("y", ValueType::Integer)],
            rules: rows
                .iter()
                .map(|(id, c)| RuleSpec::new(*id).when("x", c.clone()).then("y", 1i64))
                .collect(),
        })
    }

    fn between(lo: i64, hi: i64, li: bool, hi_inc: bool) -> Condition {
        Condition::Between {
            low: lo.into(),
            high: hi.into(),
            low_inclusive: li,
            high_inclusive: hi_inc,
        }
    }

    #[test]
    fn unique_overlaps_are_exact_per_type() {
        // Closed ends touching overlap; half-open ends do not.
        let e = int_table(
            HitPolicy::Unique,
            &[
                ("A", between(0, 10, true, true)),
                ("B", between(10, 20, true, true)),
            ],
        )
        .unwrap_err();
        assert_eq!(
            problems(e),
            ["rules A and B overlap: some input matches both under hit policy unique"]
        );
        int_table(
            HitPolicy::Unique,
            &[
                ("A", between(0, 10, true, false)),
                ("B", between(10, 20, true, true)),
            ],
        )
        .unwrap();
        // Integers are discrete: (3, 4) holds no integer.
        let e = int_table(HitPolicy::Unique, &[("A", between(3, 4, false, false))]).unwrap_err();
        assert_eq!(
            problems(e),
            ["rule A, input \"x\": the condition can never be met"]
        );
        // x < 5 and x ≥ 5 do not overlap; x ≠ 5 and x in {5} do not; x ≠ 5 and x > 4 do.
        int_table(
            HitPolicy::Unique,
            &[
                ("A", Condition::Lt { value: 5.into() }),
                ("B", Condition::Ge { value: 5.into() }),
            ],
        )
        .unwrap();
        int_table(
            HitPolicy::Unique,
            &[
                ("A", Condition::Ne { value: 5.into() }),
                (
                    "B",
                    Condition::In {
                        values: vec![5.into()],
                    },
                ),
            ],
        )
        .unwrap();
        assert!(
            int_table(
                HitPolicy::Unique,
                &[
                    ("A", Condition::Ne { value: 5.into() }),
                    ("B", Condition::Gt { value: 4.into() }),
                ],
            )
            .is_err()
        );
        // Money is discrete in minor units; decimals are dense.
        let money = |c: Condition, dc: Condition| {
            DecisionTable::new(DecisionTableSpec {
                name: "m".into(),
                hit_policy: HitPolicy::Unique,
                inputs: vec![
                    ColumnDef::new(
                        "m",
                        ValueType::Money {
                            currency: Currency::new("EUR").unwrap(),
                        },
                    ),
                    ColumnDef::new("d", ValueType::Decimal),
                ],
                outputs: vec![],
                rules: vec![RuleSpec::new("A").when("m", c).when("d", dc)],
            })
        };
        let open = |a: &str, b: &str| Condition::Between {
            low: a.into(),
            high: b.into(),
            low_inclusive: false,
            high_inclusive: false,
        };
        // No cent lies strictly between 1.00 and 1.01; decimals do.
        let p = problems(money(open("1.00", "1.01"), open("1.00", "1.01")).unwrap_err());
        assert_eq!(p, ["rule A, input \"m\": the condition can never be met"]);
        // But no decimal lies strictly between two neighbours at the 28th place.
        let p = problems(
            money(Condition::Any, open("1", "1.0000000000000000000000000001")).unwrap_err(),
        );
        assert_eq!(p, ["rule A, input \"d\": the condition can never be met"]);
        // Strings: x ≠ a and x ≠ b still share every other string.
        let strings = |a: Condition, b: Condition| {
            DecisionTable::new(DecisionTableSpec {
                name: "s".into(),
                hit_policy: HitPolicy::Unique,
                inputs: vec![ColumnDef::new("s", ValueType::String)],
                outputs: vec![],
                rules: vec![
                    RuleSpec::new("A").when("s", a),
                    RuleSpec::new("B").when("s", b),
                ],
            })
        };
        assert!(
            strings(
                Condition::Ne { value: "a".into() },
                Condition::Ne { value: "b".into() }
            )
            .is_err()
        );
        strings(
            Condition::In {
                values: vec!["a".into(), "b".into()],
            },
            Condition::NotIn {
                values: vec!["a".into(), "b".into()],
            },
        )
        .unwrap();
    }

    #[test]
    fn dates_are_discrete_days() {
        let spec = |a: Condition, b: Condition| DecisionTableSpec {
            name: "dates".into(),
            hit_policy: HitPolicy::Unique,
            inputs: vec![ColumnDef::new("since", ValueType::Date)],
            outputs: vec![ColumnDef::new("label", ValueType::String)],
            rules: vec![
                RuleSpec::new("old").when("since", a).then("label", "old"),
                RuleSpec::new("new").when("since", b).then("label", "new"),
            ],
        };
        let t = DecisionTable::new(spec(
            Condition::Le {
                value: "2020-12-31".into(),
            },
            Condition::Gt {
                value: "2020-12-31".into(),
            },
        ))
        .unwrap();
        let on = |d: &str| {
            let f = Facts::from([(
                "since".to_string(),
                Value::date(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            )]);
            t.evaluate(&f).unwrap().selected_rules
        };
        assert_eq!(on("2020-12-31"), ["old"]);
        assert_eq!(on("2021-01-01"), ["new"]);
        // Nothing lies strictly between two consecutive days.
        let p = problems(
            DecisionTable::new(spec(
                Condition::Between {
                    low: "2026-01-01".into(),
                    high: "2026-01-02".into(),
                    low_inclusive: false,
                    high_inclusive: false,
                },
                Condition::Any,
            ))
            .unwrap_err(),
        );
        assert_eq!(
            p,
            ["rule old, input \"since\": the condition can never be met"]
        );
        // ≥ a day and ≤ the same day overlap on that day.
        assert!(
            DecisionTable::new(spec(
                Condition::Ge {
                    value: "2026-01-01".into()
                },
                Condition::Le {
                    value: "2026-01-01".into()
                },
            ))
            .is_err()
        );
    }

    #[test]
    fn first_reports_rows_that_can_never_match() {
        let e = int_table(
            HitPolicy::First,
            &[
                ("A", Condition::Lt { value: 10.into() }),
                ("B", Condition::Eq { value: 3.into() }),
                ("C", Condition::Ge { value: 10.into() }),
                ("D", between(0, 20, true, true)),
                ("E", Condition::Any),
            ],
        )
        .unwrap_err();
        assert_eq!(
            problems(e),
            [
                "rule B can never match under hit policy first: covered by A",
                "rule D can never match under hit policy first: covered by A, C",
                "rule E can never match under hit policy first: covered by A, C",
            ]
        );
    }

    #[test]
    fn hit_policies_priority_and_collect() {
        let spec = |policy: HitPolicy, outputs: Vec<ColumnDef>| {
            let mut rules = vec![
                RuleSpec::new("R1")
                    .when("x", Condition::Ge { value: 0.into() })
                    .then("level", "low")
                    .then("n", 1i64),
                RuleSpec::new("R2")
                    .when("x", Condition::Ge { value: 10.into() })
                    .then("level", "high")
                    .then("n", 5i64),
                RuleSpec::new("R3")
                    .when("x", Condition::Ge { value: 5.into() })
                    .then("level", "medium")
                    .then("n", 2i64),
            ];
            for r in &mut rules {
                r.then.retain(|k, _| outputs.iter().any(|o| &o.name == k));
            }
            DecisionTableSpec {
                name: "h".into(),
                hit_policy: policy,
                inputs: vec![ColumnDef::new("x", ValueType::Integer)],
                outputs,
                rules,
            }
        };
        let level = ColumnDef::new(
            "level",
            ValueType::Enumeration {
                values: vec!["high".into(), "medium".into(), "low".into()],
            },
        );
        let n = ColumnDef::new("n", ValueType::Integer);
        let x = |v: i64| Facts::from([("x".to_string(), Value::integer(v))]);
        let p =
            DecisionTable::new(spec(HitPolicy::Priority, vec![level.clone(), n.clone()])).unwrap();
        let e = p.evaluate(&x(12)).unwrap();
        assert_eq!(e.selected_rules, ["R2"]);
        assert_eq!(e.outputs().unwrap()["level"], Value::string("high"));
        assert_eq!(p.evaluate(&x(6)).unwrap().selected_rules, ["R3"]);
        assert_eq!(
            p.evaluate(&x(-1)).unwrap().result,
            EvaluationResult::NoMatch
        );
        assert!(DecisionTable::new(spec(HitPolicy::Priority, vec![n.clone()])).is_err());

        let agg = |policy| {
            DecisionTable::new(spec(policy, vec![n.clone()]))
                .unwrap()
                .evaluate(&x(12))
                .unwrap()
                .result
        };
        let one = |v: i64| EvaluationResult::Aggregate {
            outputs: BTreeMap::from([("n".to_string(), Value::integer(v))]),
        };
        assert_eq!(agg(HitPolicy::CollectSum), one(8));
        assert_eq!(agg(HitPolicy::CollectMin), one(1));
        assert_eq!(agg(HitPolicy::CollectMax), one(5));
        assert_eq!(
            agg(HitPolicy::CollectCount),
            EvaluationResult::Count { count: 3 }
        );
        let EvaluationResult::List { rows } = agg(HitPolicy::CollectList) else {
            panic!()
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].rule, "R2");
        let p =
            problems(DecisionTable::new(spec(HitPolicy::CollectSum, vec![level, n])).unwrap_err());
        assert!(p[0].contains("collect_sum needs"), "{p:?}");
    }

    #[test]
    fn missing_and_mistyped_inputs_are_typed_errors() {
        let t = DecisionTable::from_json(EXAMPLE).unwrap();
        let mut f = facts("1.00", "smb", "0.1", 1);
        f.remove("years");
        let e = t.evaluate(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert!(e.to_string().contains("input years"), "{e}");
        let mut f = facts("1.00", "smb", "0.1", 1);
        f.insert("years".into(), Value::string("ten"));
        let e = t.evaluate(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert!(
            e.to_string().contains("expected a integer, got a string"),
            "{e}"
        );
        let mut f = facts("1.00", "smb", "0.1", 1);
        f.insert(
            "revenue".into(),
            Value::money(Money::parse("1.00", "USD").unwrap()),
        );
        assert_eq!(
            t.evaluate(&f).unwrap_err().kind(),
            ErrorKind::CurrencyMismatch
        );
        let f = facts("1.00", "government", "0.1", 1);
        assert_eq!(t.evaluate(&f).unwrap_err().kind(), ErrorKind::Validation);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// A random integer row over two columns within [0, 12].
        fn int_cond() -> impl Strategy<Value = Condition> {
            prop_oneof![
                Just(Condition::Any),
                (0i64..=12).prop_map(|v| Condition::Eq { value: v.into() }),
                (0i64..=12).prop_map(|v| Condition::Ne { value: v.into() }),
                (0i64..=12).prop_map(|v| Condition::Lt { value: v.into() }),
                (0i64..=12).prop_map(|v| Condition::Ge { value: v.into() }),
                (0i64..=12, 0i64..=6, any::<bool>(), any::<bool>()).prop_map(|(a, w, li, hi)| {
                    Condition::Between {
                        low: a.into(),
                        high: (a + w).into(),
                        low_inclusive: li,
                        high_inclusive: hi,
                    }
                }),
                proptest::collection::vec(0i64..=12, 1..4).prop_map(|vs| Condition::In {
                    values: vs.into_iter().map(Literal::from).collect()
                }),
            ]
        }

        /// A random decimal condition with ends on the 0.5 grid in [0, 6].
        fn dec_cond() -> impl Strategy<Value = Condition> {
            let half = |k: i64| Literal::Text(Decimal::new(k * 5, 1).to_string());
            prop_oneof![
                Just(Condition::Any),
                (0i64..=12).prop_map(move |k| Condition::Lt { value: half(k) }),
                (0i64..=12).prop_map(move |k| Condition::Gt { value: half(k) }),
                (0i64..=12).prop_map(move |k| Condition::Eq { value: half(k) }),
                (0i64..=12, 0i64..=4, any::<bool>(), any::<bool>()).prop_map(
                    move |(a, w, li, hi)| Condition::Between {
                        low: half(a),
                        high: half(a + w),
                        low_inclusive: li,
                        high_inclusive: hi,
                    }
                ),
            ]
        }

        fn table(policy: HitPolicy, rows: &[(Condition, Condition)]) -> Result<DecisionTable> {
            DecisionTable::new(DecisionTableSpec {
                name: "p".into(),
                hit_policy: policy,
                inputs: vec![
                    ColumnDef::new("x", ValueType::Integer),
                    ColumnDef::new("d", ValueType::Decimal),
                ],
                outputs: vec![],
                rules: rows
                    .iter()
                    .enumerate()
                    .map(|(i, (a, b))| {
                        RuleSpec::new(format!("R{i}"))
                            .when("x", a.clone())
                            .when("d", b.clone())
                    })
                    .collect(),
            })
        }

        /// Every input point that matters: integers just outside and inside [0, 18] and
        /// decimals on the 0.25 grid up to 8.25 (any non-empty intersection of 0.5-grid intervals holds
        /// one), so brute force over them is exhaustive.
        fn points() -> Vec<Facts> {
            let mut out = Vec::new();
            for x in -1i64..=19 {
                for q in -1i64..=33 {
                    out.push(Facts::from([
                        ("x".to_string(), Value::integer(x)),
                        ("d".to_string(), Value::decimal(Decimal::new(q * 25, 2))),
                    ]));
                }
            }
            out
        }

        fn any_type() -> impl Strategy<Value = ValueType> {
            prop_oneof![
                Just(ValueType::Integer),
                Just(ValueType::Decimal),
                Just(ValueType::Money {
                    currency: Currency::new("EUR").unwrap()
                }),
                Just(ValueType::Money {
                    currency: Currency::new("JPY").unwrap()
                }),
                Just(ValueType::String),
                Just(ValueType::Boolean),
                Just(ValueType::Date),
                Just(ValueType::Enumeration {
                    values: vec!["a".into(), "b".into(), "c".into()]
                }),
            ]
        }

        fn any_literal() -> impl Strategy<Value = Literal> {
            prop_oneof![
                any::<bool>().prop_map(Literal::Boolean),
                prop_oneof![Just(i64::MIN), Just(i64::MAX), -3i64..3].prop_map(Literal::Integer),
                prop_oneof![
                    Just("1.5"),
                    Just("abc"),
                    Just("2026-01-01"),
                    Just("a"),
                    Just("-0.001"),
                    Just("79228162514264337593543950335"),
                    Just("-79228162514264337593543950335"),
                    Just("0.0000000000000000000000000001"),
                    Just("1e5"),
                    Just(""),
                    Just("9999-12-31"),
                    Just("100.00"),
                ]
                .prop_map(|t| Literal::Text(t.to_string())),
            ]
        }

        fn any_condition() -> impl Strategy<Value = Condition> {
            let l = any_literal;
            prop_oneof![
                Just(Condition::Any),
                l().prop_map(|value| Condition::Eq { value }),
                l().prop_map(|value| Condition::Ne { value }),
                l().prop_map(|value| Condition::Lt { value }),
                l().prop_map(|value| Condition::Le { value }),
                l().prop_map(|value| Condition::Gt { value }),
                l().prop_map(|value| Condition::Ge { value }),
                (l(), l(), any::<bool>(), any::<bool>()).prop_map(|(low, high, a, b)| {
                    Condition::Between {
                        low,
                        high,
                        low_inclusive: a,
                        high_inclusive: b,
                    }
                }),
                proptest::collection::vec(l(), 0..3).prop_map(|values| Condition::In { values }),
                proptest::collection::vec(l(), 0..3).prop_map(|values| Condition::NotIn { values }),
            ]
        }

        fn any_value() -> impl Strategy<Value = Value> {
            prop_oneof![
                prop_oneof![Just(i64::MIN), Just(i64::MAX), -3i64..3].prop_map(Value::integer),
                prop_oneof![
                    Just(Decimal::MIN),
                    Just(Decimal::MAX),
                    Just(Decimal::new(15, 1))
                ]
                .prop_map(Value::decimal),
                (-1000i64..1000).prop_map(|m| Value::money(Money::from_minor(
                    m,
                    Currency::new("EUR").unwrap()
                ))),
                prop_oneof![Just("a"), Just("z"), Just("abc")].prop_map(Value::string),
                any::<bool>().prop_map(Value::boolean),
                prop_oneof![Just(NaiveDate::MIN), Just(NaiveDate::MAX)].prop_map(Value::date),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]

            #[test]
            fn arbitrary_tables_and_facts_never_panic(
                types in proptest::collection::vec(any_type(), 1..4),
                rows in proptest::collection::vec(proptest::collection::vec(any_condition(), 4), 1..5),
                policy in prop_oneof![Just(HitPolicy::First), Just(HitPolicy::Unique),
                    Just(HitPolicy::Priority), Just(HitPolicy::CollectSum), Just(HitPolicy::CollectList)],
                values in proptest::collection::vec(any_value(), 4),
            ) {
                let inputs: Vec<ColumnDef> = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| ColumnDef::new(format!("c{i}"), t.clone()))
                    .collect();
                let spec = DecisionTableSpec {
                    name: "fuzz".into(),
                    hit_policy: policy,
                    inputs: inputs.clone(),
                    outputs: vec![],
                    rules: rows
                        .iter()
                        .enumerate()
                        .map(|(r, conds)| {
                            let mut rule = RuleSpec::new(format!("R{r}"));
                            for (i, c) in conds.iter().take(inputs.len()).enumerate() {
                                rule = rule.when(format!("c{i}"), c.clone());
                            }
                            rule
                        })
                        .collect(),
                };
                if let Ok(t) = DecisionTable::new(spec) {
                    let facts: Facts = inputs
                        .iter()
                        .zip(&values)
                        .map(|(c, v)| (c.name.clone(), v.clone()))
                        .collect();
                    let _ = t.evaluate(&facts);
                    let _ = t.overlapping_rules();
                    let _ = t.unreachable_rules();
                    let json = t.to_json().unwrap();
                    prop_assert_eq!(DecisionTable::from_json(&json).unwrap(), t);
                }
            }

            #[test]
            fn unique_overlaps_are_always_detected(
                rows in proptest::collection::vec((int_cond(), dec_cond()), 1..7)
            ) {
                let Ok(collect) = table(HitPolicy::CollectList, &rows) else {
                    // Some condition can never be met (e.g. an empty half-open range).
                    return Ok(());
                };
                let mut brute = BTreeSet::new();
                for f in points() {
                    let m = collect.evaluate(&f).unwrap().matched_rules;
                    for (i, a) in m.iter().enumerate() {
                        for b in m.iter().skip(i + 1) {
                            brute.insert((a.clone(), b.clone()));
                        }
                    }
                }
                let stat: BTreeSet<_> = collect.overlapping_rules().into_iter().collect();
                prop_assert_eq!(&stat, &brute);
                prop_assert_eq!(table(HitPolicy::Unique, &rows).is_ok(), brute.is_empty());
            }

            #[test]
            fn first_unreachable_rows_match_brute_force(
                rows in proptest::collection::vec((int_cond(), dec_cond()), 1..7)
            ) {
                let Ok(collect) = table(HitPolicy::CollectList, &rows) else {
                    return Ok(());
                };
                let mut reached = BTreeSet::new();
                for f in points() {
                    if let Some(first) = collect.evaluate(&f).unwrap().matched_rules.first() {
                        reached.insert(first.clone());
                    }
                }
                let never: BTreeSet<String> =
                    collect.unreachable_rules().into_iter().map(|u| u.rule).collect();
                let brute: BTreeSet<String> = (0..rows.len())
                    .map(|i| format!("R{i}"))
                    .filter(|id| !reached.contains(id))
                    .collect();
                prop_assert_eq!(&never, &brute);
                prop_assert_eq!(table(HitPolicy::First, &rows).is_ok(), brute.is_empty());
            }
        }
    }
}
