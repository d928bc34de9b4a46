//! Exceptions: approved deviations from the agreement or from policy.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{
    ActorId, AgreementId, ChargeId, CommitmentId, CustomerId, EntitlementId, ExceptionId, LineId,
    PlanId,
};
use crate::party::validate_text;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What an exception covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExceptionScope {
    /// The whole agreement named by the exception.
    Agreement,
    /// One line.
    Line {
        /// The line.
        line: LineId,
    },
    /// One entitlement.
    Entitlement {
        /// The entitlement.
        entitlement: EntitlementId,
    },
    /// One payment plan.
    PaymentPlan {
        /// The plan.
        plan: PlanId,
    },
    /// One charge.
    Charge {
        /// The charge.
        charge: ChargeId,
    },
    /// One commitment (e.g. the customer's promise to return a loan device).
    Commitment {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// A kind of process step, for the whole customer (e.g. `collections.reminder`).
    ProcessStep {
        /// The step kind.
        step_kind: String,
    },
}

/// What an exception allows or suspends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExceptionEffect {
    /// Allows beyond the agreement: extra uses of a quota or extra amount of an allowance
    /// (`None`: no limit while the exception holds).
    Allow {
        /// Extra units (uses, money or units) allowed; `None` for no limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<Decimal>,
    },
    /// Suspends automated actions on the scope (reminders, notices, restrictions ...).
    Suspend {
        /// The actions suspended (`reminder`, `notice`, `restrict` ...); empty for all.
        #[serde(default)]
        actions: Vec<String>,
    },
    /// Extends a due time (of a commitment, a charge) to `until`.
    Extend {
        /// The new due instant.
        until: Instant,
    },
}

/// Who withdrew an exception, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// From when the exception no longer holds.
    pub at: Instant,
    /// Who revoked it.
    pub by: ActorId,
    /// Why.
    pub reason: String,
}

/// An approved deviation: who approved it, why, what it covers, from when until when.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The host's id.
    pub id: ExceptionId,
    /// The customer it concerns.
    pub customer: CustomerId,
    /// The agreement it deviates from, if any (a policy exception may have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// What it covers.
    pub scope: ExceptionScope,
    /// What it allows or suspends.
    pub effect: ExceptionEffect,
    /// Who approved it.
    pub approved_by: ActorId,
    /// Why.
    pub reason: String,
    /// First instant it holds.
    pub valid_from: Instant,
    /// First instant it no longer holds; `None` until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Instant>,
    /// Set when the exception was withdrawn early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

impl Exception {
    /// Checks texts and the validity range, and that a scope naming agreement parts has an
    /// agreement.
    pub fn validate(&self) -> Result<()> {
        validate_text("exception reason", &self.reason, true)?;
        if let Some(to) = self.valid_to
            && to <= self.valid_from
        {
            return Err(Error::validation(
                "exception validity",
                format!("{} .. {to}", self.valid_from),
                "valid_to must be after valid_from",
            ));
        }
        match &self.scope {
            ExceptionScope::ProcessStep { step_kind } => {
                validate_text("step_kind", step_kind, true)?;
            }
            ExceptionScope::Commitment { .. } => {}
            _ if self.agreement.is_none() => {
                return Err(Error::validation(
                    "exception scope",
                    format!("{:?}", self.scope),
                    "this scope needs the agreement it belongs to",
                ));
            }
            _ => {}
        }
        if let ExceptionEffect::Allow { extra: Some(x) } = &self.effect
            && *x <= Decimal::ZERO
        {
            return Err(Error::validation("extra", x, "must be above zero"));
        }
        if let ExceptionEffect::Suspend { actions } = &self.effect {
            for a in actions {
                validate_text("suspended action", a, true)?;
            }
        }
        Ok(())
    }

    /// Whether the exception holds at `at` (approved, started, not ended, not revoked).
    pub fn holds_at(&self, at: Instant) -> bool {
        self.valid_from <= at
            && self.valid_to.is_none_or(|to| at < to)
            && self.revoked.as_ref().is_none_or(|r| at < r.at)
    }

    /// Whether the exception covers `scope` at `at`. An agreement-wide exception covers every
    /// part of its agreement (lines, entitlements, plans, charges).
    pub fn covers(
        &self,
        agreement: Option<&AgreementId>,
        scope: &ExceptionScope,
        at: Instant,
    ) -> bool {
        if !self.holds_at(at) {
            return false;
        }
        let same_agreement = self.agreement.as_ref() == agreement;
        match (&self.scope, scope) {
            (ExceptionScope::Agreement, s) => {
                same_agreement && !matches!(s, ExceptionScope::ProcessStep { .. })
            }
            (ExceptionScope::ProcessStep { .. }, s) | (ExceptionScope::Commitment { .. }, s) => {
                &self.scope == s
            }
            (mine, s) => same_agreement && mine == s,
        }
    }

    /// Whether the exception suspends `action` (a `Suspend` effect listing it, or listing none).
    pub fn suspends(&self, action: &str) -> bool {
        match &self.effect {
            ExceptionEffect::Suspend { actions } => {
                actions.is_empty() || actions.iter().any(|a| a == action)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Instant {
        s.parse().unwrap()
    }

    fn loan_extension() -> Exception {
        Exception {
            id: ExceptionId::new("X1").unwrap(),
            customer: CustomerId::new("C1").unwrap(),
            agreement: Some(AgreementId::new("A1").unwrap()),
            scope: ExceptionScope::Commitment {
                commitment: CommitmentId::new("LOAN-RETURN").unwrap(),
            },
            effect: ExceptionEffect::Extend {
                until: t("2026-03-15T00:00:00Z"),
            },
            approved_by: ActorId::new("supervisor-1").unwrap(),
            reason: "repair delayed".into(),
            valid_from: t("2026-03-01T00:00:00Z"),
            valid_to: Some(t("2026-03-15T00:00:00Z")),
            revoked: None,
        }
    }

    #[test]
    fn coverage_respects_validity_and_revocation() {
        let mut x = loan_extension();
        x.validate().unwrap();
        let scope = ExceptionScope::Commitment {
            commitment: CommitmentId::new("LOAN-RETURN").unwrap(),
        };
        let a1 = AgreementId::new("A1").unwrap();
        assert!(!x.covers(Some(&a1), &scope, t("2026-02-28T00:00:00Z")));
        assert!(x.covers(Some(&a1), &scope, t("2026-03-05T00:00:00Z")));
        assert!(!x.covers(Some(&a1), &scope, t("2026-03-15T00:00:00Z")));
        x.revoked = Some(Revocation {
            at: t("2026-03-04T00:00:00Z"),
            by: ActorId::new("supervisor-1").unwrap(),
            reason: "device found".into(),
        });
        assert!(!x.covers(Some(&a1), &scope, t("2026-03-05T00:00:00Z")));
    }

    #[test]
    fn agreement_wide_exceptions_cover_their_parts_only() {
        let mut x = loan_extension();
        x.scope = ExceptionScope::Agreement;
        let line = ExceptionScope::Line {
            line: LineId::new("L1").unwrap(),
        };
        let a1 = AgreementId::new("A1").unwrap();
        let a2 = AgreementId::new("A2").unwrap();
        assert!(x.covers(Some(&a1), &line, t("2026-03-05T00:00:00Z")));
        assert!(!x.covers(Some(&a2), &line, t("2026-03-05T00:00:00Z")));
    }

    #[test]
    fn invalid_exceptions_are_refused() {
        let mut x = loan_extension();
        x.valid_to = Some(x.valid_from);
        assert!(x.validate().is_err());
        let mut x = loan_extension();
        x.agreement = None;
        x.scope = ExceptionScope::Line {
            line: LineId::new("L1").unwrap(),
        };
        assert!(x.validate().is_err());
        let mut x = loan_extension();
        x.reason = String::new();
        assert!(x.validate().is_err());
    }
}
