//! Obligations in the engine: payment plans on agreements, charge generation, the ledger of
//! every customer, and collections.
//!
//! - Plans come from the offering's templates at sale (`create_agreement`, `add_line`) or by
//!   amendment (`add_payment_plan`, `change_price`).
//! - `generate_charges` turns every plan of a customer into charges up to a date, using the
//!   line's status history (proration, suspension, termination) and the rated usage supplied
//!   with `record_rated_usage`.
//! - Payments, reversals, credits, adjustments and write-offs go to the customer's ledger
//!   (stream `ledger/<customer>`); an id seen before with the same content returns the first
//!   result and records nothing.
//! - Collections run a registered policy over the ledger with the engine's knowledge of line
//!   states, exceptions and actions already taken; taking a `restrict` action restricts the
//!   line, which the entitlement check then sees.

use super::Crm;
use super::command::Metadata;
use super::event::{Event, EventEnvelope, agreement_stream, ledger_stream};
use super::state::CrmState;
use crate::Instant;
use crate::agreement::{Agreement, ExceptionScope, LineAction, LineStatus};
use crate::catalog::Offering;
use crate::entitlement::CustomerStanding;
use crate::error::{Error, Result};
use crate::ids::{AgreementId, ChargeId, CustomerId, EntryId, LineId, PlanId};
use crate::money::Money;
use crate::obligation::{
    ActionStatus, Adjustment, AgingReport, AllocationRule, ChargeChange, CollectionAction,
    CollectionContext, CollectionPolicy, CollectionPolicyScope, CollectionStepKind,
    CollectionTarget, Credit, FundingSource, Ledger, PaymentPlan, PeriodUsage, Periodicity,
    Reconciliation, ScheduleInput, Scope, Statement, StatusChange, Suppression, collection_actions,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The plans a sale of `quantity` units of `offering` on line `line` creates (ids
/// `<line>.<code>`, anchored on the sale's UTC date). Only the offering's own templates
/// count: a bundle is priced as a whole.
pub(super) fn plans_for_line(
    offering: &Offering,
    line: &LineId,
    quantity: u32,
    customer: &CustomerId,
    agreement: &AgreementId,
    meta: &Metadata,
) -> Result<Vec<PaymentPlan>> {
    offering
        .payment_plans
        .iter()
        .map(|t| {
            t.instantiate(
                PlanId::new(format!("{line}.{}", t.code))?,
                customer.clone(),
                agreement.clone(),
                Some(line.clone()),
                quantity,
                meta.at.date_naive(),
            )
        })
        .collect()
}

/// Checks the plans an agreement would have after a creation or amendment against the rest of
/// the state: plan ids used by no other agreement, one currency with the customer's ledger.
pub(super) fn check_plans(state: &CrmState, a: &Agreement) -> Result<()> {
    for p in &a.payment_plans {
        if let Some(other) = state.plan_index.get(&p.id)
            && other != &a.id
        {
            return Err(Error::already_exists("payment plan", &p.id));
        }
        let existing = state
            .ledgers
            .get(&a.customer)
            .map(Ledger::currency)
            .or_else(|| {
                state
                    .agreements
                    .values()
                    .filter(|o| o.customer == a.customer && o.id != a.id)
                    .flat_map(|o| o.payment_plans.first())
                    .map(PaymentPlan::currency)
                    .next()
            });
        if let Some(c) = existing
            && c != p.currency()
        {
            return Err(Error::CurrencyMismatch {
                left: c.code().to_string(),
                right: p.currency().code().to_string(),
            });
        }
    }
    Ok(())
}

fn customer_ledger(state: &CrmState, customer: &CustomerId) -> Result<Ledger> {
    if !state.customers.contains_key(customer) {
        return Err(Error::not_found("customer", customer));
    }
    state
        .ledgers
        .get(customer)
        .cloned()
        .ok_or_else(|| Error::not_found("ledger of customer", customer))
}

/// The ledger of `customer`, or a new one in `currency` when there is none yet.
fn ledger_or_new(
    state: &CrmState,
    customer: &CustomerId,
    currency: crate::money::Currency,
) -> Result<Ledger> {
    if !state.customers.contains_key(customer) {
        return Err(Error::not_found("customer", customer));
    }
    Ok(state
        .ledgers
        .get(customer)
        .cloned()
        .unwrap_or_else(|| Ledger::new(customer.clone(), currency)))
}

/// The schedule input of a plan: its line's status history and the rated usage supplied.
fn schedule_input(state: &CrmState, a: &Agreement, plan: &PaymentPlan) -> Result<ScheduleInput> {
    let history = match &plan.line_id {
        Some(l) => a
            .line(l)?
            .history
            .iter()
            .map(|e| StatusChange {
                on: e.effective_at.date_naive(),
                status: e.status,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(ScheduleInput {
        history,
        terminated_on: None,
        usage: state.rated_usage.get(&plan.id).cloned().unwrap_or_default(),
    })
}

/// A short id for an entry the engine creates itself: `gen-<seq>-<n>`.
fn generated_id(state: &CrmState, n: usize) -> Result<EntryId> {
    EntryId::new(format!("gen-{}-{n}", state.last_seq.saturating_add(1)))
}

/// What `generate_charges` records, applied to a ledger (in `decide` on a copy, in `apply`
/// on the real one).
fn apply_generated(
    ledger: &mut Ledger,
    changes: &[ChargeChange],
    adjustments: &[Adjustment],
    credits: &[Credit],
    at: Instant,
) -> Result<()> {
    let new: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            ChargeChange::New { charge } => Some(charge.clone()),
            _ => None,
        })
        .collect();
    ledger.add_charges(new, at)?;
    for c in changes {
        if let ChargeChange::DueDateChanged { charge_id, to, .. } = c {
            ledger.reschedule_charge(charge_id, *to)?;
        }
    }
    for a in adjustments {
        ledger.adjust(a.clone())?;
    }
    for c in credits {
        ledger.grant_credit(c.clone())?;
    }
    Ok(())
}

pub(super) fn decide_generate(
    state: &CrmState,
    meta: &Metadata,
    customer: &CustomerId,
    until: NaiveDate,
) -> Result<(String, Vec<Event>)> {
    if !state.customers.contains_key(customer) {
        return Err(Error::not_found("customer", customer));
    }
    let stream = ledger_stream(customer);
    let mut plans = Vec::new();
    for a in state
        .agreements
        .values()
        .filter(|a| &a.customer == customer)
    {
        for p in &a.payment_plans {
            plans.push((a, p));
        }
    }
    let Some((_, first)) = plans.first() else {
        return Ok((stream, Vec::new()));
    };
    let mut ledger = ledger_or_new(state, customer, first.currency())?;
    let mut changes = Vec::new();
    for (a, p) in &plans {
        let input = schedule_input(state, a, p)?;
        let generated = p.charges_until(until, &input)?;
        changes.extend(ledger.plan_changes(&generated));
    }
    let mut adjustments = Vec::new();
    let mut credits = Vec::new();
    let mut n = 0;
    for c in &changes {
        let ChargeChange::AmountChanged { charge_id, to, .. } = c else {
            continue;
        };
        let entry = ledger
            .charge(charge_id)
            .ok_or_else(|| Error::not_found("charge", charge_id))?;
        let delta = to.checked_sub(&entry.net_amount()?)?;
        if delta.is_zero() {
            continue;
        }
        let reason = format!("the plan now gives {to} for charge {charge_id}");
        n += 1;
        if delta.is_positive() {
            adjustments.push(Adjustment {
                id: generated_id(state, n)?,
                charge_id: charge_id.clone(),
                at: meta.at,
                amount: delta,
                reason,
                approved_by: meta.actor.clone(),
            });
            continue;
        }
        let reduce = delta.negated();
        let by_adjustment = reduce.min(&entry.open)?;
        if by_adjustment.is_positive() {
            adjustments.push(Adjustment {
                id: generated_id(state, n)?,
                charge_id: charge_id.clone(),
                at: meta.at,
                amount: by_adjustment.negated(),
                reason: reason.clone(),
                approved_by: meta.actor.clone(),
            });
            n += 1;
        }
        let rest = reduce.checked_sub(&by_adjustment)?;
        if rest.is_positive() {
            credits.push(Credit {
                id: generated_id(state, n)?,
                customer_id: customer.clone(),
                granted_at: meta.at,
                amount: rest,
                reason: format!("{reason}: refund of what was already paid"),
                approved_by: meta.actor.clone(),
                allocation: AllocationRule::OldestDueFirst,
            });
        }
    }
    if changes.is_empty() && adjustments.is_empty() && credits.is_empty() {
        return Ok((stream, Vec::new()));
    }
    apply_generated(&mut ledger, &changes, &adjustments, &credits, meta.at)?;
    Ok((
        stream,
        vec![Event::ChargesGenerated {
            customer: customer.clone(),
            until,
            changes,
            adjustments,
            credits,
        }],
    ))
}

pub(super) fn decide_rated_usage(
    state: &CrmState,
    plan: &PlanId,
    period_start: NaiveDate,
    quantity: Decimal,
) -> Result<(String, Vec<Event>)> {
    let agreement = state
        .plan_index
        .get(plan)
        .ok_or_else(|| Error::not_found("payment plan", plan))?;
    let a = state
        .agreements
        .get(agreement)
        .ok_or_else(|| Error::not_found("agreement", agreement))?;
    let p = a.payment_plan(plan)?;
    let Periodicity::Usage { start, every, .. } = &p.periodicity else {
        return Err(Error::validation(
            "plan",
            plan,
            "only a consumption plan takes rated usage",
        ));
    };
    if quantity.is_sign_negative() && !quantity.is_zero() {
        return Err(Error::validation(
            "quantity",
            quantity,
            "must not be negative",
        ));
    }
    if quantity.scale() > crate::entitlement::check::MAX_QUANTITY_SCALE {
        return Err(Error::validation(
            "quantity",
            quantity,
            format!(
                "has more than {} decimal places",
                crate::entitlement::check::MAX_QUANTITY_SCALE
            ),
        ));
    }
    let k = crate::obligation::schedule::anchor_index(*start, *every, period_start).ok_or_else(
        || {
            Error::validation(
                "period_start",
                period_start,
                format!("is not the first day of a period of plan {plan}"),
            )
        },
    )?;
    let charge = crate::obligation::schedule::charge_id(plan, k.saturating_add(1))?;
    if state
        .ledgers
        .get(&a.customer)
        .is_some_and(|l| l.charge(&charge).is_some())
    {
        return Err(Error::invalid_transition(
            "usage period",
            format!("{plan} from {period_start}"),
            "billed",
            "record_rated_usage",
        ));
    }
    Ok((
        agreement_stream(agreement),
        vec![Event::RatedUsageRecorded {
            plan: plan.clone(),
            usage: PeriodUsage {
                period_start,
                quantity: quantity.normalize(),
            },
        }],
    ))
}

/// The key under which a ledger entry's first event is remembered.
fn entry_key(kind: &str, id: &str) -> String {
    format!("{kind}:{id}")
}

/// When a command repeats a ledger entry already recorded (same id, same content), the seq of
/// the event that recorded it; the same id with other content is a conflict.
pub(super) fn repeat_of(state: &CrmState, command: &super::Command) -> Result<Option<u64>> {
    use super::Command as C;
    let key = match command {
        C::RecordPayment { payment } => entry_key("payment", payment.id.as_str()),
        C::GrantCredit { credit } => entry_key("entry", credit.id.as_str()),
        C::AdjustCharge { adjustment } => entry_key("entry", adjustment.id.as_str()),
        C::WriteOff { write_off } => entry_key("entry", write_off.id.as_str()),
        _ => return Ok(None),
    };
    let Some((owner, seq)) = state.ledger_entries.get(&key) else {
        return Ok(None);
    };
    let same = state.ledgers.get(owner).is_some_and(|l| match command {
        C::RecordPayment { payment } => l
            .payment(&payment.id)
            .is_some_and(|r| r.source == FundingSource::Payment(payment.clone())),
        C::GrantCredit { credit } => l
            .fundings()
            .iter()
            .any(|r| r.source == FundingSource::Credit(credit.clone())),
        C::AdjustCharge { adjustment } => l.adjustments().iter().any(|a| a == adjustment),
        C::WriteOff { write_off } => l.write_offs().iter().any(|w| w == write_off),
        _ => false,
    });
    if same {
        Ok(Some(*seq))
    } else {
        Err(Error::IdempotencyConflict { key })
    }
}

/// The customer whose ledger holds a charge.
fn owner_of_charge<'a>(state: &'a CrmState, charge: &ChargeId) -> Result<&'a CustomerId> {
    state
        .charge_owners
        .get(charge)
        .ok_or_else(|| Error::not_found("charge", charge))
}

pub(super) fn decide_ledger(
    state: &CrmState,
    meta: &Metadata,
    command: &super::Command,
) -> Result<(String, Vec<Event>)> {
    use super::Command as C;
    match command {
        C::RecordPayment { payment } => {
            let mut l = ledger_or_new(state, &payment.customer_id, payment.amount.currency())?;
            if let AllocationRule::ToCharges { charge_ids } = &payment.allocation {
                for c in charge_ids {
                    owned_by(state, c, &payment.customer_id)?;
                }
            }
            let outcome = l.record_payment(payment.clone())?;
            Ok((
                ledger_stream(&payment.customer_id),
                vec![Event::PaymentRecorded {
                    payment: payment.clone(),
                    outcome,
                }],
            ))
        }
        C::ReversePayment {
            customer,
            payment,
            reason,
        } => {
            crate::party::validate_text("reversal reason", reason, true)?;
            let mut l = customer_ledger(state, customer)?;
            if l.payment(payment).is_some_and(|r| r.reversal.is_some()) {
                return Err(Error::invalid_transition(
                    "payment", payment, "reversed", "reverse",
                ));
            }
            let outcome = l.reverse_payment(payment, meta.at, reason)?;
            Ok((
                ledger_stream(customer),
                vec![Event::PaymentReversed {
                    customer: customer.clone(),
                    reversal: crate::obligation::Reversal {
                        at: meta.at,
                        reason: reason.clone(),
                    },
                    outcome,
                }],
            ))
        }
        C::GrantCredit { credit } => {
            let mut l = ledger_or_new(state, &credit.customer_id, credit.amount.currency())?;
            if let AllocationRule::ToCharges { charge_ids } = &credit.allocation {
                for c in charge_ids {
                    owned_by(state, c, &credit.customer_id)?;
                }
            }
            let outcome = l.grant_credit(credit.clone())?;
            Ok((
                ledger_stream(&credit.customer_id),
                vec![Event::CreditGranted {
                    credit: credit.clone(),
                    outcome,
                }],
            ))
        }
        C::AdjustCharge { adjustment } => {
            let customer = owner_of_charge(state, &adjustment.charge_id)?;
            let mut l = customer_ledger(state, customer)?;
            l.adjust(adjustment.clone())?;
            Ok((
                ledger_stream(customer),
                vec![Event::ChargeAdjusted {
                    customer: customer.clone(),
                    adjustment: adjustment.clone(),
                }],
            ))
        }
        C::WriteOff { write_off } => {
            let customer = owner_of_charge(state, &write_off.charge_id)?;
            let mut l = customer_ledger(state, customer)?;
            l.write_off(write_off.clone())?;
            Ok((
                ledger_stream(customer),
                vec![Event::ChargeWrittenOff {
                    customer: customer.clone(),
                    write_off: write_off.clone(),
                }],
            ))
        }
        C::ApplyCreditBalance { customer } => {
            let mut l = customer_ledger(state, customer)?;
            let applications = l.apply_credit_balance(meta.at)?;
            let events = if applications.is_empty() {
                Vec::new()
            } else {
                vec![Event::CreditBalanceApplied {
                    customer: customer.clone(),
                    applications,
                }]
            };
            Ok((ledger_stream(customer), events))
        }
        C::RegisterCollectionPolicy { policy } => {
            policy.validate()?;
            Ok((
                format!("collection_policy/{}", policy.name),
                vec![Event::CollectionPolicyRegistered {
                    policy: policy.clone(),
                }],
            ))
        }
        C::TakeCollectionAction {
            customer,
            policy,
            key,
        } => decide_take(state, meta, customer, policy, key),
        other => Err(Error::validation(
            "command",
            other.tag(),
            "is not a ledger command",
        )),
    }
}

/// A charge named in an allocation must be the customer's own.
fn owned_by(state: &CrmState, charge: &ChargeId, customer: &CustomerId) -> Result<()> {
    match state.charge_owners.get(charge) {
        Some(owner) if owner == customer => Ok(()),
        Some(_) => Err(Error::validation(
            "charge_ids",
            charge,
            format!("is not a charge of customer {customer}"),
        )),
        None => Err(Error::not_found("charge", charge)),
    }
}

fn decide_take(
    state: &CrmState,
    meta: &Metadata,
    customer: &CustomerId,
    policy: &str,
    key: &str,
) -> Result<(String, Vec<Event>)> {
    let actions = actions_of(state, customer, policy, meta.at)?;
    let action = actions
        .into_iter()
        .find(|a| a.key == key)
        .ok_or_else(|| Error::not_found("collection action", key))?;
    match &action.status {
        ActionStatus::Due => {}
        ActionStatus::Suppressed { suppression } => {
            return Err(Error::invalid_transition(
                "collection action",
                key,
                format!("suppressed by exception {}", suppression.exception_id),
                "take",
            ));
        }
        ActionStatus::NotApplicable { reason, .. } => {
            return Err(Error::invalid_transition(
                "collection action",
                key,
                format!("not applicable ({reason})"),
                "take",
            ));
        }
    }
    let (stream, line_entry) = match (&action.target, action.step) {
        (
            CollectionTarget::Line {
                agreement_id,
                line_id,
            },
            CollectionStepKind::Restrict,
        ) => {
            let a = state
                .agreements
                .get(agreement_id)
                .ok_or_else(|| Error::not_found("agreement", agreement_id))?;
            let entry = a
                .line(line_id)?
                .plan_move(LineAction::Restrict, meta.at, None)?;
            (agreement_stream(agreement_id), Some(entry))
        }
        (CollectionTarget::Line { agreement_id, .. }, _)
        | (CollectionTarget::Agreement { agreement_id }, _) => {
            (agreement_stream(agreement_id), None)
        }
        (CollectionTarget::Account { .. }, _) => (ledger_stream(customer), None),
    };
    Ok((
        stream,
        vec![Event::CollectionActionTaken {
            customer: customer.clone(),
            action,
            line_entry,
        }],
    ))
}

/// What collections ask of the engine's state, at one instant.
struct EngineCollections<'a> {
    state: &'a CrmState,
    customer: &'a CustomerId,
    at: Instant,
}

impl CollectionContext for EngineCollections<'_> {
    fn line_status(&self, line: &LineId) -> Option<LineStatus> {
        let agreement = self.state.line_index.get(line)?;
        let a = self.state.agreements.get(agreement)?;
        a.line(line).ok()?.status_at(self.at)
    }

    fn exception_covering(
        &self,
        target: &CollectionTarget,
        step: CollectionStepKind,
        at: Instant,
    ) -> Option<Suppression> {
        let step_scope = ExceptionScope::ProcessStep {
            step_kind: format!("collections.{}", step.as_str()),
        };
        self.state
            .exceptions
            .values()
            .filter(|x| &x.customer == self.customer && x.suspends(step.as_str()))
            .find(|x| {
                x.covers(None, &step_scope, at)
                    || match target {
                        CollectionTarget::Line {
                            agreement_id,
                            line_id,
                        } => x.covers(
                            Some(agreement_id),
                            &ExceptionScope::Line {
                                line: line_id.clone(),
                            },
                            at,
                        ),
                        CollectionTarget::Agreement { agreement_id } => {
                            x.covers(Some(agreement_id), &ExceptionScope::Agreement, at)
                        }
                        CollectionTarget::Account { .. } => false,
                    }
            })
            .map(|x| Suppression {
                exception_id: x.id.clone(),
                approved_by: x.approved_by.clone(),
                until: match (&x.revoked, x.valid_to) {
                    (Some(r), Some(to)) => Some(r.at.min(to)),
                    (Some(r), None) => Some(r.at),
                    (None, to) => to,
                },
                reason: x.reason.clone(),
            })
    }

    fn already_taken(&self, key: &str) -> bool {
        self.state
            .collections_taken
            .get(self.customer)
            .is_some_and(|keys| keys.contains(key))
    }
}

fn actions_of(
    state: &CrmState,
    customer: &CustomerId,
    policy: &str,
    at: Instant,
) -> Result<Vec<CollectionAction>> {
    let p = state
        .collection_policies
        .get(policy)
        .ok_or_else(|| Error::not_found("collection policy", policy))?;
    let l = customer_ledger(state, customer)?;
    collection_actions(
        &l,
        p,
        &EngineCollections {
            state,
            customer,
            at,
        },
        at,
    )
}

/// A collection action as it was taken, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakenCollectionAction {
    /// When it was taken.
    pub at: Instant,
    /// The action as it was due then.
    pub action: CollectionAction,
}

impl CrmState {
    /// The approved exception of `customer` in force at `at` that suspends collection `step`
    /// for `target`, as the collection ladder sees it (the step kind for the whole customer,
    /// the line, or the agreement).
    pub fn collection_suppression(
        &self,
        customer: &CustomerId,
        target: &CollectionTarget,
        step: CollectionStepKind,
        at: Instant,
    ) -> Option<Suppression> {
        EngineCollections {
            state: self,
            customer,
            at,
        }
        .exception_covering(target, step, at)
    }
}

/// A line restricted for non-payment whose own debt past due is settled: the host may lift
/// the restriction (`change_line_status` with `lift_restriction`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettledRestriction {
    /// The agreement.
    pub agreement: AgreementId,
    /// The line.
    pub line: LineId,
    /// Since when it is restricted.
    pub restricted_since: Instant,
}

/// Applies an obligation event to the state.
pub(super) fn apply(state: &mut CrmState, env: &EventEnvelope) -> Result<()> {
    let (seq, at) = (env.seq, env.at);
    match &env.event {
        Event::ChargesGenerated {
            customer,
            changes,
            adjustments,
            credits,
            ..
        } => {
            let currency = changes
                .iter()
                .find_map(|c| match c {
                    ChargeChange::New { charge } => Some(charge.amount.currency()),
                    _ => None,
                })
                .or_else(|| credits.first().map(|c| c.amount.currency()));
            let ledger = match (state.ledgers.contains_key(customer), currency) {
                (true, _) => state.ledgers.get_mut(customer),
                (false, Some(cur)) => Some(
                    state
                        .ledgers
                        .entry(customer.clone())
                        .or_insert_with(|| Ledger::new(customer.clone(), cur)),
                ),
                (false, None) => None,
            }
            .ok_or_else(|| Error::Storage {
                message: format!("charges for customer {customer} without a ledger"),
            })?;
            apply_generated(ledger, changes, adjustments, credits, at)?;
            for c in changes {
                if let ChargeChange::New { charge } = c {
                    state
                        .charge_owners
                        .insert(charge.id.clone(), customer.clone());
                }
            }
            for a in adjustments {
                state
                    .ledger_entries
                    .insert(entry_key("entry", a.id.as_str()), (customer.clone(), seq));
            }
            for c in credits {
                state
                    .ledger_entries
                    .insert(entry_key("entry", c.id.as_str()), (customer.clone(), seq));
            }
        }
        Event::RatedUsageRecorded { plan, usage } => {
            let list = state.rated_usage.entry(plan.clone()).or_default();
            list.retain(|u| u.period_start != usage.period_start);
            let at = list.partition_point(|u| u.period_start < usage.period_start);
            list.insert(at, usage.clone());
        }
        Event::PaymentRecorded { payment, .. } => {
            let c = &payment.customer_id;
            state
                .ledgers
                .entry(c.clone())
                .or_insert_with(|| Ledger::new(c.clone(), payment.amount.currency()))
                .record_payment(payment.clone())?;
            state
                .ledger_entries
                .insert(entry_key("payment", payment.id.as_str()), (c.clone(), seq));
        }
        Event::PaymentReversed {
            customer,
            reversal,
            outcome,
        } => {
            ledger_mut(state, customer)?.reverse_payment(
                &outcome.payment_id,
                reversal.at,
                &reversal.reason,
            )?;
        }
        Event::CreditGranted { credit, .. } => {
            let c = &credit.customer_id;
            state
                .ledgers
                .entry(c.clone())
                .or_insert_with(|| Ledger::new(c.clone(), credit.amount.currency()))
                .grant_credit(credit.clone())?;
            state
                .ledger_entries
                .insert(entry_key("entry", credit.id.as_str()), (c.clone(), seq));
        }
        Event::ChargeAdjusted {
            customer,
            adjustment,
        } => {
            ledger_mut(state, customer)?.adjust(adjustment.clone())?;
            state.ledger_entries.insert(
                entry_key("entry", adjustment.id.as_str()),
                (customer.clone(), seq),
            );
        }
        Event::ChargeWrittenOff {
            customer,
            write_off,
        } => {
            ledger_mut(state, customer)?.write_off(write_off.clone())?;
            state.ledger_entries.insert(
                entry_key("entry", write_off.id.as_str()),
                (customer.clone(), seq),
            );
        }
        Event::CreditBalanceApplied { customer, .. } => {
            ledger_mut(state, customer)?.apply_credit_balance(at)?;
        }
        Event::CollectionPolicyRegistered { policy } => {
            state
                .collection_policies
                .insert(policy.name.clone(), policy.clone());
        }
        Event::CollectionActionTaken {
            customer,
            action,
            line_entry,
        } => {
            if let (
                Some(entry),
                CollectionTarget::Line {
                    agreement_id,
                    line_id,
                },
            ) = (line_entry, &action.target)
            {
                state
                    .agreements
                    .get_mut(agreement_id)
                    .ok_or_else(|| Error::Storage {
                        message: format!("event refers to unknown agreement {agreement_id}"),
                    })?
                    .line_mut(line_id)?
                    .history
                    .push(entry.clone());
            }
            state
                .collections_taken
                .entry(customer.clone())
                .or_default()
                .insert(action.key.clone());
            state
                .collection_history
                .entry(customer.clone())
                .or_default()
                .push(TakenCollectionAction {
                    at: env.at,
                    action: action.clone(),
                });
        }
        _ => {}
    }
    Ok(())
}

fn ledger_mut<'a>(state: &'a mut CrmState, customer: &CustomerId) -> Result<&'a mut Ledger> {
    state
        .ledgers
        .get_mut(customer)
        .ok_or_else(|| Error::Storage {
            message: format!("event refers to the missing ledger of customer {customer}"),
        })
}

impl CrmState {
    /// Days past due of the customer's oldest open charge past due at `at` (0 when nothing
    /// is, or when the customer has no ledger).
    pub fn standing_days(&self, customer: &CustomerId, at: Instant) -> u32 {
        let today = at.date_naive();
        let oldest = self
            .ledgers
            .get(customer)
            .and_then(|l| l.aging(today, 0, &Scope::Customer).ok())
            .and_then(|a| a.oldest_overdue_due_date);
        let days = oldest.map_or(0, |d| (today - d).num_days());
        u32::try_from(days).unwrap_or(u32::MAX)
    }

    /// The customer's standing at `at`: days overdue from the ledger, and the tier with the
    /// tier order when policies are registered.
    pub fn standing(&self, customer: &CustomerId, at: Instant) -> CustomerStanding {
        CustomerStanding {
            days_overdue: self.standing_days(customer, at),
            tier: self.tier(customer).map(str::to_string),
            tier_order: self.tier_order(),
        }
    }
}

impl Crm {
    /// The ledger of a customer; `None` while the customer owes and paid nothing.
    pub fn ledger(&self, customer: &CustomerId) -> Result<Option<&Ledger>> {
        self.customer(customer)?;
        Ok(self.state.ledgers.get(customer))
    }

    fn ledger_of(&self, customer: &CustomerId) -> Result<&Ledger> {
        self.ledger(customer)?
            .ok_or_else(|| Error::not_found("ledger of customer", customer))
    }

    /// The customer's balance: positive when the customer owes, negative when the customer
    /// has money with us (see `docs/obligations.md`).
    pub fn balance(&self, customer: &CustomerId) -> Result<Money> {
        self.ledger_of(customer)?.balance()
    }

    /// The charges of a scope (customer, agreement, line or plan) with their totals.
    pub fn statement(&self, customer: &CustomerId, scope: &Scope) -> Result<Statement> {
        self.ledger_of(customer)?.statement(scope)
    }

    /// The open charges of a scope by age on `as_of`, with `grace_days` before a charge
    /// counts as overdue.
    pub fn aging(
        &self,
        customer: &CustomerId,
        as_of: NaiveDate,
        grace_days: u32,
        scope: &Scope,
    ) -> Result<AgingReport> {
        self.ledger_of(customer)?.aging(as_of, grace_days, scope)
    }

    /// "Has all the money owed to us for `[from, to]` arrived?", as of `as_of`.
    pub fn reconcile(
        &self,
        customer: &CustomerId,
        from: NaiveDate,
        to: NaiveDate,
        as_of: NaiveDate,
        scope: &Scope,
    ) -> Result<Reconciliation> {
        self.ledger_of(customer)?.reconcile(from, to, as_of, scope)
    }

    /// Reconciles `[from, to]` for every customer with a ledger, in customer id order: the
    /// organisation-wide answer to "has all the money owed to us arrived?". Customers with
    /// nothing due in the period are left out.
    pub fn reconcile_all(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        as_of: NaiveDate,
    ) -> Result<Vec<(CustomerId, Reconciliation)>> {
        let mut out = Vec::new();
        for (c, l) in &self.state.ledgers {
            let r = l.reconcile(from, to, as_of, &Scope::Customer)?;
            if !r.due.is_zero() || !r.received.is_zero() {
                out.push((c.clone(), r));
            }
        }
        Ok(out)
    }

    /// The payment plans of a customer's agreements, in agreement and plan order.
    pub fn payment_plans_of(&self, customer: &CustomerId) -> Result<Vec<&PaymentPlan>> {
        Ok(self
            .agreements_of(customer)?
            .into_iter()
            .flat_map(|a| a.payment_plans.iter())
            .collect())
    }

    /// The payment plan with that id.
    pub fn payment_plan(&self, id: &PlanId) -> Result<&PaymentPlan> {
        let agreement = self
            .state
            .plan_index
            .get(id)
            .ok_or_else(|| Error::not_found("payment plan", id))?;
        self.agreement(agreement)?.payment_plan(id)
    }

    /// The collection policy with that name.
    pub fn collection_policy(&self, name: &str) -> Result<&CollectionPolicy> {
        self.state
            .collection_policies
            .get(name)
            .ok_or_else(|| Error::not_found("collection policy", name))
    }

    /// The collection actions the named policy reaches for a customer at `at`: each with the
    /// charges and line it concerns, why it is due, or what suppressed it (an exception) or
    /// rules it out (the line's state). Actions already taken are left out.
    pub fn collection_actions(
        &self,
        customer: &CustomerId,
        policy: &str,
        at: Instant,
    ) -> Result<Vec<CollectionAction>> {
        self.customer(customer)?;
        actions_of(&self.state, customer, policy, at)
    }

    /// The collection actions of many customers at once (for a nightly run), in the order
    /// asked; a customer without a ledger has none.
    pub fn collection_actions_batch(
        &self,
        customers: &[CustomerId],
        policy: &str,
        at: Instant,
    ) -> Result<Vec<Vec<CollectionAction>>> {
        self.collection_policy(policy)?;
        customers
            .iter()
            .map(|c| match self.ledger(c)? {
                Some(_) => actions_of(&self.state, c, policy, at),
                None => Ok(Vec::new()),
            })
            .collect()
    }

    /// Lines of the customer restricted at `at` for which nothing that restricted them is
    /// still past due: the ladder has stopped and the restriction can be lifted. What counts is
    /// the obligation of the collection policy whose restriction was taken last for the line:
    /// the line's own charges for a per-obligation policy (and for a line restricted by hand),
    /// every charge of the customer for an account-wide policy, which restricted the line for
    /// the account's debt.
    pub fn settled_restrictions(
        &self,
        customer: &CustomerId,
        at: Instant,
    ) -> Result<Vec<SettledRestriction>> {
        let today = at.date_naive();
        let ledger = self.ledger(customer)?;
        let mut out = Vec::new();
        for a in self.agreements_of(customer)? {
            for l in &a.lines {
                let Some(entry) = l.entry_at(at) else {
                    continue;
                };
                if entry.status != LineStatus::Restricted {
                    continue;
                }
                let scope = if self.restricted_account_wide(customer, &l.id) {
                    Scope::Customer
                } else {
                    Scope::Line {
                        line_id: l.id.clone(),
                    }
                };
                let owes = match ledger {
                    Some(led) => led.overdue(today, 0, &scope)?.is_positive(),
                    None => false,
                };
                if !owes {
                    out.push(SettledRestriction {
                        agreement: a.id.clone(),
                        line: l.id.clone(),
                        restricted_since: entry.effective_at,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Whether the restriction taken last for `line` by a collection action came from an
    /// account-wide policy (false when the line was never restricted by collections).
    fn restricted_account_wide(&self, customer: &CustomerId, line: &LineId) -> bool {
        self.state
            .collection_history
            .get(customer)
            .and_then(|taken| {
                taken.iter().rev().find(|t| {
                    t.action.step == CollectionStepKind::Restrict
                        && t.action.line_id.as_ref() == Some(line)
                })
            })
            .and_then(|t| self.state.collection_policies.get(&t.action.policy))
            .is_some_and(|p| p.scope == CollectionPolicyScope::AccountWide)
    }

    /// The customer's standing from the ledger at `at` (days overdue), as the entitlement
    /// check uses it when a request carries none.
    pub fn standing(&self, customer: &CustomerId, at: Instant) -> Result<CustomerStanding> {
        self.customer(customer)?;
        Ok(self.state.standing(customer, at))
    }
}
