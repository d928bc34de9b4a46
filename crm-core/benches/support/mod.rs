//! Shared by the benches: the run mode, interleaved timing with medians, and the one-line
//! summary that `bench/run.sh` collects into docs/performance.md.
//!
//! **Modes.** `cargo bench` passes `--bench` to a bench binary: the full run, at full size.
//! `cargo test --benches` does not: the smoke run, where each bench builds small inputs,
//! checks that ours and the peer agree, times a few iterations and prints its summary line
//! marked `smoke` (criterion itself runs each benchmark once in that mode).
//!
//! **Summary lines** are tab-separated and start with `BENCH`:
//! `BENCH  id  what  ours  peer-name  peer  unit  ratio  target  met`
//! (`-` where a field does not apply). Figures are medians over interleaved rounds.
#![allow(dead_code, missing_docs, clippy::indexing_slicing, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

/// True for `cargo bench` (full size and timing), false for the smoke run.
pub fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `full` when running in full mode, else `smoke`.
pub fn pick<T>(full_value: T, smoke_value: T) -> T {
    if full() { full_value } else { smoke_value }
}

/// The median of `v` (sorted in place); NaN for an empty slice.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Nanoseconds per call of `f`, called `n` times in a row.
pub fn ns_per_call<R>(n: u64, f: &mut dyn FnMut() -> R) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// Runs `rounds` rounds; in each round every closure runs `n` calls in turn (so the sides
/// see the same machine load). Returns each closure's median nanoseconds per call.
pub fn interleaved(rounds: usize, n: u64, fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    // One warm-up round, not counted.
    for f in fs.iter_mut() {
        ns_per_call(n.div_ceil(4).max(1), &mut **f);
    }
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (f, s) in fs.iter_mut().zip(samples.iter_mut()) {
            s.push(ns_per_call(n, &mut **f));
        }
    }
    samples.iter_mut().map(|s| median(s)).collect()
}

/// Times one run of `f` `rounds` times and returns the median in nanoseconds (for batch
/// benchmarks where one call is the whole batch); `setup` is run, untimed, before each, and
/// the result is dropped after the clock stops.
pub fn median_of<S, R>(
    rounds: usize,
    mut setup: impl FnMut() -> S,
    mut f: impl FnMut(S) -> R,
) -> f64 {
    let mut v = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let input = setup();
        let start = Instant::now();
        let out = f(input);
        v.push(start.elapsed().as_nanos() as f64);
        drop(black_box(out));
    }
    median(&mut v)
}

/// A figure in a unit, for a summary line.
#[derive(Clone, Copy, Debug)]
pub enum Unit {
    /// Nanoseconds per operation.
    Ns,
    /// Milliseconds per batch.
    Ms,
    /// Operations per second.
    PerSec,
    /// Bytes.
    Bytes,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Ns => "ns/op",
            Unit::Ms => "ms",
            Unit::PerSec => "ops/s",
            Unit::Bytes => "bytes",
        }
    }
}

/// Formats a figure with three significant digits.
pub fn fmt(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// One summary line.
pub struct Summary<'a> {
    /// Stable id, e.g. `entitlement_vs_cedar`.
    pub id: &'a str,
    /// What was measured, in words.
    pub what: &'a str,
    /// Our figure.
    pub ours: f64,
    /// The peer's name and figure, when there is a peer.
    pub peer: Option<(&'a str, f64)>,
    /// The unit of both figures.
    pub unit: Unit,
    /// The ratio reported (peer / ours, or another ratio the target is about).
    pub ratio: Option<f64>,
    /// The target, in words.
    pub target: &'a str,
    /// Whether the target is met.
    pub met: bool,
}

impl Summary<'_> {
    /// Prints the tab-separated summary line (and a readable line before it).
    pub fn print(&self) {
        let mode = if full() { "full" } else { "smoke" };
        let (peer_name, peer) = match self.peer {
            Some((n, v)) => (n.to_string(), fmt(v)),
            None => ("-".to_string(), "-".to_string()),
        };
        let ratio = self
            .ratio
            .map_or("-".to_string(), |r| format!("{}x", fmt(r)));
        let met = if !full() {
            "smoke"
        } else if self.met {
            "yes"
        } else {
            "NO"
        };
        println!(
            "{mode}: {}: ours {} {}, peer {peer_name} {peer}, ratio {ratio}, target {}: {met}",
            self.id,
            fmt(self.ours),
            self.unit.name(),
            self.target
        );
        println!(
            "BENCH\t{}\t{}\t{}\t{peer_name}\t{peer}\t{}\t{ratio}\t{}\t{met}",
            self.id,
            self.what,
            fmt(self.ours),
            self.unit.name(),
            self.target
        );
    }
}

/// The ledger of a typical customer number `i` (ids `C{i:07}`, `A{i:07}`, plans
/// `A{i:07}-DEV` / `A{i:07}-SVC` on lines `A{i:07}-L00` / `-L01`): a device sold in 12
/// monthly installments of 100.00 from 2025-01-31 and a 49.90 monthly service from
/// 2025-01-01, billed up to 2025-12-31: 24 charges. Shared by the ledger and memory benches.
pub fn typical_ledger(i: usize) -> crm_core::obligation::Ledger {
    use crm_core::obligation::{
        BillingTiming, Frequency, Ledger, PaymentPlan, PaymentType, Periodicity, ScheduleInput,
    };
    use crm_core::{AgreementId, Currency, CustomerId, LineId, Money, PlanId};
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 1, 1, 0, 0, 0).unwrap();
    let customer = CustomerId::new(format!("C{i:07}")).unwrap();
    let agreement = AgreementId::new(format!("A{i:07}")).unwrap();
    let plan = |suffix: &str, line: &str, payment_type, periodicity| {
        PaymentPlan::new(
            PlanId::new(format!("A{i:07}-{suffix}")).unwrap(),
            customer.clone(),
            agreement.clone(),
            Some(LineId::new(format!("A{i:07}-{line}")).unwrap()),
            payment_type,
            periodicity,
        )
        .unwrap()
    };
    let device = plan(
        "DEV",
        "L00",
        PaymentType::Sale,
        Periodicity::Installments {
            total: Money::parse("1200.00", "EUR").unwrap(),
            count: 12,
            every: Frequency::Monthly,
            first_due: d("2025-01-31"),
        },
    );
    let service = plan(
        "SVC",
        "L01",
        PaymentType::Service,
        Periodicity::Recurring {
            amount: Money::parse("49.90", "EUR").unwrap(),
            every: Frequency::Monthly,
            start: d("2025-01-01"),
            end: None,
            timing: BillingTiming::InAdvance,
            price_changes: vec![],
        },
    );
    let mut ledger = Ledger::new(customer.clone(), Currency::new("EUR").unwrap());
    for plan in [&device, &service] {
        let charges = plan
            .charges_until(d("2025-12-31"), &ScheduleInput::default())
            .unwrap();
        ledger.add_charges(charges, at).unwrap();
    }
    assert_eq!(ledger.charges().len(), 24);
    ledger
}
