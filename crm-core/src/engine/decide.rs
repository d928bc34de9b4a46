//! Deciding: a command checked against the state becomes events. Nothing here mutates state.

use super::command::{Command, Metadata, NewCommitment};
use super::event::{Event, agreement_stream, customer_stream};
use super::processes;
use super::state::CrmState;
use crate::agreement::{
    Agreement, AgreementLine, Amendment, AmendmentChange, AppliedChange, Commitment,
    CommitmentState, Exception, ExceptionScope, LineAction, NewLine, PartyRef, Revocation,
    SoldThrough,
};
use crate::catalog::{Offering, OfferingKind};
use crate::entitlement::Entitlement;
use crate::error::{Error, Result};
use crate::ids::{AgreementId, CustomerId, EntitlementId, OfferingId};
use crate::obligation::PaymentPlan;
use crate::party::{Consent, validate_text};
use chrono::Duration;

/// Decides a command: the stream it targets and the events it produces.
pub(super) fn decide(
    state: &CrmState,
    meta: &Metadata,
    command: &Command,
) -> Result<(String, Vec<Event>)> {
    match command {
        Command::RegisterCustomer { customer } => {
            customer.validate()?;
            if state.customers.contains_key(&customer.id) {
                return Err(Error::already_exists("customer", &customer.id));
            }
            Ok((
                customer_stream(&customer.id),
                vec![Event::CustomerRegistered {
                    customer: customer.clone(),
                }],
            ))
        }
        Command::UpdateCustomer {
            customer,
            name,
            contact_points,
        } => {
            let mut c = customer_of(state, customer)?.clone();
            if name.is_none() && contact_points.is_none() {
                return Err(Error::validation(
                    "update_customer",
                    customer,
                    "names nothing to change",
                ));
            }
            if let Some(n) = name {
                c.name.clone_from(n);
            }
            if let Some(cp) = contact_points {
                c.contact_points.clone_from(cp);
            }
            c.validate()?;
            Ok((
                customer_stream(customer),
                vec![Event::CustomerUpdated { customer: c }],
            ))
        }
        Command::SetConsent { customer, grant } => {
            customer_of(state, customer)?;
            Ok((
                customer_stream(customer),
                vec![Event::ConsentChanged {
                    customer: customer.clone(),
                    grant: *grant,
                }],
            ))
        }
        Command::RegisterPartner { partner } => {
            partner.validate()?;
            if state.partners.contains_key(&partner.id) {
                return Err(Error::already_exists("partner", &partner.id));
            }
            Ok((
                format!("partner/{}", partner.id),
                vec![Event::PartnerRegistered {
                    partner: partner.clone(),
                }],
            ))
        }
        Command::AddOffering { offering } => {
            offering.validate()?;
            if state.offerings.contains_key(&offering.id) {
                return Err(Error::already_exists("offering", &offering.id));
            }
            if let OfferingKind::Bundle { components } = &offering.kind {
                for c in components {
                    if !state.offerings.contains_key(c) {
                        return Err(Error::not_found("offering", c));
                    }
                }
            }
            Ok((
                format!("offering/{}", offering.id),
                vec![Event::OfferingAdded {
                    offering: offering.clone(),
                }],
            ))
        }
        Command::CreateAgreement {
            agreement,
            customer,
            sold_through,
            term,
            lines,
            signature,
        } => {
            if state.agreements.contains_key(agreement) {
                return Err(Error::already_exists("agreement", agreement));
            }
            customer_of(state, customer)?;
            if let SoldThrough::Partner { partner } = sold_through
                && !state.partners.contains_key(partner)
            {
                return Err(Error::not_found("partner", partner));
            }
            check_consent(signature, meta)?;
            if lines.is_empty() {
                return Err(Error::validation(
                    "lines",
                    "[]",
                    "an agreement sells at least one line",
                ));
            }
            let mut a = Agreement {
                id: agreement.clone(),
                customer: customer.clone(),
                sold_through: sold_through.clone(),
                term: *term,
                signed_at: meta.at,
                signature: *signature,
                lines: Vec::with_capacity(lines.len()),
                entitlements: Vec::new(),
                payment_plans: Vec::new(),
                note: String::new(),
                revision: 1,
                amendments: Vec::new(),
                version: 0,
            };
            for nl in lines {
                let (line, ents, plans) = new_line(state, nl, meta, customer, agreement)?;
                a.lines.push(line);
                a.entitlements.extend(ents);
                a.payment_plans.extend(plans);
            }
            a.validate_content()?;
            super::obligations::check_plans(state, &a)?;
            for e in &a.entitlements {
                if state.entitlement_index.contains_key(&e.id) {
                    return Err(Error::already_exists("entitlement", &e.id));
                }
            }
            Ok((
                agreement_stream(agreement),
                vec![Event::AgreementCreated { agreement: a }],
            ))
        }
        Command::AmendAgreement {
            agreement,
            changes,
            reason,
            consent,
        } => {
            let current = agreement_of(state, agreement)?;
            validate_text("amendment reason", reason, true)?;
            if changes.is_empty() {
                return Err(Error::validation(
                    "changes",
                    "[]",
                    "an amendment changes something",
                ));
            }
            if let Some(c) = consent {
                check_consent(c, meta)?;
            } else if let Some(ch) = changes.iter().find(|c| c.needs_consent()) {
                return Err(Error::ConsentRequired {
                    what: format!("amending agreement {agreement} ({})", change_name(ch)),
                });
            }
            let mut applied = Vec::with_capacity(changes.len());
            let mut scratch = current.clone();
            for ch in changes {
                let a = apply_change(state, &scratch, ch, meta)?;
                scratch.apply_changes(std::slice::from_ref(&a))?;
                applied.push(a);
            }
            scratch.validate_content()?;
            super::obligations::check_plans(state, &scratch)?;
            for e in &scratch.entitlements {
                if let Some(other) = state.entitlement_index.get(&e.id)
                    && other != agreement
                {
                    return Err(Error::already_exists("entitlement", &e.id));
                }
            }
            let amendment = Amendment {
                revision: current.revision.saturating_add(1),
                at: meta.at,
                author: meta.actor.clone(),
                reason: reason.clone(),
                consent: *consent,
                changes: applied,
            };
            Ok((
                agreement_stream(agreement),
                vec![Event::AgreementAmended {
                    agreement: agreement.clone(),
                    amendment,
                }],
            ))
        }
        Command::ChangeLineStatus {
            agreement,
            line,
            action,
            effective_at,
            asset,
            renew_until,
        } => {
            let a = agreement_of(state, agreement)?;
            let l = a.line(line)?;
            let effective = effective_at.unwrap_or(meta.at);
            let entry = l.plan_move(*action, effective, asset.clone())?;
            let term = if *action == LineAction::Renew {
                let until = renew_until.ok_or_else(|| {
                    Error::validation("renew_until", "none", "a renewal needs the new last day")
                })?;
                match a.term.end {
                    Some(end) if until > end => {}
                    Some(end) => {
                        return Err(Error::validation(
                            "renew_until",
                            until,
                            format!("must be after the current end of the term ({end})"),
                        ));
                    }
                    None => {
                        return Err(Error::validation(
                            "renew_until",
                            until,
                            "the agreement's term is open-ended; there is nothing to renew",
                        ));
                    }
                }
                let mut t = a.term;
                t.end = Some(until);
                Some(t)
            } else {
                if renew_until.is_some() {
                    return Err(Error::validation(
                        "renew_until",
                        format!("{renew_until:?}"),
                        format!("only a renewal takes a new last day, not {action}"),
                    ));
                }
                None
            };
            Ok((
                agreement_stream(agreement),
                vec![Event::LineStatusChanged {
                    agreement: agreement.clone(),
                    line: line.clone(),
                    entry,
                    term,
                }],
            ))
        }
        Command::ApproveException { exception } => {
            let stream = approve_exception(state, exception)?;
            Ok((
                stream,
                vec![Event::ExceptionApproved {
                    exception: exception.clone(),
                }],
            ))
        }
        Command::RevokeException { exception, reason } => {
            validate_text("revocation reason", reason, true)?;
            let x = state
                .exceptions
                .get(exception)
                .ok_or_else(|| Error::not_found("exception", exception))?;
            if x.revoked.is_some() {
                return Err(Error::invalid_transition(
                    "exception",
                    exception,
                    "revoked",
                    "revoke",
                ));
            }
            Ok((
                owner_stream(&x.customer, x.agreement.as_ref()),
                vec![Event::ExceptionRevoked {
                    exception: exception.clone(),
                    revocation: Revocation {
                        at: meta.at,
                        by: meta.actor.clone(),
                        reason: reason.clone(),
                    },
                }],
            ))
        }
        Command::MakeCommitment { commitment } => make_commitment(state, meta, commitment),
        Command::KeepCommitment { commitment } => {
            close_commitment(state, meta, commitment, CommitmentState::Kept, None)
        }
        Command::BreakCommitment { commitment, reason } => close_commitment(
            state,
            meta,
            commitment,
            CommitmentState::Broken,
            Some(reason),
        ),
        Command::CancelCommitment { commitment, reason } => close_commitment(
            state,
            meta,
            commitment,
            CommitmentState::Cancelled,
            Some(reason),
        ),
        Command::RegisterProcessDefinition { definition } => {
            processes::decide_register(state, definition)
        }
        Command::StartProcess { start } => processes::decide_start(state, meta, start),
        Command::AdvanceProcess {
            instance,
            outcome,
            performer,
            data,
        } => processes::decide_advance(state, meta, instance, outcome, performer, data),
        Command::RegisterCalendar { calendar } => Ok((
            format!("calendar/{}", calendar.id()),
            vec![Event::CalendarRegistered {
                calendar: calendar.clone(),
            }],
        )),
        Command::ConsumeEntitlement { usage, request } => {
            super::entitlements::decide_consume(state, meta, usage, request)
        }
        Command::ReverseUsage { usage, reason } => {
            super::entitlements::decide_reverse(state, meta, usage, reason)
        }
        Command::GenerateCharges { customer, until } => {
            super::obligations::decide_generate(state, meta, customer, *until)
        }
        Command::RecordRatedUsage {
            plan,
            period_start,
            quantity,
        } => super::obligations::decide_rated_usage(state, plan, *period_start, *quantity),
        Command::RecordPayment { .. }
        | Command::ReversePayment { .. }
        | Command::GrantCredit { .. }
        | Command::AdjustCharge { .. }
        | Command::WriteOff { .. }
        | Command::ApplyCreditBalance { .. }
        | Command::RegisterCollectionPolicy { .. }
        | Command::TakeCollectionAction { .. } => {
            super::obligations::decide_ledger(state, meta, command)
        }
        Command::RegisterPolicies { .. }
        | Command::SetCustomerFacts { .. }
        | Command::AssignTiers { .. }
        | Command::GrantCompensation { .. } => super::policies::decide(state, meta, command),
        Command::RecordInteraction {
            interaction,
            start_process,
        } => super::interactions::decide_record(state, meta, interaction, start_process.as_ref()),
        Command::UpdateInteraction {
            interaction,
            update,
        } => super::interactions::decide_update(state, meta, interaction, update),
        Command::ForgetCustomer { customer } => super::privacy::decide_forget(state, customer),
    }
}

fn customer_of<'a>(state: &'a CrmState, id: &CustomerId) -> Result<&'a crate::party::Customer> {
    state
        .customers
        .get(id)
        .ok_or_else(|| Error::not_found("customer", id))
}

fn agreement_of<'a>(state: &'a CrmState, id: &AgreementId) -> Result<&'a Agreement> {
    state
        .agreements
        .get(id)
        .ok_or_else(|| Error::not_found("agreement", id))
}

fn owner_stream(customer: &CustomerId, agreement: Option<&AgreementId>) -> String {
    match agreement {
        Some(a) => agreement_stream(a),
        None => customer_stream(customer),
    }
}

fn check_consent(consent: &Consent, meta: &Metadata) -> Result<()> {
    if consent.at > meta.at {
        return Err(Error::validation(
            "consent.at",
            consent.at,
            format!("is after the command's instant {}", meta.at),
        ));
    }
    Ok(())
}

fn change_name(change: &AmendmentChange) -> &'static str {
    match change {
        AmendmentChange::AddLine { .. } => "add_line",
        AmendmentChange::ChangeQuantity { .. } => "change_quantity",
        AmendmentChange::ChangeTerm { .. } => "change_term",
        AmendmentChange::AddEntitlement { .. } => "add_entitlement",
        AmendmentChange::RemoveEntitlement { .. } => "remove_entitlement",
        AmendmentChange::SetNote { .. } => "set_note",
        AmendmentChange::AddPaymentPlan { .. } => "add_payment_plan",
        AmendmentChange::ChangePrice { .. } => "change_price",
    }
}

/// The entitlement templates a sale of `offering` grants: its own, then its components'
/// (a bundle's own template wins over a component's with the same code).
fn templates_of<'a>(
    state: &'a CrmState,
    offering: &'a Offering,
    out: &mut Vec<&'a crate::entitlement::EntitlementTemplate>,
    depth: usize,
) {
    for t in &offering.entitlements {
        if !out.iter().any(|o| o.code == t.code) {
            out.push(t);
        }
    }
    if depth > 16 {
        return;
    }
    if let OfferingKind::Bundle { components } = &offering.kind {
        for c in components {
            if let Some(o) = state.offerings.get(c) {
                templates_of(state, o, out, depth + 1);
            }
        }
    }
}

fn offering_of<'a>(state: &'a CrmState, id: &OfferingId) -> Result<&'a Offering> {
    state
        .offerings
        .get(id)
        .ok_or_else(|| Error::not_found("offering", id))
}

/// Builds a line sold now, with the entitlements and payment plans of its offering (ids
/// `<line>.<code>`).
fn new_line(
    state: &CrmState,
    nl: &NewLine,
    meta: &Metadata,
    customer: &CustomerId,
    agreement: &AgreementId,
) -> Result<(AgreementLine, Vec<Entitlement>, Vec<PaymentPlan>)> {
    if state.line_index.contains_key(&nl.id) {
        return Err(Error::already_exists("line", &nl.id));
    }
    let offering = offering_of(state, &nl.offering)?;
    let line = AgreementLine::new(
        nl.id.clone(),
        nl.offering.clone(),
        offering.line_kind(),
        nl.quantity,
        meta.at,
    );
    let mut templates = Vec::new();
    templates_of(state, offering, &mut templates, 0);
    let mut ents = Vec::with_capacity(templates.len());
    for t in templates {
        let valid_to = match t.valid_days {
            Some(days) => Some(
                meta.at
                    .checked_add_signed(Duration::days(i64::from(days)))
                    .ok_or_else(|| Error::validation("valid_days", days, "out of range"))?,
            ),
            None => None,
        };
        ents.push(Entitlement {
            id: EntitlementId::new(format!("{}.{}", nl.id, t.code))?,
            line: nl.id.clone(),
            code: t.code.clone(),
            kind: t.kind.clone(),
            conditions: t.conditions.clone(),
            valid_from: meta.at,
            valid_to,
        });
    }
    let plans = super::obligations::plans_for_line(
        offering,
        &nl.id,
        nl.quantity,
        customer,
        agreement,
        meta,
    )?;
    Ok((line, ents, plans))
}

fn apply_change(
    state: &CrmState,
    a: &Agreement,
    change: &AmendmentChange,
    meta: &Metadata,
) -> Result<AppliedChange> {
    Ok(match change {
        AmendmentChange::AddLine { line } => {
            if a.lines.iter().any(|l| l.id == line.id) {
                return Err(Error::already_exists("line", &line.id));
            }
            let (line, entitlements, payment_plans) =
                new_line(state, line, meta, &a.customer, &a.id)?;
            AppliedChange::AddLine {
                line,
                entitlements,
                payment_plans,
            }
        }
        AmendmentChange::ChangeQuantity { line, quantity } => {
            let l = a.line(line)?;
            if *quantity == l.quantity {
                return Err(Error::validation(
                    "quantity",
                    quantity,
                    format!("line {line} already has this quantity"),
                ));
            }
            AppliedChange::ChangeQuantity {
                line: line.clone(),
                quantity: *quantity,
                previous: l.quantity,
            }
        }
        AmendmentChange::ChangeTerm { end, auto_renew } => {
            let mut term = a.term;
            term.end = *end;
            term.auto_renew = *auto_renew;
            term.validate()?;
            AppliedChange::ChangeTerm {
                term,
                previous: a.term,
            }
        }
        AmendmentChange::AddEntitlement { entitlement } => {
            entitlement.validate()?;
            a.line(&entitlement.line)?;
            if a.entitlements.iter().any(|e| e.id == entitlement.id)
                || state.entitlement_index.contains_key(&entitlement.id)
            {
                return Err(Error::already_exists("entitlement", &entitlement.id));
            }
            AppliedChange::AddEntitlement {
                entitlement: entitlement.clone(),
            }
        }
        AmendmentChange::RemoveEntitlement { entitlement } => AppliedChange::RemoveEntitlement {
            entitlement: a.entitlement(entitlement)?.clone(),
        },
        AmendmentChange::AddPaymentPlan { plan } => {
            plan.validate()?;
            if a.payment_plans.iter().any(|p| p.id == plan.id)
                || state.plan_index.contains_key(&plan.id)
            {
                return Err(Error::already_exists("payment plan", &plan.id));
            }
            AppliedChange::AddPaymentPlan { plan: plan.clone() }
        }
        AmendmentChange::ChangePrice { plan, from, amount } => {
            let change = crate::obligation::PriceChange {
                from: *from,
                amount: *amount,
            };
            a.payment_plan(plan)?
                .clone()
                .add_price_change(change.clone())?;
            AppliedChange::ChangePrice {
                plan: plan.clone(),
                change,
            }
        }
        AmendmentChange::SetNote { note } => {
            validate_text("note", note, false)?;
            AppliedChange::SetNote {
                note: note.clone(),
                previous: a.note.clone(),
            }
        }
    })
}

fn approve_exception(state: &CrmState, x: &Exception) -> Result<String> {
    x.validate()?;
    if state.exceptions.contains_key(&x.id) {
        return Err(Error::already_exists("exception", &x.id));
    }
    if x.revoked.is_some() {
        return Err(Error::validation(
            "revoked",
            &x.id,
            "a new exception cannot already be revoked",
        ));
    }
    customer_of(state, &x.customer)?;
    let agreement = match &x.agreement {
        Some(id) => {
            let a = agreement_of(state, id)?;
            if a.customer != x.customer {
                return Err(Error::validation(
                    "agreement",
                    id,
                    format!("belongs to another customer than {}", x.customer),
                ));
            }
            Some(a)
        }
        None => None,
    };
    match (&x.scope, agreement) {
        (ExceptionScope::Line { line }, Some(a)) => {
            a.line(line)?;
        }
        (ExceptionScope::Entitlement { entitlement }, Some(a)) => {
            a.entitlement(entitlement)?;
        }
        (ExceptionScope::Commitment { commitment }, _) => {
            let c = state
                .commitments
                .get(commitment)
                .ok_or_else(|| Error::not_found("commitment", commitment))?;
            if c.customer != x.customer {
                return Err(Error::validation(
                    "commitment",
                    commitment,
                    format!("was made to another customer than {}", x.customer),
                ));
            }
        }
        _ => {}
    }
    Ok(owner_stream(&x.customer, x.agreement.as_ref()))
}

fn check_party(state: &CrmState, p: &PartyRef) -> Result<()> {
    match p {
        PartyRef::Partner { partner } if !state.partners.contains_key(partner) => {
            Err(Error::not_found("partner", partner))
        }
        PartyRef::Customer { customer } if !state.customers.contains_key(customer) => {
            Err(Error::not_found("customer", customer))
        }
        _ => Ok(()),
    }
}

fn make_commitment(
    state: &CrmState,
    meta: &Metadata,
    nc: &NewCommitment,
) -> Result<(String, Vec<Event>)> {
    if state.commitments.contains_key(&nc.id) {
        return Err(Error::already_exists("commitment", &nc.id));
    }
    customer_of(state, &nc.customer)?;
    if let Some(a) = &nc.agreement
        && agreement_of(state, a)?.customer != nc.customer
    {
        return Err(Error::validation(
            "agreement",
            a,
            format!("belongs to another customer than {}", nc.customer),
        ));
    }
    check_party(state, &nc.made_by)?;
    check_party(state, &nc.responsible)?;
    let c = Commitment {
        id: nc.id.clone(),
        customer: nc.customer.clone(),
        agreement: nc.agreement.clone(),
        description: nc.description.clone(),
        made_by: nc.made_by.clone(),
        responsible: nc.responsible.clone(),
        made_at: meta.at,
        due_at: nc.due_at,
        state: CommitmentState::Open,
        closed_at: None,
        close_reason: None,
    };
    c.validate()?;
    Ok((
        owner_stream(&c.customer, c.agreement.as_ref()),
        vec![Event::CommitmentMade { commitment: c }],
    ))
}

fn close_commitment(
    state: &CrmState,
    meta: &Metadata,
    id: &crate::ids::CommitmentId,
    to: CommitmentState,
    reason: Option<&String>,
) -> Result<(String, Vec<Event>)> {
    let c = state
        .commitments
        .get(id)
        .ok_or_else(|| Error::not_found("commitment", id))?;
    if c.state != CommitmentState::Open {
        let action = match to {
            CommitmentState::Kept => "keep",
            CommitmentState::Broken => "break",
            _ => "cancel",
        };
        return Err(Error::invalid_transition("commitment", id, c.state, action));
    }
    if let Some(r) = reason {
        validate_text("reason", r, true)?;
    }
    if meta.at < c.made_at {
        return Err(Error::validation(
            "at",
            meta.at,
            format!("is before the commitment was made ({})", c.made_at),
        ));
    }
    Ok((
        owner_stream(&c.customer, c.agreement.as_ref()),
        vec![Event::CommitmentClosed {
            commitment: id.clone(),
            state: to,
            at: meta.at,
            reason: reason.cloned(),
        }],
    ))
}
