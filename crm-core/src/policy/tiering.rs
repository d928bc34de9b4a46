//! Tiering: a decision table over a customer's measures places the customer in a tier.
//!
//! The table's inputs are named after the measures of [`CustomerMeasures`]:
//!
//! | input | type | meaning |
//! |---|---|---|
//! | `revenue` | money | revenue over the trailing window (the engine computes it from the ledger) |
//! | `margin` | money | margin over the same window |
//! | `potential` | money | estimated additional annual value (host-supplied) |
//! | `tenure_months` | integer | whole months from `customer_since` to the decision date |
//! | `tenure_days` | integer | days from `customer_since` to the decision date |
//! | `days_overdue` | integer | days the oldest unpaid charge is overdue |
//! | `bounced_payments` | integer | bounced payments over the window |
//! | `churn_risk` | decimal | host-supplied churn risk (e.g. 0 to 1) |
//! | `open_complaints` | integer | complaints not yet closed |
//!
//! Other inputs must be declared in [`TieringPolicySpec::attributes`] and are read from
//! [`CustomerMeasures::attributes`]. The table has one output, `tier` (string or
//! enumeration), whose every value is a declared tier; hit policy `first`, `unique` or
//! `priority`. When no row matches, the baseline tier applies.

use super::Tiers;
use super::table::{
    DecisionTable, DecisionTableSpec, MatchedCondition, Scalar, Value, ValueType, join_conditions,
};
use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::CustomerId;
use crate::money::Money;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the engine measures about one customer for tiering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerMeasures {
    /// The customer.
    pub customer: CustomerId,
    /// Revenue over the trailing window.
    pub revenue: Money,
    /// Margin over the trailing window.
    pub margin: Money,
    /// Estimated additional annual value.
    pub potential: Money,
    /// The date the customer relationship began (tenure is counted from it).
    pub customer_since: NaiveDate,
    /// Days the oldest unpaid charge is overdue (0 when nothing is overdue).
    pub days_overdue: i64,
    /// Bounced payments over the window.
    pub bounced_payments: i64,
    /// Churn risk, host-supplied.
    pub churn_risk: Decimal,
    /// Complaints not yet closed.
    pub open_complaints: i64,
    /// Further host-supplied facts named in the policy's `attributes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Measure {
    Revenue,
    Margin,
    Potential,
    TenureMonths,
    TenureDays,
    DaysOverdue,
    BouncedPayments,
    ChurnRisk,
    OpenComplaints,
    Attribute(String),
}

/// The measure names a tiering table may use, with the type kind they need.
pub const MEASURES: &[(&str, &str)] = &[
    ("revenue", "money"),
    ("margin", "money"),
    ("potential", "money"),
    ("tenure_months", "integer"),
    ("tenure_days", "integer"),
    ("days_overdue", "integer"),
    ("bounced_payments", "integer"),
    ("churn_risk", "decimal"),
    ("open_complaints", "integer"),
];

fn bind(name: &str, vt: &ValueType) -> Option<std::result::Result<Measure, String>> {
    let m = match name {
        "revenue" => Measure::Revenue,
        "margin" => Measure::Margin,
        "potential" => Measure::Potential,
        "tenure_months" => Measure::TenureMonths,
        "tenure_days" => Measure::TenureDays,
        "days_overdue" => Measure::DaysOverdue,
        "bounced_payments" => Measure::BouncedPayments,
        "churn_risk" => Measure::ChurnRisk,
        "open_complaints" => Measure::OpenComplaints,
        _ => return None,
    };
    let ok = match m {
        Measure::Revenue | Measure::Margin | Measure::Potential => {
            matches!(vt, ValueType::Money { .. })
        }
        Measure::ChurnRisk => matches!(vt, ValueType::Decimal),
        _ => matches!(vt, ValueType::Integer),
    };
    Some(if ok {
        Ok(m)
    } else {
        let want = MEASURES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, t)| *t);
        Err(format!(
            "input {name:?} is the measure {name}, a {want}; the table declares it a {vt}"
        ))
    })
}

/// The JSON form of a [`TieringPolicy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TieringPolicySpec {
    /// Tier names, lowest (the baseline) first.
    pub tiers: Vec<String>,
    /// Extra inputs read from [`CustomerMeasures::attributes`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// The table: inputs among the measures and attributes, one output `tier`.
    pub table: DecisionTableSpec,
}

/// A checked tiering policy. Serializes as its [`TieringPolicySpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TieringPolicySpec", into = "TieringPolicySpec")]
pub struct TieringPolicy {
    spec: TieringPolicySpec,
    tiers: Tiers,
    table: DecisionTable,
    /// One per table input.
    bindings: Vec<Measure>,
    /// Per table row, the rank of the tier it gives.
    rule_tier: Vec<usize>,
    needs_tenure: bool,
}

impl TryFrom<TieringPolicySpec> for TieringPolicy {
    type Error = Error;
    fn try_from(spec: TieringPolicySpec) -> Result<Self> {
        TieringPolicy::new(spec)
    }
}

impl From<TieringPolicy> for TieringPolicySpec {
    fn from(p: TieringPolicy) -> Self {
        p.spec
    }
}

/// A tier assignment, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierDecision {
    /// The customer.
    pub customer: CustomerId,
    /// The tier assigned.
    pub tier: String,
    /// The tier before, if any.
    pub previous: Option<String>,
    /// True when the tier differs from the previous one.
    pub changed: bool,
    /// The row that placed the customer, or none when the baseline applied by default.
    pub rule: Option<String>,
    /// The measured values that met the row's conditions.
    pub matched: Vec<MatchedCondition>,
    /// Readable reasons: `"potential 250000.00 EUR ≥ 100000.00 and revenue 3000.00 EUR <
    /// 5000.00: rule R3 gives gold"`.
    pub reasons: Vec<String>,
    /// The instant of the decision.
    pub at: Instant,
}

impl TierDecision {
    /// The event to record when the tier changed.
    pub fn change(&self) -> Option<TierChanged> {
        self.changed.then(|| TierChanged {
            customer: self.customer.clone(),
            from: self.previous.clone(),
            to: self.tier.clone(),
            rule: self.rule.clone(),
            reasons: self.reasons.clone(),
            at: self.at,
        })
    }
}

/// Event payload: a customer's tier changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChanged {
    /// The customer.
    pub customer: CustomerId,
    /// The tier before (none for a first assignment).
    pub from: Option<String>,
    /// The new tier.
    pub to: String,
    /// The row that placed the customer (none when the baseline applied by default).
    pub rule: Option<String>,
    /// Why, readable.
    pub reasons: Vec<String>,
    /// When.
    pub at: Instant,
}

/// One customer of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieringInput {
    /// The customer's measures.
    pub measures: CustomerMeasures,
    /// The customer's tier before, if any.
    #[serde(default)]
    pub previous: Option<String>,
}

/// A customer a batch could not tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieringFailure {
    /// The customer.
    pub customer: CustomerId,
    /// Why.
    pub error: Error,
}

/// The result of tiering many customers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TieringBatch {
    /// One decision per customer that could be tiered, in input order.
    pub decisions: Vec<TierDecision>,
    /// The customers that could not be tiered, in input order.
    pub failures: Vec<TieringFailure>,
}

impl TieringBatch {
    /// The tier changes of the batch, as events.
    pub fn changes(&self) -> Vec<TierChanged> {
        self.decisions
            .iter()
            .filter_map(TierDecision::change)
            .collect()
    }
}

/// Days and whole months from `since` to `today`.
fn tenure(since: NaiveDate, today: NaiveDate) -> Result<(i64, i64)> {
    if since > today {
        return Err(Error::validation(
            "customer_since",
            since,
            format!("is after the decision date {today}"),
        ));
    }
    let days = (today - since).num_days();
    let mut months = i64::from(today.year() - since.year()) * 12 + i64::from(today.month())
        - i64::from(since.month());
    if today.day() < since.day() {
        months -= 1;
    }
    Ok((days, months.max(0)))
}

impl TieringPolicy {
    /// Checks and compiles a tiering policy; every problem is reported at once in an
    /// [`Error::InvalidDefinition`]: tier list problems, table problems, inputs that are no
    /// measure or declared attribute (or have the wrong type), a missing or mistyped `tier`
    /// output, rows giving an undeclared tier or no tier, and a collect hit policy.
    pub fn new(spec: TieringPolicySpec) -> Result<Self> {
        let what = format!("tiering policy {:?}", spec.table.name);
        let (table, mut problems) = super::single_row_table(&spec.tiers, &spec.table, "tiering")?;
        let mut bindings = Vec::new();
        for input in &spec.table.inputs {
            match bind(&input.name, &input.value_type) {
                Some(Ok(m)) => bindings.push(m),
                Some(Err(why)) => problems.push(why),
                None if spec.attributes.contains(&input.name) => {
                    bindings.push(Measure::Attribute(input.name.clone()));
                }
                None => problems.push(format!(
                    "input {:?} is not a measure ({}) and not a declared attribute",
                    input.name,
                    MEASURES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        let tier_out = spec.table.outputs.iter().position(|o| o.name == "tier");
        match (
            tier_out.and_then(|i| spec.table.outputs.get(i)),
            spec.table.outputs.len(),
        ) {
            (None, _) => problems.push("the table has no output \"tier\"".to_string()),
            (Some(o), n) => {
                if n > 1 {
                    problems.push("a tiering table has one output, \"tier\"".to_string());
                }
                match &o.value_type {
                    ValueType::String => {}
                    ValueType::Enumeration { values } => {
                        for v in values.iter().filter(|v| !spec.tiers.contains(v)) {
                            problems.push(format!(
                                "output \"tier\" lists {v:?}, which is not a declared tier"
                            ));
                        }
                    }
                    other => problems.push(format!(
                        "output \"tier\" is a {other}; it must be a string or an enumeration of tiers"
                    )),
                }
            }
        }
        let mut rule_tier = Vec::new();
        for rule in &spec.table.rules {
            match rule.then.get("tier") {
                Some(super::table::Literal::Text(t)) => {
                    match spec.tiers.iter().position(|x| x == t) {
                        Some(rank) => rule_tier.push(rank),
                        None => problems.push(format!(
                            "rule {} gives tier {t:?}, which is not declared (tiers: {})",
                            rule.id,
                            spec.tiers.join(", ")
                        )),
                    }
                }
                Some(other) => problems.push(format!(
                    "rule {} gives tier {other:?}, which is not a tier name",
                    rule.id
                )),
                None => problems.push(format!("rule {} gives no tier", rule.id)),
            }
        }
        // Report problems once; the table's own problems may repeat ours.
        problems.dedup();
        match (table, problems.is_empty()) {
            (Some(table), true) => {
                let tiers = Tiers::new(spec.tiers.clone())?;
                let needs_tenure = bindings
                    .iter()
                    .any(|b| matches!(b, Measure::TenureDays | Measure::TenureMonths));
                Ok(TieringPolicy {
                    spec,
                    tiers,
                    table,
                    bindings,
                    rule_tier,
                    needs_tenure,
                })
            }
            _ => Err(Error::InvalidDefinition { what, problems }),
        }
    }

    /// Reads a policy from JSON and builds it.
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: TieringPolicySpec = serde_json::from_str(json)?;
        TieringPolicy::new(spec)
    }

    /// The tiers, lowest first.
    pub fn tiers(&self) -> &Tiers {
        &self.tiers
    }

    /// The decision table.
    pub fn table(&self) -> &DecisionTable {
        &self.table
    }

    /// The policy as written.
    pub fn spec(&self) -> &TieringPolicySpec {
        &self.spec
    }

    #[inline]
    fn scalar<'a>(
        &self,
        ci: usize,
        m: &'a CustomerMeasures,
        tenure: (i64, i64),
    ) -> Result<Scalar<'a>> {
        Ok(match self.bindings.get(ci) {
            Some(Measure::Revenue) => Scalar::Money(&m.revenue),
            Some(Measure::Margin) => Scalar::Money(&m.margin),
            Some(Measure::Potential) => Scalar::Money(&m.potential),
            Some(Measure::TenureDays) => Scalar::Int(tenure.0),
            Some(Measure::TenureMonths) => Scalar::Int(tenure.1),
            Some(Measure::DaysOverdue) => Scalar::Int(m.days_overdue),
            Some(Measure::BouncedPayments) => Scalar::Int(m.bounced_payments),
            Some(Measure::ChurnRisk) => Scalar::Dec(m.churn_risk),
            Some(Measure::OpenComplaints) => Scalar::Int(m.open_complaints),
            Some(Measure::Attribute(name)) => m
                .attributes
                .get(name)
                .map(Value::as_scalar)
                .ok_or_else(|| {
                    Error::validation(
                        format!("attribute {name}"),
                        "missing",
                        format!("the tiering policy reads it for customer {}", m.customer),
                    )
                })?,
            None => {
                return Err(Error::validation(
                    "tiering input",
                    ci,
                    "no such input column",
                ));
            }
        })
    }

    /// Fast path: the tier rank, the selected row (none when the baseline applies by
    /// default) and the tenure used. No allocation for tables of up to 64 rows.
    #[inline]
    fn classify_on(
        &self,
        m: &CustomerMeasures,
        today: NaiveDate,
    ) -> Result<(usize, Option<usize>, (i64, i64))> {
        let t = if self.needs_tenure {
            tenure(m.customer_since, today)?
        } else {
            (0, 0)
        };
        let row = self.table.select_with(|ci| self.scalar(ci, m, t))?;
        Ok(match row {
            Some(r) => (self.rule_tier.get(r).copied().unwrap_or(0), Some(r), t),
            None => (0, None, t),
        })
    }

    /// The tier of a customer at `at`, without the explanation: the fast path for bulk
    /// re-tiering (no allocation for tables of up to 64 rows).
    pub fn tier_of(&self, measures: &CustomerMeasures, at: Instant) -> Result<&str> {
        let (rank, _, _) = self.classify_on(measures, at.date_naive())?;
        Ok(self.tiers.name(rank).unwrap_or_default())
    }

    /// Places a customer in a tier at `at` and says why: the tier, the previous tier, the
    /// row, the measured values that met its conditions, and readable reasons. A previous
    /// tier that is no longer declared is accepted (and said so).
    pub fn assign_tier(
        &self,
        measures: &CustomerMeasures,
        previous: Option<&str>,
        at: Instant,
    ) -> Result<TierDecision> {
        self.assign_on(measures, previous, at, at.date_naive())
    }

    fn assign_on(
        &self,
        m: &CustomerMeasures,
        previous: Option<&str>,
        at: Instant,
        today: NaiveDate,
    ) -> Result<TierDecision> {
        let (rank, row, t) = self.classify_on(m, today)?;
        let tier = self.tiers.name(rank).unwrap_or_default().to_string();
        let mut reasons = Vec::with_capacity(2);
        let (rule, matched) = match row {
            Some(r) => {
                let matched = self.table.explain(r, |ci| self.scalar(ci, m, t).ok());
                let id = self.table.rule_id(r).unwrap_or_default().to_string();
                reasons.push(if matched.is_empty() {
                    format!("rule {id} gives {tier}")
                } else {
                    format!("{}: rule {id} gives {tier}", join_conditions(&matched))
                });
                (Some(id), matched)
            }
            None => {
                reasons.push(format!("no rule matched: the baseline tier {tier} applies"));
                (None, Vec::new())
            }
        };
        let changed = previous != Some(tier.as_str());
        match previous {
            None => reasons.push(format!("first tier assignment: {tier}")),
            Some(p) if p == tier => reasons.push(format!("tier unchanged: {tier}")),
            Some(p) => match self.tiers.rank(p) {
                Some(pr) if pr < rank => reasons.push(format!("up from {p} to {tier}")),
                Some(_) => reasons.push(format!("down from {p} to {tier}")),
                None => reasons.push(format!(
                    "previous tier {p} is no longer declared; now {tier}"
                )),
            },
        }
        Ok(TierDecision {
            customer: m.customer.clone(),
            tier,
            previous: previous.map(str::to_string),
            changed,
            rule,
            matched,
            reasons,
            at,
        })
    }

    /// Tiers many customers at `at`. A customer that cannot be tiered (a measure in another
    /// currency, a missing attribute) is listed in the failures; the others are decided.
    pub fn assign_tiers(&self, customers: &[TieringInput], at: Instant) -> TieringBatch {
        let today = at.date_naive();
        let mut batch = TieringBatch {
            decisions: Vec::with_capacity(customers.len()),
            failures: Vec::new(),
        };
        for c in customers {
            match self.assign_on(&c.measures, c.previous.as_deref(), at, today) {
                Ok(d) => batch.decisions.push(d),
                Err(error) => batch.failures.push(TieringFailure {
                    customer: c.measures.customer.clone(),
                    error,
                }),
            }
        }
        batch
    }

    /// The tier of each customer (by rank in [`TieringPolicy::tiers`]), fastest form for
    /// bulk re-tiering; the first error stops the run.
    pub fn tier_ranks(&self, customers: &[CustomerMeasures], at: Instant) -> Result<Vec<usize>> {
        let today = at.date_naive();
        customers
            .iter()
            .map(|m| self.classify_on(m, today).map(|(r, _, _)| r))
            .collect()
    }

    /// The id of the row that places `measures` at `at` (none when the baseline applies by
    /// default), without the explanation.
    pub fn rule_for(&self, measures: &CustomerMeasures, at: Instant) -> Result<Option<&str>> {
        let (_, row, _) = self.classify_on(measures, at.date_naive())?;
        Ok(row.and_then(|r| self.table.rule_id(r)))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::table::{Condition, Literal, RuleSpec};
    use crate::policy::{ColumnDef, HitPolicy};
    use crate::{Currency, ErrorKind};

    pub(crate) fn eur() -> Currency {
        Currency::new("EUR").unwrap()
    }

    pub(crate) fn money(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    fn ge(v: &str) -> Condition {
        Condition::Ge {
            value: Literal::from(v),
        }
    }

    fn lt(v: &str) -> Condition {
        Condition::Lt {
            value: Literal::from(v),
        }
    }

    pub(crate) fn story4_spec() -> TieringPolicySpec {
        let m = |n: &str| ColumnDef::new(n, ValueType::Money { currency: eur() });
        TieringPolicySpec {
            tiers: vec![
                "standard".into(),
                "silver".into(),
                "gold".into(),
                "platinum".into(),
            ],
            attributes: vec![],
            table: DecisionTableSpec {
                name: "tiering".into(),
                hit_policy: HitPolicy::First,
                inputs: vec![
                    m("revenue"),
                    m("potential"),
                    ColumnDef::new("days_overdue", ValueType::Integer),
                    ColumnDef::new("tenure_months", ValueType::Integer),
                    ColumnDef::new("churn_risk", ValueType::Decimal),
                ],
                outputs: vec![ColumnDef::new("tier", ValueType::String)],
                rules: vec![
                    RuleSpec::new("R1")
                        .when(
                            "days_overdue",
                            Condition::Gt {
                                value: Literal::Integer(60),
                            },
                        )
                        .then("tier", "standard"),
                    RuleSpec::new("R2")
                        .when("revenue", ge("100000.00"))
                        .then("tier", "platinum"),
                    RuleSpec::new("R3")
                        .when("potential", ge("100000.00"))
                        .when("revenue", lt("5000.00"))
                        .then("tier", "gold"),
                    RuleSpec::new("R4")
                        .when("revenue", ge("20000.00"))
                        .then("tier", "gold"),
                    RuleSpec::new("R5")
                        .when(
                            "tenure_months",
                            Condition::Ge {
                                value: Literal::Integer(24),
                            },
                        )
                        .when("churn_risk", lt("0.5"))
                        .then("tier", "silver"),
                ],
            },
        }
    }

    pub(crate) fn measures(id: &str, revenue: &str, potential: &str) -> CustomerMeasures {
        CustomerMeasures {
            customer: CustomerId::new(id).unwrap(),
            revenue: money(revenue),
            margin: money("0.00"),
            potential: money(potential),
            customer_since: NaiveDate::from_ymd_opt(2025, 3, 15).unwrap(),
            days_overdue: 0,
            bounced_payments: 0,
            churn_risk: Decimal::new(2, 1),
            open_complaints: 0,
            attributes: BTreeMap::new(),
        }
    }

    fn at() -> Instant {
        "2026-11-22T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn story_4_low_revenue_high_potential_is_preferred_and_says_why() {
        let p = TieringPolicy::new(story4_spec()).unwrap();
        let m = measures("SMB-1", "3000.00", "250000.00");
        let d = p.assign_tier(&m, Some("standard"), at()).unwrap();
        assert_eq!(d.tier, "gold");
        assert_eq!(d.rule.as_deref(), Some("R3"));
        assert!(d.changed);
        assert_eq!(d.previous.as_deref(), Some("standard"));
        assert_eq!(
            d.reasons[0],
            "revenue 3000.00 EUR < 5000.00 and potential 250000.00 EUR ≥ 100000.00: rule R3 gives gold"
        );
        assert_eq!(d.reasons[1], "up from standard to gold");
        assert_eq!(d.matched.len(), 2);
        let ev = d.change().unwrap();
        assert_eq!(ev.from.as_deref(), Some("standard"));
        assert_eq!(ev.to, "gold");
        assert_eq!(ev.rule.as_deref(), Some("R3"));
        let json = serde_json::to_string(&ev).unwrap();
        assert_eq!(serde_json::from_str::<TierChanged>(&json).unwrap(), ev);
        assert_eq!(p.tier_of(&m, at()).unwrap(), "gold");
    }

    #[test]
    fn no_match_gives_the_baseline_and_tenure_counts_from_at() {
        let p = TieringPolicy::new(story4_spec()).unwrap();
        let mut m = measures("C-2", "100.00", "0.00");
        m.churn_risk = Decimal::new(1, 1);
        // Since 2025-03-15: 20 whole months at 2026-11-22: no silver.
        let d = p.assign_tier(&m, None, at()).unwrap();
        assert_eq!(d.tier, "standard");
        assert_eq!(d.rule, None);
        assert!(d.reasons[0].contains("baseline"), "{:?}", d.reasons);
        // Two years later, tenure makes it silver.
        let later: Instant = "2027-03-15T00:00:00Z".parse().unwrap();
        let d = p.assign_tier(&m, Some("standard"), later).unwrap();
        assert_eq!(d.tier, "silver");
        assert!(
            d.reasons[0].contains("tenure_months 24 ≥ 24"),
            "{:?}",
            d.reasons
        );
        // Not changed: no event.
        let d2 = p.assign_tier(&m, Some("silver"), later).unwrap();
        assert!(!d2.changed && d2.change().is_none());
    }

    #[test]
    fn measures_in_another_currency_or_from_the_future_are_typed_errors() {
        let p = TieringPolicy::new(story4_spec()).unwrap();
        let mut m = measures("C-3", "1.00", "1.00");
        m.revenue = Money::parse("1.00", "USD").unwrap();
        assert_eq!(
            p.assign_tier(&m, None, at()).unwrap_err().kind(),
            ErrorKind::CurrencyMismatch
        );
        let mut m = measures("C-4", "1.00", "1.00");
        m.customer_since = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let batch = p.assign_tiers(
            &[
                TieringInput {
                    measures: m,
                    previous: None,
                },
                TieringInput {
                    measures: measures("C-5", "3000.00", "250000.00"),
                    previous: None,
                },
            ],
            at(),
        );
        assert_eq!(batch.failures.len(), 1);
        assert_eq!(batch.failures[0].error.kind(), ErrorKind::Validation);
        assert_eq!(batch.decisions.len(), 1);
        assert_eq!(batch.changes().len(), 1);
    }

    #[test]
    fn bad_tiering_policies_list_every_problem() {
        let mut s = story4_spec();
        s.tiers = vec![];
        s.table
            .inputs
            .push(ColumnDef::new("revenu", ValueType::Integer));
        s.table
            .inputs
            .push(ColumnDef::new("open_complaints", ValueType::Decimal));
        s.table
            .rules
            .push(RuleSpec::new("R6").then("tier", "diamond"));
        let e = TieringPolicy::new(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidDefinition);
        let msg = e.to_string();
        for needle in [
            "tier list is empty",
            "\"revenu\" is not a measure",
            "open_complaints",
            "tier \"diamond\", which is not declared",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
    }

    #[test]
    fn attributes_are_declared_and_read() {
        let mut s = story4_spec();
        s.table
            .inputs
            .push(ColumnDef::new("segment", ValueType::String));
        assert!(TieringPolicy::new(s.clone()).is_err());
        s.attributes = vec!["segment".into()];
        s.table.rules.insert(
            0,
            RuleSpec::new("R0")
                .when(
                    "segment",
                    Condition::Eq {
                        value: "vip".into(),
                    },
                )
                .then("tier", "platinum"),
        );
        let p = TieringPolicy::new(s).unwrap();
        let mut m = measures("C-6", "0.00", "0.00");
        assert_eq!(
            p.assign_tier(&m, None, at()).unwrap_err().kind(),
            ErrorKind::Validation
        );
        m.attributes.insert("segment".into(), Value::string("vip"));
        assert_eq!(p.assign_tier(&m, None, at()).unwrap().tier, "platinum");
    }

    #[test]
    fn priority_tables_give_the_highest_matching_tier() {
        let mut s = story4_spec();
        s.table.hit_policy = HitPolicy::Priority;
        s.table.outputs = vec![ColumnDef::new(
            "tier",
            ValueType::Enumeration {
                values: vec![
                    "platinum".into(),
                    "gold".into(),
                    "silver".into(),
                    "standard".into(),
                ],
            },
        )];
        let p = TieringPolicy::new(s).unwrap();
        // Matches R3 (gold) and R5 (silver): gold wins regardless of row order.
        let mut m = measures("C-8", "3000.00", "250000.00");
        m.customer_since = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let d = p.assign_tier(&m, None, at()).unwrap();
        assert_eq!((d.tier.as_str(), d.rule.as_deref()), ("gold", Some("R3")));
        // A collect policy is refused for tiering.
        let mut s = story4_spec();
        s.table.hit_policy = HitPolicy::CollectList;
        let e = TieringPolicy::new(s).unwrap_err();
        assert!(e.to_string().contains("selects one row"), "{e}");
    }

    #[test]
    fn tiering_policies_round_trip_through_json() {
        let p = TieringPolicy::new(story4_spec()).unwrap();
        let json = serde_json::to_string_pretty(&p).unwrap();
        let back: TieringPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        let back = TieringPolicy::from_json(&json).unwrap();
        assert_eq!(back, p);
        let m = measures("C-7", "3000.00", "250000.00");
        assert_eq!(
            back.assign_tier(&m, None, at()).unwrap(),
            p.assign_tier(&m, None, at()).unwrap()
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn same_facts_same_instant_same_decision(
                rev in 0i64..20_000_000, pot in 0i64..50_000_000, overdue in 0i64..120,
                churn in 0i64..100, days in 0i64..4000, prev in 0usize..5,
            ) {
                let p = TieringPolicy::new(story4_spec()).unwrap();
                let mut m = measures("C-P", "0.00", "0.00");
                m.revenue = Money::from_minor(rev, eur());
                m.potential = Money::from_minor(pot * 100, eur());
                m.days_overdue = overdue;
                m.churn_risk = Decimal::new(churn, 2);
                m.customer_since = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap()
                    + chrono::Duration::days(days);
                let prev = p.tiers().name(prev).map(str::to_string);
                let a = p.assign_tier(&m, prev.as_deref(), at());
                let json = serde_json::to_string(&p).unwrap();
                let q: TieringPolicy = serde_json::from_str(&json).unwrap();
                let b = q.assign_tier(&m, prev.as_deref(), at());
                prop_assert_eq!(&a, &b);
                if let Ok(d) = a {
                    prop_assert_eq!(p.tier_of(&m, at()).unwrap(), d.tier.as_str());
                }
            }
        }
    }
}
