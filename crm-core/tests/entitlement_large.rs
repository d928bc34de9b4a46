//! A check on an agreement with 20 entitlements and 10,000 usage records counts them all and
//! cites only a few (its cost against 100 records is the `entitlement_check` benchmark's).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod entitlement_support;

use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, ReasonKind, Window};
use crm_core::party::Channel;
use crm_core::*;
use entitlement_support::*;

/// Customer C1, agreement A1 whose line grants 20 quotas `e00` .. `e19`; `e00` has `busy`
/// uses, `e01` has `quiet` uses, 30 minutes apart from 2026-01-01T12:00Z.
pub fn loaded_engine(busy: usize, quiet: usize) -> Crm {
    let mut crm = Crm::new();
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C1"),
        },
    ))
    .unwrap();
    let offering = Offering {
        id: OfferingId::new("PLAN").unwrap(),
        name: "plan".into(),
        payment_plans: vec![],
        kind: OfferingKind::Service,
        entitlements: (0..20)
            .map(|i| EntitlementTemplate {
                code: format!("e{i:02}"),
                kind: EntitlementKind::Quota {
                    uses: 1_000_000,
                    window: Window::RollingDays { days: 365 },
                    per_channel: vec![],
                },
                conditions: Default::default(),
                valid_days: None,
            })
            .collect(),
    };
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::AddOffering { offering },
    ))
    .unwrap();
    crm.execute(&create_agreement(
        "A1",
        "C1",
        &["L1"],
        "2026-01-01T10:00:00Z",
    ))
    .unwrap();
    activate(&mut crm, "A1", "L1", "2026-01-01T10:00:00Z");
    let start = t("2026-01-01T12:00:00Z");
    for (code, n) in [("e00", busy), ("e01", quiet)] {
        let r = req(code, Channel::Web);
        for i in 0..n {
            let at = start + chrono::Duration::minutes(30 * i as i64);
            consume(&mut crm, &format!("{code}-{i}"), &r, &at.to_rfc3339()).unwrap();
        }
    }
    crm
}

#[test]
fn a_check_over_10000_records_counts_them_all_and_cites_a_few() {
    let crm = loaded_engine(10_000, 100);
    let at = t("2026-08-01T00:00:00Z");
    let busy = req("e00", Channel::Web);
    let quiet = req("e01", Channel::Web);
    let d = crm.check_entitlement(&busy, at).unwrap();
    assert!(d.is_granted());
    assert_eq!(d.remaining.as_ref().unwrap().used, 10_000.into());
    // the reason cites the totals and only the first few records
    let (uses, cited) = d
        .reasons
        .iter()
        .find_map(|r| match &r.kind {
            ReasonKind::UsageCounted { uses, records, .. } => Some((*uses, records.len())),
            _ => None,
        })
        .unwrap();
    assert_eq!(uses, 10_000);
    assert!(cited <= 10);
    // the neighbouring entitlement counts only its own uses
    let q = crm.check_entitlement(&quiet, at).unwrap();
    assert_eq!(q.remaining.as_ref().unwrap().used, 100.into());
    // How long a check takes with 10,000 records against 100 is measured by the
    // `entitlement_check` benchmark, not here: timings do not belong in the test suite.
}
