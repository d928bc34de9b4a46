//! One entitlement check on an agreement with 20 entitlements and 10,000 usage records.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../tests/entitlement_support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, Window};
use crm_core::party::Channel;
use crm_core::*;
use std::hint::black_box;
use support::*;

fn loaded_engine(uses: usize) -> Crm {
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
    let r = req("e07", Channel::Web);
    for i in 0..uses {
        let at = start + chrono::Duration::minutes(30 * i as i64);
        consume(&mut crm, &format!("u{i}"), &r, &at.to_rfc3339()).unwrap();
    }
    crm
}

/// The check on an agreement with 20 entitlements, with 10,000 usage records and with 100:
/// the index makes the two cost about the same (a scan would make the first 100 times dearer).
fn bench(c: &mut Criterion) {
    let r = req("e07", Channel::Web);
    let at = t("2026-08-01T00:00:00Z");
    for (name, uses) in [
        ("entitlement_check", 10_000),
        ("entitlement_check_100_records", 100),
    ] {
        let crm = loaded_engine(uses);
        assert!(crm.check_entitlement(&r, at).unwrap().is_granted());
        c.bench_function(name, |b| {
            b.iter(|| black_box(crm.check_entitlement(black_box(&r), at).unwrap()))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
