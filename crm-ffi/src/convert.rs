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
