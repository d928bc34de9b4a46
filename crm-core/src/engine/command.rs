//! Commands: what a host asks the engine to do.

use crate::Instant;
use crate::agreement::{
    AmendmentChange, Exception, LineAction, NewLine, PartyRef, SoldThrough, Term,
};
use crate::calendar::BusinessCalendar;
use crate::catalog::Offering;
use crate::engine::processes::{StartProcess, StoredDefinition};
use crate::error::{Error, Result};
use crate::ids::InstanceId;
use crate::ids::{ActorId, AgreementId, AssetId, CommitmentId, CustomerId, ExceptionId, LineId};
use crate::party::{Consent, ConsentGrant, ContactPoint, Customer, Partner};
use crate::process::{InstanceData, Performer};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest idempotency key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 200;

/// Who sends a command, when, and under which guarantees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The instant the command takes effect (the host's clock; the engine reads none).
    pub at: Instant,
    /// Who sends it (an employee, a system, a queue).
    pub actor: ActorId,
    /// A key that makes the command idempotent: sent again with the same content, it returns
    /// the first result and changes nothing; with different content it is a conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The version the command expects its target stream to have; a different version is a
    /// conflict, never a silent overwrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
}

impl Metadata {
    /// Metadata with no idempotency key and no expected version.
    pub fn new(at: Instant, actor: ActorId) -> Self {
        Metadata {
            at,
            actor,
            idempotency_key: None,
            expected_version: None,
        }
    }

    /// The same metadata with an idempotency key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The same metadata with an expected version.
    pub fn expecting(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(key) = &self.idempotency_key
            && (key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control))
        {
            return Err(Error::validation(
                "idempotency_key",
                key.escape_default(),
                format!("must be 1 to {MAX_KEY_LEN} printable bytes"),
            ));
        }
        Ok(())
    }
}

/// A command with its metadata: the unit the engine executes.
///
/// JSON: `{"meta": {"at": "...", "actor": "..."}, "command": {"type": "register_customer", ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandEnvelope {
    /// Who, when, and under which guarantees.
    pub meta: Metadata,
    /// What to do.
    pub command: Command,
}

/// A new commitment; it is made at the command's instant and starts open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCommitment {
    /// The host's id.
    pub id: CommitmentId,
    /// The customer it is made to.
    pub customer: CustomerId,
    /// The agreement it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// What is promised.
    pub description: String,
    /// Who makes the promise.
    pub made_by: PartyRef,
    /// Who must keep it.
    pub responsible: PartyRef,
    /// When it is due.
    pub due_at: Instant,
}

/// Everything the engine can be asked to do. Tags are stable (`"type": "register_customer"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Command {
    /// Register a new customer.
    RegisterCustomer {
        /// The customer.
        customer: Customer,
    },
    /// Change a customer's name or contact points.
    UpdateCustomer {
        /// The customer.
        customer: CustomerId,
        /// The new name, if it changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The new contact points, if they change (replacing the old ones).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact_points: Option<Vec<ContactPoint>>,
    },
    /// Record the customer's consent (or its withdrawal) for a purpose on a channel.
    SetConsent {
        /// The customer.
        customer: CustomerId,
        /// The consent.
        grant: ConsentGrant,
    },
    /// Register a channel partner.
    RegisterPartner {
        /// The partner.
        partner: Partner,
    },
    /// Add an offering to the catalog.
    AddOffering {
        /// The offering.
        offering: Offering,
    },
    /// Record a signed agreement (the sale): revision 1, lines in their initial status,
    /// entitlements from the offerings' templates.
    CreateAgreement {
        /// The agreement's id.
        agreement: AgreementId,
        /// The customer.
        customer: CustomerId,
        /// Sold directly or through a partner.
        sold_through: SoldThrough,
        /// The term.
        term: Term,
        /// The lines sold.
        lines: Vec<NewLine>,
        /// The customer's signature.
        signature: Consent,
    },
    /// Amend a signed agreement: the next revision, with a reason; changes to what the
    /// customer gets or pays need the customer's consent.
    AmendAgreement {
        /// The agreement.
        agreement: AgreementId,
        /// What changes.
        changes: Vec<AmendmentChange>,
        /// Why.
        reason: String,
        /// The customer's consent, needed when a change touches what the customer gets or pays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consent: Option<Consent>,
    },
    /// Move a line through its lifecycle, now or at a future instant.
    ChangeLineStatus {
        /// The agreement.
        agreement: AgreementId,
        /// The line.
        line: LineId,
        /// The action.
        action: LineAction,
        /// When the move takes effect; the command's instant when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        effective_at: Option<Instant>,
        /// The asset installed (install, replace).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        asset: Option<AssetId>,
        /// The new last day of the term (renew).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renew_until: Option<NaiveDate>,
    },
    /// Record an approved exception.
    ApproveException {
        /// The exception (not revoked).
        exception: Exception,
    },
    /// Withdraw an exception from the command's instant on.
    RevokeException {
        /// The exception.
        exception: ExceptionId,
        /// Why.
        reason: String,
    },
    /// Record a promise made to a customer.
    MakeCommitment {
        /// The commitment.
        commitment: NewCommitment,
    },
    /// Record that a commitment was kept.
    KeepCommitment {
        /// The commitment.
        commitment: CommitmentId,
    },
    /// Record that a commitment was broken.
    BreakCommitment {
        /// The commitment.
        commitment: CommitmentId,
        /// Why.
        reason: String,
    },
    /// Cancel a commitment (no longer owed).
    CancelCommitment {
        /// The commitment.
        commitment: CommitmentId,
        /// Why.
        reason: String,
    },
    /// Register a business calendar (or replace one with a new version of itself).
    RegisterCalendar {
        /// The calendar (boxed: it carries its zone's clock changes).
        calendar: Box<BusinessCalendar>,
    },
    /// Register a process definition (validated), or replace one with the same id; a host
    /// definition serving an interaction kind takes precedence over a built-in.
    RegisterProcessDefinition {
        /// The definition.
        definition: StoredDefinition,
    },
    /// Start a process instance.
    StartProcess {
        /// What to start.
        start: StartProcess,
    },
    /// Move a process instance along the edge with this outcome.
    AdvanceProcess {
        /// The instance.
        instance: InstanceId,
        /// The outcome taken from the current step.
        outcome: String,
        /// Who finished the step: the current step's performer.
        performer: Performer,
        /// Data set or replaced before the edge's guard is evaluated.
        #[serde(default)]
        data: InstanceData,
    },
    /// Use an entitlement: checks the request at the command's instant and records the use in
    /// one step; a denial is [`Error::NotEntitled`] and records nothing.
    ConsumeEntitlement {
        /// The host's id for this use (its request id); used once.
        usage: crate::ids::UsageId,
        /// What is asked for.
        request: crate::entitlement::EntitlementRequest,
    },
    /// Reverse a recorded use (a cancelled visit): it no longer counts in any window.
    ReverseUsage {
        /// The use.
        usage: crate::ids::UsageId,
        /// Why.
        reason: String,
    },
    /// Generate the charges of every payment plan of a customer due up to `until` (included)
    /// into the ledger: new charges are added, charges whose due date or amount the plan now
    /// gives differently (a termination, a suspension, a price change) are rescheduled or
    /// settled by an adjustment (or a credit for what was already paid). Running it again
    /// with nothing new records nothing.
    GenerateCharges {
        /// The customer.
        customer: CustomerId,
        /// The last due date generated.
        until: NaiveDate,
    },
    /// Supply the rated usage of one period of a consumption plan (the host's mediation);
    /// replaces an earlier figure for the same period until its charge is generated.
    RecordRatedUsage {
        /// The plan.
        plan: crate::ids::PlanId,
        /// The period's first day (one of the plan's anchor dates).
        period_start: NaiveDate,
        /// The quantity used, not negative.
        quantity: rust_decimal::Decimal,
    },
    /// Record a payment received and allocate it (oldest due first, or to named charges); the
    /// rest becomes credit balance. A payment id seen before with the same content returns the
    /// first result and records nothing.
    RecordPayment {
        /// The payment.
        payment: crate::obligation::Payment,
    },
    /// Reverse a payment (it bounced): what it paid is open again.
    ReversePayment {
        /// The customer.
        customer: CustomerId,
        /// The payment.
        payment: crate::ids::PaymentId,
        /// Why (the bank's return reason).
        reason: String,
    },
    /// Grant a credit (compensation, goodwill), allocated like a payment.
    GrantCredit {
        /// The credit.
        credit: crate::obligation::Credit,
    },
    /// Correct one charge's amount, up or down.
    AdjustCharge {
        /// The adjustment.
        adjustment: crate::obligation::Adjustment,
    },
    /// Give up collecting part or all of one charge's open amount.
    WriteOff {
        /// The write-off.
        write_off: crate::obligation::WriteOff,
    },
    /// Apply the customer's credit balance to the open charges, oldest due first.
    ApplyCreditBalance {
        /// The customer.
        customer: CustomerId,
    },
    /// Register a collection policy (a ladder), or replace the one with the same name.
    RegisterCollectionPolicy {
        /// The policy.
        policy: crate::obligation::CollectionPolicy,
    },
    /// Register the organisation's policies (tiering, service per tier, compensation) and how
    /// customers are measured; replaces the policies registered before.
    RegisterPolicies {
        /// The policy set (boxed: it is large).
        policies: Box<crate::policy::PolicySet>,
        /// How customers are measured (trailing window, margin rates).
        #[serde(default)]
        settings: crate::engine::PolicySettings,
    },
    /// Record what only the host knows about a customer (potential, churn risk, attributes),
    /// replacing what was recorded before.
    SetCustomerFacts {
        /// The customer.
        customer: CustomerId,
        /// The facts.
        facts: crate::engine::HostFacts,
    },
    /// Tier customers now (an empty list: every customer) and record each change.
    AssignTiers {
        /// The customers.
        #[serde(default)]
        customers: Vec<CustomerId>,
    },
    /// Decide a complaint's compensation under the policy and the tier's cap now, and grant
    /// it: the grant is recorded and a credit or fee waiver reaches the ledger. An offer that
    /// needs approval needs `approved_by`.
    GrantCompensation {
        /// The customer.
        customer: CustomerId,
        /// The complaint's facts.
        complaint: crate::policy::Complaint,
        /// Who approved, when the offer needs approval.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approved_by: Option<ActorId>,
    },
    /// Take a collection action that is due now (see `Crm::collection_actions`): it is
    /// recorded, so it is not proposed again, and a `restrict` step restricts the line.
    TakeCollectionAction {
        /// The customer.
        customer: CustomerId,
        /// The policy's name.
        policy: String,
        /// The action's key.
        key: String,
    },
    /// Record a contact with a customer (see `docs/interactions.md`); with `start_process`,
    /// the process its kind classifies to starts in the same event.
    RecordInteraction {
        /// The interaction.
        interaction: crate::interaction::Interaction,
        /// Start the process the interaction's kind classifies to (when it links none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_process: Option<crate::engine::StartOptions>,
    },
    /// Close an open interaction or add what arrived later (outcome, survey, sentiment).
    UpdateInteraction {
        /// The interaction.
        interaction: crate::ids::InteractionId,
        /// What changes.
        update: crate::engine::InteractionUpdate,
    },
    /// Erase a customer's personal data (name, contact points, interaction summaries, the
    /// texts of commitments, exceptions and agreement notes) from the state and from every
    /// earlier event in the store, keeping ids, instants, amounts, statuses and the ledger
    /// (see `docs/privacy.md`). An unknown customer is [`Error::NotFound`].
    ForgetCustomer {
        /// The customer.
        customer: CustomerId,
    },
}

impl Command {
    /// The stable tag of this command (`register_customer` ...).
    pub fn tag(&self) -> &'static str {
        match self {
            Command::RegisterCustomer { .. } => "register_customer",
            Command::UpdateCustomer { .. } => "update_customer",
            Command::SetConsent { .. } => "set_consent",
            Command::RegisterPartner { .. } => "register_partner",
            Command::AddOffering { .. } => "add_offering",
            Command::CreateAgreement { .. } => "create_agreement",
            Command::AmendAgreement { .. } => "amend_agreement",
            Command::ChangeLineStatus { .. } => "change_line_status",
            Command::ApproveException { .. } => "approve_exception",
            Command::RevokeException { .. } => "revoke_exception",
            Command::MakeCommitment { .. } => "make_commitment",
            Command::KeepCommitment { .. } => "keep_commitment",
            Command::BreakCommitment { .. } => "break_commitment",
            Command::CancelCommitment { .. } => "cancel_commitment",
            Command::RegisterCalendar { .. } => "register_calendar",
            Command::RegisterProcessDefinition { .. } => "register_process_definition",
            Command::StartProcess { .. } => "start_process",
            Command::AdvanceProcess { .. } => "advance_process",
            Command::ConsumeEntitlement { .. } => "consume_entitlement",
            Command::ReverseUsage { .. } => "reverse_usage",
            Command::GenerateCharges { .. } => "generate_charges",
            Command::RecordRatedUsage { .. } => "record_rated_usage",
            Command::RecordPayment { .. } => "record_payment",
            Command::ReversePayment { .. } => "reverse_payment",
            Command::GrantCredit { .. } => "grant_credit",
            Command::AdjustCharge { .. } => "adjust_charge",
            Command::WriteOff { .. } => "write_off",
            Command::ApplyCreditBalance { .. } => "apply_credit_balance",
            Command::RegisterCollectionPolicy { .. } => "register_collection_policy",
            Command::TakeCollectionAction { .. } => "take_collection_action",
            Command::RegisterPolicies { .. } => "register_policies",
            Command::SetCustomerFacts { .. } => "set_customer_facts",
            Command::AssignTiers { .. } => "assign_tiers",
            Command::GrantCompensation { .. } => "grant_compensation",
            Command::RecordInteraction { .. } => "record_interaction",
            Command::UpdateInteraction { .. } => "update_interaction",
            Command::ForgetCustomer { .. } => "forget_customer",
        }
    }
}
