//! Compensation: a decision table over a complaint and its customer decides the offer, the
//! cap per period limits it (taking what was already granted into account), and above a
//! threshold a named role must approve.
//!
//! The table's inputs are named after the facts:
//!
//! | input | type | from |
//! |---|---|---|
//! | `category` | string or enumeration | [`Complaint::category`] |
//! | `severity` | string or enumeration | [`Complaint::severity`] |
//! | `sla_breached` | boolean | [`Complaint::sla_breach`] is set |
//! | `sla_breach_minutes` | integer | by how much (whole business minutes, 0 if none) |
//! | `commitment_broken` | boolean | [`Complaint::commitment_broken`] |
//! | `complaints_last_90_days` | integer | [`Complaint::complaints_last_90_days`] |
//! | `tier` | string or enumeration | [`CustomerFacts::tier`] (literals must be declared tiers) |
//! | `customer_value` | money | [`CustomerFacts::value`] |
//!
//! Other inputs must be declared in [`CompensationPolicySpec::attributes`] and are read from
//! [`Complaint::attributes`]. Outputs (all optional per row): `credit` (money), `fee_waiver`
//! (boolean: waive the complaint's disputed charge), `replacement` (boolean), `upgrade`
//! (string: an offering id), `approval` (string: a role that must approve). A row with no
//! outputs, or no matching row, gives an apology only. Hit policy `first`, `unique` or
//! `priority`.
//!
//! The cap applies to the money value of an offer (credit plus waived fee): the credit is
//! reduced first; a fee waiver larger than what remains is replaced by a credit of what
//! remains. Replacements and upgrades carry no money value here and are not capped.

use super::Tiers;
use super::service::CompensationCap;
use super::table::{
    Condition, DecisionTable, DecisionTableSpec, Literal, MatchedCondition, Scalar, Value,
    ValueType, join_conditions,
};
use crate::Instant;
use crate::calendar::BusinessDuration;
use crate::error::{Error, Result};
use crate::ids::{ActorId, ChargeId, CustomerId, InteractionId, OfferingId};
use crate::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A charge that a fee waiver would cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeWaiver {
    /// The charge.
    pub charge: ChargeId,
    /// Its amount.
    pub amount: Money,
}

/// The facts of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The complaint (the interaction that raised it).
    pub id: InteractionId,
    /// Its category, e.g. `billing`.
    pub category: String,
    /// Its severity, e.g. `high`.
    pub severity: String,
    /// By how much an SLA was breached; none when no SLA was breached.
    #[serde(default)]
    pub sla_breach: Option<BusinessDuration>,
    /// Whether a commitment made to the customer was broken.
    #[serde(default)]
    pub commitment_broken: bool,
    /// This customer's complaints in the 90 days before this one.
    #[serde(default)]
    pub complaints_last_90_days: i64,
    /// The charge a fee waiver would cancel, if any.
    #[serde(default)]
    pub disputed_charge: Option<FeeWaiver>,
    /// Further facts named in the policy's `attributes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Value>,
}

/// The facts about the complaining customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFacts {
    /// The customer.
    pub customer: CustomerId,
    /// The customer's current tier.
    pub tier: String,
    /// The customer's value (e.g. revenue over the trailing window).
    pub value: Money,
}

/// What a customer is offered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// An apology (always part of an offer).
    pub apology: bool,
    /// A credit to the customer's account.
    #[serde(default)]
    pub credit: Option<Money>,
    /// A charge waived.
    #[serde(default)]
    pub fee_waiver: Option<FeeWaiver>,
    /// A replacement (device, service visit).
    #[serde(default)]
    pub replacement: bool,
    /// An upgrade to an offering.
    #[serde(default)]
    pub upgrade: Option<OfferingId>,
}

impl Offer {
    /// True when nothing but an apology is offered.
    pub fn is_apology_only(&self) -> bool {
        self.credit.is_none()
            && self.fee_waiver.is_none()
            && !self.replacement
            && self.upgrade.is_none()
    }

    /// The money value of the offer: credit plus waived fee, in `currency`.
    pub fn value(&self, currency: Currency) -> Result<Money> {
        Money::sum(
            currency,
            self.credit
                .iter()
                .chain(self.fee_waiver.iter().map(|w| &w.amount)),
        )
    }
}

impl fmt::Display for Offer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_apology_only() {
            return f.write_str("apology only");
        }
        let mut parts = vec!["apology".to_string()];
        if let Some(c) = &self.credit {
            parts.push(format!("credit {c}"));
        }
        if let Some(w) = &self.fee_waiver {
            parts.push(format!("waiver of charge {} ({})", w.charge, w.amount));
        }
        if self.replacement {
            parts.push("replacement".to_string());
        }
        if let Some(u) = &self.upgrade {
            parts.push(format!("upgrade to {u}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// Above `above` (money value of the offer), `role` must approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalThreshold {
    /// The threshold (strictly above it needs approval).
    pub above: Money,
    /// The role that approves, e.g. `supervisor`.
    pub role: String,
}

/// Who must approve an offer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequirement {
    /// The role that must approve.
    pub role: String,
    /// Why, readable.
    pub reason: String,
}

/// The JSON form of a [`CompensationPolicy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompensationPolicySpec {
    /// Tier names, lowest first (the same list as the tiering policy's).
    pub tiers: Vec<String>,
    /// Extra inputs read from [`Complaint::attributes`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// Approval thresholds; the highest one exceeded names the role.
    #[serde(default)]
    pub approvals: Vec<ApprovalThreshold>,
    /// The table.
    pub table: DecisionTableSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Fact {
    Category,
    Severity,
    SlaBreached,
    SlaBreachMinutes,
    CommitmentBroken,
    Complaints90,
    Tier,
    CustomerValue,
    Attribute(String),
}

/// The fact names a compensation table may use.
pub const FACTS: &[&str] = &[
    "category",
    "severity",
    "sla_breached",
    "sla_breach_minutes",
    "commitment_broken",
    "complaints_last_90_days",
    "tier",
    "customer_value",
];

fn bind(name: &str, vt: &ValueType) -> Option<std::result::Result<Fact, String>> {
    let symbolic = matches!(vt, ValueType::String | ValueType::Enumeration { .. });
    let (fact, ok, want) = match name {
        "category" => (Fact::Category, symbolic, "string or enumeration"),
        "severity" => (Fact::Severity, symbolic, "string or enumeration"),
        "tier" => (Fact::Tier, symbolic, "string or enumeration"),
        "sla_breached" => (Fact::SlaBreached, *vt == ValueType::Boolean, "boolean"),
        "commitment_broken" => (Fact::CommitmentBroken, *vt == ValueType::Boolean, "boolean"),
        "sla_breach_minutes" => (Fact::SlaBreachMinutes, *vt == ValueType::Integer, "integer"),
        "complaints_last_90_days" => (Fact::Complaints90, *vt == ValueType::Integer, "integer"),
        "customer_value" => (
            Fact::CustomerValue,
            matches!(vt, ValueType::Money { .. }),
            "money",
        ),
        _ => return None,
    };
    Some(if ok {
        Ok(fact)
    } else {
        Err(format!(
            "input {name:?} must be a {want}; the table declares a {vt}"
        ))
    })
}

fn literals(c: &Condition) -> Vec<&Literal> {
    match c {
        Condition::Any => vec![],
        Condition::Eq { value }
        | Condition::Ne { value }
        | Condition::Lt { value }
        | Condition::Le { value }
        | Condition::Gt { value }
        | Condition::Ge { value } => vec![value],
        Condition::Between { low, high, .. } => vec![low, high],
        Condition::In { values } | Condition::NotIn { values } => values.iter().collect(),
    }
}

/// Positions of the known outputs in the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Outputs {
    credit: Option<usize>,
    fee_waiver: Option<usize>,
    replacement: Option<usize>,
    upgrade: Option<usize>,
    approval: Option<usize>,
}

/// A checked compensation policy. Serializes as its [`CompensationPolicySpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CompensationPolicySpec", into = "CompensationPolicySpec")]
pub struct CompensationPolicy {
    spec: CompensationPolicySpec,
    tiers: Tiers,
    table: DecisionTable,
    bindings: Vec<Fact>,
    outputs: Outputs,
    /// Thresholds sorted by amount, highest first.
    approvals: Vec<ApprovalThreshold>,
}

impl TryFrom<CompensationPolicySpec> for CompensationPolicy {
    type Error = Error;
    fn try_from(spec: CompensationPolicySpec) -> Result<Self> {
        CompensationPolicy::new(spec)
    }
}

impl From<CompensationPolicy> for CompensationPolicySpec {
    fn from(p: CompensationPolicy) -> Self {
        p.spec
    }
}

/// A compensation decision, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompensationDecision {
    /// The customer.
    pub customer: CustomerId,
    /// The complaint.
    pub complaint: InteractionId,
    /// The customer's tier.
    pub tier: String,
    /// The row that decided (none when no row matched: apology only).
    pub rule: Option<String>,
    /// The offer the row gave, before the cap.
    pub proposed: Offer,
    /// The offer made, within the cap.
    pub offer: Offer,
    /// True when the cap reduced the offer.
    pub reduced: bool,
    /// The money value of the offer made.
    pub value: Money,
    /// The cap that applied.
    pub cap: CompensationCap,
    /// What was already granted to this customer in the cap's period.
    pub granted_in_period: Money,
    /// What remains of the cap after this offer.
    pub cap_remaining: Money,
    /// Who must approve, if anyone.
    pub approval: Option<ApprovalRequirement>,
    /// The facts that met the row's conditions.
    pub matched: Vec<MatchedCondition>,
    /// Readable reasons.
    pub reasons: Vec<String>,
    /// The instant of the decision.
    pub at: Instant,
}

impl CompensationDecision {
    /// The event recording that the offer was granted at `at`. When approval is required,
    /// `approved_by` must name the approver (else an [`Error::Validation`]). A credit in the
    /// event carries its [`Money`] for the ledger.
    pub fn grant(&self, approved_by: Option<ActorId>, at: Instant) -> Result<CompensationGranted> {
        if let (Some(req), None) = (&self.approval, &approved_by) {
            return Err(Error::validation(
                "approved_by",
                "none",
                format!("the offer needs approval by a {}: {}", req.role, req.reason),
            ));
        }
        Ok(CompensationGranted {
            customer: self.customer.clone(),
            complaint: self.complaint.clone(),
            offer: self.offer.clone(),
            value: self.value,
            rule: self.rule.clone(),
            approved_by,
            approver_role: self.approval.as_ref().map(|a| a.role.clone()),
            at,
        })
    }
}

/// Event payload: compensation was granted. The history of these is what caps count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompensationGranted {
    /// The customer.
    pub customer: CustomerId,
    /// The complaint.
    pub complaint: InteractionId,
    /// What was granted (a credit carries its amount for the ledger).
    pub offer: Offer,
    /// The money value counted against the cap.
    pub value: Money,
    /// The row that decided.
    pub rule: Option<String>,
    /// Who approved, when approval was required.
    pub approved_by: Option<ActorId>,
    /// The role approval was required from.
    pub approver_role: Option<String>,
    /// When it was granted.
    pub at: Instant,
}

impl CompensationPolicy {
    /// Checks and compiles a compensation policy; every problem is reported at once in an
    /// [`Error::InvalidDefinition`]: tier-list and table problems, inputs that are no fact or
    /// declared attribute, tier literals that are not declared tiers, unknown or mistyped
    /// outputs, negative credits, upgrades that are not offering ids, negative or blank
    /// approval thresholds, and a collect hit policy.
    pub fn new(spec: CompensationPolicySpec) -> Result<Self> {
        let what = format!("compensation policy {:?}", spec.table.name);
        let (table, mut problems) =
            super::single_row_table(&spec.tiers, &spec.table, "compensation")?;
        let mut bindings = Vec::new();
        for input in &spec.table.inputs {
            match bind(&input.name, &input.value_type) {
                Some(Ok(f)) => bindings.push(f),
                Some(Err(why)) => problems.push(why),
                None if spec.attributes.contains(&input.name) => {
                    bindings.push(Fact::Attribute(input.name.clone()));
                }
                None => problems.push(format!(
                    "input {:?} is not a complaint fact ({}) and not a declared attribute",
                    input.name,
                    FACTS.join(", ")
                )),
            }
            if input.name == "tier" {
                if let ValueType::Enumeration { values } = &input.value_type {
                    for v in values.iter().filter(|v| !spec.tiers.contains(v)) {
                        problems.push(format!(
                            "input \"tier\" lists {v:?}, which is not a declared tier"
                        ));
                    }
                }
                for rule in &spec.table.rules {
                    if let Some(c) = rule.when.get("tier") {
                        for l in literals(c) {
                            if let Literal::Text(t) = l
                                && !spec.tiers.contains(t)
                            {
                                problems.push(format!(
                                    "rule {}: tier {t:?} is not declared (tiers: {})",
                                    rule.id,
                                    spec.tiers.join(", ")
                                ));
                            }
                        }
                    }
                }
            }
        }
        let mut outputs = Outputs::default();
        for (i, o) in spec.table.outputs.iter().enumerate() {
            let (slot, ok, want) = match o.name.as_str() {
                "credit" => (
                    &mut outputs.credit,
                    matches!(o.value_type, ValueType::Money { .. }),
                    "money",
                ),
                "fee_waiver" => (
                    &mut outputs.fee_waiver,
                    o.value_type == ValueType::Boolean,
                    "boolean",
                ),
                "replacement" => (
                    &mut outputs.replacement,
                    o.value_type == ValueType::Boolean,
                    "boolean",
                ),
                "upgrade" => (
                    &mut outputs.upgrade,
                    o.value_type == ValueType::String,
                    "string",
                ),
                "approval" => (
                    &mut outputs.approval,
                    o.value_type == ValueType::String,
                    "string",
                ),
                other => {
                    problems.push(format!(
                        "unknown output {other:?} (outputs: credit, fee_waiver, replacement, upgrade, approval)"
                    ));
                    continue;
                }
            };
            if ok {
                *slot = Some(i);
            } else {
                problems.push(format!(
                    "output {:?} must be a {want}; the table declares a {}",
                    o.name, o.value_type
                ));
            }
        }
        for rule in &spec.table.rules {
            if let Some(Literal::Text(t)) = rule.then.get("credit")
                && t.trim_start().starts_with('-')
            {
                problems.push(format!("rule {}: credit {t} is negative", rule.id));
            }
            if let Some(Literal::Text(t)) = rule.then.get("upgrade")
                && let Err(e) = OfferingId::new(t.as_str())
            {
                problems.push(format!("rule {}: upgrade {t:?}: {e}", rule.id));
            }
            if let Some(Literal::Text(t)) = rule.then.get("approval")
                && t.trim().is_empty()
            {
                problems.push(format!("rule {}: approval names no role", rule.id));
            }
        }
        for a in &spec.approvals {
            if a.above.is_negative() {
                problems.push(format!("approval threshold {} is negative", a.above));
            }
            if a.role.trim().is_empty() {
                problems.push(format!("approval threshold {} names no role", a.above));
            }
        }
        let mut approvals = spec.approvals.clone();
        if approvals
            .windows(2)
            .any(|w| w.first().map(|a| a.above.currency()) != w.get(1).map(|b| b.above.currency()))
        {
            problems.push("approval thresholds are in several currencies".to_string());
        }
        problems.dedup();
        match (table, problems.is_empty()) {
            (Some(table), true) => {
                approvals.sort_by_key(|a| std::cmp::Reverse(a.above.amount()));
                let tiers = Tiers::new(spec.tiers.clone())?;
                Ok(CompensationPolicy {
                    spec,
                    tiers,
                    table,
                    bindings,
                    outputs,
                    approvals,
                })
            }
            _ => Err(Error::InvalidDefinition { what, problems }),
        }
    }

    /// Reads a policy from JSON and builds it.
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: CompensationPolicySpec = serde_json::from_str(json)?;
        CompensationPolicy::new(spec)
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
    pub fn spec(&self) -> &CompensationPolicySpec {
        &self.spec
    }

    fn scalar<'a>(
        &self,
        ci: usize,
        c: &'a Complaint,
        f: &'a CustomerFacts,
        breach_minutes: i64,
    ) -> Result<Scalar<'a>> {
        Ok(match self.bindings.get(ci) {
            Some(Fact::Category) => Scalar::Str(&c.category),
            Some(Fact::Severity) => Scalar::Str(&c.severity),
            Some(Fact::SlaBreached) => Scalar::Bool(c.sla_breach.is_some()),
            Some(Fact::SlaBreachMinutes) => Scalar::Int(breach_minutes),
            Some(Fact::CommitmentBroken) => Scalar::Bool(c.commitment_broken),
            Some(Fact::Complaints90) => Scalar::Int(c.complaints_last_90_days),
            Some(Fact::Tier) => Scalar::Str(&f.tier),
            Some(Fact::CustomerValue) => Scalar::Money(&f.value),
            Some(Fact::Attribute(name)) => c
                .attributes
                .get(name)
                .map(Value::as_scalar)
                .ok_or_else(|| {
                    Error::validation(
                        format!("attribute {name}"),
                        "missing",
                        format!("the compensation policy reads it for complaint {}", c.id),
                    )
                })?,
            None => {
                return Err(Error::validation(
                    "compensation input",
                    ci,
                    "no such input column",
                ));
            }
        })
    }

    /// Decides what a complaint earns at `at`: the table's offer, reduced to what remains of
    /// `cap` after the compensation already `granted` to this customer in the cap's period
    /// (entries for other customers, or after `at`, are ignored), whether approval is needed
    /// and from which role, the rule and the reasons. Same facts, same decision.
    ///
    /// An undeclared tier is [`Error::NotFound`]; amounts in another currency than the cap's
    /// are [`Error::CurrencyMismatch`].
    pub fn decide(
        &self,
        complaint: &Complaint,
        customer: &CustomerFacts,
        granted: &[CompensationGranted],
        cap: &CompensationCap,
        at: Instant,
    ) -> Result<CompensationDecision> {
        self.tiers.require(&customer.tier)?;
        let currency = cap.limit.currency();
        let breach_minutes = complaint.sla_breach.map_or(0, |d| d.as_secs() / 60);
        let row = self
            .table
            .select_with(|ci| self.scalar(ci, complaint, customer, breach_minutes))?;
        let mut reasons = Vec::new();
        let mut proposed = Offer {
            apology: true,
            ..Offer::default()
        };
        let (rule, matched) = match row {
            Some(r) => {
                let out = |slot: Option<usize>| slot.and_then(|i| self.table.rule_output(r, i));
                if let Some(Value::Money { value }) = out(self.outputs.credit)
                    && !value.is_zero()
                {
                    proposed.credit = Some(*value);
                }
                let mut no_charge = false;
                if let Some(Value::Boolean { value: true }) = out(self.outputs.fee_waiver) {
                    match &complaint.disputed_charge {
                        Some(w) => proposed.fee_waiver = Some(w.clone()),
                        None => no_charge = true,
                    }
                }
                proposed.replacement = matches!(
                    out(self.outputs.replacement),
                    Some(Value::Boolean { value: true })
                );
                if let Some(Value::String { value }) = out(self.outputs.upgrade) {
                    proposed.upgrade = Some(OfferingId::new(value.as_str())?);
                }
                let matched = self.table.explain(r, |ci| {
                    self.scalar(ci, complaint, customer, breach_minutes).ok()
                });
                let id = self.table.rule_id(r).unwrap_or_default().to_string();
                reasons.push(if matched.is_empty() {
                    format!("rule {id} gives {proposed}")
                } else {
                    format!("{}: rule {id} gives {proposed}", join_conditions(&matched))
                });
                if no_charge {
                    reasons
                        .push("no fee waiver: the complaint names no disputed charge".to_string());
                }
                (Some(id), matched)
            }
            None => {
                reasons.push("no rule matched: apology only".to_string());
                (None, Vec::new())
            }
        };

        // The cap.
        let mut granted_in_period = Money::zero(currency);
        for g in granted
            .iter()
            .filter(|g| g.customer == customer.customer && cap.period.counts(g.at, at))
        {
            granted_in_period = granted_in_period.checked_add(&g.value)?;
        }
        let zero = Money::zero(currency);
        let left = cap.limit.checked_sub(&granted_in_period)?;
        let remaining = if left.is_negative() { zero } else { left };
        let proposed_value = proposed.value(currency)?;
        let mut offer = proposed.clone();
        let reduced = proposed_value.try_cmp(&remaining)? == std::cmp::Ordering::Greater;
        if reduced {
            let mut budget = remaining;
            let mut converted = zero;
            if let Some(w) = &offer.fee_waiver {
                if w.amount.try_cmp(&budget)? == std::cmp::Ordering::Greater {
                    reasons.push(format!(
                        "the waiver of charge {} ({}) exceeds the {} that remains: replaced by a credit",
                        w.charge, w.amount, remaining
                    ));
                    converted = w.amount;
                    offer.fee_waiver = None;
                } else {
                    budget = budget.checked_sub(&w.amount)?;
                }
            }
            let wanted = offer.credit.unwrap_or(zero).checked_add(&converted)?;
            let credit = wanted.min(&budget)?;
            offer.credit = credit.is_positive().then_some(credit);
        }
        let value = offer.value(currency)?;
        let cap_remaining = remaining.checked_sub(&value)?;
        if reduced {
            reasons.push(format!(
                "reduced from {proposed_value} to {value}: cap {} {}, {granted_in_period} already granted, {remaining} remained",
                cap.limit, cap.period
            ));
        } else {
            reasons.push(format!(
                "within the cap {} {}: {granted_in_period} already granted, {cap_remaining} remains",
                cap.limit, cap.period
            ));
        }

        // Approval.
        let mut approval = None;
        for a in &self.approvals {
            if value.try_cmp(&a.above)? == std::cmp::Ordering::Greater {
                approval = Some(ApprovalRequirement {
                    role: a.role.clone(),
                    reason: format!("the offer's value {value} is above {}", a.above),
                });
                break;
            }
        }
        if approval.is_none()
            && let (Some(r), Some(slot)) = (row, self.outputs.approval)
            && let Some(Value::String { value: role }) = self.table.rule_output(r, slot)
        {
            approval = Some(ApprovalRequirement {
                role: role.clone(),
                reason: format!(
                    "rule {} requires it",
                    self.table.rule_id(r).unwrap_or_default()
                ),
            });
        }
        if let Some(a) = &approval {
            reasons.push(format!("needs approval by a {}: {}", a.role, a.reason));
        }

        Ok(CompensationDecision {
            customer: customer.customer.clone(),
            complaint: complaint.id.clone(),
            tier: customer.tier.clone(),
            rule,
            proposed,
            offer,
            reduced,
            value,
            cap: *cap,
            granted_in_period,
            cap_remaining,
            approval,
            matched,
            reasons,
            at,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::policy::service::CapPeriod;
    use crate::policy::table::{ColumnDef, HitPolicy, RuleSpec};

    fn eur() -> Currency {
        Currency::new("EUR").unwrap()
    }

    fn m(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    fn tiers() -> Vec<String> {
        ["standard", "silver", "gold", "platinum"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    pub(crate) fn spec() -> CompensationPolicySpec {
        let eq = |v: Literal| Condition::Eq { value: v };
        CompensationPolicySpec {
            tiers: tiers(),
            attributes: vec![],
            approvals: vec![
                ApprovalThreshold {
                    above: m("75.00"),
                    role: "supervisor".into(),
                },
                ApprovalThreshold {
                    above: m("250.00"),
                    role: "manager".into(),
                },
            ],
            table: DecisionTableSpec {
                name: "compensation".into(),
                hit_policy: HitPolicy::First,
                inputs: vec![
                    ColumnDef::new("category", ValueType::String),
                    ColumnDef::new(
                        "severity",
                        ValueType::Enumeration {
                            values: vec![
                                "low".into(),
                                "medium".into(),
                                "high".into(),
                                "critical".into(),
                            ],
                        },
                    ),
                    ColumnDef::new("sla_breached", ValueType::Boolean),
                    ColumnDef::new("sla_breach_minutes", ValueType::Integer),
                    ColumnDef::new("commitment_broken", ValueType::Boolean),
                    ColumnDef::new("complaints_last_90_days", ValueType::Integer),
                    ColumnDef::new("tier", ValueType::String),
                ],
                outputs: vec![
                    ColumnDef::new("credit", ValueType::Money { currency: eur() }),
                    ColumnDef::new("fee_waiver", ValueType::Boolean),
                    ColumnDef::new("replacement", ValueType::Boolean),
                    ColumnDef::new("upgrade", ValueType::String),
                    ColumnDef::new("approval", ValueType::String),
                ],
                rules: vec![
                    RuleSpec::new("C1")
                        .when("commitment_broken", eq(true.into()))
                        .when(
                            "tier",
                            Condition::In {
                                values: vec!["gold".into(), "platinum".into()],
                            },
                        )
                        .then("credit", "50.00"),
                    RuleSpec::new("C2")
                        .when("severity", eq("critical".into()))
                        .then("credit", "100.00")
                        .then("replacement", true),
                    RuleSpec::new("C3")
                        .when(
                            "sla_breach_minutes",
                            Condition::Ge {
                                value: Literal::Integer(480),
                            },
                        )
                        .then("credit", "30.00")
                        .then("fee_waiver", true),
                    RuleSpec::new("C4")
                        .when(
                            "complaints_last_90_days",
                            Condition::Ge {
                                value: Literal::Integer(3),
                            },
                        )
                        .then("credit", "20.00")
                        .then("upgrade", "OFF-PLUS")
                        .then("approval", "retention_desk"),
                    RuleSpec::new("C5")
                        .when("sla_breached", eq(true.into()))
                        .when(
                            "category",
                            Condition::Ne {
                                value: "fraud".into(),
                            },
                        )
                        .then("credit", "10.00"),
                ],
            },
        }
    }

    fn complaint(id: &str) -> Complaint {
        Complaint {
            id: InteractionId::new(id).unwrap(),
            category: "billing".into(),
            severity: "medium".into(),
            sla_breach: None,
            commitment_broken: false,
            complaints_last_90_days: 0,
            disputed_charge: None,
            attributes: BTreeMap::new(),
        }
    }

    fn facts(tier: &str) -> CustomerFacts {
        CustomerFacts {
            customer: CustomerId::new("C-1").unwrap(),
            tier: tier.into(),
            value: m("1200.00"),
        }
    }

    fn cap(limit: &str) -> CompensationCap {
        CompensationCap {
            limit: m(limit),
            period: CapPeriod::CalendarMonth,
        }
    }

    fn at(s: &str) -> Instant {
        s.parse().unwrap()
    }

    #[test]
    fn a_broken_callback_for_a_gold_customer_gets_a_credit_with_reasons() {
        let p = CompensationPolicy::new(spec()).unwrap();
        let mut c = complaint("I-1");
        c.commitment_broken = true;
        let d = p
            .decide(
                &c,
                &facts("gold"),
                &[],
                &cap("200.00"),
                at("2026-05-05T10:00:00Z"),
            )
            .unwrap();
        assert_eq!(d.rule.as_deref(), Some("C1"));
        assert_eq!(d.offer.credit, Some(m("50.00")));
        assert!(!d.reduced);
        assert_eq!(d.cap_remaining, m("150.00"));
        assert_eq!(d.approval, None);
        assert_eq!(
            d.reasons[0],
            "commitment_broken true = true and tier gold in {gold, platinum}: rule C1 gives apology, credit 50.00 EUR"
        );
        let g = d.grant(None, d.at).unwrap();
        assert_eq!(g.value, m("50.00"));
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(
            serde_json::from_str::<CompensationGranted>(&json).unwrap(),
            g
        );
        // The same broken promise for a standard customer is only an apology.
        let d = p
            .decide(
                &c,
                &facts("standard"),
                &[],
                &cap("50.00"),
                at("2026-05-05T10:00:00Z"),
            )
            .unwrap();
        assert!(d.offer.is_apology_only());
        assert_eq!(d.reasons[0], "no rule matched: apology only");
    }

    #[test]
    fn the_cap_counts_what_was_granted_and_reduces_the_offer() {
        let p = CompensationPolicy::new(spec()).unwrap();
        let mut c = complaint("I-2");
        c.sla_breach = Some(BusinessDuration::from_hours(9).unwrap());
        c.disputed_charge = Some(FeeWaiver {
            charge: ChargeId::new("CH-1").unwrap(),
            amount: m("49.90"),
        });
        let now = at("2026-05-20T10:00:00Z");
        let earlier = CompensationGranted {
            customer: CustomerId::new("C-1").unwrap(),
            complaint: InteractionId::new("I-0").unwrap(),
            offer: Offer::default(),
            value: m("30.00"),
            rule: None,
            approved_by: None,
            approver_role: None,
            at: at("2026-05-02T10:00:00Z"),
        };
        let last_month = CompensationGranted {
            at: at("2026-04-30T10:00:00Z"),
            ..earlier.clone()
        };
        let other = CompensationGranted {
            customer: CustomerId::new("C-2").unwrap(),
            ..earlier.clone()
        };
        let hist = vec![earlier, last_month, other];
        // C3: credit 30.00 + waiver 49.90 = 79.90; cap 100, 30 granted this month → 70 left.
        let d = p
            .decide(&c, &facts("silver"), &hist, &cap("100.00"), now)
            .unwrap();
        assert_eq!(d.rule.as_deref(), Some("C3"));
        assert_eq!(d.granted_in_period, m("30.00"));
        assert!(d.reduced);
        assert_eq!(d.offer.fee_waiver.as_ref().unwrap().amount, m("49.90"));
        assert_eq!(d.offer.credit, Some(m("20.10")));
        assert_eq!(d.value, m("70.00"));
        assert_eq!(d.cap_remaining, m("0.00"));
        assert!(
            d.reasons
                .iter()
                .any(|r| r.starts_with("reduced from 79.90 EUR to 70.00 EUR")),
            "{:?}",
            d.reasons
        );
        // With 40.00 left, the waiver does not fit: it becomes a credit of 40.00.
        let d = p
            .decide(&c, &facts("silver"), &hist, &cap("70.00"), now)
            .unwrap();
        assert_eq!(d.offer.fee_waiver, None);
        assert_eq!(d.offer.credit, Some(m("40.00")));
        // Nothing left: apology only, said so.
        let d = p
            .decide(&c, &facts("silver"), &hist, &cap("30.00"), now)
            .unwrap();
        assert!(d.offer.is_apology_only());
        assert!(d.reduced);
    }

    #[test]
    fn approval_is_required_above_a_threshold_or_by_rule() {
        let p = CompensationPolicy::new(spec()).unwrap();
        let mut c = complaint("I-3");
        c.severity = "critical".into();
        let now = at("2026-05-20T10:00:00Z");
        let d = p
            .decide(&c, &facts("gold"), &[], &cap("500.00"), now)
            .unwrap();
        assert_eq!(d.rule.as_deref(), Some("C2"));
        assert!(d.offer.replacement);
        let a = d.approval.clone().unwrap();
        assert_eq!(a.role, "supervisor");
        assert_eq!(a.reason, "the offer's value 100.00 EUR is above 75.00 EUR");
        assert_eq!(
            d.grant(None, now).unwrap_err().kind(),
            ErrorKind::Validation
        );
        let g = d.grant(Some(ActorId::new("sup-7").unwrap()), now).unwrap();
        assert_eq!(g.approver_role.as_deref(), Some("supervisor"));
        // Rule C4 asks the retention desk.
        let mut c = complaint("I-4");
        c.complaints_last_90_days = 4;
        let d = p
            .decide(&c, &facts("gold"), &[], &cap("500.00"), now)
            .unwrap();
        assert_eq!(
            d.offer.upgrade.as_ref().map(|u| u.as_str()),
            Some("OFF-PLUS")
        );
        assert_eq!(d.approval.unwrap().role, "retention_desk");
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let p = CompensationPolicy::new(spec()).unwrap();
        let now = at("2026-05-20T10:00:00Z");
        let c = complaint("I-5");
        assert_eq!(
            p.decide(&c, &facts("diamond"), &[], &cap("50.00"), now)
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
        let mut bad = complaint("I-6");
        bad.severity = "apocalyptic".into();
        assert_eq!(
            p.decide(&bad, &facts("gold"), &[], &cap("50.00"), now)
                .unwrap_err()
                .kind(),
            ErrorKind::Validation
        );
        let usd = CompensationCap {
            limit: Money::parse("50.00", "USD").unwrap(),
            period: CapPeriod::CalendarMonth,
        };
        let mut c = complaint("I-7");
        c.severity = "critical".into();
        assert_eq!(
            p.decide(&c, &facts("gold"), &[], &usd, now)
                .unwrap_err()
                .kind(),
            ErrorKind::CurrencyMismatch
        );
    }

    #[test]
    fn bad_policies_list_every_problem() {
        let mut s = spec();
        s.tiers.clear();
        s.approvals.push(ApprovalThreshold {
            above: m("-1.00"),
            role: "boss".into(),
        });
        s.table.rules[0]
            .then
            .insert("credit".into(), "-5.00".into());
        s.table.rules[1]
            .then
            .insert("upgrade".into(), " bad".into());
        s.table
            .outputs
            .push(ColumnDef::new("voucher", ValueType::Boolean));
        s.table
            .inputs
            .push(ColumnDef::new("sla_breached_by", ValueType::Integer));
        let e = CompensationPolicy::new(s).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidDefinition);
        let msg = e.to_string();
        for needle in [
            "tier list is empty",
            "tier \"gold\" is not declared",
            "approval threshold -1.00 EUR is negative",
            "rule C1: credit -5.00 is negative",
            "rule C2: upgrade \" bad\"",
            "unknown output \"voucher\"",
            "\"sla_breached_by\" is not a complaint fact",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
    }

    #[test]
    fn compensation_policies_round_trip_through_json() {
        let p = CompensationPolicy::new(spec()).unwrap();
        let json = serde_json::to_string_pretty(&p).unwrap();
        let back = CompensationPolicy::from_json(&json).unwrap();
        assert_eq!(back, p);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn any_complaint() -> impl Strategy<Value = (Complaint, i64)> {
            (
                0usize..3,
                0usize..4,
                proptest::option::of(0i64..1000),
                any::<bool>(),
                0i64..6,
                proptest::option::of(1i64..9000),
                0i64..(365 * 24),
            )
                .prop_map(|(cat, sev, breach, broken, n90, fee, hour)| {
                    let mut c = complaint(&format!("I-{hour}"));
                    c.category = ["billing", "service", "fraud"][cat].into();
                    c.severity = ["low", "medium", "high", "critical"][sev].into();
                    c.sla_breach = breach.map(|m| BusinessDuration::from_minutes(m).unwrap());
                    c.commitment_broken = broken;
                    c.complaints_last_90_days = n90;
                    c.disputed_charge = fee.map(|f| FeeWaiver {
                        charge: ChargeId::new("CH-X").unwrap(),
                        amount: Money::from_minor(f, eur()),
                    });
                    (c, hour)
                })
        }

        fn period() -> impl Strategy<Value = CapPeriod> {
            prop_oneof![
                Just(CapPeriod::CalendarMonth),
                Just(CapPeriod::CalendarYear),
                (1u32..120).prop_map(|days| CapPeriod::RollingDays { days }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn caps_hold_over_a_year_of_random_complaints(
                complaints in proptest::collection::vec(any_complaint(), 1..80),
                limit in 0i64..40_000,
                period in period(),
                tier in 0usize..4,
            ) {
                let p = CompensationPolicy::new(spec()).unwrap();
                let cap = CompensationCap { limit: Money::from_minor(limit, eur()), period };
                let start = at("2026-01-01T00:00:00Z");
                let mut sorted = complaints;
                sorted.sort_by_key(|(_, h)| *h);
                let mut history: Vec<CompensationGranted> = Vec::new();
                for (c, hour) in &sorted {
                    let now = start + chrono::Duration::hours(*hour);
                    let f = facts(tiers()[tier].as_str());
                    let d = p.decide(c, &f, &history, &cap, now).unwrap();
                    prop_assert!(!d.cap_remaining.is_negative());
                    prop_assert!(!d.value.is_negative());
                    let g = d.grant(Some(ActorId::new("sup").unwrap()), now).unwrap();
                    history.push(g);
                    // At every grant so far, the grants its period counts stay within the cap.
                    for probe in &history {
                        let total = Money::sum(eur(), history.iter()
                            .filter(|h| period.counts(h.at, probe.at))
                            .map(|h| &h.value)).unwrap();
                        prop_assert!(total.try_cmp(&cap.limit).unwrap() != std::cmp::Ordering::Greater,
                            "{total} over {} at {}", cap.limit, probe.at);
                    }
                }
            }

            #[test]
            fn same_facts_same_instant_same_decision(
                (c, hour) in any_complaint(),
                tier in 0usize..4,
                limit in 0i64..40_000,
            ) {
                let p = CompensationPolicy::new(spec()).unwrap();
                let q = CompensationPolicy::from_json(&serde_json::to_string(&p).unwrap()).unwrap();
                let cap = CompensationCap { limit: Money::from_minor(limit, eur()), period: CapPeriod::CalendarMonth };
                let now = at("2026-01-01T00:00:00Z") + chrono::Duration::hours(hour);
                let f = facts(tiers()[tier].as_str());
                let a = p.decide(&c, &f, &[], &cap, now).unwrap();
                let b = q.decide(&c, &f, &[], &cap, now).unwrap();
                prop_assert_eq!(a, b);
            }
        }
    }
}
