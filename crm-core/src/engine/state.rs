//! The engine's state: a fold over events.

use super::event::{Event, EventEnvelope};
use crate::agreement::{Agreement, Commitment, CommitmentState, Exception};
use crate::calendar::BusinessCalendar;
use crate::catalog::Offering;
use crate::engine::processes::{BuiltinProcesses, StoredDefinition};
use crate::error::{Error, Result};
use crate::ids::{
    AgreementId, CalendarId, CommitmentId, CustomerId, EntitlementId, ExceptionId, LineId,
    OfferingId, PartnerId,
};
use crate::ids::{DefinitionId, InstanceId};
use crate::party::{Customer, Partner};
use crate::process::ProcessInstance;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the engine remembers of an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The fingerprint of the command first sent with the key.
    pub command_hash: String,
    /// The seq of the first event that command produced.
    pub first_seq: u64,
    /// How many events it produced.
    pub count: u64,
}

/// Everything the engine knows, rebuilt identically by replaying its events.
///
/// Maps are ordered, so the serialized state of two engines with the same events is equal
/// byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CrmState {
    /// Customers by id.
    pub customers: BTreeMap<CustomerId, Customer>,
    /// Partners by id.
    pub partners: BTreeMap<PartnerId, Partner>,
    /// The catalog.
    pub offerings: BTreeMap<OfferingId, Offering>,
    /// Agreements by id.
    pub agreements: BTreeMap<AgreementId, Agreement>,
    /// Exceptions by id.
    pub exceptions: BTreeMap<ExceptionId, Exception>,
    /// Commitments by id.
    pub commitments: BTreeMap<CommitmentId, Commitment>,
    /// Which agreement each line belongs to.
    pub line_index: BTreeMap<LineId, AgreementId>,
    /// Which agreement each entitlement belongs to.
    pub entitlement_index: BTreeMap<EntitlementId, AgreementId>,
    /// The version of every stream.
    pub stream_versions: BTreeMap<String, u64>,
    /// Idempotency keys seen.
    pub keys: BTreeMap<String, KeyRecord>,
    /// The seq of the last event applied.
    pub last_seq: u64,
    /// Business calendars by id.
    pub calendars: BTreeMap<CalendarId, BusinessCalendar>,
    /// Process definitions registered by the host, by id.
    pub process_definitions: BTreeMap<DefinitionId, StoredDefinition>,
    /// Process instances by id.
    pub process_instances: BTreeMap<InstanceId, ProcessInstance>,
    /// Which process instance each interaction started.
    pub process_links: BTreeMap<crate::ids::InteractionId, InstanceId>,
    /// The built-in process definitions (constant; not serialized).
    #[serde(skip)]
    pub builtin_processes: BuiltinProcesses,
    /// The uses of every entitlement, indexed by time.
    #[serde(default)]
    pub usage: crate::entitlement::UsageBook,
    /// Which agreement each payment plan belongs to.
    #[serde(default)]
    pub plan_index: BTreeMap<crate::ids::PlanId, AgreementId>,
    /// The ledger of every customer who owes or paid something.
    #[serde(default)]
    pub ledgers: BTreeMap<CustomerId, crate::obligation::Ledger>,
    /// Which customer's ledger holds each charge.
    #[serde(default)]
    pub charge_owners: BTreeMap<crate::ids::ChargeId, CustomerId>,
    /// Payments and entries recorded (`payment:<id>`, `entry:<id>`): the owner and the seq of
    /// the event that recorded them, so a repeat returns that event.
    #[serde(default)]
    pub ledger_entries: BTreeMap<String, (CustomerId, u64)>,
    /// Rated usage supplied per consumption plan, in period order.
    #[serde(default)]
    pub rated_usage: BTreeMap<crate::ids::PlanId, Vec<crate::obligation::PeriodUsage>>,
    /// Collection policies by name.
    #[serde(default)]
    pub collection_policies: BTreeMap<String, crate::obligation::CollectionPolicy>,
    /// The keys of the collection actions taken, per customer.
    #[serde(default)]
    pub collections_taken: BTreeMap<CustomerId, std::collections::BTreeSet<String>>,
    /// The collection actions taken, per customer, in the order taken.
    #[serde(default)]
    pub collection_history: BTreeMap<CustomerId, Vec<super::TakenCollectionAction>>,
    /// The organisation's policies, once registered.
    #[serde(default)]
    pub policies: Option<super::RegisteredPolicies>,
    /// What the host knows about each customer, for tiering.
    #[serde(default)]
    pub customer_facts: BTreeMap<CustomerId, super::HostFacts>,
    /// The day each customer was registered (tenure counts from it).
    #[serde(default)]
    pub customer_since: BTreeMap<CustomerId, chrono::NaiveDate>,
    /// Each customer's last tier change.
    #[serde(default)]
    pub tiers: BTreeMap<CustomerId, crate::policy::TierChanged>,
    /// The compensations granted, per customer, oldest first.
    #[serde(default)]
    pub compensations: BTreeMap<CustomerId, Vec<crate::policy::CompensationGranted>>,
    /// Interactions by id.
    #[serde(default)]
    pub interactions: BTreeMap<crate::ids::InteractionId, crate::interaction::Interaction>,
    /// The customers whose personal data was erased, with the instant of the last erasure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub forgotten: BTreeMap<CustomerId, crate::Instant>,
    /// Each customer's agreements and exceptions (derived; not serialized: a state read back
    /// from JSON finds them by scanning until [`CrmState::reindex`]).
    #[serde(skip, default = "CustomerIndex::stale")]
    pub customer_index: CustomerIndex,
}

/// Below this many agreements (or exceptions) in the state, a customer's are found by
/// scanning them all, which is cheaper than two look-ups; from this many on, by the index.
const SCAN_ALL: usize = 16;

/// Each customer's agreements and approved exceptions, in id order, so that the questions
/// about one customer (an entitlement check, the 360 view) do not scan every customer's.
/// Derived from [`CrmState::agreements`] and [`CrmState::exceptions`]; two indexes are
/// always equal (the data they derive from is compared instead).
#[derive(Debug, Clone, Default)]
pub struct CustomerIndex {
    /// Set when the index was not built with the state (a state deserialized from JSON).
    stale: bool,
    agreements: BTreeMap<CustomerId, Vec<AgreementId>>,
    exceptions: BTreeMap<CustomerId, Vec<ExceptionId>>,
}

impl PartialEq for CustomerIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for CustomerIndex {}

/// Adds `id` to the ascending `ids` unless present.
fn add_sorted<T: Ord + Clone>(ids: &mut Vec<T>, id: &T) {
    if let Err(at) = ids.binary_search(id) {
        ids.insert(at, id.clone());
    }
}

impl CustomerIndex {
    fn stale() -> Self {
        CustomerIndex {
            stale: true,
            ..CustomerIndex::default()
        }
    }
}

/// The agreements or exceptions of one customer, in id order: from the index, or by a scan
/// of all (a small state, or an index not built).
pub struct OfCustomer<'a, 'c, K, V> {
    map: &'a BTreeMap<K, V>,
    ids: Option<std::slice::Iter<'a, K>>,
    all: Option<std::collections::btree_map::Values<'a, K, V>>,
    customer: &'c CustomerId,
}

/// What belongs to one customer.
pub trait CustomerOwned {
    /// The customer it belongs to.
    fn owner(&self) -> &CustomerId;
}

impl CustomerOwned for Agreement {
    fn owner(&self) -> &CustomerId {
        &self.customer
    }
}

impl CustomerOwned for Exception {
    fn owner(&self) -> &CustomerId {
        &self.customer
    }
}

impl<'a, K: Ord, V: CustomerOwned> Iterator for OfCustomer<'a, '_, K, V> {
    type Item = &'a V;
    #[inline]
    fn next(&mut self) -> Option<&'a V> {
        if let Some(ids) = &mut self.ids {
            return ids.by_ref().find_map(|id| self.map.get(id));
        }
        let customer = self.customer.as_str();
        self.all
            .as_mut()?
            .find(|v| crate::entitlement::check::same_text(v.owner().as_str(), customer))
    }
}

#[inline]
fn of_customer<'a, 'c, K: Ord, V>(
    map: &'a BTreeMap<K, V>,
    index: Option<&'a BTreeMap<CustomerId, Vec<K>>>,
    customer: &'c CustomerId,
) -> OfCustomer<'a, 'c, K, V> {
    let ids = indexed_ids(map.len(), index, customer);
    OfCustomer {
        map,
        all: (ids.is_none() && !map.is_empty()).then(|| map.values()),
        ids,
        customer,
    }
}

/// The ids of `customer`'s entries from `index`, or `None` when a scan of all `len` entries
/// is the way (a small state, or an index not built).
#[inline]
fn indexed_ids<'a, K>(
    len: usize,
    index: Option<&'a BTreeMap<CustomerId, Vec<K>>>,
    customer: &CustomerId,
) -> Option<std::slice::Iter<'a, K>> {
    let index = index.filter(|_| len >= SCAN_ALL)?;
    Some(index.get(customer).map(|v| v.iter()).unwrap_or_default())
}

impl CrmState {
    /// The agreements of `customer`, in id order.
    pub fn agreements_of_customer<'c>(
        &self,
        customer: &'c CustomerId,
    ) -> OfCustomer<'_, 'c, AgreementId, Agreement> {
        let index = self.customer_index.agreements_index();
        of_customer(&self.agreements, index, customer)
    }

    /// The exceptions approved for `customer` (revoked ones included), in id order.
    pub fn exceptions_of_customer<'c>(
        &self,
        customer: &'c CustomerId,
    ) -> OfCustomer<'_, 'c, ExceptionId, Exception> {
        let index = self.customer_index.exceptions_index();
        of_customer(&self.exceptions, index, customer)
    }

    /// The ids of `customer`'s agreements from the index, or `None` when a scan of all is
    /// the way (a small state, or an index not built): for the hot paths, which scan inline.
    #[inline]
    pub fn indexed_agreements(
        &self,
        customer: &CustomerId,
    ) -> Option<std::slice::Iter<'_, AgreementId>> {
        indexed_ids(
            self.agreements.len(),
            self.customer_index.agreements_index(),
            customer,
        )
    }

    /// Rebuilds [`CrmState::customer_index`] from the agreements and exceptions (for a state
    /// deserialized from JSON; replay and the engine keep it up to date).
    pub fn reindex(&mut self) {
        let mut index = CustomerIndex::default();
        for a in self.agreements.values() {
            add_sorted(
                index.agreements.entry(a.customer.clone()).or_default(),
                &a.id,
            );
        }
        for x in self.exceptions.values() {
            add_sorted(
                index.exceptions.entry(x.customer.clone()).or_default(),
                &x.id,
            );
        }
        self.customer_index = index;
    }
}

impl CustomerIndex {
    fn agreements_index(&self) -> Option<&BTreeMap<CustomerId, Vec<AgreementId>>> {
        (!self.stale).then_some(&self.agreements)
    }

    fn exceptions_index(&self) -> Option<&BTreeMap<CustomerId, Vec<ExceptionId>>> {
        (!self.stale).then_some(&self.exceptions)
    }
}

/// Rebuilds an ordered map in one bulk load: maps filled key by key in ascending order keep
/// their nodes about half full, a bulk load fills them.
fn compact<K: Ord, V>(map: &mut BTreeMap<K, V>) {
    let m = std::mem::take(map);
    *map = m.into_iter().collect();
}

impl CrmState {
    /// Drops spare room after a replay, when the state is all in: the usage book's spare
    /// capacity, and the half-empty nodes of the maps with an entry per customer,
    /// agreement, line, entitlement, stream or charge. What the state holds is unchanged.
    pub fn shrink_to_fit(&mut self) {
        self.usage.shrink_to_fit();
        compact(&mut self.customers);
        compact(&mut self.agreements);
        compact(&mut self.line_index);
        compact(&mut self.entitlement_index);
        compact(&mut self.stream_versions);
        compact(&mut self.keys);
        compact(&mut self.plan_index);
        compact(&mut self.ledgers);
        compact(&mut self.charge_owners);
        compact(&mut self.ledger_entries);
        compact(&mut self.customer_since);
        compact(&mut self.interactions);
        compact(&mut self.customer_index.agreements);
        compact(&mut self.customer_index.exceptions);
    }
}

fn missing(entity: &str, id: impl std::fmt::Display) -> Error {
    Error::Storage {
        message: format!("event refers to unknown {entity} {id}"),
    }
}

impl CrmState {
    /// The version of a stream (0 for a stream with no events).
    pub fn stream_version(&self, stream: &str) -> u64 {
        self.stream_versions.get(stream).copied().unwrap_or(0)
    }

    /// Applies one event. Events come from the engine, which validated them; an event that does
    /// not fit the state (a corrupted log) is a storage error.
    pub fn apply(&mut self, env: &EventEnvelope) -> Result<()> {
        if env.seq != self.last_seq + 1 {
            return Err(Error::Storage {
                message: format!("event seq {} does not follow {}", env.seq, self.last_seq),
            });
        }
        let expected_version = self.stream_version(&env.stream) + 1;
        if env.stream_version != expected_version {
            return Err(Error::Storage {
                message: format!(
                    "event {} has version {} on {}; expected {expected_version}",
                    env.seq, env.stream_version, env.stream
                ),
            });
        }
        self.apply_event(env)?;
        match self.stream_versions.get_mut(env.stream.as_str()) {
            Some(v) => *v = env.stream_version,
            None => {
                self.stream_versions
                    .insert(env.stream.clone(), env.stream_version);
            }
        }
        // An agreement's version is its stream's: a key lookup, not a scan of every agreement
        // (which made replay quadratic in the number of agreements).
        if let Some(agreement) = env.stream.strip_prefix("agreement/")
            && let Ok(id) = AgreementId::new(agreement)
            && let Some(a) = self.agreements.get_mut(&id)
        {
            a.version = env.stream_version;
        }
        if let (Some(key), Some(hash)) = (&env.idempotency_key, &env.command_hash) {
            match self.keys.get_mut(key) {
                Some(rec) if rec.first_seq + rec.count == env.seq => rec.count += 1,
                Some(_) => {}
                None => {
                    self.keys.insert(
                        key.clone(),
                        KeyRecord {
                            command_hash: hash.clone(),
                            first_seq: env.seq,
                            count: 1,
                        },
                    );
                }
            }
        }
        self.last_seq = env.seq;
        Ok(())
    }

    fn apply_event(&mut self, env: &EventEnvelope) -> Result<()> {
        let event = &env.event;
        match event {
            Event::CustomerRegistered { customer } | Event::CustomerUpdated { customer } => {
                self.customers.insert(customer.id.clone(), customer.clone());
                self.customer_since
                    .entry(customer.id.clone())
                    .or_insert(env.at.date_naive());
            }
            Event::ConsentChanged { customer, grant } => {
                self.customers
                    .get_mut(customer)
                    .ok_or_else(|| missing("customer", customer))?
                    .set_consent(*grant);
            }
            Event::PartnerRegistered { partner } => {
                self.partners.insert(partner.id.clone(), partner.clone());
            }
            Event::OfferingAdded { offering } => {
                self.offerings.insert(offering.id.clone(), offering.clone());
            }
            Event::AgreementCreated { agreement } => {
                for l in &agreement.lines {
                    self.line_index.insert(l.id.clone(), agreement.id.clone());
                }
                for e in &agreement.entitlements {
                    self.entitlement_index
                        .insert(e.id.clone(), agreement.id.clone());
                }
                for p in &agreement.payment_plans {
                    self.plan_index.insert(p.id.clone(), agreement.id.clone());
                }
                self.agreements
                    .insert(agreement.id.clone(), agreement.clone());
                add_sorted(
                    self.customer_index
                        .agreements
                        .entry(agreement.customer.clone())
                        .or_default(),
                    &agreement.id,
                );
            }
            Event::AgreementAmended {
                agreement,
                amendment,
            } => {
                let a = self
                    .agreements
                    .get_mut(agreement)
                    .ok_or_else(|| missing("agreement", agreement))?;
                a.apply_amendment(amendment)?;
                for l in &a.lines {
                    self.line_index.insert(l.id.clone(), a.id.clone());
                }
                self.entitlement_index.retain(|_, ag| ag != agreement);
                for e in &a.entitlements {
                    self.entitlement_index.insert(e.id.clone(), a.id.clone());
                }
                self.plan_index.retain(|_, ag| ag != agreement);
                for p in &a.payment_plans {
                    self.plan_index.insert(p.id.clone(), a.id.clone());
                }
            }
            Event::LineStatusChanged {
                agreement,
                line,
                entry,
                term,
            } => {
                let a = self
                    .agreements
                    .get_mut(agreement)
                    .ok_or_else(|| missing("agreement", agreement))?;
                if let Some(term) = term {
                    a.term = *term;
                }
                a.line_mut(line)?.history.push(entry.clone());
            }
            Event::ExceptionApproved { exception } => {
                self.exceptions
                    .insert(exception.id.clone(), exception.clone());
                add_sorted(
                    self.customer_index
                        .exceptions
                        .entry(exception.customer.clone())
                        .or_default(),
                    &exception.id,
                );
            }
            Event::ExceptionRevoked {
                exception,
                revocation,
            } => {
                self.exceptions
                    .get_mut(exception)
                    .ok_or_else(|| missing("exception", exception))?
                    .revoked = Some(revocation.clone());
            }
            Event::CommitmentMade { commitment } => {
                self.commitments
                    .insert(commitment.id.clone(), commitment.clone());
            }
            Event::CommitmentClosed {
                commitment,
                state,
                at,
                reason,
            } => {
                let c = self
                    .commitments
                    .get_mut(commitment)
                    .ok_or_else(|| missing("commitment", commitment))?;
                if c.state != CommitmentState::Open {
                    return Err(Error::Storage {
                        message: format!("commitment {commitment} closed twice"),
                    });
                }
                c.state = *state;
                c.closed_at = Some(*at);
                c.close_reason.clone_from(reason);
            }
            Event::CalendarRegistered { calendar } => {
                self.calendars
                    .insert(calendar.id().clone(), calendar.as_ref().clone());
            }
            Event::ProcessDefinitionRegistered { .. }
            | Event::ProcessStarted { .. }
            | Event::ProcessAdvanced { .. } => self.apply_process_event(event)?,
            Event::UsageRecorded { .. } | Event::UsageReversed { .. } => {
                super::entitlements::apply(self, event)?;
            }
            Event::ChargesGenerated { .. }
            | Event::RatedUsageRecorded { .. }
            | Event::PaymentRecorded { .. }
            | Event::PaymentReversed { .. }
            | Event::CreditGranted { .. }
            | Event::ChargeAdjusted { .. }
            | Event::ChargeWrittenOff { .. }
            | Event::CreditBalanceApplied { .. }
            | Event::CollectionPolicyRegistered { .. }
            | Event::CollectionActionTaken { .. } => super::obligations::apply(self, env)?,
            Event::PoliciesRegistered { .. }
            | Event::CustomerFactsSet { .. }
            | Event::TierChanged { .. }
            | Event::CompensationGranted { .. } => super::policies::apply(self, env)?,
            Event::InteractionRecorded { .. } | Event::InteractionUpdated { .. } => {
                super::interactions::apply(self, env)?;
            }
            Event::CustomerForgotten { customer } => {
                super::privacy::apply_forget(self, customer, env.at)?;
            }
        }
        Ok(())
    }
}
