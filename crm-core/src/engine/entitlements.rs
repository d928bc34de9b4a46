//! The engine side of entitlements: gathering the facts for a check, the consume and reverse
//! commands, folding usage events, and the queries on [`Crm`].
//!
//! **Matching.** A request names a customer and a code, and may narrow by agreement, line or
//! asset. The candidates are the customer's entitlements with that code, in agreement id,
//! then line id, then entitlement id order, looked at as the agreement stood at the instant of
//! the check. The first candidate that grants within its entitlement wins; failing that, the
//! first that grants by exception (so an exception is spent only when no line has room);
//! failing that, the request is denied with the reasons of every candidate, and the decision
//! names the candidate that frees up first.

use super::Crm;
use super::command::Metadata;
use super::event::Event;
use super::state::CrmState;
use crate::Instant;
use crate::agreement::{Agreement, ExceptionEffect, ExceptionScope};
use crate::entitlement::check::{DecisionOutcome, Evaluation, Facts, LineFacts, day};
use crate::entitlement::{
    CustomerStanding, Entitlement, EntitlementDecision, EntitlementKind, EntitlementRequest,
    EntitlementStatus, ExceptionGrant, MatchedEntitlement, ServiceLevelTargets, UsageRecord,
    UsageReversal, evaluate,
};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, EntitlementId, UsageId};
use crate::party::validate_text;
use std::borrow::Cow;

/// The stream usage events of an entitlement go to.
fn entitlement_stream(id: &EntitlementId) -> String {
    format!("entitlement/{id}")
}

/// One entitlement that may answer a request, with the facts about its line.
struct Candidate {
    entitlement: Entitlement,
    line: LineFacts,
    exceptions: Vec<ExceptionGrant>,
}

/// The agreement as it stood at `at`: the current one unless amended after `at`.
fn as_of(a: &Agreement, at: Instant) -> Result<Cow<'_, Agreement>> {
    if a.amendments.last().is_some_and(|m| m.at > at) {
        Ok(Cow::Owned(a.as_of(at)?))
    } else {
        Ok(Cow::Borrowed(a))
    }
}

/// The facts about one entitlement of `view` (an agreement as it stood at `at`): its line and
/// the approved `Allow` exceptions covering it.
fn candidate(
    state: &CrmState,
    customer: &CustomerId,
    view: &Agreement,
    e: &Entitlement,
    at: Instant,
) -> Result<Candidate> {
    let line = view.line(&e.line)?;
    let scope = ExceptionScope::Entitlement {
        entitlement: e.id.clone(),
    };
    let exceptions = state
        .exceptions
        .values()
        .filter(|x| &x.customer == customer && x.covers(Some(&view.id), &scope, at))
        .filter_map(|x| match &x.effect {
            ExceptionEffect::Allow { extra } => Some(ExceptionGrant {
                exception: x.id.clone(),
                approved_by: x.approved_by.clone(),
                until: match (x.valid_to, &x.revoked) {
                    (Some(to), Some(r)) => Some(to.min(r.at)),
                    (to, r) => to.or(r.as_ref().map(|r| r.at)),
                },
                extra: *extra,
                reason: x.reason.clone(),
            }),
            _ => None,
        })
        .collect();
    Ok(Candidate {
        entitlement: e.clone(),
        line: LineFacts {
            agreement: view.id.clone(),
            line: line.id.clone(),
            kind: line.kind,
            status: line.entry_at(at).map(|x| x.status),
            since: line.status_since(at),
            term: (view.term.start, view.term.end),
        },
        exceptions,
    })
}

fn candidates(state: &CrmState, req: &EntitlementRequest, at: Instant) -> Result<Vec<Candidate>> {
    req.validate()?;
    if !state.customers.contains_key(&req.customer) {
        return Err(Error::not_found("customer", &req.customer));
    }
    let agreements: Vec<&Agreement> = match &req.agreement {
        Some(id) => {
            let a = state
                .agreements
                .get(id)
                .ok_or_else(|| Error::not_found("agreement", id))?;
            if a.customer != req.customer {
                return Err(Error::validation(
                    "agreement",
                    id,
                    format!("belongs to another customer than {}", req.customer),
                ));
            }
            vec![a]
        }
        None => state
            .agreements
            .values()
            .filter(|a| a.customer == req.customer)
            .collect(),
    };
    let with_code: Vec<&Agreement> = agreements
        .into_iter()
        .filter(|a| a.entitlements.iter().any(|e| e.code == req.code))
        .collect();
    if with_code.is_empty() {
        return Err(Error::not_found(
            "entitlement",
            format!("{} of customer {}", req.code, req.customer),
        ));
    }
    let signed: Vec<&Agreement> = with_code
        .iter()
        .copied()
        .filter(|a| a.signed_at <= at)
        .collect();
    if signed.is_empty() {
        let first = with_code.iter().map(|a| a.signed_at).min().unwrap_or(at);
        return Err(Error::validation(
            "at",
            at,
            format!(
                "is before any agreement of customer {} granting {} (first signed at {first})",
                req.customer, req.code
            ),
        ));
    }
    let mut out = Vec::new();
    for a in signed {
        let view = as_of(a, at)?;
        let mut ents: Vec<&Entitlement> = view
            .entitlements
            .iter()
            .filter(|e| e.code == req.code)
            .filter(|e| req.line.as_ref().is_none_or(|l| &e.line == l))
            .collect();
        ents.sort_by(|x, y| (&x.line, &x.id).cmp(&(&y.line, &y.id)));
        for e in ents {
            if let Some(asset) = &req.asset
                && view
                    .line(&e.line)?
                    .entry_at(at)
                    .and_then(|x| x.asset.as_ref())
                    != Some(asset)
            {
                continue;
            }
            out.push(candidate(state, &req.customer, &view, e, at)?);
        }
    }
    if out.is_empty() {
        return Err(Error::not_found(
            "entitlement",
            format!(
                "{} of customer {} for the line or asset asked",
                req.code, req.customer
            ),
        ));
    }
    Ok(out)
}

/// Checks a request against the state at `at`.
pub(crate) fn check(
    state: &CrmState,
    req: &EntitlementRequest,
    at: Instant,
) -> Result<EntitlementDecision> {
    let cands = candidates(state, req, at)?;
    let derived;
    let standing = match &req.standing {
        Some(s) => Some(s),
        None => {
            derived = state.standing(&req.customer, at);
            Some(&derived)
        }
    };
    let mut evals: Vec<(Evaluation, rust_decimal::Decimal)> = Vec::with_capacity(cands.len());
    for c in &cands {
        let quantity = req.quantity_for(&c.entitlement.kind)?;
        let facts = Facts {
            entitlement: &c.entitlement,
            line: &c.line,
            ledger: state.usage.ledger(&c.entitlement.id),
            exceptions: &c.exceptions,
            quantity,
            channel: req.channel,
            standing,
        };
        let ev = evaluate(&facts, at)?;
        if ev.outcome == DecisionOutcome::Granted {
            return Ok(decision(req, at, quantity, ev, None));
        }
        evals.push((ev, quantity));
    }
    if let Some(pos) = evals
        .iter()
        .position(|(e, _)| e.outcome == DecisionOutcome::GrantedByException)
        && let Some((ev, q)) = evals.get(pos).cloned()
    {
        return Ok(decision(req, at, q, ev, None));
    }
    // Denied: every candidate's reasons; the one that frees up first is named.
    let best = evals
        .iter()
        .enumerate()
        .filter_map(|(i, (e, _))| e.next_available.map(|n| (n, i)))
        .min()
        .map_or(0, |(_, i)| i);
    let reasons = evals
        .iter()
        .flat_map(|(e, _)| e.reasons.iter().cloned())
        .collect();
    let (ev, q) = evals
        .get(best)
        .cloned()
        .ok_or_else(|| Error::not_found("entitlement", &req.code))?;
    Ok(decision(req, at, q, ev, Some(reasons)))
}

fn decision(
    req: &EntitlementRequest,
    at: Instant,
    quantity: rust_decimal::Decimal,
    ev: Evaluation,
    all_reasons: Option<Vec<crate::entitlement::Reason>>,
) -> EntitlementDecision {
    EntitlementDecision {
        outcome: ev.outcome,
        code: req.code.clone(),
        at,
        quantity,
        matched: Some(ev.matched),
        remaining: ev.remaining,
        next_available: ev.next_available,
        exceptions: ev.exceptions,
        reasons: all_reasons.unwrap_or(ev.reasons),
    }
}

/// `ConsumeEntitlement`: re-check at the command's instant, then record the use.
pub(super) fn decide_consume(
    state: &CrmState,
    meta: &Metadata,
    usage: &UsageId,
    req: &EntitlementRequest,
) -> Result<(String, Vec<Event>)> {
    if state.usage.record(usage).is_some() {
        return Err(Error::already_exists("usage", usage));
    }
    let d = check(state, req, meta.at)?;
    let matched = match (&d.matched, d.is_granted()) {
        (Some(m), true) => m.clone(),
        _ => {
            let mut reasons: Vec<String> = d
                .reasons
                .iter()
                .filter(|r| {
                    !matches!(
                        r.kind,
                        crate::entitlement::ReasonKind::LineInService { .. }
                            | crate::entitlement::ReasonKind::Entitlement { .. }
                            | crate::entitlement::ReasonKind::UsageCounted { .. }
                            | crate::entitlement::ReasonKind::ConditionsMet { .. }
                    )
                })
                .map(|r| r.message.clone())
                .collect();
            if reasons.is_empty() {
                reasons = d.messages();
            }
            return Err(Error::NotEntitled {
                what: format!("{} for customer {}", req.code, req.customer),
                reasons,
            });
        }
    };
    let kind = state
        .agreements
        .get(&matched.agreement)
        .and_then(|a| a.entitlement(&matched.entitlement).ok())
        .map(|e| &e.kind);
    let amount = match kind {
        Some(EntitlementKind::MoneyAllowance { .. }) => req.amount,
        _ => None,
    };
    let record = UsageRecord {
        id: usage.clone(),
        entitlement: matched.entitlement.clone(),
        agreement: matched.agreement.clone(),
        line: matched.line.clone(),
        asset: req.asset.clone(),
        at: meta.at,
        quantity: d.quantity,
        amount,
        channel: req.channel,
        exceptions: d.exceptions.iter().map(|x| x.exception.clone()).collect(),
        reversed: None,
    };
    state.usage.check_new(&record)?;
    Ok((
        entitlement_stream(&matched.entitlement),
        vec![Event::UsageRecorded { usage: record }],
    ))
}

/// `ReverseUsage`: the use must exist, not be reversed yet, and not be dated after the command.
pub(super) fn decide_reverse(
    state: &CrmState,
    meta: &Metadata,
    usage: &UsageId,
    reason: &str,
) -> Result<(String, Vec<Event>)> {
    validate_text("reversal reason", reason, true)?;
    let r = state
        .usage
        .record(usage)
        .ok_or_else(|| Error::not_found("usage", usage))?;
    if r.reversed.is_some() {
        return Err(Error::invalid_transition(
            "usage", usage, "reversed", "reverse",
        ));
    }
    if meta.at < r.at {
        return Err(Error::validation(
            "at",
            meta.at,
            format!("is before the use {usage} was recorded ({})", day(r.at)),
        ));
    }
    Ok((
        entitlement_stream(&r.entitlement),
        vec![Event::UsageReversed {
            usage: usage.clone(),
            entitlement: r.entitlement.clone(),
            reversal: UsageReversal {
                at: meta.at,
                by: meta.actor.clone(),
                reason: reason.to_string(),
            },
        }],
    ))
}

fn corrupt(e: Error) -> Error {
    Error::Storage {
        message: format!("usage event does not fit the state: {e}"),
    }
}

/// Folds a usage event into the state.
pub(super) fn apply(state: &mut CrmState, event: &Event) -> Result<()> {
    match event {
        Event::UsageRecorded { usage } => state.usage.push(usage.clone()).map_err(corrupt),
        Event::UsageReversed {
            usage, reversal, ..
        } => state
            .usage
            .reverse(usage, reversal.clone())
            .map_err(corrupt),
        _ => Ok(()),
    }
}

impl Crm {
    /// Checks whether `request` would be granted at `at`, taking past use, the line's status,
    /// the entitlement's validity and conditions, and approved exceptions into account. Does
    /// not consume: see [`crate::Command::ConsumeEntitlement`].
    ///
    /// Errors (typed, nothing changes): an unknown customer, agreement or code
    /// ([`Error::NotFound`]); a zero, negative or fractional-use quantity, or `at` before every
    /// agreement granting the code ([`Error::Validation`]); an amount in another currency than
    /// the allowance's ([`Error::CurrencyMismatch`]).
    pub fn check_entitlement(
        &self,
        request: &EntitlementRequest,
        at: Instant,
    ) -> Result<EntitlementDecision> {
        check(&self.state, request, at)
    }

    /// The response and resolution targets for a request of kind `code` (the service-level
    /// entitlement's code) and `priority`, and the entitlement they come from: the first
    /// in-service, valid service-level entitlement with that code and priority, in agreement,
    /// line, entitlement id order. [`Error::NotEntitled`] with the reasons when none applies.
    pub fn service_level(
        &self,
        customer: &CustomerId,
        code: &str,
        priority: &str,
        at: Instant,
    ) -> Result<ServiceLevelTargets> {
        self.state.service_level(customer, code, priority, at)
    }

    /// Every entitlement of a customer as it stands at `at`, for a service screen or the 360
    /// view: what it grants, whether one more use (the smallest quantity) would be granted
    /// within it, what remains, when the window next frees a unit, and the reasons. In
    /// agreement, line, entitlement id order; agreements signed after `at` are left out.
    /// Exceptions are not counted here (a check shows them).
    pub fn entitlements_of(
        &self,
        customer: &CustomerId,
        standing: Option<&CustomerStanding>,
        at: Instant,
    ) -> Result<Vec<EntitlementStatus>> {
        let derived = self.state.standing(customer, at);
        let standing = standing.or(Some(&derived));
        let mut out = Vec::new();
        for a in self.agreements_of(customer)? {
            if a.signed_at > at {
                continue;
            }
            let view = as_of(a, at)?;
            let mut ents: Vec<&Entitlement> = view.entitlements.iter().collect();
            ents.sort_by(|x, y| (&x.line, &x.id).cmp(&(&y.line, &y.id)));
            for e in ents {
                let c = candidate(&self.state, customer, &view, e, at)?;
                let ev = evaluate(
                    &Facts {
                        entitlement: &c.entitlement,
                        line: &c.line,
                        ledger: self.state.usage.ledger(&e.id),
                        exceptions: &[],
                        quantity: rust_decimal::Decimal::ZERO,
                        channel: crate::party::Channel::Web,
                        standing,
                    },
                    at,
                )?;
                let usable = ev.outcome != DecisionOutcome::Denied
                    && ev
                        .remaining
                        .as_ref()
                        .is_none_or(|r| r.remaining > rust_decimal::Decimal::ZERO);
                out.push(EntitlementStatus {
                    code: e.code.clone(),
                    source: ev.matched,
                    kind: e.kind.clone(),
                    valid_from: e.valid_from,
                    valid_to: e.valid_to,
                    usable,
                    remaining: ev.remaining,
                    next_available: ev.next_available,
                    reasons: ev.reasons,
                });
            }
        }
        Ok(out)
    }

    /// The usage record with that id.
    pub fn usage(&self, id: &UsageId) -> Result<&UsageRecord> {
        self.state
            .usage
            .record(id)
            .ok_or_else(|| Error::not_found("usage", id))
    }

    /// Every use of an entitlement, oldest first, reversed ones included.
    pub fn usage_of(&self, entitlement: &EntitlementId) -> Result<&[UsageRecord]> {
        if !self.state.entitlement_index.contains_key(entitlement) {
            return Err(Error::not_found("entitlement", entitlement));
        }
        Ok(self
            .state
            .usage
            .ledger(entitlement)
            .map_or(&[][..], |l| l.records()))
    }
}

impl CrmState {
    /// The response and resolution targets for a request of kind `code` (the service-level
    /// entitlement's code) and `priority`, and the entitlement they come from: the first
    /// in-service, valid service-level entitlement with that code and priority, in agreement,
    /// line, entitlement id order. [`Error::NotEntitled`] with the reasons when none applies.
    pub fn service_level(
        &self,
        customer: &CustomerId,
        code: &str,
        priority: &str,
        at: Instant,
    ) -> Result<ServiceLevelTargets> {
        let req = EntitlementRequest::new(customer.clone(), code, crate::party::Channel::Web);
        let cands = candidates(self, &req, at)?;
        let mut reasons = Vec::new();
        for c in &cands {
            let EntitlementKind::ServiceLevel { calendar, targets } = &c.entitlement.kind else {
                reasons.push(format!(
                    "{} is not a service-level entitlement",
                    c.entitlement.id
                ));
                continue;
            };
            let Some(target) = targets.iter().find(|t| t.priority == priority) else {
                reasons.push(format!(
                    "{} has no targets for priority {priority}",
                    c.entitlement.id
                ));
                continue;
            };
            let facts = Facts {
                entitlement: &c.entitlement,
                line: &c.line,
                ledger: None,
                exceptions: &[],
                quantity: rust_decimal::Decimal::ONE,
                channel: req.channel,
                standing: None,
            };
            let mut probe = c.entitlement.clone();
            // Service levels apply whatever the customer's standing; the tier's service policy
            // shortens them below.
            probe.conditions = Default::default();
            let ev = evaluate(
                &Facts {
                    entitlement: &probe,
                    ..facts
                },
                at,
            )?;
            if ev.outcome == DecisionOutcome::Denied {
                reasons.extend(
                    ev.reasons
                        .iter()
                        .filter(|r| {
                            matches!(
                                r.kind,
                                crate::entitlement::ReasonKind::LineNotInService { .. }
                                    | crate::entitlement::ReasonKind::NotYetValid { .. }
                                    | crate::entitlement::ReasonKind::Expired { .. }
                            )
                        })
                        .map(|r| r.message.clone()),
                );
                continue;
            }
            let tier = self.tier_targets(
                customer,
                code,
                &crate::policy::SlaTargets {
                    response: Some(target.response),
                    resolution: Some(target.resolution),
                },
            )?;
            let (response, resolution) = match &tier {
                Some(t) => (
                    t.response.unwrap_or(target.response),
                    t.resolution.unwrap_or(target.resolution),
                ),
                None => (target.response, target.resolution),
            };
            let mut shortened_by_tier = Vec::new();
            if response < target.response {
                shortened_by_tier.push("response".to_string());
            }
            if resolution < target.resolution {
                shortened_by_tier.push("resolution".to_string());
            }
            return Ok(ServiceLevelTargets {
                source: MatchedEntitlement {
                    entitlement: c.entitlement.id.clone(),
                    agreement: c.line.agreement.clone(),
                    line: c.line.line.clone(),
                },
                calendar: calendar.clone(),
                priority: target.priority.clone(),
                response,
                resolution,
                tier: tier.as_ref().map(|t| t.tier.clone()),
                shortened_by_tier,
                tier_reasons: tier.map(|t| t.reasons).unwrap_or_default(),
            });
        }
        Err(Error::NotEntitled {
            what: format!("service level {code} ({priority}) for customer {customer}"),
            reasons,
        })
    }
}
