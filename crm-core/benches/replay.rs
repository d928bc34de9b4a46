//! Replay throughput (issue #10): `Crm::replay` of 1,000,000 events built through the engine:
//! 100 customers, each registered with an agreement of one active line, then 10,000 uses of
//! the line's quota each (`ConsumeEntitlement`, one `UsageRecorded` event per use, every 30
//! minutes). Target: at least 1,000,000 events per second. The figure is the median of several
//! replays; building the state is timed, dropping it is not.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/mod.rs"]
mod summary;
#[path = "../tests/entitlement_support/mod.rs"]
mod support;

use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{EntitlementKind, EntitlementRequest, EntitlementTemplate, Window};
use crm_core::party::Channel;
use crm_core::*;
use summary::{Summary, Unit, median_of, pick};
use support::*;

fn events(customers: usize, uses: usize) -> Vec<EventEnvelope> {
    let mut crm = Crm::new();
    let offering = Offering {
        id: OfferingId::new("PLAN").unwrap(),
        name: "Data plan".into(),
        payment_plans: vec![],
        kind: OfferingKind::Service,
        entitlements: vec![EntitlementTemplate {
            code: "data_pass".into(),
            kind: EntitlementKind::Quota {
                uses: 1_000_000,
                window: Window::RollingDays { days: 365 },
                per_channel: vec![],
            },
            conditions: Default::default(),
            valid_days: None,
        }],
    };
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::AddOffering { offering },
    ))
    .unwrap();
    let start = t("2026-01-02T00:00:00Z");
    for c in 0..customers {
        let cid = format!("C{c:05}");
        let aid = format!("A{c:05}");
        let lid = format!("L{c:05}");
        crm.execute(&env(
            "2026-01-01T09:00:00Z",
            Command::RegisterCustomer {
                customer: customer(&cid),
            },
        ))
        .unwrap();
        crm.execute(&create_agreement(
            &aid,
            &cid,
            &[&lid],
            "2026-01-01T10:00:00Z",
        ))
        .unwrap();
        activate(&mut crm, &aid, &lid, "2026-01-01T10:00:00Z");
        let r = EntitlementRequest::new(
            CustomerId::new(cid).unwrap(),
            "data_pass",
            Channel::CustomerApp,
        );
        for u in 0..uses {
            let at = start + chrono::Duration::minutes(30 * u as i64);
            crm.execute(&env(
                &at.to_rfc3339(),
                Command::ConsumeEntitlement {
                    usage: UsageId::new(format!("{aid}-U{u:05}")).unwrap(),
                    request: r.clone(),
                },
            ))
            .unwrap();
        }
    }
    crm.events().unwrap()
}

fn main() {
    let (customers, mut uses) = pick((100, 9_996), (3, 30));
    // For profiling (e.g. under callgrind): fewer uses per customer.
    if let Some(u) = std::env::var("CRM_REPLAY_USES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        uses = u;
    }
    let events = events(customers, uses);
    let n = events.len();
    // Replay rebuilds the same state.
    let once = Crm::replay(&events).unwrap();
    assert_eq!(once.last_seq as usize, n);
    assert_eq!(once.agreements.len(), customers);
    drop(once);
    let ns = median_of(pick(5, 1), || (), |()| Crm::replay(&events).unwrap());
    let per_sec = n as f64 / (ns / 1e9);
    Summary {
        id: "replay_1m_events",
        what: &format!("Crm::replay of {n} events (100 customers x 9,996 uses)"),
        ours: per_sec,
        peer: None,
        unit: Unit::PerSec,
        ratio: None,
        target: ">= 1,000,000 events/s",
        met: per_sec >= 1e6,
    }
    .print();
}
