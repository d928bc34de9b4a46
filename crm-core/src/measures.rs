//! Service measures over a period: how contacts were answered and handled, how processes kept
//! their SLA, and what customers said. Quality as well as quantity.
//!
//! [`measure`] takes interactions, process instances, a period and a [`MeasureFilter`] (per
//! channel, queue or performer) and returns [`ServiceMeasures`]. Everything is exact
//! [`Decimal`]; nothing is floating point. Definitions and rounding (see also
//! `docs/interactions.md`):
//!
//! - **In scope**: interactions that started in the period (`[start, end)`) and match the
//!   filter.
//! - **Offered** (inbound contacts that were answered or abandoned) = **answered** +
//!   **abandoned**; an inbound contact neither answered nor ended yet is **waiting** and not
//!   yet offered. Answered and abandoned shares are over offered.
//! - **Average speed of answer**: mean of `answered_at - started_at` over answered inbound
//!   contacts. **Average handling time**: mean of `ended_at - answered_at` over **handled**
//!   contacts (answered and ended, either direction). Both in elapsed seconds (a caller waits
//!   in wall-clock time, not business time).
//! - **One-touch resolution share** and **transfer share** (warm + cold): over handled
//!   contacts, by their outcome.
//! - **SLA compliance share**: process instances that ended in the period with a resolution
//!   target; met when the business time counted toward the target (wait steps excluded) is
//!   not above it ([`SlaState::classify`], as the instance's own status and the process
//!   analytics judge it). With a filter, an instance counts only when an interaction matching
//!   the filter (at any time) links to it.
//! - **CSAT**: mean score (1 to 5) and the count per score; **NPS**: promoters (9, 10) minus
//!   detractors (0 to 6), as a share of answers, times 100 (from -100 to 100).
//!
//! Rounding is half to even: shares to [`SHARE_DECIMALS`] places, averages (seconds,
//! scores, sentiment) and the NPS to [`AVERAGE_DECIMALS`] places; results are normalized (no
//! trailing zeros). A share or an average with nothing to divide by is `None`, never zero
//! and never a division by zero.

use crate::calendar::TimeRange;
use crate::error::Result;
use crate::ids::{ActorId, InstanceId};
use crate::interaction::{CSAT_MAX, CSAT_MIN, Direction, Interaction, InteractionOutcome};
use crate::party::Channel;
use crate::process::{ProcessInstance, SlaState};
use crate::stats::{Mean, round, seconds, share};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub use crate::stats::{AVERAGE_DECIMALS, SHARE_DECIMALS};

/// Which interactions to measure: all, or those of one channel, queue or performer (the
/// conditions given must all hold).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureFilter {
    /// Only contacts on this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Only contacts that came through this queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Only contacts handled by this performer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performer: Option<ActorId>,
}

impl MeasureFilter {
    /// Every interaction.
    pub fn all() -> Self {
        MeasureFilter::default()
    }

    /// The same filter, restricted to `channel`.
    pub fn with_channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }

    /// The same filter, restricted to `queue`.
    pub fn with_queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }

    /// The same filter, restricted to `performer`.
    pub fn with_performer(mut self, performer: ActorId) -> Self {
        self.performer = Some(performer);
        self
    }

    /// True when the filter lets everything through.
    pub fn is_all(&self) -> bool {
        self.channel.is_none() && self.queue.is_none() && self.performer.is_none()
    }

    /// True when `interaction` passes the filter.
    pub fn matches(&self, interaction: &Interaction) -> bool {
        self.channel.is_none_or(|c| c == interaction.channel)
            && self
                .queue
                .as_ref()
                .is_none_or(|q| interaction.queue.as_ref() == Some(q))
            && self
                .performer
                .as_ref()
                .is_none_or(|p| interaction.performer.as_ref() == Some(p))
    }
}

/// SLA compliance of the process instances that ended in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCompliance {
    /// Instances that ended in the period with a resolution target.
    pub with_target: u64,
    /// Of which resolved within the target.
    pub met: u64,
    /// Of which took longer than the target.
    pub breached: u64,
    /// `met / with_target`.
    pub share: Option<Decimal>,
}

/// Customer satisfaction answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsatMeasure {
    /// Answers given.
    pub responses: u64,
    /// Mean score.
    pub average: Option<Decimal>,
    /// Answers per score: position 0 counts the 1s, position 4 the 5s.
    pub distribution: [u64; 5],
}

/// Net-promoter answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsMeasure {
    /// Answers given.
    pub responses: u64,
    /// Answers of 9 or 10.
    pub promoters: u64,
    /// Answers of 7 or 8.
    pub passives: u64,
    /// Answers of 0 to 6.
    pub detractors: u64,
    /// `(promoters - detractors) / responses × 100`, from -100 to 100.
    pub score: Option<Decimal>,
}

/// The service measures of a period. See the [module documentation](self) for definitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceMeasures {
    /// The period measured.
    pub period: TimeRange,
    /// The filter applied.
    pub filter: MeasureFilter,
    /// Interactions in scope (started in the period and matching the filter).
    pub contacts: u64,
    /// Of which inbound.
    pub inbound: u64,
    /// Of which outbound.
    pub outbound: u64,
    /// Inbound contacts answered or abandoned.
    pub offered: u64,
    /// Inbound contacts answered.
    pub answered: u64,
    /// Inbound contacts that ended unanswered.
    pub abandoned: u64,
    /// Inbound contacts neither answered nor ended yet (not counted as offered).
    pub waiting: u64,
    /// `answered / offered`.
    pub answered_share: Option<Decimal>,
    /// `abandoned / offered`.
    pub abandoned_share: Option<Decimal>,
    /// Mean wait of answered inbound contacts, in seconds.
    pub average_speed_of_answer_seconds: Option<Decimal>,
    /// Contacts answered and ended, either direction.
    pub handled: u64,
    /// Mean handling time (answer to end) of handled contacts, in seconds.
    pub average_handling_time_seconds: Option<Decimal>,
    /// Handled contacts resolved in that one contact.
    pub resolved_first_contact: u64,
    /// `resolved_first_contact / handled`.
    pub one_touch_resolution_share: Option<Decimal>,
    /// Handled contacts transferred warm.
    pub transferred_warm: u64,
    /// Handled contacts transferred cold.
    pub transferred_cold: u64,
    /// `(transferred_warm + transferred_cold) / handled`.
    pub transfer_share: Option<Decimal>,
    /// Handled contacts that ended with a follow-up to do.
    pub follow_up_needed: u64,
    /// Interactions in scope with a sentiment.
    pub sentiment_count: u64,
    /// Their mean sentiment (-1 to 1).
    pub average_sentiment: Option<Decimal>,
    /// SLA compliance of the process instances that ended in the period.
    pub sla: SlaCompliance,
    /// Customer satisfaction.
    pub csat: CsatMeasure,
    /// Net promoter score.
    pub nps: NpsMeasure,
}

/// Measures `interactions` and `instances` over `period`, restricted by `filter`.
///
/// Every interaction is checked with [`Interaction::validate`] first (measures of
/// contradictory records would be wrong): the first that fails is the error. An arithmetic
/// overflow (sums beyond the decimal range) is an overflow error. Empty inputs give zero
/// counts and `None` shares and averages.
pub fn measure<'a, I, P>(
    interactions: I,
    instances: P,
    period: &TimeRange,
    filter: &MeasureFilter,
) -> Result<ServiceMeasures>
where
    I: IntoIterator<Item = &'a Interaction>,
    P: IntoIterator<Item = &'a ProcessInstance>,
{
    let mut m = ServiceMeasures {
        period: *period,
        filter: filter.clone(),
        contacts: 0,
        inbound: 0,
        outbound: 0,
        offered: 0,
        answered: 0,
        abandoned: 0,
        waiting: 0,
        answered_share: None,
        abandoned_share: None,
        average_speed_of_answer_seconds: None,
        handled: 0,
        average_handling_time_seconds: None,
        resolved_first_contact: 0,
        one_touch_resolution_share: None,
        transferred_warm: 0,
        transferred_cold: 0,
        transfer_share: None,
        follow_up_needed: 0,
        sentiment_count: 0,
        average_sentiment: None,
        sla: SlaCompliance::default(),
        csat: CsatMeasure::default(),
        nps: NpsMeasure::default(),
    };
    let op = "service measures";
    let (mut asa, mut aht, mut sentiment, mut csat) =
        (Mean::new(op), Mean::new(op), Mean::new(op), Mean::new(op));
    // Instances linked to an interaction that passes the filter (used only with a filter).
    let mut linked: BTreeSet<&InstanceId> = BTreeSet::new();

    for i in interactions {
        i.validate()?;
        if !filter.matches(i) {
            continue;
        }
        if let Some(p) = &i.process {
            linked.insert(p);
        }
        if !period.contains(i.started_at) {
            continue;
        }
        m.contacts += 1;
        match i.direction {
            Direction::Outbound => m.outbound += 1,
            Direction::Inbound => {
                m.inbound += 1;
                if let Some(wait) = i.wait() {
                    m.answered += 1;
                    asa.add(seconds(wait)?)?;
                } else if i.is_abandoned() {
                    m.abandoned += 1;
                } else {
                    m.waiting += 1;
                }
            }
        }
        if let Some(handling) = i.handling() {
            m.handled += 1;
            aht.add(seconds(handling)?)?;
            match i.outcome {
                Some(InteractionOutcome::ResolvedFirstContact) => m.resolved_first_contact += 1,
                Some(InteractionOutcome::TransferredWarm) => m.transferred_warm += 1,
                Some(InteractionOutcome::TransferredCold) => m.transferred_cold += 1,
                Some(InteractionOutcome::FollowUpNeeded) => m.follow_up_needed += 1,
                Some(InteractionOutcome::Abandoned) | None => {}
            }
        }
        if let Some(s) = i.sentiment {
            sentiment.add(s)?;
        }
        if let Some(score) = i.feedback.csat {
            csat.add(Decimal::from(score))?;
            let slot = usize::try_from(score - CSAT_MIN).ok();
            if let Some(n) = slot.and_then(|s| m.csat.distribution.get_mut(s))
                && score <= CSAT_MAX
            {
                *n += 1;
            }
        }
        if let Some(score) = i.feedback.nps {
            m.nps.responses += 1;
            match score {
                9.. => m.nps.promoters += 1,
                7 | 8 => m.nps.passives += 1,
                _ => m.nps.detractors += 1,
            }
        }
    }

    for inst in instances {
        let Some(ended) = inst.ended_at() else {
            continue;
        };
        if !period.contains(ended) || (!filter.is_all() && !linked.contains(inst.id())) {
            continue;
        }
        let Some(target) = &inst.sla().resolution else {
            continue;
        };
        m.sla.with_target += 1;
        match SlaState::classify(
            inst.active_time(),
            target.target,
            inst.sla().at_risk_percent,
            true,
        ) {
            SlaState::Breached => m.sla.breached += 1,
            _ => m.sla.met += 1,
        }
    }

    m.offered = m.answered + m.abandoned;
    m.answered_share = share(m.answered, m.offered);
    m.abandoned_share = share(m.abandoned, m.offered);
    m.average_speed_of_answer_seconds = asa.value();
    m.average_handling_time_seconds = aht.value();
    m.one_touch_resolution_share = share(m.resolved_first_contact, m.handled);
    m.transfer_share = share(m.transferred_warm + m.transferred_cold, m.handled);
    m.sentiment_count = sentiment.count();
    m.average_sentiment = sentiment.value();
    m.sla.share = share(m.sla.met, m.sla.with_target);
    m.csat.responses = csat.count();
    m.csat.average = csat.value();
    m.nps.score = nps_score(&m.nps);
    Ok(m)
}

fn nps_score(n: &NpsMeasure) -> Option<Decimal> {
    let net = Decimal::from(n.promoters).checked_sub(Decimal::from(n.detractors))?;
    let hundred = net.checked_mul(Decimal::ONE_HUNDRED)?;
    hundred
        .checked_div(Decimal::from(n.responses))
        .map(|d| round(d, AVERAGE_DECIMALS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Instant;
    use crate::ids::{CustomerId, InteractionId};
    use crate::interaction::Feedback;

    fn at(s: &str) -> Instant {
        s.parse().unwrap()
    }

    fn march() -> TimeRange {
        TimeRange::new(at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z")).unwrap()
    }

    fn inbound(id: &str, start: &str) -> Interaction {
        Interaction {
            id: InteractionId::new(id).unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            channel: Channel::Chat,
            direction: Direction::Inbound,
            purpose: None,
            kind: "question".into(),
            started_at: at(start),
            answered_at: None,
            ended_at: None,
            summary: "asked about roaming".into(),
            performer: None,
            queue: None,
            sentiment: None,
            feedback: Feedback::default(),
            outcome: None,
            process: None,
            commitments: vec![],
        }
    }

    #[test]
    fn nothing_to_measure_gives_zeros_and_nones() {
        let m = measure([], [], &march(), &MeasureFilter::all()).unwrap();
        assert_eq!(m.contacts, 0);
        assert_eq!(m.offered, 0);
        assert_eq!(m.answered_share, None);
        assert_eq!(m.average_speed_of_answer_seconds, None);
        assert_eq!(m.sla.share, None);
        assert_eq!(m.csat.average, None);
        assert_eq!(m.nps.score, None);
        assert_eq!(m.csat.distribution, [0; 5]);
    }

    #[test]
    fn a_waiting_contact_is_not_yet_offered_and_out_of_period_ones_are_ignored() {
        let waiting = inbound("I-1", "2026-03-02T09:00:00Z");
        let before = inbound("I-2", "2026-02-28T09:00:00Z");
        let m = measure([&waiting, &before], [], &march(), &MeasureFilter::all()).unwrap();
        assert_eq!((m.contacts, m.inbound, m.waiting, m.offered), (1, 1, 1, 0));
    }

    #[test]
    fn sub_second_waits_are_exact_and_rounded_half_even() {
        let mut a = inbound("I-1", "2026-03-02T09:00:00Z");
        a.answered_at = Some(at("2026-03-02T09:00:00.125Z"));
        let mut b = inbound("I-2", "2026-03-02T09:00:00Z");
        b.answered_at = Some(at("2026-03-02T09:00:00.000Z"));
        // Mean 0.0625 s: to two places, half to even, 0.06.
        let m = measure([&a, &b], [], &march(), &MeasureFilter::all()).unwrap();
        assert_eq!(
            m.average_speed_of_answer_seconds,
            Some(Decimal::new(6, 2)),
            "{m:?}"
        );
    }

    #[test]
    fn an_invalid_interaction_is_refused() {
        let mut bad = inbound("I-1", "2026-03-02T09:00:00Z");
        bad.sentiment = Some(Decimal::TWO);
        let err = measure([&bad], [], &march(), &MeasureFilter::all()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Validation);
    }

    #[test]
    fn filters_combine() {
        let mut i = inbound("I-1", "2026-03-02T09:00:00Z");
        i.queue = Some("first_line".into());
        i.performer = Some(ActorId::new("agent-1").unwrap());
        let f = MeasureFilter::all().with_channel(Channel::Chat);
        assert!(f.matches(&i) && !f.is_all());
        assert!(f.clone().with_queue("first_line").matches(&i));
        assert!(!f.clone().with_queue("back_office").matches(&i));
        assert!(
            !f.with_performer(ActorId::new("agent-2").unwrap())
                .matches(&i)
        );
        assert!(
            !MeasureFilter::all()
                .with_channel(Channel::Phone)
                .matches(&i)
        );
    }
}
