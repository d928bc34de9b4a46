//! Service-level targets of an instance: the explicit input that says which target applies
//! and where it came from, and the status (on track, at risk, breached, met) measured on a
//! business calendar.

use super::definition::ProcessDefinition;
use crate::Instant;
use crate::calendar::{BusinessDuration, TimeRange};
use crate::error::{Error, Result};
use crate::ids::{AgreementId, CalendarId, DefinitionId, EntitlementId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Business-time arithmetic that instances need from a business calendar.
///
/// [`crate::calendar::BusinessCalendar`] implements it (and checks its id against the
/// instance's calendar); a host may plug in its own.
pub trait BusinessClock {
    /// The instant `d` of business time after `at`, not counting `paused` ranges.
    fn add(&self, at: Instant, d: BusinessDuration, paused: &[TimeRange]) -> Result<Instant>;
    /// The business time between `a` and `b` (`a <= b`), not counting `paused` ranges.
    fn between(&self, a: Instant, b: Instant, paused: &[TimeRange]) -> Result<BusinessDuration>;
    /// The calendar's id, when it has one: instances check it against the calendar they
    /// were started on.
    fn calendar_id(&self) -> Option<&CalendarId> {
        None
    }
}

impl<C: BusinessClock + ?Sized> BusinessClock for &C {
    fn add(&self, at: Instant, d: BusinessDuration, paused: &[TimeRange]) -> Result<Instant> {
        (**self).add(at, d, paused)
    }
    fn between(&self, a: Instant, b: Instant, paused: &[TimeRange]) -> Result<BusinessDuration> {
        (**self).between(a, b, paused)
    }
    fn calendar_id(&self) -> Option<&CalendarId> {
        (**self).calendar_id()
    }
}

/// Where an SLA target came from, so a status can say "resolution 8h from entitlement E1".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SlaSource {
    /// The process definition's own target (the whole-instance SLA, or a step's SLA).
    Definition {
        /// The definition.
        definition: DefinitionId,
        /// The step, for a step target.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
    /// A response or resolution entitlement of the customer's agreement.
    Entitlement {
        /// The agreement granting it.
        agreement: AgreementId,
        /// The entitlement.
        entitlement: EntitlementId,
    },
    /// The service policy of the customer's tier.
    Tier {
        /// The tier's name.
        tier: String,
    },
    /// A target the host set for its own reason.
    Host {
        /// The reason, for display.
        reason: String,
    },
}

impl fmt::Display for SlaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlaSource::Definition {
                definition,
                step: None,
            } => write!(f, "definition {definition}"),
            SlaSource::Definition {
                definition,
                step: Some(step),
            } => write!(f, "definition {definition} step {step}"),
            SlaSource::Entitlement {
                agreement,
                entitlement,
            } => write!(f, "entitlement {entitlement} of agreement {agreement}"),
            SlaSource::Tier { tier } => write!(f, "tier {tier}"),
            SlaSource::Host { reason } => write!(f, "{reason}"),
        }
    }
}

/// A target in business time, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTarget {
    /// The business time allowed.
    pub target: BusinessDuration,
    /// Where the target came from.
    pub source: SlaSource,
}

impl SlaTarget {
    /// A target with its source.
    pub fn new(target: BusinessDuration, source: SlaSource) -> Self {
        SlaTarget { target, source }
    }
}

/// The share of a target after which a running clock is "at risk", when not set: 80 %.
pub const DEFAULT_AT_RISK_PERCENT: u8 = 80;

fn default_at_risk() -> u8 {
    DEFAULT_AT_RISK_PERCENT
}

/// The SLA targets an instance runs against: the explicit input of [`super::NewInstance`].
///
/// The caller decides which target applies (the engine: the customer's response/resolution
/// entitlement when the agreement has one, else the definition's SLA, later tier overrides)
/// and records where it came from. `resolution` is the whole-instance target: `None` means
/// the instance has none. Steps use the definition's step SLA unless `steps` overrides them
/// by step id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    /// The whole-instance (resolution) target.
    #[serde(default)]
    pub resolution: Option<SlaTarget>,
    /// Step targets that replace the definition's step SLA, by step id.
    #[serde(default)]
    pub steps: BTreeMap<String, SlaTarget>,
    /// The share of a target (1 to 100 %) used after which a clock is at risk.
    #[serde(default = "default_at_risk")]
    pub at_risk_percent: u8,
}

impl Default for SlaTargets {
    fn default() -> Self {
        SlaTargets {
            resolution: None,
            steps: BTreeMap::new(),
            at_risk_percent: DEFAULT_AT_RISK_PERCENT,
        }
    }
}

impl SlaTargets {
    /// No resolution target; step targets from the definition.
    pub fn none() -> Self {
        SlaTargets::default()
    }

    /// The definition's own targets: its whole-instance SLA (if any) and its step SLAs.
    pub fn from_definition(def: &ProcessDefinition) -> Self {
        SlaTargets {
            resolution: def.sla().map(|t| {
                SlaTarget::new(
                    t,
                    SlaSource::Definition {
                        definition: def.id().clone(),
                        step: None,
                    },
                )
            }),
            ..SlaTargets::default()
        }
    }

    /// The same targets with `resolution` as the whole-instance target.
    pub fn with_resolution(mut self, resolution: SlaTarget) -> Self {
        self.resolution = Some(resolution);
        self
    }

    /// The same targets with `target` for step `step`.
    pub fn with_step(mut self, step: impl Into<String>, target: SlaTarget) -> Self {
        self.steps.insert(step.into(), target);
        self
    }

    /// The same targets with another at-risk share.
    pub fn with_at_risk_percent(mut self, percent: u8) -> Self {
        self.at_risk_percent = percent;
        self
    }

    /// Resolves the targets against `def`: one optional target per step, by step index.
    pub(crate) fn resolve(self, def: &ProcessDefinition) -> Result<ResolvedSla> {
        if !(1..=100).contains(&self.at_risk_percent) {
            return Err(Error::validation(
                "at_risk_percent",
                self.at_risk_percent,
                "must be between 1 and 100",
            ));
        }
        if let Some(unknown) = self.steps.keys().find(|k| def.step_by_id(k).is_none()) {
            return Err(Error::not_found(
                format!("step of process definition {}", def.id()),
                unknown,
            ));
        }
        let mut overrides = self.steps;
        let steps = def
            .steps()
            .map(|s| {
                overrides.remove(&s.id).or_else(|| {
                    s.sla.map(|t| {
                        SlaTarget::new(
                            t,
                            SlaSource::Definition {
                                definition: def.id().clone(),
                                step: Some(s.id.clone()),
                            },
                        )
                    })
                })
            })
            .collect();
        Ok(ResolvedSla {
            resolution: self.resolution,
            steps,
            at_risk_percent: self.at_risk_percent,
        })
    }
}

/// The targets an instance runs against, resolved per step when it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolvedSla {
    /// The whole-instance target.
    pub resolution: Option<SlaTarget>,
    /// The target of each step, by step index.
    pub steps: Vec<Option<SlaTarget>>,
    /// The at-risk share in percent.
    pub at_risk_percent: u8,
}

/// Where a clock stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Running, less than the at-risk share of the target used.
    OnTrack,
    /// Running, at least the at-risk share of the target used.
    AtRisk,
    /// More than the target used.
    Breached,
    /// Finished within the target.
    Met,
}

impl SlaState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::OnTrack => "on track",
            SlaState::AtRisk => "at risk",
            SlaState::Breached => "breached",
            SlaState::Met => "met",
        }
    }

    /// Classifies `used` against `target`: `finished` clocks are met or breached.
    pub fn classify(
        used: BusinessDuration,
        target: BusinessDuration,
        at_risk_percent: u8,
        finished: bool,
    ) -> SlaState {
        if used > target {
            SlaState::Breached
        } else if finished {
            SlaState::Met
        } else if i128::from(used.as_secs()) * 100
            >= i128::from(target.as_secs()) * i128::from(at_risk_percent)
        {
            SlaState::AtRisk
        } else {
            SlaState::OnTrack
        }
    }
}

/// One clock (a step's or the whole instance's) against its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaStatus {
    /// On track, at risk, breached or met.
    pub state: SlaState,
    /// The target and its source.
    pub target: SlaTarget,
    /// Business time counted so far (or until the end).
    pub used: BusinessDuration,
    /// Business time left before the deadline; zero once breached.
    pub remaining: BusinessDuration,
    /// Business time past the target; zero unless breached.
    pub overdue: BusinessDuration,
    /// The deadline. While the clock is paused, the deadline if it resumed at the status
    /// instant.
    pub deadline: Instant,
    /// True while the clock is stopped (the instance waits for someone outside).
    pub clock_paused: bool,
}

impl SlaStatus {
    pub(crate) fn new(
        target: &SlaTarget,
        used: BusinessDuration,
        deadline: Instant,
        at_risk_percent: u8,
        finished: bool,
        clock_paused: bool,
    ) -> SlaStatus {
        SlaStatus {
            state: SlaState::classify(used, target.target, at_risk_percent, finished),
            target: target.clone(),
            used,
            remaining: target.target.saturating_sub(used),
            overdue: used.saturating_sub(target.target),
            deadline,
            clock_paused,
        }
    }
}

impl fmt::Display for SlaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} from {}: {}, {} used, ",
            self.target.target,
            self.target.source,
            self.state.as_str(),
            self.used
        )?;
        if self.state == SlaState::Breached {
            write!(f, "{} over", self.overdue)?;
        } else {
            write!(f, "{} left", self.remaining)?;
        }
        write!(f, ", deadline {}", self.deadline.to_rfc3339())?;
        if self.clock_paused {
            f.write_str(" (clock paused)")?;
        }
        Ok(())
    }
}

impl BusinessClock for crate::calendar::BusinessCalendar {
    fn add(&self, at: Instant, d: BusinessDuration, paused: &[TimeRange]) -> Result<Instant> {
        crate::calendar::BusinessCalendar::add(self, at, d, paused)
    }
    fn between(&self, a: Instant, b: Instant, paused: &[TimeRange]) -> Result<BusinessDuration> {
        crate::calendar::BusinessCalendar::between(self, a, b, paused)
    }
    fn calendar_id(&self) -> Option<&CalendarId> {
        Some(self.id())
    }
}
