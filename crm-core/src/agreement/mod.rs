//! The agreement repository: agreements, their lines and lifecycle, amendments, exceptions
//! and commitments.
//!
//! An [`Agreement`] is created at signature (the sale) with revision 1. Every later change of
//! its content is an [`Amendment`] with the next revision, a reason and an author; an amendment
//! that changes what the customer gets or pays carries the customer's [`Consent`]. Amendments
//! record the values they replaced, so [`Agreement::as_of`] can rebuild the agreement as it
//! stood at any instant. Line moves follow the lifecycle table in [`crate::lifecycle`]; each
//! line keeps its full status history, and moves may be dated in the future.

mod commitment;
mod exception;

pub use crate::lifecycle::{
    LineAction, LineKind, LineStatus, TRANSITIONS, Transition, next_status,
};
pub use commitment::{Commitment, CommitmentState, PartyRef};
pub use exception::{Exception, ExceptionEffect, ExceptionScope, Revocation};

use crate::Instant;
use crate::entitlement::Entitlement;
use crate::error::{Error, Result};
use crate::ids::{
    ActorId, AgreementId, AssetId, CustomerId, EntitlementId, LineId, OfferingId, PartnerId, PlanId,
};
use crate::money::Money;
use crate::obligation::{PaymentPlan, PriceChange};
use crate::party::{Consent, validate_text};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The most lines one agreement may have.
pub const MAX_LINES: usize = 10_000;

/// How an agreement was sold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SoldThrough {
    /// Sold by the organisation itself.
    Direct,
    /// Sold through a channel partner.
    Partner {
        /// The partner.
        partner: PartnerId,
    },
}

/// The term of an agreement: from a start date, to an optional end date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// First day of the term.
    pub start: NaiveDate,
    /// Last day of the term; `None` for an open-ended agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    /// Whether the agreement renews itself at the end of the term (the renewal process runs).
    #[serde(default)]
    pub auto_renew: bool,
}

impl Term {
    /// Checks that the end, if any, is not before the start.
    pub fn validate(&self) -> Result<()> {
        if let Some(end) = self.end
            && end < self.start
        {
            return Err(Error::validation(
                "term",
                format!("{} .. {end}", self.start),
                "the end is before the start",
            ));
        }
        Ok(())
    }

    /// Whether `date` lies within the term.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|e| date <= e)
    }
}

/// One entry of a line's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineStatusEntry {
    /// When the status takes effect (may be in the future when the move was recorded).
    pub effective_at: Instant,
    /// The action that led here; `None` for the line's initial status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<LineAction>,
    /// The status from `effective_at` on.
    pub status: LineStatus,
    /// The installed asset from `effective_at` on (physical products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<AssetId>,
}

/// A line of an agreement: an offering sold in a quantity, with its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementLine {
    /// The line's id, unique within the engine.
    pub id: LineId,
    /// What was sold.
    pub offering: OfferingId,
    /// Service or physical product (from the offering).
    pub kind: LineKind,
    /// How many.
    pub quantity: u32,
    /// The status history, oldest first; never empty.
    pub history: Vec<LineStatusEntry>,
}

impl AgreementLine {
    /// A new line in its initial status from `at`.
    pub fn new(
        id: LineId,
        offering: OfferingId,
        kind: LineKind,
        quantity: u32,
        at: Instant,
    ) -> Self {
        AgreementLine {
            id,
            offering,
            kind,
            quantity,
            history: vec![LineStatusEntry {
                effective_at: at,
                action: None,
                status: LineStatus::initial(kind),
                asset: None,
            }],
        }
    }

    /// The latest entry of the history, including moves dated in the future.
    pub fn latest(&self) -> Option<&LineStatusEntry> {
        self.history.last()
    }

    /// The entry in effect at `at`, or `None` before the line existed.
    pub fn entry_at(&self, at: Instant) -> Option<&LineStatusEntry> {
        let idx = self.history.partition_point(|e| e.effective_at <= at);
        idx.checked_sub(1).and_then(|i| self.history.get(i))
    }

    /// The status in effect at `at`, or `None` before the line existed.
    pub fn status_at(&self, at: Instant) -> Option<LineStatus> {
        self.entry_at(at).map(|e| e.status)
    }

    /// The instant since which the status in effect at `at` holds.
    pub fn status_since(&self, at: Instant) -> Option<Instant> {
        let idx = self.history.partition_point(|e| e.effective_at <= at);
        let current = self.history.get(idx.checked_sub(1)?)?;
        let mut since = current.effective_at;
        for e in self.history.iter().take(idx).rev() {
            if e.status != current.status {
                break;
            }
            since = e.effective_at;
        }
        Some(since)
    }

    /// Checks that `action` is allowed after the latest recorded move and is not dated before
    /// it; returns the entry the move would append.
    pub fn plan_move(
        &self,
        action: LineAction,
        effective_at: Instant,
        asset: Option<AssetId>,
    ) -> Result<LineStatusEntry> {
        let latest = self
            .latest()
            .ok_or_else(|| Error::not_found("line status", &self.id))?;
        let to = next_status(self.kind, latest.status, action).ok_or_else(|| {
            Error::invalid_transition("agreement line", &self.id, latest.status, action)
        })?;
        if effective_at < latest.effective_at {
            return Err(Error::validation(
                "effective_at",
                effective_at,
                format!(
                    "line {} already has a move effective at {}; moves cannot be dated before it",
                    self.id, latest.effective_at
                ),
            ));
        }
        let asset = match action {
            LineAction::Install | LineAction::Replace => {
                let asset = asset.ok_or_else(|| {
                    Error::validation("asset", "none", format!("{action} needs the asset id"))
                })?;
                if latest.asset.as_ref() == Some(&asset) {
                    return Err(Error::validation(
                        "asset",
                        &asset,
                        "is already the installed asset",
                    ));
                }
                Some(asset)
            }
            LineAction::Remove => None,
            _ => latest.asset.clone(),
        };
        Ok(LineStatusEntry {
            effective_at,
            action: Some(action),
            status: to,
            asset,
        })
    }
}

/// A line to add to an agreement (at creation or by amendment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    /// The line's id, unique within the engine.
    pub id: LineId,
    /// What is sold.
    pub offering: OfferingId,
    /// How many (at least 1).
    #[serde(default = "one")]
    pub quantity: u32,
}

fn one() -> u32 {
    1
}

/// A change an amendment makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AmendmentChange {
    /// Add a line (its entitlements come from the offering's templates).
    AddLine {
        /// The new line.
        line: NewLine,
    },
    /// Change the quantity of a line.
    ChangeQuantity {
        /// The line.
        line: LineId,
        /// The new quantity (at least 1).
        quantity: u32,
    },
    /// Change the term's end and auto-renewal.
    ChangeTerm {
        /// The new last day; `None` for open-ended.
        end: Option<NaiveDate>,
        /// Whether the agreement renews itself.
        auto_renew: bool,
    },
    /// Grant an additional entitlement on a line.
    AddEntitlement {
        /// The entitlement.
        entitlement: Entitlement,
    },
    /// Withdraw an entitlement.
    RemoveEntitlement {
        /// The entitlement's id.
        entitlement: EntitlementId,
    },
    /// Replace the internal note (does not touch what the customer gets or pays).
    SetNote {
        /// The note; empty to clear it.
        note: String,
    },
    /// Add a payment plan (its customer and agreement must be this agreement's).
    AddPaymentPlan {
        /// The plan.
        plan: PaymentPlan,
    },
    /// Change a recurring plan's amount from a date on.
    ChangePrice {
        /// The plan.
        plan: PlanId,
        /// The first day of the new amount.
        from: NaiveDate,
        /// The new amount per full period.
        amount: Money,
    },
}

impl AmendmentChange {
    /// Whether this change touches what the customer gets or pays, and so needs consent.
    pub fn needs_consent(&self) -> bool {
        !matches!(self, AmendmentChange::SetNote { .. })
    }
}

/// An amendment as recorded: the changes with the values they replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    /// The revision this amendment created (2 for the first amendment).
    pub revision: u32,
    /// When it was made.
    pub at: Instant,
    /// Who made it.
    pub author: ActorId,
    /// Why.
    pub reason: String,
    /// The customer's consent, when the changes needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// What changed, with the values replaced.
    pub changes: Vec<AppliedChange>,
}

/// One change of an amendment, with what it replaced, so the amendment can be undone when
/// looking at an earlier instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppliedChange {
    /// A line was added.
    AddLine {
        /// The line as added.
        line: AgreementLine,
        /// The entitlements created from the offering's templates.
        entitlements: Vec<Entitlement>,
        /// The payment plans created from the offering's templates.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        payment_plans: Vec<PaymentPlan>,
    },
    /// A quantity changed.
    ChangeQuantity {
        /// The line.
        line: LineId,
        /// The new quantity.
        quantity: u32,
        /// The quantity before.
        previous: u32,
    },
    /// The term changed.
    ChangeTerm {
        /// The new term.
        term: Term,
        /// The term before.
        previous: Term,
    },
    /// An entitlement was granted.
    AddEntitlement {
        /// The entitlement.
        entitlement: Entitlement,
    },
    /// An entitlement was withdrawn.
    RemoveEntitlement {
        /// The entitlement as it was.
        entitlement: Entitlement,
    },
    /// The note changed.
    SetNote {
        /// The new note.
        note: String,
        /// The note before.
        previous: String,
    },
    /// A payment plan was added.
    AddPaymentPlan {
        /// The plan.
        plan: PaymentPlan,
    },
    /// A recurring plan's amount changes from a date on.
    ChangePrice {
        /// The plan.
        plan: PlanId,
        /// The new amount and its first day.
        change: PriceChange,
    },
}

/// An agreement with a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// The host's id.
    pub id: AgreementId,
    /// The customer.
    pub customer: CustomerId,
    /// Sold directly or through a partner.
    pub sold_through: SoldThrough,
    /// The term.
    pub term: Term,
    /// When the agreement was signed.
    pub signed_at: Instant,
    /// The customer's signature (channel and instant).
    pub signature: Consent,
    /// The lines, in the order they were added.
    pub lines: Vec<AgreementLine>,
    /// The entitlements the lines grant.
    pub entitlements: Vec<Entitlement>,
    /// The payment plans: what the customer owes for the lines, and when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_plans: Vec<PaymentPlan>,
    /// An internal note.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The contractual revision: 1 at signature, one more per amendment.
    pub revision: u32,
    /// Every amendment, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amendments: Vec<Amendment>,
    /// The stream version: the number of events recorded on this agreement (every amendment,
    /// line move, exception ...). Commands may name it as their expected version.
    pub version: u64,
}

impl Agreement {
    /// The line with that id.
    pub fn line(&self, id: &LineId) -> Result<&AgreementLine> {
        self.lines
            .iter()
            .find(|l| &l.id == id)
            .ok_or_else(|| Error::not_found("line", id))
    }

    /// The line with that id, mutable.
    pub fn line_mut(&mut self, id: &LineId) -> Result<&mut AgreementLine> {
        self.lines
            .iter_mut()
            .find(|l| &l.id == id)
            .ok_or_else(|| Error::not_found("line", id))
    }

    /// The payment plan with that id.
    pub fn payment_plan(&self, id: &PlanId) -> Result<&PaymentPlan> {
        self.payment_plans
            .iter()
            .find(|p| &p.id == id)
            .ok_or_else(|| Error::not_found("payment plan", id))
    }

    fn payment_plan_mut(&mut self, id: &PlanId) -> Result<&mut PaymentPlan> {
        self.payment_plans
            .iter_mut()
            .find(|p| &p.id == id)
            .ok_or_else(|| Error::not_found("payment plan", id))
    }

    /// The entitlement with that id.
    pub fn entitlement(&self, id: &EntitlementId) -> Result<&Entitlement> {
        self.entitlements
            .iter()
            .find(|e| &e.id == id)
            .ok_or_else(|| Error::not_found("entitlement", id))
    }

    /// Applies an amendment (already validated when it was decided): its changes, the new
    /// revision, and the amendment into the history.
    pub fn apply_amendment(&mut self, amendment: &Amendment) -> Result<()> {
        self.apply_changes(&amendment.changes)?;
        self.revision = amendment.revision;
        self.amendments.push(amendment.clone());
        Ok(())
    }

    /// Applies changes to the content only (no revision, no history).
    pub fn apply_changes(&mut self, changes: &[AppliedChange]) -> Result<()> {
        for change in changes {
            match change {
                AppliedChange::AddLine {
                    line,
                    entitlements,
                    payment_plans,
                } => {
                    self.lines.push(line.clone());
                    self.entitlements.extend(entitlements.iter().cloned());
                    self.payment_plans.extend(payment_plans.iter().cloned());
                }
                AppliedChange::ChangeQuantity { line, quantity, .. } => {
                    self.line_mut(line)?.quantity = *quantity;
                }
                AppliedChange::ChangeTerm { term, .. } => self.term = *term,
                AppliedChange::AddEntitlement { entitlement } => {
                    self.entitlements.push(entitlement.clone());
                }
                AppliedChange::RemoveEntitlement { entitlement } => {
                    self.entitlements.retain(|e| e.id != entitlement.id);
                }
                AppliedChange::SetNote { note, .. } => self.note.clone_from(note),
                AppliedChange::AddPaymentPlan { plan } => self.payment_plans.push(plan.clone()),
                AppliedChange::ChangePrice { plan, change } => {
                    self.payment_plan_mut(plan)?
                        .add_price_change(change.clone())?;
                }
            }
        }
        Ok(())
    }

    fn undo_amendment(&mut self, amendment: &Amendment) -> Result<()> {
        for change in amendment.changes.iter().rev() {
            match change {
                AppliedChange::AddLine {
                    line,
                    entitlements,
                    payment_plans,
                } => {
                    self.lines.retain(|l| l.id != line.id);
                    self.entitlements
                        .retain(|e| !entitlements.iter().any(|x| x.id == e.id));
                    self.payment_plans
                        .retain(|p| !payment_plans.iter().any(|x| x.id == p.id));
                }
                AppliedChange::ChangeQuantity { line, previous, .. } => {
                    self.line_mut(line)?.quantity = *previous;
                }
                AppliedChange::ChangeTerm { previous, .. } => self.term = *previous,
                AppliedChange::AddEntitlement { entitlement } => {
                    self.entitlements.retain(|e| e.id != entitlement.id);
                }
                AppliedChange::RemoveEntitlement { entitlement } => {
                    self.entitlements.push(entitlement.clone());
                }
                AppliedChange::SetNote { previous, .. } => self.note.clone_from(previous),
                AppliedChange::AddPaymentPlan { plan } => {
                    self.payment_plans.retain(|p| p.id != plan.id);
                }
                AppliedChange::ChangePrice { plan, change } => {
                    if let crate::obligation::Periodicity::Recurring { price_changes, .. } =
                        &mut self.payment_plan_mut(plan)?.periodicity
                    {
                        price_changes.retain(|c| c != change);
                    }
                }
            }
        }
        self.revision = amendment.revision.saturating_sub(1);
        Ok(())
    }

    /// The agreement as it stood at `at`: amendments made after `at` are undone, line moves
    /// effective after `at` are left out. An error when the agreement was signed after `at`.
    pub fn as_of(&self, at: Instant) -> Result<Agreement> {
        if at < self.signed_at {
            return Err(Error::validation(
                "as_of",
                at,
                format!("agreement {} was signed at {}", self.id, self.signed_at),
            ));
        }
        let mut a = self.clone();
        let later: Vec<Amendment> = a.amendments.iter().filter(|m| m.at > at).cloned().collect();
        for m in later.iter().rev() {
            a.undo_amendment(m)?;
        }
        a.amendments.retain(|m| m.at <= at);
        for line in &mut a.lines {
            line.history.retain(|e| e.effective_at <= at);
        }
        a.entitlements.sort_by(|x, y| x.id.cmp(&y.id));
        a.payment_plans.sort_by(|x, y| x.id.cmp(&y.id));
        Ok(a)
    }

    /// Validates the content an amendment or creation would leave: unique line ids, quantities,
    /// the term, entitlements pointing at existing lines.
    pub fn validate_content(&self) -> Result<()> {
        self.term.validate()?;
        validate_text("note", &self.note, false)?;
        if self.lines.len() > MAX_LINES {
            return Err(Error::validation(
                "lines",
                self.lines.len(),
                format!("an agreement has at most {MAX_LINES} lines"),
            ));
        }
        for (i, l) in self.lines.iter().enumerate() {
            if l.quantity == 0 {
                return Err(Error::validation("quantity", 0, "must be at least 1"));
            }
            if self.lines.iter().skip(i + 1).any(|m| m.id == l.id) {
                return Err(Error::already_exists("line", &l.id));
            }
        }
        for (i, e) in self.entitlements.iter().enumerate() {
            e.validate()?;
            if !self.lines.iter().any(|l| l.id == e.line) {
                return Err(Error::not_found("line", &e.line));
            }
            if self.entitlements.iter().skip(i + 1).any(|f| f.id == e.id) {
                return Err(Error::already_exists("entitlement", &e.id));
            }
        }
        let mut currency = None;
        for (i, p) in self.payment_plans.iter().enumerate() {
            p.validate()?;
            if p.customer_id != self.customer || p.agreement_id != self.id {
                return Err(Error::validation(
                    "payment plan",
                    &p.id,
                    format!(
                        "belongs to customer {} and agreement {}, not to {} and {}",
                        p.customer_id, p.agreement_id, self.customer, self.id
                    ),
                ));
            }
            if let Some(l) = &p.line_id
                && !self.lines.iter().any(|x| &x.id == l)
            {
                return Err(Error::not_found("line", l));
            }
            if self.payment_plans.iter().skip(i + 1).any(|q| q.id == p.id) {
                return Err(Error::already_exists("payment plan", &p.id));
            }
            match currency {
                None => currency = Some(p.currency()),
                Some(c) if c != p.currency() => {
                    return Err(Error::CurrencyMismatch {
                        left: c.code().to_string(),
                        right: p.currency().code().to_string(),
                    });
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::Channel;

    fn t(s: &str) -> Instant {
        s.parse().unwrap()
    }

    fn agreement() -> Agreement {
        let at = t("2026-01-01T10:00:00Z");
        Agreement {
            id: AgreementId::new("A1").unwrap(),
            customer: CustomerId::new("C1").unwrap(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                end: None,
                auto_renew: false,
            },
            signed_at: at,
            signature: Consent {
                channel: Channel::Branch,
                at,
            },
            lines: vec![AgreementLine::new(
                LineId::new("L1").unwrap(),
                OfferingId::new("MOBILE").unwrap(),
                LineKind::Service,
                1,
                at,
            )],
            entitlements: vec![],
            payment_plans: vec![],
            note: String::new(),
            revision: 1,
            amendments: vec![],
            version: 1,
        }
    }

    #[test]
    fn future_dated_moves_take_effect_at_their_instant() {
        let mut a = agreement();
        let l = a.line_mut(&LineId::new("L1").unwrap()).unwrap();
        let e = l
            .plan_move(
                LineAction::RequestActivation,
                t("2026-01-01T10:00:00Z"),
                None,
            )
            .unwrap();
        l.history.push(e);
        let e = l
            .plan_move(LineAction::Activate, t("2026-01-05T00:00:00Z"), None)
            .unwrap();
        l.history.push(e);
        assert_eq!(
            l.status_at(t("2026-01-03T00:00:00Z")),
            Some(LineStatus::PendingActivation)
        );
        assert_eq!(
            l.status_at(t("2026-01-05T00:00:00Z")),
            Some(LineStatus::Active)
        );
        assert_eq!(l.status_at(t("2025-12-31T00:00:00Z")), None);
        // a move dated before the latest one is refused
        assert!(
            l.plan_move(LineAction::Suspend, t("2026-01-04T00:00:00Z"), None)
                .is_err()
        );
    }

    #[test]
    fn illegal_moves_name_the_state_and_the_action() {
        let a = agreement();
        let l = a.line(&LineId::new("L1").unwrap()).unwrap();
        let e = l
            .plan_move(LineAction::Suspend, t("2026-01-02T00:00:00Z"), None)
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidTransition);
        let msg = e.to_string();
        assert!(msg.contains("suspend") && msg.contains("created"), "{msg}");
    }

    #[test]
    fn as_of_undoes_later_amendments() {
        let mut a = agreement();
        let m = Amendment {
            revision: 2,
            at: t("2026-02-01T00:00:00Z"),
            author: ActorId::new("clerk").unwrap(),
            reason: "more lines".into(),
            consent: None,
            changes: vec![AppliedChange::ChangeQuantity {
                line: LineId::new("L1").unwrap(),
                quantity: 3,
                previous: 1,
            }],
        };
        a.apply_amendment(&m).unwrap();
        assert_eq!(a.lines[0].quantity, 3);
        let before = a.as_of(t("2026-01-15T00:00:00Z")).unwrap();
        assert_eq!(before.lines[0].quantity, 1);
        assert_eq!(before.revision, 1);
        assert!(before.amendments.is_empty());
        let after = a.as_of(t("2026-02-01T00:00:00Z")).unwrap();
        assert_eq!(after.lines[0].quantity, 3);
        assert!(a.as_of(t("2025-01-01T00:00:00Z")).is_err());
    }
}
