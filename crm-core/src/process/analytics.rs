//! Analytics over many instances of one definition: business time per step (count, mean,
//! p50, p90, max), breach share per step, bottleneck rankings and workload per performer.
//!
//! One pass over the recorded moves pushes each step's business time into a per-step vector
//! (no allocation per move); percentiles come from sorting those vectors.

use super::definition::{Performer, ProcessDefinition, StepKind};
use super::instance::ProcessInstance;
use crate::calendar::BusinessDuration;
use crate::error::{Error, Result};
use crate::ids::DefinitionId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Figures for one step over all completed visits of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepStats {
    /// The step's id.
    pub step: String,
    /// Who performs it.
    pub performer: Performer,
    /// Its kind.
    pub kind: StepKind,
    /// Completed visits (moves out of the step).
    pub count: u64,
    /// Business seconds spent in the step over all visits.
    pub total_seconds: i64,
    /// Mean business time per visit (rounded down to the second).
    pub mean: BusinessDuration,
    /// Median business time per visit (nearest rank).
    pub p50: BusinessDuration,
    /// 90th percentile (nearest rank).
    pub p90: BusinessDuration,
    /// Longest visit.
    pub max: BusinessDuration,
    /// Visits that had a step target.
    pub with_target: u64,
    /// Visits that took longer than their target.
    pub breached: u64,
    /// `breached / with_target`, rounded to 4 decimals; zero without targets.
    pub breach_share: Decimal,
    /// Instances currently in the step (work in progress).
    pub open: u64,
}

/// Workload of one performer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformerLoad {
    /// The performer.
    pub performer: Performer,
    /// Completed visits of its steps.
    pub moves: u64,
    /// Business seconds spent in its steps.
    pub total_seconds: i64,
    /// Instances currently in one of its steps.
    pub open: u64,
}

/// A step in a bottleneck ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// The step's id.
    pub step: String,
    /// Business seconds spent in the step over all visits.
    pub total_seconds: i64,
    /// Its breach share.
    pub breach_share: Decimal,
}

/// The analytics of one definition over a set of instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessReport {
    /// The definition analysed.
    pub definition: DefinitionId,
    /// Its version.
    pub version: u32,
    /// Instances analysed.
    pub instances: u64,
    /// Of which ended.
    pub ended: u64,
    /// Moves analysed.
    pub moves: u64,
    /// Ended instances that had a resolution target.
    pub resolution_with_target: u64,
    /// Of which took more business time than the target (wait time excluded).
    pub resolution_breached: u64,
    /// `resolution_breached / resolution_with_target`, 4 decimals.
    pub resolution_breach_share: Decimal,
    /// Per step, in definition order.
    pub steps: Vec<StepStats>,
    /// Steps with visits, by total business time spent, longest first.
    pub bottlenecks_by_time: Vec<Bottleneck>,
    /// Steps with targets, by breach share, highest first (then by total time).
    pub bottlenecks_by_breach_share: Vec<Bottleneck>,
    /// Per performer, ordered by performer.
    pub performers: Vec<PerformerLoad>,
}

fn share(part: u64, whole: u64) -> Decimal {
    if whole == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) / Decimal::from(whole)).round_dp(4)
}

/// The nearest-rank `pct` percentile of sorted `v` (non-empty).
fn percentile(sorted: &[i64], pct: u64) -> i64 {
    let n = sorted.len() as u64;
    let rank = (pct * n).div_ceil(100).max(1);
    sorted.get((rank - 1) as usize).copied().unwrap_or_default()
}

fn duration(seconds: i64) -> Result<BusinessDuration> {
    BusinessDuration::from_secs(seconds)
}

/// Analyses `instances` of `def`. An instance of another definition or version is a
/// validation error.
pub fn analyze<'a, I>(def: &ProcessDefinition, instances: I) -> Result<ProcessReport>
where
    I: IntoIterator<Item = &'a ProcessInstance>,
{
    let n = def.step_count();
    let mut times: Vec<Vec<i64>> = vec![Vec::new(); n];
    let mut with_target = vec![0u64; n];
    let mut breached = vec![0u64; n];
    let mut open = vec![0u64; n];
    let (mut count, mut ended, mut moves) = (0u64, 0u64, 0u64);
    let (mut res_with, mut res_breached) = (0u64, 0u64);

    for inst in instances {
        if inst.definition() != def.id() || inst.version() != def.version() {
            return Err(Error::validation(
                "process instance",
                inst.id(),
                format!(
                    "runs on {} v{}, not {} v{}",
                    inst.definition(),
                    inst.version(),
                    def.id(),
                    def.version()
                ),
            ));
        }
        count += 1;
        let targets = &inst.sla().steps;
        for m in inst.moves() {
            let i = m.from as usize;
            let Some(v) = times.get_mut(i) else {
                return Err(Error::validation(
                    "process instance",
                    inst.id(),
                    "records a move from a step the definition does not have",
                ));
            };
            let secs = m.business_time.as_secs();
            v.push(secs);
            if let Some(Some(t)) = targets.get(i) {
                if let Some(w) = with_target.get_mut(i) {
                    *w += 1;
                }
                if m.business_time > t.target
                    && let Some(b) = breached.get_mut(i)
                {
                    *b += 1;
                }
            }
        }
        moves += inst.moves().len() as u64;
        if inst.is_ended() {
            ended += 1;
            if let Some(t) = &inst.sla().resolution {
                res_with += 1;
                if inst.active_time() > t.target {
                    res_breached += 1;
                }
            }
        } else if let Some(o) = open.get_mut(inst.current() as usize) {
            *o += 1;
        }
    }

    let mut steps = Vec::with_capacity(n);
    for (i, (step, v)) in def.steps().zip(times.iter_mut()).enumerate() {
        v.sort_unstable();
        let c = v.len() as u64;
        let total: i64 = v.iter().fold(0i64, |a, &b| a.saturating_add(b));
        let (mean, p50, p90, max) = if v.is_empty() {
            (0, 0, 0, 0)
        } else {
            (
                total / c as i64,
                percentile(v, 50),
                percentile(v, 90),
                v.last().copied().unwrap_or_default(),
            )
        };
        let wt = with_target.get(i).copied().unwrap_or_default();
        let br = breached.get(i).copied().unwrap_or_default();
        steps.push(StepStats {
            step: step.id.clone(),
            performer: step.performer.clone(),
            kind: step.kind,
            count: c,
            total_seconds: total,
            mean: duration(mean)?,
            p50: duration(p50)?,
            p90: duration(p90)?,
            max: duration(max)?,
            with_target: wt,
            breached: br,
            breach_share: share(br, wt),
            open: open.get(i).copied().unwrap_or_default(),
        });
    }

    let bottleneck = |s: &StepStats| Bottleneck {
        step: s.step.clone(),
        total_seconds: s.total_seconds,
        breach_share: s.breach_share,
    };
    let mut by_time: Vec<&StepStats> = steps.iter().filter(|s| s.count > 0).collect();
    by_time.sort_by_key(|s| std::cmp::Reverse(s.total_seconds));
    let mut by_breach: Vec<&StepStats> = steps.iter().filter(|s| s.with_target > 0).collect();
    by_breach.sort_by(|a, b| {
        b.breach_share
            .cmp(&a.breach_share)
            .then(b.total_seconds.cmp(&a.total_seconds))
    });

    let mut performers: Vec<PerformerLoad> = Vec::new();
    for s in &steps {
        match performers.iter_mut().find(|p| p.performer == s.performer) {
            Some(p) => {
                p.moves += s.count;
                p.total_seconds = p.total_seconds.saturating_add(s.total_seconds);
                p.open += s.open;
            }
            None => performers.push(PerformerLoad {
                performer: s.performer.clone(),
                moves: s.count,
                total_seconds: s.total_seconds,
                open: s.open,
            }),
        }
    }
    performers.sort_by(|a, b| a.performer.cmp(&b.performer));

    Ok(ProcessReport {
        definition: def.id().clone(),
        version: def.version(),
        instances: count,
        ended,
        moves,
        resolution_with_target: res_with,
        resolution_breached: res_breached,
        resolution_breach_share: share(res_breached, res_with),
        bottlenecks_by_time: by_time.into_iter().map(bottleneck).collect(),
        bottlenecks_by_breach_share: by_breach.into_iter().map(bottleneck).collect(),
        steps,
        performers,
    })
}
