//! Money (issue #10): 1,000,000 payments allocated over 12,000,000 installments, through the
//! obligation ledger (`Ledger::record_payment`, oldest due first), with exact decimals.
//!
//! **The generator** (deterministic; `bench/python/money_peer.py` reproduces it with Python's
//! `decimal`, and docs/performance.md documents it). Customer `c` (0-based):
//! * price `T = 30000 + (c * 7919) % 170001` cents, in 12 monthly installments from
//!   2025-01-31: `T // 12` cents each, the first `T % 12` installments one cent more;
//! * one payment of `P = 1 + (c * 2654435761) % (T + 5000)` cents, allocated oldest
//!   installment first, each up to its open amount; what is left is credit balance.
//!
//! **The check**: `S1` = cents allocated, `S2` = sum over customers and installments of
//! `(12 c + k + 1) * cents allocated to installment k`, modulo `2^61 - 1`, `S3` = cents of
//! credit balance. The Python peer prints the same three numbers.
//!
//! **Timed**: the `record_payment` calls only. Ledgers are built (untimed) in chunks of 20,000
//! customers so that memory stays bounded; each chunk's allocation is timed on a fresh copy in
//! each round, and a round's time is the sum over the chunks. The figure is the median round.
//! Set `CRM_MONEY_EXPORT=file.csv` to also write the first 1,000 customers' input and output.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/mod.rs"]
mod summary;

use chrono::{NaiveDate, TimeZone, Utc};
use crm_core::obligation::{
    AllocationRule, Frequency, Ledger, Payment, PaymentMethod, PaymentPlan, PaymentType,
    Periodicity, ScheduleInput,
};
use crm_core::{AgreementId, Currency, CustomerId, Money, PaymentId, PlanId};
use std::io::Write;
use std::time::{Duration, Instant};
use summary::{Summary, Unit, median, pick};

const M61: u128 = (1 << 61) - 1;

fn price(c: u64) -> i64 {
    (30_000 + (c * 7_919) % 170_001) as i64
}

fn payment_cents(c: u64) -> i64 {
    1 + ((c * 2_654_435_761) % (price(c) as u64 + 5_000)) as i64
}

fn ledger(c: u64, eur: Currency) -> Ledger {
    let customer = CustomerId::new(format!("C{c}")).unwrap();
    let plan = PaymentPlan::new(
        PlanId::new(format!("D{c}")).unwrap(),
        customer.clone(),
        AgreementId::new(format!("A{c}")).unwrap(),
        None,
        PaymentType::Sale,
        Periodicity::Installments {
            total: Money::from_minor(price(c), eur),
            count: 12,
            every: Frequency::Monthly,
            first_due: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
        },
    )
    .unwrap();
    let charges = plan
        .charges_until(
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            &ScheduleInput::default(),
        )
        .unwrap();
    let mut l = Ledger::new(customer, eur);
    l.add_charges(charges, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap())
        .unwrap();
    l
}

fn payment(c: u64, eur: Currency) -> Payment {
    Payment {
        id: PaymentId::new(format!("P{c}")).unwrap(),
        customer_id: CustomerId::new(format!("C{c}")).unwrap(),
        received_at: Utc.with_ymd_and_hms(2025, 7, 10, 9, 0, 0).unwrap(),
        amount: Money::from_minor(payment_cents(c), eur),
        method: PaymentMethod::BankTransfer,
        reference: String::new(),
        allocation: AllocationRule::OldestDueFirst,
    }
}

fn main() {
    let eur = Currency::new("EUR").unwrap();
    let customers: u64 = pick(1_000_000, 2_000);
    let chunk: u64 = pick(20_000, 1_000);
    let rounds = pick(3, 1);
    let mut round_times = vec![Duration::ZERO; rounds];
    let (mut s1, mut s2, mut s3) = (0i128, 0u128, 0i128);
    let mut export = std::env::var("CRM_MONEY_EXPORT")
        .ok()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()));
    if let Some(w) = export.as_mut() {
        writeln!(
            w,
            "customer,price_cents,payment_cents,{}credit_cents",
            (1..=12)
                .map(|k| format!("inst{k}_cents,"))
                .collect::<String>()
        )
        .unwrap();
    }
    let mut start_c = 0;
    while start_c < customers {
        let end_c = (start_c + chunk).min(customers);
        let built: Vec<Ledger> = (start_c..end_c).map(|c| ledger(c, eur)).collect();
        for (r, total) in round_times.iter_mut().enumerate() {
            let mut work = built.clone();
            let pays: Vec<Payment> = (start_c..end_c).map(|c| payment(c, eur)).collect();
            let mut credits = Vec::with_capacity(pays.len());
            let t0 = Instant::now();
            for (l, p) in work.iter_mut().zip(pays) {
                credits.push(l.record_payment(p).unwrap().to_credit_balance);
            }
            *total += t0.elapsed();
            if r == 0 {
                for (i, (l, credit)) in work.iter().zip(&credits).enumerate() {
                    let c = start_c + i as u64;
                    assert_eq!(l.charges().len(), 12);
                    let mut row = Vec::with_capacity(12);
                    for (k, e) in l.charges().iter().enumerate() {
                        let cents = e.paid.minor_units();
                        s1 += cents;
                        s2 = (s2 + u128::from(c * 12 + k as u64 + 1) * cents as u128) % M61;
                        row.push(cents);
                    }
                    s3 += credit.minor_units();
                    if c < 1_000
                        && let Some(w) = export.as_mut()
                    {
                        let cols: String = row.iter().map(|v| format!("{v},")).collect();
                        writeln!(
                            w,
                            "{c},{},{},{cols}{}",
                            price(c),
                            payment_cents(c),
                            credit.minor_units()
                        )
                        .unwrap();
                    }
                }
            }
            drop(work);
        }
        start_c = end_c;
    }
    println!("money check: customers={customers} S1={s1} S2={s2} S3={s3}");
    let mut ms: Vec<f64> = round_times.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    let ms = median(&mut ms);
    Summary {
        id: "money_allocate_1m_payments",
        what: &format!(
            "{customers} payments over {} installments (Ledger::record_payment); S1={s1} S2={s2} S3={s3}",
            customers * 12
        ),
        ours: ms,
        peer: None,
        unit: Unit::Ms,
        ratio: None,
        target: "< 1000 ms",
        met: ms < 1000.0,
    }
    .print();
}
