//! `ProcessRunner`: one process instance run in memory, without the engine's log.
//!
//! The definition is decoded once and the calendar is a [`BusinessClock`]'s; an advance
//! converts its outcome, instant, performer and data and calls crm-core's
//! `ProcessInstance::advance`, which checks the move, measures the business time spent in the
//! step and records the move. Nothing is appended to an event log: a host that needs the
//! record of a process executes `StartProcess` / `AdvanceProcess` on a `Crm`; a host that only
//! steps a definition uses this.

use crate::calendar::BusinessClock;
use crate::records::{InstanceStatus, ProcessInstance};
use crate::{BusinessDuration, CrmError, core, from_instant, from_json, guard, to_instant};
use crm_core::calendar::BusinessCalendar;
use crm_core::ids::{AgreementId, CustomerId, InstanceId};
use crm_core::process::{InstanceData, MoveView, NewInstance, SlaTargets};

/// The core's definition (this module's `ProcessDefinition` is the binding's record of it).
type CoreDefinition = crm_core::process::ProcessDefinition;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

fn data_arg(data: Option<&str>) -> Result<InstanceData, CrmError> {
    data.map(from_json)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Who performs a process step (the core's `Performer`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Performer {
    /// A named internal queue, e.g. `first_line`.
    Queue {
        /// The queue's name.
        name: String,
    },
    /// An outside partner, by role, e.g. `field_technician`.
    Partner {
        /// The partner's role or name.
        name: String,
    },
    /// The customer.
    Customer,
    /// An automated handler, by name, e.g. `provisioning`.
    Handler {
        /// The handler's name.
        name: String,
    },
}

impl Performer {
    fn to_core(&self) -> crm_core::process::Performer {
        use crm_core::process::Performer as P;
        match self {
            Performer::Queue { name } => P::Queue { name: name.clone() },
            Performer::Partner { name } => P::Partner { name: name.clone() },
            Performer::Customer => P::Customer,
            Performer::Handler { name } => P::Handler { name: name.clone() },
        }
    }

    fn from_core(p: &crm_core::process::Performer) -> Self {
        use crm_core::process::Performer as P;
        match p {
            P::Queue { name } => Performer::Queue { name: name.clone() },
            P::Partner { name } => Performer::Partner { name: name.clone() },
            P::Customer => Performer::Customer,
            P::Handler { name } => Performer::Handler { name: name.clone() },
        }
    }
}

/// One recorded move of a process instance, by step id (the core's `MoveView`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessMove {
    /// The step left.
    pub from: String,
    /// The step entered.
    pub to: String,
    /// The outcome taken.
    pub outcome: String,
    /// Who performed the step left.
    pub performer: Performer,
    /// Who performs the step entered (differs from `performer` on a handover).
    pub to_performer: Performer,
    /// True when the move was a warm transfer (the contact stayed open).
    pub warm_transfer: bool,
    /// When the move happened.
    pub at: SystemTime,
    /// When the step left was entered.
    pub entered_at: SystemTime,
    /// Business time spent in the step left.
    pub business_time: BusinessDuration,
    /// True when the step's time did not count toward the instance's SLA.
    pub clock_paused: bool,
}

impl ProcessMove {
    fn from_core(m: &MoveView<'_>) -> Self {
        ProcessMove {
            from: m.from.to_string(),
            to: m.to.to_string(),
            outcome: m.outcome.to_string(),
            performer: Performer::from_core(m.performer),
            to_performer: Performer::from_core(m.to_performer),
            warm_transfer: m.warm_transfer,
            at: from_instant(m.at),
            entered_at: from_instant(m.entered_at),
            business_time: m.business_time.into(),
            clock_paused: m.clock_paused,
        }
    }
}

struct Run {
    definition: CoreDefinition,
    calendar: BusinessCalendar,
    instance: crm_core::process::ProcessInstance,
}

impl Run {
    fn step_id(&self) -> Result<String, CrmError> {
        self.instance
            .current_step_in(&self.definition)
            .map(|s| s.id.clone())
            .ok_or_else(|| CrmError::Internal {
                reason: "the current step is not in the definition".into(),
            })
    }

    fn history(&self) -> Result<Vec<ProcessMove>, CrmError> {
        Ok(core(self.instance.history(&self.definition))?
            .iter()
            .map(ProcessMove::from_core)
            .collect())
    }
}

/// One instance of a process definition, run in memory: `advance(outcome, at, performer,
/// data)` takes an outcome from the current step, as a `Crm`'s `AdvanceProcess` would, and
/// returns the move recorded. A refused advance throws its typed `CrmException`
/// (`InvalidTransition` for an outcome that does not leave the step or a false guard,
/// `Validation` for an earlier instant or the wrong performer, `NotFound` for a key the guard
/// reads and the data lacks) and leaves the instance unchanged. Safe to share between
/// threads (one advance at a time); Kotlin callers close it (`use {}`).
#[derive(uniffi::Object)]
pub struct ProcessRunner {
    run: Mutex<Run>,
}

impl ProcessRunner {
    fn with<T>(&self, f: impl FnOnce(&mut Run) -> Result<T, CrmError>) -> Result<T, CrmError> {
        guard(|| {
            let mut run = self.run.lock().map_err(|_| CrmError::poisoned())?;
            f(&mut run)
        })
    }
}

#[uniffi::export]
impl ProcessRunner {
    /// Starts instance `instance` of `definition` (a process definition as JSON) for
    /// `customer` at `at`, its deadlines measured on `calendar`'s business calendar. `data` is
    /// the initial data guards read (JSON, empty when null); `sla` the SLA targets as JSON
    /// (the definition's own targets when null). Bad JSON is a `Json` error, a definition the
    /// core refuses `InvalidDefinition` (every problem listed), a bad id `Validation`.
    #[uniffi::constructor(default(agreement = None, data = None, sla = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        definition: String,
        calendar: Arc<BusinessClock>,
        instance: String,
        customer: String,
        at: SystemTime,
        agreement: Option<String>,
        data: Option<String>,
        sla: Option<String>,
    ) -> Result<Arc<Self>, CrmError> {
        guard(|| {
            let definition = crate::engine::definition(&definition)?;
            let at = to_instant("at", at)?;
            let data = data_arg(data.as_deref())?;
            let sla = match sla {
                Some(s) => from_json(&s)?,
                None => SlaTargets::from_definition(&definition),
            };
            let calendar = calendar.inner.clone();
            let new = NewInstance {
                id: core(InstanceId::new(instance))?,
                customer: core(CustomerId::new(customer))?,
                agreement: core(agreement.map(AgreementId::new).transpose())?,
                calendar: calendar.id().clone(),
                at,
                data,
                sla,
            };
            let instance = core(crm_core::process::ProcessInstance::start(&definition, new))?;
            Ok(Arc::new(ProcessRunner {
                run: Mutex::new(Run {
                    definition,
                    calendar,
                    instance,
                }),
            }))
        })
    }

    /// Takes `outcome` from the current step at `at`, performed by `performer`, after setting
    /// `data` (JSON, none when null); records the move and returns it.
    #[uniffi::method(default(data = None))]
    pub fn advance(
        &self,
        outcome: String,
        at: SystemTime,
        performer: Performer,
        data: Option<String>,
    ) -> Result<ProcessMove, CrmError> {
        self.with(|run| {
            let at = to_instant("at", at)?;
            let data = data_arg(data.as_deref())?;
            let performer = performer.to_core();
            let Run {
                definition,
                calendar,
                instance,
            } = run;
            core(instance.advance(definition, &*calendar, &outcome, at, &performer, &data))?;
            run.history()?.pop().ok_or_else(|| CrmError::Internal {
                reason: "an advance recorded no move".into(),
            })
        })
    }

    /// The id of the current step (the end step once ended).
    pub fn step(&self) -> Result<String, CrmError> {
        self.with(|run| run.step_id())
    }

    /// True once the instance reached an end step.
    pub fn ended(&self) -> Result<bool, CrmError> {
        self.with(|run| Ok(run.instance.is_ended()))
    }

    /// The number of moves made.
    pub fn move_count(&self) -> Result<i64, CrmError> {
        self.with(|run| Ok(i64::try_from(run.instance.moves().len()).unwrap_or(i64::MAX)))
    }

    /// The outcomes that leave the current step (none once ended).
    pub fn available_outcomes(&self) -> Result<Vec<String>, CrmError> {
        self.with(|run| {
            Ok(run
                .instance
                .available_outcomes(&run.definition)
                .into_iter()
                .map(str::to_string)
                .collect())
        })
    }

    /// The instance as it stands (its moves in the record's `json`).
    pub fn instance(&self) -> Result<ProcessInstance, CrmError> {
        self.with(|run| ProcessInstance::from_parts(&run.definition, &run.instance))
    }

    /// The instance's status at `at`: its step and resolution clocks on the runner's calendar.
    pub fn status(&self, at: SystemTime) -> Result<InstanceStatus, CrmError> {
        self.with(|run| {
            let at = to_instant("at", at)?;
            InstanceStatus::from_core(&core(run.instance.status(
                &run.definition,
                &run.calendar,
                at,
            ))?)
        })
    }

    /// The moves made, oldest first.
    pub fn history(&self) -> Result<Vec<ProcessMove>, CrmError> {
        self.with(|run| run.history())
    }
}

/// What kind of step a process step is (the core's `StepKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StepKind {
    /// The one step an instance starts in.
    Start,
    /// Work someone does.
    Task,
    /// Waiting for something outside (the customer, a partner).
    Wait,
    /// An end step: the instance is over once it gets there.
    End,
}

impl From<crm_core::process::StepKind> for StepKind {
    fn from(k: crm_core::process::StepKind) -> Self {
        use crm_core::process::StepKind as K;
        match k {
            K::Start => StepKind::Start,
            K::Task => StepKind::Task,
            K::Wait => StepKind::Wait,
            K::End => StepKind::End,
        }
    }
}

/// One step of a process definition (the core's `Step`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessStep {
    /// The step's id, unique in its definition.
    pub id: String,
    /// Its readable name.
    pub name: String,
    /// What is done in it.
    pub action: String,
    /// Who performs it.
    pub performer: Performer,
    /// Start, task, wait or end.
    pub kind: StepKind,
    /// Its SLA target, if it has one.
    pub sla: Option<BusinessDuration>,
}

/// One edge of a process definition (the core's `EdgeSpec`): taking `outcome` in `from`
/// leads to `to`, when the guard (its JSON) holds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessEdge {
    /// The step left.
    pub from: String,
    /// The outcome taken.
    pub outcome: String,
    /// The step entered.
    pub to: String,
    /// The guard as JSON (`{"key": ..., "op": ..., "value": ...}`), if any.
    pub guard: Option<String>,
    /// True when the move is a warm transfer (the contact stays open).
    pub warm_transfer: bool,
}

/// A process definition (the core's `ProcessDefinition`, as its spec): steps and edges typed,
/// `json` its JSON contract form, which `ProcessRunner`, `processDefinitionToMermaid` and the
/// like take.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessDefinition {
    /// The definition's id.
    pub id: String,
    /// Its readable name.
    pub name: String,
    /// Its version.
    pub version: i64,
    /// The interaction kinds it serves.
    pub interaction_kinds: Vec<String>,
    /// The whole instance's resolution target, if any.
    pub sla: Option<BusinessDuration>,
    /// The steps, in the definition's order.
    pub steps: Vec<ProcessStep>,
    /// The edges, in the definition's order.
    pub edges: Vec<ProcessEdge>,
    /// The whole definition as JSON.
    pub json: String,
}

impl ProcessDefinition {
    pub(crate) fn from_core(d: &crm_core::process::ProcessDefinition) -> Result<Self, CrmError> {
        let spec = d.to_spec();
        Ok(ProcessDefinition {
            id: spec.id.to_string(),
            name: spec.name.clone(),
            version: i64::from(spec.version),
            interaction_kinds: spec.interaction_kinds.clone(),
            sla: spec.sla.map(BusinessDuration::from),
            steps: spec
                .steps
                .iter()
                .map(|s| ProcessStep {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    action: s.action.clone(),
                    performer: Performer::from_core(&s.performer),
                    kind: s.kind.into(),
                    sla: s.sla.map(BusinessDuration::from),
                })
                .collect(),
            edges: spec
                .edges
                .iter()
                .map(|e| {
                    Ok(ProcessEdge {
                        from: e.from.clone(),
                        outcome: e.outcome.clone(),
                        to: e.to.clone(),
                        guard: e.guard.as_ref().map(to_json).transpose()?,
                        warm_transfer: e.warm_transfer,
                    })
                })
                .collect::<Result<_, CrmError>>()?,
            json: to_json(d)?,
        })
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, CrmError> {
    core(serde_json::to_string(v).map_err(crm_core::Error::from))
}
