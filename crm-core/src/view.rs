//! The customer 360 view: everything a service screen shows about one customer at an instant,
//! in one serializable value.
//!
//! [`Crm::customer_360`] gathers, as the record stands at `at`:
//!
//! - the **tier and why**: the last tier change (tier, the rule that matched, the reasons), or
//!   the policy's baseline tier when none was assigned (`baseline: true`), or none when no
//!   policies are registered;
//! - the **agreements** signed by `at`, each line with its status at `at`, and the lines in
//!   service (status `active` or `installed`);
//! - the **entitlements** and what remains of each ([`Crm::entitlements_of`]);
//! - **money**, when the customer has a ledger: the balance as recorded, and the aging on
//!   `at`'s date (overdue amount, buckets), with no grace days;
//! - the **open processes** (started by `at`, not ended at `at`) with their step, deadlines
//!   and SLA status ([`Crm::process_status`]); an instance that moved after `at` is shown as
//!   it stands now;
//! - the **open commitments** at `at`, and which of them are past due (past the end of an
//!   approved extension, when one holds, as the audit counts it);
//! - the **last N interactions** started by `at`, newest first;
//! - the **sentiment trend**: over the interactions started by `at` that carry a sentiment,
//!   oldest first, the moving average of the last [`SENTIMENT_WINDOW`] sentiments (fewer at
//!   the start) at each of them; the trend keeps the last N points. Averages are exact
//!   decimals rounded half to even to [`crate::measures::AVERAGE_DECIMALS`] places, as the
//!   service measures round;
//! - the **alerts**: the consistency audit's findings ([`Crm::audit`]).
//!
//! It serializes to JSON with serde.

use crate::Instant;
use crate::agreement::Commitment;
use crate::audit::Finding;
use crate::engine::Crm;
use crate::entitlement::EntitlementStatus;
use crate::error::{Error, Result};
use crate::ids::{
    AgreementId, CommitmentId, CustomerId, DefinitionId, InteractionId, LineId, OfferingId,
};
use crate::interaction::Interaction;
use crate::lifecycle::LineStatus;
use crate::measures::AVERAGE_DECIMALS;
use crate::money::Money;
use crate::obligation::{AgingReport, Scope};
use crate::process::InstanceStatus;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How many interactions the sentiment moving average spans.
pub const SENTIMENT_WINDOW: usize = 3;

/// The customer's tier and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierView {
    /// The tier.
    pub tier: String,
    /// True when no tier was assigned and this is the policy's baseline.
    pub baseline: bool,
    /// The tiering rule that matched, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why, as the tiering decision said.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// When it was assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Instant>,
}

/// One line and its status at the view's instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineView {
    /// The line.
    pub line: LineId,
    /// What was sold.
    pub offering: OfferingId,
    /// How many.
    pub quantity: u32,
    /// Its status at the instant (`None` before its first status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LineStatus>,
}

/// One agreement at the view's instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementView {
    /// The agreement.
    pub agreement: AgreementId,
    /// Its revision.
    pub revision: u32,
    /// Every line with its status.
    pub lines: Vec<LineView>,
    /// The lines in service (active or installed).
    pub active_lines: Vec<LineId>,
}

/// Money: balance, overdue amount and aging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyView {
    /// The balance as recorded (positive: the customer owes).
    pub balance: Money,
    /// What is past due on the instant's date.
    pub overdue: Money,
    /// The aging on the instant's date (no grace days).
    pub aging: AgingReport,
}

/// An open process instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessView {
    /// The definition it runs.
    pub definition: DefinitionId,
    /// When it started.
    pub started_at: Instant,
    /// Its step, deadlines and SLA status.
    pub status: InstanceStatus,
}

/// One point of the sentiment trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentPoint {
    /// The interaction.
    pub interaction: InteractionId,
    /// When it started.
    pub at: Instant,
    /// Its sentiment.
    pub sentiment: Decimal,
    /// The moving average of the last [`SENTIMENT_WINDOW`] sentiments up to this one.
    pub moving_average: Decimal,
}

/// Everything about one customer at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer360 {
    /// The customer.
    pub customer: CustomerId,
    /// The customer's name.
    pub name: String,
    /// The instant of the view.
    pub at: Instant,
    /// The tier and why; `None` without policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierView>,
    /// The agreements signed by the instant.
    pub agreements: Vec<AgreementView>,
    /// The entitlements and what remains of each.
    pub entitlements: Vec<EntitlementStatus>,
    /// Balance, overdue and aging; `None` without a ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money: Option<MoneyView>,
    /// The open process instances.
    pub open_processes: Vec<ProcessView>,
    /// The commitments open at the instant.
    pub open_commitments: Vec<Commitment>,
    /// Those of them past due.
    pub overdue_commitments: Vec<CommitmentId>,
    /// The last interactions, newest first.
    pub interactions: Vec<Interaction>,
    /// The sentiment trend, oldest first.
    pub sentiment_trend: Vec<SentimentPoint>,
    /// The audit's findings.
    pub alerts: Vec<Finding>,
}

fn average(values: &[Decimal]) -> Result<Decimal> {
    let mut sum = Decimal::ZERO;
    for v in values {
        sum = sum
            .checked_add(*v)
            .ok_or_else(|| Error::overflow("sentiment average"))?;
    }
    let n = Decimal::from(values.len());
    let avg = sum
        .checked_div(n)
        .ok_or_else(|| Error::overflow("sentiment average"))?;
    Ok(avg
        .round_dp_with_strategy(AVERAGE_DECIMALS, RoundingStrategy::MidpointNearestEven)
        .normalize())
}

impl Crm {
    /// The customer 360 view at `at` with the last `last_n` interactions and trend points
    /// (see the [module documentation](crate::view)). An unknown customer is
    /// [`Error::NotFound`].
    pub fn customer_360(
        &self,
        customer: &CustomerId,
        at: Instant,
        last_n: usize,
    ) -> Result<Customer360> {
        let c = self.customer(customer)?;
        let state = self.state();
        let tier = match (state.tiers.get(customer), self.policies()) {
            (Some(t), _) if t.at <= at => Some(TierView {
                tier: t.to.clone(),
                baseline: false,
                rule: t.rule.clone(),
                reasons: t.reasons.clone(),
                since: Some(t.at),
            }),
            (_, Some(p)) => Some(TierView {
                tier: p.policies.tiering().tiers().baseline().to_string(),
                baseline: true,
                rule: None,
                reasons: vec![],
                since: None,
            }),
            (_, None) => None,
        };
        let mut agreements = Vec::new();
        for a in self.agreements_of(customer)? {
            if a.signed_at > at {
                continue;
            }
            let a = a.as_of(at)?;
            let lines: Vec<LineView> = a
                .lines
                .iter()
                .map(|l| LineView {
                    line: l.id.clone(),
                    offering: l.offering.clone(),
                    quantity: l.quantity,
                    status: l.status_at(at),
                })
                .collect();
            let active_lines = lines
                .iter()
                .filter(|l| matches!(l.status, Some(LineStatus::Active | LineStatus::Installed)))
                .map(|l| l.line.clone())
                .collect();
            agreements.push(AgreementView {
                agreement: a.id.clone(),
                revision: a.revision,
                lines,
                active_lines,
            });
        }
        let money = match self.ledger(customer)? {
            Some(l) => {
                let aging = l.aging(at.date_naive(), 0, &Scope::Customer)?;
                Some(MoneyView {
                    balance: l.balance()?,
                    overdue: aging.overdue,
                    aging,
                })
            }
            None => None,
        };
        let mut open_processes = Vec::new();
        for inst in self.processes_of(customer)? {
            if inst.started_at() > at || inst.ended_at().is_some_and(|e| e <= at) {
                continue;
            }
            let status_at = at.max(inst.entered_at());
            open_processes.push(ProcessView {
                definition: inst.definition().clone(),
                started_at: inst.started_at(),
                status: self.process_status(inst.id(), status_at)?,
            });
        }
        let open_commitments: Vec<Commitment> = self
            .commitments_of(customer)?
            .into_iter()
            .filter(|k| {
                k.made_at <= at
                    && (k.state == crate::agreement::CommitmentState::Open
                        || k.closed_at.is_some_and(|t| t > at))
            })
            .cloned()
            .collect();
        let overdue_commitments = open_commitments
            .iter()
            .filter(|k| {
                crate::audit::extension_until(self, &k.id, at).map_or(k.due_at, |u| u.max(k.due_at))
                    < at
            })
            .map(|k| k.id.clone())
            .collect();
        let mut past: Vec<&Interaction> = state
            .interactions
            .values()
            .filter(|i| &i.customer == customer && i.started_at <= at)
            .collect();
        past.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
        let mut sentiments: Vec<Decimal> = Vec::new();
        let mut trend = Vec::new();
        for i in &past {
            let Some(s) = i.sentiment else {
                continue;
            };
            sentiments.push(s);
            let from = sentiments.len().saturating_sub(SENTIMENT_WINDOW);
            let window = sentiments.get(from..).unwrap_or_default();
            trend.push(SentimentPoint {
                interaction: i.id.clone(),
                at: i.started_at,
                sentiment: s,
                moving_average: average(window)?,
            });
        }
        let skip = trend.len().saturating_sub(last_n);
        let sentiment_trend = trend.into_iter().skip(skip).collect();
        let interactions = past
            .iter()
            .rev()
            .take(last_n)
            .map(|i| (*i).clone())
            .collect();
        Ok(Customer360 {
            customer: customer.clone(),
            name: c.name.clone(),
            at,
            tier,
            agreements,
            entitlements: self.entitlements_of(customer, None, at)?,
            money,
            open_processes,
            open_commitments,
            overdue_commitments,
            interactions,
            sentiment_trend,
            alerts: self.audit(customer, at)?,
        })
    }
}
