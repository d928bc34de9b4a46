//! Kotlin and Swift bindings of crm-core, built with uniffi proc-macros (no UDL).
//!
//! This crate is thin: it converts types and errors and holds handles; every rule lives in
//! crm-core. Conventions every export follows (see `docs/bindings.md`):
//!
//! - every exported function and method returns `Result<T, CrmError>` and runs its body inside
//!   [`guard`], so a panic reaches Kotlin and Swift as `CrmError::Internal`, never an abort;
//! - decimals travel as strings ([`ExactDecimal`], mapped to `java.math.BigDecimal` and Swift
//!   `Decimal` in `uniffi.toml`), calendar dates as ISO strings ([`IsoDate`], mapped to
//!   `java.time.LocalDate`), instants as `SystemTime` (Kotlin `java.time.Instant`, Swift `Date`);
//! - records use signed integers; objects are `Send + Sync` with their state behind a `Mutex`.
//!
//! Generate the bindings (library mode) with:
//!
//! ```sh
//! cargo build -p crm-ffi
//! cargo run -p crm-ffi --features bindgen --bin uniffi-bindgen -- generate \
//!     --library target/debug/libcrm_ffi.so --language kotlin --out-dir target/bindings/kotlin
//! ```

use crm_core::lifecycle as core_lifecycle;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

uniffi::setup_scaffolding!();

mod calendar;
mod command;
mod convert;
mod engine;
mod error;
mod obligation;
mod policy;
mod records;
mod runner;

pub use calendar::BusinessClock;
pub use command::CrmCommand;
pub use convert::{
    Channel, CollectionStepKind, CommitmentState, Direction, FindingKind, InteractionOutcome,
    LineAction, LineKind, LineStatus, PaymentMethod, Purpose, Rounding, Severity, SlaState,
};
pub use engine::{
    Crm, DecisionOutcome, EntitlementDecision, Event, MatchedEntitlement, Meta, Reason, Remaining,
    process_definition_build, process_definition_to_dot, process_definition_to_mermaid,
};
pub use error::CrmError;
pub use obligation::{Ledger, payment_plan_charges_until};
pub use policy::{CompensationPolicy, DecisionTable, ServicePolicy, TieringPolicy};
pub use records::{
    AccountabilityReport, ActionStatus, AgingReport, Agreement, AgreementLine, AgreementView,
    ApprovedException, BusinessCalendar, CollectionAction, CollectionTarget, Commitment,
    CommitmentTally, CompensationDecision, CompensationGrant, Customer, Customer360,
    EntitlementStatus, EntityRef, Finding, Holiday, InstanceStatus, Interaction, LedgerTotals,
    LineStatusEntry, LineView, MoneyView, PartnerScorecard, Party, PartyAccountability,
    PaymentPlan, ProcessInstance, ProcessReport, ProcessView, Reconciliation, ServiceLevelTargets,
    ServiceMeasures, SlaClock, Statement, StatementCharge, StepStats, TierChange, TierDecision,
    TierView, TieringBatch, TieringFailure, UnpaidCharge, UsageRecord, WorkingHours,
};
pub use runner::{
    Performer, ProcessDefinition, ProcessEdge, ProcessMove, ProcessRunner, ProcessStep, StepKind,
};

/// An exact decimal, carried across the boundary as its plain string form (`"12.34"`).
pub type ExactDecimal = rust_decimal::Decimal;

uniffi::custom_type!(ExactDecimal, String, {
    remote,
    lower: |d| d.to_string(),
    try_lift: |s| {
        crm_core::money::parse_decimal("decimal", &s)
            .map_err(|e| uniffi::deps::anyhow::Error::new(CrmError::from(e)))
    },
});

/// A calendar date, carried across the boundary as an ISO 8601 string (`"2026-03-31"`).
pub type IsoDate = chrono::NaiveDate;

uniffi::custom_type!(IsoDate, String, {
    remote,
    lower: |d| d.format("%Y-%m-%d").to_string(),
    try_lift: |s| parse_iso_date(&s).map_err(uniffi::deps::anyhow::Error::new),
});

/// Runs `f` at the boundary: a panic inside becomes [`CrmError::Internal`] instead of
/// unwinding into (and aborting) the foreign host. Every export goes through here.
pub fn guard<T>(f: impl FnOnce() -> Result<T, CrmError>) -> Result<T, CrmError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(CrmError::from_panic(payload)))
}

fn core<T>(r: crm_core::Result<T>) -> Result<T, CrmError> {
    r.map_err(CrmError::from)
}

/// A value of the core decoded from its JSON (the JSON contract); a bad text is the core's
/// `json` error, as `CrmException.Json`.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CrmError> {
    core(serde_json::from_str(text).map_err(crm_core::Error::from))
}

fn parse_iso_date(s: &str) -> Result<IsoDate, CrmError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| {
        CrmError::from(crm_core::Error::validation(
            "date",
            s.chars().take(64).collect::<String>(),
            format!("not an ISO 8601 calendar date (YYYY-MM-DD): {e}"),
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------------

/// An ISO 4217 currency: its code and the number of decimal places of its minor unit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Currency {
    /// The three-letter code, e.g. `EUR`.
    pub code: String,
    /// Decimal places of the minor unit (EUR 2, JPY 0, KWD 3).
    pub exponent: i32,
}

impl From<crm_core::Currency> for Currency {
    fn from(c: crm_core::Currency) -> Self {
        Currency {
            code: c.code().to_string(),
            exponent: i32::try_from(c.exponent()).unwrap_or(i32::MAX),
        }
    }
}

/// An exact amount of one currency, always at the currency's minor-unit scale.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Money {
    /// The amount (`java.math.BigDecimal` in Kotlin, `Decimal` in Swift).
    pub amount: ExactDecimal,
    /// The ISO 4217 currency code.
    pub currency: String,
}

impl From<crm_core::Money> for Money {
    fn from(m: crm_core::Money) -> Self {
        Money {
            amount: m.amount(),
            currency: m.currency().code().to_string(),
        }
    }
}

impl Money {
    fn to_core(&self) -> Result<crm_core::Money, CrmError> {
        let currency = core(crm_core::Currency::new(&self.currency))?;
        core(crm_core::Money::new(self.amount, currency))
    }
}

fn money_list(parts: Vec<crm_core::Money>) -> Vec<Money> {
    parts.into_iter().map(Money::from).collect()
}

/// Looks up an ISO 4217 currency by code; an unknown code is a `Validation` error.
#[uniffi::export]
pub fn currency(code: String) -> Result<Currency, CrmError> {
    guard(|| core(crm_core::Currency::new(&code)).map(Currency::from))
}

/// Every currency the library knows, in code order.
#[uniffi::export]
pub fn currencies() -> Result<Vec<Currency>, CrmError> {
    guard(|| Ok(crm_core::Currency::all().map(Currency::from).collect()))
}

/// An exact amount; more decimal places than the currency allows is a `Validation` error.
#[uniffi::export]
pub fn money_new(amount: ExactDecimal, currency: String) -> Result<Money, CrmError> {
    guard(|| {
        let c = core(crm_core::Currency::new(&currency))?;
        core(crm_core::Money::new(amount, c)).map(Money::from)
    })
}

/// Parses an amount from text (`"1200.00"`) and a currency code.
#[uniffi::export]
pub fn money_parse(amount: String, currency: String) -> Result<Money, CrmError> {
    guard(|| core(crm_core::Money::parse(&amount, &currency)).map(Money::from))
}

/// Rounds a computed amount to the currency's minor unit by the named rule.
#[uniffi::export]
pub fn money_rounded(
    amount: ExactDecimal,
    currency: String,
    rounding: Rounding,
) -> Result<Money, CrmError> {
    guard(|| {
        let c = core(crm_core::Currency::new(&currency))?;
        core(crm_core::Money::rounded(amount, c, rounding.into())).map(Money::from)
    })
}

/// `a + b`; two currencies are a `CurrencyMismatch` error.
#[uniffi::export]
pub fn money_add(a: Money, b: Money) -> Result<Money, CrmError> {
    guard(|| core(a.to_core()?.checked_add(&b.to_core()?)).map(Money::from))
}

/// `a - b`; two currencies are a `CurrencyMismatch` error.
#[uniffi::export]
pub fn money_sub(a: Money, b: Money) -> Result<Money, CrmError> {
    guard(|| core(a.to_core()?.checked_sub(&b.to_core()?)).map(Money::from))
}

/// Splits into `parts` amounts that sum exactly to `money`; odd minor units go to the first parts.
#[uniffi::export]
pub fn money_split(money: Money, parts: i64) -> Result<Vec<Money>, CrmError> {
    guard(|| core(money.to_core()?.split(parts)).map(money_list))
}

/// Allocates `money` in proportion to `ratios` by the largest-remainder method; the parts sum
/// exactly to `money`.
#[uniffi::export]
pub fn money_allocate(money: Money, ratios: Vec<ExactDecimal>) -> Result<Vec<Money>, CrmError> {
    guard(|| core(money.to_core()?.allocate(&ratios)).map(money_list))
}

/// A running total of amounts of one currency, safe to share between threads.
///
/// Kotlin callers close it (`use {}`); Swift releases it automatically.
#[derive(uniffi::Object)]
pub struct MoneyTally {
    total: Mutex<crm_core::Money>,
}

#[uniffi::export]
impl MoneyTally {
    /// A tally at zero of `currency`.
    #[uniffi::constructor]
    pub fn new(currency: String) -> Result<Self, CrmError> {
        guard(|| {
            let c = core(crm_core::Currency::new(&currency))?;
            Ok(MoneyTally {
                total: Mutex::new(crm_core::Money::zero(c)),
            })
        })
    }

    /// Adds `amount`; another currency is a `CurrencyMismatch` error and changes nothing.
    pub fn add(&self, amount: Money) -> Result<Money, CrmError> {
        guard(|| {
            let m = amount.to_core()?;
            let mut total = self.total.lock().map_err(|_| CrmError::poisoned())?;
            *total = core(total.checked_add(&m))?;
            Ok(Money::from(*total))
        })
    }

    /// The total so far.
    pub fn total(&self) -> Result<Money, CrmError> {
        guard(|| {
            let total = self.total.lock().map_err(|_| CrmError::poisoned())?;
            Ok(Money::from(*total))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Ids, durations, time ranges, dates
// ---------------------------------------------------------------------------------------------

/// The id kinds hosts supply, as named in error messages (`customer_id`, ...).
use crm_core::ids::ID_KINDS;

/// The names of every id kind (`customer_id`, `agreement_id`, ...).
#[uniffi::export]
pub fn id_kinds() -> Result<Vec<String>, CrmError> {
    guard(|| Ok(ID_KINDS.iter().map(|k| (*k).to_string()).collect()))
}

/// Checks `value` against the rules every id follows and returns it unchanged; `kind` is one of
/// [`id_kinds`]. A bad value or an unknown kind is a `Validation` error.
#[uniffi::export]
pub fn validate_id(kind: String, value: String) -> Result<String, CrmError> {
    guard(|| {
        core(crm_core::ids::validate_id_of_kind(&kind, &value))?;
        Ok(value)
    })
}

/// A span of business (working) time in whole seconds, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct BusinessDuration {
    /// Whole business seconds.
    pub seconds: i64,
}

impl From<crm_core::BusinessDuration> for BusinessDuration {
    fn from(d: crm_core::BusinessDuration) -> Self {
        BusinessDuration {
            seconds: d.as_secs(),
        }
    }
}

/// A business duration of `seconds`; negative or too long is a `Validation` error.
#[uniffi::export]
pub fn business_duration_from_secs(seconds: i64) -> Result<BusinessDuration, CrmError> {
    guard(|| core(crm_core::BusinessDuration::from_secs(seconds)).map(Into::into))
}

/// A business duration of `minutes`.
#[uniffi::export]
pub fn business_duration_from_minutes(minutes: i64) -> Result<BusinessDuration, CrmError> {
    guard(|| core(crm_core::BusinessDuration::from_minutes(minutes)).map(Into::into))
}

/// A business duration of `hours`.
#[uniffi::export]
pub fn business_duration_from_hours(hours: i64) -> Result<BusinessDuration, CrmError> {
    guard(|| core(crm_core::BusinessDuration::from_hours(hours)).map(Into::into))
}

/// The readable form of a business duration (`1h30m`).
#[uniffi::export]
pub fn business_duration_display(duration: BusinessDuration) -> Result<String, CrmError> {
    guard(|| core(crm_core::BusinessDuration::from_secs(duration.seconds)).map(|d| d.to_string()))
}

/// A half-open range of instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TimeRange {
    /// The first instant in the range.
    pub start: SystemTime,
    /// The first instant after the range.
    pub end: SystemTime,
}

fn to_instant(field: &str, t: SystemTime) -> Result<crm_core::Instant, CrmError> {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok(), d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let mut secs = i64::try_from(d.as_secs()).ok().map(|s| -s);
            let mut nanos = d.subsec_nanos();
            if nanos > 0 {
                secs = secs.and_then(|s| s.checked_sub(1));
                nanos = 1_000_000_000 - nanos;
            }
            (secs, nanos)
        }
    };
    secs.and_then(|s| chrono::DateTime::from_timestamp(s, nanos))
        .ok_or_else(|| {
            CrmError::from(crm_core::Error::validation(
                field,
                format!("{t:?}"),
                "outside the supported range of instants",
            ))
        })
}

fn from_instant(t: crm_core::Instant) -> SystemTime {
    let secs = t.timestamp();
    let nanos = t.timestamp_subsec_nanos();
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
    } else {
        UNIX_EPOCH - Duration::new(secs.unsigned_abs(), 0) + Duration::new(0, nanos)
    }
}

/// The range `[start, end)`; an end before the start is a `Validation` error.
#[uniffi::export]
pub fn time_range_new(start: SystemTime, end: SystemTime) -> Result<TimeRange, CrmError> {
    guard(|| {
        let r = core(crm_core::TimeRange::new(
            to_instant("start", start)?,
            to_instant("end", end)?,
        ))?;
        Ok(TimeRange {
            start: from_instant(r.start()),
            end: from_instant(r.end()),
        })
    })
}

/// True when `at` lies in `[range.start, range.end)`.
#[uniffi::export]
pub fn time_range_contains(range: TimeRange, at: SystemTime) -> Result<bool, CrmError> {
    guard(|| {
        let r = core(crm_core::TimeRange::new(
            to_instant("start", range.start)?,
            to_instant("end", range.end)?,
        ))?;
        Ok(r.contains(to_instant("at", at)?))
    })
}

/// Checks an ISO 8601 calendar date and returns it as a date (`java.time.LocalDate` in Kotlin).
#[uniffi::export]
pub fn iso_date(text: String) -> Result<IsoDate, CrmError> {
    guard(|| parse_iso_date(&text))
}

// ---------------------------------------------------------------------------------------------
// Line lifecycle
// ---------------------------------------------------------------------------------------------

/// One allowed move of an agreement line: in `from`, `action` takes a line of `kind` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct LineTransition {
    /// Service or physical product.
    pub kind: LineKind,
    /// The state before.
    pub from: LineStatus,
    /// The action.
    pub action: LineAction,
    /// The state after.
    pub to: LineStatus,
}

/// The whole line lifecycle table; anything not listed is an invalid transition.
#[uniffi::export]
pub fn line_transitions() -> Result<Vec<LineTransition>, CrmError> {
    guard(|| {
        core_lifecycle::TRANSITIONS
            .iter()
            .map(|t| {
                Ok(LineTransition {
                    kind: t.kind.into(),
                    from: LineStatus::try_from(t.from)?,
                    action: LineAction::try_from(t.action)?,
                    to: LineStatus::try_from(t.to)?,
                })
            })
            .collect()
    })
}

/// The state `action` takes a line of `kind` in `from` to, or null when the table has no such move.
#[uniffi::export]
pub fn next_line_status(
    kind: LineKind,
    from: LineStatus,
    action: LineAction,
) -> Result<Option<LineStatus>, CrmError> {
    guard(|| {
        core_lifecycle::next_status(kind.into(), from.into(), action.into())
            .map(LineStatus::try_from)
            .transpose()
    })
}

// ---------------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------------

/// Panics inside the library on purpose, so a host's tests can prove that a panic arrives as
/// `CrmError::Internal` and leaves the process running. Hosts never call it otherwise.
#[uniffi::export]
#[allow(
    clippy::panic,
    reason = "the one deliberate panic, to test the boundary guard"
)]
pub fn diagnostic_panic(message: String) -> Result<(), CrmError> {
    guard(|| panic!("{message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount: &str) -> Money {
        money_parse(amount.into(), "EUR".into()).unwrap()
    }

    #[test]
    fn split_conserves_and_errors_are_typed() {
        let parts = money_split(eur("100.00"), 3).unwrap();
        let amounts: Vec<String> = parts.iter().map(|m| m.amount.to_string()).collect();
        assert_eq!(amounts, ["33.34", "33.33", "33.33"]);
        let usd = money_parse("1".into(), "USD".into()).unwrap();
        assert!(matches!(
            money_add(eur("1"), usd),
            Err(CrmError::CurrencyMismatch { .. })
        ));
        assert!(matches!(
            validate_id("customer_id".into(), " x".into()),
            Err(CrmError::Validation { .. })
        ));
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let e = diagnostic_panic("boom".into()).unwrap_err();
        assert!(matches!(e, CrmError::Internal { ref reason } if reason.contains("boom")));
    }

    #[test]
    fn the_lifecycle_table_and_instants_cross_over() {
        assert_eq!(
            line_transitions().unwrap().len(),
            core_lifecycle::TRANSITIONS.len()
        );
        let start = UNIX_EPOCH - Duration::new(10, 500);
        let end = UNIX_EPOCH + Duration::new(10, 0);
        let r = time_range_new(start, end).unwrap();
        assert_eq!(r.start, start);
        assert!(time_range_contains(r, UNIX_EPOCH).unwrap());
        assert!(time_range_new(end, start).is_err());
        assert_eq!(
            iso_date("2026-03-31".into()).unwrap().to_string(),
            "2026-03-31"
        );
    }

    #[test]
    fn a_tally_is_shared_between_threads() {
        let tally = std::sync::Arc::new(MoneyTally::new("EUR".into()).unwrap());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let t = tally.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        t.add(eur("0.01")).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(tally.total().unwrap(), eur("4.00"));
    }
}
