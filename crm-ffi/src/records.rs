//! Typed records of the engine's query results for Kotlin, Java and Swift.
//!
//! Each record is the field list of a crm-core type and one conversion from it; nothing is
//! computed here (every value is read from the core's own result). Money is [`crate::Money`]
//! (`java.math.BigDecimal` amounts), instants `SystemTime` (`java.time.Instant`, Swift
//! `Date`), calendar dates [`IsoDate`] (`java.time.LocalDate`), enumerations the mirrors of
//! `convert.rs`. The larger records also carry `json`, the core's JSON contract form of the
//! whole value, for the parts not typed here (an agreement's term and signature, a 360 view's
//! sentiment trend, a payment plan's schedule, a process report's bottlenecks).

use crate::convert::{
    Channel, CollectionStepKind, CommitmentState, Direction, FindingKind, InteractionOutcome,
    LineAction, LineKind, LineStatus, Purpose, Severity, SlaState,
};
use crate::{BusinessDuration, CrmError, ExactDecimal, IsoDate, Money, from_instant};
use serde::Serialize;
use std::time::SystemTime;

type Out<T> = Result<T, CrmError>;

fn json<T: Serialize + ?Sized>(v: &T) -> Out<String> {
    serde_json::to_string(v).map_err(|e| CrmError::from(crm_core::Error::from(e)))
}

fn signed(v: impl TryInto<i64>) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

fn all<T, U>(items: &[T], f: impl Fn(&T) -> Out<U>) -> Out<Vec<U>> {
    items.iter().map(f).collect()
}

// -- customer and agreement ---------------------------------------------------------------------

/// A customer (the core's `Customer`); contact points and consents are in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Customer {
    /// The host's id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The whole customer as JSON (the JSON contract form).
    pub json: String,
}

impl Customer {
    pub(crate) fn from_core(c: &crm_core::party::Customer) -> Out<Self> {
        Ok(Customer {
            id: c.id.to_string(),
            name: c.name.clone(),
            json: json(c)?,
        })
    }
}

/// One entry of a line's status history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LineStatusEntry {
    /// When the status takes effect (may be in the future).
    pub effective_at: SystemTime,
    /// The action that led here; null for the line's initial status.
    pub action: Option<LineAction>,
    /// The status from `effectiveAt` on.
    pub status: LineStatus,
    /// The installed asset from `effectiveAt` on (physical products).
    pub asset: Option<String>,
}

/// A line of an agreement with its whole status history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgreementLine {
    /// The line's id.
    pub id: String,
    /// What was sold.
    pub offering: String,
    /// Service or physical product.
    pub kind: LineKind,
    /// How many.
    pub quantity: i64,
    /// The status of the latest history entry (including a move dated in the future).
    pub status: LineStatus,
    /// The status history, oldest first.
    pub history: Vec<LineStatusEntry>,
}

impl AgreementLine {
    fn from_core(l: &crm_core::agreement::AgreementLine) -> Out<Self> {
        let history = all(&l.history, |h| {
            Ok(LineStatusEntry {
                effective_at: from_instant(h.effective_at),
                action: h.action.map(LineAction::try_from).transpose()?,
                status: LineStatus::try_from(h.status)?,
                asset: h.asset.as_ref().map(ToString::to_string),
            })
        })?;
        let status = history
            .last()
            .map(|h| h.status)
            .ok_or_else(|| CrmError::Internal {
                reason: format!("line {} has an empty history", l.id),
            })?;
        Ok(AgreementLine {
            id: l.id.to_string(),
            offering: l.offering.to_string(),
            kind: l.kind.into(),
            quantity: i64::from(l.quantity),
            status,
            history,
        })
    }
}

/// An agreement with its lines; term, signature, entitlements, payment plans and amendments
/// are in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Agreement {
    /// The host's id.
    pub id: String,
    /// The customer.
    pub customer: String,
    /// When it was signed.
    pub signed_at: SystemTime,
    /// The contractual revision: 1 at signature, one more per amendment.
    pub revision: i64,
    /// The stream version (what a command's `expectedVersion` names).
    pub version: i64,
    /// The lines, in the order they were added.
    pub lines: Vec<AgreementLine>,
    /// The ids of its entitlements.
    pub entitlements: Vec<String>,
    /// The ids of its payment plans.
    pub payment_plans: Vec<String>,
    /// An internal note (empty when none).
    pub note: String,
    /// The whole agreement as JSON (the JSON contract form).
    pub json: String,
}

impl Agreement {
    pub(crate) fn from_core(a: &crm_core::agreement::Agreement) -> Out<Self> {
        Ok(Agreement {
            id: a.id.to_string(),
            customer: a.customer.to_string(),
            signed_at: from_instant(a.signed_at),
            revision: i64::from(a.revision),
            version: signed(a.version),
            lines: all(&a.lines, AgreementLine::from_core)?,
            entitlements: a.entitlements.iter().map(|e| e.id.to_string()).collect(),
            payment_plans: a.payment_plans.iter().map(|p| p.id.to_string()).collect(),
            note: a.note.clone(),
            json: json(a)?,
        })
    }
}

// -- ledger views ---------------------------------------------------------------------------------

/// One charge of a statement with what settled it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatementCharge {
    /// The charge's id.
    pub id: String,
    /// The agreement it arises from.
    pub agreement: String,
    /// The line it concerns, if any.
    pub line: Option<String>,
    /// The plan it was generated from, if any.
    pub plan: Option<String>,
    /// Its 1-based sequence number in the plan.
    pub sequence: i64,
    /// The due date.
    pub due_date: IsoDate,
    /// The amount before adjustments.
    pub amount: Money,
    /// The signed sum of its adjustments.
    pub adjusted: Money,
    /// Applied from payments.
    pub paid: Money,
    /// Applied from credits.
    pub credited: Money,
    /// Written off.
    pub written_off: Money,
    /// Still open.
    pub open: Money,
}

/// The charges of a scope with their totals (the core's `Statement`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Statement {
    /// The charges in due date order.
    pub charges: Vec<StatementCharge>,
    /// Sum of their amounts after adjustments.
    pub charged: Money,
    /// Sum applied from payments.
    pub paid: Money,
    /// Sum applied from credits.
    pub credited: Money,
    /// Sum written off.
    pub written_off: Money,
    /// Sum still open.
    pub open: Money,
    /// The whole statement as JSON (scope included).
    pub json: String,
}

impl Statement {
    pub(crate) fn from_core(s: &crm_core::obligation::Statement) -> Out<Self> {
        let charges = s
            .charges
            .iter()
            .map(|e| StatementCharge {
                id: e.charge.id.to_string(),
                agreement: e.charge.agreement_id.to_string(),
                line: e.charge.line_id.as_ref().map(ToString::to_string),
                plan: e.charge.plan_id.as_ref().map(ToString::to_string),
                sequence: i64::from(e.charge.sequence),
                due_date: e.charge.due_date,
                amount: e.charge.amount.into(),
                adjusted: e.adjusted.into(),
                paid: e.paid.into(),
                credited: e.credited.into(),
                written_off: e.written_off.into(),
                open: e.open.into(),
            })
            .collect();
        Ok(Statement {
            charges,
            charged: s.charged.into(),
            paid: s.paid.into(),
            credited: s.credited.into(),
            written_off: s.written_off.into(),
            open: s.open.into(),
            json: json(s)?,
        })
    }
}

/// Open amounts by age on a date (the core's `AgingReport`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgingReport {
    /// The date aged against.
    pub as_of: IsoDate,
    /// The grace days used for `overdue`.
    pub grace_days: i64,
    /// Open and not past due.
    pub current: Money,
    /// Open, 1 to 30 days past due.
    pub days_1_30: Money,
    /// Open, 31 to 60 days past due.
    pub days_31_60: Money,
    /// Open, 61 to 90 days past due.
    pub days_61_90: Money,
    /// Open, more than 90 days past due.
    pub over_90: Money,
    /// Every open amount (the sum of the buckets).
    pub total_open: Money,
    /// Open amount more than `graceDays` past due.
    pub overdue: Money,
    /// The due date of the oldest open charge past due, if any.
    pub oldest_overdue_due_date: Option<IsoDate>,
}

impl From<&crm_core::obligation::AgingReport> for AgingReport {
    fn from(a: &crm_core::obligation::AgingReport) -> Self {
        AgingReport {
            as_of: a.as_of,
            grace_days: i64::from(a.grace_days),
            current: a.current.into(),
            days_1_30: a.days_1_30.into(),
            days_31_60: a.days_31_60.into(),
            days_61_90: a.days_61_90.into(),
            over_90: a.over_90.into(),
            total_open: a.total_open.into(),
            overdue: a.overdue.into(),
            oldest_overdue_due_date: a.oldest_overdue_due_date,
        }
    }
}

/// A charge still open in a reconciled period.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UnpaidCharge {
    /// The charge's id.
    pub charge: String,
    /// Its amount after adjustments.
    pub amount: Money,
    /// What is still open.
    pub open: Money,
    /// Unpaid since this day (its due date).
    pub unpaid_since: IsoDate,
    /// Days past due on the reconciliation's `asOf` (0 or less: not yet past due).
    pub days_past_due: i64,
}

/// The answer to "has all the money owed for the period arrived?" (the core's
/// `Reconciliation`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reconciliation {
    /// The first day of the period.
    pub from: IsoDate,
    /// The last day of the period (included).
    pub to: IsoDate,
    /// The day `daysPastDue` is counted on.
    pub as_of: IsoDate,
    /// Charges due in the period, after adjustments.
    pub due: Money,
    /// Of `due`, settled by payments.
    pub paid: Money,
    /// Of `due`, settled by credits.
    pub credited: Money,
    /// Of `due`, written off.
    pub written_off: Money,
    /// Of `due`, still open.
    pub missing: Money,
    /// Payments received in the period and not reversed (customer-wide).
    pub received: Money,
    /// Payments received in the period and reversed since (customer-wide).
    pub reversed: Money,
    /// The charges still open, oldest due first.
    pub unpaid: Vec<UnpaidCharge>,
    /// True when nothing due in the period is missing.
    pub all_received: bool,
}

impl From<&crm_core::obligation::Reconciliation> for Reconciliation {
    fn from(r: &crm_core::obligation::Reconciliation) -> Self {
        Reconciliation {
            from: r.from,
            to: r.to,
            as_of: r.as_of,
            due: r.due.into(),
            paid: r.paid.into(),
            credited: r.credited.into(),
            written_off: r.written_off.into(),
            missing: r.missing.into(),
            received: r.received.into(),
            reversed: r.reversed.into(),
            unpaid: r
                .unpaid
                .iter()
                .map(|u| UnpaidCharge {
                    charge: u.charge_id.to_string(),
                    amount: u.amount.into(),
                    open: u.open.into(),
                    unpaid_since: u.unpaid_since,
                    days_past_due: u.days_past_due,
                })
                .collect(),
            all_received: r.all_received,
        }
    }
}

// -- collections ----------------------------------------------------------------------------------

/// What a collection action concerns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CollectionTarget {
    /// One line's charges.
    Line {
        /// The agreement.
        agreement: String,
        /// The line.
        line: String,
    },
    /// An agreement's charges tied to no line.
    Agreement {
        /// The agreement.
        agreement: String,
    },
    /// The whole account.
    Account {
        /// The customer.
        customer: String,
    },
}

/// Whether a collection action should be taken.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ActionStatus {
    /// Take it.
    Due,
    /// An approved exception covers it: do not take it.
    Suppressed {
        /// The exception.
        exception: String,
        /// Who approved it.
        approved_by: String,
        /// Until when it holds (null: until withdrawn).
        until: Option<SystemTime>,
        /// Why it was granted.
        reason: String,
    },
    /// The line's state makes it pointless or contradictory: do not take it.
    NotApplicable {
        /// The line's status, when known.
        line_status: Option<LineStatus>,
        /// Why.
        reason: String,
    },
}

/// A collection step reached by an obligation (the core's `CollectionAction`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CollectionAction {
    /// Stable key of the action (what `take_collection_action` names).
    pub key: String,
    /// The policy.
    pub policy: String,
    /// What it concerns.
    pub target: CollectionTarget,
    /// The step.
    pub step: CollectionStepKind,
    /// The step's position in the ladder (0-based).
    pub step_index: i64,
    /// The step's threshold in days past due.
    pub after_days: i64,
    /// Days past due of the oldest open charge of the obligation.
    pub days_past_due: i64,
    /// The due date of that charge.
    pub oldest_due_date: IsoDate,
    /// The open charges past due, oldest first.
    pub charge_ids: Vec<String>,
    /// Their open amount.
    pub overdue_amount: Money,
    /// The line concerned, if any.
    pub line: Option<String>,
    /// Its status, as the engine knows it.
    pub line_status: Option<LineStatus>,
    /// Why the step is reached, in words a service screen can show.
    pub reason: String,
    /// Take it, or why not.
    pub status: ActionStatus,
}

impl CollectionAction {
    pub(crate) fn from_core(a: &crm_core::obligation::CollectionAction) -> Out<Self> {
        use crm_core::obligation::{ActionStatus as S, CollectionTarget as T};
        let target = match &a.target {
            T::Line {
                agreement_id,
                line_id,
            } => CollectionTarget::Line {
                agreement: agreement_id.to_string(),
                line: line_id.to_string(),
            },
            T::Agreement { agreement_id } => CollectionTarget::Agreement {
                agreement: agreement_id.to_string(),
            },
            T::Account { customer_id } => CollectionTarget::Account {
                customer: customer_id.to_string(),
            },
        };
        let status = match &a.status {
            S::Due => ActionStatus::Due,
            S::Suppressed { suppression } => ActionStatus::Suppressed {
                exception: suppression.exception_id.to_string(),
                approved_by: suppression.approved_by.to_string(),
                until: suppression.until.map(from_instant),
                reason: suppression.reason.clone(),
            },
            S::NotApplicable {
                line_status,
                reason,
            } => ActionStatus::NotApplicable {
                line_status: line_status.map(LineStatus::try_from).transpose()?,
                reason: reason.clone(),
            },
        };
        Ok(CollectionAction {
            key: a.key.clone(),
            policy: a.policy.clone(),
            target,
            step: CollectionStepKind::try_from(a.step)?,
            step_index: signed(a.step_index),
            after_days: i64::from(a.after_days),
            days_past_due: a.days_past_due,
            oldest_due_date: a.oldest_due_date,
            charge_ids: strings(&a.charge_ids),
            overdue_amount: a.overdue_amount.into(),
            line: a.line_id.as_ref().map(ToString::to_string),
            line_status: a.line_status.map(LineStatus::try_from).transpose()?,
            reason: a.reason.clone(),
            status,
        })
    }
}

// -- processes ------------------------------------------------------------------------------------

/// One SLA clock (a step's or the whole instance's) against its target.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SlaClock {
    /// On track, at risk, breached or met.
    pub state: SlaState,
    /// The target.
    pub target: BusinessDuration,
    /// Business time counted so far (or until the end).
    pub used: BusinessDuration,
    /// Business time left before the deadline; zero once breached.
    pub remaining: BusinessDuration,
    /// Business time past the target; zero unless breached.
    pub overdue: BusinessDuration,
    /// The deadline (while paused: the deadline if it resumed at the status instant).
    pub deadline: SystemTime,
    /// True while the clock is stopped.
    pub clock_paused: bool,
}

impl SlaClock {
    fn from_core(s: &crm_core::process::SlaStatus) -> Out<Self> {
        Ok(SlaClock {
            state: SlaState::try_from(s.state)?,
            target: s.target.target.into(),
            used: s.used.into(),
            remaining: s.remaining.into(),
            overdue: s.overdue.into(),
            deadline: from_instant(s.deadline),
            clock_paused: s.clock_paused,
        })
    }
}

/// Where a process instance stands at an instant (the core's `InstanceStatus`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InstanceStatus {
    /// The instance.
    pub instance: String,
    /// The current step's id (the end step once ended).
    pub step: String,
    /// True once the instance reached an end step.
    pub ended: bool,
    /// The current step's clock, when the step has a target and the instance runs.
    pub step_sla: Option<SlaClock>,
    /// The whole instance's clock, when it has a resolution target.
    pub resolution: Option<SlaClock>,
}

impl InstanceStatus {
    pub(crate) fn from_core(s: &crm_core::process::InstanceStatus) -> Out<Self> {
        Ok(InstanceStatus {
            instance: s.instance.to_string(),
            step: s.step.clone(),
            ended: s.ended,
            step_sla: s.step_sla.as_ref().map(SlaClock::from_core).transpose()?,
            resolution: s.resolution.as_ref().map(SlaClock::from_core).transpose()?,
        })
    }
}

/// One run of a process definition; its data, targets and moves are in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessInstance {
    /// The instance's id.
    pub id: String,
    /// The definition it runs.
    pub definition: String,
    /// The definition's version.
    pub version: i64,
    /// The customer served.
    pub customer: String,
    /// The agreement concerned, if any.
    pub agreement: Option<String>,
    /// The business calendar its clocks run on.
    pub calendar: String,
    /// The current step's id (the end step once ended).
    pub step: String,
    /// When it started.
    pub started_at: SystemTime,
    /// When the current step was entered.
    pub entered_at: SystemTime,
    /// When it reached an end step.
    pub ended_at: Option<SystemTime>,
    /// Business time counted toward the resolution target in completed steps.
    pub active_time: BusinessDuration,
    /// How many moves were recorded.
    pub moves: i64,
    /// The whole instance as JSON (the JSON contract form).
    pub json: String,
}

impl ProcessInstance {
    pub(crate) fn from_core(
        crm: &crm_core::Crm,
        p: &crm_core::process::ProcessInstance,
    ) -> Out<Self> {
        let def = crm
            .process_definition(p.definition())
            .map_err(CrmError::from)?;
        Self::from_parts(def, p)
    }

    /// The record of `p`, an instance of `def` (which names its current step).
    pub(crate) fn from_parts(
        def: &crm_core::process::ProcessDefinition,
        p: &crm_core::process::ProcessInstance,
    ) -> Out<Self> {
        let step =
            def.step(p.current())
                .map(|s| s.id.clone())
                .ok_or_else(|| CrmError::Internal {
                    reason: format!("instance {} is in a step its definition lacks", p.id()),
                })?;
        Ok(ProcessInstance {
            id: p.id().to_string(),
            definition: p.definition().to_string(),
            version: i64::from(p.version()),
            customer: p.customer().to_string(),
            agreement: p.agreement().map(ToString::to_string),
            calendar: p.calendar().to_string(),
            step,
            started_at: from_instant(p.started_at()),
            entered_at: from_instant(p.entered_at()),
            ended_at: p.ended_at().map(from_instant),
            active_time: p.active_time().into(),
            moves: signed(p.moves().len()),
            json: json(p)?,
        })
    }
}

// -- interactions and audit -----------------------------------------------------------------------

/// One contact with a customer (the core's `Interaction`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Interaction {
    /// The host's id.
    pub id: String,
    /// The customer.
    pub customer: String,
    /// The channel of the contact.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// What an outbound contact is for.
    pub purpose: Option<Purpose>,
    /// What it was about (`complaint` ...).
    pub kind: String,
    /// When the contact began.
    pub started_at: SystemTime,
    /// When the organisation took it up.
    pub answered_at: Option<SystemTime>,
    /// When it ended; null while open.
    pub ended_at: Option<SystemTime>,
    /// What was said and done. May hold personal data.
    pub summary: String,
    /// Who handled it.
    pub performer: Option<String>,
    /// The queue it came through.
    pub queue: Option<String>,
    /// The sentiment measured, from -1 to 1, exact.
    pub sentiment: Option<ExactDecimal>,
    /// Customer satisfaction score, if given.
    pub csat: Option<i64>,
    /// Likelihood to recommend (0 to 10), if given.
    pub nps: Option<i64>,
    /// How it ended.
    pub outcome: Option<InteractionOutcome>,
    /// The process instance it started or advanced.
    pub process: Option<String>,
    /// The commitments made or touched in it.
    pub commitments: Vec<String>,
}

impl Interaction {
    pub(crate) fn from_core(i: &crm_core::interaction::Interaction) -> Out<Self> {
        Ok(Interaction {
            id: i.id.to_string(),
            customer: i.customer.to_string(),
            channel: Channel::try_from(i.channel)?,
            direction: Direction::try_from(i.direction)?,
            purpose: i.purpose.map(Purpose::try_from).transpose()?,
            kind: i.kind.clone(),
            started_at: from_instant(i.started_at),
            answered_at: i.answered_at.map(from_instant),
            ended_at: i.ended_at.map(from_instant),
            summary: i.summary.clone(),
            performer: i.performer.as_ref().map(ToString::to_string),
            queue: i.queue.clone(),
            sentiment: i.sentiment,
            csat: i.feedback.csat,
            nps: i.feedback.nps,
            outcome: i.outcome.map(InteractionOutcome::try_from).transpose()?,
            process: i.process.as_ref().map(ToString::to_string),
            commitments: strings(&i.commitments),
        })
    }
}

/// One record an audit finding names.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntityRef {
    /// What it is (`commitment`, `exception`, `interaction`, ...).
    pub entity: String,
    /// Its id (for a collection action: its key).
    pub id: String,
}

/// One contradiction in a customer's record (the core's audit `Finding`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Finding {
    /// What kind of contradiction.
    pub kind: FindingKind,
    /// How serious.
    pub severity: Severity,
    /// The customer.
    pub customer: String,
    /// The record that is wrong, in words.
    pub what: String,
    /// What it contradicts, in words.
    pub contradicts: String,
    /// The records involved: the wrong one first.
    pub ids: Vec<EntityRef>,
}

impl Finding {
    pub(crate) fn from_core(f: &crm_core::audit::Finding) -> Out<Self> {
        Ok(Finding {
            kind: FindingKind::try_from(f.kind)?,
            severity: Severity::try_from(f.severity)?,
            customer: f.customer.to_string(),
            what: f.what.clone(),
            contradicts: f.contradicts.clone(),
            ids: f
                .ids
                .iter()
                .map(|r| EntityRef {
                    entity: r.entity.clone(),
                    id: r.id.clone(),
                })
                .collect(),
        })
    }
}

// -- the 360 view ---------------------------------------------------------------------------------

/// The tier of a customer in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TierView {
    /// The tier.
    pub tier: String,
    /// True when no tier was assigned and this is the policy's baseline.
    pub baseline: bool,
    /// The tiering rule that matched, if any.
    pub rule: Option<String>,
    /// Why, as the tiering decision said.
    pub reasons: Vec<String>,
    /// When it was assigned.
    pub since: Option<SystemTime>,
}

/// A line in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LineView {
    /// The line.
    pub line: String,
    /// What was sold.
    pub offering: String,
    /// How many.
    pub quantity: i64,
    /// Its status at the view's instant (null before its first status).
    pub status: Option<LineStatus>,
}

/// An agreement in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgreementView {
    /// The agreement.
    pub agreement: String,
    /// Its revision.
    pub revision: i64,
    /// Every line with its status.
    pub lines: Vec<LineView>,
    /// The lines in service (active or installed).
    pub active_lines: Vec<String>,
}

/// Balance, overdue and aging in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MoneyView {
    /// The balance (positive: the customer owes).
    pub balance: Money,
    /// What is past due on the view's date.
    pub overdue: Money,
    /// The aging on the view's date (no grace days).
    pub aging: AgingReport,
}

/// An open process instance in a 360 view.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessView {
    /// The definition it runs.
    pub definition: String,
    /// When it started.
    pub started_at: SystemTime,
    /// Its step and SLA clocks.
    pub status: InstanceStatus,
}

/// Everything about one customer at an instant (the core's `Customer360`); the sentiment
/// trend is in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Customer360 {
    /// The customer.
    pub customer: String,
    /// The customer's name.
    pub name: String,
    /// The instant of the view.
    pub at: SystemTime,
    /// The tier and why; null without policies.
    pub tier: Option<TierView>,
    /// The agreements signed by the instant.
    pub agreements: Vec<AgreementView>,
    /// The entitlements and what remains of each.
    pub entitlements: Vec<EntitlementStatus>,
    /// Balance, overdue and aging; null without a ledger.
    pub money: Option<MoneyView>,
    /// The open process instances.
    pub open_processes: Vec<ProcessView>,
    /// The commitments open at the instant.
    pub open_commitments: Vec<Commitment>,
    /// Those of them past due.
    pub overdue_commitments: Vec<String>,
    /// The last interactions, newest first.
    pub interactions: Vec<Interaction>,
    /// The audit's findings.
    pub alerts: Vec<Finding>,
    /// The whole view as JSON (the JSON contract form).
    pub json: String,
}

impl Customer360 {
    pub(crate) fn from_core(v: &crm_core::view::Customer360) -> Out<Self> {
        let agreements = all(&v.agreements, |a| {
            Ok(AgreementView {
                agreement: a.agreement.to_string(),
                revision: i64::from(a.revision),
                lines: all(&a.lines, |l| {
                    Ok(LineView {
                        line: l.line.to_string(),
                        offering: l.offering.to_string(),
                        quantity: i64::from(l.quantity),
                        status: l.status.map(LineStatus::try_from).transpose()?,
                    })
                })?,
                active_lines: strings(&a.active_lines),
            })
        })?;
        let open_processes = all(&v.open_processes, |p| {
            Ok(ProcessView {
                definition: p.definition.to_string(),
                started_at: from_instant(p.started_at),
                status: InstanceStatus::from_core(&p.status)?,
            })
        })?;
        Ok(Customer360 {
            customer: v.customer.to_string(),
            name: v.name.clone(),
            at: from_instant(v.at),
            tier: v.tier.as_ref().map(|t| TierView {
                tier: t.tier.clone(),
                baseline: t.baseline,
                rule: t.rule.clone(),
                reasons: t.reasons.clone(),
                since: t.since.map(from_instant),
            }),
            agreements,
            entitlements: all(&v.entitlements, EntitlementStatus::from_core)?,
            money: v.money.as_ref().map(|m| MoneyView {
                balance: m.balance.into(),
                overdue: m.overdue.into(),
                aging: AgingReport::from(&m.aging),
            }),
            open_processes,
            open_commitments: all(&v.open_commitments, Commitment::from_core)?,
            overdue_commitments: strings(&v.overdue_commitments),
            interactions: all(&v.interactions, Interaction::from_core)?,
            alerts: all(&v.alerts, Finding::from_core)?,
            json: json(v)?,
        })
    }
}

// -- commitments, usage, tiers, compensation ------------------------------------------------------

/// A party of a commitment: who made it, or who must keep it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Party {
    /// A unit of the organisation (`back office`, `carrier catering`).
    Organisation {
        /// The unit.
        unit: String,
    },
    /// An employee.
    Employee {
        /// The employee's actor id.
        employee: String,
    },
    /// A channel partner.
    Partner {
        /// The partner's id.
        partner: String,
    },
    /// The customer.
    Customer {
        /// The customer's id.
        customer: String,
    },
}

impl Party {
    fn from_core(p: &crm_core::agreement::PartyRef) -> Out<Self> {
        use crm_core::agreement::PartyRef as P;
        #[allow(unreachable_patterns, reason = "the core enum may be non_exhaustive")]
        match p {
            P::Organisation { unit } => Ok(Party::Organisation { unit: unit.clone() }),
            P::Employee { employee } => Ok(Party::Employee {
                employee: employee.to_string(),
            }),
            P::Partner { partner } => Ok(Party::Partner {
                partner: partner.to_string(),
            }),
            P::Customer { customer } => Ok(Party::Customer {
                customer: customer.to_string(),
            }),
            other => Err(CrmError::Internal {
                reason: format!("party {other:?} has no binding yet: update crm-ffi"),
            }),
        }
    }
}

/// A promise made to a customer (the core's `Commitment`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Commitment {
    /// The commitment's id.
    pub id: String,
    /// The customer it was made to.
    pub customer: String,
    /// The agreement it concerns, if any.
    pub agreement: Option<String>,
    /// What was promised.
    pub description: String,
    /// Who made it.
    pub made_by: Party,
    /// Who must keep it.
    pub responsible: Party,
    /// When it was made.
    pub made_at: SystemTime,
    /// When it is due.
    pub due_at: SystemTime,
    /// Open, kept, broken or cancelled.
    pub state: CommitmentState,
    /// When it was closed.
    pub closed_at: Option<SystemTime>,
    /// Why it was broken or cancelled.
    pub close_reason: Option<String>,
}

impl Commitment {
    pub(crate) fn from_core(c: &crm_core::agreement::Commitment) -> Out<Self> {
        Ok(Commitment {
            id: c.id.to_string(),
            customer: c.customer.to_string(),
            agreement: c.agreement.as_ref().map(ToString::to_string),
            description: c.description.clone(),
            made_by: Party::from_core(&c.made_by)?,
            responsible: Party::from_core(&c.responsible)?,
            made_at: from_instant(c.made_at),
            due_at: from_instant(c.due_at),
            state: CommitmentState::try_from(c.state)?,
            closed_at: c.closed_at.map(from_instant),
            close_reason: c.close_reason.clone(),
        })
    }
}

/// One use of an entitlement (the core's `UsageRecord`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UsageRecord {
    /// The usage id.
    pub id: String,
    /// The entitlement used.
    pub entitlement: String,
    /// Its agreement.
    pub agreement: String,
    /// Its line.
    pub line: String,
    /// The asset concerned, if any.
    pub asset: Option<String>,
    /// When it was used.
    pub at: SystemTime,
    /// How much was used (uses or units).
    pub quantity: ExactDecimal,
    /// The money used, for a money allowance.
    pub amount: Option<Money>,
    /// The channel it was asked on.
    pub channel: Channel,
    /// The exceptions that allowed it.
    pub exceptions: Vec<String>,
    /// When it was reversed, if it was.
    pub reversed_at: Option<SystemTime>,
    /// Who reversed it.
    pub reversed_by: Option<String>,
    /// Why it was reversed.
    pub reversal_reason: Option<String>,
}

impl UsageRecord {
    pub(crate) fn from_core(u: &crm_core::entitlement::UsageRecord) -> Out<Self> {
        Ok(UsageRecord {
            id: u.id.to_string(),
            entitlement: u.entitlement.to_string(),
            agreement: u.agreement.to_string(),
            line: u.line.to_string(),
            asset: u.asset.as_ref().map(ToString::to_string),
            at: from_instant(u.at),
            quantity: u.quantity,
            amount: u.amount.map(Money::from),
            channel: Channel::try_from(u.channel)?,
            exceptions: strings(&u.exceptions),
            reversed_at: u.reversed.as_ref().map(|r| from_instant(r.at)),
            reversed_by: u.reversed.as_ref().map(|r| r.by.to_string()),
            reversal_reason: u.reversed.as_ref().map(|r| r.reason.clone()),
        })
    }
}

/// A customer's change of tier (the core's `TierChanged`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TierChange {
    /// The customer.
    pub customer: String,
    /// The tier before (null: never tiered).
    pub from: Option<String>,
    /// The tier after.
    pub to: String,
    /// The tiering rule that matched, if any.
    pub rule: Option<String>,
    /// Why, as the tiering decision said.
    pub reasons: Vec<String>,
    /// When it changed.
    pub at: SystemTime,
}

impl From<&crm_core::policy::TierChanged> for TierChange {
    fn from(t: &crm_core::policy::TierChanged) -> Self {
        TierChange {
            customer: t.customer.to_string(),
            from: t.from.clone(),
            to: t.to.clone(),
            rule: t.rule.clone(),
            reasons: t.reasons.clone(),
            at: from_instant(t.at),
        }
    }
}

/// Compensation granted for a complaint (the core's `CompensationGranted`); a waived fee is in
/// `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CompensationGrant {
    /// The customer.
    pub customer: String,
    /// The complaint (an interaction id).
    pub complaint: String,
    /// True when the offer includes an apology.
    pub apology: bool,
    /// The credit granted, if any.
    pub credit: Option<Money>,
    /// The charge whose fee was waived, if any.
    pub waived_charge: Option<String>,
    /// True when a replacement is offered.
    pub replacement: bool,
    /// The offering of an upgrade, if one is offered.
    pub upgrade: Option<String>,
    /// The money value counted against the tier's cap.
    pub value: Money,
    /// The rule that decided.
    pub rule: Option<String>,
    /// Who approved, when approval was required.
    pub approved_by: Option<String>,
    /// The role approval was required from.
    pub approver_role: Option<String>,
    /// When it was granted.
    pub at: SystemTime,
    /// The whole grant as JSON.
    pub json: String,
}

impl CompensationGrant {
    pub(crate) fn from_core(g: &crm_core::policy::CompensationGranted) -> Out<Self> {
        Ok(CompensationGrant {
            customer: g.customer.to_string(),
            complaint: g.complaint.to_string(),
            apology: g.offer.apology,
            credit: g.offer.credit.map(Money::from),
            waived_charge: g.offer.fee_waiver.as_ref().map(|f| f.charge.to_string()),
            replacement: g.offer.replacement,
            upgrade: g.offer.upgrade.as_ref().map(ToString::to_string),
            value: g.value.into(),
            rule: g.rule.clone(),
            approved_by: g.approved_by.as_ref().map(ToString::to_string),
            approver_role: g.approver_role.clone(),
            at: from_instant(g.at),
            json: json(g)?,
        })
    }
}

// -- entitlements, measures, accountability, process reports, payment plans -----------------------

/// The serde tag (`type`) of a tagged core value, e.g. `quota` for an entitlement kind.
fn tag_of<T: Serialize>(v: &T) -> Out<String> {
    let value = serde_json::to_value(v).map_err(|e| CrmError::from(crm_core::Error::from(e)))?;
    Ok(value
        .get("type")
        .and_then(serde_json::Value::as_str)
        .or_else(|| value.as_str())
        .unwrap_or_default()
        .to_string())
}

/// An entitlement of a customer as it stands at an instant (the core's `EntitlementStatus`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntitlementStatus {
    /// The entitlement code.
    pub code: String,
    /// The entitlement, its agreement and line.
    pub source: crate::MatchedEntitlement,
    /// Its kind's tag (`access`, `quota`, `service_level`, `money_allowance`,
    /// `unit_allowance`); the kind's parameters are in `json`.
    pub kind: String,
    /// From when it is valid.
    pub valid_from: SystemTime,
    /// Until when it is valid, if it ends.
    pub valid_to: Option<SystemTime>,
    /// True when a request for one unit would be granted now.
    pub usable: bool,
    /// What remains in the window, for a counted entitlement.
    pub remaining: Option<crate::Remaining>,
    /// When a unit frees up next, if the window is used up.
    pub next_available: Option<SystemTime>,
    /// Why it is usable or not, in order.
    pub reasons: Vec<crate::Reason>,
    /// The whole status as JSON.
    pub json: String,
}

impl EntitlementStatus {
    pub(crate) fn from_core(e: &crm_core::entitlement::EntitlementStatus) -> Out<Self> {
        Ok(EntitlementStatus {
            code: e.code.clone(),
            source: crate::MatchedEntitlement::from_core(&e.source),
            kind: tag_of(&e.kind)?,
            valid_from: from_instant(e.valid_from),
            valid_to: e.valid_to.map(from_instant),
            usable: e.usable,
            remaining: e.remaining.as_ref().map(crate::Remaining::from_core),
            next_available: e.next_available.map(from_instant),
            reasons: crate::Reason::list(&e.reasons).map_err(CrmError::from)?,
            json: json(e)?,
        })
    }
}

/// Service measures over a period (the core's `ServiceMeasures`); shares are fractions from 0
/// to 1, null when nothing was counted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServiceMeasures {
    /// Contacts in the period.
    pub contacts: i64,
    /// Of them, inbound.
    pub inbound: i64,
    /// Of them, outbound.
    pub outbound: i64,
    /// Inbound contacts offered to the organisation.
    pub offered: i64,
    /// Of them, answered.
    pub answered: i64,
    /// Of them, abandoned.
    pub abandoned: i64,
    /// Of them, still waiting.
    pub waiting: i64,
    /// Answered / offered.
    pub answered_share: Option<ExactDecimal>,
    /// Abandoned / offered.
    pub abandoned_share: Option<ExactDecimal>,
    /// Average speed of answer, in seconds.
    pub average_speed_of_answer_seconds: Option<ExactDecimal>,
    /// Contacts handled to the end.
    pub handled: i64,
    /// Average handling time, in seconds.
    pub average_handling_time_seconds: Option<ExactDecimal>,
    /// Resolved in the first contact.
    pub resolved_first_contact: i64,
    /// Resolved in the first contact / handled.
    pub one_touch_resolution_share: Option<ExactDecimal>,
    /// Transferred with the contact kept open.
    pub transferred_warm: i64,
    /// Transferred after the contact ended.
    pub transferred_cold: i64,
    /// Transferred / handled.
    pub transfer_share: Option<ExactDecimal>,
    /// Needing another contact.
    pub follow_up_needed: i64,
    /// Contacts with a sentiment.
    pub sentiment_count: i64,
    /// Their average sentiment.
    pub average_sentiment: Option<ExactDecimal>,
    /// Process instances with a resolution target.
    pub sla_with_target: i64,
    /// Of them, met.
    pub sla_met: i64,
    /// Of them, breached.
    pub sla_breached: i64,
    /// Met / with target.
    pub sla_share: Option<ExactDecimal>,
    /// Satisfaction answers.
    pub csat_responses: i64,
    /// Their average.
    pub csat_average: Option<ExactDecimal>,
    /// Answers per score, lowest first.
    pub csat_distribution: Vec<i64>,
    /// Recommendation answers.
    pub nps_responses: i64,
    /// Of them, promoters (9, 10).
    pub nps_promoters: i64,
    /// Of them, passives (7, 8).
    pub nps_passives: i64,
    /// Of them, detractors (0 to 6).
    pub nps_detractors: i64,
    /// The net promoter score.
    pub nps_score: Option<ExactDecimal>,
    /// The whole measures as JSON (period and filter included).
    pub json: String,
}

impl ServiceMeasures {
    pub(crate) fn from_core(m: &crm_core::measures::ServiceMeasures) -> Out<Self> {
        Ok(ServiceMeasures {
            contacts: signed(m.contacts),
            inbound: signed(m.inbound),
            outbound: signed(m.outbound),
            offered: signed(m.offered),
            answered: signed(m.answered),
            abandoned: signed(m.abandoned),
            waiting: signed(m.waiting),
            answered_share: m.answered_share,
            abandoned_share: m.abandoned_share,
            average_speed_of_answer_seconds: m.average_speed_of_answer_seconds,
            handled: signed(m.handled),
            average_handling_time_seconds: m.average_handling_time_seconds,
            resolved_first_contact: signed(m.resolved_first_contact),
            one_touch_resolution_share: m.one_touch_resolution_share,
            transferred_warm: signed(m.transferred_warm),
            transferred_cold: signed(m.transferred_cold),
            transfer_share: m.transfer_share,
            follow_up_needed: signed(m.follow_up_needed),
            sentiment_count: signed(m.sentiment_count),
            average_sentiment: m.average_sentiment,
            sla_with_target: signed(m.sla.with_target),
            sla_met: signed(m.sla.met),
            sla_breached: signed(m.sla.breached),
            sla_share: m.sla.share,
            csat_responses: signed(m.csat.responses),
            csat_average: m.csat.average,
            csat_distribution: m.csat.distribution.iter().map(|n| signed(*n)).collect(),
            nps_responses: signed(m.nps.responses),
            nps_promoters: signed(m.nps.promoters),
            nps_passives: signed(m.nps.passives),
            nps_detractors: signed(m.nps.detractors),
            nps_score: m.nps.score,
            json: json(m)?,
        })
    }
}

/// Commitments counted by how they stand (the core's accountability `Tally`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CommitmentTally {
    /// Open and not yet due.
    pub open_on_time: i64,
    /// Open and past due.
    pub overdue: i64,
    /// Kept by the due time.
    pub kept_on_time: i64,
    /// Kept after the due time.
    pub kept_late: i64,
    /// Broken.
    pub broken: i64,
    /// Cancelled.
    pub cancelled: i64,
}

impl From<&crm_core::accountability::Tally> for CommitmentTally {
    fn from(t: &crm_core::accountability::Tally) -> Self {
        CommitmentTally {
            open_on_time: signed(t.open_on_time),
            overdue: signed(t.overdue),
            kept_on_time: signed(t.kept_on_time),
            kept_late: signed(t.kept_late),
            broken: signed(t.broken),
            cancelled: signed(t.cancelled),
        }
    }
}

/// One responsible party's record of commitments.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PartyAccountability {
    /// The party responsible.
    pub responsible: Party,
    /// Its commitments by how they stand.
    pub counts: CommitmentTally,
    /// Broken / its closed commitments.
    pub broken_share: Option<ExactDecimal>,
    /// Overdue / its open commitments.
    pub overdue_share: Option<ExactDecimal>,
    /// Its share of every broken commitment.
    pub share_of_all_broken: Option<ExactDecimal>,
    /// Its share of every overdue commitment.
    pub share_of_all_overdue: Option<ExactDecimal>,
    /// Its average delay, in seconds.
    pub average_delay_seconds: Option<ExactDecimal>,
    /// Its broken commitments.
    pub broken: Vec<Commitment>,
    /// Its overdue commitments.
    pub overdue: Vec<Commitment>,
}

/// A partner's scorecard: promises it must keep and promises it made for others.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PartnerScorecard {
    /// The partner.
    pub partner: String,
    /// The commitments it is responsible for.
    pub responsible: CommitmentTally,
    /// Kept on time / its closed commitments.
    pub on_time_share: Option<ExactDecimal>,
    /// Its average delay, in seconds.
    pub average_delay_seconds: Option<ExactDecimal>,
    /// The commitments it made (whoever must keep them).
    pub made: CommitmentTally,
}

/// Broken and overdue commitments by responsible party at an instant (the core's
/// `AccountabilityReport`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountabilityReport {
    /// The instant of the report.
    pub at: SystemTime,
    /// Every commitment by how it stands.
    pub totals: CommitmentTally,
    /// The average delay of every late commitment, in seconds.
    pub average_delay_seconds: Option<ExactDecimal>,
    /// Per responsible party.
    pub parties: Vec<PartyAccountability>,
    /// Per partner.
    pub partners: Vec<PartnerScorecard>,
}

impl AccountabilityReport {
    pub(crate) fn from_core(r: &crm_core::accountability::AccountabilityReport) -> Out<Self> {
        let commitments = |lines: &[crm_core::accountability::CommitmentLine]| {
            all(lines, |l| Commitment::from_core(&l.commitment))
        };
        Ok(AccountabilityReport {
            at: from_instant(r.at),
            totals: (&r.totals).into(),
            average_delay_seconds: r.average_delay_seconds,
            parties: all(&r.parties, |p| {
                Ok(PartyAccountability {
                    responsible: Party::from_core(&p.responsible)?,
                    counts: (&p.counts).into(),
                    broken_share: p.broken_share,
                    overdue_share: p.overdue_share,
                    share_of_all_broken: p.share_of_all_broken,
                    share_of_all_overdue: p.share_of_all_overdue,
                    average_delay_seconds: p.average_delay_seconds,
                    broken: commitments(&p.broken)?,
                    overdue: commitments(&p.overdue)?,
                })
            })?,
            partners: r
                .partners
                .iter()
                .map(|p| PartnerScorecard {
                    partner: p.partner.to_string(),
                    responsible: (&p.responsible).into(),
                    on_time_share: p.on_time_share,
                    average_delay_seconds: p.average_delay_seconds,
                    made: (&p.made).into(),
                })
                .collect(),
        })
    }
}

/// Time in one step of a process definition across its instances.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StepStats {
    /// The step's id.
    pub step: String,
    /// Times the step was left.
    pub count: i64,
    /// Mean business time in the step.
    pub mean: BusinessDuration,
    /// Median.
    pub p50: BusinessDuration,
    /// 90th percentile.
    pub p90: BusinessDuration,
    /// Longest.
    pub max: BusinessDuration,
    /// Visits with a step target.
    pub with_target: i64,
    /// Of them, breached.
    pub breached: i64,
    /// Breached / with target.
    pub breach_share: ExactDecimal,
    /// Instances in the step now.
    pub open: i64,
}

/// Time per step, breaches, bottlenecks and workload of a definition (the core's
/// `ProcessReport`); bottlenecks and performers' workload are in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProcessReport {
    /// The definition.
    pub definition: String,
    /// Its version.
    pub version: i64,
    /// Instances started.
    pub instances: i64,
    /// Of them, ended.
    pub ended: i64,
    /// Moves recorded.
    pub moves: i64,
    /// Instances with a resolution target.
    pub resolution_with_target: i64,
    /// Of them, breached.
    pub resolution_breached: i64,
    /// Breached / with target.
    pub resolution_breach_share: ExactDecimal,
    /// Per step.
    pub steps: Vec<StepStats>,
    /// The whole report as JSON.
    pub json: String,
}

impl ProcessReport {
    pub(crate) fn from_core(r: &crm_core::process::ProcessReport) -> Out<Self> {
        Ok(ProcessReport {
            definition: r.definition.to_string(),
            version: i64::from(r.version),
            instances: signed(r.instances),
            ended: signed(r.ended),
            moves: signed(r.moves),
            resolution_with_target: signed(r.resolution_with_target),
            resolution_breached: signed(r.resolution_breached),
            resolution_breach_share: r.resolution_breach_share,
            steps: r
                .steps
                .iter()
                .map(|s| StepStats {
                    step: s.step.clone(),
                    count: signed(s.count),
                    mean: s.mean.into(),
                    p50: s.p50.into(),
                    p90: s.p90.into(),
                    max: s.max.into(),
                    with_target: signed(s.with_target),
                    breached: signed(s.breached),
                    breach_share: s.breach_share,
                    open: signed(s.open),
                })
                .collect(),
            json: json(r)?,
        })
    }
}

/// What a customer owes for a line, and when (the core's `PaymentPlan`); the schedule is in
/// `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaymentPlan {
    /// The plan's id (`<line>.<code>` for plans a sale creates).
    pub id: String,
    /// The customer.
    pub customer: String,
    /// The agreement.
    pub agreement: String,
    /// The line, if any.
    pub line: Option<String>,
    /// What it pays for (`sale`, `service`, `consumption`).
    pub payment_type: String,
    /// The schedule's tag (`one_time`, `installments`, `recurring`, `usage`).
    pub periodicity: String,
    /// The whole plan as JSON.
    pub json: String,
}

impl PaymentPlan {
    pub(crate) fn from_core(p: &crm_core::obligation::PaymentPlan) -> Out<Self> {
        Ok(PaymentPlan {
            id: p.id.to_string(),
            customer: p.customer_id.to_string(),
            agreement: p.agreement_id.to_string(),
            line: p.line_id.as_ref().map(ToString::to_string),
            payment_type: tag_of(&p.payment_type)?,
            periodicity: tag_of(&p.periodicity)?,
            json: json(p)?,
        })
    }
}

// -- service levels, exceptions, ledger totals ----------------------------------------------------

/// The response and resolution targets for a request kind and priority (the core's
/// `ServiceLevelTargets`): the shortest of the entitlement's, the tier's and the baseline's.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServiceLevelTargets {
    /// The service-level entitlement, its agreement and line.
    pub source: crate::MatchedEntitlement,
    /// The business calendar the targets run on.
    pub calendar: String,
    /// The priority asked for.
    pub priority: String,
    /// Time to first response.
    pub response: BusinessDuration,
    /// Time to resolution.
    pub resolution: BusinessDuration,
    /// The customer's tier, when policies took part.
    pub tier: Option<String>,
    /// Which targets the tier shortened (`response`, `resolution`).
    pub shortened_by_tier: Vec<String>,
    /// The tier policy's reasons.
    pub tier_reasons: Vec<String>,
}

impl From<&crm_core::entitlement::ServiceLevelTargets> for ServiceLevelTargets {
    fn from(s: &crm_core::entitlement::ServiceLevelTargets) -> Self {
        ServiceLevelTargets {
            source: crate::MatchedEntitlement::from_core(&s.source),
            calendar: s.calendar.to_string(),
            priority: s.priority.clone(),
            response: s.response.into(),
            resolution: s.resolution.into(),
            tier: s.tier.clone(),
            shortened_by_tier: s.shortened_by_tier.clone(),
            tier_reasons: s.tier_reasons.clone(),
        }
    }
}

/// An approved exception (the core's `Exception`; named so in Kotlin it does not shadow
/// `kotlin.Exception`). Its scope and effect are given by tag here and whole in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ApprovedException {
    /// The exception's id.
    pub id: String,
    /// The customer.
    pub customer: String,
    /// The agreement, if it concerns one.
    pub agreement: Option<String>,
    /// What it covers: `agreement`, `line`, `entitlement`, `payment_plan`, `charge`,
    /// `commitment`, `process_step`.
    pub scope: String,
    /// What it does: `allow`, `suspend`, `extend`.
    pub effect: String,
    /// Until when an `extend` effect extends.
    pub extended_until: Option<SystemTime>,
    /// Who approved it.
    pub approved_by: String,
    /// Why.
    pub reason: String,
    /// From when it holds.
    pub valid_from: SystemTime,
    /// Until when it holds, if it ends.
    pub valid_to: Option<SystemTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<SystemTime>,
    /// The whole exception as JSON.
    pub json: String,
}

impl ApprovedException {
    pub(crate) fn from_core(e: &crm_core::agreement::Exception) -> Out<Self> {
        let extended_until = match &e.effect {
            crm_core::agreement::ExceptionEffect::Extend { until } => Some(from_instant(*until)),
            _ => None,
        };
        Ok(ApprovedException {
            id: e.id.to_string(),
            customer: e.customer.to_string(),
            agreement: e.agreement.as_ref().map(ToString::to_string),
            scope: tag_of(&e.scope)?,
            effect: tag_of(&e.effect)?,
            extended_until,
            approved_by: e.approved_by.to_string(),
            reason: e.reason.clone(),
            valid_from: from_instant(e.valid_from),
            valid_to: e.valid_to.map(from_instant),
            revoked_at: e.revoked.as_ref().map(|r| from_instant(r.at)),
            json: json(e)?,
        })
    }
}

/// The totals of a customer's ledger (the core's `LedgerTotals`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerTotals {
    /// Every charge's amount.
    pub charged: Money,
    /// The signed sum of the adjustments.
    pub adjustments: Money,
    /// Payments received and not reversed.
    pub received: Money,
    /// Credits granted.
    pub credited: Money,
    /// Written off.
    pub written_off: Money,
    /// Still open on the charges.
    pub open: Money,
    /// What payments and credits brought in beyond what was applied.
    pub credit_balance: Money,
    /// What the customer owes (negative: what the customer has with us).
    pub balance: Money,
}

impl From<&crm_core::obligation::LedgerTotals> for LedgerTotals {
    fn from(t: &crm_core::obligation::LedgerTotals) -> Self {
        LedgerTotals {
            charged: t.charged.into(),
            adjustments: t.adjustments.into(),
            received: t.received.into(),
            credited: t.credited.into(),
            written_off: t.written_off.into(),
            open: t.open.into(),
            credit_balance: t.credit_balance.into(),
            balance: t.balance.into(),
        }
    }
}

// -- policy decisions -----------------------------------------------------------------------------

/// A tiering decision for one customer (the core's `TierDecision`); the matched conditions are
/// in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TierDecision {
    /// The customer.
    pub customer: String,
    /// The tier decided.
    pub tier: String,
    /// The tier before, if any.
    pub previous: Option<String>,
    /// True when the tier differs from `previous`.
    pub changed: bool,
    /// The rule that matched (null: the baseline tier).
    pub rule: Option<String>,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// The instant of the decision.
    pub at: SystemTime,
    /// The whole decision as JSON.
    pub json: String,
}

impl TierDecision {
    pub(crate) fn from_core(d: &crm_core::policy::TierDecision) -> Out<Self> {
        Ok(TierDecision {
            customer: d.customer.to_string(),
            tier: d.tier.clone(),
            previous: d.previous.clone(),
            changed: d.changed,
            rule: d.rule.clone(),
            reasons: d.reasons.clone(),
            at: from_instant(d.at),
            json: json(d)?,
        })
    }
}

/// A customer a tiering batch could not decide, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TieringFailure {
    /// The customer.
    pub customer: String,
    /// The error's kind tag (`validation`, `not_found`, ... as in docs/errors.md).
    pub kind: String,
    /// The core's message.
    pub detail: String,
}

/// The decisions of a tiering batch, in input order, and the customers it could not decide.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TieringBatch {
    /// One decision per customer decided.
    pub decisions: Vec<TierDecision>,
    /// One failure per customer not decided.
    pub failures: Vec<TieringFailure>,
}

impl TieringBatch {
    pub(crate) fn from_core(b: &crm_core::policy::TieringBatch) -> Out<Self> {
        Ok(TieringBatch {
            decisions: all(&b.decisions, TierDecision::from_core)?,
            failures: all(&b.failures, |f| {
                Ok(TieringFailure {
                    customer: f.customer.to_string(),
                    kind: tag_of(&f.error.kind())?,
                    detail: f.error.to_string(),
                })
            })?,
        })
    }
}

/// The compensation decided for a complaint (the core's `CompensationDecision`); the offer
/// proposed before the cap, the cap and the matched conditions are in `json`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CompensationDecision {
    /// The customer.
    pub customer: String,
    /// The complaint (an interaction id).
    pub complaint: String,
    /// The customer's tier.
    pub tier: String,
    /// The rule that decided, if any.
    pub rule: Option<String>,
    /// True when the offer includes an apology.
    pub apology: bool,
    /// The credit offered, if any.
    pub credit: Option<Money>,
    /// The charge whose fee is waived, if any.
    pub waived_charge: Option<String>,
    /// True when a replacement is offered.
    pub replacement: bool,
    /// The offering of an upgrade, if one is offered.
    pub upgrade: Option<String>,
    /// True when the cap reduced the proposed offer.
    pub reduced: bool,
    /// The money value of the offer, counted against the cap.
    pub value: Money,
    /// Granted already in the cap's period.
    pub granted_in_period: Money,
    /// What the cap leaves after this offer.
    pub cap_remaining: Money,
    /// The role whose approval the offer needs, if any.
    pub approval_role: Option<String>,
    /// Why approval is needed, if it is.
    pub approval_reason: Option<String>,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// The instant of the decision.
    pub at: SystemTime,
    /// The whole decision as JSON.
    pub json: String,
}

impl CompensationDecision {
    pub(crate) fn from_core(d: &crm_core::policy::CompensationDecision) -> Out<Self> {
        Ok(CompensationDecision {
            customer: d.customer.to_string(),
            complaint: d.complaint.to_string(),
            tier: d.tier.clone(),
            rule: d.rule.clone(),
            apology: d.offer.apology,
            credit: d.offer.credit.map(Money::from),
            waived_charge: d.offer.fee_waiver.as_ref().map(|f| f.charge.to_string()),
            replacement: d.offer.replacement,
            upgrade: d.offer.upgrade.as_ref().map(ToString::to_string),
            reduced: d.reduced,
            value: d.value.into(),
            granted_in_period: d.granted_in_period.into(),
            cap_remaining: d.cap_remaining.into(),
            approval_role: d.approval.as_ref().map(|a| a.role.clone()),
            approval_reason: d.approval.as_ref().map(|a| a.reason.clone()),
            reasons: d.reasons.clone(),
            at: from_instant(d.at),
            json: json(d)?,
        })
    }
}

// -- business calendars ---------------------------------------------------------------------------

/// One working interval of a day (the core's `WorkingInterval`), as seconds of the local day.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WorkingHours {
    /// Its start, in seconds after local midnight.
    pub start_secs: i64,
    /// Its end, in seconds after local midnight (86400 for an interval that runs to midnight).
    pub end_secs: i64,
    /// The core's readable form, `09:00-17:00`.
    pub text: String,
}

impl WorkingHours {
    fn list(intervals: &[crm_core::calendar::WorkingInterval]) -> Vec<Self> {
        intervals
            .iter()
            .map(|i| WorkingHours {
                start_secs: i64::from(i.start_secs()),
                end_secs: i64::from(i.end_secs()),
                text: i.to_string(),
            })
            .collect()
    }
}

/// A holiday of a business calendar: closed all day, or open only in `hours`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Holiday {
    /// The date (local to the calendar's zone).
    pub date: IsoDate,
    /// Its name.
    pub name: String,
    /// The working hours of that day; empty when closed all day.
    pub hours: Vec<WorkingHours>,
}

/// A business calendar (the core's `BusinessCalendar`): a zone, weekly working hours and
/// holidays. `json` is its JSON contract form, which `BusinessClock(json)` takes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BusinessCalendar {
    /// The calendar's id.
    pub id: String,
    /// Its IANA time zone (`Europe/Berlin`).
    pub zone: String,
    /// Monday's working hours (empty when closed).
    pub monday: Vec<WorkingHours>,
    /// Tuesday's working hours.
    pub tuesday: Vec<WorkingHours>,
    /// Wednesday's working hours.
    pub wednesday: Vec<WorkingHours>,
    /// Thursday's working hours.
    pub thursday: Vec<WorkingHours>,
    /// Friday's working hours.
    pub friday: Vec<WorkingHours>,
    /// Saturday's working hours.
    pub saturday: Vec<WorkingHours>,
    /// Sunday's working hours.
    pub sunday: Vec<WorkingHours>,
    /// The holidays, by date.
    pub holidays: Vec<Holiday>,
    /// Business time of a week without holidays and clock changes.
    pub weekly_business_time: BusinessDuration,
    /// The whole calendar as JSON (the JSON contract form).
    pub json: String,
}

impl BusinessCalendar {
    pub(crate) fn from_core(c: &crm_core::calendar::BusinessCalendar) -> Out<Self> {
        use chrono::Weekday as W;
        let day = |d: W| WorkingHours::list(c.week().get(d));
        Ok(BusinessCalendar {
            id: c.id().to_string(),
            zone: c.zone().name().to_string(),
            monday: day(W::Mon),
            tuesday: day(W::Tue),
            wednesday: day(W::Wed),
            thursday: day(W::Thu),
            friday: day(W::Fri),
            saturday: day(W::Sat),
            sunday: day(W::Sun),
            holidays: c
                .holidays()
                .iter()
                .map(|h| Holiday {
                    date: h.date(),
                    name: h.name().to_string(),
                    hours: WorkingHours::list(h.hours()),
                })
                .collect(),
            weekly_business_time: c.weekly_business_time().into(),
            json: json(c)?,
        })
    }
}
