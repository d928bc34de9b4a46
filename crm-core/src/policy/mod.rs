//! Policies as data: decision tables with hit policies and explanations, and the three
//! policies built on them.
//!
//! - [`table`]: [`DecisionTable`], typed columns, conditions, hit policies, static checks.
//! - [`tiering`]: [`TieringPolicy`] places a customer in a tier from its measures.
//! - [`service`]: [`ServicePolicy`] gives each tier its routing priority, SLA targets,
//!   compensation cap and retention offers, never less than the baseline tier.
//! - [`compensation`]: [`CompensationPolicy`] decides what a complaint earns, within the cap.
//!
//! Everything here is pure: data in, decision out, the instant passed in. Every policy is
//! JSON (see `docs/policies.md`) and is checked when built, whether in code or from JSON.
//!
//! ## What the engine supplies
//!
//! - Tiering: a [`CustomerMeasures`] per customer (revenue and margin over the trailing
//!   window from the ledger, host-supplied potential and churn risk, `customer_since`, days
//!   overdue and bounced payments from the obligations, open complaints, any declared
//!   attributes) and the customer's previous tier. [`TierDecision::change`] is the
//!   [`TierChanged`] event to record.
//! - Compensation: the [`Complaint`] facts (SLA breach and by how much, broken commitment,
//!   complaints in the last 90 days, the disputed charge), the [`CustomerFacts`] (tier,
//!   value), and the customer's [`CompensationGranted`] events covering at least the cap's
//!   period. [`CompensationDecision::grant`] gives the event to record; its credit carries
//!   the [`crate::Money`] for the ledger.
//! - Service: the agreement's own [`SlaTargets`] for the request kind.

pub mod compensation;
pub mod service;
pub mod table;
pub mod tiering;

pub use compensation::{
    ApprovalRequirement, ApprovalThreshold, CompensationDecision, CompensationGranted,
    CompensationPolicy, CompensationPolicySpec, Complaint, CustomerFacts, FeeWaiver, Offer,
};
pub use service::{
    AppliedTargets, CapPeriod, CompensationCap, ServicePolicy, ServicePolicySpec, SlaRule,
    SlaTargets, TargetRule, TierService,
};
pub use table::{
    ColumnDef, Condition, DecisionTable, DecisionTableSpec, Evaluation, EvaluationResult, Facts,
    HitPolicy, Literal, MatchedCondition, RuleOutputs, RuleSpec, UnreachableRule, Value, ValueType,
};
pub use tiering::{
    CustomerMeasures, TierChanged, TierDecision, TieringBatch, TieringFailure, TieringInput,
    TieringPolicy, TieringPolicySpec,
};

use crate::error::{Error, Result};

/// What every single-row policy (tiering, compensation) checks first: the tier list, the table
/// (its problems collected, not returned, so the policy reports every problem at once), and
/// that the hit policy selects one row. `role` names the table in the hit-policy problem.
pub(crate) fn single_row_table(
    tiers: &[String],
    spec: &DecisionTableSpec,
    role: &str,
) -> Result<(Option<DecisionTable>, Vec<String>)> {
    let mut problems = Tiers::problems(tiers);
    let table = match DecisionTable::new(spec.clone()) {
        Ok(t) => Some(t),
        Err(Error::InvalidDefinition { problems: p, .. }) => {
            problems.extend(p);
            None
        }
        Err(e) => return Err(e),
    };
    if !spec.hit_policy.is_single() {
        problems.push(format!(
            "hit policy {:?} is not allowed: a {role} table selects one row (first, unique or priority)",
            spec.hit_policy
        ));
    }
    Ok((table, problems))
}
use serde::{Deserialize, Serialize};

/// The ordered tier names, lowest first; the lowest is the baseline. Non-empty, no duplicates,
/// no blank names. JSON: `["standard", "silver", "gold", "platinum"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Tiers(Vec<String>);

impl TryFrom<Vec<String>> for Tiers {
    type Error = Error;
    fn try_from(names: Vec<String>) -> Result<Self> {
        Tiers::new(names)
    }
}

impl From<Tiers> for Vec<String> {
    fn from(t: Tiers) -> Self {
        t.0
    }
}

impl Tiers {
    /// Checks and wraps an ordered list of tier names (lowest first).
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Result<Self> {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        let problems = Self::problems(&names);
        if problems.is_empty() {
            Ok(Tiers(names))
        } else {
            Err(Error::InvalidDefinition {
                what: "tier list".to_string(),
                problems,
            })
        }
    }

    pub(crate) fn problems(names: &[String]) -> Vec<String> {
        let mut problems = Vec::new();
        if names.is_empty() {
            problems.push("the tier list is empty; at least the baseline tier is needed".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            if n.trim().is_empty() || n.trim() != n {
                problems.push(format!(
                    "tier name {n:?} is blank or has surrounding spaces"
                ));
            } else if !seen.insert(n.as_str()) {
                problems.push(format!("tier {n:?} is listed twice"));
            }
        }
        problems
    }

    /// The names, lowest first.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// The baseline (lowest) tier.
    pub fn baseline(&self) -> &str {
        self.0.first().map(String::as_str).unwrap_or_default()
    }

    /// The rank of a tier (0 is the baseline), if declared.
    pub fn rank(&self, tier: &str) -> Option<usize> {
        self.0.iter().position(|t| t == tier)
    }

    /// The rank of a declared tier, or [`Error::NotFound`].
    pub fn require(&self, tier: &str) -> Result<usize> {
        self.rank(tier)
            .ok_or_else(|| Error::not_found("tier", tier))
    }

    /// The name of the tier at `rank`.
    pub fn name(&self, rank: usize) -> Option<&str> {
        self.0.get(rank).map(String::as_str)
    }

    /// The number of tiers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a tier list has at least the baseline.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The three policies of an organisation, checked to use one tier list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicySetSpec", into = "PolicySetSpec")]
pub struct PolicySet {
    tiering: TieringPolicy,
    service: ServicePolicy,
    compensation: CompensationPolicy,
}

/// The JSON form of a [`PolicySet`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySetSpec {
    /// The tiering policy.
    pub tiering: TieringPolicy,
    /// The service policy per tier.
    pub service: ServicePolicy,
    /// The compensation policy.
    pub compensation: CompensationPolicy,
}

impl TryFrom<PolicySetSpec> for PolicySet {
    type Error = Error;
    fn try_from(s: PolicySetSpec) -> Result<Self> {
        PolicySet::new(s.tiering, s.service, s.compensation)
    }
}

impl From<PolicySet> for PolicySetSpec {
    fn from(p: PolicySet) -> Self {
        PolicySetSpec {
            tiering: p.tiering,
            service: p.service,
            compensation: p.compensation,
        }
    }
}

impl PolicySet {
    /// Puts three policies together; their tier lists must be equal (same names, same order).
    pub fn new(
        tiering: TieringPolicy,
        service: ServicePolicy,
        compensation: CompensationPolicy,
    ) -> Result<Self> {
        let mut problems = Vec::new();
        if service.tiers() != tiering.tiers() {
            problems.push(format!(
                "the service policy's tiers {:?} differ from the tiering policy's {:?}",
                service.tiers().names(),
                tiering.tiers().names()
            ));
        }
        if compensation.tiers() != tiering.tiers() {
            problems.push(format!(
                "the compensation policy's tiers {:?} differ from the tiering policy's {:?}",
                compensation.tiers().names(),
                tiering.tiers().names()
            ));
        }
        if problems.is_empty() {
            Ok(PolicySet {
                tiering,
                service,
                compensation,
            })
        } else {
            Err(Error::InvalidDefinition {
                what: "policy set".to_string(),
                problems,
            })
        }
    }

    /// The tiering policy.
    pub fn tiering(&self) -> &TieringPolicy {
        &self.tiering
    }

    /// The service policy.
    pub fn service(&self) -> &ServicePolicy {
        &self.service
    }

    /// The compensation policy.
    pub fn compensation(&self) -> &CompensationPolicy {
        &self.compensation
    }

    /// Decides a complaint's compensation under the cap the service policy gives the
    /// customer's tier. See [`CompensationPolicy::decide`].
    pub fn decide_compensation(
        &self,
        complaint: &Complaint,
        customer: &CustomerFacts,
        granted: &[CompensationGranted],
        at: crate::Instant,
    ) -> Result<CompensationDecision> {
        let cap = self.service.compensation_cap(&customer.tier)?;
        self.compensation
            .decide(complaint, customer, granted, &cap, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_lists_are_checked() {
        let e = Tiers::new(Vec::<String>::new()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidDefinition);
        assert!(e.to_string().contains("empty"), "{e}");
        let e = Tiers::new(["gold", "gold", " x"]).unwrap_err();
        let Error::InvalidDefinition { problems, .. } = e else {
            panic!()
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        let t = Tiers::new(["standard", "gold"]).unwrap();
        assert_eq!(t.baseline(), "standard");
        assert_eq!(t.rank("gold"), Some(1));
        assert_eq!(
            t.require("diamond").unwrap_err().kind(),
            crate::ErrorKind::NotFound
        );
        assert!(serde_json::from_str::<Tiers>("[]").is_err());
        let back: Tiers = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    /// Every JSON example in docs/policies.md loads as the policy it is marked as.
    #[test]
    fn the_documented_examples_load() {
        let doc = include_str!("../../../docs/policies.md");
        let mut seen = 0;
        for part in doc.split("<!-- json: ").skip(1) {
            let (kind, rest) = part.split_once(" -->").unwrap();
            let body = rest.split("```json").nth(1).unwrap();
            let json = body.split("```").next().unwrap();
            match kind {
                "decision_table" => {
                    DecisionTable::from_json(json).unwrap();
                }
                "tiering_policy" => {
                    let p = TieringPolicy::from_json(json).unwrap();
                    let m = tiering::tests::measures("SMB-1", "3000.00", "250000.00");
                    let d = p
                        .assign_tier(
                            &m,
                            Some("standard"),
                            "2026-11-22T09:00:00Z".parse().unwrap(),
                        )
                        .unwrap();
                    assert_eq!(d.rule.as_deref(), Some("R3"));
                }
                "service_policy" => {
                    ServicePolicy::from_json(json).unwrap();
                }
                "compensation_policy" => {
                    CompensationPolicy::from_json(json).unwrap();
                }
                other => panic!("unknown example kind {other}"),
            }
            seen += 1;
        }
        assert_eq!(seen, 4);
    }

    #[test]
    fn a_policy_set_uses_one_tier_list_and_the_service_cap() {
        let tiering = TieringPolicy::new(tiering::tests::story4_spec()).unwrap();
        let service = ServicePolicy::new(service::tests::service_spec()).unwrap();
        let compensation = CompensationPolicy::new(compensation::tests::spec()).unwrap();
        let set = PolicySet::new(tiering.clone(), service.clone(), compensation.clone()).unwrap();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(serde_json::from_str::<PolicySet>(&json).unwrap(), set);

        // Story 4: the preferred tier's shorter SLA and larger cap follow from the tiering.
        let at: crate::Instant = "2026-11-22T09:00:00Z".parse().unwrap();
        let m = tiering::tests::measures("SMB-1", "3000.00", "250000.00");
        let d = set.tiering().assign_tier(&m, None, at).unwrap();
        let agr = SlaTargets {
            response: Some(crate::BusinessDuration::from_hours(8).unwrap()),
            resolution: None,
        };
        let t = set.service().targets(&d.tier, "complaint", &agr).unwrap();
        assert_eq!(
            t.response,
            Some(crate::BusinessDuration::from_hours(4).unwrap())
        );
        let complaint = Complaint {
            id: crate::InteractionId::new("I-9").unwrap(),
            category: "billing".into(),
            severity: "critical".into(),
            sla_breach: None,
            commitment_broken: false,
            complaints_last_90_days: 0,
            disputed_charge: None,
            attributes: Default::default(),
        };
        let facts = CustomerFacts {
            customer: m.customer.clone(),
            tier: d.tier.clone(),
            value: m.revenue,
        };
        let c = set
            .decide_compensation(&complaint, &facts, &[], at)
            .unwrap();
        assert_eq!(c.cap.limit, crate::Money::parse("200.00", "EUR").unwrap());
        assert_eq!(c.value, crate::Money::parse("100.00", "EUR").unwrap());

        let mut spec = service::tests::service_spec();
        spec.tiers.pop();
        spec.per_tier.remove("platinum");
        let other = ServicePolicy::new(spec).unwrap();
        let e = PolicySet::new(tiering, other, compensation).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidDefinition);
        assert!(e.to_string().contains("service policy's tiers"), "{e}");
    }
}
