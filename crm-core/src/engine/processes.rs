//! The engine's side of processes: definitions the host registers (the built-ins are always
//! there), instances started and advanced by commands, and the queries over them.

use super::Crm;
use super::command::Metadata;
use super::event::Event;
use super::state::CrmState;
use crate::Instant;
use crate::calendar::BusinessCalendar;
use crate::error::{Error, Result};
use crate::ids::{AgreementId, CalendarId, CustomerId, DefinitionId, InstanceId, InteractionId};
use crate::process::{
    AdvanceInput, DataValue, DefinitionSpec, InstanceData, InstanceStatus, Performer,
    ProcessCatalog, ProcessDefinition, ProcessInstance, ProcessReport, SlaSource, SlaTarget,
    SlaTargets, analyze,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A process definition held by the engine. Two are equal when their definitions (as data)
/// are equal; it serializes as its [`crate::process::DefinitionSpec`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "DefinitionSpec", into = "DefinitionSpec")]
pub struct StoredDefinition(pub Arc<ProcessDefinition>);

impl TryFrom<DefinitionSpec> for StoredDefinition {
    type Error = Error;
    fn try_from(spec: DefinitionSpec) -> Result<Self> {
        Ok(StoredDefinition(Arc::new(ProcessDefinition::try_from(
            spec,
        )?)))
    }
}

impl From<StoredDefinition> for DefinitionSpec {
    fn from(d: StoredDefinition) -> Self {
        d.0.to_spec()
    }
}

impl From<ProcessDefinition> for StoredDefinition {
    fn from(d: ProcessDefinition) -> Self {
        StoredDefinition(Arc::new(d))
    }
}

impl PartialEq for StoredDefinition {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_spec() == other.0.to_spec()
    }
}

impl Eq for StoredDefinition {}

/// The built-in process definitions (line lifecycles, field visit, complaint, collections,
/// lead to order). Constant data, the same in every engine, so it is not part of the
/// serialized state and never differs between two states.
#[derive(Debug, Clone)]
pub struct BuiltinProcesses(Arc<ProcessCatalog>);

impl Default for BuiltinProcesses {
    fn default() -> Self {
        // The built-ins are validated by the process module's tests; should building them ever
        // fail, the engine runs with host-registered definitions only.
        BuiltinProcesses(Arc::new(ProcessCatalog::builtin().unwrap_or_default()))
    }
}

impl PartialEq for BuiltinProcesses {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for BuiltinProcesses {}

impl CrmState {
    /// The definition with that id: a host-registered one, else a built-in.
    pub fn process_definition(&self, id: &DefinitionId) -> Result<&ProcessDefinition> {
        lookup_definition(&self.process_definitions, &self.builtin_processes, id)
    }

    /// The definition that serves an interaction kind: a host-registered one first, else a
    /// built-in.
    pub fn classify(&self, kind: &str) -> Result<&ProcessDefinition> {
        if let Some(d) = self
            .process_definitions
            .values()
            .find(|d| d.0.interaction_kinds().iter().any(|k| k == kind))
        {
            return Ok(&d.0);
        }
        self.builtin_processes.0.classify(kind).map(|d| d.as_ref())
    }

    fn calendar_of(&self, id: &CalendarId) -> Result<&BusinessCalendar> {
        self.calendars
            .get(id)
            .ok_or_else(|| Error::not_found("calendar", id))
    }

    fn instance_of(&self, id: &InstanceId) -> Result<&ProcessInstance> {
        self.process_instances
            .get(id)
            .ok_or_else(|| Error::not_found("process instance", id))
    }

    pub(super) fn apply_process_event(&mut self, event: &Event) -> Result<()> {
        match event {
            Event::ProcessDefinitionRegistered { definition } => {
                self.process_definitions
                    .insert(definition.0.id().clone(), definition.clone());
            }
            Event::ProcessStarted { start } => {
                let def = self.process_definition(&start.definition)?;
                let inst = ProcessInstance::start(def, start.new_instance())?;
                self.process_instances.insert(start.instance.clone(), inst);
                if let Some(interaction) = &start.interaction {
                    self.process_links
                        .insert(interaction.clone(), start.instance.clone());
                }
            }
            Event::ProcessAdvanced { instance, input } => {
                let inst = self
                    .process_instances
                    .get_mut(instance)
                    .ok_or_else(|| Error::not_found("process instance", instance))?;
                let def = lookup_definition(
                    &self.process_definitions,
                    &self.builtin_processes,
                    inst.definition(),
                )?;
                let cal = self
                    .calendars
                    .get(inst.calendar())
                    .ok_or_else(|| Error::not_found("calendar", inst.calendar()))?;
                // `apply` leaves the instance unchanged when it fails.
                inst.apply(def, cal, input)?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn lookup_definition<'a>(
    registered: &'a std::collections::BTreeMap<DefinitionId, StoredDefinition>,
    builtins: &'a BuiltinProcesses,
    id: &DefinitionId,
) -> Result<&'a ProcessDefinition> {
    if let Some(d) = registered.get(id) {
        return Ok(&d.0);
    }
    builtins.0.get(id).map(|d| d.as_ref())
}

/// A process start as recorded: everything [`ProcessInstance::start`] needs, with the SLA
/// targets resolved by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessStart {
    /// The instance's id.
    pub instance: InstanceId,
    /// The definition it runs.
    pub definition: DefinitionId,
    /// The customer served.
    pub customer: CustomerId,
    /// The agreement concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// The calendar its deadlines are measured on.
    pub calendar: CalendarId,
    /// When it starts.
    pub at: Instant,
    /// The initial data.
    #[serde(default)]
    pub data: InstanceData,
    /// The SLA targets, with their sources.
    pub sla: SlaTargets,
    /// The interaction (contact) that started it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<InteractionId>,
}

impl ProcessStart {
    fn new_instance(&self) -> crate::process::NewInstance {
        crate::process::NewInstance {
            id: self.instance.clone(),
            customer: self.customer.clone(),
            agreement: self.agreement.clone(),
            calendar: self.calendar.clone(),
            at: self.at,
            data: self.data.clone(),
            sla: self.sla.clone(),
        }
    }
}

/// The input of the `start_process` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartProcess {
    /// The new instance's id.
    pub instance: InstanceId,
    /// The definition to run; when absent, the one serving `interaction_kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<DefinitionId>,
    /// The interaction kind to classify (e.g. `complaint`), when no definition is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_kind: Option<String>,
    /// The customer served.
    pub customer: CustomerId,
    /// The agreement concerned, if any (it must be the customer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// The business calendar its deadlines are measured on.
    pub calendar: CalendarId,
    /// The initial data guards read.
    #[serde(default)]
    pub data: InstanceData,
    /// SLA targets set by the host; when absent, the engine uses the customer's service-level
    /// entitlement for the interaction kind, else the definition's targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaTargets>,
    /// The interaction (contact) that starts it, linked to the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<InteractionId>,
}

pub(super) fn decide_register(
    state: &CrmState,
    definition: &StoredDefinition,
) -> Result<(String, Vec<Event>)> {
    let def = &definition.0;
    let open = state
        .process_instances
        .values()
        .filter(|i| i.definition() == def.id() && !i.is_ended())
        .count();
    if open > 0 {
        return Err(Error::validation(
            "definition",
            def.id(),
            format!(
                "{open} open instances run on this definition; finish them or register the new one under another id"
            ),
        ));
    }
    for kind in def.interaction_kinds() {
        if let Some(other) = state
            .process_definitions
            .values()
            .find(|d| d.0.id() != def.id() && d.0.interaction_kinds().iter().any(|k| k == kind))
        {
            return Err(Error::already_exists(
                "process definition for interaction kind",
                format!("{kind} (served by {})", other.0.id()),
            ));
        }
    }
    Ok((
        format!("process_definition/{}", def.id()),
        vec![Event::ProcessDefinitionRegistered {
            definition: definition.clone(),
        }],
    ))
}

pub(super) fn decide_start(
    state: &CrmState,
    meta: &Metadata,
    start: &StartProcess,
) -> Result<(String, Vec<Event>)> {
    if state.process_instances.contains_key(&start.instance) {
        return Err(Error::already_exists("process instance", &start.instance));
    }
    if !state.customers.contains_key(&start.customer) {
        return Err(Error::not_found("customer", &start.customer));
    }
    if let Some(a) = &start.agreement {
        let ag = state
            .agreements
            .get(a)
            .ok_or_else(|| Error::not_found("agreement", a))?;
        if ag.customer != start.customer {
            return Err(Error::validation(
                "agreement",
                a,
                format!("belongs to another customer than {}", start.customer),
            ));
        }
    }
    state.calendar_of(&start.calendar)?;
    let def = match (&start.definition, &start.interaction_kind) {
        (Some(id), _) => state.process_definition(id)?,
        (None, Some(kind)) => state.classify(kind)?,
        (None, None) => {
            return Err(Error::validation(
                "start_process",
                &start.instance,
                "name a definition or an interaction kind",
            ));
        }
    };
    let (sla, calendar) = match &start.sla {
        Some(sla) => (sla.clone(), start.calendar.clone()),
        None => service_level_targets(state, meta, start, def)?,
    };
    let recorded = ProcessStart {
        instance: start.instance.clone(),
        definition: def.id().clone(),
        customer: start.customer.clone(),
        agreement: start.agreement.clone(),
        calendar,
        at: meta.at,
        data: start.data.clone(),
        sla,
        interaction: start.interaction.clone(),
    };
    // Starting validates the SLA targets against the definition.
    ProcessInstance::start(def, recorded.new_instance())?;
    Ok((
        format!("process/{}", start.instance),
        vec![Event::ProcessStarted { start: recorded }],
    ))
}

/// The SLA targets of a new instance when the host sets none: the resolution target of the
/// customer's service-level entitlement for the interaction kind (the requested kind, then the
/// definition's kinds), at the priority in the instance data (`priority`, default `normal`),
/// measured on the entitlement's calendar; otherwise the definition's own targets on the
/// command's calendar.
fn service_level_targets(
    state: &CrmState,
    meta: &Metadata,
    start: &StartProcess,
    def: &ProcessDefinition,
) -> Result<(SlaTargets, CalendarId)> {
    let priority = match start.data.get("priority") {
        Some(DataValue::Text(p)) => p.as_str(),
        _ => "normal",
    };
    let kinds = start
        .interaction_kind
        .iter()
        .chain(def.interaction_kinds().iter());
    for kind in kinds {
        let Ok(level) = state.service_level(&start.customer, kind, priority, meta.at) else {
            continue;
        };
        if start
            .agreement
            .as_ref()
            .is_some_and(|a| *a != level.source.agreement)
        {
            continue;
        }
        state.calendar_of(&level.calendar)?;
        let source = match &level.tier {
            // the tier's policy made the target shorter than the entitlement's
            Some(tier) if level.shortened_by_tier.iter().any(|t| t == "resolution") => {
                SlaSource::Tier { tier: tier.clone() }
            }
            _ => SlaSource::Entitlement {
                agreement: level.source.agreement.clone(),
                entitlement: level.source.entitlement.clone(),
            },
        };
        let sla = SlaTargets::from_definition(def)
            .with_resolution(SlaTarget::new(level.resolution, source));
        return Ok((sla, level.calendar));
    }
    // No service-level entitlement: the definition's targets, shortened by the tier's policy.
    let mut sla = SlaTargets::from_definition(def);
    let kind = start
        .interaction_kind
        .as_deref()
        .or_else(|| def.interaction_kinds().first().map(String::as_str));
    if let Some(kind) = kind
        && let Some(t) = state.tier_targets(
            &start.customer,
            kind,
            &crate::policy::SlaTargets {
                response: None,
                resolution: def.sla(),
            },
        )?
        && let Some(r) = t.resolution
        && def.sla().is_none_or(|d| r < d)
    {
        sla = sla.with_resolution(SlaTarget::new(r, SlaSource::Tier { tier: t.tier }));
    }
    Ok((sla, start.calendar.clone()))
}

pub(super) fn decide_advance(
    state: &CrmState,
    meta: &Metadata,
    instance: &InstanceId,
    outcome: &str,
    performer: &Performer,
    data: &InstanceData,
) -> Result<(String, Vec<Event>)> {
    let inst = state.instance_of(instance)?;
    let def = state.process_definition(inst.definition())?;
    let cal = state.calendar_of(inst.calendar())?;
    let input = AdvanceInput {
        outcome: outcome.to_string(),
        at: meta.at,
        performer: performer.clone(),
        data: data.clone(),
    };
    inst.clone().apply(def, cal, &input)?;
    Ok((
        format!("process/{instance}"),
        vec![Event::ProcessAdvanced {
            instance: instance.clone(),
            input,
        }],
    ))
}

impl Crm {
    /// The process definition with that id (host-registered, else built-in).
    pub fn process_definition(&self, id: &DefinitionId) -> Result<&ProcessDefinition> {
        self.state.process_definition(id)
    }

    /// The definition that serves an interaction kind.
    pub fn classify_interaction(&self, kind: &str) -> Result<&ProcessDefinition> {
        self.state.classify(kind)
    }

    /// The process instance with that id.
    pub fn process_instance(&self, id: &InstanceId) -> Result<&ProcessInstance> {
        self.state.instance_of(id)
    }

    /// Where an instance stands at `at`: its step, and the step's and the whole instance's
    /// clocks against their targets.
    pub fn process_status(&self, id: &InstanceId, at: Instant) -> Result<InstanceStatus> {
        let inst = self.state.instance_of(id)?;
        let def = self.state.process_definition(inst.definition())?;
        let cal = self.state.calendar_of(inst.calendar())?;
        inst.status(def, cal, at)
    }

    /// The process instance an interaction started, if any.
    pub fn process_of_interaction(&self, interaction: &InteractionId) -> Option<&ProcessInstance> {
        self.state
            .process_links
            .get(interaction)
            .and_then(|i| self.state.process_instances.get(i))
    }

    /// The instances serving a customer, in id order.
    pub fn processes_of(&self, customer: &CustomerId) -> Result<Vec<&ProcessInstance>> {
        self.customer(customer)?;
        Ok(self
            .state
            .process_instances
            .values()
            .filter(|i| i.customer() == customer)
            .collect())
    }

    /// Time per step, breaches, bottlenecks and workload over every instance of a definition.
    pub fn process_report(&self, definition: &DefinitionId) -> Result<ProcessReport> {
        let def = self.state.process_definition(definition)?;
        analyze(
            def,
            self.state
                .process_instances
                .values()
                .filter(|i| i.definition() == definition),
        )
    }
}
