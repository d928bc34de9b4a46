//! Typed command values for Kotlin, Java and Swift: the commands hosts send most, as a uniffi
//! enum, executed with `Crm.executeCommand(meta, command)`.
//!
//! Each case is converted into the core's own `Command` (ids through their constructors, which
//! check them); the core then checks and executes it exactly as it does the same command sent
//! as JSON, so no rule is restated here. Every other command goes in as JSON (`execute`,
//! `executeJson`).

use crate::convert::{Channel, InteractionOutcome, LineAction, PaymentMethod};
use crate::engine::{Crm, Event, Meta};
use crate::{CrmError, ExactDecimal, IsoDate, Money, core, to_instant};
use crm_core::engine::{Command, CommandEnvelope, InteractionUpdate};
use crm_core::entitlement::EntitlementRequest;
use crm_core::ids::{
    AgreementId, AssetId, CommitmentId, CustomerId, InteractionId, LineId, PaymentId, UsageId,
};
use std::time::SystemTime;

/// A command as a typed value (a subset of the JSON contract's commands; the field names are
/// the JSON contract's, in camelCase).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CrmCommand {
    /// Register a customer with a name (contact points and consents: the JSON command).
    RegisterCustomer {
        /// The host's id.
        id: String,
        /// The display name.
        name: String,
    },
    /// Move an agreement line through its lifecycle.
    ChangeLineStatus {
        /// The agreement.
        agreement: String,
        /// The line.
        line: String,
        /// The action.
        action: LineAction,
        /// When the move takes effect; the command's instant when null.
        effective_at: Option<SystemTime>,
        /// The asset installed (install, replace).
        asset: Option<String>,
        /// The new last day of the term (renew).
        renew_until: Option<IsoDate>,
    },
    /// Use an entitlement (checked first: a denial is `CrmException.NotEntitled`).
    ConsumeEntitlement {
        /// The usage id (makes the use idempotent).
        usage: String,
        /// The customer.
        customer: String,
        /// The entitlement code.
        code: String,
        /// The channel the request comes from.
        channel: Channel,
        /// How many units (null: one).
        quantity: Option<ExactDecimal>,
        /// Only entitlements of this agreement, if given.
        agreement: Option<String>,
    },
    /// Record that a commitment was kept.
    KeepCommitment {
        /// The commitment.
        commitment: String,
    },
    /// Record that a commitment was broken.
    BreakCommitment {
        /// The commitment.
        commitment: String,
        /// Why.
        reason: String,
    },
    /// Generate the charges of every payment plan of a customer due up to `until`.
    GenerateCharges {
        /// The customer.
        customer: String,
        /// The last due date generated.
        until: IsoDate,
    },
    /// Record a payment received, allocated oldest due first.
    RecordPayment {
        /// The payment id (makes the payment idempotent).
        id: String,
        /// The customer.
        customer: String,
        /// When it was received.
        received_at: SystemTime,
        /// The amount.
        amount: Money,
        /// How it was paid.
        method: PaymentMethod,
        /// The bank's or the channel's reference.
        reference: String,
    },
    /// Take a collection action that is due now (its key from `collectionActions`).
    TakeCollectionAction {
        /// The customer.
        customer: String,
        /// The policy's name.
        policy: String,
        /// The action's key.
        key: String,
    },
    /// Tier customers now (an empty list: every customer) and record each change.
    AssignTiers {
        /// The customers.
        customers: Vec<String>,
    },
    /// Close an open interaction or add what arrived later.
    UpdateInteraction {
        /// The interaction.
        interaction: String,
        /// When it ended (while open).
        ended_at: Option<SystemTime>,
        /// How it ended.
        outcome: Option<InteractionOutcome>,
        /// Customer satisfaction score.
        csat: Option<i64>,
        /// Likelihood to recommend, 0 to 10.
        nps: Option<i64>,
        /// The sentiment measured, from -1 to 1.
        sentiment: Option<ExactDecimal>,
    },
}

impl CrmCommand {
    /// The core's command; an id the core refuses is a `Validation` error.
    fn to_core(&self) -> Result<Command, CrmError> {
        Ok(match self.clone() {
            CrmCommand::RegisterCustomer { id, name } => Command::RegisterCustomer {
                customer: crm_core::party::Customer {
                    id: core(CustomerId::new(id))?,
                    name,
                    contact_points: Vec::new(),
                    consents: Vec::new(),
                },
            },
            CrmCommand::ChangeLineStatus {
                agreement,
                line,
                action,
                effective_at,
                asset,
                renew_until,
            } => Command::ChangeLineStatus {
                agreement: core(AgreementId::new(agreement))?,
                line: core(LineId::new(line))?,
                action: action.into(),
                effective_at: effective_at
                    .map(|t| to_instant("effective_at", t))
                    .transpose()?,
                asset: asset.map(|a| core(AssetId::new(a))).transpose()?,
                renew_until,
            },
            CrmCommand::ConsumeEntitlement {
                usage,
                customer,
                code,
                channel,
                quantity,
                agreement,
            } => {
                let mut request =
                    EntitlementRequest::new(core(CustomerId::new(customer))?, code, channel.into());
                request.quantity = quantity;
                request.agreement = agreement.map(|a| core(AgreementId::new(a))).transpose()?;
                Command::ConsumeEntitlement {
                    usage: core(UsageId::new(usage))?,
                    request,
                }
            }
            CrmCommand::KeepCommitment { commitment } => Command::KeepCommitment {
                commitment: core(CommitmentId::new(commitment))?,
            },
            CrmCommand::BreakCommitment { commitment, reason } => Command::BreakCommitment {
                commitment: core(CommitmentId::new(commitment))?,
                reason,
            },
            CrmCommand::GenerateCharges { customer, until } => Command::GenerateCharges {
                customer: core(CustomerId::new(customer))?,
                until,
            },
            CrmCommand::RecordPayment {
                id,
                customer,
                received_at,
                amount,
                method,
                reference,
            } => Command::RecordPayment {
                payment: crm_core::obligation::Payment {
                    id: core(PaymentId::new(id))?,
                    customer_id: core(CustomerId::new(customer))?,
                    received_at: to_instant("received_at", received_at)?,
                    amount: amount.to_core()?,
                    method: method.into(),
                    reference,
                    allocation: Default::default(),
                },
            },
            CrmCommand::TakeCollectionAction {
                customer,
                policy,
                key,
            } => Command::TakeCollectionAction {
                customer: core(CustomerId::new(customer))?,
                policy,
                key,
            },
            CrmCommand::AssignTiers { customers } => Command::AssignTiers {
                customers: customers
                    .into_iter()
                    .map(|c| core(CustomerId::new(c)))
                    .collect::<Result<_, _>>()?,
            },
            CrmCommand::UpdateInteraction {
                interaction,
                ended_at,
                outcome,
                csat,
                nps,
                sentiment,
            } => Command::UpdateInteraction {
                interaction: core(InteractionId::new(interaction))?,
                update: InteractionUpdate {
                    ended_at: ended_at.map(|t| to_instant("ended_at", t)).transpose()?,
                    outcome: outcome.map(Into::into),
                    feedback: crm_core::interaction::Feedback { csat, nps },
                    sentiment,
                },
            },
        })
    }
}

#[uniffi::export]
impl Crm {
    /// Executes a typed command under `meta` and returns its events; the same as sending the
    /// command's JSON to `execute`. A failed command throws and changes nothing.
    pub fn execute_command(&self, meta: Meta, command: CrmCommand) -> Result<Vec<Event>, CrmError> {
        let envelope = CommandEnvelope {
            meta: meta.to_core()?,
            command: command.to_core()?,
        };
        self.execute_envelope(&envelope)
    }
}
