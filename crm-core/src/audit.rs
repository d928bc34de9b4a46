//! The consistency audit: where a customer's record contradicts itself at an instant.
//!
//! [`Crm::audit`] looks at one customer's record as it stands at `at` and returns a
//! [`Finding`] for each contradiction, with its [`Severity`], what contradicts what in words a
//! service screen can show, and the ids involved. A clean record gives no findings. What is
//! checked ([`FindingKind`]):
//!
//! - **A collection action an exception covers** (critical): a collection action *taken*
//!   while an approved exception suspending that step for its target (the line, the
//!   agreement, or the step kind for the whole customer) was in force, as the ladder judges
//!   it. Actions the ladder *proposes* as suppressed are not findings: that is the exception
//!   doing its work. A restriction taken before an exception that now suspends restrictions,
//!   and still standing, is a warning: the line stays restricted against the exception.
//! - **A restriction that contradicts the line's state** (warning): a line restricted at
//!   `at` by a collection action whose own charges past due are all paid (the ladder has
//!   stopped and the restriction should have been lifted).
//! - **An open commitment past due** (warning): open at `at` and past its due time, or past
//!   the end of an approved extension (an exception on the commitment with an `extend`
//!   effect) when one held.
//! - **A breached SLA with no compensation decision** (critical): a process instance whose
//!   resolution target is breached at `at`, with no compensation granted for any interaction
//!   linked to it (the one that started it, or one naming it as its process). An instance
//!   that moved after `at` is left out (its status at `at` cannot be rebuilt).
//! - **A complaint with no process** (warning): an interaction of kind
//!   [`COMPLAINT_KIND`] that links no process instance.
//! - **A reminder during an approved extension** (critical): an outbound interaction of kind
//!   [`REMINDER_KIND`] linked to a commitment, made while an exception extending that
//!   commitment's due time held and before the extended due time (story 1: "return the loan
//!   device or be charged" sent although the supervisor extended the loan).
//!
//! Only what happened up to `at` counts. Findings are ordered by severity (critical first),
//! then kind, then ids.

use crate::Instant;
use crate::agreement::{CommitmentState, ExceptionEffect, ExceptionScope, LineStatus};
use crate::engine::{COMPLAINT_KIND, Crm};
use crate::error::Result;
use crate::ids::{CommitmentId, CustomerId, InteractionId};
use crate::interaction::Direction;
use crate::obligation::{CollectionStepKind, CollectionTarget};
use crate::process::SlaState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The interaction kind of a reminder about a commitment (e.g. "return the loan device").
pub const REMINDER_KIND: &str = "reminder";

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look: the record is stale or late.
    Warning,
    /// The organisation acted against its own record, or owes the customer a decision.
    Critical,
}

/// What kind of contradiction a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A collection action taken (or a restriction standing) that an exception covers.
    CollectionActionUnderException,
    /// A restriction that contradicts the line's state.
    RestrictionContradictsLine,
    /// An open commitment past due.
    CommitmentPastDue,
    /// A breached SLA with no compensation decision.
    BreachedSlaWithoutCompensation,
    /// A complaint interaction with no process.
    ComplaintWithoutProcess,
    /// A reminder about a commitment during an approved extension of it.
    ReminderDuringExtension,
}

/// One record a finding names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityRef {
    /// What it is (`commitment`, `exception`, `interaction`, `process instance`, `line`,
    /// `collection action`).
    pub entity: String,
    /// Its id (for a collection action: its key).
    pub id: String,
}

impl EntityRef {
    fn new(entity: &str, id: impl std::fmt::Display) -> Self {
        EntityRef {
            entity: entity.to_string(),
            id: id.to_string(),
        }
    }
}

/// One contradiction in a customer's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// What kind of contradiction.
    pub kind: FindingKind,
    /// How serious.
    pub severity: Severity,
    /// The customer.
    pub customer: CustomerId,
    /// The record that is wrong, in words.
    pub what: String,
    /// What it contradicts, in words.
    pub contradicts: String,
    /// The records involved: the wrong one first, then what it contradicts.
    pub ids: Vec<EntityRef>,
}

impl Crm {
    /// The contradictions in `customer`'s record at `at` (see the [module
    /// documentation](crate::audit)); empty for a clean record. An unknown customer is
    /// [`crate::Error::NotFound`].
    pub fn audit(&self, customer: &CustomerId, at: Instant) -> Result<Vec<Finding>> {
        self.customer(customer)?;
        let mut out = Vec::new();
        collections_under_exception(self, customer, at, &mut out);
        restrictions_without_debt(self, customer, at, &mut out)?;
        commitments_past_due(self, customer, at, &mut out);
        breaches_without_compensation(self, customer, at, &mut out)?;
        complaints_without_process(self, customer, at, &mut out);
        reminders_during_extension(self, customer, at, &mut out);
        out.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.kind.cmp(&b.kind))
                .then_with(|| a.ids.cmp(&b.ids))
        });
        Ok(out)
    }
}

fn collections_under_exception(
    crm: &Crm,
    customer: &CustomerId,
    at: Instant,
    out: &mut Vec<Finding>,
) {
    let state = crm.state();
    let Some(history) = state.collection_history.get(customer) else {
        return;
    };
    for taken in history.iter().filter(|t| t.at <= at) {
        let a = &taken.action;
        if let Some(s) = state.collection_suppression(customer, &a.target, a.step, taken.at) {
            out.push(Finding {
                kind: FindingKind::CollectionActionUnderException,
                severity: Severity::Critical,
                customer: customer.clone(),
                what: format!(
                    "collection step {} of policy {} was taken at {}",
                    a.step.as_str(),
                    a.policy,
                    taken.at
                ),
                contradicts: format!(
                    "exception {} approved by {} suspended that step then ({})",
                    s.exception_id, s.approved_by, s.reason
                ),
                ids: vec![
                    EntityRef::new("collection action", &a.key),
                    EntityRef::new("exception", &s.exception_id),
                ],
            });
            continue;
        }
        if a.step != CollectionStepKind::Restrict {
            continue;
        }
        let CollectionTarget::Line { line_id, .. } = &a.target else {
            continue;
        };
        if line_status(crm, line_id, at) != Some(LineStatus::Restricted) {
            continue;
        }
        if let Some(s) = state.collection_suppression(customer, &a.target, a.step, at) {
            out.push(Finding {
                kind: FindingKind::CollectionActionUnderException,
                severity: Severity::Warning,
                customer: customer.clone(),
                what: format!(
                    "line {line_id} is still restricted by collection step {} taken at {}",
                    a.step.as_str(),
                    taken.at
                ),
                contradicts: format!(
                    "exception {} approved by {} now suspends restrictions of it ({})",
                    s.exception_id, s.approved_by, s.reason
                ),
                ids: vec![
                    EntityRef::new("line", line_id),
                    EntityRef::new("collection action", &a.key),
                    EntityRef::new("exception", &s.exception_id),
                ],
            });
        }
    }
}

fn line_status(crm: &Crm, line: &crate::ids::LineId, at: Instant) -> Option<LineStatus> {
    let state = crm.state();
    let agreement = state.line_index.get(line)?;
    state
        .agreements
        .get(agreement)?
        .line(line)
        .ok()?
        .status_at(at)
}

fn restrictions_without_debt(
    crm: &Crm,
    customer: &CustomerId,
    at: Instant,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let state = crm.state();
    let restricted_by_collections: BTreeSet<(&crate::ids::LineId, &str)> = state
        .collection_history
        .get(customer)
        .into_iter()
        .flatten()
        .filter(|t| t.at <= at && t.action.step == CollectionStepKind::Restrict)
        .filter_map(|t| match &t.action.target {
            CollectionTarget::Line { line_id, .. } => Some((line_id, t.action.key.as_str())),
            _ => t
                .action
                .line_id
                .as_ref()
                .map(|l| (l, t.action.key.as_str())),
        })
        .collect();
    for settled in crm.settled_restrictions(customer, at)? {
        let Some((_, key)) = restricted_by_collections
            .iter()
            .rev()
            .find(|(l, _)| **l == settled.line)
        else {
            continue;
        };
        out.push(Finding {
            kind: FindingKind::RestrictionContradictsLine,
            severity: Severity::Warning,
            customer: customer.clone(),
            what: format!(
                "line {} of agreement {} is restricted for non-payment since {}",
                settled.line, settled.agreement, settled.restricted_since
            ),
            contradicts: "nothing of the line is past due: the restriction should be lifted"
                .to_string(),
            ids: vec![
                EntityRef::new("line", &settled.line),
                EntityRef::new("collection action", key),
            ],
        });
    }
    Ok(())
}

/// The end of the extension of a commitment in force at `at`, if any (the latest).
pub(crate) fn extension_until(
    crm: &Crm,
    commitment: &CommitmentId,
    at: Instant,
) -> Option<Instant> {
    let scope = ExceptionScope::Commitment {
        commitment: commitment.clone(),
    };
    crm.state()
        .exceptions
        .values()
        .filter(|x| x.covers(None, &scope, at))
        .filter_map(|x| match x.effect {
            ExceptionEffect::Extend { until } => Some(until),
            _ => None,
        })
        .max()
}

fn commitments_past_due(crm: &Crm, customer: &CustomerId, at: Instant, out: &mut Vec<Finding>) {
    for c in crm.state().commitments.values() {
        if &c.customer != customer || c.made_at > at {
            continue;
        }
        let open_at = c.state == CommitmentState::Open || c.closed_at.is_some_and(|t| t > at);
        let due = extension_until(crm, &c.id, at).map_or(c.due_at, |u| u.max(c.due_at));
        if !open_at || due >= at {
            continue;
        }
        out.push(Finding {
            kind: FindingKind::CommitmentPastDue,
            severity: Severity::Warning,
            customer: customer.clone(),
            what: format!("commitment {} ({}) is still open", c.id, c.description),
            contradicts: format!("it was due at {due}"),
            ids: vec![EntityRef::new("commitment", &c.id)],
        });
    }
}

fn breaches_without_compensation(
    crm: &Crm,
    customer: &CustomerId,
    at: Instant,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let state = crm.state();
    let compensated: BTreeSet<&InteractionId> = state
        .compensations
        .get(customer)
        .into_iter()
        .flatten()
        .filter(|g| g.at <= at)
        .map(|g| &g.complaint)
        .collect();
    for inst in state.process_instances.values() {
        // an instance that moved after `at` cannot be judged as it stood at `at`
        if inst.customer() != customer || inst.entered_at() > at {
            continue;
        }
        let status = crm.process_status(inst.id(), at)?;
        let Some(resolution) = status.resolution else {
            continue;
        };
        if resolution.state != SlaState::Breached {
            continue;
        }
        let linked: BTreeSet<&InteractionId> = state
            .process_links
            .iter()
            .filter(|(_, i)| *i == inst.id())
            .map(|(k, _)| k)
            .chain(
                state
                    .interactions
                    .values()
                    .filter(|i| i.process.as_ref() == Some(inst.id()))
                    .map(|i| &i.id),
            )
            .collect();
        if linked.iter().any(|i| compensated.contains(i)) {
            continue;
        }
        let mut ids = vec![EntityRef::new("process instance", inst.id())];
        ids.extend(linked.iter().map(|i| EntityRef::new("interaction", i)));
        out.push(Finding {
            kind: FindingKind::BreachedSlaWithoutCompensation,
            severity: Severity::Critical,
            customer: customer.clone(),
            what: format!(
                "process instance {} breached its resolution target (deadline {})",
                inst.id(),
                resolution.deadline
            ),
            contradicts: "the compensation policy decides every breach, and no compensation was granted for it".to_string(),
            ids,
        });
    }
    Ok(())
}

fn complaints_without_process(
    crm: &Crm,
    customer: &CustomerId,
    at: Instant,
    out: &mut Vec<Finding>,
) {
    for i in crm.state().interactions.values() {
        if &i.customer != customer
            || i.started_at > at
            || i.kind != COMPLAINT_KIND
            || i.process.is_some()
        {
            continue;
        }
        out.push(Finding {
            kind: FindingKind::ComplaintWithoutProcess,
            severity: Severity::Warning,
            customer: customer.clone(),
            what: format!("complaint {} ({} on {})", i.id, i.started_at, i.channel),
            contradicts: "every complaint is handled by a process, and none is linked".to_string(),
            ids: vec![EntityRef::new("interaction", &i.id)],
        });
    }
}

fn reminders_during_extension(
    crm: &Crm,
    customer: &CustomerId,
    at: Instant,
    out: &mut Vec<Finding>,
) {
    let state = crm.state();
    for i in state.interactions.values() {
        if &i.customer != customer
            || i.started_at > at
            || i.direction != Direction::Outbound
            || i.kind != REMINDER_KIND
        {
            continue;
        }
        for c in &i.commitments {
            let scope = ExceptionScope::Commitment {
                commitment: c.clone(),
            };
            let extension = state.exceptions.values().find(|x| {
                x.covers(None, &scope, i.started_at)
                    && matches!(x.effect, ExceptionEffect::Extend { until } if i.started_at < until)
            });
            if let Some(x) = extension {
                out.push(Finding {
                    kind: FindingKind::ReminderDuringExtension,
                    severity: Severity::Critical,
                    customer: customer.clone(),
                    what: format!(
                        "reminder {} about commitment {c} sent at {}",
                        i.id, i.started_at
                    ),
                    contradicts: format!(
                        "exception {} approved by {} extended the commitment ({})",
                        x.id, x.approved_by, x.reason
                    ),
                    ids: vec![
                        EntityRef::new("interaction", &i.id),
                        EntityRef::new("commitment", c),
                        EntityRef::new("exception", &x.id),
                    ],
                });
            }
        }
    }
}
