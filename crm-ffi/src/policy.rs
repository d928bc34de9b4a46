//! Policies for Kotlin, Java and Swift: decision tables, tiering, service and compensation.
//!
//! Each object holds the core's built (checked) policy, made from its JSON spec (see
//! `docs/policies.md`): a bad policy throws `InvalidDefinition` with every problem. Facts,
//! measures and complaints go in as the JSON contract; decisions come back as JSON.

use crate::{CrmError, core, from_json, guard, to_instant};
use crm_core::policy as p;
use serde::Serialize;
use std::sync::Arc;
use std::time::SystemTime;

fn to_json<T: Serialize>(v: &T) -> Result<String, CrmError> {
    core(serde_json::to_string(v).map_err(crm_core::Error::from))
}

/// A decision table: typed columns, rules, a hit policy; checked when built.
#[derive(Debug, uniffi::Object)]
pub struct DecisionTable {
    inner: p::DecisionTable,
}

#[uniffi::export]
impl DecisionTable {
    /// Builds a table from its JSON spec.
    #[uniffi::constructor]
    pub fn new(spec: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(Arc::new(DecisionTable {
                inner: core(p::DecisionTable::from_json(&spec))?,
            }))
        })
    }

    /// The table's name.
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Evaluates the table over `facts` (JSON: input name to a typed value,
    /// `{"revenue": {"type": "money", "value": {...}}}`); the evaluation as JSON.
    pub fn evaluate(&self, facts: String) -> Result<String, CrmError> {
        guard(|| {
            let facts: p::Facts = from_json(&facts)?;
            to_json(&core(self.inner.evaluate(&facts))?)
        })
    }
}

/// Places customers in value tiers by a decision table over their measures.
#[derive(Debug, uniffi::Object)]
pub struct TieringPolicy {
    inner: p::TieringPolicy,
}

#[uniffi::export]
impl TieringPolicy {
    /// Builds a policy from its JSON spec.
    #[uniffi::constructor]
    pub fn new(spec: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(Arc::new(TieringPolicy {
                inner: core(p::TieringPolicy::from_json(&spec))?,
            }))
        })
    }

    /// The tier of one customer (`measures` as JSON) at `at`, with rule and reasons.
    pub fn assign_tier(
        &self,
        measures: String,
        at: SystemTime,
        previous: Option<String>,
    ) -> Result<crate::TierDecision, CrmError> {
        guard(|| {
            let m: p::CustomerMeasures = from_json(&measures)?;
            let at = to_instant("at", at)?;
            crate::TierDecision::from_core(&core(self.inner.assign_tier(
                &m,
                previous.as_deref(),
                at,
            ))?)
        })
    }

    /// The tiers of many customers (a JSON array of `{"measures": ..., "previous": ...}`) at
    /// `at`: decisions and failures, each in input order.
    pub fn assign_tiers(
        &self,
        customers: String,
        at: SystemTime,
    ) -> Result<crate::TieringBatch, CrmError> {
        guard(|| {
            let inputs: Vec<p::TieringInput> = from_json(&customers)?;
            let at = to_instant("at", at)?;
            crate::TieringBatch::from_core(&self.inner.assign_tiers(&inputs, at))
        })
    }
}

/// What each tier gets, never less than the baseline tier (checked when built).
#[derive(Debug, uniffi::Object)]
pub struct ServicePolicy {
    inner: p::ServicePolicy,
}

#[uniffi::export]
impl ServicePolicy {
    /// Builds a policy from its JSON spec.
    #[uniffi::constructor]
    pub fn new(spec: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(Arc::new(ServicePolicy {
                inner: core(p::ServicePolicy::from_json(&spec))?,
            }))
        })
    }

    /// The SLA targets for a request of `kind` from a customer of `tier`, given the agreement's
    /// own targets as JSON (`{"response": ..., "resolution": ...}`); the result as JSON.
    pub fn targets(
        &self,
        tier: String,
        kind: String,
        agreement: String,
    ) -> Result<String, CrmError> {
        guard(|| {
            let own: p::SlaTargets = from_json(&agreement)?;
            to_json(&core(self.inner.targets(&tier, &kind, &own))?)
        })
    }

    /// The routing priority of a tier (higher is served first).
    pub fn routing_priority(&self, tier: String) -> Result<i64, CrmError> {
        guard(|| core(self.inner.routing_priority(&tier)).map(i64::from))
    }

    /// The compensation cap of a tier, as JSON.
    pub fn compensation_cap(&self, tier: String) -> Result<String, CrmError> {
        guard(|| to_json(&core(self.inner.compensation_cap(&tier))?))
    }

    /// The retention offers of a tier.
    pub fn retention_offers(&self, tier: String) -> Result<Vec<String>, CrmError> {
        guard(|| core(self.inner.retention_offers(&tier)).map(<[String]>::to_vec))
    }
}

/// Decides what a complaint earns, the same way every time, within the tier's cap.
#[derive(Debug, uniffi::Object)]
pub struct CompensationPolicy {
    inner: p::CompensationPolicy,
}

#[uniffi::export]
impl CompensationPolicy {
    /// Builds a policy from its JSON spec.
    #[uniffi::constructor]
    pub fn new(spec: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            Ok(Arc::new(CompensationPolicy {
                inner: core(p::CompensationPolicy::from_json(&spec))?,
            }))
        })
    }

    /// The offer for a complaint (each argument the JSON of its core type; `granted` a JSON
    /// array) at `at`.
    pub fn decide(
        &self,
        complaint: String,
        customer: String,
        granted: String,
        cap: String,
        at: SystemTime,
    ) -> Result<crate::CompensationDecision, CrmError> {
        guard(|| {
            let complaint: p::Complaint = from_json(&complaint)?;
            let customer: p::CustomerFacts = from_json(&customer)?;
            let granted: Vec<p::CompensationGranted> = from_json(&granted)?;
            let cap: p::CompensationCap = from_json(&cap)?;
            let at = to_instant("at", at)?;
            crate::CompensationDecision::from_core(&core(
                self.inner.decide(&complaint, &customer, &granted, &cap, at),
            )?)
        })
    }
}
