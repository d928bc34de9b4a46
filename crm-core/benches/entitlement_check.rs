//! Entitlement checks.
//!
//! `entitlement_vs_cedar` (issue #10): "a device replacement is allowed if the line is
//! active, the customer is not overdue beyond 30 days, and fewer than 2 were used in the last
//! 365 days", decided by `Crm::check_entitlement` (which counts the uses itself in a usage
//! book of 10,000 records, finds the line's status and returns the reasons) and by the same
//! rule as a Cedar policy (cedar-policy 4.x) that is handed the count in its context. Both
//! sides are first checked to give the same answer on 16 cases (4 lines: 0, 1 and 2 uses in
//! the window and a suspended line; overdue 0, 30, 31 and 90 days), then timed interleaved
//! over the same 16 cases. The Cedar side is timed twice: building the request with its
//! context and authorizing (what a host does per check), and authorizing a pre-built request
//! (the peer's floor). `entitlement_verdict_vs_cedar` times `Crm::is_entitled` on the same
//! cases: the same decision code without building the reasons (checked equal first).
//!
//! The criterion benchmarks below time the check on an agreement with 20 entitlements and
//! 10,000 usage records on one of them, and with 100: the index makes the two cost about the
//! same; each also as a verdict (`_verdict`).
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

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityUid, PolicySet, Request,
    RestrictedExpression,
};
use criterion::{Criterion, criterion_group, criterion_main};
use crm_core::agreement::LineAction;
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{
    CustomerStanding, EntitlementConditions, EntitlementKind, EntitlementRequest,
    EntitlementTemplate, Window,
};
use crm_core::party::Channel;
use crm_core::*;
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;
use summary::{Summary, Unit, interleaved, pick};
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

// ---------------------------------------------------------------------------------------
// The Cedar comparison.

const LINES: [&str; 4] = ["L1", "L2", "L3", "L4"];
const OVERDUE: [u32; 4] = [0, 30, 31, 90];
const CHECK_AT: &str = "2027-03-01T10:00:00Z";

/// The rule as a Cedar policy: the line's status and the customer's overdue days are entity
/// attributes, the count of uses in the last 365 days comes in the context.
const POLICY: &str = r#"
permit (
    principal is Customer,
    action == Action::"replace_device",
    resource is Line
)
when {
    resource.status == "active" &&
    principal.days_overdue <= 30 &&
    context.used_last_365_days < 2
};
"#;

/// Customer C1, agreement A1 with lines L1..L4 (each granting `device_replacement`: 2 per
/// rolling 365 days, not when more than 30 days overdue; and `data_session`), L4 suspended.
/// Device replacements: L1 once long ago (outside the window at the check), L2 once, L3
/// twice; the other `total - 4` usage records are data sessions on L1, every 30 minutes.
fn device_engine(total: usize) -> Crm {
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
        name: "Mobile plan with device insurance".into(),
        payment_plans: vec![],
        kind: OfferingKind::Service,
        entitlements: vec![
            EntitlementTemplate {
                code: "device_replacement".into(),
                kind: EntitlementKind::Quota {
                    uses: 2,
                    window: Window::RollingDays { days: 365 },
                    per_channel: vec![],
                },
                conditions: EntitlementConditions {
                    max_days_overdue: Some(30),
                    min_tier: None,
                },
                valid_days: None,
            },
            EntitlementTemplate {
                code: "data_session".into(),
                kind: EntitlementKind::Quota {
                    uses: 1_000_000,
                    window: Window::RollingDays { days: 365 },
                    per_channel: vec![],
                },
                conditions: Default::default(),
                valid_days: None,
            },
        ],
    };
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::AddOffering { offering },
    ))
    .unwrap();
    crm.execute(&create_agreement(
        "A1",
        "C1",
        &LINES,
        "2026-01-01T10:00:00Z",
    ))
    .unwrap();
    for l in LINES {
        activate(&mut crm, "A1", l, "2026-01-01T10:00:00Z");
    }
    // Every use, in time order.
    let mut uses: Vec<(Instant, String, EntitlementRequest)> = Vec::new();
    let device = |line: &str| {
        let mut r = req("device_replacement", Channel::Branch);
        r.line = Some(LineId::new(line).unwrap());
        r.standing = Some(CustomerStanding::default());
        r
    };
    for (i, (line, at)) in [
        ("L1", "2026-02-01T12:00:00Z"),
        ("L2", "2026-06-01T12:00:00Z"),
        ("L3", "2026-06-01T12:00:00Z"),
        ("L3", "2026-09-01T12:00:00Z"),
    ]
    .into_iter()
    .enumerate()
    {
        uses.push((t(at), format!("dev{i}"), device(line)));
    }
    let mut data = req("data_session", Channel::CustomerApp);
    data.line = Some(LineId::new("L1").unwrap());
    let start = t("2026-01-02T00:00:00Z");
    for i in 0..total.saturating_sub(4) {
        let at = start + chrono::Duration::minutes(30 * i as i64);
        uses.push((at, format!("data{i}"), data.clone()));
    }
    uses.sort_by_key(|u| u.0);
    for (at, id, r) in &uses {
        consume(&mut crm, id, r, &at.to_rfc3339()).unwrap();
    }
    crm.execute(&line_move(
        "A1",
        "L4",
        LineAction::Suspend,
        "2026-10-01T08:00:00Z",
    ))
    .unwrap();
    crm
}

/// The device engine plus `others` other customers, each with an agreement of one active
/// line (agreement ids before and after C1's): the check then finds C1's agreements through
/// the customer index instead of the whole engine.
fn crowded_engine(total: usize, others: usize) -> Crm {
    let mut crm = device_engine(total);
    for c in 0..others {
        let aid = format!("A{}-{c:05}", if c % 2 == 0 { 0 } else { 2 });
        add_customer_with_line(&mut crm, &format!("K{c:05}"), &aid);
    }
    crm
}

struct Case {
    line: &'static str,
    overdue: u32,
    ours: EntitlementRequest,
    principal: EntityUid,
    resource: EntityUid,
    /// Device replacements of the line in the 365 days before the check, counted by the
    /// harness from the same usage records (the peer is handed it).
    used: i64,
}

fn cases(crm: &Crm, at: Instant) -> Vec<Case> {
    let mut out = Vec::new();
    for line in LINES {
        let used = crm
            .state()
            .agreements
            .get(&AgreementId::new("A1").unwrap())
            .unwrap()
            .entitlements
            .iter()
            .filter(|e| e.code == "device_replacement" && e.line.as_str() == line)
            .map(|e| {
                crm.usage_of(&e.id)
                    .unwrap()
                    .iter()
                    .filter(|u| {
                        u.reversed.is_none()
                            && u.at <= at
                            && at - u.at < chrono::Duration::days(365)
                    })
                    .count() as i64
            })
            .sum();
        for overdue in OVERDUE {
            let mut r = req("device_replacement", Channel::Branch);
            r.line = Some(LineId::new(line).unwrap());
            r.standing = Some(CustomerStanding {
                days_overdue: overdue,
                ..CustomerStanding::default()
            });
            out.push(Case {
                line,
                overdue,
                ours: r,
                principal: EntityUid::from_str(&format!(r#"Customer::"C1-{overdue}""#)).unwrap(),
                resource: EntityUid::from_str(&format!(r#"Line::"{line}""#)).unwrap(),
                used,
            });
        }
    }
    out
}

/// The entities the Cedar side reads: one customer per overdue figure, one entity per line
/// with its status at the instant of the check.
fn cedar_entities(crm: &Crm, at: Instant) -> Entities {
    let mut entities = Vec::new();
    for overdue in OVERDUE {
        let uid = EntityUid::from_str(&format!(r#"Customer::"C1-{overdue}""#)).unwrap();
        let attrs = HashMap::from([(
            "days_overdue".to_string(),
            RestrictedExpression::new_long(i64::from(overdue)),
        )]);
        entities.push(Entity::new(uid, attrs, HashSet::new()).unwrap());
    }
    let agreement = crm
        .state()
        .agreements
        .get(&AgreementId::new("A1").unwrap())
        .unwrap();
    for line in LINES {
        let status = agreement
            .line(&LineId::new(line).unwrap())
            .unwrap()
            .entry_at(at)
            .map(|e| e.status.to_string())
            .unwrap();
        let uid = EntityUid::from_str(&format!(r#"Line::"{line}""#)).unwrap();
        let attrs = HashMap::from([(
            "status".to_string(),
            RestrictedExpression::new_string(status),
        )]);
        entities.push(Entity::new(uid, attrs, HashSet::new()).unwrap());
    }
    Entities::from_entities(entities, None).unwrap()
}

fn cedar_request(c: &Case, action: &EntityUid) -> Request {
    let context = Context::from_pairs([(
        "used_last_365_days".to_string(),
        RestrictedExpression::new_long(c.used),
    )])
    .unwrap();
    Request::new(
        c.principal.clone(),
        action.clone(),
        c.resource.clone(),
        context,
        None,
    )
    .unwrap()
}

fn vs_cedar() {
    let records = pick(10_000, 200);
    let crm = device_engine(records);
    let at = t(CHECK_AT);
    let cases = cases(&crm, at);
    let policies = PolicySet::from_str(POLICY).unwrap();
    let entities = cedar_entities(&crm, at);
    let action = EntityUid::from_str(r#"Action::"replace_device""#).unwrap();
    let authorizer = Authorizer::new();

    // Same answers first.
    let mut allowed = 0;
    for c in &cases {
        let ours = crm.check_entitlement(&c.ours, at).unwrap().is_granted();
        assert_eq!(crm.is_entitled(&c.ours, at).unwrap(), ours, "the verdict");
        let peer = authorizer
            .is_authorized(&cedar_request(c, &action), &policies, &entities)
            .decision()
            == Decision::Allow;
        let expected = (c.line == "L1" || c.line == "L2") && c.overdue <= 30;
        assert_eq!(
            ours, expected,
            "ours, line {} overdue {}",
            c.line, c.overdue
        );
        assert_eq!(
            peer, expected,
            "cedar, line {} overdue {}",
            c.line, c.overdue
        );
        allowed += usize::from(ours);
    }
    assert_eq!(allowed, 4);
    let prebuilt: Vec<Request> = cases.iter().map(|c| cedar_request(c, &action)).collect();
    // The same engine among 2,000 other customers' agreements: the same answers.
    let others = pick(2_000, 40);
    let crowd = crowded_engine(records, others);
    for c in &cases {
        assert_eq!(
            crowd.is_entitled(&c.ours, at).unwrap(),
            crm.is_entitled(&c.ours, at).unwrap()
        );
    }

    let (mut i, mut j, mut k, mut v) = (0usize, 0usize, 0usize, 0usize);
    let n = cases.len();
    let mut ours = || {
        i = (i + 1) % n;
        black_box(
            crm.check_entitlement(black_box(&cases[i].ours), at)
                .unwrap(),
        );
    };
    let mut verdict = || {
        v = (v + 1) % n;
        black_box(crm.is_entitled(black_box(&cases[v].ours), at).unwrap());
    };
    let mut w = 0usize;
    let mut crowded = || {
        w = (w + 1) % n;
        black_box(crowd.is_entitled(black_box(&cases[w].ours), at).unwrap());
    };
    let mut peer = || {
        j = (j + 1) % n;
        let r = cedar_request(black_box(&cases[j]), &action);
        black_box(authorizer.is_authorized(&r, &policies, &entities));
    };
    let mut peer_floor = || {
        k = (k + 1) % n;
        black_box(authorizer.is_authorized(black_box(&prebuilt[k]), &policies, &entities));
    };
    let m = interleaved(
        pick(25, 2),
        pick(4_000, 16),
        &mut [
            &mut ours,
            &mut verdict,
            &mut peer,
            &mut peer_floor,
            &mut crowded,
        ],
    );
    let (ours_ns, verdict_ns, peer_ns, floor_ns) = (m[0], m[1], m[2], m[3]);
    let crowded_ns = m[4];
    Summary {
        id: "entitlement_vs_cedar",
        what: "device replacement check, 10,000 usage records (Cedar: request built per check)",
        ours: ours_ns,
        peer: Some(("cedar-policy 4.14.1", peer_ns)),
        unit: Unit::Ns,
        ratio: Some(peer_ns / ours_ns),
        target: ">= 20x faster",
        met: peer_ns / ours_ns >= 20.0,
    }
    .print();
    Summary {
        id: "entitlement_verdict_vs_cedar",
        what: "the same check as a verdict (Crm::is_entitled: same decision code, no reasons built)",
        ours: verdict_ns,
        peer: Some(("cedar-policy 4.14.1", peer_ns)),
        unit: Unit::Ns,
        ratio: Some(peer_ns / verdict_ns),
        target: ">= 20x faster",
        met: peer_ns / verdict_ns >= 20.0,
    }
    .print();
    Summary {
        id: "entitlement_verdict_crowded_vs_cedar",
        what: "the verdict in an engine that also holds 2,000 other customers' agreements (found through the customer index)",
        ours: crowded_ns,
        peer: Some(("cedar-policy 4.14.1", peer_ns)),
        unit: Unit::Ns,
        ratio: Some(peer_ns / crowded_ns),
        target: "(for information)",
        met: true,
    }
    .print();
    Summary {
        id: "entitlement_vs_cedar_prebuilt",
        what: "the same, Cedar authorizing a pre-built request (its floor)",
        ours: ours_ns,
        peer: Some(("cedar-policy 4.14.1", floor_ns)),
        unit: Unit::Ns,
        ratio: Some(floor_ns / ours_ns),
        target: "(for information)",
        met: true,
    }
    .print();
}

/// The check on an agreement with 20 entitlements, with 10,000 usage records and with 100:
/// the index makes the two cost about the same (a scan would make the first 100 times dearer).
fn bench(c: &mut Criterion) {
    vs_cedar();
    let r = req("e07", Channel::Web);
    let at = t("2026-08-01T00:00:00Z");
    for (name, uses) in [
        ("entitlement_check", pick(10_000, 300)),
        ("entitlement_check_100_records", 100),
    ] {
        let crm = loaded_engine(uses);
        assert!(crm.check_entitlement(&r, at).unwrap().is_granted());
        c.bench_function(name, |b| {
            b.iter(|| black_box(crm.check_entitlement(black_box(&r), at).unwrap()))
        });
        assert!(crm.is_entitled(&r, at).unwrap());
        c.bench_function(&format!("{name}_verdict"), |b| {
            b.iter(|| black_box(crm.is_entitled(black_box(&r), at).unwrap()))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
