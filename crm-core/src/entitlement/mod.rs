//! Entitlements: the rights an agreement line grants.
//!
//! This module holds the data (kinds, windows, conditions) that offerings carry as templates
//! and agreements carry per line. It sits below [`crate::agreement`]: it knows nothing of
//! agreements, so the check is written over plain facts the engine supplies.

use crate::Instant;
use crate::calendar::BusinessDuration;
use crate::error::{Error, Result};
use crate::ids::{CalendarId, EntitlementId, LineId};
use crate::money::Money;
use crate::party::{Channel, validate_text};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod check;
pub mod usage;
mod window;

pub use check::{
    CustomerStanding, DecisionOutcome, EntitlementDecision, EntitlementRequest, EntitlementStatus,
    Evaluation, ExceptionGrant, Facts, LineFacts, MatchedEntitlement, Reason, ReasonKind,
    Remaining, ServiceLevelTargets, evaluate,
};
pub use usage::{UsageBook, UsageLedger, UsageRecord, UsageReversal};
pub use window::WindowSpan;

/// The longest entitlement code accepted, in bytes.
pub const MAX_CODE_LEN: usize = 64;

/// Checks an entitlement code (`device_replacement`): lower-case ASCII letters, digits and
/// underscores, starting with a letter, at most [`MAX_CODE_LEN`] bytes.
pub fn validate_code(field: &str, code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= MAX_CODE_LEN
        && code.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        // bytes, not chars: every allowed character is ASCII, and any byte of a multi-byte
        // character is outside these ranges
        && code
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            code,
            format!(
                "a code is 1 to {MAX_CODE_LEN} lower-case letters, digits or underscores, starting with a letter"
            ),
        ))
    }
}

/// The window over which uses of a quota or an allowance are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Window {
    /// The last `days` days before the instant of the check (a rolling window).
    RollingDays {
        /// Length of the window in days (1 to 36,600).
        days: u32,
    },
    /// The calendar month of the check, from midnight on the first in `zone`.
    CalendarMonth {
        /// The IANA time zone whose midnight starts a month (`Europe/Berlin`); UTC when absent.
        #[serde(default = "utc")]
        zone: Tz,
    },
    /// The calendar year of the check, from midnight on 1 January in `zone`.
    CalendarYear {
        /// The IANA time zone whose midnight starts a year; UTC when absent.
        #[serde(default = "utc")]
        zone: Tz,
    },
    /// The whole term of the agreement.
    AgreementTerm,
}

fn utc() -> Tz {
    Tz::UTC
}

impl Window {
    fn validate(&self) -> Result<()> {
        if let Window::RollingDays { days } = self
            && !(1..=36_600).contains(days)
        {
            return Err(Error::validation(
                "window days",
                days,
                "must be between 1 and 36600",
            ));
        }
        Ok(())
    }
}

/// A cap on how many of a quota's uses may be taken on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelAllotment {
    /// The channel.
    pub channel: Channel,
    /// At most this many uses in the window on that channel.
    pub max_uses: u32,
}

/// Response and resolution targets for one request priority.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    /// The priority these targets apply to (`high`, `normal` ...).
    pub priority: String,
    /// First response within this much business time.
    pub response: BusinessDuration,
    /// Resolution within this much business time.
    pub resolution: BusinessDuration,
}

/// What an entitlement grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntitlementKind {
    /// The service may be used while the line is active.
    Access,
    /// `uses` uses per window, optionally capped per channel.
    Quota {
        /// Uses allowed in one window.
        uses: u32,
        /// How uses are counted.
        window: Window,
        /// Per-channel caps within the window.
        #[serde(default)]
        per_channel: Vec<ChannelAllotment>,
    },
    /// Response and resolution targets per priority, measured on a business calendar.
    ServiceLevel {
        /// The business calendar the targets are measured on.
        calendar: CalendarId,
        /// Targets per priority.
        targets: Vec<ServiceTarget>,
    },
    /// An amount of money per window, consumed partially.
    MoneyAllowance {
        /// The amount available per window.
        amount: Money,
        /// How consumption is counted.
        window: Window,
    },
    /// An amount of units per window (data units, minutes), consumed partially.
    UnitAllowance {
        /// The units available per window.
        units: Decimal,
        /// The name of the unit (`GB`, `minutes`).
        unit: String,
        /// How consumption is counted.
        window: Window,
    },
}

/// Conditions that must hold for an entitlement to be granted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementConditions {
    /// Denied when the customer is overdue by more than this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days_overdue: Option<u32>,
    /// Denied when the customer's tier is below this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tier: Option<String>,
}

/// An entitlement template carried by an offering; a sale turns it into an [`Entitlement`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementTemplate {
    /// The code checks ask for, e.g. `device_replacement`.
    pub code: String,
    /// What it grants.
    pub kind: EntitlementKind,
    /// Conditions.
    #[serde(default)]
    pub conditions: EntitlementConditions,
    /// How long the entitlement lasts from the sale, in days; `None` for the whole term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<u32>,
}

impl EntitlementTemplate {
    /// Checks the code, the kind and the conditions.
    pub fn validate(&self) -> Result<()> {
        validate_code("entitlement code", &self.code)?;
        validate_kind(&self.kind)?;
        if let Some(tier) = &self.conditions.min_tier {
            validate_text("min_tier", tier, true)?;
        }
        Ok(())
    }
}

/// A right granted by an agreement line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entitlement {
    /// The entitlement's id.
    pub id: EntitlementId,
    /// The line that grants it.
    pub line: LineId,
    /// The code checks ask for.
    pub code: String,
    /// What it grants.
    pub kind: EntitlementKind,
    /// Conditions.
    #[serde(default)]
    pub conditions: EntitlementConditions,
    /// First instant it applies.
    pub valid_from: Instant,
    /// First instant it no longer applies; `None` for open-ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Instant>,
}

impl Entitlement {
    /// Checks the code, the kind, the conditions and the validity range.
    pub fn validate(&self) -> Result<()> {
        validate_code("entitlement code", &self.code)?;
        validate_kind(&self.kind)?;
        if let Some(tier) = &self.conditions.min_tier {
            validate_text("min_tier", tier, true)?;
        }
        if let Some(to) = self.valid_to
            && to <= self.valid_from
        {
            return Err(Error::validation(
                "entitlement validity",
                format!("{} .. {to}", self.valid_from),
                "valid_to must be after valid_from",
            ));
        }
        Ok(())
    }

    /// Whether the entitlement is in force at `at`.
    pub fn is_valid_at(&self, at: Instant) -> bool {
        self.valid_from <= at && self.valid_to.is_none_or(|to| at < to)
    }
}

fn validate_kind(kind: &EntitlementKind) -> Result<()> {
    match kind {
        EntitlementKind::Access => Ok(()),
        EntitlementKind::Quota {
            window,
            per_channel,
            ..
        } => {
            window.validate()?;
            for (i, a) in per_channel.iter().enumerate() {
                if per_channel
                    .iter()
                    .skip(i + 1)
                    .any(|b| b.channel == a.channel)
                {
                    return Err(Error::validation(
                        "per_channel",
                        a.channel,
                        "a channel is listed twice",
                    ));
                }
            }
            Ok(())
        }
        EntitlementKind::ServiceLevel { targets, .. } => {
            if targets.is_empty() {
                return Err(Error::validation(
                    "service level targets",
                    "[]",
                    "at least one priority is needed",
                ));
            }
            for (i, t) in targets.iter().enumerate() {
                validate_text("priority", &t.priority, true)?;
                if targets.iter().skip(i + 1).any(|u| u.priority == t.priority) {
                    return Err(Error::validation("priority", &t.priority, "listed twice"));
                }
                if t.resolution < t.response {
                    return Err(Error::validation(
                        "resolution target",
                        t.resolution,
                        format!("is shorter than the response target {}", t.response),
                    ));
                }
            }
            Ok(())
        }
        EntitlementKind::MoneyAllowance { amount, window } => {
            window.validate()?;
            if !amount.is_positive() {
                return Err(Error::validation(
                    "allowance amount",
                    amount,
                    "must be above zero",
                ));
            }
            Ok(())
        }
        EntitlementKind::UnitAllowance {
            units,
            unit,
            window,
        } => {
            window.validate()?;
            validate_text("unit", unit, true)?;
            if *units <= Decimal::ZERO
                || *units > check::MAX_QUANTITY
                || units.scale() > check::MAX_QUANTITY_SCALE
            {
                return Err(Error::validation(
                    "allowance units",
                    units,
                    format!(
                        "must be above zero, at most {} with at most {} decimal places",
                        check::MAX_QUANTITY,
                        check::MAX_QUANTITY_SCALE
                    ),
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_validated() {
        assert!(validate_code("c", "device_replacement").is_ok());
        for bad in ["", "Device", "1abc", "a-b", &"a".repeat(65)] {
            assert!(validate_code("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_round_trip_through_json() {
        let json = r#"{"code":"device_replacement","kind":{"type":"quota","uses":2,"window":{"type":"rolling_days","days":365}},"conditions":{"max_days_overdue":30}}"#;
        let t: EntitlementTemplate = serde_json::from_str(json).unwrap();
        t.validate().unwrap();
        let back: EntitlementTemplate =
            serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn bad_kinds_are_refused() {
        let bad = EntitlementKind::Quota {
            uses: 1,
            window: Window::RollingDays { days: 0 },
            per_channel: vec![],
        };
        assert!(validate_kind(&bad).is_err());
        let bad = EntitlementKind::ServiceLevel {
            calendar: CalendarId::new("cal").unwrap(),
            targets: vec![],
        };
        assert!(validate_kind(&bad).is_err());
    }
}
