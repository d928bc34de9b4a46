//! Property: whatever the sequence of consumes, reversals and exceptions, the uses granted in
//! any window never exceed the quota (nor a channel its allotment) unless they cite an
//! exception; and a consume succeeds exactly when the check at the same instant grants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod entitlement_support;

use crm_core::agreement::{ExceptionScope, LineAction};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{
    ChannelAllotment, EntitlementKind, EntitlementRequest, EntitlementTemplate, UsageRecord, Window,
};
use crm_core::party::Channel;
use crm_core::*;
use entitlement_support::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
enum Op {
    Consume {
        hours: i64,
        branch: bool,
        quantity: u32,
    },
    Reverse {
        pick: usize,
        hours: i64,
    },
    Approve {
        extra: Option<u32>,
        days: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0i64..120, any::<bool>(), 1u32..3).prop_map(|(hours, branch, quantity)| Op::Consume { hours, branch, quantity }),
        2 => (any::<usize>(), 0i64..48).prop_map(|(pick, hours)| Op::Reverse { pick, hours }),
        1 => (proptest::option::weighted(0.7, 1u32..3), 1i64..20).prop_map(|(extra, days)| Op::Approve { extra, days }),
    ]
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        (1u32..20).prop_map(|days| Window::RollingDays { days }),
        Just(Window::CalendarMonth {
            zone: chrono_tz::Europe::Berlin
        }),
        Just(Window::CalendarYear {
            zone: chrono_tz::America::New_York
        }),
        Just(Window::AgreementTerm),
    ]
}

fn engine_with(uses: u32, window: Window, branch_cap: Option<u32>) -> Crm {
    engine_with_kind(EntitlementKind::Quota {
        uses,
        window,
        per_channel: branch_cap
            .map(|max_uses| {
                vec![ChannelAllotment {
                    channel: Channel::Branch,
                    max_uses,
                }]
            })
            .unwrap_or_default(),
    })
}

fn engine_with_kind(kind: EntitlementKind) -> Crm {
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
        entitlements: vec![EntitlementTemplate {
            code: "q".into(),
            kind,
            conditions: Default::default(),
            valid_days: None,
        }],
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
    crm
}

fn within(
    records: &[UsageRecord],
    window: &Window,
    channel: Option<Channel>,
    limit: u32,
) -> Result<(), String> {
    let term = (
        "2026-01-01".parse().unwrap(),
        Some("2028-12-31".parse().unwrap()),
    );
    for v in records.iter().filter(|r| r.reversed.is_none()) {
        let span = window.span(v.at, term).unwrap();
        let sum: Decimal = records
            .iter()
            .filter(|r| r.reversed.is_none() && r.exceptions.is_empty())
            .filter(|r| channel.is_none_or(|c| r.channel == c))
            .filter(|r| r.at >= span.from && r.at < span.to)
            .map(|r| r.quantity)
            .sum();
        if sum > Decimal::from(limit) {
            return Err(format!(
                "{sum} > {limit} in window at {} ({channel:?})",
                v.at
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn granted_uses_never_exceed_the_quota_without_an_exception(
        uses in 1u32..6,
        window in window(),
        branch_cap in proptest::option::of(0u32..2),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut crm = engine_with(uses, window, branch_cap);
        let mut now = t("2026-01-02T00:00:00Z");
        let mut n = 0;
        let mut exceptions = Vec::new();
        for o in ops {
            n += 1;
            match o {
                Op::Consume { hours, branch, quantity } => {
                    now += chrono::Duration::hours(hours);
                    let mut r = req("q", if branch { Channel::Branch } else { Channel::Web });
                    r.quantity = Some(Decimal::from(quantity));
                    let d = crm.check_entitlement(&r, now).unwrap();
                    let at = now.to_rfc3339();
                    let got = consume(&mut crm, &format!("U{n}"), &r, &at);
                    prop_assert_eq!(d.is_granted(), got.is_ok(), "{:?} {:?}", d, got);
                    if let Err(e) = got {
                        prop_assert_eq!(e.kind(), ErrorKind::NotEntitled);
                        prop_assert!(!d.reasons.is_empty());
                    }
                }
                Op::Reverse { pick, hours } => {
                    now += chrono::Duration::hours(hours);
                    let live: Vec<UsageId> = crm
                        .usage_of(&EntitlementId::new("L1.q").unwrap())
                        .unwrap()
                        .iter()
                        .filter(|r| r.reversed.is_none())
                        .map(|r| r.id.clone())
                        .collect();
                    if !live.is_empty() {
                        let id = &live[pick % live.len()];
                        reverse(&mut crm, id.as_str(), &now.to_rfc3339()).unwrap();
                    }
                }
                Op::Approve { extra, days } => {
                    let until = now + chrono::Duration::days(days);
                    let x = allow(&format!("X{n}"), "L1.q", extra.map(|e| e.to_string()).as_deref(), &now.to_rfc3339(), Some(&until.to_rfc3339()));
                    exceptions.push(x.clone());
                    approve(&mut crm, x, &now.to_rfc3339());
                }
            }
        }
        let records = crm.usage_of(&EntitlementId::new("L1.q").unwrap()).unwrap().to_vec();
        if let Err(e) = within(&records, &window, None, uses) {
            prop_assert!(false, "{}", e);
        }
        if let Some(cap) = branch_cap
            && let Err(e) = within(&records, &window, Some(Channel::Branch), cap)
        {
            prop_assert!(false, "{}", e);
        }
        // every exception cited held and covered the entitlement when the use was made
        let scope = ExceptionScope::Entitlement { entitlement: EntitlementId::new("L1.q").unwrap() };
        let a1 = AgreementId::new("A1").unwrap();
        for r in &records {
            for id in &r.exceptions {
                let x = exceptions.iter().find(|x| &x.id == id).unwrap();
                prop_assert!(x.covers(Some(&a1), &scope, r.at));
            }
        }
        // replay agrees
        let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
        prop_assert_eq!(&replayed, crm.state());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A unit allowance consumed in pieces of 0.1 to 5.0 never goes beyond its units in any
    /// window, and what a decision says remains is what the next request can take.
    #[test]
    fn partial_allowances_never_exceed_their_units(
        units in 1u32..20,
        window in window(),
        steps in proptest::collection::vec((0i64..200, 1i64..50, any::<bool>()), 1..40),
    ) {
        let mut crm = engine_with_kind(EntitlementKind::UnitAllowance {
            units: Decimal::from(units),
            unit: "GB".into(),
            window,
        });
        let mut now = t("2026-01-02T00:00:00Z");
        for (n, (hours, tenths, rev)) in steps.into_iter().enumerate() {
            now += chrono::Duration::hours(hours);
            let mut r = req("q", Channel::CustomerApp);
            r.quantity = Some(Decimal::new(tenths, 1));
            let d = crm.check_entitlement(&r, now).unwrap();
            let rem = d.remaining.clone().unwrap();
            prop_assert_eq!(d.is_granted(), rem.used + Decimal::new(tenths, 1) <= rem.limit);
            let got = consume(&mut crm, &format!("U{n}"), &r, &now.to_rfc3339());
            prop_assert_eq!(got.is_ok(), d.is_granted());
            if rev && got.is_ok() {
                reverse(&mut crm, &format!("U{n}"), &now.to_rfc3339()).unwrap();
            }
        }
        let records = crm.usage_of(&EntitlementId::new("L1.q").unwrap()).unwrap().to_vec();
        let term = ("2026-01-01".parse().unwrap(), Some("2028-12-31".parse().unwrap()));
        for v in records.iter().filter(|r| r.reversed.is_none()) {
            let span = window.span(v.at, term).unwrap();
            let sum: Decimal = records
                .iter()
                .filter(|r| r.reversed.is_none() && r.at >= span.from && r.at < span.to)
                .map(|r| r.quantity)
                .sum();
            prop_assert!(sum <= Decimal::from(units), "{} > {}", sum, units);
        }
    }
}

/// One step of the verdict property: a use, a line move, an exception, or nothing; then a
/// check of a request built from the other fields.
#[derive(Debug, Clone)]
struct Step {
    hours: i64,
    code: usize,
    channel: usize,
    quantity: i64,
    amount: Option<i64>,
    overdue: Option<u32>,
    tier: Option<usize>,
    action: u8,
}

const CODES: [&str; 10] = [
    "device_replacement",
    "network_access",
    "technician_visit",
    "goodwill_credit",
    "roaming_data",
    "complaint",
    "lounge",
    "repair",
    "trial_tv",
    "no_such_code",
];
const CHANNELS: [Channel; 3] = [Channel::Web, Channel::Branch, Channel::CustomerApp];
const TIERS: [&str; 4] = ["bronze", "silver", "gold", "platinum"];

fn step() -> impl Strategy<Value = Step> {
    (
        (0i64..24 * 40, 0usize..CODES.len(), 0usize..CHANNELS.len()),
        (-1i64..14, proptest::option::weighted(0.15, -500i64..15_000)),
        (
            proptest::option::weighted(0.8, 0u32..60),
            proptest::option::of(0usize..TIERS.len()),
            0u8..10,
        ),
    )
        .prop_map(
            |((hours, code, channel), (quantity, amount), (overdue, tier, action))| Step {
                hours,
                code,
                channel,
                quantity,
                amount,
                overdue,
                tier,
                action,
            },
        )
}

fn request(s: &Step) -> EntitlementRequest {
    let mut r = req(CODES[s.code], CHANNELS[s.channel]);
    // mostly whole numbers (0 and negatives are refused), sometimes none, sometimes tenths
    // (refused for uses, fine for units)
    r.quantity = match s.quantity {
        q if q < 8 => Some(Decimal::from(q)),
        8 => None,
        q => Some(Decimal::new(q, 1)),
    };
    r.amount = s
        .amount
        .map(|cents| Money::new(Decimal::new(cents, 2), Currency::new("EUR").unwrap()).unwrap());
    if s.amount.is_some() && s.quantity % 3 == 0 {
        r.quantity = None;
    }
    r.standing = s.overdue.map(|days_overdue| entitlement::CustomerStanding {
        days_overdue,
        tier: s.tier.map(|i| TIERS[i].to_string()),
        tier_order: TIERS[..3].iter().map(|t| t.to_string()).collect(),
    });
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `Crm::is_entitled` answers what `Crm::check_entitlement` answers (granted or not, or
    /// the same error) for every kind of entitlement, with uses, reversals, exceptions, line
    /// moves, standings, tiers and invalid requests along the way.
    #[test]
    fn the_verdict_is_the_full_checks_answer(steps in proptest::collection::vec(step(), 1..60)) {
        let mut crm = engine();
        let mut now = t("2025-12-31T12:00:00Z");
        for (n, s) in steps.iter().enumerate() {
            now += chrono::Duration::hours(s.hours);
            let r = request(s);
            let full = crm.check_entitlement(&r, now).map(|d| d.is_granted());
            let verdict = crm.is_entitled(&r, now);
            prop_assert_eq!(&verdict, &full, "{:?} at {}", r, now);
            let at = now.to_rfc3339();
            match s.action {
                0..=4 => {
                    let _ = consume(&mut crm, &format!("U{n}"), &r, &at);
                }
                5 => {
                    let x = allow(&format!("X{n}"), &format!("L1.{}", CODES[s.code % 9]), (s.quantity % 2 == 0).then_some("1"), &at, None);
                    let _ = crm.execute(&env(&at, Command::ApproveException { exception: x }));
                }
                6 => {
                    let _ = crm.execute(&line_move("A1", "L1", LineAction::Suspend, &at));
                }
                7 => {
                    let _ = crm.execute(&line_move("A1", "L1", LineAction::Resume, &at));
                }
                8 => {
                    if let Some(u) = crm.usage_of(&EntitlementId::new("L1.device_replacement").unwrap()).unwrap().iter().find(|u| u.reversed.is_none()) {
                        let id = u.id.clone();
                        let _ = reverse(&mut crm, id.as_str(), &at);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The verdict on the cases a user meets: granted, denied when the quota is used up, granted
/// by exception, denied for a suspended line, and the same typed error for a bad request.
#[test]
fn the_verdict_grants_denies_and_errs_like_the_check() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Web);
    let both = |crm: &Crm, r: &EntitlementRequest, at: &str| {
        let full = crm.check_entitlement(r, t(at)).map(|d| d.outcome);
        let verdict = crm.is_entitled(r, t(at));
        assert_eq!(
            verdict,
            full.clone()
                .map(|o| o != entitlement::DecisionOutcome::Denied)
        );
        full
    };
    use entitlement::DecisionOutcome::*;
    assert_eq!(both(&crm, &r, "2026-02-01T10:00:00Z"), Ok(Granted));
    consume(&mut crm, "U1", &r, "2026-02-01T10:00:00Z").unwrap();
    consume(&mut crm, "U2", &r, "2026-03-01T10:00:00Z").unwrap();
    assert_eq!(both(&crm, &r, "2026-04-01T10:00:00Z"), Ok(Denied));
    approve(
        &mut crm,
        allow(
            "X1",
            "L1.device_replacement",
            Some("1"),
            "2026-04-01T00:00:00Z",
            None,
        ),
        "2026-04-01T00:00:00Z",
    );
    assert_eq!(
        both(&crm, &r, "2026-04-01T10:00:00Z"),
        Ok(GrantedByException)
    );
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::Suspend,
        "2026-04-02T00:00:00Z",
    ))
    .unwrap();
    assert_eq!(both(&crm, &r, "2026-04-02T10:00:00Z"), Ok(Denied));
    let mut bad = r.clone();
    bad.quantity = Some(Decimal::new(15, 1));
    let err = both(&crm, &bad, "2026-04-02T10:00:00Z").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let unknown = req("no_such_code", Channel::Web);
    assert_eq!(
        both(&crm, &unknown, "2026-04-02T10:00:00Z")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}
