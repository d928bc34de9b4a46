//! The catalog: what can be sold.
//!
//! An [`Offering`] is a service, a physical product or a bundle of other offerings. It carries
//! templates of the entitlements and payment plans that a sale of it creates.

use crate::entitlement::EntitlementTemplate;
use crate::error::{Error, Result};
use crate::ids::OfferingId;
use crate::lifecycle::LineKind;
use crate::obligation::PaymentPlanTemplate;
use crate::party::validate_text;
use serde::{Deserialize, Serialize};

/// What an offering is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OfferingKind {
    /// A service (a mobile line, a health plan).
    Service,
    /// A physical product with an installed asset (a device, a router).
    PhysicalProduct,
    /// A bundle of other offerings, sold as one service line.
    Bundle {
        /// The offerings in the bundle; they must already be in the catalog.
        components: Vec<OfferingId>,
    },
}

/// Something the organisation sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offering {
    /// The host's id.
    pub id: OfferingId,
    /// The offering's name.
    pub name: String,
    /// Service, physical product or bundle.
    pub kind: OfferingKind,
    /// Entitlements that a sale of this offering grants.
    #[serde(default)]
    pub entitlements: Vec<EntitlementTemplate>,
    /// Payment plans that a sale of this offering creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_plans: Vec<PaymentPlanTemplate>,
}

impl Offering {
    /// The kind of agreement line a sale of this offering creates.
    pub fn line_kind(&self) -> LineKind {
        match self.kind {
            OfferingKind::PhysicalProduct => LineKind::PhysicalProduct,
            OfferingKind::Service | OfferingKind::Bundle { .. } => LineKind::Service,
        }
    }

    /// Checks the name, the templates (no code twice) and the bundle (not empty, not
    /// containing itself, no component twice). Whether the components exist is checked by the
    /// engine against the catalog.
    pub fn validate(&self) -> Result<()> {
        validate_text("offering name", &self.name, true)?;
        for (i, t) in self.entitlements.iter().enumerate() {
            t.validate()?;
            if self
                .entitlements
                .iter()
                .skip(i + 1)
                .any(|u| u.code == t.code)
            {
                return Err(Error::validation(
                    "entitlement code",
                    &t.code,
                    "listed twice in one offering",
                ));
            }
        }
        for (i, t) in self.payment_plans.iter().enumerate() {
            t.validate()?;
            if self
                .payment_plans
                .iter()
                .skip(i + 1)
                .any(|u| u.code == t.code)
            {
                return Err(Error::validation(
                    "payment plan code",
                    &t.code,
                    "listed twice in one offering",
                ));
            }
        }
        if let OfferingKind::Bundle { components } = &self.kind {
            if components.is_empty() {
                return Err(Error::validation(
                    "bundle components",
                    &self.id,
                    "a bundle needs at least one component",
                ));
            }
            if components.contains(&self.id) {
                return Err(Error::validation(
                    "bundle components",
                    &self.id,
                    "a bundle cannot contain itself",
                ));
            }
            for (i, c) in components.iter().enumerate() {
                if components.iter().skip(i + 1).any(|d| d == c) {
                    return Err(Error::validation("bundle components", c, "listed twice"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> OfferingId {
        OfferingId::new(s).unwrap()
    }

    #[test]
    fn a_bundle_cannot_contain_itself() {
        let o = Offering {
            id: id("B"),
            name: "Bundle".into(),
            kind: OfferingKind::Bundle {
                components: vec![id("A"), id("B")],
            },
            entitlements: vec![],
            payment_plans: vec![],
        };
        let e = o.validate().unwrap_err();
        assert!(e.to_string().contains("cannot contain itself"), "{e}");
    }

    #[test]
    fn line_kinds_follow_the_offering() {
        let mut o = Offering {
            id: id("D"),
            name: "Device".into(),
            kind: OfferingKind::PhysicalProduct,
            entitlements: vec![],
            payment_plans: vec![],
        };
        assert_eq!(o.line_kind(), LineKind::PhysicalProduct);
        o.kind = OfferingKind::Service;
        assert_eq!(o.line_kind(), LineKind::Service);
    }
}
