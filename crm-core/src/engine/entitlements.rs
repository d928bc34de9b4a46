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
use crate::agreement::{Agreement, AgreementLine, ExceptionEffect, ExceptionScope};
use crate::entitlement::check::{
    Assessed, DecisionOutcome, Evaluation, Input, VerdictOnly, assess, day, evaluate_input,
    same_text,
};
use crate::entitlement::{
    CustomerStanding, Entitlement, EntitlementDecision, EntitlementKind, EntitlementRequest,
    EntitlementStatus, ExceptionGrant, MatchedEntitlement, ServiceLevelTargets, UsageRecord,
    UsageReversal,
};
use crate::error::{Error, Result};
use crate::ids::{CustomerId, EntitlementId, UsageId};
use crate::lifecycle::LineStatus;
use crate::party::validate_text;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::ops::ControlFlow;

/// The stream usage events of an entitlement go to.
fn entitlement_stream(id: &EntitlementId) -> String {
    format!("entitlement/{id}")
}

/// One entitlement that may answer a request, borrowed from the agreement as it stood at the
/// instant of the check, with the facts about its line.
struct Candidate<'v> {
    entitlement: &'v Entitlement,
    agreement: &'v Agreement,
    line: &'v AgreementLine,
    status: Option<LineStatus>,
    since: Option<Instant>,
    exceptions: Vec<ExceptionGrant>,
}

impl<'v> Candidate<'v> {
    /// The facts [`assess`] decides on.
    fn input<'a>(
        &'a self,
        state: &'a CrmState,
        quantity: Decimal,
        channel: crate::party::Channel,
        standing: Option<&'a CustomerStanding>,
        exceptions: &'a [ExceptionGrant],
    ) -> Input<'a> {
        Input {
            entitlement: self.entitlement,
            agreement: &self.agreement.id,
            line: &self.line.id,
            kind: self.line.kind,
            status: self.status,
            since: self.since,
            term: (self.agreement.term.start, self.agreement.term.end),
            ledger: state.usage.ledger(&self.entitlement.id),
            exceptions,
            quantity,
            channel,
            standing,
        }
    }
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
/// the approved `Allow` exceptions covering it. Without `details` (a verdict), since when the
/// line's status holds is not looked up: `since` is then `at` whenever there is a status
/// (only the reasons cite it; whether it is there follows the status either way).
fn candidate<'v>(
    state: &CrmState,
    customer: &CustomerId,
    view: &'v Agreement,
    e: &'v Entitlement,
    at: Instant,
    details: bool,
) -> Result<Candidate<'v>> {
    let line = match view
        .lines
        .iter()
        .find(|l| same_text(l.id.as_str(), e.line.as_str()))
    {
        Some(l) => l,
        None => view.line(&e.line)?,
    };
    let mut exceptions = Vec::new();
    let mut scope = None;
    for x in state.exceptions_of_customer(customer) {
        let ExceptionEffect::Allow { extra } = &x.effect else {
            continue;
        };
        let scope = scope.get_or_insert_with(|| ExceptionScope::Entitlement {
            entitlement: e.id.clone(),
        });
        if !x.covers(Some(&view.id), scope, at) {
            continue;
        }
        exceptions.push(ExceptionGrant {
            exception: x.id.clone(),
            approved_by: x.approved_by.clone(),
            until: match (x.valid_to, &x.revoked) {
                (Some(to), Some(r)) => Some(to.min(r.at)),
                (to, r) => to.or(r.as_ref().map(|r| r.at)),
            },
            extra: *extra,
            reason: x.reason.clone(),
        });
    }
    let status = line.entry_at(at).map(|x| x.status);
    Ok(Candidate {
        entitlement: e,
        agreement: view,
        line,
        status,
        since: if details {
            line.status_since(at)
        } else {
            status.map(|_| at)
        },
        exceptions,
    })
}

/// One pass over an agreement's entitlements for a request: whether any has the code asked,
/// and of those on the line asked (every line when none is asked) how many there are, the
/// first, and whether they come in line, then entitlement id order. The walk compares each
/// entitlement's code once instead of once per question.
struct Scan<'v> {
    /// Whether an entitlement has the code (on any line).
    has_code: bool,
    /// How many have the code and are on the line asked.
    count: usize,
    /// The first of them.
    first: Option<&'v Entitlement>,
    /// Whether they are in line, entitlement id order.
    sorted: bool,
}

impl<'v> Scan<'v> {
    fn of(entitlements: &'v [Entitlement], req: &EntitlementRequest) -> Self {
        let mut scan = Scan {
            has_code: false,
            count: 0,
            first: None,
            sorted: true,
        };
        let mut last: Option<&Entitlement> = None;
        for e in entitlements {
            if !same_text(&e.code, &req.code) {
                continue;
            }
            scan.has_code = true;
            if req
                .line
                .as_ref()
                .is_some_and(|l| !same_text(e.line.as_str(), l.as_str()))
            {
                continue;
            }
            if let Some(p) = last
                && scan.sorted
                && (&p.line, &p.id) > (&e.line, &e.id)
            {
                scan.sorted = false;
            }
            scan.first.get_or_insert(e);
            last = Some(e);
            scan.count += 1;
        }
        scan
    }

    /// Whether `e` is one of the entitlements counted (the code, on the line asked).
    fn matches(&self, e: &Entitlement, req: &EntitlementRequest) -> bool {
        same_text(&e.code, &req.code)
            && req
                .line
                .as_ref()
                .is_none_or(|l| same_text(e.line.as_str(), l.as_str()))
    }
}

/// Walks the candidates for `req` at `at` in the matching order (the customer's agreements
/// signed by `at` that grant the code, each as it stood at `at`, in agreement id order; in
/// each, the entitlements with the code, on the line and with the asset asked, in line, then
/// entitlement id order), handing each to `visit` until it breaks. Nothing is collected: a
/// candidate borrows from its agreement. When no candidate is found, the error says why: an
/// unknown customer, agreement or code, `at` before every agreement granting the code, or
/// nothing on the line or asset asked. Without `details` (a verdict) the candidates leave out
/// what only reasons cite (see [`candidate`]).
fn walk(
    state: &CrmState,
    req: &EntitlementRequest,
    at: Instant,
    details: bool,
    visit: impl FnMut(&Candidate<'_>) -> Result<ControlFlow<()>>,
) -> Result<()> {
    req.validate()?;
    if !state.customers.contains_key(&req.customer) {
        return Err(Error::not_found("customer", &req.customer));
    }
    let one = match &req.agreement {
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
            Some(a)
        }
        None => None,
    };
    // The one agreement asked for, or every agreement of the customer's: from the customer
    // index in a large state, by an inline scan in a small one (each its own instance of
    // the walk, so that the small case pays nothing for the index).
    if let Some(a) = one {
        return walk_over(state, req, at, details, visit, std::iter::once(a));
    }
    match state.indexed_agreements(&req.customer) {
        Some(ids) => walk_over(
            state,
            req,
            at,
            details,
            visit,
            ids.filter_map(|id| state.agreements.get(id)),
        ),
        None => walk_over(
            state,
            req,
            at,
            details,
            visit,
            state
                .agreements
                .values()
                .filter(|a| same_text(a.customer.as_str(), req.customer.as_str())),
        ),
    }
}

/// [`walk`] over the customer's agreements (in id order).
fn walk_over<'s>(
    state: &'s CrmState,
    req: &EntitlementRequest,
    at: Instant,
    details: bool,
    mut visit: impl FnMut(&Candidate<'_>) -> Result<ControlFlow<()>>,
    agreements: impl Iterator<Item = &'s Agreement>,
) -> Result<()> {
    // The earliest signing of an agreement granting the code, whether one was signed by
    // `at`, and how many candidates were found.
    let mut first: Option<Instant> = None;
    let mut signed = false;
    let mut found = 0usize;
    for a in agreements {
        let scan = Scan::of(&a.entitlements, req);
        if !scan.has_code {
            continue;
        }
        first = Some(first.map_or(a.signed_at, |f| f.min(a.signed_at)));
        if a.signed_at > at {
            continue;
        }
        signed = true;
        let view = as_of(a, at)?;
        // The scan of the current agreement holds for the view unless it was amended since.
        let scan = match &view {
            Cow::Borrowed(_) => scan,
            Cow::Owned(v) => Scan::of(&v.entitlements, req),
        };
        let view: &Agreement = &view;
        let mut take = |e: &Entitlement| -> Result<ControlFlow<()>> {
            if let Some(asset) = &req.asset
                && view
                    .line(&e.line)?
                    .entry_at(at)
                    .and_then(|x| x.asset.as_ref())
                    != Some(asset)
            {
                return Ok(ControlFlow::Continue(()));
            }
            found += 1;
            visit(&candidate(state, &req.customer, view, e, at, details)?)
        };
        match (scan.count, scan.first) {
            (_, None) => {}
            // Usually one entitlement with the code on the line asked: nothing more to look at.
            (1, Some(e)) => {
                if take(e)?.is_break() {
                    return Ok(());
                }
            }
            // Usually already in line, entitlement id order: then nothing is copied to sort.
            _ if scan.sorted => {
                for e in view.entitlements.iter().filter(|e| scan.matches(e, req)) {
                    if take(e)?.is_break() {
                        return Ok(());
                    }
                }
            }
            _ => {
                let mut ents: Vec<&Entitlement> = view
                    .entitlements
                    .iter()
                    .filter(|e| scan.matches(e, req))
                    .collect();
                ents.sort_by(|x, y| (&x.line, &x.id).cmp(&(&y.line, &y.id)));
                for e in ents {
                    if take(e)?.is_break() {
                        return Ok(());
                    }
                }
            }
        }
    }
    let Some(first) = first else {
        return Err(Error::not_found(
            "entitlement",
            format!("{} of customer {}", req.code, req.customer),
        ));
    };
    if !signed {
        return Err(Error::validation(
            "at",
            at,
            format!(
                "is before any agreement of customer {} granting {} (first signed at {first})",
                req.customer, req.code
            ),
        ));
    }
    if found == 0 {
        return Err(Error::not_found(
            "entitlement",
            format!(
                "{} of customer {} for the line or asset asked",
                req.code, req.customer
            ),
        ));
    }
    Ok(())
}

/// Runs `decide` over the candidates for `req` at `at` (with the quantity the request asks of
/// each), in order, stopping after the first one granted within its entitlement. The full
/// check and the verdict both go through here, so they see the same candidates, quantities,
/// standing and errors; `details` as in [`walk`].
fn each_candidate(
    state: &CrmState,
    req: &EntitlementRequest,
    at: Instant,
    details: bool,
    mut decide: impl FnMut(&Input<'_>) -> Result<DecisionOutcome>,
) -> Result<()> {
    let derived;
    let standing = match &req.standing {
        Some(s) => Some(s),
        None => {
            derived = state.standing(&req.customer, at);
            Some(&derived)
        }
    };
    walk(state, req, at, details, |c| {
        let quantity = req.quantity_for(&c.entitlement.kind)?;
        let input = c.input(state, quantity, req.channel, standing, &c.exceptions);
        Ok(if decide(&input)? == DecisionOutcome::Granted {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })
}

/// Checks a request against the state at `at`: the first candidate granted within its
/// entitlement wins; failing that, the first granted by exception; failing that, denied.
pub(crate) fn check(
    state: &CrmState,
    req: &EntitlementRequest,
    at: Instant,
) -> Result<EntitlementDecision> {
    let mut evals: Vec<(Evaluation, Decimal)> = Vec::new();
    each_candidate(state, req, at, true, |input| {
        let ev = evaluate_input(input, at)?;
        let outcome = ev.outcome;
        evals.push((ev, input.quantity));
        Ok(outcome)
    })?;
    if let Some(pos) = evals
        .iter()
        .position(|(e, _)| e.outcome == DecisionOutcome::Granted)
        .or_else(|| {
            evals
                .iter()
                .position(|(e, _)| e.outcome == DecisionOutcome::GrantedByException)
        })
    {
        let (ev, q) = evals.swap_remove(pos);
        return Ok(decision(req, at, q, ev, None));
    }
    // Denied: every candidate's reasons; the one that frees up first is named.
    let best = evals
        .iter()
        .enumerate()
        .filter_map(|(i, (e, _))| e.next_available.map(|n| (n, i)))
        .min()
        .map_or(0, |(_, i)| i);
    // moved out, not cloned: the decision carries these instead of the named one's own
    let reasons = evals
        .iter_mut()
        .flat_map(|(e, _)| std::mem::take(&mut e.reasons))
        .collect();
    if best >= evals.len() {
        return Err(Error::not_found("entitlement", &req.code));
    }
    let (ev, q) = evals.swap_remove(best);
    Ok(decision(req, at, q, ev, Some(reasons)))
}

/// Whether `req` would be granted at `at` (within the entitlement or by exception): the
/// outcome of [`check`] without its reasons and details, decided by the same code
/// ([`assess`] over the same candidates, in the same walk).
pub(crate) fn is_entitled(state: &CrmState, req: &EntitlementRequest, at: Instant) -> Result<bool> {
    let mut granted = false;
    each_candidate(state, req, at, false, |input| {
        let a: Assessed<'_> = assess(input, at, &mut VerdictOnly)?;
        granted |= a.outcome != DecisionOutcome::Denied;
        Ok(a.outcome)
    })?;
    Ok(granted)
}

fn decision(
    req: &EntitlementRequest,
    at: Instant,
    quantity: Decimal,
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
    if state.usage.contains(usage) {
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

    /// Whether `request` would be granted at `at` (within the entitlement or by exception):
    /// the answer of [`Crm::check_entitlement`]'s [`EntitlementDecision::is_granted`], decided
    /// by the same code, without building the decision's reasons, remaining figures or ids.
    /// For hot paths (a gateway asking yes or no); ask `check_entitlement` for the why.
    ///
    /// Errors: exactly those of [`Crm::check_entitlement`] for the same request and instant.
    pub fn is_entitled(&self, request: &EntitlementRequest, at: Instant) -> Result<bool> {
        is_entitled(&self.state, request, at)
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
                let c = candidate(&self.state, customer, &view, e, at, true)?;
                let ev = evaluate_input(
                    &c.input(
                        &self.state,
                        Decimal::ZERO,
                        crate::party::Channel::Web,
                        standing,
                        &[],
                    ),
                    at,
                )?;
                let usable = ev.outcome != DecisionOutcome::Denied
                    && ev
                        .remaining
                        .as_ref()
                        .is_none_or(|r| r.remaining > Decimal::ZERO);
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
    pub fn usage(&self, id: &UsageId) -> Result<UsageRecord> {
        self.state
            .usage
            .record(id)
            .ok_or_else(|| Error::not_found("usage", id))
    }

    /// Every use of an entitlement, oldest first, reversed ones included.
    pub fn usage_of(&self, entitlement: &EntitlementId) -> Result<Vec<UsageRecord>> {
        if !self.state.entitlement_index.contains_key(entitlement) {
            return Err(Error::not_found("entitlement", entitlement));
        }
        Ok(self
            .state
            .usage
            .ledger(entitlement)
            .map(|l| l.records())
            .unwrap_or_default())
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
        let mut reasons = Vec::new();
        let mut found = None;
        walk(self, &req, at, true, |c| {
            let EntitlementKind::ServiceLevel { calendar, targets } = &c.entitlement.kind else {
                reasons.push(format!(
                    "{} is not a service-level entitlement",
                    c.entitlement.id
                ));
                return Ok(ControlFlow::Continue(()));
            };
            let Some(target) = targets.iter().find(|t| t.priority == priority) else {
                reasons.push(format!(
                    "{} has no targets for priority {priority}",
                    c.entitlement.id
                ));
                return Ok(ControlFlow::Continue(()));
            };
            let mut probe = c.entitlement.clone();
            // Service levels apply whatever the customer's standing; the tier's service policy
            // shortens them below.
            probe.conditions = Default::default();
            let ev = evaluate_input(
                &Input {
                    entitlement: &probe,
                    ledger: None,
                    ..c.input(self, Decimal::ONE, req.channel, None, &[])
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
                return Ok(ControlFlow::Continue(()));
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
            found = Some(ServiceLevelTargets {
                source: MatchedEntitlement {
                    entitlement: c.entitlement.id.clone(),
                    agreement: c.agreement.id.clone(),
                    line: c.line.id.clone(),
                },
                calendar: calendar.clone(),
                priority: target.priority.clone(),
                response,
                resolution,
                tier: tier.as_ref().map(|t| t.tier.clone()),
                shortened_by_tier,
                tier_reasons: tier.map(|t| t.reasons).unwrap_or_default(),
            });
            Ok(ControlFlow::Break(()))
        })?;
        if let Some(t) = found {
            return Ok(t);
        }
        Err(Error::NotEntitled {
            what: format!("service level {code} ({priority}) for customer {customer}"),
            reasons,
        })
    }
}
