//! `Crm`: the engine handle for Kotlin, Java and Swift.
//!
//! Commands go in as the JSON contract (`docs/json-contract.md`), either whole envelopes
//! (`executeJson`) or a typed [`Meta`] plus the command's JSON (`execute`); events come back as
//! typed [`Event`] envelopes whose `event` is the event's JSON. The most used queries return
//! typed records (`crate::records`: customer, agreement, statement, aging, reconciliation,
//! process instance and status, 360 view, audit findings, collection actions, interactions;
//! the entitlement decision here), each converted field by field from the core's result; the
//! rest return the JSON contract form. The core's serde does every decoding, and every rule
//! and message stays in crm-core.

use crate::calendar::BusinessClock;
use crate::records::{
    AccountabilityReport, AgingReport, Agreement, ApprovedException, BusinessCalendar,
    CollectionAction, Commitment, CompensationDecision, CompensationGrant, Customer, Customer360,
    EntitlementStatus, Finding, InstanceStatus, Interaction, PaymentPlan, ProcessInstance,
    ProcessReport, Reconciliation, ServiceLevelTargets, ServiceMeasures, Statement, TierChange,
    TierDecision, TieringBatch, UsageRecord,
};
use crate::runner::ProcessDefinition;
use crate::{CrmError, ExactDecimal, IsoDate, core, from_instant, from_json, guard, to_instant};
use crm_core::engine::{CommandEnvelope, EventEnvelope, InMemoryStore, Metadata};
use crm_core::entitlement::{CustomerStanding, EntitlementRequest};
use crm_core::ids::{
    ActorId, AgreementId, CalendarId, CustomerId, DefinitionId, EntitlementId, InstanceId,
    InteractionId, PlanId, UsageId,
};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

fn to_json<T: Serialize + ?Sized>(v: &T) -> crm_core::Result<String> {
    Ok(serde_json::to_string(v)?)
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn count(field: &str, v: i32) -> Result<usize, CrmError> {
    usize::try_from(v).map_err(|_| {
        CrmError::from(crm_core::Error::validation(
            field,
            v,
            "must not be negative",
        ))
    })
}

fn unsigned(field: &str, v: i64) -> Result<u64, CrmError> {
    u64::try_from(v).map_err(|_| {
        CrmError::from(crm_core::Error::validation(
            field,
            v,
            "must not be negative",
        ))
    })
}

/// Who sends a command, when, and under which guarantees (the core's `Metadata`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Meta {
    /// When the command takes effect (the engine reads no clock).
    pub at: SystemTime,
    /// Who sends it.
    pub actor: String,
    /// A key that makes the command idempotent.
    #[uniffi(default = None)]
    pub idempotency_key: Option<String>,
    /// The version the command's target stream must have.
    #[uniffi(default = None)]
    pub expected_version: Option<i64>,
}

impl Meta {
    pub(crate) fn to_core(&self) -> Result<Metadata, CrmError> {
        let mut meta = Metadata::new(
            to_instant("at", self.at)?,
            core(ActorId::new(self.actor.as_str()))?,
        );
        meta.idempotency_key = self.idempotency_key.clone();
        meta.expected_version = self
            .expected_version
            .map(|v| unsigned("expected_version", v))
            .transpose()?;
        Ok(meta)
    }
}

/// An event with its place in the log (the core's `EventEnvelope`); `event` is the event's
/// JSON (`{"type": "customer_registered", ...}`), `type` its tag.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Event {
    /// Position in the whole log, from 1, without gaps.
    pub seq: i64,
    /// The stream (aggregate), e.g. `agreement/A1`.
    pub stream: String,
    /// The stream's version after this event.
    pub stream_version: i64,
    /// The instant of the command that produced it.
    pub at: SystemTime,
    /// Who sent that command.
    pub actor: String,
    /// The command's idempotency key, if it had one.
    pub idempotency_key: Option<String>,
    /// A fingerprint of the command's content (with a key only).
    pub command_hash: Option<String>,
    /// The event's tag (`customer_registered` ...).
    pub r#type: String,
    /// The event as JSON, tag included.
    pub event: String,
}

impl Event {
    fn from_core(e: &EventEnvelope) -> crm_core::Result<Self> {
        Ok(Event {
            seq: signed(e.seq),
            stream: e.stream.clone(),
            stream_version: signed(e.stream_version),
            at: from_instant(e.at),
            actor: e.actor.to_string(),
            idempotency_key: e.idempotency_key.clone(),
            command_hash: e.command_hash.clone(),
            r#type: e.event.tag().to_string(),
            event: to_json(&e.event)?,
        })
    }

    fn to_core(&self) -> Result<EventEnvelope, CrmError> {
        Ok(EventEnvelope {
            seq: unsigned("seq", self.seq)?,
            stream: self.stream.clone(),
            stream_version: unsigned("stream_version", self.stream_version)?,
            at: to_instant("at", self.at)?,
            actor: core(ActorId::new(self.actor.as_str()))?,
            idempotency_key: self.idempotency_key.clone(),
            command_hash: self.command_hash.clone(),
            event: from_json(&self.event)?,
        })
    }
}

fn events_out(events: &[EventEnvelope]) -> crm_core::Result<Vec<Event>> {
    events.iter().map(Event::from_core).collect()
}

// -- the entitlement decision, typed --------------------------------------------------------

/// The outcome of an entitlement check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum DecisionOutcome {
    /// Granted by the agreement.
    Granted,
    /// Granted because an approved exception widened the agreement.
    GrantedByException,
    /// Denied; the reasons say why.
    Denied,
}

/// The entitlement a decision is about, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MatchedEntitlement {
    /// The entitlement's id.
    pub entitlement: String,
    /// Its agreement.
    pub agreement: String,
    /// Its line.
    pub line: String,
}

/// What remains of an entitlement in its window (the window itself is in the decision's JSON).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Remaining {
    /// The limit in the window.
    pub limit: ExactDecimal,
    /// Used so far.
    pub used: ExactDecimal,
    /// What is left.
    pub remaining: ExactDecimal,
    /// The unit (`uses`, a currency code, a unit name).
    pub unit: String,
}

/// One reason of a decision: its case tag (`usage_counted`, `limit_reached` ...), the message
/// a service screen shows, and what it cites as JSON (`{"type": ..., "entitlement": ...}`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reason {
    /// The case tag.
    pub r#type: String,
    /// The readable message.
    pub message: String,
    /// The whole reason as JSON, with the ids, counts and instants it cites.
    pub json: String,
}

impl MatchedEntitlement {
    pub(crate) fn from_core(m: &crm_core::entitlement::MatchedEntitlement) -> Self {
        MatchedEntitlement {
            entitlement: m.entitlement.to_string(),
            agreement: m.agreement.to_string(),
            line: m.line.to_string(),
        }
    }
}

impl Remaining {
    pub(crate) fn from_core(r: &crm_core::entitlement::Remaining) -> Self {
        Remaining {
            limit: r.limit,
            used: r.used,
            remaining: r.remaining,
            unit: r.unit.clone(),
        }
    }
}

impl Reason {
    /// The reasons of a decision or an entitlement status, in order.
    pub(crate) fn list(reasons: &[crm_core::entitlement::Reason]) -> crm_core::Result<Vec<Self>> {
        reasons
            .iter()
            .map(|r| {
                let value = serde_json::to_value(r)?;
                let tag = value
                    .get("type")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                Ok(Reason {
                    r#type: tag,
                    message: r.message.clone(),
                    json: value.to_string(),
                })
            })
            .collect()
    }
}

/// The answer to an entitlement check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntitlementDecision {
    /// Granted, granted by exception, or denied.
    pub outcome: DecisionOutcome,
    /// The entitlement code asked for.
    pub code: String,
    /// The instant of the check.
    pub at: SystemTime,
    /// The quantity asked for.
    pub quantity: ExactDecimal,
    /// The entitlement that decided, if one matched.
    pub matched: Option<MatchedEntitlement>,
    /// What remains in the window, for a counted entitlement.
    pub remaining: Option<Remaining>,
    /// When a unit frees up next, if the window is used up.
    pub next_available: Option<SystemTime>,
    /// Why, in order.
    pub reasons: Vec<Reason>,
    /// The whole decision as JSON (the JSON contract form).
    pub json: String,
}

impl EntitlementDecision {
    fn from_core(d: &crm_core::entitlement::EntitlementDecision) -> crm_core::Result<Self> {
        use crm_core::entitlement::DecisionOutcome as O;
        let outcome = match d.outcome {
            O::Granted => DecisionOutcome::Granted,
            O::GrantedByException => DecisionOutcome::GrantedByException,
            O::Denied => DecisionOutcome::Denied,
        };
        Ok(EntitlementDecision {
            outcome,
            code: d.code.clone(),
            at: from_instant(d.at),
            quantity: d.quantity,
            matched: d.matched.as_ref().map(MatchedEntitlement::from_core),
            remaining: d.remaining.as_ref().map(Remaining::from_core),
            next_available: d.next_available.map(from_instant),
            reasons: Reason::list(&d.reasons)?,
            json: to_json(d)?,
        })
    }
}

// -- the engine ------------------------------------------------------------------------------

/// The engine: commands in, events out, state as a fold over events. Safe to share between
/// threads; Kotlin callers close it (`use {}`), Swift releases it automatically.
#[derive(Debug, uniffi::Object)]
pub struct Crm {
    inner: Mutex<crm_core::Crm>,
}

impl Crm {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut crm_core::Crm) -> crm_core::Result<T>,
    ) -> Result<T, CrmError> {
        guard(|| {
            let mut crm = self.inner.lock().map_err(|_| CrmError::poisoned())?;
            core(f(&mut crm))
        })
    }

    /// Executes a decoded envelope and returns its events.
    pub(crate) fn execute_envelope(
        &self,
        envelope: &CommandEnvelope,
    ) -> Result<Vec<Event>, CrmError> {
        self.with(|crm| events_out(&crm.execute(envelope)?))
    }

    /// Like `with`, for a query whose result is converted to a typed record (the conversion
    /// can fail with a binding error, not only a core one).
    fn typed<T>(
        &self,
        f: impl FnOnce(&crm_core::Crm) -> Result<T, CrmError>,
    ) -> Result<T, CrmError> {
        guard(|| {
            let crm = self.inner.lock().map_err(|_| CrmError::poisoned())?;
            f(&crm)
        })
    }
}

#[uniffi::export]
impl Crm {
    /// An empty engine with an in-memory event store.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Crm {
            inner: Mutex::new(crm_core::Crm::new()),
        })
    }

    /// An engine over the SQLite event log at `path` (created when missing; opening an existing
    /// log replays it). Every command is one transaction: what returned is on disk.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            let store = core(crm_core::engine::SqliteStore::open(&path))?;
            Ok(Arc::new(Crm {
                inner: Mutex::new(core(crm_core::Crm::open(Box::new(store)))?),
            }))
        })
    }

    /// An engine rebuilt by replaying `events`, oldest first.
    #[uniffi::constructor]
    pub fn replay(events: Vec<Event>) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            let list = events
                .iter()
                .map(Event::to_core)
                .collect::<Result<Vec<_>, _>>()?;
            let store = core(InMemoryStore::from_events(list))?;
            Ok(Arc::new(Crm {
                inner: Mutex::new(core(crm_core::Crm::open(Box::new(store)))?),
            }))
        })
    }

    /// An engine rebuilt from the JSON array of events that `eventsJson` returned.
    #[uniffi::constructor]
    pub fn replay_json(events: String) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            let list: Vec<EventEnvelope> = from_json(&events)?;
            let store = core(InMemoryStore::from_events(list))?;
            Ok(Arc::new(Crm {
                inner: Mutex::new(core(crm_core::Crm::open(Box::new(store)))?),
            }))
        })
    }

    /// Executes a command envelope given as JSON and returns its events as a JSON array.
    pub fn execute_json(&self, envelope: String) -> Result<String, CrmError> {
        self.with(|crm| crm.execute_json(&envelope))
    }

    /// Executes `command` (the command's JSON, `{"type": "register_customer", ...}`) under
    /// `meta` and returns its events. A failed command throws and changes nothing.
    pub fn execute(&self, meta: Meta, command: String) -> Result<Vec<Event>, CrmError> {
        let envelope = CommandEnvelope {
            meta: meta.to_core()?,
            command: from_json(&command)?,
        };
        self.execute_envelope(&envelope)
    }

    /// Every event, oldest first.
    pub fn events(&self) -> Result<Vec<Event>, CrmError> {
        self.with(|crm| events_out(&crm.events()?))
    }

    /// Every event as the JSON contract's array.
    pub fn events_json(&self) -> Result<String, CrmError> {
        self.with(|crm| to_json(&crm.events()?))
    }

    /// The whole state as JSON: equal, byte for byte, for two engines with the same events.
    pub fn state_json(&self) -> Result<String, CrmError> {
        self.with(|crm| to_json(crm.state()))
    }

    /// The customer with that id.
    pub fn customer(&self, id: String) -> Result<Customer, CrmError> {
        self.typed(|crm| Customer::from_core(core(crm.customer(&CustomerId::new(id)?))?))
    }

    /// The agreement with that id as it is now, with its lines.
    pub fn agreement(&self, id: String) -> Result<Agreement, CrmError> {
        self.typed(|crm| Agreement::from_core(core(crm.agreement(&AgreementId::new(id)?))?))
    }

    /// The agreement as it stood at `at`.
    pub fn agreement_as_of(&self, id: String, at: SystemTime) -> Result<Agreement, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            Agreement::from_core(&core(crm.agreement_as_of(&AgreementId::new(id)?, at))?)
        })
    }

    /// The agreements of a customer in id order.
    pub fn agreements_of(&self, customer: String) -> Result<Vec<Agreement>, CrmError> {
        self.typed(|crm| {
            core(crm.agreements_of(&CustomerId::new(customer)?))?
                .into_iter()
                .map(Agreement::from_core)
                .collect()
        })
    }

    /// The exceptions of `customer` covering `scope` (its JSON, `{"type": "commitment", ...}`)
    /// of `agreement` (if given) at `at`.
    pub fn exceptions_covering(
        &self,
        customer: String,
        scope: String,
        at: SystemTime,
        agreement: Option<String>,
    ) -> Result<Vec<ApprovedException>, CrmError> {
        let scope: crm_core::agreement::ExceptionScope = from_json(&scope)?;
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            let agreement = core(agreement.map(AgreementId::new).transpose())?;
            core(crm.exceptions_covering(
                &core(CustomerId::new(customer))?,
                agreement.as_ref(),
                &scope,
                at,
            ))?
            .into_iter()
            .map(ApprovedException::from_core)
            .collect()
        })
    }

    /// The commitments made to a customer in id order.
    pub fn commitments_of(&self, customer: String) -> Result<Vec<Commitment>, CrmError> {
        self.typed(|crm| {
            core(crm.commitments_of(&CustomerId::new(customer)?))?
                .into_iter()
                .map(Commitment::from_core)
                .collect()
        })
    }

    /// Every open commitment past its due time at `at`.
    pub fn overdue_commitments(&self, at: SystemTime) -> Result<Vec<Commitment>, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            crm.overdue_commitments(at)
                .into_iter()
                .map(Commitment::from_core)
                .collect()
        })
    }

    /// Whether `request` (an entitlement request as JSON) would be granted at `at`.
    pub fn check_entitlement(
        &self,
        request: String,
        at: SystemTime,
    ) -> Result<EntitlementDecision, CrmError> {
        let request: EntitlementRequest = from_json(&request)?;
        let at = to_instant("at", at)?;
        self.with(|crm| EntitlementDecision::from_core(&crm.check_entitlement(&request, at)?))
    }

    /// Checks many requests at one instant under one lock; the decisions come back in order.
    /// A request the core refuses throws for the whole batch.
    pub fn check_entitlements(
        &self,
        requests: Vec<String>,
        at: SystemTime,
    ) -> Result<Vec<EntitlementDecision>, CrmError> {
        let requests = requests
            .iter()
            .map(|r| from_json::<EntitlementRequest>(r))
            .collect::<Result<Vec<_>, _>>()?;
        let at = to_instant("at", at)?;
        self.with(|crm| {
            requests
                .iter()
                .map(|r| EntitlementDecision::from_core(&crm.check_entitlement(r, at)?))
                .collect()
        })
    }

    /// Whether `request` (an entitlement request as JSON, as `checkEntitlement` takes it)
    /// would be granted at `at`: the decision's `isGranted`, decided by the core's same code
    /// without building the reasons (for hot paths asking yes or no).
    pub fn is_entitled(&self, request: String, at: SystemTime) -> Result<bool, CrmError> {
        let request: EntitlementRequest = from_json(&request)?;
        let at = to_instant("at", at)?;
        self.with(|crm| crm.is_entitled(&request, at))
    }

    /// `isEntitled` for many requests at one instant under one lock, the answers in order.
    /// A request that does not decode or that the core refuses throws for the whole batch.
    pub fn are_entitled(
        &self,
        requests: Vec<String>,
        at: SystemTime,
    ) -> Result<Vec<bool>, CrmError> {
        let requests = requests
            .iter()
            .map(|r| from_json::<EntitlementRequest>(r))
            .collect::<Result<Vec<_>, _>>()?;
        let at = to_instant("at", at)?;
        self.with(|crm| requests.iter().map(|r| crm.is_entitled(r, at)).collect())
    }

    /// The response and resolution targets for a request kind and priority.
    pub fn service_level(
        &self,
        customer: String,
        code: String,
        priority: String,
        at: SystemTime,
    ) -> Result<ServiceLevelTargets, CrmError> {
        let at = to_instant("at", at)?;
        self.with(|crm| {
            Ok(ServiceLevelTargets::from(&crm.service_level(
                &CustomerId::new(customer)?,
                &code,
                &priority,
                at,
            )?))
        })
    }

    /// Every entitlement of a customer as it stands at `at`; `standing` is the customer's
    /// standing as JSON, if known (else the engine's own).
    pub fn entitlements_of(
        &self,
        customer: String,
        at: SystemTime,
        standing: Option<String>,
    ) -> Result<Vec<EntitlementStatus>, CrmError> {
        let standing: Option<CustomerStanding> = standing.as_deref().map(from_json).transpose()?;
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            core(crm.entitlements_of(&CustomerId::new(customer)?, standing.as_ref(), at))?
                .iter()
                .map(EntitlementStatus::from_core)
                .collect()
        })
    }

    /// The usage record with that id.
    pub fn usage(&self, id: String) -> Result<UsageRecord, CrmError> {
        self.typed(|crm| UsageRecord::from_core(&core(crm.usage(&UsageId::new(id)?))?))
    }

    /// Every use of an entitlement, oldest first.
    pub fn usage_of(&self, entitlement: String) -> Result<Vec<UsageRecord>, CrmError> {
        self.typed(|crm| {
            core(crm.usage_of(&EntitlementId::new(entitlement)?))?
                .iter()
                .map(UsageRecord::from_core)
                .collect()
        })
    }

    /// A `BusinessClock` over the business calendar with that id (a copy: later changes to
    /// the engine's calendar do not reach it); an unknown id is `NotFound`.
    pub fn business_clock(&self, id: String) -> Result<Arc<BusinessClock>, CrmError> {
        self.with(|crm| {
            Ok(BusinessClock::of(
                crm.calendar(&CalendarId::new(id)?)?.clone(),
            ))
        })
    }

    /// The business calendar with that id (its JSON in `json`, which `BusinessClock` takes).
    pub fn calendar(&self, id: String) -> Result<BusinessCalendar, CrmError> {
        self.typed(|crm| BusinessCalendar::from_core(core(crm.calendar(&CalendarId::new(id)?))?))
    }

    /// The process definition with that id (its JSON in `json`).
    pub fn process_definition(&self, id: String) -> Result<ProcessDefinition, CrmError> {
        self.typed(|crm| {
            ProcessDefinition::from_core(core(crm.process_definition(&DefinitionId::new(id)?))?)
        })
    }

    /// The process definition serving an interaction kind (its JSON in `json`).
    pub fn classify_interaction(&self, kind: String) -> Result<ProcessDefinition, CrmError> {
        self.typed(|crm| ProcessDefinition::from_core(core(crm.classify_interaction(&kind))?))
    }

    /// The process instance with that id.
    pub fn process_instance(&self, id: String) -> Result<ProcessInstance, CrmError> {
        self.typed(|crm| {
            ProcessInstance::from_core(crm, core(crm.process_instance(&InstanceId::new(id)?))?)
        })
    }

    /// Where an instance stands at `at`: its step and SLA clocks.
    pub fn process_status(&self, id: String, at: SystemTime) -> Result<InstanceStatus, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            InstanceStatus::from_core(&core(crm.process_status(&InstanceId::new(id)?, at))?)
        })
    }

    /// The process instance an interaction started, or null.
    pub fn process_of_interaction(
        &self,
        interaction: String,
    ) -> Result<Option<ProcessInstance>, CrmError> {
        self.typed(|crm| {
            crm.process_of_interaction(&InteractionId::new(interaction)?)
                .map(|p| ProcessInstance::from_core(crm, p))
                .transpose()
        })
    }

    /// The process instances serving a customer.
    pub fn processes_of(&self, customer: String) -> Result<Vec<ProcessInstance>, CrmError> {
        self.typed(|crm| {
            core(crm.processes_of(&CustomerId::new(customer)?))?
                .into_iter()
                .map(|p| ProcessInstance::from_core(crm, p))
                .collect()
        })
    }

    /// What the customer owes (negative: in credit).
    pub fn balance(&self, customer: String) -> Result<crate::Money, CrmError> {
        self.with(|crm| {
            Ok(crate::Money::from(
                crm.balance(&CustomerId::new(customer)?)?,
            ))
        })
    }

    /// The statement of a customer's ledger for a scope (JSON; the customer when null).
    pub fn statement(
        &self,
        customer: String,
        scope: Option<String>,
    ) -> Result<Statement, CrmError> {
        let scope: crm_core::obligation::Scope = scope
            .as_deref()
            .map_or_else(|| Ok(Default::default()), from_json)?;
        self.typed(|crm| {
            Statement::from_core(&core(crm.statement(&CustomerId::new(customer)?, &scope))?)
        })
    }

    /// Open amounts by age on `asOf`, and the overdue amount after `graceDays`.
    pub fn aging(
        &self,
        customer: String,
        as_of: IsoDate,
        grace_days: i32,
        scope: Option<String>,
    ) -> Result<AgingReport, CrmError> {
        let scope: crm_core::obligation::Scope = scope
            .as_deref()
            .map_or_else(|| Ok(Default::default()), from_json)?;
        let grace = u32::try_from(grace_days).map_err(|_| {
            CrmError::from(crm_core::Error::validation(
                "grace_days",
                grace_days,
                "must not be negative",
            ))
        })?;
        self.with(|crm| {
            Ok(AgingReport::from(&crm.aging(
                &CustomerId::new(customer)?,
                as_of,
                grace,
                &scope,
            )?))
        })
    }

    /// Whether everything due from `from` to `to` arrived by `asOf`.
    pub fn reconcile(
        &self,
        customer: String,
        from: IsoDate,
        to: IsoDate,
        as_of: IsoDate,
        scope: Option<String>,
    ) -> Result<Reconciliation, CrmError> {
        let scope: crm_core::obligation::Scope = scope
            .as_deref()
            .map_or_else(|| Ok(Default::default()), from_json)?;
        self.with(|crm| {
            Ok(Reconciliation::from(&crm.reconcile(
                &CustomerId::new(customer)?,
                from,
                to,
                as_of,
                &scope,
            )?))
        })
    }

    /// The payment plans of a customer's agreements.
    pub fn payment_plans_of(&self, customer: String) -> Result<Vec<PaymentPlan>, CrmError> {
        self.typed(|crm| {
            core(crm.payment_plans_of(&CustomerId::new(customer)?))?
                .into_iter()
                .map(PaymentPlan::from_core)
                .collect()
        })
    }

    /// The collection actions due at `at` under a registered policy.
    pub fn collection_actions(
        &self,
        customer: String,
        policy: String,
        at: SystemTime,
    ) -> Result<Vec<CollectionAction>, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            core(crm.collection_actions(&CustomerId::new(customer)?, &policy, at))?
                .iter()
                .map(CollectionAction::from_core)
                .collect()
        })
    }

    /// The collection actions of many customers, one list each, in order.
    pub fn collection_actions_batch(
        &self,
        customers: Vec<String>,
        policy: String,
        at: SystemTime,
    ) -> Result<Vec<Vec<CollectionAction>>, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            let ids = customers
                .into_iter()
                .map(CustomerId::new)
                .collect::<crm_core::Result<Vec<_>>>()?;
            core(crm.collection_actions_batch(&ids, &policy, at))?
                .iter()
                .map(|list| list.iter().map(CollectionAction::from_core).collect())
                .collect()
        })
    }

    /// The customer 360 view at `at` with the last `lastN` interactions.
    pub fn customer_360(
        &self,
        customer: String,
        at: SystemTime,
        last_n: i32,
    ) -> Result<Customer360, CrmError> {
        let at = to_instant("at", at)?;
        let last_n = count("last_n", last_n)?;
        self.typed(|crm| {
            Customer360::from_core(&core(crm.customer_360(
                &CustomerId::new(customer)?,
                at,
                last_n,
            ))?)
        })
    }

    /// The 360 views of many customers at `at`, in order.
    pub fn customer_360_batch(
        &self,
        customers: Vec<String>,
        at: SystemTime,
        last_n: i32,
    ) -> Result<Vec<Customer360>, CrmError> {
        let at = to_instant("at", at)?;
        let last_n = count("last_n", last_n)?;
        self.typed(|crm| {
            customers
                .into_iter()
                .map(|c| {
                    Customer360::from_core(&core(crm.customer_360(
                        &CustomerId::new(c)?,
                        at,
                        last_n,
                    ))?)
                })
                .collect()
        })
    }

    /// The contradictions in a customer's record at `at`, critical first.
    pub fn audit(&self, customer: String, at: SystemTime) -> Result<Vec<Finding>, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            core(crm.audit(&CustomerId::new(customer)?, at))?
                .iter()
                .map(Finding::from_core)
                .collect()
        })
    }

    /// The interaction with that id.
    pub fn interaction(&self, id: String) -> Result<Interaction, CrmError> {
        self.typed(|crm| Interaction::from_core(core(crm.interaction(&InteractionId::new(id)?))?))
    }

    /// The last `lastN` interactions of a customer, newest first.
    pub fn interactions_of(
        &self,
        customer: String,
        last_n: i32,
    ) -> Result<Vec<Interaction>, CrmError> {
        let last_n = count("last_n", last_n)?;
        self.typed(|crm| {
            core(crm.interactions_of(&CustomerId::new(customer)?, last_n))?
                .into_iter()
                .map(Interaction::from_core)
                .collect()
        })
    }

    /// Service measures over `[start, end)`, filtered by `filter` (JSON, optional).
    pub fn service_measures(
        &self,
        start: SystemTime,
        end: SystemTime,
        filter: Option<String>,
    ) -> Result<ServiceMeasures, CrmError> {
        let period = core(crm_core::TimeRange::new(
            to_instant("start", start)?,
            to_instant("end", end)?,
        ))?;
        let filter: crm_core::measures::MeasureFilter = filter
            .as_deref()
            .map_or_else(|| Ok(Default::default()), from_json)?;
        self.typed(|crm| ServiceMeasures::from_core(&core(crm.service_measures(&period, &filter))?))
    }

    /// Broken and overdue commitments by responsible party at `at`.
    pub fn accountability(&self, at: SystemTime) -> Result<AccountabilityReport, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| AccountabilityReport::from_core(&core(crm.accountability(at))?))
    }

    /// The customer's last tier change (tier, rule, reasons), or null when never tiered.
    pub fn tier_of(&self, customer: String) -> Result<Option<TierChange>, CrmError> {
        self.with(|crm| {
            Ok(crm
                .tier_of(&CustomerId::new(customer)?)?
                .map(TierChange::from))
        })
    }

    /// The compensation granted to a customer, oldest first.
    pub fn compensations_of(&self, customer: String) -> Result<Vec<CompensationGrant>, CrmError> {
        self.typed(|crm| {
            core(crm.compensations_of(&CustomerId::new(customer)?))?
                .iter()
                .map(CompensationGrant::from_core)
                .collect()
        })
    }

    /// The measures tiering reads for a customer at `at` (revenue, margin, tenure, days
    /// overdue, bounced payments, open complaints, potential), as JSON.
    pub fn customer_measures(&self, customer: String, at: SystemTime) -> Result<String, CrmError> {
        let at = to_instant("at", at)?;
        self.with(|crm| to_json(&crm.customer_measures(&CustomerId::new(customer)?, at)?))
    }

    /// The tier the registered tiering policy gives a customer at `at`, and why (records
    /// nothing: `AssignTiers` records).
    pub fn assign_tier(&self, customer: String, at: SystemTime) -> Result<TierDecision, CrmError> {
        let at = to_instant("at", at)?;
        self.typed(|crm| {
            TierDecision::from_core(&core(crm.assign_tier(&CustomerId::new(customer)?, at))?)
        })
    }

    /// The tiers of many customers (every customer when `customers` is empty); records nothing.
    pub fn assign_tiers(
        &self,
        customers: Vec<String>,
        at: SystemTime,
    ) -> Result<TieringBatch, CrmError> {
        let at = to_instant("at", at)?;
        let ids = customers
            .into_iter()
            .map(|c| core(CustomerId::new(c)))
            .collect::<Result<Vec<_>, _>>()?;
        self.typed(|crm| TieringBatch::from_core(&core(crm.assign_tiers(&ids, at))?))
    }

    /// What the registered compensation policy grants for a complaint (JSON) of a customer at
    /// `at`; records nothing (`GrantCompensation` records).
    pub fn decide_compensation(
        &self,
        customer: String,
        complaint: String,
        at: SystemTime,
    ) -> Result<CompensationDecision, CrmError> {
        let at = to_instant("at", at)?;
        let complaint: crm_core::policy::Complaint = from_json(&complaint)?;
        self.typed(|crm| {
            CompensationDecision::from_core(&core(crm.decide_compensation(
                &CustomerId::new(customer)?,
                &complaint,
                at,
            ))?)
        })
    }

    /// The customer's standing at `at` (days overdue from the ledger, tier), as JSON: what an
    /// entitlement check uses when its request carries none.
    pub fn standing(&self, customer: String, at: SystemTime) -> Result<String, CrmError> {
        let at = to_instant("at", at)?;
        self.with(|crm| to_json(&crm.standing(&CustomerId::new(customer)?, at)?))
    }

    /// The payment plan with that id.
    pub fn payment_plan(&self, id: String) -> Result<PaymentPlan, CrmError> {
        self.typed(|crm| PaymentPlan::from_core(core(crm.payment_plan(&PlanId::new(id)?))?))
    }

    /// Every customer's reconciliation of `from..=to` as of `as_of`, as JSON: a list of
    /// `[customer, reconciliation]` pairs in customer id order.
    pub fn reconcile_all(
        &self,
        from: IsoDate,
        to: IsoDate,
        as_of: IsoDate,
    ) -> Result<String, CrmError> {
        self.with(|crm| to_json(&crm.reconcile_all(from, to, as_of)?))
    }

    /// The registered collection policy with that name, as JSON.
    pub fn collection_policy(&self, name: String) -> Result<String, CrmError> {
        self.with(|crm| to_json(crm.collection_policy(&name)?))
    }

    /// The customer's restricted lines whose debt past due is settled at `at` (ready to lift),
    /// as JSON.
    pub fn settled_restrictions(
        &self,
        customer: String,
        at: SystemTime,
    ) -> Result<String, CrmError> {
        let at = to_instant("at", at)?;
        self.with(|crm| to_json(&crm.settled_restrictions(&CustomerId::new(customer)?, at)?))
    }

    /// A copy of the customer's ledger (null when the customer has none yet); changing the copy
    /// changes nothing in the engine.
    pub fn ledger(
        &self,
        customer: String,
    ) -> Result<Option<Arc<crate::obligation::Ledger>>, CrmError> {
        self.with(|crm| {
            Ok(crm
                .ledger(&CustomerId::new(customer)?)?
                .cloned()
                .map(crate::obligation::Ledger::holding))
        })
    }

    /// The version of an event stream (`"ledger/C-1"`, `"agreement/A-1"` ...), 0 when it has
    /// none: what a command's `expectedVersion` names for an optimistic write.
    pub fn stream_version(&self, stream: String) -> Result<i64, CrmError> {
        self.with(|crm| Ok(i64::try_from(crm.state().stream_version(&stream)).unwrap_or(i64::MAX)))
    }

    /// Time per step, breaches, bottlenecks and workload of a definition.
    pub fn process_report(&self, definition: String) -> Result<ProcessReport, CrmError> {
        self.typed(|crm| {
            ProcessReport::from_core(&core(crm.process_report(&DefinitionId::new(definition)?))?)
        })
    }
}

/// Decodes a definition's JSON and builds it, so a malformed graph is `InvalidDefinition` with
/// every problem (not a JSON error).
/// A process definition from its JSON, built: a definition the core refuses is one
/// `InvalidDefinition` listing every problem (not a `Json` error).
pub(crate) fn definition(json: &str) -> Result<crm_core::process::ProcessDefinition, CrmError> {
    let spec: crm_core::process::DefinitionSpec = from_json(json)?;
    core(spec.build())
}

/// Builds and validates a process definition from its JSON (steps and edges); returns the
/// core's own JSON of it. Every problem is reported at once (`InvalidDefinition`).
#[uniffi::export]
pub fn process_definition_build(definition: String) -> Result<String, CrmError> {
    guard(|| core(to_json(&self::definition(&definition)?)))
}

/// A process definition (its JSON) drawn as a Mermaid flowchart.
#[uniffi::export]
pub fn process_definition_to_mermaid(definition: String) -> Result<String, CrmError> {
    guard(|| Ok(self::definition(&definition)?.to_mermaid()))
}

/// A process definition (its JSON) drawn as a Graphviz DOT digraph.
#[uniffi::export]
pub fn process_definition_to_dot(definition: String) -> Result<String, CrmError> {
    guard(|| Ok(self::definition(&definition)?.to_dot()))
}
