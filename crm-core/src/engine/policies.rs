//! Policies in the engine: tiering from the ledger, tier service levels, compensation.
//!
//! - `register_policies` stores the organisation's [`PolicySet`] (tiering, service per tier,
//!   compensation, one tier list) with the [`PolicySettings`] the engine measures by.
//! - `set_customer_facts` stores what only the host knows (potential, churn risk, attributes).
//! - The engine measures each customer ([`Crm::customer_measures`]): revenue and margin over
//!   the trailing window from the ledger, tenure from registration, days overdue and bounced
//!   payments from the ledger, open complaints from process instances.
//! - `assign_tiers` records a `tier_changed` event per customer whose tier changed.
//! - The customer's tier shortens service levels and process SLAs through the service policy
//!   (never below the agreement), and fills the tier of the entitlement standing.
//! - `grant_compensation` decides a complaint under the compensation policy and the tier's cap
//!   (counting what was already granted), records the grant, and puts a credit or fee waiver
//!   into the ledger.

use super::Crm;
use super::command::Metadata;
use super::event::{Event, EventEnvelope, customer_stream, ledger_stream};
use super::state::CrmState;
use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, CustomerId, EntryId};
use crate::money::{Currency, Money, Rounding};
use crate::obligation::{AllocationRule, Credit, Ledger, PaymentType};
use crate::policy::table::{Value, ValueType};
use crate::policy::{
    AppliedTargets, CompensationDecision, CompensationGranted, Complaint, CustomerFacts,
    CustomerMeasures, PolicySet, TierChanged, TierDecision, TieringBatch, TieringInput,
};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The interaction kind whose open process instances count as open complaints.
pub const COMPLAINT_KIND: &str = "complaint";

fn default_window() -> u32 {
    365
}

/// How the engine measures customers for tiering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    /// The trailing window of revenue, margin and bounced payments, in days (default 365).
    #[serde(default = "default_window")]
    pub window_days: u32,
    /// The margin as a share of revenue per payment type (0 to 1); a payment type not listed
    /// contributes no margin.
    #[serde(default)]
    pub margin_rates: BTreeMap<PaymentType, Decimal>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            window_days: default_window(),
            margin_rates: BTreeMap::new(),
        }
    }
}

impl PolicySettings {
    fn validate(&self) -> Result<()> {
        if self.window_days == 0 || self.window_days > 3_660 {
            return Err(Error::validation(
                "window_days",
                self.window_days,
                "must be between 1 and 3660",
            ));
        }
        for (t, r) in &self.margin_rates {
            if *r < Decimal::ZERO || *r > Decimal::ONE {
                return Err(Error::validation(
                    "margin_rates",
                    format!("{t:?}: {r}"),
                    "a margin rate is between 0 and 1",
                ));
            }
        }
        Ok(())
    }
}

/// The organisation's policies as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredPolicies {
    /// Tiering, service per tier and compensation.
    pub policies: PolicySet,
    /// How customers are measured.
    pub settings: PolicySettings,
}

/// What only the host knows about a customer, for tiering.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFacts {
    /// Estimated additional annual value; zero when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potential: Option<Money>,
    /// Churn risk (0 to 1); zero when absent.
    #[serde(default)]
    pub churn_risk: Decimal,
    /// Further facts named in the tiering policy's `attributes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Value>,
}

impl HostFacts {
    fn validate(&self) -> Result<()> {
        if self.churn_risk < Decimal::ZERO || self.churn_risk > Decimal::ONE {
            return Err(Error::validation(
                "churn_risk",
                self.churn_risk,
                "must be between 0 and 1",
            ));
        }
        if let Some(p) = &self.potential
            && p.is_negative()
        {
            return Err(Error::validation("potential", p, "must not be negative"));
        }
        Ok(())
    }
}

fn registered(state: &CrmState) -> Result<&RegisteredPolicies> {
    state
        .policies
        .as_ref()
        .ok_or_else(|| Error::not_found("policies", "the organisation's policy set"))
}

/// The currency a customer is measured in: the ledger's, else the potential's, else the
/// tiering table's first money input's.
fn measure_currency(
    state: &CrmState,
    customer: &CustomerId,
    reg: &RegisteredPolicies,
) -> Result<Currency> {
    if let Some(l) = state.ledgers.get(customer) {
        return Ok(l.currency());
    }
    if let Some(p) = state.customer_facts.get(customer).and_then(|f| f.potential) {
        return Ok(p.currency());
    }
    reg.policies
        .tiering()
        .table()
        .inputs()
        .iter()
        .find_map(|c| match c.value_type {
            ValueType::Money { currency } => Some(currency),
            _ => None,
        })
        .ok_or_else(|| {
            Error::validation(
                "currency",
                customer,
                "the customer has no ledger and no potential, and the tiering table has no money input",
            )
        })
}

impl CrmState {
    /// The customer's measures for tiering at `at` (see the module documentation).
    pub fn customer_measures(
        &self,
        customer: &CustomerId,
        at: Instant,
    ) -> Result<CustomerMeasures> {
        if !self.customers.contains_key(customer) {
            return Err(Error::not_found("customer", customer));
        }
        let reg = registered(self)?;
        let currency = measure_currency(self, customer, reg)?;
        let today = at.date_naive();
        let from = today
            .checked_sub_days(Days::new(u64::from(reg.settings.window_days)))
            .unwrap_or(NaiveDate::MIN);
        let mut revenue = Money::zero(currency);
        let mut margin = Decimal::ZERO;
        let mut bounced = 0i64;
        if let Some(l) = self.ledgers.get(customer) {
            for e in l.charges() {
                let due = e.charge.due_date;
                if due <= from || due > today {
                    continue;
                }
                let net = e.net_amount()?;
                revenue = revenue.checked_add(&net)?;
                let rate = reg
                    .settings
                    .margin_rates
                    .get(&e.charge.payment_type)
                    .copied()
                    .unwrap_or(Decimal::ZERO);
                margin = net
                    .amount()
                    .checked_mul(rate)
                    .and_then(|m| margin.checked_add(m))
                    .ok_or_else(|| Error::overflow("margin"))?;
            }
            bounced = l
                .fundings()
                .iter()
                .filter(|f| {
                    f.reversal
                        .as_ref()
                        .is_some_and(|r| r.at.date_naive() > from && r.at <= at)
                })
                .count() as i64;
        }
        let facts = self
            .customer_facts
            .get(customer)
            .cloned()
            .unwrap_or_default();
        let open_complaints = self
            .process_instances
            .values()
            .filter(|i| i.customer() == customer && i.ended_at().is_none_or(|e| e > at))
            .filter(|i| {
                self.process_definition(i.definition())
                    .is_ok_and(|d| d.interaction_kinds().iter().any(|k| k == COMPLAINT_KIND))
            })
            .count() as i64;
        Ok(CustomerMeasures {
            customer: customer.clone(),
            revenue,
            margin: Money::rounded(margin, currency, Rounding::HalfEven)?,
            potential: facts.potential.unwrap_or(Money::zero(currency)),
            customer_since: self.customer_since.get(customer).copied().unwrap_or(today),
            days_overdue: i64::from(self.standing_days(customer, at)),
            bounced_payments: bounced,
            churn_risk: facts.churn_risk,
            open_complaints,
            attributes: facts.attributes,
        })
    }

    /// The customer's current tier: the last one assigned, else the baseline when policies
    /// are registered, else none.
    pub fn tier(&self, customer: &CustomerId) -> Option<&str> {
        match (self.tiers.get(customer), &self.policies) {
            (Some(t), _) => Some(t.to.as_str()),
            (None, Some(p)) => Some(p.policies.tiering().tiers().baseline()),
            (None, None) => None,
        }
    }

    /// The tier names, lowest first, when policies are registered.
    pub fn tier_order(&self) -> Vec<String> {
        self.policies
            .as_ref()
            .map(|p| p.policies.tiering().tiers().names().to_vec())
            .unwrap_or_default()
    }

    /// The targets the customer's tier gives a request of `kind` on top of the agreement's
    /// own (`None` when no policies are registered).
    pub fn tier_targets(
        &self,
        customer: &CustomerId,
        kind: &str,
        agreement: &crate::policy::SlaTargets,
    ) -> Result<Option<AppliedTargets>> {
        let (Some(reg), Some(tier)) = (&self.policies, self.tier(customer)) else {
            return Ok(None);
        };
        reg.policies
            .service()
            .targets(tier, kind, agreement)
            .map(Some)
    }

    fn decide_compensation_at(
        &self,
        customer: &CustomerId,
        complaint: &Complaint,
        at: Instant,
    ) -> Result<CompensationDecision> {
        let reg = registered(self)?;
        let measures = self.customer_measures(customer, at)?;
        let facts = CustomerFacts {
            customer: customer.clone(),
            tier: self
                .tier(customer)
                .unwrap_or_else(|| reg.policies.tiering().tiers().baseline())
                .to_string(),
            value: measures.revenue,
        };
        let granted = self
            .compensations
            .get(customer)
            .map_or(&[][..], Vec::as_slice);
        reg.policies
            .decide_compensation(complaint, &facts, granted, at)
    }
}

pub(super) fn decide(
    state: &CrmState,
    meta: &Metadata,
    command: &super::Command,
) -> Result<(String, Vec<Event>)> {
    use super::Command as C;
    match command {
        C::RegisterPolicies { policies, settings } => {
            settings.validate()?;
            Ok((
                "policies".to_string(),
                vec![Event::PoliciesRegistered {
                    policies: Box::new(RegisteredPolicies {
                        policies: policies.as_ref().clone(),
                        settings: settings.clone(),
                    }),
                }],
            ))
        }
        C::SetCustomerFacts { customer, facts } => {
            if !state.customers.contains_key(customer) {
                return Err(Error::not_found("customer", customer));
            }
            facts.validate()?;
            Ok((
                customer_stream(customer),
                vec![Event::CustomerFactsSet {
                    customer: customer.clone(),
                    facts: facts.clone(),
                }],
            ))
        }
        C::AssignTiers { customers } => {
            let reg = registered(state)?;
            let ids: Vec<&CustomerId> = if customers.is_empty() {
                state.customers.keys().collect()
            } else {
                customers.iter().collect()
            };
            let mut events = Vec::new();
            for c in ids {
                let m = state.customer_measures(c, meta.at)?;
                let previous = state.tiers.get(c).map(|t| t.to.as_str());
                let d = reg.policies.tiering().assign_tier(&m, previous, meta.at)?;
                if let Some(change) = d.change() {
                    events.push(Event::TierChanged { change });
                }
            }
            Ok(("tiers".to_string(), events))
        }
        C::GrantCompensation {
            customer,
            complaint,
            approved_by,
        } => decide_grant(state, meta, customer, complaint, approved_by.as_ref()),
        other => Err(Error::validation(
            "command",
            other.tag(),
            "is not a policy command",
        )),
    }
}

fn decide_grant(
    state: &CrmState,
    meta: &Metadata,
    customer: &CustomerId,
    complaint: &Complaint,
    approved_by: Option<&ActorId>,
) -> Result<(String, Vec<Event>)> {
    if state
        .compensations
        .get(customer)
        .is_some_and(|g| g.iter().any(|x| x.complaint == complaint.id))
    {
        return Err(Error::already_exists(
            "compensation for complaint",
            &complaint.id,
        ));
    }
    let decision = state.decide_compensation_at(customer, complaint, meta.at)?;
    let grant = decision.grant(approved_by.cloned(), meta.at)?;
    let credit = credit_of(&grant, meta)?;
    if let Some(c) = &credit {
        let mut l = state
            .ledgers
            .get(customer)
            .cloned()
            .unwrap_or_else(|| Ledger::new(customer.clone(), c.amount.currency()));
        if let AllocationRule::ToCharges { charge_ids } = &c.allocation {
            for id in charge_ids {
                if state.charge_owners.get(id) != Some(customer) {
                    return Err(Error::not_found("charge of the customer", id));
                }
            }
        }
        l.grant_credit(c.clone())?;
    }
    Ok((
        ledger_stream(customer),
        vec![Event::CompensationGranted {
            grant,
            credit,
            reasons: decision.reasons,
        }],
    ))
}

/// The ledger credit of a grant: the credit offered plus a waived fee (allocated to the
/// waived charge first), id `comp-<complaint>`.
fn credit_of(grant: &CompensationGranted, meta: &Metadata) -> Result<Option<Credit>> {
    let offer = &grant.offer;
    let amount = match (&offer.credit, &offer.fee_waiver) {
        (None, None) => return Ok(None),
        (Some(c), None) => *c,
        (None, Some(w)) => w.amount,
        (Some(c), Some(w)) => c.checked_add(&w.amount)?,
    };
    if !amount.is_positive() {
        return Ok(None);
    }
    Ok(Some(Credit {
        id: EntryId::new(format!("comp-{}", grant.complaint))?,
        customer_id: grant.customer.clone(),
        granted_at: meta.at,
        amount,
        reason: format!("compensation for complaint {}: {}", grant.complaint, offer),
        approved_by: grant
            .approved_by
            .clone()
            .unwrap_or_else(|| meta.actor.clone()),
        allocation: match &offer.fee_waiver {
            Some(w) => AllocationRule::ToCharges {
                charge_ids: vec![w.charge.clone()],
            },
            None => AllocationRule::OldestDueFirst,
        },
    }))
}

/// Applies a policy event.
pub(super) fn apply(state: &mut CrmState, env: &EventEnvelope) -> Result<()> {
    match &env.event {
        Event::PoliciesRegistered { policies } => state.policies = Some(policies.as_ref().clone()),
        Event::CustomerFactsSet { customer, facts } => {
            state.customer_facts.insert(customer.clone(), facts.clone());
        }
        Event::TierChanged { change } => {
            state.tiers.insert(change.customer.clone(), change.clone());
        }
        Event::CompensationGranted { grant, credit, .. } => {
            if let Some(c) = credit {
                state
                    .ledgers
                    .entry(grant.customer.clone())
                    .or_insert_with(|| Ledger::new(grant.customer.clone(), c.amount.currency()))
                    .grant_credit(c.clone())?;
                state
                    .ledger_entries
                    .insert(format!("entry:{}", c.id), (grant.customer.clone(), env.seq));
            }
            state
                .compensations
                .entry(grant.customer.clone())
                .or_default()
                .push(grant.clone());
        }
        _ => {}
    }
    Ok(())
}

impl Crm {
    /// The registered policies, if any.
    pub fn policies(&self) -> Option<&RegisteredPolicies> {
        self.state.policies.as_ref()
    }

    /// The customer's measures for tiering at `at`.
    pub fn customer_measures(
        &self,
        customer: &CustomerId,
        at: Instant,
    ) -> Result<CustomerMeasures> {
        self.state.customer_measures(customer, at)
    }

    /// The tier the policy gives the customer at `at`, the previous tier, the rule and the
    /// measured values that matched; nothing is recorded (`assign_tiers` records changes).
    pub fn assign_tier(&self, customer: &CustomerId, at: Instant) -> Result<TierDecision> {
        let reg = registered(&self.state)?;
        let m = self.state.customer_measures(customer, at)?;
        let previous = self.state.tiers.get(customer).map(|t| t.to.as_str());
        reg.policies.tiering().assign_tier(&m, previous, at)
    }

    /// Tiers many customers at `at` (an empty list: every customer); nothing is recorded. A
    /// customer that cannot be measured or tiered is listed in the failures.
    pub fn assign_tiers(&self, customers: &[CustomerId], at: Instant) -> Result<TieringBatch> {
        let reg = registered(&self.state)?;
        let ids: Vec<&CustomerId> = if customers.is_empty() {
            self.state.customers.keys().collect()
        } else {
            customers.iter().collect()
        };
        let mut inputs = Vec::with_capacity(ids.len());
        let mut failures = Vec::new();
        for c in ids {
            match self.state.customer_measures(c, at) {
                Ok(measures) => inputs.push(TieringInput {
                    measures,
                    previous: self.state.tiers.get(c).map(|t| t.to.clone()),
                }),
                Err(error) => failures.push(crate::policy::TieringFailure {
                    customer: c.clone(),
                    error,
                }),
            }
        }
        let mut batch = reg.policies.tiering().assign_tiers(&inputs, at);
        batch.failures.extend(failures);
        Ok(batch)
    }

    /// The customer's last tier change (the tier, the rule and why), if any.
    pub fn tier_of(&self, customer: &CustomerId) -> Result<Option<&TierChanged>> {
        self.customer(customer)?;
        Ok(self.state.tiers.get(customer))
    }

    /// What the compensation policy offers for a complaint of the customer at `at`, under the
    /// tier's cap and what was already granted; nothing is recorded.
    pub fn decide_compensation(
        &self,
        customer: &CustomerId,
        complaint: &Complaint,
        at: Instant,
    ) -> Result<CompensationDecision> {
        self.customer(customer)?;
        self.state.decide_compensation_at(customer, complaint, at)
    }

    /// The compensations granted to a customer, oldest first.
    pub fn compensations_of(&self, customer: &CustomerId) -> Result<&[CompensationGranted]> {
        self.customer(customer)?;
        Ok(self
            .state
            .compensations
            .get(customer)
            .map_or(&[][..], Vec::as_slice))
    }
}
