//! Interactions in the engine: recording contacts, classifying them into processes, closing
//! them when the survey arrives, and the measures and accountability over the record.
//!
//! - `record_interaction` stores one contact ([`Interaction`]). It is checked with
//!   [`Interaction::validate`]; the customer must exist, the id be new, an outbound contact
//!   pass [`check_outbound_consent`] against the stored customer (a typed
//!   [`Error::ConsentRequired`] otherwise), the commitments listed exist and be the
//!   customer's, and a linked process instance exist and serve the customer. Its instants
//!   may not lie after the command's instant (a contact is recorded once it happened).
//! - **Classification**: an interaction with no `process` whose command carries
//!   [`StartOptions`] starts the process definition its `kind` classifies to
//!   ([`CrmState::classify`]), in the same event: the event carries the interaction (with
//!   `process` filled) and the [`ProcessStart`] computed exactly as `start_process` computes
//!   it (service-level entitlement, tier, definition targets). The process starts at the
//!   contact's `started_at`: the customer's clock runs from the contact, not from when the
//!   host got round to recording it. An existing instance is linked by naming it in
//!   `process`.
//! - `update_interaction` closes an open contact or adds what arrives later: `ended_at`,
//!   `outcome`, `feedback` (CSAT and NPS answers replace the ones recorded), `sentiment`.
//!   The result is validated like a new record; an end already recorded is never moved.
//! - Events go to the **customer's stream** (`customer/<id>`): the consent check reads the
//!   customer, so a host that sends `expected_version` of the customer's stream gets a
//!   conflict, not a contact made against a consent withdrawn in between.
//!
//! The channel is recorded and measured but never changes an answer: nothing here feeds an
//! entitlement check, a balance or a process status.

use super::Crm;
use super::command::Metadata;
use super::event::{Event, EventEnvelope, customer_stream};
use super::processes::{StartProcess, decide_start};
use super::state::CrmState;
use crate::Instant;
use crate::accountability::{AccountabilityReport, report};
use crate::calendar::TimeRange;
use crate::error::{Error, Result};
use crate::ids::{AgreementId, CalendarId, CustomerId, InstanceId, InteractionId};
use crate::interaction::{Feedback, Interaction, InteractionOutcome, check_outbound_consent};
use crate::measures::{MeasureFilter, ServiceMeasures, measure};
use crate::process::{InstanceData, SlaTargets};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How to start the process an interaction's kind classifies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartOptions {
    /// The new instance's id.
    pub instance: InstanceId,
    /// The business calendar its deadlines are measured on (a service-level entitlement's
    /// own calendar takes precedence, as for `start_process`).
    pub calendar: CalendarId,
    /// The agreement concerned, if any (it must be the customer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// The initial data guards read (e.g. `priority`).
    #[serde(default)]
    pub data: InstanceData,
    /// SLA targets set by the host; when absent, the engine resolves them as `start_process`
    /// does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaTargets>,
}

/// What `update_interaction` changes (at least one field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionUpdate {
    /// When the contact ended (only while it is open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Instant>,
    /// How it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<InteractionOutcome>,
    /// Survey answers; each answer given replaces the one recorded.
    #[serde(default, skip_serializing_if = "Feedback::is_empty")]
    pub feedback: Feedback,
    /// The sentiment measured (-1 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Decimal>,
}

impl InteractionUpdate {
    fn is_empty(&self) -> bool {
        self.ended_at.is_none()
            && self.outcome.is_none()
            && self.feedback.is_empty()
            && self.sentiment.is_none()
    }
}

fn not_after(field: &str, value: Option<Instant>, meta: &Metadata) -> Result<()> {
    match value {
        Some(v) if v > meta.at => Err(Error::validation(
            field,
            v,
            format!("is after the command's instant {}", meta.at),
        )),
        _ => Ok(()),
    }
}

fn check_instants(i: &Interaction, meta: &Metadata) -> Result<()> {
    not_after("started_at", Some(i.started_at), meta)?;
    not_after("answered_at", i.answered_at, meta)?;
    not_after("ended_at", i.ended_at, meta)
}

pub(super) fn decide_record(
    state: &CrmState,
    meta: &Metadata,
    interaction: &Interaction,
    start: Option<&StartOptions>,
) -> Result<(String, Vec<Event>)> {
    interaction.validate()?;
    check_instants(interaction, meta)?;
    let customer = state
        .customers
        .get(&interaction.customer)
        .ok_or_else(|| Error::not_found("customer", &interaction.customer))?;
    if state.interactions.contains_key(&interaction.id) {
        return Err(Error::already_exists("interaction", &interaction.id));
    }
    check_outbound_consent(customer, interaction)?;
    for c in &interaction.commitments {
        let found = state
            .commitments
            .get(c)
            .ok_or_else(|| Error::not_found("commitment", c))?;
        if found.customer != interaction.customer {
            return Err(Error::validation(
                "commitments",
                c,
                format!("was made to another customer than {}", interaction.customer),
            ));
        }
    }
    if let Some(p) = &interaction.process {
        let inst = state
            .process_instances
            .get(p)
            .ok_or_else(|| Error::not_found("process instance", p))?;
        if inst.customer() != &interaction.customer {
            return Err(Error::validation(
                "process",
                p,
                format!("serves another customer than {}", interaction.customer),
            ));
        }
    }
    let mut recorded = interaction.clone();
    let process = match start {
        None => None,
        Some(_) if interaction.process.is_some() => {
            return Err(Error::validation(
                "start_process",
                &interaction.id,
                "the interaction already links a process instance; start one or link one",
            ));
        }
        Some(opts) => {
            let request = StartProcess {
                instance: opts.instance.clone(),
                definition: None,
                interaction_kind: Some(interaction.kind.clone()),
                customer: interaction.customer.clone(),
                agreement: opts.agreement.clone(),
                calendar: opts.calendar.clone(),
                data: opts.data.clone(),
                sla: opts.sla.clone(),
                interaction: Some(interaction.id.clone()),
            };
            let at_contact = Metadata {
                at: interaction.started_at,
                ..meta.clone()
            };
            let (_, events) = decide_start(state, &at_contact, &request)?;
            let start = events.into_iter().find_map(|e| match e {
                Event::ProcessStarted { start } => Some(start),
                _ => None,
            });
            let Some(start) = start else {
                return Err(Error::Storage {
                    message: "starting a process produced no process_started event".into(),
                });
            };
            recorded.process = Some(start.instance.clone());
            Some(start)
        }
    };
    Ok((
        customer_stream(&interaction.customer),
        vec![Event::InteractionRecorded {
            interaction: recorded,
            process,
        }],
    ))
}

pub(super) fn decide_update(
    state: &CrmState,
    meta: &Metadata,
    id: &InteractionId,
    update: &InteractionUpdate,
) -> Result<(String, Vec<Event>)> {
    let current = state
        .interactions
        .get(id)
        .ok_or_else(|| Error::not_found("interaction", id))?;
    if update.is_empty() {
        return Err(Error::validation(
            "update_interaction",
            id,
            "names nothing to change",
        ));
    }
    let mut next = current.clone();
    if let Some(end) = update.ended_at {
        if let Some(was) = current.ended_at {
            return Err(Error::invalid_transition(
                "interaction",
                id,
                format!("ended at {was}"),
                "end",
            ));
        }
        not_after("ended_at", Some(end), meta)?;
        next.ended_at = Some(end);
    }
    if let Some(o) = update.outcome {
        next.outcome = Some(o);
    }
    if let Some(s) = update.sentiment {
        next.sentiment = Some(s);
    }
    if let Some(c) = update.feedback.csat {
        next.feedback.csat = Some(c);
    }
    if let Some(n) = update.feedback.nps {
        next.feedback.nps = Some(n);
    }
    next.validate()?;
    Ok((
        customer_stream(&current.customer),
        vec![Event::InteractionUpdated { interaction: next }],
    ))
}

pub(super) fn apply(state: &mut CrmState, env: &EventEnvelope) -> Result<()> {
    match &env.event {
        Event::InteractionRecorded {
            interaction,
            process,
        } => {
            if let Some(start) = process {
                state.apply_process_event(&Event::ProcessStarted {
                    start: start.clone(),
                })?;
            }
            state
                .interactions
                .insert(interaction.id.clone(), interaction.clone());
        }
        Event::InteractionUpdated { interaction } => {
            if !state.interactions.contains_key(&interaction.id) {
                return Err(Error::Storage {
                    message: format!("event refers to unknown interaction {}", interaction.id),
                });
            }
            state
                .interactions
                .insert(interaction.id.clone(), interaction.clone());
        }
        _ => {}
    }
    Ok(())
}

impl Crm {
    /// The interaction with that id.
    pub fn interaction(&self, id: &InteractionId) -> Result<&Interaction> {
        self.state
            .interactions
            .get(id)
            .ok_or_else(|| Error::not_found("interaction", id))
    }

    /// The customer's last `last_n` interactions, newest first (by `started_at`, then id).
    pub fn interactions_of(
        &self,
        customer: &CustomerId,
        last_n: usize,
    ) -> Result<Vec<&Interaction>> {
        self.customer(customer)?;
        let mut all: Vec<&Interaction> = self
            .state
            .interactions
            .values()
            .filter(|i| &i.customer == customer)
            .collect();
        all.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
        all.truncate(last_n);
        Ok(all)
    }

    /// Service measures over `period` (interactions that started in it, instances that ended
    /// in it), restricted by `filter`: see [`crate::measures`].
    pub fn service_measures(
        &self,
        period: &TimeRange,
        filter: &MeasureFilter,
    ) -> Result<ServiceMeasures> {
        measure(
            self.state.interactions.values(),
            self.state.process_instances.values(),
            period,
            filter,
        )
    }

    /// Broken and overdue commitments by responsible party, and the partner scorecards, as
    /// every commitment stood at `at`: see [`crate::accountability`].
    pub fn accountability(&self, at: Instant) -> Result<AccountabilityReport> {
        report(self.state.commitments.values(), at)
    }
}
