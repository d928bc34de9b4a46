//! Process instances: one run of a definition for one customer, moved step by step.
//!
//! An instance is plain data. [`ProcessInstance::start`] and [`ProcessInstance::advance`] are
//! deterministic functions of the definition, the calendar and their inputs, so the engine
//! can rebuild an instance by replaying the recorded start and advance inputs. An advance
//! that fails returns a typed error and leaves the instance unchanged.

use super::definition::{OutcomeIndex, Performer, ProcessDefinition, Step, StepIndex, StepKind};
use super::guard::{DataValue, InstanceData};
use super::sla::{BusinessClock, ResolvedSla, SlaStatus, SlaTargets};
use crate::Instant;
use crate::calendar::{BusinessDuration, TimeRange};
use crate::error::{Error, Result};
use crate::ids::{AgreementId, CalendarId, CustomerId, DefinitionId, InstanceId};
use serde::{Deserialize, Serialize};

/// The input that starts an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInstance {
    /// The new instance's id.
    pub id: InstanceId,
    /// The customer served.
    pub customer: CustomerId,
    /// The agreement concerned, when there is one.
    #[serde(default)]
    pub agreement: Option<AgreementId>,
    /// The business calendar its deadlines are measured on (pass the same calendar to every
    /// later call).
    pub calendar: CalendarId,
    /// When the instance starts.
    pub at: Instant,
    /// The initial data guards read.
    #[serde(default)]
    pub data: InstanceData,
    /// The SLA targets that apply, with their sources.
    #[serde(default)]
    pub sla: SlaTargets,
}

/// The input of one advance, as an owned record (what the engine stores in an event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceInput {
    /// The outcome taken from the current step.
    pub outcome: String,
    /// When the step finished.
    pub at: Instant,
    /// Who finished it: must be the current step's performer.
    pub performer: Performer,
    /// Data set or replaced before the guard is evaluated.
    #[serde(default)]
    pub data: InstanceData,
}

/// One recorded move. Steps and the outcome are indices into the definition (positions in
/// its `steps` and `edges` lists), so recording a move copies no strings; see
/// [`ProcessInstance::history`] for a readable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// The step left.
    pub from: StepIndex,
    /// The step entered.
    pub to: StepIndex,
    /// The edge taken (its outcome).
    pub edge: OutcomeIndex,
    /// When the move happened.
    pub at: Instant,
    /// Business time spent in the step left.
    pub business_time: BusinessDuration,
    /// True when the step left was a wait step: its time did not count toward the
    /// instance's SLA.
    pub clock_paused: bool,
}

/// A readable view of a recorded move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveView<'a> {
    /// The step left.
    pub from: &'a str,
    /// The step entered.
    pub to: &'a str,
    /// The outcome taken.
    pub outcome: &'a str,
    /// Who performed the step left.
    pub performer: &'a Performer,
    /// Who performs the step entered (differs from `performer` on a handover).
    pub to_performer: &'a Performer,
    /// True when the move was a warm transfer (the contact stayed open).
    pub warm_transfer: bool,
    /// When the move happened.
    pub at: Instant,
    /// When the step left was entered.
    pub entered_at: Instant,
    /// Business time spent in the step left.
    pub business_time: BusinessDuration,
    /// True when the step's time did not count toward the instance's SLA.
    pub clock_paused: bool,
}

/// The status of an instance at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStatus {
    /// The instance.
    pub instance: InstanceId,
    /// The current step's id (the end step once ended).
    pub step: String,
    /// True once the instance reached an end step.
    pub ended: bool,
    /// The current step's clock, when the step has a target and the instance is running.
    pub step_sla: Option<SlaStatus>,
    /// The whole instance's clock, when it has a resolution target.
    pub resolution: Option<SlaStatus>,
}

/// One run of a process definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessInstance {
    id: InstanceId,
    definition: DefinitionId,
    version: u32,
    customer: CustomerId,
    agreement: Option<AgreementId>,
    calendar: CalendarId,
    started_at: Instant,
    current: StepIndex,
    entered_at: Instant,
    ended_at: Option<Instant>,
    active_time: BusinessDuration,
    data: InstanceData,
    sla: ResolvedSla,
    moves: Vec<Move>,
}

const ENTITY: &str = "process instance";

impl ProcessInstance {
    /// Starts an instance of `def` in its start step.
    ///
    /// Errors: a step override in `new.sla` names an unknown step (not found), or the at-risk
    /// share is outside 1..=100 (validation).
    pub fn start(def: &ProcessDefinition, new: NewInstance) -> Result<ProcessInstance> {
        let sla = new.sla.resolve(def)?;
        Ok(ProcessInstance {
            id: new.id,
            definition: def.id().clone(),
            version: def.version(),
            customer: new.customer,
            agreement: new.agreement,
            calendar: new.calendar,
            started_at: new.at,
            current: def.start_index(),
            entered_at: new.at,
            ended_at: None,
            active_time: BusinessDuration::ZERO,
            data: new.data,
            sla,
            moves: Vec::new(),
        })
    }

    /// Takes `outcome` from the current step at `at`, performed by `performer`, after
    /// setting `data`; records the move and returns it.
    ///
    /// Errors (the instance is unchanged): `def` is not this instance's definition and version
    /// (validation); the instance has ended, the outcome does not leave the current step, or
    /// its guard is false (invalid transition); `at` is before the last move (validation);
    /// `performer` is not the current step's performer (validation); the guard reads a key the
    /// data lacks (not found) or of another type (validation).
    pub fn advance<C: BusinessClock + ?Sized>(
        &mut self,
        def: &ProcessDefinition,
        calendar: &C,
        outcome: &str,
        at: Instant,
        performer: &Performer,
        data: &InstanceData,
    ) -> Result<Move> {
        self.check_definition(def)?;
        self.check_calendar(calendar)?;
        let step = self.current_step(def)?;
        if self.ended_at.is_some() {
            return Err(Error::invalid_transition(
                ENTITY,
                &self.id,
                format!("ended (step {})", step.id),
                format!("take outcome {outcome:?}"),
            ));
        }
        if at < self.entered_at {
            return Err(Error::validation(
                "at",
                at.to_rfc3339(),
                format!(
                    "before the last move of {ENTITY} {} at {}",
                    self.id,
                    self.entered_at.to_rfc3339()
                ),
            ));
        }
        if *performer != step.performer {
            return Err(Error::validation(
                "performer",
                performer,
                format!("step {:?} is performed by {}", step.id, step.performer),
            ));
        }
        let Some((edge, to, out)) = def.find_edge(self.current, outcome) else {
            let known: Vec<&str> = def
                .edges_from(self.current)
                .map(|e| e.outcome.name.as_str())
                .collect();
            return Err(Error::invalid_transition(
                ENTITY,
                &self.id,
                format!("step {}", step.id),
                format!(
                    "take unknown outcome {outcome:?} (known: {})",
                    known.join(", ")
                ),
            ));
        };
        if let Some(guard) = &out.guard {
            let value = data
                .get(&guard.key)
                .or_else(|| self.data.get(&guard.key))
                .ok_or_else(|| {
                    Error::not_found(
                        format!("instance data (guard {guard} on outcome {outcome:?})"),
                        &guard.key,
                    )
                })?;
            if !guard.holds(value)? {
                return Err(Error::invalid_transition(
                    ENTITY,
                    &self.id,
                    format!("step {}", step.id),
                    format!("take outcome {outcome:?}: guard {guard} is false (data: {value})"),
                ));
            }
        }
        let to_kind = def
            .step(to)
            .map(|s| s.kind)
            .ok_or_else(|| self.mismatch(def))?;
        let business_time = calendar.between(self.entered_at, at, &[])?;
        let clock_paused = step.kind == StepKind::Wait;
        let active_time = if clock_paused {
            self.active_time
        } else {
            self.active_time.checked_add(business_time)?
        };

        // Everything fallible is done: commit.
        let mv = Move {
            from: self.current,
            to,
            edge,
            at,
            business_time,
            clock_paused,
        };
        for (k, v) in data {
            self.data.insert(k.clone(), v.clone());
        }
        self.moves.push(mv);
        self.active_time = active_time;
        self.current = to;
        self.entered_at = at;
        if to_kind == StepKind::End {
            self.ended_at = Some(at);
        }
        Ok(mv)
    }

    /// [`ProcessInstance::advance`] with an owned input record.
    pub fn apply<C: BusinessClock + ?Sized>(
        &mut self,
        def: &ProcessDefinition,
        calendar: &C,
        input: &AdvanceInput,
    ) -> Result<Move> {
        self.advance(
            def,
            calendar,
            &input.outcome,
            input.at,
            &input.performer,
            &input.data,
        )
    }

    /// Rebuilds an instance from its recorded inputs: [`ProcessInstance::start`] then
    /// [`ProcessInstance::apply`] for each input, in order. The same inputs give the same
    /// instance, byte for byte when serialized.
    pub fn replay<'a, C, I>(
        def: &ProcessDefinition,
        calendar: &C,
        new: NewInstance,
        inputs: I,
    ) -> Result<ProcessInstance>
    where
        C: BusinessClock + ?Sized,
        I: IntoIterator<Item = &'a AdvanceInput>,
    {
        let mut inst = ProcessInstance::start(def, new)?;
        for input in inputs {
            inst.apply(def, calendar, input)?;
        }
        Ok(inst)
    }

    /// The status at `at`: the current step's clock and the whole instance's clock against
    /// their targets. `at` before the last move is a validation error.
    pub fn status<C: BusinessClock + ?Sized>(
        &self,
        def: &ProcessDefinition,
        calendar: &C,
        at: Instant,
    ) -> Result<InstanceStatus> {
        self.check_definition(def)?;
        self.check_calendar(calendar)?;
        let step = self.current_step(def)?;
        if at < self.entered_at {
            return Err(Error::validation(
                "at",
                at.to_rfc3339(),
                format!(
                    "before the last move of {ENTITY} {} at {}",
                    self.id,
                    self.entered_at.to_rfc3339()
                ),
            ));
        }
        let ended = self.ended_at.is_some();
        let pct = self.sla.at_risk_percent;
        let waiting = step.kind == StepKind::Wait;

        let step_sla = match (ended, self.sla.steps.get(self.current as usize)) {
            (false, Some(Some(target))) => {
                let used = calendar.between(self.entered_at, at, &[])?;
                let deadline = calendar.add(self.entered_at, target.target, &[])?;
                Some(SlaStatus::new(target, used, deadline, pct, false, false))
            }
            _ => None,
        };

        let resolution = match &self.sla.resolution {
            None => None,
            Some(target) => {
                let until = self.ended_at.unwrap_or(at);
                let mut paused = self.paused_ranges()?;
                let mut used = self.active_time;
                if !ended {
                    if waiting {
                        paused.push(TimeRange::new(self.entered_at, at)?);
                    } else {
                        used =
                            used.checked_add(calendar.between(self.entered_at, until, &[])?)?;
                    }
                }
                let deadline = calendar.add(self.started_at, target.target, &paused)?;
                Some(SlaStatus::new(
                    target,
                    used,
                    deadline,
                    pct,
                    ended,
                    waiting && !ended,
                ))
            }
        };

        Ok(InstanceStatus {
            instance: self.id.clone(),
            step: step.id.clone(),
            ended,
            step_sla,
            resolution,
        })
    }

    /// The outcomes that leave the current step (none once ended), in definition order.
    pub fn available_outcomes<'d>(&self, def: &'d ProcessDefinition) -> Vec<&'d str> {
        def.edges_from(self.current)
            .map(|e| e.outcome.name.as_str())
            .collect()
    }

    /// The recorded moves in a readable form.
    pub fn history<'d>(&self, def: &'d ProcessDefinition) -> Result<Vec<MoveView<'d>>> {
        self.check_definition(def)?;
        let mut entered_at = self.started_at;
        let mut out = Vec::with_capacity(self.moves.len());
        for m in &self.moves {
            let (Some(from), Some(to), Some(edge)) =
                (def.step(m.from), def.step(m.to), def.edge(m.edge))
            else {
                return Err(self.mismatch(def));
            };
            out.push(MoveView {
                from: &from.id,
                to: &to.id,
                outcome: &edge.outcome.name,
                performer: &from.performer,
                to_performer: &to.performer,
                warm_transfer: edge.outcome.warm_transfer,
                at: m.at,
                entered_at,
                business_time: m.business_time,
                clock_paused: m.clock_paused,
            });
            entered_at = m.at;
        }
        Ok(out)
    }

    /// The ranges spent in wait steps (completed moves only).
    fn paused_ranges(&self) -> Result<Vec<TimeRange>> {
        let mut entered_at = self.started_at;
        let mut out = Vec::new();
        for m in &self.moves {
            if m.clock_paused {
                out.push(TimeRange::new(entered_at, m.at)?);
            }
            entered_at = m.at;
        }
        Ok(out)
    }

    fn check_definition(&self, def: &ProcessDefinition) -> Result<()> {
        if def.id() != &self.definition || def.version() != self.version {
            return Err(Error::validation(
                "process definition",
                format!("{} v{}", def.id(), def.version()),
                format!(
                    "{ENTITY} {} runs on {} v{}",
                    self.id, self.definition, self.version
                ),
            ));
        }
        Ok(())
    }

    fn check_calendar<C: BusinessClock + ?Sized>(&self, calendar: &C) -> Result<()> {
        match calendar.calendar_id() {
            Some(id) if *id != self.calendar => Err(Error::validation(
                "calendar",
                id,
                format!("{ENTITY} {} runs on calendar {}", self.id, self.calendar),
            )),
            _ => Ok(()),
        }
    }

    fn current_step<'d>(&self, def: &'d ProcessDefinition) -> Result<&'d Step> {
        def.step(self.current).ok_or_else(|| self.mismatch(def))
    }

    fn mismatch(&self, def: &ProcessDefinition) -> Error {
        Error::validation(
            "process instance",
            &self.id,
            format!(
                "refers to steps that {} v{} does not have",
                def.id(),
                def.version()
            ),
        )
    }

    /// The instance's id.
    pub fn id(&self) -> &InstanceId {
        &self.id
    }

    /// The definition it runs on.
    pub fn definition(&self) -> &DefinitionId {
        &self.definition
    }

    /// The definition's version it runs on.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The customer served.
    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    /// The agreement concerned.
    pub fn agreement(&self) -> Option<&AgreementId> {
        self.agreement.as_ref()
    }

    /// The business calendar its deadlines are measured on.
    pub fn calendar(&self) -> &CalendarId {
        &self.calendar
    }

    /// When it started.
    pub fn started_at(&self) -> Instant {
        self.started_at
    }

    /// The current step's index.
    pub fn current(&self) -> StepIndex {
        self.current
    }

    /// The current step in `def` (`None` when `def` is not this instance's definition).
    pub fn current_step_in<'d>(&self, def: &'d ProcessDefinition) -> Option<&'d Step> {
        self.check_definition(def).ok()?;
        def.step(self.current)
    }

    /// When the current step was entered.
    pub fn entered_at(&self) -> Instant {
        self.entered_at
    }

    /// When it reached an end step.
    pub fn ended_at(&self) -> Option<Instant> {
        self.ended_at
    }

    /// True once it reached an end step.
    pub fn is_ended(&self) -> bool {
        self.ended_at.is_some()
    }

    /// Its data.
    pub fn data(&self) -> &InstanceData {
        &self.data
    }

    /// One data value.
    pub fn value(&self, key: &str) -> Option<&DataValue> {
        self.data.get(key)
    }

    /// The targets it runs against.
    pub fn sla(&self) -> &ResolvedSla {
        &self.sla
    }

    /// Business time counted toward the resolution target in completed steps (time in wait
    /// steps excluded).
    pub fn active_time(&self) -> BusinessDuration {
        self.active_time
    }

    /// The recorded moves, oldest first.
    pub fn moves(&self) -> &[Move] {
        &self.moves
    }
}
