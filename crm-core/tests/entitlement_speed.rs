//! A check on an agreement with 20 entitlements and 10,000 usage records does not scan the
//! usage: it costs about what a check with 100 records costs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod entitlement_support;

use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{
    EntitlementKind, EntitlementRequest, EntitlementTemplate, ReasonKind, Window,
};
use crm_core::party::Channel;
use crm_core::*;
use entitlement_support::*;
use std::time::{Duration, Instant as Clock};

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

fn best_time(crm: &Crm, r: &EntitlementRequest, at: crm_core::Instant) -> Duration {
    (0..7)
        .map(|_| {
            let c = Clock::now();
            for _ in 0..40 {
                std::hint::black_box(crm.check_entitlement(r, at).unwrap());
            }
            c.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn a_check_does_not_scan_the_usage() {
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
    let t_busy = best_time(&crm, &busy, at);
    let t_quiet = best_time(&crm, &quiet, at);
    // O(log n): 100x the records must not cost anywhere near 100x (a scan would)
    assert!(
        t_busy < t_quiet * 3,
        "10,000 records: {t_busy:?}, 100 records: {t_quiet:?} (40 checks)"
    );
}
