//! Events: what happened. State is a fold over events.

use crate::Instant;
use crate::agreement::{
    Agreement, Amendment, Commitment, CommitmentState, Exception, LineStatusEntry, Revocation, Term,
};
use crate::calendar::BusinessCalendar;
use crate::catalog::Offering;
use crate::engine::processes::{ProcessStart, StoredDefinition};
use crate::ids::InstanceId;
use crate::ids::{ActorId, AgreementId, CommitmentId, CustomerId, ExceptionId, LineId};
use crate::party::{ConsentGrant, Customer, Partner};
use crate::process::AdvanceInput;
use serde::{Deserialize, Serialize};

/// An event with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventEnvelope {
    /// Position in the whole log, from 1, without gaps.
    pub seq: u64,
    /// The stream (aggregate) the event belongs to, e.g. `agreement/A1`.
    pub stream: String,
    /// The stream's version after this event, from 1, without gaps.
    pub stream_version: u64,
    /// The instant of the command that produced it.
    pub at: Instant,
    /// Who sent that command.
    pub actor: ActorId,
    /// The command's idempotency key, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// A fingerprint of the command's content (with a key only), to tell a repeat from a reuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_hash: Option<String>,
    /// What happened.
    pub event: Event,
}

/// Everything that can happen. Tags are stable (`"type": "customer_registered"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Event {
    /// A customer was registered.
    CustomerRegistered {
        /// The customer.
        customer: Customer,
    },
    /// A customer's name or contact points changed.
    CustomerUpdated {
        /// The customer as it is now.
        customer: Customer,
    },
    /// A customer's consent changed.
    ConsentChanged {
        /// The customer.
        customer: CustomerId,
        /// The consent.
        grant: ConsentGrant,
    },
    /// A partner was registered.
    PartnerRegistered {
        /// The partner.
        partner: Partner,
    },
    /// An offering was added to the catalog.
    OfferingAdded {
        /// The offering.
        offering: Offering,
    },
    /// An agreement was signed.
    AgreementCreated {
        /// The agreement as signed.
        agreement: Agreement,
    },
    /// An agreement was amended.
    AgreementAmended {
        /// The agreement.
        agreement: AgreementId,
        /// The amendment.
        amendment: Amendment,
    },
    /// A line moved (or will move, at `entry.effective_at`).
    LineStatusChanged {
        /// The agreement.
        agreement: AgreementId,
        /// The line.
        line: LineId,
        /// The new history entry.
        entry: LineStatusEntry,
        /// The agreement's new term, when the move renewed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<Term>,
    },
    /// An exception was approved.
    ExceptionApproved {
        /// The exception.
        exception: Exception,
    },
    /// An exception was revoked.
    ExceptionRevoked {
        /// The exception.
        exception: ExceptionId,
        /// Who, when, why.
        revocation: Revocation,
    },
    /// A commitment was made.
    CommitmentMade {
        /// The commitment.
        commitment: Commitment,
    },
    /// A commitment was kept, broken or cancelled.
    CommitmentClosed {
        /// The commitment.
        commitment: CommitmentId,
        /// Kept, broken or cancelled.
        state: CommitmentState,
        /// When.
        at: Instant,
        /// Why (broken, cancelled).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A business calendar was registered or replaced.
    CalendarRegistered {
        /// The calendar (boxed: it carries its zone's clock changes).
        calendar: Box<BusinessCalendar>,
    },
    /// A process definition was registered or replaced.
    ProcessDefinitionRegistered {
        /// The definition.
        definition: StoredDefinition,
    },
    /// A process instance started.
    ProcessStarted {
        /// The start, with the SLA targets that apply.
        start: ProcessStart,
    },
    /// A process instance moved.
    ProcessAdvanced {
        /// The instance.
        instance: InstanceId,
        /// The move's input.
        input: AdvanceInput,
    },
    /// An entitlement was used.
    UsageRecorded {
        /// The use.
        usage: crate::entitlement::UsageRecord,
    },
    /// A use was reversed; it no longer counts.
    UsageReversed {
        /// The use.
        usage: crate::ids::UsageId,
        /// The entitlement it was a use of.
        entitlement: crate::ids::EntitlementId,
        /// Who, when, why.
        reversal: crate::entitlement::UsageReversal,
    },
    /// Charges were generated from a customer's payment plans.
    ChargesGenerated {
        /// The customer.
        customer: CustomerId,
        /// The last due date generated.
        until: chrono::NaiveDate,
        /// New charges, and charges whose due date or amount changed.
        changes: Vec<crate::obligation::ChargeChange>,
        /// The adjustments that settle amount changes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        adjustments: Vec<crate::obligation::Adjustment>,
        /// The credits that give back what was already paid of a reduced charge.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        credits: Vec<crate::obligation::Credit>,
    },
    /// The rated usage of a period of a consumption plan was supplied.
    RatedUsageRecorded {
        /// The plan.
        plan: crate::ids::PlanId,
        /// The period and the quantity.
        usage: crate::obligation::PeriodUsage,
    },
    /// A payment was received and allocated.
    PaymentRecorded {
        /// The payment.
        payment: crate::obligation::Payment,
        /// Where it went.
        outcome: crate::obligation::AllocationOutcome,
    },
    /// A payment was reversed.
    PaymentReversed {
        /// The customer.
        customer: CustomerId,
        /// When and why.
        reversal: crate::obligation::Reversal,
        /// What was re-opened.
        outcome: crate::obligation::ReversalOutcome,
    },
    /// A credit was granted and allocated.
    CreditGranted {
        /// The credit.
        credit: crate::obligation::Credit,
        /// Where it went.
        outcome: crate::obligation::AllocationOutcome,
    },
    /// A charge was adjusted.
    ChargeAdjusted {
        /// The customer.
        customer: CustomerId,
        /// The adjustment.
        adjustment: crate::obligation::Adjustment,
    },
    /// Part or all of a charge was written off.
    ChargeWrittenOff {
        /// The customer.
        customer: CustomerId,
        /// The write-off.
        write_off: crate::obligation::WriteOff,
    },
    /// The credit balance was applied to open charges.
    CreditBalanceApplied {
        /// The customer.
        customer: CustomerId,
        /// What was applied.
        applications: Vec<crate::obligation::Application>,
    },
    /// A collection policy was registered or replaced.
    CollectionPolicyRegistered {
        /// The policy.
        policy: crate::obligation::CollectionPolicy,
    },
    /// The organisation's policies were registered.
    PoliciesRegistered {
        /// The policies and settings (boxed: they are large).
        policies: Box<crate::engine::RegisteredPolicies>,
    },
    /// The host's facts about a customer were recorded.
    CustomerFactsSet {
        /// The customer.
        customer: CustomerId,
        /// The facts.
        facts: crate::engine::HostFacts,
    },
    /// A customer's tier changed.
    TierChanged {
        /// The change, with the rule and why.
        change: crate::policy::TierChanged,
    },
    /// A compensation was granted.
    CompensationGranted {
        /// The grant.
        grant: crate::policy::CompensationGranted,
        /// The credit that reached the ledger, if the offer has a money value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credit: Option<crate::obligation::Credit>,
        /// Why, as the decision said.
        reasons: Vec<String>,
    },
    /// A collection action was taken.
    CollectionActionTaken {
        /// The customer.
        customer: CustomerId,
        /// The action as it was due.
        action: crate::obligation::CollectionAction,
        /// The line's move, for a restriction.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line_entry: Option<LineStatusEntry>,
    },
    /// An interaction was recorded (and, when asked, the process its kind classifies to
    /// started).
    InteractionRecorded {
        /// The interaction, with `process` filled when a process started.
        interaction: crate::interaction::Interaction,
        /// The process started, with its SLA targets.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process: Option<ProcessStart>,
    },
    /// An interaction was closed or completed.
    InteractionUpdated {
        /// The interaction as it is now.
        interaction: crate::interaction::Interaction,
    },
    /// A customer's personal data was erased (see `docs/privacy.md`); the event itself names
    /// only the customer's id.
    CustomerForgotten {
        /// The customer.
        customer: CustomerId,
    },
}

impl Event {
    /// The stable tag of this event (`customer_registered` ...).
    pub fn tag(&self) -> &'static str {
        match self {
            Event::CustomerRegistered { .. } => "customer_registered",
            Event::CustomerUpdated { .. } => "customer_updated",
            Event::ConsentChanged { .. } => "consent_changed",
            Event::PartnerRegistered { .. } => "partner_registered",
            Event::OfferingAdded { .. } => "offering_added",
            Event::AgreementCreated { .. } => "agreement_created",
            Event::AgreementAmended { .. } => "agreement_amended",
            Event::LineStatusChanged { .. } => "line_status_changed",
            Event::ExceptionApproved { .. } => "exception_approved",
            Event::ExceptionRevoked { .. } => "exception_revoked",
            Event::CommitmentMade { .. } => "commitment_made",
            Event::CommitmentClosed { .. } => "commitment_closed",
            Event::CalendarRegistered { .. } => "calendar_registered",
            Event::ProcessDefinitionRegistered { .. } => "process_definition_registered",
            Event::ProcessStarted { .. } => "process_started",
            Event::ProcessAdvanced { .. } => "process_advanced",
            Event::UsageRecorded { .. } => "usage_recorded",
            Event::UsageReversed { .. } => "usage_reversed",
            Event::ChargesGenerated { .. } => "charges_generated",
            Event::RatedUsageRecorded { .. } => "rated_usage_recorded",
            Event::PaymentRecorded { .. } => "payment_recorded",
            Event::PaymentReversed { .. } => "payment_reversed",
            Event::CreditGranted { .. } => "credit_granted",
            Event::ChargeAdjusted { .. } => "charge_adjusted",
            Event::ChargeWrittenOff { .. } => "charge_written_off",
            Event::CreditBalanceApplied { .. } => "credit_balance_applied",
            Event::CollectionPolicyRegistered { .. } => "collection_policy_registered",
            Event::CollectionActionTaken { .. } => "collection_action_taken",
            Event::PoliciesRegistered { .. } => "policies_registered",
            Event::CustomerFactsSet { .. } => "customer_facts_set",
            Event::TierChanged { .. } => "tier_changed",
            Event::CompensationGranted { .. } => "compensation_granted",
            Event::InteractionRecorded { .. } => "interaction_recorded",
            Event::InteractionUpdated { .. } => "interaction_updated",
            Event::CustomerForgotten { .. } => "customer_forgotten",
        }
    }
}

/// The stream name of a customer.
pub fn customer_stream(id: &CustomerId) -> String {
    format!("customer/{id}")
}

/// The stream name of a customer's ledger.
pub fn ledger_stream(id: &CustomerId) -> String {
    format!("ledger/{id}")
}

/// The stream name of an agreement.
pub fn agreement_stream(id: &AgreementId) -> String {
    format!("agreement/{id}")
}
