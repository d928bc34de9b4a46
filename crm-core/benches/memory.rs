//! Memory per typical agreement (issue #10): 10 lines, 10 entitlements, 24 charges and 100
//! usage records, measured with a counting global allocator (net bytes requested from the
//! allocator and still held), not estimated.
//!
//! * **Engine state**: `Crm::replay` of the events of N customers, each with one such agreement
//!   (10 lines of an offering with one quota entitlement, 10 uses per entitlement), minus the
//!   state replayed from the events of N customers alone. It covers the agreement, its lines
//!   and their status history, its entitlements, the usage records with their index, and the
//!   engine's per-stream bookkeeping. The event log is the store's, not the state's: it is
//!   reported for information.
//! * **Ledger**: N `obligation::Ledger`s with 24 charges each (12 device installments, 12
//!   months of service), as a `Vec<Ledger>` holds them (the obligations are not in the engine
//!   state yet).
//!
//! The target is met when state + ledger per agreement is at most 8 KiB. The parts are reported
//! too: the agreement without uses (replayed the same way with no uses), the usage part (the
//! rest), and of that the usage book alone (the agreement's uses pushed into fresh books),
//! beside what the same uses take as plain `UsageRecord`s (for comparison). `MEM_DEBUG=1` also prints struct sizes.
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
use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, Window};
use crm_core::obligation::Ledger;
use crm_core::party::Channel;
use crm_core::*;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;
use summary::{Summary, Unit, pick};
use support::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Net bytes held after `f` that were allocated while it ran (its result kept alive).
fn held<R>(f: impl FnOnce() -> R) -> (R, i64) {
    let region = Region::new(GLOBAL);
    let out = f();
    let s = region.change();
    // stats_alloc already books a realloc's growth in `bytes_allocated` and its shrinking in
    // `bytes_deallocated`; `bytes_reallocated` is the same change again (adding it counted
    // every grown vector twice).
    let net = s.bytes_allocated as i64 - s.bytes_deallocated as i64;
    (out, net)
}

const LINES: usize = 10;
const USES: usize = 100;

fn engine(customers: usize, with_agreements: bool) -> Crm {
    engine_u(customers, with_agreements, USES)
}

fn engine_u(customers: usize, with_agreements: bool, uses_n: usize) -> Crm {
    let mut crm = Crm::new();
    let offering = Offering {
        id: OfferingId::new("PLAN").unwrap(),
        name: "Mobile line".into(),
        payment_plans: vec![],
        kind: OfferingKind::Service,
        entitlements: vec![EntitlementTemplate {
            code: "data_pass".into(),
            kind: EntitlementKind::Quota {
                uses: 1000,
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
    let start = t("2026-01-02T09:00:00Z");
    for c in 0..customers {
        let cid = format!("C{c:07}");
        crm.execute(&env(
            "2026-01-01T09:00:00Z",
            Command::RegisterCustomer {
                customer: customer(&cid),
            },
        ))
        .unwrap();
        if !with_agreements {
            continue;
        }
        let aid = format!("A{c:07}");
        let lines: Vec<String> = (0..LINES).map(|l| format!("{aid}-L{l:02}")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        crm.execute(&create_agreement(&aid, &cid, &refs, "2026-01-01T10:00:00Z"))
            .unwrap();
        for l in &refs {
            activate(&mut crm, &aid, l, "2026-01-01T10:00:00Z");
        }
        for u in 0..uses_n {
            let mut r = EntitlementRequest::new(
                CustomerId::new(cid.clone()).unwrap(),
                "data_pass",
                Channel::CustomerApp,
            );
            r.line = Some(LineId::new(lines[u % LINES].clone()).unwrap());
            let at = start + chrono::Duration::minutes(17 * u as i64);
            consume(&mut crm, &format!("{aid}-U{u:03}"), &r, &at.to_rfc3339()).unwrap();
        }
    }
    crm
}

use crm_core::entitlement::EntitlementRequest;

fn ledgers(n: usize) -> Vec<Ledger> {
    (0..n).map(summary::typical_ledger).collect()
}

fn main() {
    let n = pick(2_000, 20);
    let full_events = engine(n, true).events().unwrap();
    let base_events = engine(n, false).events().unwrap();
    assert_eq!(
        full_events.len() - base_events.len(),
        n * (1 + 2 * LINES + USES)
    );
    let (full_state, full_bytes) = held(|| Crm::replay(&full_events).unwrap());
    let (base_state, base_bytes) = held(|| Crm::replay(&base_events).unwrap());
    let a = full_state.agreements.values().next().unwrap();
    assert_eq!(a.lines.len(), LINES);
    assert_eq!(a.entitlements.len(), LINES);
    assert_eq!(full_state.agreements.len(), n);
    // The usage part: m fresh usage books holding this agreement's uses, and (for
    // comparison) m copies of the same uses as plain `UsageRecord`s.
    let recs: Vec<crm_core::entitlement::UsageRecord> = a
        .entitlements
        .iter()
        .flat_map(|e| full_state.usage.ledger(&e.id).unwrap().records())
        .collect();
    assert_eq!(recs.len(), USES);
    let m = pick(200, 5);
    let (books, book_bytes) = held(|| {
        (0..m)
            .map(|_| {
                let mut book = crm_core::entitlement::UsageBook::default();
                for r in &recs {
                    book.push(r.clone()).unwrap();
                }
                book.shrink_to_fit();
                book
            })
            .collect::<Vec<_>>()
    });
    drop(books);
    let (rv, record_bytes) = held(|| {
        (0..m)
            .map(|_| {
                let mut v = recs.clone();
                v.shrink_to_fit();
                v
            })
            .collect::<Vec<_>>()
    });
    drop(rv);
    let records = record_bytes as f64 / m as f64;
    let book = book_bytes as f64 / m as f64;
    black_box((&full_state, &base_state));
    drop((full_state, base_state));
    let state = (full_bytes - base_bytes) as f64 / n as f64;

    let (ledgers, ledger_bytes) = held(|| ledgers(n));
    black_box(&ledgers);
    drop(ledgers);
    let ledger = ledger_bytes as f64 / n as f64;

    let (events, event_bytes) = held(|| {
        let mut v = full_events.clone();
        v.drain(..base_events.len());
        v.shrink_to_fit();
        v
    });
    drop(events);
    let events = event_bytes as f64 / n as f64;

    let total = state + ledger;
    let ev0 = engine_u(n, true, 0).events().unwrap();
    let (s0, b0) = held(|| Crm::replay(&ev0).unwrap());
    drop(s0);
    let agreement = (b0 - base_bytes) as f64 / n as f64;
    let usage = state - agreement;
    if std::env::var("MEM_DEBUG").is_ok() {
        eprintln!("base per customer: {}", base_bytes as f64 / n as f64);
        eprintln!(
            "sizes: UsageRecord {} Agreement {} Line {} Entitlement {} Ledger {} Charge {} Customer {}",
            std::mem::size_of::<crm_core::entitlement::UsageRecord>(),
            std::mem::size_of::<crm_core::agreement::Agreement>(),
            std::mem::size_of::<crm_core::agreement::AgreementLine>(),
            std::mem::size_of::<crm_core::entitlement::Entitlement>(),
            std::mem::size_of::<Ledger>(),
            std::mem::size_of::<crm_core::obligation::Charge>(),
            std::mem::size_of::<crm_core::party::Customer>()
        );
    }
    Summary {
        id: "memory_per_agreement",
        what: "10 lines, 10 entitlements, 24 charges, 100 usage records: engine state + ledger",
        ours: total,
        peer: None,
        unit: Unit::Bytes,
        ratio: None,
        target: "<= 8192 bytes",
        met: total <= 8192.0,
    }
    .print();
    for (id, what, v) in [
        (
            "memory_per_agreement_state",
            "of which engine state (agreement, lines, entitlements, 100 usage records, index)",
            state,
        ),
        (
            "memory_per_agreement_state_agreement",
            "of the state: the agreement with 10 lines (status history) and 10 entitlements",
            agreement,
        ),
        (
            "memory_per_agreement_state_usage",
            "of the state: the 100 usage records with their index and the engine's bookkeeping",
            usage,
        ),
        (
            "memory_per_agreement_usage_book",
            "of which the usage book alone (the uses by columns in 10 ledgers, the usage-id index)",
            book,
        ),
        (
            "memory_per_agreement_usage_as_records",
            "the same 100 uses as plain UsageRecords (264 bytes each; for comparison, not held)",
            records,
        ),
        (
            "memory_per_agreement_ledger",
            "of which the ledger with 24 charges",
            ledger,
        ),
        (
            "memory_per_agreement_events",
            "the agreement's 121 events in the in-memory store (not state; for information)",
            events,
        ),
    ] {
        Summary {
            id,
            what,
            ours: v,
            peer: None,
            unit: Unit::Bytes,
            ratio: None,
            target: "(part)",
            met: true,
        }
        .print();
    }
}
