//! Tiering throughput: 1,000,000 customers through a 20-row table.
//!
//! Run with `cargo bench -p crm-core --bench tiering`. The target is under one second per
//! million customers on one core in release for the fast path (`tier_ranks`); the explained
//! path (`assign_tier`, with reasons) is measured on 100,000 customers.

// Benchmark set-up may fail loudly.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_core::policy::{
    ColumnDef, Condition, CustomerMeasures, DecisionTableSpec, HitPolicy, Literal, RuleSpec,
    TieringPolicy, TieringPolicySpec, ValueType,
};
use crm_core::{Currency, CustomerId, Instant, Money};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

#[path = "support/mod.rs"]
mod summary;
use summary::{Summary, Unit, median_of, pick};

fn lit(s: &str) -> Literal {
    Literal::Text(s.to_string())
}

/// A 20-row first-hit table over eight measures.
fn policy() -> TieringPolicy {
    let eur = Currency::new("EUR").expect("EUR");
    let money = |n: &str| ColumnDef::new(n, ValueType::Money { currency: eur });
    let int = |n: &str| ColumnDef::new(n, ValueType::Integer);
    let tiers = ["standard", "silver", "gold", "platinum"];
    let mut rules = vec![
        RuleSpec::new("R01")
            .when("days_overdue", Condition::Gt { value: 90.into() })
            .then("tier", "standard"),
        RuleSpec::new("R02")
            .when("bounced_payments", Condition::Ge { value: 3.into() })
            .then("tier", "standard"),
        RuleSpec::new("R03")
            .when(
                "revenue",
                Condition::Ge {
                    value: lit("200000.00"),
                },
            )
            .when("churn_risk", Condition::Lt { value: lit("0.3") })
            .then("tier", "platinum"),
        RuleSpec::new("R04")
            .when(
                "revenue",
                Condition::Ge {
                    value: lit("200000.00"),
                },
            )
            .then("tier", "gold"),
        RuleSpec::new("R05")
            .when(
                "potential",
                Condition::Ge {
                    value: lit("500000.00"),
                },
            )
            .when(
                "revenue",
                Condition::Lt {
                    value: lit("5000.00"),
                },
            )
            .then("tier", "gold"),
        RuleSpec::new("R06")
            .when(
                "potential",
                Condition::Ge {
                    value: lit("100000.00"),
                },
            )
            .when("tenure_months", Condition::Ge { value: 12.into() })
            .then("tier", "silver"),
    ];
    // Fourteen revenue bands with margin and complaint conditions.
    for k in 0..14i64 {
        let lo = format!("{}.00", k * 14_000);
        let hi = format!("{}.00", (k + 1) * 14_000);
        rules.push(
            RuleSpec::new(format!("B{k:02}"))
                .when(
                    "revenue",
                    Condition::Between {
                        low: lit(&lo),
                        high: lit(&hi),
                        low_inclusive: true,
                        high_inclusive: false,
                    },
                )
                .when(
                    "margin",
                    Condition::Ge {
                        value: lit(&format!("{}.00", k * 1_500)),
                    },
                )
                .when("open_complaints", Condition::Le { value: 2.into() })
                .then("tier", tiers[(k as usize * 4) / 14]),
        );
    }
    let spec = TieringPolicySpec {
        tiers: tiers.iter().map(|s| s.to_string()).collect(),
        attributes: vec![],
        table: DecisionTableSpec {
            name: "bench".into(),
            hit_policy: HitPolicy::First,
            inputs: vec![
                money("revenue"),
                money("margin"),
                money("potential"),
                int("tenure_months"),
                int("days_overdue"),
                int("bounced_payments"),
                ColumnDef::new("churn_risk", ValueType::Decimal),
                int("open_complaints"),
            ],
            outputs: vec![ColumnDef::new("tier", ValueType::String)],
            rules,
        },
    };
    assert_eq!(spec.table.rules.len(), 20);
    TieringPolicy::new(spec).expect("bench policy")
}

/// Deterministic pseudo-random customers (a 64-bit LCG; no clock, no randomness).
fn customers(n: usize) -> Vec<CustomerMeasures> {
    let eur = Currency::new("EUR").expect("EUR");
    let mut s: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |m: u64| {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 33) % m
    };
    let since = NaiveDate::from_ymd_opt(2015, 1, 1).expect("date");
    (0..n)
        .map(|i| CustomerMeasures {
            customer: CustomerId::new(format!("C{i}")).expect("id"),
            revenue: Money::from_minor(next(25_000_000) as i64, eur),
            margin: Money::from_minor(next(3_000_000) as i64, eur),
            potential: Money::from_minor(next(80_000_000) as i64, eur),
            customer_since: since + chrono::Duration::days(next(4000) as i64),
            days_overdue: next(120) as i64,
            bounced_payments: next(5) as i64,
            churn_risk: Decimal::new(next(100) as i64, 2),
            open_complaints: next(4) as i64,
            attributes: BTreeMap::new(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let p = policy();
    let at: Instant = "2026-11-22T09:00:00Z".parse().expect("instant");
    let million = customers(pick(1_000_000, 2_000));
    let ns = median_of(
        pick(7, 1),
        || (),
        |()| p.tier_ranks(&million, at).expect("tiers"),
    );
    let ms = ns / 1e6;
    Summary {
        id: "tiering_1m_customers",
        what: "1,000,000 customers through a 20-row first-hit table (tier_ranks), one core",
        ours: ms,
        peer: None,
        unit: Unit::Ms,
        ratio: None,
        target: "< 1000 ms",
        met: ms < 1000.0,
    }
    .print();
    let mut g = c.benchmark_group("tiering");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(million.len() as u64));
    g.bench_function("tier_ranks_1m_customers_20_rows", |b| {
        b.iter(|| black_box(p.tier_ranks(black_box(&million), at).expect("tiers")))
    });
    let some = &million[..pick(100_000, 500)];
    g.throughput(Throughput::Elements(some.len() as u64));
    g.bench_function("assign_tier_explained_100k_customers", |b| {
        b.iter(|| {
            for m in some {
                black_box(
                    p.assign_tier(black_box(m), Some("silver"), at)
                        .expect("tier"),
                );
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
