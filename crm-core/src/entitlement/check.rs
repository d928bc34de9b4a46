//! The entitlement check: one request, one instant, past usage, exceptions, with reasons.
//!
//! [`evaluate`] decides for one entitlement over plain facts (the line's status, the usage
//! ledger, the exceptions that cover it, the customer's standing); the engine gathers the
//! facts, runs it for every matching entitlement and picks the answer (see
//! `Crm::check_entitlement`).

use super::usage::UsageLedger;
use super::window::WindowSpan;
use super::{Entitlement, EntitlementKind};
use crate::Instant;
use crate::calendar::BusinessDuration;
use crate::error::{Error, Result};
use crate::ids::{
    ActorId, AgreementId, AssetId, CalendarId, CustomerId, EntitlementId, ExceptionId, LineId,
    UsageId,
};
use crate::lifecycle::{LineKind, LineStatus};
use crate::money::Money;
use crate::party::Channel;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Room for a typical reason message (80 to 120 bytes): `format!` sizes its string from the
/// literal pieces alone, so a message made mostly of ids, figures and instants grew three or
/// four times while it was written.
const MESSAGE_CAPACITY: usize = 128;

/// `format!` into a string of [`MESSAGE_CAPACITY`] from the start; the same text.
macro_rules! message {
    ($($arg:tt)*) => {{
        let mut s = String::with_capacity(MESSAGE_CAPACITY);
        // writing into a String cannot fail
        let _ = std::fmt::Write::write_fmt(&mut s, format_args!($($arg)*));
        s
    }};
}

/// The largest quantity one request may ask for.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 1e12

/// The smallest quantity a use can have (quantities have at most [`MAX_QUANTITY_SCALE`]
/// decimal places, money fewer): every counted use reaches it, and adding it to a running
/// sum stays exact.
const SMALLEST: Decimal = Decimal::from_parts(1, 0, 0, false, MAX_QUANTITY_SCALE);

/// The most decimal places a quantity may have.
pub const MAX_QUANTITY_SCALE: u32 = 9;

/// How many counted usage records a reason lists by id (the oldest ones); the totals are
/// always complete.
pub const CITED_RECORDS: usize = 10;

/// What the host knows of the customer's standing, for the conditions of an entitlement.
///
/// The engine derives it from the customer's ledger (days overdue) when a request carries
/// none; a host that keeps its own books may supply it with the request instead. Checked
/// without the engine, a condition that needs it when it is absent fails closed: denied,
/// with a [`ReasonKind::StandingUnknown`] reason.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerStanding {
    /// How many days the oldest unpaid charge is overdue (0 when nothing is overdue).
    pub days_overdue: u32,
    /// The customer's tier, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Every tier, lowest first (`["bronze", "silver", "gold"]`), to compare tiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier_order: Vec<String>,
}

/// A request to use an entitlement, for a check or a consume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementRequest {
    /// The customer asking.
    pub customer: CustomerId,
    /// Only this agreement of the customer's, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// The entitlement code (`device_replacement`).
    pub code: String,
    /// How many uses or units; 1 when absent (required for a unit allowance). Above zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    /// How much money, for a money allowance (required there, refused elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// The channel the request comes from (per-channel allotments count it).
    pub channel: Channel,
    /// Only entitlements of this line, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<LineId>,
    /// Only lines with this asset installed at the instant of the check, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<AssetId>,
    /// The customer's standing, for conditions (overdue days, minimum tier); the engine
    /// derives it from the ledger when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing: Option<CustomerStanding>,
}

impl EntitlementRequest {
    /// A request for one use of `code` by `customer` on `channel`.
    pub fn new(customer: CustomerId, code: impl Into<String>, channel: Channel) -> Self {
        EntitlementRequest {
            customer,
            agreement: None,
            code: code.into(),
            quantity: None,
            amount: None,
            channel,
            line: None,
            asset: None,
            standing: None,
        }
    }

    /// Checks what can be checked without the state: the code, the quantity and the amount.
    pub fn validate(&self) -> Result<()> {
        if !code_is_valid(&self.code) {
            super::validate_code("entitlement code", &self.code)?;
        }
        if let Some(q) = self.quantity {
            if q <= Decimal::ZERO {
                return Err(Error::validation("quantity", q, "must be above zero"));
            }
            if q > MAX_QUANTITY || q.scale() > MAX_QUANTITY_SCALE {
                return Err(Error::validation(
                    "quantity",
                    q,
                    format!(
                        "must be at most {MAX_QUANTITY} with at most {MAX_QUANTITY_SCALE} decimal places"
                    ),
                ));
            }
        }
        if let Some(m) = &self.amount {
            if !m.is_positive() {
                return Err(Error::validation("amount", m, "must be above zero"));
            }
            if m.amount() > MAX_QUANTITY {
                return Err(Error::validation(
                    "amount",
                    m,
                    format!("must be at most {MAX_QUANTITY}"),
                ));
            }
            if self.quantity.is_some() {
                return Err(Error::validation(
                    "quantity",
                    "given with an amount",
                    "a request names a quantity or an amount, not both",
                ));
            }
        }
        Ok(())
    }

    /// The quantity this request asks of `kind`: uses for a quota, access or service level
    /// (whole numbers), units for a unit allowance, the amount for a money allowance.
    pub fn quantity_for(&self, kind: &EntitlementKind) -> Result<Decimal> {
        match kind {
            EntitlementKind::MoneyAllowance { amount, .. } => {
                let asked = self.amount.ok_or_else(|| {
                    Error::validation(
                        "amount",
                        "none",
                        format!(
                            "{} is a money allowance; the request needs an amount",
                            self.code
                        ),
                    )
                })?;
                if asked.currency() != amount.currency() {
                    return Err(Error::CurrencyMismatch {
                        left: amount.currency().code().to_string(),
                        right: asked.currency().code().to_string(),
                    });
                }
                Ok(asked.amount())
            }
            EntitlementKind::UnitAllowance { unit, .. } => {
                if self.amount.is_some() {
                    return Err(Error::validation(
                        "amount",
                        &self.code,
                        format!("is an allowance of {unit}, not of money; give a quantity"),
                    ));
                }
                self.quantity.ok_or_else(|| {
                    Error::validation(
                        "quantity",
                        "none",
                        format!(
                            "{} is an allowance of {unit}; the request needs a quantity",
                            self.code
                        ),
                    )
                })
            }
            _ => {
                if self.amount.is_some() {
                    return Err(Error::validation(
                        "amount",
                        &self.code,
                        "is not a money allowance; give a quantity of uses",
                    ));
                }
                let Some(q) = self.quantity else {
                    return Ok(Decimal::ONE);
                };
                if q.scale() != 0 && !q.fract().is_zero() {
                    return Err(Error::validation(
                        "quantity",
                        q,
                        "uses are counted in whole numbers",
                    ));
                }
                Ok(q)
            }
        }
    }
}

/// The answer of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// Granted within the entitlement.
    Granted,
    /// Granted beyond the entitlement because an approved exception widens it.
    GrantedByException,
    /// Denied; the reasons say why.
    Denied,
}

/// The entitlement a decision is about, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchedEntitlement {
    /// The entitlement.
    pub entitlement: EntitlementId,
    /// The agreement that grants it.
    pub agreement: AgreementId,
    /// The line that grants it.
    pub line: LineId,
}

/// What remains of a quota or an allowance in the current window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remaining {
    /// What the entitlement allows per window (uses, units or the amount).
    pub limit: Decimal,
    /// What was used in the window before this request.
    pub used: Decimal,
    /// What remains within the entitlement after this request when granted, or now when
    /// denied; never below zero (uses beyond the limit are the exceptions').
    pub remaining: Decimal,
    /// What `limit`, `used` and `remaining` count: `uses`, the unit (`GB`) or the currency.
    pub unit: String,
    /// The money remaining, for a money allowance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_amount: Option<Money>,
    /// The window as placed at the instant of the check.
    pub window: WindowSpan,
}

/// An approved exception that widens an entitlement, as a decision cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionGrant {
    /// The exception.
    pub exception: ExceptionId,
    /// Who approved it.
    pub approved_by: ActorId,
    /// Until when it holds (exclusive); `None` until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Instant>,
    /// Extra uses or units it allows per window; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Decimal>,
    /// Why it was approved.
    pub reason: String,
}

/// What produced a decision, or what stood in its way. Each cites its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonKind {
    /// The line granting the entitlement is in service.
    LineInService {
        /// The agreement.
        agreement: AgreementId,
        /// The line.
        line: LineId,
        /// Its status at the instant of the check.
        status: LineStatus,
        /// Since when.
        since: Instant,
    },
    /// The line granting the entitlement is not in service (not yet active, suspended,
    /// restricted, terminated) or did not exist yet.
    LineNotInService {
        /// The agreement.
        agreement: AgreementId,
        /// The line.
        line: LineId,
        /// Its status at the instant of the check; `None` before the line existed.
        status: Option<LineStatus>,
        /// Since when.
        since: Option<Instant>,
    },
    /// The entitlement that applies, and its kind.
    Entitlement {
        /// The entitlement.
        entitlement: EntitlementId,
        /// Its code.
        code: String,
        /// What it grants, in words (`2 uses per rolling 365 days`).
        grants: String,
    },
    /// The entitlement is not valid yet.
    NotYetValid {
        /// The entitlement.
        entitlement: EntitlementId,
        /// From when it is valid.
        valid_from: Instant,
    },
    /// The entitlement has expired.
    Expired {
        /// The entitlement.
        entitlement: EntitlementId,
        /// When it expired.
        valid_to: Instant,
    },
    /// The uses counted in the window.
    UsageCounted {
        /// The entitlement.
        entitlement: EntitlementId,
        /// The window.
        window: WindowSpan,
        /// What was used (uses, units or amount).
        used: Decimal,
        /// How many uses.
        uses: u64,
        /// The oldest counted usage records, at most [`CITED_RECORDS`].
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        records: Vec<UsageId>,
    },
    /// A quota or allowance does not cover the request.
    LimitReached {
        /// The entitlement.
        entitlement: EntitlementId,
        /// The channel, when a per-channel allotment is the limit reached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<Channel>,
        /// What was used in the window.
        used: Decimal,
        /// The limit per window.
        limit: Decimal,
        /// What was asked for.
        requested: Decimal,
        /// The oldest counted use in the window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Instant>,
        /// When enough frees up for the request; `None` when never within this entitlement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_available: Option<Instant>,
    },
    /// An approved exception widens the entitlement and was used.
    ExceptionApplied {
        /// The exception.
        grant: ExceptionGrant,
    },
    /// The customer is overdue beyond the entitlement's limit.
    Overdue {
        /// Days overdue.
        days_overdue: u32,
        /// The limit.
        max_days_overdue: u32,
    },
    /// The customer's tier is below the entitlement's minimum.
    TierBelow {
        /// The customer's tier; `None` when the customer has none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<String>,
        /// The minimum.
        min_tier: String,
    },
    /// A tier is not in the standing's `tier_order`, so tiers cannot be compared.
    TierUnknown {
        /// The tier.
        tier: String,
    },
    /// A condition needs the customer's standing and the request carries none.
    StandingUnknown {
        /// The condition (`max_days_overdue`, `min_tier`).
        condition: String,
    },
    /// The conditions of the entitlement hold.
    ConditionsMet {
        /// The overdue limit checked, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_days_overdue: Option<u32>,
        /// The minimum tier checked, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_tier: Option<String>,
    },
}

/// One reason of a decision: structured data and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// What it is and what it cites.
    #[serde(flatten)]
    pub kind: ReasonKind,
    /// The same in words, e.g. `quota exhausted: 2 of 2 since 2026-02-01, next available
    /// 2027-01-15`.
    pub message: String,
}

/// The answer to an entitlement request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementDecision {
    /// Granted, granted by exception, or denied.
    pub outcome: DecisionOutcome,
    /// The code asked for.
    pub code: String,
    /// The instant of the check.
    pub at: Instant,
    /// The quantity asked for (uses, units or amount).
    pub quantity: Decimal,
    /// The entitlement that granted; when denied, the one that frees up first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<MatchedEntitlement>,
    /// What remains of the matched quota or allowance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Remaining>,
    /// When denied for lack of quota: the earliest instant the request would fit again.
    /// When granted: when the window next frees a unit (rolling: the oldest counted use leaves
    /// it; calendar: the next period starts), if anything is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_available: Option<Instant>,
    /// The exceptions that widened the entitlement for this request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionGrant>,
    /// Why; a denial has at least one.
    pub reasons: Vec<Reason>,
}

impl EntitlementDecision {
    /// Whether the request is granted (within the entitlement or by exception).
    pub fn is_granted(&self) -> bool {
        self.outcome != DecisionOutcome::Denied
    }

    /// The messages of the reasons, in order.
    pub fn messages(&self) -> Vec<String> {
        self.reasons.iter().map(|r| r.message.clone()).collect()
    }
}

/// The response and resolution targets that apply to a request, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevelTargets {
    /// The service-level entitlement they come from.
    pub source: MatchedEntitlement,
    /// The business calendar they are measured on.
    pub calendar: CalendarId,
    /// The priority the targets are for.
    pub priority: String,
    /// First response within this much business time.
    pub response: BusinessDuration,
    /// Resolution within this much business time.
    pub resolution: BusinessDuration,
    /// The customer's tier, when its service policy took part (the targets above are then
    /// the shortest of the entitlement's and the tier's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The targets the tier made shorter than the entitlement's (`response`, `resolution`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shortened_by_tier: Vec<String>,
    /// How the tier's policy set the targets, readable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier_reasons: Vec<String>,
}

/// One entitlement as it stands at an instant (see `Crm::entitlements_of`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementStatus {
    /// The code.
    pub code: String,
    /// The entitlement, its agreement and line.
    pub source: MatchedEntitlement,
    /// What it grants.
    pub kind: EntitlementKind,
    /// First instant it applies.
    pub valid_from: Instant,
    /// First instant it no longer applies, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Instant>,
    /// Whether one more use of the smallest quantity would be granted within the entitlement
    /// (line in service, valid, conditions met, something remaining).
    pub usable: bool,
    /// What remains of a quota or allowance in the current window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Remaining>,
    /// When the window next frees a unit, if anything is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_available: Option<Instant>,
    /// Why, as in a decision.
    pub reasons: Vec<Reason>,
}

/// What the check needs to know of the line that grants an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineFacts {
    /// The agreement.
    pub agreement: AgreementId,
    /// The line.
    pub line: LineId,
    /// Service or physical product.
    pub kind: LineKind,
    /// Its status at the instant of the check; `None` before it existed.
    pub status: Option<LineStatus>,
    /// Since when that status holds.
    pub since: Option<Instant>,
    /// The agreement's term (first day, last day), for term windows.
    pub term: (NaiveDate, Option<NaiveDate>),
}

impl LineFacts {
    /// Whether the line is in service: an active (or pending-termination) service, an
    /// installed physical product.
    pub fn in_service(&self) -> bool {
        in_service(self.kind, self.status)
    }
}

/// The decision for one entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Granted, by exception, or denied.
    pub outcome: DecisionOutcome,
    /// The entitlement.
    pub matched: MatchedEntitlement,
    /// What remains.
    pub remaining: Option<Remaining>,
    /// See [`EntitlementDecision::next_available`].
    pub next_available: Option<Instant>,
    /// The exceptions used.
    pub exceptions: Vec<ExceptionGrant>,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// `at` as `2026-06-01 12:00 UTC` (chrono's `%Y-%m-%d %H:%M UTC`), written digit by digit
/// for years 0 to 9999: reasons cite instants on every check, and chrono's formatter (which
/// interprets the format string each time) was a seventh of a check's cost.
pub(crate) fn day(at: Instant) -> String {
    use chrono::{Datelike, Timelike};
    let year = at.year();
    let Ok(y) = u32::try_from(year) else {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    };
    if y > 9999 {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    }
    fn digits(s: &mut String, v: u32, width: u32) {
        for p in (0..width).rev() {
            let d = (v / 10u32.pow(p)) % 10;
            s.push(char::from(b'0' + u8::try_from(d).unwrap_or(0)));
        }
    }
    let mut s = String::with_capacity(20);
    digits(&mut s, y, 4);
    s.push('-');
    digits(&mut s, at.month(), 2);
    s.push('-');
    digits(&mut s, at.day(), 2);
    s.push(' ');
    digits(&mut s, at.hour(), 2);
    s.push(':');
    digits(&mut s, at.minute(), 2);
    s.push_str(" UTC");
    s
}

fn reason(kind: ReasonKind, message: String) -> Reason {
    Reason { kind, message }
}

fn window_words(w: &super::Window) -> String {
    match w {
        super::Window::RollingDays { days } => format!("per rolling {days} days"),
        super::Window::CalendarMonth { zone } => format!("per calendar month ({zone})"),
        super::Window::CalendarYear { zone } => format!("per calendar year ({zone})"),
        super::Window::AgreementTerm => "per agreement term".to_string(),
    }
}

fn grants_words(kind: &EntitlementKind) -> String {
    match kind {
        EntitlementKind::Access => "access while the line is in service".to_string(),
        EntitlementKind::Quota { uses, window, .. } => {
            format!("{uses} uses {}", window_words(window))
        }
        EntitlementKind::ServiceLevel { calendar, .. } => {
            format!("service-level targets on calendar {calendar}")
        }
        EntitlementKind::MoneyAllowance { amount, window } => {
            format!("{amount} {}", window_words(window))
        }
        EntitlementKind::UnitAllowance {
            units,
            unit,
            window,
        } => format!("{units} {unit} {}", window_words(window)),
    }
}

/// What a limited kind counts: the limit, the window, the unit name, per-channel caps.
struct Limit<'a> {
    limit: Decimal,
    window: super::Window,
    unit: UnitName<'a>,
    money: Option<Money>,
    per_channel: &'a [super::ChannelAllotment],
}

/// What a quota or an allowance counts in: `uses`, a unit (`GB`) or a currency.
#[derive(Debug, Clone, Copy)]
enum UnitName<'a> {
    Uses,
    Unit(&'a str),
    Currency(crate::money::Currency),
}

impl UnitName<'_> {
    fn as_str(&self) -> &str {
        match self {
            UnitName::Uses => "uses",
            UnitName::Unit(u) => u,
            UnitName::Currency(c) => c.code(),
        }
    }
}

fn limit_of(kind: &EntitlementKind) -> Option<Limit<'_>> {
    match kind {
        EntitlementKind::Quota {
            uses,
            window,
            per_channel,
        } => Some(Limit {
            limit: Decimal::from(*uses),
            window: *window,
            unit: UnitName::Uses,
            money: None,
            per_channel,
        }),
        EntitlementKind::MoneyAllowance { amount, window } => Some(Limit {
            limit: amount.amount(),
            window: *window,
            unit: UnitName::Currency(amount.currency()),
            money: Some(*amount),
            per_channel: &[],
        }),
        EntitlementKind::UnitAllowance {
            units,
            unit,
            window,
        } => Some(Limit {
            limit: *units,
            window: *window,
            unit: UnitName::Unit(unit),
            money: None,
            per_channel: &[],
        }),
        EntitlementKind::Access | EntitlementKind::ServiceLevel { .. } => None,
    }
}

/// When `need` more is free in a window: rolling, when the use that brings the counted uses
/// down by `need` leaves it; calendar, when the next period starts; a term window never frees
/// up. `None` when never.
fn frees_at(
    window: &super::Window,
    ledger: Option<&UsageLedger>,
    channel: Option<Channel>,
    span: &WindowSpan,
    need: Decimal,
) -> Option<Instant> {
    if need <= Decimal::ZERO || matches!(window, super::Window::AgreementTerm) {
        return None;
    }
    match span.rolling_days {
        Some(days) => {
            let use_at = ledger?.reaching(channel, span.from, span.to, need)?;
            use_at.checked_add_signed(chrono::Duration::days(i64::from(days)))
        }
        None => span.period_end,
    }
}

/// Where [`assess`] puts the reasons of a decision: kept with their messages (a full check,
/// [`Explained`]) or not built at all (a verdict, [`VerdictOnly`]). The decision is taken by
/// the same code either way; only the reasons, and the figures that serve nothing but the
/// reasons and the decision's details, are skipped for a verdict.
pub(crate) trait Explain {
    /// Whether the details are worked out: the oldest counted use, the cited records, when
    /// the window frees up (`next_available`).
    const DETAILS: bool;
    /// Adds one reason; `build` runs only when reasons are kept.
    fn push(&mut self, build: impl FnOnce() -> Reason);
}

/// Keeps every reason, in order.
#[derive(Debug, Default)]
pub(crate) struct Explained(pub(crate) Vec<Reason>);

impl Explain for Explained {
    const DETAILS: bool = true;
    fn push(&mut self, build: impl FnOnce() -> Reason) {
        self.0.push(build());
    }
}

/// Keeps no reason: the outcome only.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct VerdictOnly;

impl Explain for VerdictOnly {
    const DETAILS: bool = false;
    fn push(&mut self, _build: impl FnOnce() -> Reason) {}
}

fn check_conditions<X: Explain>(
    e: &Entitlement,
    standing: Option<&CustomerStanding>,
    x: &mut X,
) -> bool {
    let c = &e.conditions;
    let mut ok = true;
    if let Some(max) = c.max_days_overdue {
        match standing {
            None => {
                ok = false;
                x.push(|| {
                    reason(
                        ReasonKind::StandingUnknown {
                            condition: "max_days_overdue".into(),
                        },
                        message!(
                            "{}: the customer's standing is unknown; the overdue limit of {max} days cannot be checked",
                            e.id
                        ),
                    )
                });
            }
            Some(s) if s.days_overdue > max => {
                ok = false;
                x.push(|| {
                    reason(
                        ReasonKind::Overdue {
                            days_overdue: s.days_overdue,
                            max_days_overdue: max,
                        },
                        message!("{}: overdue {} days, limit {max}", e.id, s.days_overdue),
                    )
                });
            }
            Some(_) => {}
        }
    }
    if let Some(min) = &c.min_tier {
        match standing {
            None => {
                ok = false;
                x.push(|| {
                    reason(
                        ReasonKind::StandingUnknown {
                            condition: "min_tier".into(),
                        },
                        message!(
                            "{}: the customer's standing is unknown; the minimum tier {min} cannot be checked",
                            e.id
                        ),
                    )
                });
            }
            Some(s) => {
                let rank = |t: &str| s.tier_order.iter().position(|x| x == t);
                match (&s.tier, rank(min)) {
                    (_, None) => {
                        ok = false;
                        x.push(|| {
                            reason(
                                ReasonKind::TierUnknown { tier: min.clone() },
                                message!("{}: tier {min} is not in the tier order", e.id),
                            )
                        });
                    }
                    (None, Some(_)) => {
                        ok = false;
                        x.push(|| {
                            reason(
                                ReasonKind::TierBelow {
                                    tier: None,
                                    min_tier: min.clone(),
                                },
                                message!("{}: the customer has no tier, {min} needed", e.id),
                            )
                        });
                    }
                    (Some(t), Some(m)) => match rank(t) {
                        None => {
                            ok = false;
                            x.push(|| {
                                reason(
                                    ReasonKind::TierUnknown { tier: t.clone() },
                                    message!("{}: tier {t} is not in the tier order", e.id),
                                )
                            });
                        }
                        Some(r) if r < m => {
                            ok = false;
                            x.push(|| {
                                reason(
                                    ReasonKind::TierBelow {
                                        tier: Some(t.clone()),
                                        min_tier: min.clone(),
                                    },
                                    message!("{}: tier {t} below {min}", e.id),
                                )
                            });
                        }
                        Some(_) => {}
                    },
                }
            }
        }
    }
    if ok && (c.max_days_overdue.is_some() || c.min_tier.is_some()) {
        x.push(|| {
            reason(
                ReasonKind::ConditionsMet {
                    max_days_overdue: c.max_days_overdue,
                    min_tier: c.min_tier.clone(),
                },
                message!("{}: the customer's standing meets the conditions", e.id),
            )
        });
    }
    ok
}

/// Everything [`evaluate`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The entitlement.
    pub entitlement: &'a Entitlement,
    /// Its line.
    pub line: &'a LineFacts,
    /// Its uses, if any.
    pub ledger: Option<&'a UsageLedger>,
    /// The approved `Allow` exceptions covering it at the instant, in id order.
    pub exceptions: &'a [ExceptionGrant],
    /// The quantity asked (see [`EntitlementRequest::quantity_for`]).
    pub quantity: Decimal,
    /// The channel asked on.
    pub channel: Channel,
    /// The customer's standing, if supplied.
    pub standing: Option<&'a CustomerStanding>,
}

/// [`Facts`] with the line's ids borrowed, so that the engine can check without cloning
/// anything out of its state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    /// The entitlement.
    pub(crate) entitlement: &'a Entitlement,
    /// The agreement granting it.
    pub(crate) agreement: &'a AgreementId,
    /// The line granting it.
    pub(crate) line: &'a LineId,
    /// Service or physical product.
    pub(crate) kind: LineKind,
    /// The line's status at the instant; `None` before it existed.
    pub(crate) status: Option<LineStatus>,
    /// Since when.
    pub(crate) since: Option<Instant>,
    /// The agreement's term.
    pub(crate) term: (NaiveDate, Option<NaiveDate>),
    /// Its uses, if any.
    pub(crate) ledger: Option<&'a UsageLedger>,
    /// The approved `Allow` exceptions covering it.
    pub(crate) exceptions: &'a [ExceptionGrant],
    /// The quantity asked.
    pub(crate) quantity: Decimal,
    /// The channel asked on.
    pub(crate) channel: Channel,
    /// The customer's standing, if known.
    pub(crate) standing: Option<&'a CustomerStanding>,
}

impl<'a> From<&Facts<'a>> for Input<'a> {
    fn from(f: &Facts<'a>) -> Self {
        Input {
            entitlement: f.entitlement,
            agreement: &f.line.agreement,
            line: &f.line.line,
            kind: f.line.kind,
            status: f.line.status,
            since: f.line.since,
            term: f.line.term,
            ledger: f.ledger,
            exceptions: f.exceptions,
            quantity: f.quantity,
            channel: f.channel,
            standing: f.standing,
        }
    }
}

/// The decision for one entitlement before anything is cloned out of the facts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assessed<'a> {
    /// Granted, by exception, or denied.
    pub(crate) outcome: DecisionOutcome,
    /// For a quota or an allowance: what it counts, what was used before the request, what
    /// remains (worked out only with the details: zero for a verdict), and the window.
    counted: Option<(
        Decimal,
        UnitName<'a>,
        Option<Money>,
        Decimal,
        Decimal,
        WindowSpan,
    )>,
    /// See [`EntitlementDecision::next_available`]; only worked out with the details.
    pub(crate) next_available: Option<Instant>,
    /// Whether the facts' exceptions widened the entitlement for this request.
    exceptions_used: bool,
}

/// Decides one request against one entitlement at `at`. Reads no usage record beyond the
/// index's O(log n) searches and the first [`CITED_RECORDS`] counted records.
pub fn evaluate(f: &Facts<'_>, at: Instant) -> Result<Evaluation> {
    evaluate_input(&Input::from(f), at)
}

/// [`evaluate`] over borrowed facts: the decision with its reasons and details.
pub(crate) fn evaluate_input(f: &Input<'_>, at: Instant) -> Result<Evaluation> {
    let mut reasons = Explained::default();
    let a = assess(f, at, &mut reasons)?;
    let remaining = match a.counted {
        Some((limit, unit, money, used, left, window)) => Some(Remaining {
            limit,
            used,
            remaining: left,
            unit: unit.as_str().to_string(),
            remaining_amount: match money {
                Some(m) => Some(Money::new(left, m.currency())?),
                None => None,
            },
            window,
        }),
        None => None,
    };
    Ok(Evaluation {
        outcome: a.outcome,
        matched: MatchedEntitlement {
            entitlement: f.entitlement.id.clone(),
            agreement: f.agreement.clone(),
            line: f.line.clone(),
        },
        remaining,
        next_available: a.next_available,
        exceptions: if a.exceptions_used {
            f.exceptions.to_vec()
        } else {
            vec![]
        },
        reasons: reasons.0,
    })
}

/// The one place an entitlement decision is taken, for a full check ([`Explained`]: reasons,
/// details) and for a verdict ([`VerdictOnly`]: the outcome, nothing built or cloned). What
/// only the reasons and details need (the cited records, the oldest counted use, when the
/// window frees up) is worked out only when `X::DETAILS`; none of it changes the outcome.
pub(crate) fn assess<'a, X: Explain>(
    f: &Input<'a>,
    at: Instant,
    x: &mut X,
) -> Result<Assessed<'a>> {
    let e = f.entitlement;
    let mut blocked = false;
    match (in_service(f.kind, f.status), f.status, f.since) {
        (true, Some(status), Some(since)) => x.push(|| {
            reason(
                ReasonKind::LineInService {
                    agreement: f.agreement.clone(),
                    line: f.line.clone(),
                    status,
                    since,
                },
                message!(
                    "agreement {} line {} {status} since {}",
                    f.agreement,
                    f.line,
                    day(since)
                ),
            )
        }),
        (_, status, since) => {
            blocked = true;
            x.push(|| {
                let message = match (status, since) {
                    (Some(s), Some(d)) => message!(
                        "{}: agreement {} line {} {s} since {}",
                        e.id,
                        f.agreement,
                        f.line,
                        day(d)
                    ),
                    _ => message!(
                        "{}: agreement {} line {} did not exist yet",
                        e.id,
                        f.agreement,
                        f.line
                    ),
                };
                reason(
                    ReasonKind::LineNotInService {
                        agreement: f.agreement.clone(),
                        line: f.line.clone(),
                        status,
                        since,
                    },
                    message,
                )
            });
        }
    }
    x.push(|| {
        let grants = grants_words(&e.kind);
        let message = message!("entitlement {}: {grants}", e.id);
        reason(
            ReasonKind::Entitlement {
                entitlement: e.id.clone(),
                code: e.code.clone(),
                grants,
            },
            message,
        )
    });
    if at < e.valid_from {
        blocked = true;
        x.push(|| {
            reason(
                ReasonKind::NotYetValid {
                    entitlement: e.id.clone(),
                    valid_from: e.valid_from,
                },
                message!("{}: not yet valid until {}", e.id, day(e.valid_from)),
            )
        });
    }
    if let Some(to) = e.valid_to
        && to <= at
    {
        blocked = true;
        x.push(|| {
            reason(
                ReasonKind::Expired {
                    entitlement: e.id.clone(),
                    valid_to: to,
                },
                message!("{}: expired on {}", e.id, day(to)),
            )
        });
    }
    if !check_conditions(e, f.standing, x) {
        blocked = true;
    }

    let Some(lim) = limit_of(&e.kind) else {
        return Ok(Assessed {
            outcome: if blocked {
                DecisionOutcome::Denied
            } else {
                DecisionOutcome::Granted
            },
            counted: None,
            next_available: None,
            exceptions_used: false,
        });
    };

    let q = f.quantity;
    let span = span_of(&lim.window, at, f.term)?;
    let (used, uses) = f
        .ledger
        .map_or((Decimal::ZERO, 0), |g| g.used(None, span.from, span.to));
    // the oldest counted use: the first entry whose running sum is above zero (O(log n),
    // whatever reversed entries lie before it)
    let oldest = if X::DETAILS {
        f.ledger
            .and_then(|g| g.reaching(None, span.from, span.to, SMALLEST))
    } else {
        None
    };
    x.push(|| {
        let cited: Vec<UsageId> = f
            .ledger
            .map(|g| {
                g.counted(span.from, span.to, CITED_RECORDS)
                    .first
                    .into_iter()
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let message = message!(
            "{}: {used} of {} {} taken in the window ({}; {} records{})",
            e.id,
            lim.limit,
            lim.unit.as_str(),
            window_words(&lim.window),
            uses,
            if cited.is_empty() {
                String::new()
            } else {
                format!(": {}", join_ids(&cited, uses))
            }
        );
        reason(
            ReasonKind::UsageCounted {
                entitlement: e.id.clone(),
                window: span,
                used,
                uses,
                records: cited,
            },
            message,
        )
    });

    // How far beyond the entitlement the request goes, overall and on its channel.
    // (only the details need the sum itself; the verdict only how far it goes beyond)
    let total_after = if X::DETAILS {
        used.saturating_add(q)
    } else {
        Decimal::ZERO
    };
    let over_total = excess(used, q, lim.limit);
    let mut over = over_total;
    let mut next = None;
    let mut never = X::DETAILS && q > lim.limit;
    // (what frees up when) of the overall limit, and (used, limit, since, when) of the
    // channel's, when reached: their reasons follow the counting
    let mut total_reached = None;
    let mut channel_reached = None;
    if !over_total.is_zero() {
        let n = if never || !X::DETAILS {
            None
        } else {
            frees_at(&lim.window, f.ledger, None, &span, over_total)
        };
        next = n;
        total_reached = Some(n);
    }
    if let Some(cap) = lim.per_channel.iter().find(|a| a.channel == f.channel) {
        let climit = Decimal::from(cap.max_uses);
        let (cused, _) = f.ledger.map_or((Decimal::ZERO, 0), |g| {
            g.used(Some(f.channel), span.from, span.to)
        });
        let cover = excess(cused, q, climit);
        if !cover.is_zero() {
            never = never || (X::DETAILS && q > climit);
            let n = if q > climit || !X::DETAILS {
                None
            } else {
                frees_at(&lim.window, f.ledger, Some(f.channel), &span, cover)
            };
            next = match (next, n) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let since = if X::DETAILS {
                f.ledger
                    .and_then(|g| g.reaching(Some(f.channel), span.from, span.to, SMALLEST))
            } else {
                None
            };
            channel_reached = Some((cused, climit, since, n));
            over = over.max(cover);
        }
    }
    if never || blocked {
        // more than the limit never fits; a line out of service or a failed condition is not
        // cured by waiting for the window
        next = None;
    }

    // Exceptions widen the limit (overall and per channel) by their extra.
    let mut exceptions_used = false;
    let mut outcome = DecisionOutcome::Granted;
    if !over.is_zero() {
        outcome = DecisionOutcome::Denied;
        if !f.exceptions.is_empty() {
            let unlimited = f.exceptions.iter().any(|x| x.extra.is_none());
            let extra: Decimal = f
                .exceptions
                .iter()
                .filter_map(|x| x.extra)
                .fold(Decimal::ZERO, |a, b| a.saturating_add(b));
            if unlimited || over <= extra {
                outcome = DecisionOutcome::GrantedByException;
                exceptions_used = true;
            }
        }
    }
    if blocked {
        outcome = DecisionOutcome::Denied;
        exceptions_used = false;
    }
    if let Some(n) = total_reached {
        x.push(|| limit_reason(e, None, used, lim.limit, q, oldest, n, lim.unit.as_str()));
    }
    if let Some((cused, climit, since, n)) = channel_reached {
        x.push(|| {
            limit_reason(
                e,
                Some(f.channel),
                cused,
                climit,
                q,
                since,
                n,
                lim.unit.as_str(),
            )
        });
    }
    if exceptions_used {
        for g in f.exceptions {
            x.push(|| {
                reason(
                    ReasonKind::ExceptionApplied { grant: g.clone() },
                    message!(
                        "exception {} approved by {}{} allows {}: {}",
                        g.exception,
                        g.approved_by,
                        g.until
                            .map(|u| format!(" until {}", day(u)))
                            .unwrap_or_default(),
                        g.extra
                            .map(|n| format!("{n} more {}", lim.unit.as_str()))
                            .unwrap_or_else(|| "more without limit".into()),
                        g.reason
                    ),
                )
            });
        }
    }
    let granted = outcome != DecisionOutcome::Denied;
    let after = if granted { total_after } else { used };
    let left = if X::DETAILS {
        lim.limit.saturating_sub(after).max(Decimal::ZERO)
    } else {
        Decimal::ZERO
    };
    if granted && X::DETAILS {
        // when the window next frees a unit
        next = match span.rolling_days {
            _ if !X::DETAILS => None,
            Some(d) if after > Decimal::ZERO => oldest
                .unwrap_or(at)
                .checked_add_signed(chrono::Duration::days(i64::from(d))),
            Some(_) => None,
            None if after > Decimal::ZERO && lim.window != super::Window::AgreementTerm => {
                span.period_end
            }
            None => None,
        };
    }
    Ok(Assessed {
        outcome,
        counted: Some((lim.limit, lim.unit, lim.money, used, left, span)),
        next_available: next,
        exceptions_used,
    })
}

/// `a + b - c` when above zero, else zero: exactly
/// `a.saturating_add(b).saturating_sub(c).max(Decimal::ZERO)` in value, in integers when all
/// three are whole numbers of at most 18 digits (counted uses and quantities of uses).
#[inline]
fn excess(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    /// The value of a whole `d` of at most 18 digits.
    fn whole(d: Decimal) -> Option<i64> {
        if d.scale() != 0 {
            return None;
        }
        i64::try_from(d.mantissa())
            .ok()
            .filter(|v| v.unsigned_abs() < 1_000_000_000_000_000_000)
    }
    match (whole(a), whole(b), whole(c)) {
        (Some(x), Some(y), Some(z)) => {
            // |x|, |y|, |z| < 1e18: no overflow in i64 (at most 3e18 < 9.2e18)
            let over = x + y - z;
            if over > 0 {
                Decimal::from(over)
            } else {
                Decimal::ZERO
            }
        }
        _ => a.saturating_add(b).saturating_sub(c).max(Decimal::ZERO),
    }
}

/// Whether two ids or codes are the same text, compared in place a word at a time (ids and
/// codes are short: a call of `memcmp` per comparison was a tenth of a verdict). The same
/// answer as `a == b`.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // bytes 0, n / 2 and n - 1 cover every byte of 1 to 3
        1..=3 => a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.last() == b.last(),
        // the first and the last 4 or 8 bytes (which may overlap) cover every byte
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        17..=24 => {
            a.first_chunk::<16>() == b.first_chunk::<16>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        _ => a == b,
    }
}

/// Whether each of the eight bytes of `w` may be in a code (`a`-`z`, `0`-`9`, `_`), tested
/// all at once: with every byte below 0x80, adding `0x7f - k` to a byte sets its high bit
/// exactly when it is above `k`, and never carries into the next byte.
fn code_word_is_valid(w: u64) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn splat(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    if w & HIGH != 0 {
        return false;
    }
    let above = |k: u8| w.wrapping_add(splat(0x7f - k)) & HIGH;
    let lower = above(b'a' - 1) & !above(b'z');
    let digit = above(b'0' - 1) & !above(b'9');
    let underscore = above(b'_' - 1) & !above(b'_');
    (lower | digit | underscore) == HIGH
}

/// Whether `code` passes `validate_code` (1 to `MAX_CODE_LEN` lower-case letters, digits or
/// underscores, starting with a letter), eight bytes at a time; the error, when not, comes
/// from `validate_code` itself.
fn code_is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() > super::MAX_CODE_LEN || !b.first().is_some_and(u8::is_ascii_lowercase) {
        return false;
    }
    let word =
        |w: &[u8]| <[u8; 8]>::try_from(w).is_ok_and(|w| code_word_is_valid(u64::from_le_bytes(w)));
    match b.len().checked_sub(8) {
        None => b
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
        // every whole word, then the last eight bytes (which may overlap the last word)
        Some(last) => b.chunks_exact(8).all(word) && b.get(last..).is_some_and(word),
    }
}

/// `date` less `days` days, as `NaiveDate::checked_sub_days` counts them, stepping back a
/// year at a time for up to four years (chrono's general way works through 400-year cycles,
/// and a window of a year always crosses into the year before). `None` out of chrono's range.
fn days_before(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    use chrono::Datelike;
    if days > 1461 {
        return date.checked_sub_days(chrono::Days::new(u64::from(days)));
    }
    let leap = |y: i32| y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0);
    let (mut year, mut ordinal, mut left) = (date.year(), date.ordinal(), days);
    // step back to the last day of the year before until `left` falls within the year
    while left >= ordinal {
        left -= ordinal;
        year = year.checked_sub(1)?;
        ordinal = if leap(year) { 366 } else { 365 };
    }
    NaiveDate::from_yo_opt(year, ordinal - left)
}

/// `window.span(at, term)`; a rolling window (the usual one) is placed without chrono's
/// general arithmetic: the same time of day `days` days earlier, and both ends a nanosecond
/// on. Near a leap second or the ends of the calendar, `Window::span` places it.
fn span_of(
    window: &super::Window,
    at: Instant,
    term: (NaiveDate, Option<NaiveDate>),
) -> Result<WindowSpan> {
    if let super::Window::RollingDays { days } = *window
        && let Some(span) = rolling_span(at, days)
    {
        return Ok(span);
    }
    window.span(at, term)
}

/// The rolling window of `days` days ending at `at` as [`Window::span`](super::Window::span)
/// places it, or `None` where that takes more than moving the date (`at` in the last
/// nanosecond of a second or in a leap second, dates out of range).
fn rolling_span(at: Instant, days: u32) -> Option<WindowSpan> {
    use chrono::Timelike;
    let n = at.naive_utc();
    let time = n.time();
    let nanos = time.nanosecond();
    if nanos >= 999_999_999 {
        return None;
    }
    let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
        time.num_seconds_from_midnight(),
        nanos + 1,
    )?;
    let from = days_before(n.date(), days)?;
    Some(WindowSpan {
        from: from.and_time(time).and_utc(),
        to: n.date().and_time(time).and_utc(),
        period_end: None,
        rolling_days: Some(days),
    })
}

/// Whether a line of `kind` with `status` is in service (see [`LineFacts::in_service`]).
fn in_service(kind: LineKind, status: Option<LineStatus>) -> bool {
    matches!(
        (kind, status),
        (
            LineKind::Service,
            Some(LineStatus::Active | LineStatus::PendingTermination)
        ) | (LineKind::PhysicalProduct, Some(LineStatus::Installed))
    )
}

fn join_ids(ids: &[UsageId], total: u64) -> String {
    let mut s = ids
        .iter()
        .map(UsageId::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let shown = ids.len() as u64;
    if total > shown {
        s.push_str(&format!(" and {} more", total - shown));
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn limit_reason(
    e: &Entitlement,
    channel: Option<Channel>,
    used: Decimal,
    limit: Decimal,
    requested: Decimal,
    since: Option<Instant>,
    next_available: Option<Instant>,
    unit: &str,
) -> Reason {
    let what = match (&e.kind, channel) {
        (_, Some(c)) => format!("{c} allotment exhausted"),
        (EntitlementKind::Quota { .. }, None) => "quota exhausted".to_string(),
        _ => "allowance insufficient".to_string(),
    };
    let since_txt = since
        .map(|s| format!(" since {}", day(s)))
        .unwrap_or_default();
    let next_txt = match next_available {
        Some(n) => format!(", next available {}", day(n)),
        None if requested > limit => format!(", more than the {limit} allowed per window"),
        None => ", nothing frees up within this window".to_string(),
    };
    let asked = if requested == Decimal::ONE && unit == "uses" {
        String::new()
    } else {
        format!(" ({requested} {unit} requested)")
    };
    reason(
        ReasonKind::LimitReached {
            entitlement: e.id.clone(),
            channel,
            used,
            limit,
            requested,
            since,
            next_available,
        },
        message!(
            "{}: {what}: {used} of {limit} {unit}{since_txt}{asked}{next_txt}",
            e.id
        ),
    )
}

#[cfg(test)]
mod day_tests {
    use super::day;
    use crate::Instant;
    use chrono::{DateTime, Utc};

    #[test]
    fn day_writes_what_chrono_writes() {
        let mut at: Instant = DateTime::<Utc>::MIN_UTC;
        let mut cases: Vec<Instant> = vec![at, DateTime::<Utc>::MAX_UTC];
        for s in [
            "0000-01-01T00:00:00Z",
            "0009-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2026-06-01T12:05:09Z",
            "9999-12-31T23:59:59Z",
            "+10000-01-01T00:00:00Z",
            "-0001-12-31T23:00:00Z",
        ] {
            cases.push(s.parse().unwrap_or(at));
        }
        for _ in 0..2000 {
            at = DateTime::<Utc>::from_timestamp(
                at.timestamp().wrapping_mul(31).wrapping_add(1_234_567_891) % 400_000_000_000,
                0,
            )
            .unwrap_or(at);
            cases.push(at);
        }
        for at in cases {
            assert_eq!(
                day(at),
                at.format("%Y-%m-%d %H:%M UTC").to_string(),
                "{at:?}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantity_cap_is_a_trillion() {
        assert_eq!(MAX_QUANTITY, Decimal::from(1_000_000_000_000i64));
        assert_eq!(SMALLEST, "0.000000001".parse::<Decimal>().unwrap());
        // a running sum of many uses plus the smallest quantity is still exact
        let big = MAX_QUANTITY * Decimal::from(1_000_000);
        assert!(big + SMALLEST > big);
    }

    #[test]
    fn the_rolling_span_is_the_windows_span() {
        use chrono::{DateTime, Utc};
        let term = (NaiveDate::MIN, None);
        let mut cases: Vec<Instant> = vec![DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC];
        for s in [
            "2026-03-01T10:00:00Z",
            "2024-02-29T23:59:59.999999998Z",
            "2024-02-29T23:59:59.999999999Z",
            "2025-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "-0001-12-31T23:59:59.5Z",
        ] {
            cases.push(s.parse().unwrap());
        }
        // a leap second
        cases.push(
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap()
                .and_utc(),
        );
        let mut x: i64 = 1;
        for _ in 0..3000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let secs = (x >> 8) % 200_000_000_000;
            let nanos = u32::try_from((x & 0xff) as u64 * 3_921_568).unwrap_or(0);
            cases.extend(DateTime::<Utc>::from_timestamp(secs, nanos));
        }
        for at in cases {
            for days in [
                1, 2, 28, 30, 31, 59, 60, 364, 365, 366, 730, 1095, 1460, 1461, 1462, 36_600,
            ] {
                let w = super::super::Window::RollingDays { days };
                let slow = w.span(at, term).map_err(|e| e.to_string());
                if let Some(fast) = rolling_span(at, days) {
                    assert_eq!(Ok(fast), slow, "{at:?} {days}");
                }
                assert_eq!(span_of(&w, at, term).map_err(|e| e.to_string()), slow);
            }
        }
    }

    #[test]
    fn days_before_counts_as_chrono() {
        let mut d = NaiveDate::from_ymd_opt(-2, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2404, 12, 31).unwrap();
        let edges = [
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::MIN.succ_opt().unwrap(),
        ];
        let mut dates: Vec<NaiveDate> = edges.to_vec();
        while d <= end {
            dates.push(d);
            d = d.succ_opt().unwrap() + chrono::Days::new(6);
        }
        for d in dates {
            for days in [
                0, 1, 31, 59, 60, 364, 365, 366, 367, 730, 1095, 1460, 1461, 1462,
            ] {
                assert_eq!(
                    days_before(d, days),
                    d.checked_sub_days(chrono::Days::new(u64::from(days))),
                    "{d} {days}"
                );
            }
        }
    }

    #[test]
    fn codes_are_checked_as_validate_code_checks_them() {
        let mut codes: Vec<String> = vec![
            String::new(),
            "a".into(),
            "device_replacement".into(),
            "Device".into(),
            "_a".into(),
            "9a".into(),
            "a-b".into(),
            "aé".into(),
            "a".repeat(64),
            "a".repeat(65),
        ];
        for b in 0u8..=255 {
            codes.push(format!("a{}", char::from(b)));
            codes.push(format!("{}b", char::from(b)));
        }
        let mut bytes: Vec<Vec<u8>> = codes.iter().map(|c| c.clone().into_bytes()).collect();
        // every byte at every place of codes of 1 to 20 bytes
        for len in 1..=20 {
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut code = vec![b'k'; len];
                    code[at] = b;
                    bytes.push(code);
                }
            }
        }
        for code in bytes {
            let Ok(c) = std::str::from_utf8(&code) else {
                continue;
            };
            assert_eq!(
                code_is_valid(c),
                super::super::validate_code("entitlement code", c).is_ok(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn same_text_is_equality() {
        let base: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ".into();
        for n in 0..=base.len() {
            let a = &base[..n];
            assert!(same_text(a, a));
            // one byte different at every place
            for i in 0..n {
                let mut b = a.as_bytes().to_vec();
                b[i] = b'_';
                let b = String::from_utf8(b).unwrap();
                assert_eq!(same_text(a, &b), a == b, "{a} {b}");
            }
            // one byte shorter or longer
            if n > 0 {
                assert!(!same_text(a, &a[..n - 1]));
            }
            assert!(!same_text(a, &format!("{a}x")));
        }
    }

    #[test]
    fn the_excess_is_the_decimal_one() {
        let values: Vec<Decimal> = [
            "0",
            "1",
            "2",
            "3",
            "1.0",
            "0.5",
            "-1",
            "999999999999999999",
            "1000000000000000000",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "1000000000000",
        ]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
        for a in &values {
            for b in &values {
                for c in &values {
                    let slow = a.saturating_add(*b).saturating_sub(*c).max(Decimal::ZERO);
                    assert_eq!(excess(*a, *b, *c), slow, "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn reasons_flatten_their_kind_and_round_trip() {
        let r = reason(
            ReasonKind::Overdue {
                days_overdue: 45,
                max_days_overdue: 30,
            },
            "overdue 45 days, limit 30".into(),
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"type":"overdue","days_overdue":45,"max_days_overdue":30,"message":"overdue 45 days, limit 30"}"#
        );
        assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), r);
    }
}
