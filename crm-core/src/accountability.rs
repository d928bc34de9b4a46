//! Accountability: which promises were broken or are late, and who was responsible.
//!
//! [`report`] looks at a set of [`Commitment`]s as they stood at an instant `at` and groups
//! them by the party responsible for keeping them (each organisation unit, employee, partner,
//! or the customer): how many were kept on time, kept late, broken, are open past their due
//! time (overdue) or were cancelled; the shares; the broken and overdue ones listed with
//! both who **made** the promise and who was **responsible** (story 2: the travel agent
//! promised, the carrier failed); and the average delay. Every partner gets a
//! [`PartnerScorecard`], both for the promises it was responsible for and for those it made.
//!
//! **As of `at`**: a commitment made after `at` is left out; one kept, broken or cancelled
//! after `at` counts as open at `at`. A closed commitment without `closed_at` counts in its
//! state (it cannot be placed in time), and one kept without `closed_at` as kept on time.
//!
//! **Delay**: kept late, `closed_at - due_at`; overdue, `at - due_at`; broken after its due
//! time, `closed_at - due_at` (shown on the line, not averaged). The average delay is over
//! the commitments kept late and those overdue, in seconds (wall-clock time, since a
//! commitment's due time is an instant). Shares and averages round as
//! [`crate::measures`] does: half to even, shares to 4 places, averages to 2; `None` when
//! nothing divides.

use crate::Instant;
use crate::agreement::{Commitment, CommitmentState, PartyRef};
use crate::error::Result;
use crate::ids::{AgreementId, CommitmentId, CustomerId, PartnerId};
use crate::stats::{Mean, seconds, share};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a commitment stood at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Open, not yet due.
    OpenOnTime,
    /// Open and past its due time.
    Overdue,
    /// Kept by its due time.
    KeptOnTime,
    /// Kept after its due time.
    KeptLate,
    /// Broken.
    Broken,
    /// Cancelled (no longer owed).
    Cancelled,
}

/// Where `c` stood at `at`; `None` when it was made after `at`.
pub fn standing(c: &Commitment, at: Instant) -> Option<Standing> {
    if c.made_at > at {
        return None;
    }
    let closed_by_then = c.closed_at.is_none_or(|t| t <= at);
    Some(match c.state {
        CommitmentState::Kept if closed_by_then => {
            if c.was_kept_late() {
                Standing::KeptLate
            } else {
                Standing::KeptOnTime
            }
        }
        CommitmentState::Broken if closed_by_then => Standing::Broken,
        CommitmentState::Cancelled if closed_by_then => Standing::Cancelled,
        _ if at > c.due_at => Standing::Overdue,
        _ => Standing::OpenOnTime,
    })
}

/// Counts of commitments by their [`Standing`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tally {
    /// Open, not yet due.
    pub open_on_time: u64,
    /// Open and past due.
    pub overdue: u64,
    /// Kept by the due time.
    pub kept_on_time: u64,
    /// Kept after the due time.
    pub kept_late: u64,
    /// Broken.
    pub broken: u64,
    /// Cancelled.
    pub cancelled: u64,
}

impl Tally {
    fn count(&mut self, s: Standing) {
        let n = match s {
            Standing::OpenOnTime => &mut self.open_on_time,
            Standing::Overdue => &mut self.overdue,
            Standing::KeptOnTime => &mut self.kept_on_time,
            Standing::KeptLate => &mut self.kept_late,
            Standing::Broken => &mut self.broken,
            Standing::Cancelled => &mut self.cancelled,
        };
        *n += 1;
    }

    /// All commitments counted.
    pub fn total(&self) -> u64 {
        self.owed() + self.cancelled
    }

    /// All but the cancelled ones: what was owed.
    pub fn owed(&self) -> u64 {
        self.open_on_time + self.overdue + self.kept_on_time + self.kept_late + self.broken
    }

    /// Those whose keeping is settled or already late: kept (on time or late), broken, or
    /// overdue. The base of an on-time share.
    pub fn due(&self) -> u64 {
        self.overdue + self.kept_on_time + self.kept_late + self.broken
    }
}

/// A broken or overdue commitment, as listed in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentLine {
    /// The commitment.
    pub id: CommitmentId,
    /// The customer it was made to.
    pub customer: CustomerId,
    /// The agreement it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// What was promised.
    pub description: String,
    /// Who made the promise.
    pub made_by: PartyRef,
    /// Who had to keep it.
    pub responsible: PartyRef,
    /// When it was made.
    pub made_at: Instant,
    /// When it was due.
    pub due_at: Instant,
    /// Where it stood at the report's instant.
    pub standing: Standing,
    /// When it was closed (broken), if by the report's instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Instant>,
    /// Why it was broken, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    /// How late, in seconds: overdue, until the report's instant; broken, until it was
    /// declared broken (`None` when broken before its due time or at an unknown time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<Decimal>,
}

/// The commitments one party was responsible for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyAccountability {
    /// The responsible party.
    pub responsible: PartyRef,
    /// Its commitments by standing.
    pub counts: Tally,
    /// `broken / owed`.
    pub broken_share: Option<Decimal>,
    /// `overdue / owed`.
    pub overdue_share: Option<Decimal>,
    /// This party's part of all broken commitments in the report.
    pub share_of_all_broken: Option<Decimal>,
    /// This party's part of all overdue commitments in the report.
    pub share_of_all_overdue: Option<Decimal>,
    /// Mean delay of those kept late and those overdue, in seconds.
    pub average_delay_seconds: Option<Decimal>,
    /// The broken ones, by due time then id.
    pub broken: Vec<CommitmentLine>,
    /// The overdue ones, by due time then id.
    pub overdue: Vec<CommitmentLine>,
}

/// How a channel partner keeps the promises it is responsible for, and how the promises it
/// made fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerScorecard {
    /// The partner.
    pub partner: PartnerId,
    /// The commitments it was responsible for, by standing.
    pub responsible: Tally,
    /// `kept_on_time / due` over those (see [`Tally::due`]).
    pub on_time_share: Option<Decimal>,
    /// Mean delay of those kept late and those overdue, in seconds.
    pub average_delay_seconds: Option<Decimal>,
    /// The commitments it made (whoever was responsible), by standing.
    pub made: Tally,
}

/// Broken and overdue commitments by responsible party, with partner scorecards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountabilityReport {
    /// The instant the commitments were looked at.
    pub at: Instant,
    /// All commitments made by then, by standing.
    pub totals: Tally,
    /// Mean delay of all kept late and overdue, in seconds.
    pub average_delay_seconds: Option<Decimal>,
    /// Per responsible party, in [`PartyRef`] order (organisation units, employees,
    /// partners, customers).
    pub parties: Vec<PartyAccountability>,
    /// Per partner that made or was responsible for a commitment, by partner id.
    pub partners: Vec<PartnerScorecard>,
}

const OP: &str = "accountability report";

struct Group {
    counts: Tally,
    delay: Mean,
    broken: Vec<CommitmentLine>,
    overdue: Vec<CommitmentLine>,
}

struct Score {
    responsible: Tally,
    delay: Mean,
    made: Tally,
}

/// The delay of a commitment that stands as `s` at `at`, in seconds, when it is late.
fn delay(c: &Commitment, s: Standing, at: Instant) -> Result<Option<Decimal>> {
    let late_until = match s {
        Standing::Overdue => Some(at),
        Standing::KeptLate | Standing::Broken => c.closed_at.filter(|t| *t > c.due_at),
        _ => None,
    };
    late_until.map(|t| seconds(t - c.due_at)).transpose()
}

fn line(c: &Commitment, s: Standing, delay_seconds: Option<Decimal>) -> CommitmentLine {
    CommitmentLine {
        id: c.id.clone(),
        customer: c.customer.clone(),
        agreement: c.agreement.clone(),
        description: c.description.clone(),
        made_by: c.made_by.clone(),
        responsible: c.responsible.clone(),
        made_at: c.made_at,
        due_at: c.due_at,
        standing: s,
        closed_at: c.closed_at.filter(|_| s == Standing::Broken),
        close_reason: c.close_reason.clone().filter(|_| s == Standing::Broken),
        delay_seconds,
    }
}

/// The accountability report of `commitments` as they stood at `at`. See the
/// [module documentation](self) for the rules.
///
/// Every commitment is checked with [`Commitment::validate`] first: the first that fails is
/// the error. Sums beyond the decimal range are an overflow error.
pub fn report<'a, I>(commitments: I, at: Instant) -> Result<AccountabilityReport>
where
    I: IntoIterator<Item = &'a Commitment>,
{
    let mut totals = Tally::default();
    let mut all_delay = Mean::new(OP);
    let mut groups: BTreeMap<&PartyRef, Group> = BTreeMap::new();
    let mut scores: BTreeMap<&PartnerId, Score> = BTreeMap::new();
    let new_score = || Score {
        responsible: Tally::default(),
        delay: Mean::new(OP),
        made: Tally::default(),
    };

    for c in commitments {
        c.validate()?;
        let Some(s) = standing(c, at) else {
            continue;
        };
        let late = delay(c, s, at)?;
        let averaged = late.filter(|_| matches!(s, Standing::KeptLate | Standing::Overdue));
        totals.count(s);
        if let Some(d) = averaged {
            all_delay.add(d)?;
        }

        let g = groups.entry(&c.responsible).or_insert_with(|| Group {
            counts: Tally::default(),
            delay: Mean::new(OP),
            broken: Vec::new(),
            overdue: Vec::new(),
        });
        g.counts.count(s);
        if let Some(d) = averaged {
            g.delay.add(d)?;
        }
        match s {
            Standing::Broken => g.broken.push(line(c, s, late)),
            Standing::Overdue => g.overdue.push(line(c, s, late)),
            _ => {}
        }

        if let PartyRef::Partner { partner } = &c.responsible {
            let sc = scores.entry(partner).or_insert_with(new_score);
            sc.responsible.count(s);
            if let Some(d) = averaged {
                sc.delay.add(d)?;
            }
        }
        if let PartyRef::Partner { partner } = &c.made_by {
            scores
                .entry(partner)
                .or_insert_with(new_score)
                .made
                .count(s);
        }
    }

    let by_due = |a: &CommitmentLine, b: &CommitmentLine| {
        a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id))
    };
    let parties = groups
        .into_iter()
        .map(|(party, mut g)| {
            g.broken.sort_by(by_due);
            g.overdue.sort_by(by_due);
            PartyAccountability {
                responsible: party.clone(),
                broken_share: share(g.counts.broken, g.counts.owed()),
                overdue_share: share(g.counts.overdue, g.counts.owed()),
                share_of_all_broken: share(g.counts.broken, totals.broken),
                share_of_all_overdue: share(g.counts.overdue, totals.overdue),
                average_delay_seconds: g.delay.value(),
                counts: g.counts,
                broken: g.broken,
                overdue: g.overdue,
            }
        })
        .collect();
    let partners = scores
        .into_iter()
        .map(|(partner, sc)| PartnerScorecard {
            partner: partner.clone(),
            on_time_share: share(sc.responsible.kept_on_time, sc.responsible.due()),
            average_delay_seconds: sc.delay.value(),
            responsible: sc.responsible,
            made: sc.made,
        })
        .collect();

    Ok(AccountabilityReport {
        at,
        totals,
        average_delay_seconds: all_delay.value(),
        parties,
        partners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Instant {
        s.parse().unwrap()
    }

    fn commitment(state: CommitmentState, closed_at: Option<&str>) -> Commitment {
        Commitment {
            id: CommitmentId::new("CM-1").unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            agreement: None,
            description: "call back".into(),
            made_by: PartyRef::Organisation {
                unit: "first_line".into(),
            },
            responsible: PartyRef::Organisation {
                unit: "back_office".into(),
            },
            made_at: t("2026-03-02T09:00:00Z"),
            due_at: t("2026-03-04T09:00:00Z"),
            state,
            closed_at: closed_at.map(t),
            close_reason: None,
        }
    }

    #[test]
    fn standing_is_taken_as_of_the_instant() {
        use CommitmentState::*;
        let before = t("2026-03-01T00:00:00Z");
        let early = t("2026-03-03T00:00:00Z");
        let late = t("2026-03-05T00:00:00Z");
        let open = commitment(Open, None);
        assert_eq!(standing(&open, before), None);
        assert_eq!(standing(&open, early), Some(Standing::OpenOnTime));
        assert_eq!(standing(&open, late), Some(Standing::Overdue));
        let kept_late = commitment(Kept, Some("2026-03-04T12:00:00Z"));
        assert_eq!(standing(&kept_late, early), Some(Standing::OpenOnTime));
        assert_eq!(standing(&kept_late, late), Some(Standing::KeptLate));
        let kept = commitment(Kept, Some("2026-03-03T12:00:00Z"));
        assert_eq!(standing(&kept, late), Some(Standing::KeptOnTime));
        assert_eq!(
            standing(&commitment(Kept, None), late),
            Some(Standing::KeptOnTime)
        );
        let broken = commitment(Broken, Some("2026-03-04T10:00:00Z"));
        assert_eq!(standing(&broken, late), Some(Standing::Broken));
        assert_eq!(
            standing(&broken, t("2026-03-04T09:30:00Z")),
            Some(Standing::Overdue)
        );
        let cancelled = commitment(Cancelled, Some("2026-03-03T00:00:00Z"));
        assert_eq!(standing(&cancelled, late), Some(Standing::Cancelled));
    }

    #[test]
    fn nothing_gives_an_empty_report() {
        let r = report([], t("2026-03-05T00:00:00Z")).unwrap();
        assert_eq!(r.totals.total(), 0);
        assert_eq!(r.average_delay_seconds, None);
        assert!(r.parties.is_empty() && r.partners.is_empty());
    }

    #[test]
    fn an_invalid_commitment_is_refused() {
        let mut c = commitment(CommitmentState::Open, None);
        c.description = String::new();
        let err = report([&c], t("2026-03-05T00:00:00Z")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Validation);
    }
}
