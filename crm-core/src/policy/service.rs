//! Service policy per tier: routing priority, SLA targets per request kind, a compensation
//! cap per period and the retention offers allowed.
//!
//! Differentiation is upward: when the policy is built, no tier may get a lower routing
//! priority, a longer SLA target, a lower compensation cap or fewer retention offers than the
//! baseline (lowest) tier. SLA targets are written per request kind as the agreement's own
//! target (`agreement`), a multiplier of it (`multiplier`, above 0 and at most 1) or an
//! absolute business duration (`absolute`). A tier and the baseline must use comparable
//! forms for a kind (both multipliers, both absolute, or a baseline that keeps the
//! agreement's target), so that "not longer" can be checked without knowing the agreement.
//!
//! [`ServicePolicy::targets`] gives the targets that apply to a request: the shortest of the
//! agreement's own target, the tier's and the baseline's, so a tier's target is never worse
//! than the agreement's nor than the baseline's.

use super::Tiers;
use crate::Instant;
use crate::calendar::BusinessDuration;
use crate::error::{Error, Result};
use crate::money::Money;
use chrono::{Datelike, Duration};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// An agreement's own SLA targets for one request kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    /// Time to first response, if the agreement sets one.
    #[serde(default)]
    pub response: Option<BusinessDuration>,
    /// Time to resolution, if the agreement sets one.
    #[serde(default)]
    pub resolution: Option<BusinessDuration>,
}

/// How a tier sets one SLA target. JSON: `{"rule": "multiplier", "factor": "0.5"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TargetRule {
    /// The agreement's own target.
    #[default]
    Agreement,
    /// The agreement's target times `factor` (above 0, at most 1), rounded down to the second.
    Multiplier {
        /// The factor.
        factor: Decimal,
    },
    /// A fixed business duration (applies even when the agreement sets no target).
    Absolute {
        /// The target.
        duration: BusinessDuration,
    },
}

impl TargetRule {
    fn factor(&self) -> Option<Decimal> {
        match self {
            TargetRule::Agreement => Some(Decimal::ONE),
            TargetRule::Multiplier { factor } => Some(*factor),
            TargetRule::Absolute { .. } => None,
        }
    }

    /// The target this rule gives on the agreement's target.
    pub fn apply(&self, agreement: Option<BusinessDuration>) -> Option<BusinessDuration> {
        match self {
            TargetRule::Agreement => agreement,
            TargetRule::Multiplier { factor } => agreement.and_then(|d| {
                let secs = Decimal::from(d.as_secs()).checked_mul(*factor)?.floor();
                BusinessDuration::from_secs(secs.to_i64()?).ok()
            }),
            TargetRule::Absolute { duration } => Some(*duration),
        }
    }
}

impl fmt::Display for TargetRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetRule::Agreement => f.write_str("the agreement's target"),
            TargetRule::Multiplier { factor } => write!(f, "multiplier {factor}"),
            TargetRule::Absolute { duration } => write!(f, "absolute {duration}"),
        }
    }
}

/// A tier's SLA for one request kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaRule {
    /// The response target.
    #[serde(default)]
    pub response: TargetRule,
    /// The resolution target.
    #[serde(default)]
    pub resolution: TargetRule,
}

/// The period a compensation cap covers. JSON: `{"period": "rolling_days", "days": 90}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "period", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CapPeriod {
    /// The `days` days up to and including the decision instant: `(at − days, at]`.
    RollingDays {
        /// The window's length in days (at least 1).
        days: u32,
    },
    /// The UTC calendar month of the decision instant, up to the instant.
    CalendarMonth,
    /// The UTC calendar year of the decision instant, up to the instant.
    CalendarYear,
}

impl CapPeriod {
    /// True when something granted at `t` counts against the cap at `at`.
    pub fn counts(&self, t: Instant, at: Instant) -> bool {
        if t > at {
            return false;
        }
        match self {
            CapPeriod::RollingDays { days } => at
                .checked_sub_signed(Duration::days(i64::from(*days)))
                // A window reaching before the first representable instant holds everything.
                .is_none_or(|start| t > start),
            CapPeriod::CalendarMonth => t.year() == at.year() && t.month() == at.month(),
            CapPeriod::CalendarYear => t.year() == at.year(),
        }
    }
}

impl fmt::Display for CapPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapPeriod::RollingDays { days } => write!(f, "per rolling {days} days"),
            CapPeriod::CalendarMonth => f.write_str("per calendar month"),
            CapPeriod::CalendarYear => f.write_str("per calendar year"),
        }
    }
}

/// How much compensation a customer may receive per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompensationCap {
    /// The most that may be granted in one period.
    pub limit: Money,
    /// The period.
    pub period: CapPeriod,
}

/// What one tier gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierService {
    /// Routing priority; higher is served first.
    pub routing_priority: u32,
    /// The most compensation per period (the period is the policy's `cap_period`).
    pub compensation_cap: Money,
    /// SLA rules by request kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sla: BTreeMap<String, SlaRule>,
    /// The SLA rule for kinds not listed in `sla`.
    #[serde(default)]
    pub default_sla: SlaRule,
    /// Retention offers this tier may be made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retention_offers: Vec<String>,
}

impl TierService {
    /// The SLA rule for a request kind.
    pub fn sla_rule(&self, kind: &str) -> &SlaRule {
        self.sla.get(kind).unwrap_or(&self.default_sla)
    }
}

/// The JSON form of a [`ServicePolicy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePolicySpec {
    /// Tier names, lowest (the baseline) first.
    pub tiers: Vec<String>,
    /// The period every tier's compensation cap covers.
    pub cap_period: CapPeriod,
    /// What each tier gets; every declared tier needs an entry.
    pub per_tier: BTreeMap<String, TierService>,
}

/// A checked service policy. Serializes as its [`ServicePolicySpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ServicePolicySpec", into = "ServicePolicySpec")]
pub struct ServicePolicy {
    spec: ServicePolicySpec,
    tiers: Tiers,
}

impl TryFrom<ServicePolicySpec> for ServicePolicy {
    type Error = Error;
    fn try_from(spec: ServicePolicySpec) -> Result<Self> {
        ServicePolicy::new(spec)
    }
}

impl From<ServicePolicy> for ServicePolicySpec {
    fn from(p: ServicePolicy) -> Self {
        p.spec
    }
}

/// The SLA targets that apply to one request, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedTargets {
    /// The tier.
    pub tier: String,
    /// The request kind.
    pub kind: String,
    /// The response target that applies.
    pub response: Option<BusinessDuration>,
    /// The resolution target that applies.
    pub resolution: Option<BusinessDuration>,
    /// How each was found, readable.
    pub reasons: Vec<String>,
}

fn shortest(xs: &[Option<BusinessDuration>]) -> Option<BusinessDuration> {
    xs.iter().flatten().min().copied()
}

fn show(d: Option<BusinessDuration>) -> String {
    d.map_or_else(|| "none".to_string(), |d| d.to_string())
}

fn check_rule(tier: &str, field: &str, r: &TargetRule, problems: &mut Vec<String>) {
    if let TargetRule::Multiplier { factor } = r
        && (*factor <= Decimal::ZERO || *factor > Decimal::ONE)
    {
        problems.push(format!(
            "tier {tier}: {field} multiplier {factor} must be above 0 and at most 1 (never worse than the agreement)"
        ));
    }
}

fn compare_rule(
    tier: &str,
    baseline: &str,
    field: &str,
    t: &TargetRule,
    b: &TargetRule,
    problems: &mut Vec<String>,
) {
    match (t, b) {
        (TargetRule::Absolute { duration: td }, TargetRule::Absolute { duration: bd }) => {
            if td > bd {
                problems.push(format!(
                    "tier {tier}: {field} {td} is longer than the baseline {baseline}'s {bd}"
                ));
            }
        }
        (TargetRule::Absolute { .. }, _) if b.factor() == Some(Decimal::ONE) => {}
        _ => match (t.factor(), b.factor()) {
            (Some(tf), Some(bf)) => {
                if tf > bf {
                    problems.push(format!(
                        "tier {tier}: {field} ({t}) is longer than the baseline {baseline}'s ({b})"
                    ));
                }
            }
            _ => problems.push(format!(
                "tier {tier}: {field} ({t}) cannot be compared with the baseline {baseline}'s ({b}); use the same form"
            )),
        },
    }
}

impl ServicePolicy {
    /// Checks a service policy; every problem is reported at once in an
    /// [`Error::InvalidDefinition`] whose lines name the tier and the field: tier-list
    /// problems, unknown or missing tiers, negative caps, caps in several currencies,
    /// multipliers outside (0, 1], and anything a tier gets less of than the baseline.
    pub fn new(spec: ServicePolicySpec) -> Result<Self> {
        let mut problems = Tiers::problems(&spec.tiers);
        if let CapPeriod::RollingDays { days: 0 } = spec.cap_period {
            problems.push("cap_period: a rolling window needs at least 1 day".to_string());
        }
        for t in spec.per_tier.keys().filter(|t| !spec.tiers.contains(t)) {
            problems.push(format!(
                "unknown tier {t:?} (tiers: {})",
                spec.tiers.join(", ")
            ));
        }
        for t in spec
            .tiers
            .iter()
            .filter(|t| !spec.per_tier.contains_key(*t))
        {
            problems.push(format!("tier {t}: no service entry"));
        }
        for (t, s) in &spec.per_tier {
            if s.compensation_cap.is_negative() {
                problems.push(format!(
                    "tier {t}: compensation_cap {} is negative",
                    s.compensation_cap
                ));
            }
            for (kind, rule) in &s.sla {
                check_rule(
                    t,
                    &format!("sla.{kind}.response"),
                    &rule.response,
                    &mut problems,
                );
                check_rule(
                    t,
                    &format!("sla.{kind}.resolution"),
                    &rule.resolution,
                    &mut problems,
                );
            }
            check_rule(
                t,
                "default_sla.response",
                &s.default_sla.response,
                &mut problems,
            );
            check_rule(
                t,
                "default_sla.resolution",
                &s.default_sla.resolution,
                &mut problems,
            );
        }
        let baseline_name = spec.tiers.first();
        if let Some((bname, base)) =
            baseline_name.and_then(|b| spec.per_tier.get(b).map(|s| (b, s)))
        {
            for tname in spec.tiers.iter().skip(1) {
                let Some(t) = spec.per_tier.get(tname) else {
                    continue;
                };
                if t.routing_priority < base.routing_priority {
                    problems.push(format!(
                        "tier {tname}: routing_priority {} is lower than the baseline {bname}'s {}",
                        t.routing_priority, base.routing_priority
                    ));
                }
                match t.compensation_cap.try_cmp(&base.compensation_cap) {
                    Ok(std::cmp::Ordering::Less) => problems.push(format!(
                        "tier {tname}: compensation_cap {} is lower than the baseline {bname}'s {}",
                        t.compensation_cap, base.compensation_cap
                    )),
                    Ok(_) => {}
                    Err(_) => problems.push(format!(
                        "tier {tname}: compensation_cap is in {}, the baseline {bname}'s in {}",
                        t.compensation_cap.currency(),
                        base.compensation_cap.currency()
                    )),
                }
                let kinds: BTreeSet<&String> = base.sla.keys().chain(t.sla.keys()).collect();
                for kind in kinds {
                    let (tr, br) = (t.sla_rule(kind), base.sla_rule(kind));
                    compare_rule(
                        tname,
                        bname,
                        &format!("sla.{kind}.response"),
                        &tr.response,
                        &br.response,
                        &mut problems,
                    );
                    compare_rule(
                        tname,
                        bname,
                        &format!("sla.{kind}.resolution"),
                        &tr.resolution,
                        &br.resolution,
                        &mut problems,
                    );
                }
                compare_rule(
                    tname,
                    bname,
                    "default_sla.response",
                    &t.default_sla.response,
                    &base.default_sla.response,
                    &mut problems,
                );
                compare_rule(
                    tname,
                    bname,
                    "default_sla.resolution",
                    &t.default_sla.resolution,
                    &base.default_sla.resolution,
                    &mut problems,
                );
                for offer in base
                    .retention_offers
                    .iter()
                    .filter(|o| !t.retention_offers.contains(o))
                {
                    problems.push(format!(
                        "tier {tname}: retention_offers lacks {offer:?}, which the baseline {bname} has"
                    ));
                }
            }
        }
        if problems.is_empty() {
            let tiers = Tiers::new(spec.tiers.clone())?;
            Ok(ServicePolicy { spec, tiers })
        } else {
            Err(Error::InvalidDefinition {
                what: "service policy".to_string(),
                problems,
            })
        }
    }

    /// Reads a policy from JSON and builds it.
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: ServicePolicySpec = serde_json::from_str(json)?;
        ServicePolicy::new(spec)
    }

    /// The tiers, lowest first.
    pub fn tiers(&self) -> &Tiers {
        &self.tiers
    }

    /// The policy as written.
    pub fn spec(&self) -> &ServicePolicySpec {
        &self.spec
    }

    /// What a tier gets; an undeclared tier is [`Error::NotFound`].
    pub fn tier(&self, tier: &str) -> Result<&TierService> {
        self.spec
            .per_tier
            .get(tier)
            .ok_or_else(|| Error::not_found("tier", tier))
    }

    fn baseline(&self) -> Result<&TierService> {
        self.tier(self.tiers.baseline())
    }

    /// A tier's routing priority (higher is served first).
    pub fn routing_priority(&self, tier: &str) -> Result<u32> {
        Ok(self.tier(tier)?.routing_priority)
    }

    /// A tier's compensation cap and its period.
    pub fn compensation_cap(&self, tier: &str) -> Result<CompensationCap> {
        Ok(CompensationCap {
            limit: self.tier(tier)?.compensation_cap,
            period: self.spec.cap_period,
        })
    }

    /// The retention offers a tier may be made.
    pub fn retention_offers(&self, tier: &str) -> Result<&[String]> {
        Ok(&self.tier(tier)?.retention_offers)
    }

    /// The SLA targets that apply to a request of `kind` from a customer of `tier`, given the
    /// agreement's own targets: for each of response and resolution, the shortest of the
    /// agreement's, the tier's and the baseline's, so never worse than the agreement's.
    pub fn targets(
        &self,
        tier: &str,
        kind: &str,
        agreement: &SlaTargets,
    ) -> Result<AppliedTargets> {
        let t = self.tier(tier)?.sla_rule(kind);
        let b = self.baseline()?.sla_rule(kind);
        let mut reasons = Vec::with_capacity(2);
        let mut one =
            |field: &str, tr: &TargetRule, br: &TargetRule, agr: Option<BusinessDuration>| {
                let tv = tr.apply(agr);
                let bv = br.apply(agr);
                let v = shortest(&[agr, tv, bv]);
                reasons.push(format!(
                "{kind} {field}: agreement {}, tier {tier} ({tr}) {}, baseline {} {}: {} applies",
                show(agr),
                show(tv),
                self.tiers.baseline(),
                show(bv),
                show(v)
            ));
                v
            };
        let response = one("response", &t.response, &b.response, agreement.response);
        let resolution = one(
            "resolution",
            &t.resolution,
            &b.resolution,
            agreement.resolution,
        );
        Ok(AppliedTargets {
            tier: tier.to_string(),
            kind: kind.to_string(),
            response,
            resolution,
            reasons,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ErrorKind;

    fn eur(s: &str) -> Money {
        Money::parse(s, "EUR").unwrap()
    }

    fn hours(h: i64) -> BusinessDuration {
        BusinessDuration::from_hours(h).unwrap()
    }

    fn mult(f: &str) -> TargetRule {
        TargetRule::Multiplier {
            factor: f.parse().unwrap(),
        }
    }

    fn entry(priority: u32, cap: &str, complaint: SlaRule, offers: &[&str]) -> TierService {
        TierService {
            routing_priority: priority,
            compensation_cap: eur(cap),
            sla: BTreeMap::from([("complaint".to_string(), complaint)]),
            default_sla: SlaRule::default(),
            retention_offers: offers.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub(crate) fn service_spec() -> ServicePolicySpec {
        ServicePolicySpec {
            tiers: vec![
                "standard".into(),
                "silver".into(),
                "gold".into(),
                "platinum".into(),
            ],
            cap_period: CapPeriod::CalendarMonth,
            per_tier: BTreeMap::from([
                (
                    "standard".to_string(),
                    entry(0, "50.00", SlaRule::default(), &["loyalty_discount"]),
                ),
                (
                    "silver".to_string(),
                    entry(
                        1,
                        "100.00",
                        SlaRule {
                            response: mult("0.75"),
                            resolution: mult("0.75"),
                        },
                        &["loyalty_discount"],
                    ),
                ),
                (
                    "gold".to_string(),
                    entry(
                        2,
                        "200.00",
                        SlaRule {
                            response: mult("0.5"),
                            resolution: mult("0.5"),
                        },
                        &["loyalty_discount", "free_month"],
                    ),
                ),
                (
                    "platinum".to_string(),
                    entry(
                        3,
                        "500.00",
                        SlaRule {
                            response: TargetRule::Absolute { duration: hours(1) },
                            resolution: mult("0.25"),
                        },
                        &["loyalty_discount", "free_month", "device_upgrade"],
                    ),
                ),
            ]),
        }
    }

    #[test]
    fn story_4_complaints_get_the_shorter_sla_of_the_tier() {
        let p = ServicePolicy::new(service_spec()).unwrap();
        let agr = SlaTargets {
            response: Some(hours(8)),
            resolution: Some(hours(40)),
        };
        let gold = p.targets("gold", "complaint", &agr).unwrap();
        assert_eq!(gold.response, Some(hours(4)));
        assert_eq!(gold.resolution, Some(hours(20)));
        assert!(
            gold.reasons[0].contains("multiplier 0.5"),
            "{:?}",
            gold.reasons
        );
        let std = p.targets("standard", "complaint", &agr).unwrap();
        assert_eq!(std.resolution, Some(hours(40)));
        // Absolute targets apply, but never worse than the agreement's.
        let tight = SlaTargets {
            response: Some(BusinessDuration::from_minutes(30).unwrap()),
            resolution: None,
        };
        let plat = p.targets("platinum", "complaint", &tight).unwrap();
        assert_eq!(
            plat.response,
            Some(BusinessDuration::from_minutes(30).unwrap())
        );
        assert_eq!(plat.resolution, None);
        let plat = p.targets("platinum", "complaint", &agr).unwrap();
        assert_eq!(plat.response, Some(hours(1)));
        // Kinds without a rule keep the agreement's targets.
        assert_eq!(
            p.targets("gold", "billing", &agr).unwrap().response,
            Some(hours(8))
        );
        assert_eq!(
            p.targets("diamond", "complaint", &agr).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(p.routing_priority("gold").unwrap(), 2);
        assert_eq!(p.compensation_cap("gold").unwrap().limit, eur("200.00"));
        assert_eq!(p.retention_offers("gold").unwrap().len(), 2);
    }

    fn problems_of(spec: ServicePolicySpec) -> Vec<String> {
        match ServicePolicy::new(spec).unwrap_err() {
            Error::InvalidDefinition { what, problems } => {
                assert_eq!(what, "service policy");
                problems
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_tier_below_the_baseline_is_rejected_naming_tier_and_field() {
        let mut s = service_spec();
        let silver = s.per_tier.get_mut("silver").unwrap();
        silver.routing_priority = 0;
        s.per_tier.get_mut("standard").unwrap().routing_priority = 1;
        let p = problems_of(s);
        assert_eq!(
            p,
            vec!["tier silver: routing_priority 0 is lower than the baseline standard's 1"]
        );

        let mut s = service_spec();
        s.per_tier.get_mut("gold").unwrap().compensation_cap = eur("20.00");
        assert_eq!(
            problems_of(s),
            vec![
                "tier gold: compensation_cap 20.00 EUR is lower than the baseline standard's 50.00 EUR"
            ]
        );

        let mut s = service_spec();
        s.per_tier.get_mut("standard").unwrap().sla.insert(
            "complaint".into(),
            SlaRule {
                response: mult("0.5"),
                resolution: mult("0.5"),
            },
        );
        let p = problems_of(s);
        assert!(
            p.contains(&"tier silver: sla.complaint.response (multiplier 0.75) is longer than the baseline standard's (multiplier 0.5)".to_string()),
            "{p:?}"
        );
        // Platinum's absolute response cannot be compared with a multiplier baseline.
        assert!(
            p.iter()
                .any(|x| x.starts_with("tier platinum: sla.complaint.response")
                    && x.contains("use the same form")),
            "{p:?}"
        );

        let mut s = service_spec();
        s.per_tier
            .get_mut("silver")
            .unwrap()
            .retention_offers
            .clear();
        assert_eq!(
            problems_of(s),
            vec![
                "tier silver: retention_offers lacks \"loyalty_discount\", which the baseline standard has"
            ]
        );

        let mut s = service_spec();
        let base = s.per_tier.get_mut("standard").unwrap();
        base.default_sla.resolution = TargetRule::Absolute {
            duration: hours(10),
        };
        s.per_tier.get_mut("gold").unwrap().default_sla.resolution = TargetRule::Absolute {
            duration: hours(12),
        };
        let p = problems_of(s);
        assert!(
            p.contains(
                &"tier gold: default_sla.resolution 12h is longer than the baseline standard's 10h"
                    .to_string()
            ),
            "{p:?}"
        );
    }

    #[test]
    fn unknown_tiers_negative_caps_and_empty_lists_are_typed_errors() {
        let mut s = service_spec();
        s.per_tier.insert(
            "diamond".into(),
            entry(9, "900.00", SlaRule::default(), &[]),
        );
        s.per_tier.get_mut("standard").unwrap().compensation_cap = eur("-5.00");
        s.per_tier.remove("silver");
        let p = problems_of(s);
        assert!(
            p.iter().any(|x| x.contains("unknown tier \"diamond\"")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|x| x == "tier standard: compensation_cap -5.00 EUR is negative"),
            "{p:?}"
        );
        assert!(
            p.iter().any(|x| x == "tier silver: no service entry"),
            "{p:?}"
        );

        let mut s = service_spec();
        s.tiers.clear();
        let p = problems_of(s);
        assert!(p.iter().any(|x| x.contains("tier list is empty")), "{p:?}");

        let mut s = service_spec();
        s.per_tier.get_mut("gold").unwrap().sla.insert(
            "billing".into(),
            SlaRule {
                response: mult("1.5"),
                resolution: TargetRule::Agreement,
            },
        );
        let p = problems_of(s);
        assert!(
            p.iter()
                .any(|x| x.starts_with("tier gold: sla.billing.response multiplier 1.5")),
            "{p:?}"
        );
    }

    #[test]
    fn service_policies_round_trip_through_json() {
        let p = ServicePolicy::new(service_spec()).unwrap();
        let json = serde_json::to_string_pretty(&p).unwrap();
        assert!(json.contains("\"rule\": \"multiplier\""), "{json}");
        let back = ServicePolicy::from_json(&json).unwrap();
        assert_eq!(back, p);
        let bad = json.replace("\"amount\": \"500.00\"", "\"amount\": \"10.00\"");
        assert_ne!(bad, json);
        assert_eq!(
            ServicePolicy::from_json(&bad).unwrap_err().kind(),
            ErrorKind::InvalidDefinition
        );
        assert!(serde_json::from_str::<ServicePolicy>(&bad).is_err());
    }

    #[test]
    fn cap_periods_count_the_right_grants() {
        let at: Instant = "2026-03-10T12:00:00Z".parse().unwrap();
        let feb: Instant = "2026-02-28T12:00:00Z".parse().unwrap();
        let later: Instant = "2026-03-11T00:00:00Z".parse().unwrap();
        assert!(!CapPeriod::CalendarMonth.counts(feb, at));
        assert!(CapPeriod::CalendarYear.counts(feb, at));
        assert!(CapPeriod::RollingDays { days: 30 }.counts(feb, at));
        assert!(!CapPeriod::RollingDays { days: 10 }.counts(feb, at));
        assert!(!CapPeriod::CalendarMonth.counts(later, at));
        // A window longer than the calendar can hold counts everything, without panicking.
        assert!(CapPeriod::RollingDays { days: u32::MAX }.counts(feb, at));
    }
}
