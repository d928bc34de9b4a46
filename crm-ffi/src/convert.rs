//! Mirrors of crm-core's enumerations, with one conversion each way.
//!
//! crm-core's public enums are `#[non_exhaustive]`, so they are mirrored here rather than
//! exported remotely; a variant added in the core without a mirror here arrives as
//! `CrmError::Internal` (and the tests below fail), never as a wrong value.

use crate::CrmError;
use crm_core::lifecycle as core_lifecycle;

/// A named rule for rounding a computed amount to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Rounding {
    /// Half to even ("banker's rounding").
    HalfEven,
    /// Half away from zero ("commercial rounding").
    HalfUp,
    /// Toward zero (truncate).
    TowardZero,
    /// Away from zero.
    AwayFromZero,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl From<Rounding> for crm_core::Rounding {
    fn from(r: Rounding) -> Self {
        match r {
            Rounding::HalfEven => crm_core::Rounding::HalfEven,
            Rounding::HalfUp => crm_core::Rounding::HalfUp,
            Rounding::TowardZero => crm_core::Rounding::TowardZero,
            Rounding::AwayFromZero => crm_core::Rounding::AwayFromZero,
            Rounding::Floor => crm_core::Rounding::Floor,
            Rounding::Ceiling => crm_core::Rounding::Ceiling,
        }
    }
}

/// Whether a line is a service or a physical product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LineKind {
    /// A service (a mobile line, a health plan).
    Service,
    /// A physical product (a device, a router) with an installed asset.
    PhysicalProduct,
}

impl From<core_lifecycle::LineKind> for LineKind {
    fn from(k: core_lifecycle::LineKind) -> Self {
        match k {
            core_lifecycle::LineKind::Service => LineKind::Service,
            core_lifecycle::LineKind::PhysicalProduct => LineKind::PhysicalProduct,
        }
    }
}

impl From<LineKind> for core_lifecycle::LineKind {
    fn from(k: LineKind) -> Self {
        match k {
            LineKind::Service => core_lifecycle::LineKind::Service,
            LineKind::PhysicalProduct => core_lifecycle::LineKind::PhysicalProduct,
        }
    }
}

/// Declares a mirror enum of a `#[non_exhaustive]` core enum, with both conversions.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident, $core:path, { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => <$core>::$variant),+
                }
            }
        }

        impl TryFrom<$core> for $name {
            type Error = CrmError;
            fn try_from(v: $core) -> Result<Self, CrmError> {
                #[allow(unreachable_patterns, reason = "the core enum is non_exhaustive")]
                match v {
                    $(<$core>::$variant => Ok($name::$variant),)+
                    other => Err(CrmError::Internal {
                        reason: format!(
                            "{} {other:?} has no binding yet: update crm-ffi",
                            stringify!($name)
                        ),
                    }),
                }
            }
        }
    };
}

mirror_enum!(
    /// Where a line is in its lifecycle.
    LineStatus, core_lifecycle::LineStatus, {
        /// Service: sold, not yet requested for activation.
        Created,
        /// Service: activation requested.
        PendingActivation,
        /// Service: in use.
        Active,
        /// Service: suspended.
        Suspended,
        /// Service: restricted by collections for non-payment.
        Restricted,
        /// Service: termination requested.
        PendingTermination,
        /// Service: ended. Final.
        Terminated,
        /// Physical product: ordered, not yet installed.
        Ordered,
        /// Physical product: installed at the customer.
        Installed,
        /// Physical product: removed. Final.
        Removed,
    }
);

mirror_enum!(
    /// An action on a line.
    LineAction, core_lifecycle::LineAction, {
        /// Ask the delivering system to activate the service.
        RequestActivation,
        /// The service is active.
        Activate,
        /// Suspend the service.
        Suspend,
        /// Resume a suspended service.
        Resume,
        /// Restrict the service for non-payment.
        Restrict,
        /// Lift a collections restriction.
        LiftRestriction,
        /// Ask the delivering system to terminate the service.
        RequestTermination,
        /// Withdraw a termination request.
        CancelTermination,
        /// The service has ended.
        Terminate,
        /// Renew the service.
        Renew,
        /// Install the physical product.
        Install,
        /// Replace the installed asset.
        Replace,
        /// Remove the physical product.
        Remove,
    }
);

mirror_enum!(
    /// A channel on which the organisation and a customer meet.
    Channel, crm_core::party::Channel, {
        /// A telephone call.
        Phone,
        /// E-mail.
        Email,
        /// Web or in-app chat with a person.
        Chat,
        /// A messaging app (WhatsApp, Telegram, SMS ...).
        MessagingApp,
        /// The organisation's own customer app.
        CustomerApp,
        /// The web site (self service).
        Web,
        /// A branch, shop or office visited in person.
        Branch,
        /// Through a channel partner (agent, dealer, reseller).
        Partner,
        /// An automated assistant.
        Bot,
    }
);

mirror_enum!(
    /// What an outbound contact is for; decides which consent it needs.
    Purpose, crm_core::party::Purpose, {
        /// Service: about what the customer has.
        Service,
        /// Marketing: selling something new.
        Marketing,
    }
);

mirror_enum!(
    /// Who started an interaction.
    Direction, crm_core::interaction::Direction, {
        /// The customer contacted the organisation.
        Inbound,
        /// The organisation contacted the customer.
        Outbound,
    }
);

mirror_enum!(
    /// How an interaction ended.
    InteractionOutcome, crm_core::interaction::InteractionOutcome, {
        /// Resolved in the first contact.
        ResolvedFirstContact,
        /// Handed over with the contact kept open.
        TransferredWarm,
        /// Handed over after the contact ended.
        TransferredCold,
        /// The customer left before being served.
        Abandoned,
        /// Another contact is needed.
        FollowUpNeeded,
    }
);

mirror_enum!(
    /// How serious an audit finding is.
    Severity, crm_core::audit::Severity, {
        /// Worth a look: the record is stale or late.
        Warning,
        /// The organisation acted against its own record, or owes the customer a decision.
        Critical,
    }
);

mirror_enum!(
    /// What kind of contradiction an audit finding is.
    FindingKind, crm_core::audit::FindingKind, {
        /// A collection action taken (or a restriction standing) that an exception covers.
        CollectionActionUnderException,
        /// A restriction that contradicts the line's state.
        RestrictionContradictsLine,
        /// An open commitment past due.
        CommitmentPastDue,
        /// A breached SLA with no compensation decision.
        BreachedSlaWithoutCompensation,
        /// A complaint interaction with no process.
        ComplaintWithoutProcess,
        /// A reminder about a commitment during an approved extension of it.
        ReminderDuringExtension,
    }
);

mirror_enum!(
    /// What a collection step does.
    CollectionStepKind, crm_core::obligation::CollectionStepKind, {
        /// A friendly reminder that a payment is late.
        Reminder,
        /// A formal notice that service will be restricted unless paid.
        Notice,
        /// Restrict the line for non-payment.
        Restrict,
        /// Tell the customer the service has been restricted.
        RestrictionNotice,
        /// Hand the debt over to a collection agency.
        Handover,
    }
);

mirror_enum!(
    /// Where an SLA clock stands against its target.
    SlaState, crm_core::process::SlaState, {
        /// Running, less than the at-risk share of the target used.
        OnTrack,
        /// Running, at least the at-risk share of the target used.
        AtRisk,
        /// More than the target used.
        Breached,
        /// Finished within the target.
        Met,
    }
);

mirror_enum!(
    /// Where a commitment stands.
    CommitmentState, crm_core::agreement::CommitmentState, {
        /// Not yet kept, broken or cancelled.
        Open,
        /// Kept.
        Kept,
        /// Broken.
        Broken,
        /// Cancelled.
        Cancelled,
    }
);

mirror_enum!(
    /// How a payment was made.
    PaymentMethod, crm_core::obligation::PaymentMethod, {
        /// Cash at a branch or agent.
        Cash,
        /// A card.
        Card,
        /// A bank transfer.
        BankTransfer,
        /// A direct debit.
        DirectDebit,
        /// A cheque.
        Cheque,
        /// A wallet (mobile or online).
        Wallet,
        /// Any other way.
        Other,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_action_in_the_table_has_a_mirror() {
        for t in core_lifecycle::TRANSITIONS {
            assert!(LineStatus::try_from(t.from).is_ok());
            assert!(LineStatus::try_from(t.to).is_ok());
            assert!(LineAction::try_from(t.action).is_ok());
        }
    }
}
