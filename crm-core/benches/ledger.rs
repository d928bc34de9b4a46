//! Ledger throughput: 100,000 customers with 24 charges each (12 device installments and 12
//! months of service); one payment allocated per customer, then aging for all.
//!
//! Run with `cargo bench -p crm-core --bench ledger`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crm_core::obligation::{AllocationRule, Ledger, Payment, PaymentMethod, Scope};
use crm_core::{Money, PaymentId};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod summary;

fn customers() -> usize {
    summary::pick(100_000, 500)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn build() -> (Vec<Ledger>, Vec<Payment>) {
    let eur = crm_core::Currency::new("EUR").unwrap();
    let paid_at = Utc.with_ymd_and_hms(2025, 7, 10, 9, 0, 0).unwrap();
    let ledgers: Vec<Ledger> = (0..customers()).map(summary::typical_ledger).collect();
    let payments = ledgers
        .iter()
        .enumerate()
        .map(|(i, ledger)| Payment {
            id: PaymentId::new(format!("PAY{i}")).unwrap(),
            customer_id: ledger.customer_id().clone(),
            received_at: paid_at,
            // varies per customer so allocation stops at different charges
            amount: Money::from_minor(30_000 + (i as i64 % 50_000), eur),
            method: PaymentMethod::DirectDebit,
            reference: String::new(),
            allocation: AllocationRule::OldestDueFirst,
        })
        .collect();
    (ledgers, payments)
}

fn bench(c: &mut Criterion) {
    let (ledgers, payments) = build();
    let as_of = d("2025-07-15");
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("allocate_and_age_100k_customers_x24_charges", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut work = ledgers.clone();
                let pays = payments.clone();
                let start = Instant::now();
                for (ledger, p) in work.iter_mut().zip(pays) {
                    black_box(ledger.record_payment(p).unwrap());
                    black_box(ledger.aging(as_of, 5, &Scope::Customer).unwrap());
                }
                total += start.elapsed();
                drop(work);
            }
            total
        })
    });
    group.bench_function("aging_100k_customers_x24_charges", |b| {
        b.iter(|| {
            for ledger in &ledgers {
                black_box(ledger.aging(as_of, 5, &Scope::Customer).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
