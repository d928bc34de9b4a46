//! Collections: a ladder of steps applied per obligation.
//!
//! A [`CollectionPolicy`] is a ladder of [`CollectionStep`]s (for example day 3 reminder,
//! day 10 notice, day 21 restrict, day 45 hand over), counted in days past the due date of the
//! **oldest open charge past due** of an obligation. By default an obligation is one line (the
//! charges of that line) or, for charges tied to no line, one agreement; so a line whose own
//! charges are paid is never restricted because another line is late. A policy may be
//! explicitly [`CollectionPolicyScope::AccountWide`]: then the whole account is one obligation
//! and a restriction concerns every line that has charges in the ledger.
//!
//! [`collection_actions`] returns, for each obligation with open charges past due, every step
//! reached, with the charges and line it concerns and why it is due. Rules:
//! - the ladder stops as soon as the obligation's debt past due is settled (no action at all);
//! - a step covered by an approved exception is [`ActionStatus::Suppressed`], naming it;
//! - no action contradicts the line's state ([`ActionStatus::NotApplicable`]): `restrict` only
//!   for a line the lifecycle lets collections restrict (active or suspended service), never
//!   one already restricted or ended; `notice` (a warning that service will be restricted)
//!   only while the line can still be restricted; `restriction_notice` (service has been
//!   restricted) only for a restricted line; `reminder` and `handover` concern the money and
//!   always apply;
//! - an action the engine already took (by [`CollectionAction::key`]) is left out.
//!
//! The key is `policy|target|oldest charge id|step index`: stable while the same debt stays
//! unpaid, new when a new debt starts the ladder again.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, AgreementId, ChargeId, CustomerId, ExceptionId, LineId};
use crate::lifecycle::{LineAction, LineKind, LineStatus, next_status};
use crate::money::Money;
use crate::obligation::ledger::Ledger;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a collection step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStepKind {
    /// A friendly reminder that a payment is late.
    Reminder,
    /// A formal notice that service will be restricted unless paid.
    Notice,
    /// Restrict the line for non-payment.
    Restrict,
    /// Tell the customer the service has been restricted.
    RestrictionNotice,
    /// Hand the debt over to a collection agency.
    Handover,
}

impl CollectionStepKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectionStepKind::Reminder => "reminder",
            CollectionStepKind::Notice => "notice",
            CollectionStepKind::Restrict => "restrict",
            CollectionStepKind::RestrictionNotice => "restriction_notice",
            CollectionStepKind::Handover => "handover",
        }
    }
}

/// One rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CollectionStep {
    /// What to do.
    pub kind: CollectionStepKind,
    /// Days past due (of the oldest open charge) from which the step is due.
    pub after_days: u32,
}

/// Whether a policy treats each obligation apart or the account as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CollectionPolicyScope {
    /// Each line (or, for charges without a line, each agreement) apart.
    #[default]
    PerObligation,
    /// The whole account as one obligation; a restriction concerns every line.
    AccountWide,
}

/// A collection ladder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CollectionPolicy {
    /// The policy's name (part of each action's key).
    pub name: String,
    /// Per obligation (default) or account-wide.
    #[serde(default)]
    pub scope: CollectionPolicyScope,
    /// The steps, in strictly increasing `after_days`.
    pub steps: Vec<CollectionStep>,
}

impl CollectionPolicy {
    /// Builds and validates a policy.
    pub fn new(
        name: impl Into<String>,
        scope: CollectionPolicyScope,
        steps: Vec<CollectionStep>,
    ) -> Result<Self> {
        let p = CollectionPolicy {
            name: name.into(),
            scope,
            steps,
        };
        p.validate()?;
        Ok(p)
    }

    /// Checks: a non-empty name, at least one step, `after_days` strictly increasing.
    pub fn validate(&self) -> Result<()> {
        let what = format!("collection policy {:?}", self.name);
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push("the name is empty".to_string());
        }
        if self.steps.is_empty() {
            problems.push("there are no steps".to_string());
        }
        for w in self.steps.windows(2) {
            if let [a, b] = w
                && b.after_days <= a.after_days
            {
                problems.push(format!(
                    "step {} on day {} does not come after step {} on day {}",
                    b.kind.as_str(),
                    b.after_days,
                    a.kind.as_str(),
                    a.after_days
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidDefinition { what, problems })
        }
    }
}

/// What an action concerns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CollectionTarget {
    /// One line's charges.
    Line {
        /// The agreement.
        agreement_id: AgreementId,
        /// The line.
        line_id: LineId,
    },
    /// An agreement's charges tied to no line.
    Agreement {
        /// The agreement.
        agreement_id: AgreementId,
    },
    /// The whole account (account-wide policies).
    Account {
        /// The customer.
        customer_id: CustomerId,
    },
}

impl CollectionTarget {
    fn key(&self) -> String {
        match self {
            CollectionTarget::Line {
                agreement_id,
                line_id,
            } => format!("line:{agreement_id}/{line_id}"),
            CollectionTarget::Agreement { agreement_id } => format!("agreement:{agreement_id}"),
            CollectionTarget::Account { customer_id } => format!("account:{customer_id}"),
        }
    }

    fn line(&self) -> Option<&LineId> {
        match self {
            CollectionTarget::Line { line_id, .. } => Some(line_id),
            _ => None,
        }
    }
}

/// An approved exception that suppresses a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Suppression {
    /// The exception.
    pub exception_id: ExceptionId,
    /// Who approved it.
    pub approved_by: ActorId,
    /// Until when it holds (`None`: until withdrawn).
    pub until: Option<Instant>,
    /// Why it was granted.
    pub reason: String,
}

/// Whether an action should be taken.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionStatus {
    /// Take it.
    Due,
    /// An approved exception covers it; do not take it.
    Suppressed {
        /// The exception.
        suppression: Suppression,
    },
    /// The line's state makes it pointless or contradictory; do not take it.
    NotApplicable {
        /// The line's status, when known.
        line_status: Option<LineStatus>,
        /// Why.
        reason: String,
    },
}

/// A collection step reached by an obligation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CollectionAction {
    /// Stable key: `policy|target|oldest charge id|step index` (plus `|line` for an
    /// account-wide restriction of one line).
    pub key: String,
    /// The policy.
    pub policy: String,
    /// What it concerns (for an account-wide restriction: the line restricted).
    pub target: CollectionTarget,
    /// The step.
    pub step: CollectionStepKind,
    /// The step's position in the ladder (0-based).
    pub step_index: usize,
    /// The step's threshold in days past due.
    pub after_days: u32,
    /// Days past due of the oldest open charge of the obligation on `at`'s date.
    pub days_past_due: i64,
    /// The due date of that charge.
    pub oldest_due_date: NaiveDate,
    /// The open charges past due of the obligation, oldest first.
    pub charge_ids: Vec<ChargeId>,
    /// Their open amount.
    pub overdue_amount: Money,
    /// The line concerned, if any.
    pub line_id: Option<LineId>,
    /// Its status, as the context reports it.
    pub line_status: Option<LineStatus>,
    /// Why the step is reached, in words a service screen can show.
    pub reason: String,
    /// Take it, or why not.
    pub status: ActionStatus,
}

/// What the engine knows beyond the ledger: line states, approved exceptions, actions taken.
pub trait CollectionContext {
    /// The line's current status, `None` when unknown.
    fn line_status(&self, line: &LineId) -> Option<LineStatus>;
    /// An approved exception in force at `at` that covers `step` for `target`, if any.
    fn exception_covering(
        &self,
        target: &CollectionTarget,
        step: CollectionStepKind,
        at: Instant,
    ) -> Option<Suppression>;
    /// True when the action with this key was already taken (it is then left out).
    fn already_taken(&self, key: &str) -> bool {
        let _ = key;
        false
    }
}

struct Obligation {
    charge_ids: Vec<ChargeId>,
    amount: Money,
    oldest_due: NaiveDate,
}

fn restrictable(status: LineStatus) -> bool {
    next_status(LineKind::Service, status, LineAction::Restrict).is_some()
}

/// Why the line's state rules the step out, if it does.
fn contradiction(
    step: CollectionStepKind,
    has_line: bool,
    status: Option<LineStatus>,
) -> Option<String> {
    match step {
        CollectionStepKind::Reminder | CollectionStepKind::Handover => None,
        CollectionStepKind::Notice if !has_line => None,
        CollectionStepKind::Restrict | CollectionStepKind::RestrictionNotice if !has_line => {
            Some("the debt is tied to no line".to_string())
        }
        CollectionStepKind::Notice | CollectionStepKind::Restrict => match status {
            None => Some("the line's status is unknown".to_string()),
            Some(LineStatus::Restricted) => Some("the line is already restricted".to_string()),
            Some(s) if restrictable(s) => None,
            Some(s) => Some(format!("a line in state {s} cannot be restricted")),
        },
        CollectionStepKind::RestrictionNotice => match status {
            Some(LineStatus::Restricted) => None,
            Some(s) => Some(format!("the line is {s}, not restricted")),
            None => Some("the line's status is unknown".to_string()),
        },
    }
}

/// The collection actions due on `at` for a customer's ledger under `policy` (see the module
/// documentation for the rules). Days past due are counted on `at`'s UTC date. Actions come
/// per obligation in target order, then in ladder order.
pub fn collection_actions(
    ledger: &Ledger,
    policy: &CollectionPolicy,
    context: &dyn CollectionContext,
    at: Instant,
) -> Result<Vec<CollectionAction>> {
    policy.validate()?;
    let today = at.date_naive();
    let account_wide = policy.scope == CollectionPolicyScope::AccountWide;
    let mut obligations: BTreeMap<CollectionTarget, Obligation> = BTreeMap::new();
    let mut lines: BTreeSet<(AgreementId, LineId)> = BTreeSet::new();
    for e in ledger.charges() {
        let c = &e.charge;
        if let Some(l) = &c.line_id {
            lines.insert((c.agreement_id.clone(), l.clone()));
        }
        if !e.open.is_positive() || c.due_date >= today {
            continue;
        }
        let target = if account_wide {
            CollectionTarget::Account {
                customer_id: ledger.customer_id().clone(),
            }
        } else if let Some(l) = &c.line_id {
            CollectionTarget::Line {
                agreement_id: c.agreement_id.clone(),
                line_id: l.clone(),
            }
        } else {
            CollectionTarget::Agreement {
                agreement_id: c.agreement_id.clone(),
            }
        };
        match obligations.get_mut(&target) {
            Some(o) => {
                o.charge_ids.push(c.id.clone());
                o.amount = o.amount.checked_add(&e.open)?;
            }
            None => {
                obligations.insert(
                    target,
                    Obligation {
                        charge_ids: vec![c.id.clone()],
                        amount: e.open,
                        oldest_due: c.due_date,
                    },
                );
            }
        }
    }
    let mut out = Vec::new();
    for (target, o) in &obligations {
        let days = (today - o.oldest_due).num_days();
        let oldest_id = o
            .charge_ids
            .first()
            .map(ChargeId::as_str)
            .unwrap_or_default();
        for (i, step) in policy.steps.iter().enumerate() {
            if i64::from(step.after_days) > days {
                break;
            }
            let base_key = format!("{}|{}|{}|{}", policy.name, target.key(), oldest_id, i);
            // An account-wide restriction concerns each line; anything else the obligation.
            let per_line: Vec<(String, CollectionTarget)> = if account_wide
                && matches!(
                    step.kind,
                    CollectionStepKind::Restrict | CollectionStepKind::RestrictionNotice
                ) {
                lines
                    .iter()
                    .map(|(a, l)| {
                        (
                            format!("{base_key}|{l}"),
                            CollectionTarget::Line {
                                agreement_id: a.clone(),
                                line_id: l.clone(),
                            },
                        )
                    })
                    .collect()
            } else {
                vec![(base_key, target.clone())]
            };
            for (key, t) in per_line {
                if context.already_taken(&key) {
                    continue;
                }
                let line_id = t.line().cloned();
                let line_status = line_id.as_ref().and_then(|l| context.line_status(l));
                let status = if let Some(reason) =
                    contradiction(step.kind, line_id.is_some(), line_status)
                {
                    ActionStatus::NotApplicable {
                        line_status,
                        reason,
                    }
                } else if let Some(s) = context.exception_covering(&t, step.kind, at) {
                    ActionStatus::Suppressed { suppression: s }
                } else {
                    ActionStatus::Due
                };
                let reason = format!(
                    "{} {} of {} past due for {} days (since {}); step {} {} is due from day {}",
                    o.charge_ids.len(),
                    if o.charge_ids.len() == 1 {
                        "charge"
                    } else {
                        "charges"
                    },
                    o.amount,
                    days,
                    o.oldest_due,
                    i + 1,
                    step.kind.as_str(),
                    step.after_days
                );
                out.push(CollectionAction {
                    reason,
                    key,
                    policy: policy.name.clone(),
                    target: t,
                    step: step.kind,
                    step_index: i,
                    after_days: step.after_days,
                    days_past_due: days,
                    oldest_due_date: o.oldest_due,
                    charge_ids: o.charge_ids.clone(),
                    overdue_amount: o.amount,
                    line_id,
                    line_status,
                    status,
                });
            }
        }
    }
    Ok(out)
}
