//! Accountability on a hand-computed fixture (story 2 among it), and properties that hold for
//! any set of commitments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crm_core::accountability::{CommitmentLine, Standing, Tally, report};
use crm_core::agreement::{Commitment, CommitmentState, PartyRef};
use crm_core::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn at(s: &str) -> Instant {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn unit(u: &str) -> PartyRef {
    PartyRef::Organisation { unit: u.into() }
}

fn partner(p: &str) -> PartyRef {
    PartyRef::Partner {
        partner: PartnerId::new(p).unwrap(),
    }
}

const AGENT: &str = "agent-travelwise";
const CARRIER: &str = "carrier-skyline";

fn c(
    id: &str,
    made_by: PartyRef,
    responsible: PartyRef,
    made_at: &str,
    due_at: &str,
    state: CommitmentState,
    closed_at: Option<&str>,
) -> Commitment {
    Commitment {
        id: CommitmentId::new(id).unwrap(),
        customer: CustomerId::new("C-1").unwrap(),
        agreement: None,
        description: format!("promise {id}"),
        made_by,
        responsible,
        made_at: at(made_at),
        due_at: at(due_at),
        state,
        closed_at: closed_at.map(at),
        close_reason: None,
    }
}

/// The report is taken at 2026-03-10T00:00Z.
fn fixture() -> Vec<Commitment> {
    use CommitmentState::*;
    let made = "2026-03-01T00:00:00Z";
    let mut meal = c(
        "CM-01",
        partner(AGENT),
        partner(CARRIER),
        made,
        "2026-03-05T10:00:00Z",
        Broken,
        Some("2026-03-05T12:00:00Z"),
    );
    meal.description = "special meal on flight SK 123".into();
    meal.close_reason = Some("meal not loaded".into());
    vec![
        // Story 2: the agent promised, the carrier broke it 2 h after its due time.
        meal,
        // kept on time by the carrier
        c(
            "CM-02",
            partner(AGENT),
            partner(CARRIER),
            made,
            "2026-03-06T10:00:00Z",
            Kept,
            Some("2026-03-06T09:00:00Z"),
        ),
        // kept 6 h late by the carrier
        c(
            "CM-03",
            partner(AGENT),
            partner(CARRIER),
            made,
            "2026-03-07T00:00:00Z",
            Kept,
            Some("2026-03-07T06:00:00Z"),
        ),
        // a callback, overdue by 1 day
        c(
            "CM-04",
            unit("first_line"),
            unit("back_office"),
            made,
            "2026-03-09T00:00:00Z",
            Open,
            None,
        ),
        // not yet due
        c(
            "CM-05",
            PartyRef::Employee {
                employee: ActorId::new("E-1").unwrap(),
            },
            unit("back_office"),
            made,
            "2026-03-12T00:00:00Z",
            Open,
            None,
        ),
        // the carrier is 2 days late
        c(
            "CM-06",
            unit("first_line"),
            partner(CARRIER),
            made,
            "2026-03-08T00:00:00Z",
            Open,
            None,
        ),
        // the agent's own promise, kept on time
        c(
            "CM-07",
            partner(AGENT),
            partner(AGENT),
            made,
            "2026-03-03T00:00:00Z",
            Kept,
            Some("2026-03-02T00:00:00Z"),
        ),
        // cancelled
        c(
            "CM-08",
            unit("first_line"),
            unit("back_office"),
            made,
            "2026-03-05T00:00:00Z",
            Cancelled,
            Some("2026-03-04T00:00:00Z"),
        ),
        // made after the report's instant: left out
        c(
            "CM-09",
            unit("first_line"),
            unit("back_office"),
            "2026-03-11T00:00:00Z",
            "2026-03-12T00:00:00Z",
            Open,
            None,
        ),
        // broken before it was due: no delay
        c(
            "CM-10",
            unit("first_line"),
            unit("back_office"),
            "2026-02-28T00:00:00Z",
            "2026-03-05T00:00:00Z",
            Broken,
            Some("2026-03-01T00:00:00Z"),
        ),
        // the customer's loan-device return: kept after the report's instant, so overdue
        // by 2 days at it
        c(
            "CM-11",
            unit("first_line"),
            PartyRef::Customer {
                customer: CustomerId::new("C-1").unwrap(),
            },
            made,
            "2026-03-08T00:00:00Z",
            Kept,
            Some("2026-03-11T00:00:00Z"),
        ),
    ]
}

fn tally(open: u64, overdue: u64, on_time: u64, late: u64, broken: u64, cancelled: u64) -> Tally {
    Tally {
        open_on_time: open,
        overdue,
        kept_on_time: on_time,
        kept_late: late,
        broken,
        cancelled,
    }
}

#[test]
fn the_fixture_reports_as_computed_by_hand() {
    let r = report(&fixture(), at("2026-03-10T00:00:00Z")).unwrap();
    assert_eq!(r.totals, tally(1, 3, 2, 1, 2, 1));
    // Kept late 21 600 s; overdue 86 400, 172 800, 172 800: 453 600 / 4.
    assert_eq!(r.average_delay_seconds, Some(dec("113400")));

    let names: Vec<String> = r
        .parties
        .iter()
        .map(|p| p.responsible.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "organisation unit back_office",
            "partner agent-travelwise",
            "partner carrier-skyline",
            "customer C-1"
        ]
    );

    let back = &r.parties[0];
    assert_eq!(back.counts, tally(1, 1, 0, 0, 1, 1));
    assert_eq!(back.broken_share, Some(dec("0.3333")));
    assert_eq!(back.overdue_share, Some(dec("0.3333")));
    assert_eq!(back.share_of_all_broken, Some(dec("0.5")));
    assert_eq!(back.share_of_all_overdue, Some(dec("0.3333")));
    assert_eq!(back.average_delay_seconds, Some(dec("86400")));
    assert_eq!(back.broken.len(), 1);
    assert_eq!(back.broken[0].id.as_str(), "CM-10");
    assert_eq!(back.broken[0].delay_seconds, None);
    assert_eq!(back.overdue[0].id.as_str(), "CM-04");
    assert_eq!(back.overdue[0].delay_seconds, Some(dec("86400")));

    let agent = &r.parties[1];
    assert_eq!(agent.counts, tally(0, 0, 1, 0, 0, 0));
    assert_eq!(agent.broken_share, Some(dec("0")));
    assert_eq!(agent.share_of_all_broken, Some(dec("0")));
    assert_eq!(agent.average_delay_seconds, None);

    let carrier = &r.parties[2];
    assert_eq!(carrier.counts, tally(0, 1, 1, 1, 1, 0));
    assert_eq!(carrier.broken_share, Some(dec("0.25")));
    assert_eq!(carrier.overdue_share, Some(dec("0.25")));
    assert_eq!(carrier.share_of_all_broken, Some(dec("0.5")));
    // (21 600 + 172 800) / 2
    assert_eq!(carrier.average_delay_seconds, Some(dec("97200")));

    let customer = &r.parties[3];
    assert_eq!(customer.counts, tally(0, 1, 0, 0, 0, 0));
    assert_eq!(customer.overdue[0].delay_seconds, Some(dec("172800")));
    // Closed after the report's instant: shown as it stood then.
    assert_eq!(customer.overdue[0].standing, Standing::Overdue);
    assert_eq!(customer.overdue[0].closed_at, None);

    // Partner scorecards.
    let agent = &r.partners[0];
    assert_eq!(agent.partner.as_str(), AGENT);
    assert_eq!(agent.responsible, tally(0, 0, 1, 0, 0, 0));
    assert_eq!(agent.on_time_share, Some(dec("1")));
    assert_eq!(agent.made, tally(0, 0, 2, 1, 1, 0));
    let carrier = &r.partners[1];
    assert_eq!(carrier.partner.as_str(), CARRIER);
    assert_eq!(carrier.responsible, tally(0, 1, 1, 1, 1, 0));
    assert_eq!(carrier.on_time_share, Some(dec("0.25")));
    assert_eq!(carrier.average_delay_seconds, Some(dec("97200")));
    assert_eq!(carrier.made, Tally::default());
}

#[test]
fn story_2_the_record_shows_who_promised_and_who_failed() {
    let r = report(&fixture(), at("2026-03-10T00:00:00Z")).unwrap();
    let carrier = r
        .parties
        .iter()
        .find(|p| p.responsible == partner(CARRIER))
        .unwrap();
    let meal = &carrier.broken[0];
    assert_eq!(meal.id.as_str(), "CM-01");
    assert_eq!(meal.made_by, partner(AGENT));
    assert_eq!(meal.responsible, partner(CARRIER));
    assert_eq!(meal.description, "special meal on flight SK 123");
    assert_eq!(meal.close_reason.as_deref(), Some("meal not loaded"));
    assert_eq!(meal.delay_seconds, Some(dec("7200")));
    let json = serde_json::to_value(meal).unwrap();
    assert_eq!(
        json["made_by"],
        serde_json::json!({"type": "partner", "partner": AGENT})
    );
    assert_eq!(
        json["responsible"],
        serde_json::json!({"type": "partner", "partner": CARRIER})
    );
    assert_eq!(json["standing"], "broken");
    assert_eq!(json["delay_seconds"], "7200");
}

#[test]
fn the_same_commitments_earlier_stand_differently() {
    // On 2026-03-05T11:00Z the meal was overdue, not yet broken, and CM-03 still open.
    let r = report(&fixture(), at("2026-03-05T11:00:00Z")).unwrap();
    let carrier = &r.partners[1];
    assert_eq!(carrier.responsible, tally(3, 1, 0, 0, 0, 0));
    assert_eq!(carrier.average_delay_seconds, Some(dec("3600")));
}

/// The fenced json block that follows `<!-- marker -->` in docs/interactions.md.
fn doc_block(marker: &str) -> String {
    const PAGE: &str = include_str!("../../docs/interactions.md");
    let tag = format!("<!-- {marker} -->");
    let after = PAGE.split_once(&tag).expect("marker on the page").1;
    let body = after.split_once("```json").expect("a json block").1;
    body.split_once("```")
        .expect("a closed block")
        .0
        .to_string()
}

#[test]
fn the_documented_line_is_the_story_2_line() {
    let r = report(&fixture(), at("2026-03-10T00:00:00Z")).unwrap();
    let documented: CommitmentLine = serde_json::from_str(&doc_block("commitment_line")).unwrap();
    assert_eq!(documented, r.parties[2].broken[0]);
}

fn parties() -> Vec<PartyRef> {
    vec![
        unit("first_line"),
        unit("back_office"),
        PartyRef::Employee {
            employee: ActorId::new("E-1").unwrap(),
        },
        partner(AGENT),
        partner(CARRIER),
        PartyRef::Customer {
            customer: CustomerId::new("C-1").unwrap(),
        },
    ]
}

prop_compose! {
    fn arb_commitment(n: usize)(
        maker in 0usize..6,
        responsible in 0usize..6,
        made in 0i64..1_000,
        due_after in 0i64..500,
        state in 0usize..4,
        closed_after in proptest::option::of(0i64..1_000),
    ) -> Commitment {
        use CommitmentState::*;
        let base = at("2026-03-01T00:00:00Z");
        let hours = chrono::TimeDelta::hours;
        let made_at = base + hours(made);
        let state = [Open, Kept, Broken, Cancelled][state];
        Commitment {
            id: CommitmentId::new(format!("CM-{n}")).unwrap(),
            customer: CustomerId::new("C-1").unwrap(),
            agreement: None,
            description: "generated".into(),
            made_by: parties()[maker].clone(),
            responsible: parties()[responsible].clone(),
            made_at,
            due_at: made_at + hours(due_after),
            state,
            closed_at: if state == Open { None } else { closed_after.map(|h| made_at + hours(h)) },
            close_reason: None,
        }
    }
}

fn in_unit(s: Option<Decimal>) -> bool {
    s.is_none_or(|s| s >= Decimal::ZERO && s <= Decimal::ONE)
}

proptest! {
    #[test]
    fn groups_partition_the_commitments(
        commitments in (0usize..40).prop_flat_map(|n| (0..n).map(arb_commitment).collect::<Vec<_>>()),
        when in 0i64..1_600,
    ) {
        let t = at("2026-03-01T00:00:00Z") + chrono::TimeDelta::hours(when);
        let r = report(&commitments, t).unwrap();
        let made_by_then = commitments.iter().filter(|c| c.made_at <= t).count() as u64;
        prop_assert_eq!(r.totals.total(), made_by_then);
        let mut sum = Tally::default();
        for p in &r.parties {
            sum.open_on_time += p.counts.open_on_time;
            sum.overdue += p.counts.overdue;
            sum.kept_on_time += p.counts.kept_on_time;
            sum.kept_late += p.counts.kept_late;
            sum.broken += p.counts.broken;
            sum.cancelled += p.counts.cancelled;
            prop_assert_eq!(p.broken.len() as u64, p.counts.broken);
            prop_assert_eq!(p.overdue.len() as u64, p.counts.overdue);
            prop_assert!(p.counts.total() > 0);
            for s in [p.broken_share, p.overdue_share, p.share_of_all_broken, p.share_of_all_overdue] {
                prop_assert!(in_unit(s), "{s:?}");
            }
            for l in p.broken.iter().chain(&p.overdue) {
                prop_assert_eq!(&l.responsible, &p.responsible);
                prop_assert!(l.delay_seconds.is_none_or(|d| d > Decimal::ZERO));
            }
        }
        prop_assert_eq!(sum, r.totals);
        if r.totals.broken > 0 {
            let shares: Decimal = r.parties.iter().filter_map(|p| p.share_of_all_broken).sum();
            let slack = Decimal::new(1, 4) * Decimal::from(r.parties.len() as u64);
            prop_assert!((shares - Decimal::ONE).abs() <= slack, "{shares}");
        }
        for s in &r.partners {
            prop_assert!(in_unit(s.on_time_share));
            let as_party = r.parties.iter().find(|p| p.responsible == PartyRef::Partner { partner: s.partner.clone() });
            prop_assert_eq!(as_party.map(|p| p.counts).unwrap_or_default(), s.responsible);
        }
        let made_by_partners: u64 = r.partners.iter().map(|s| s.made.total()).sum();
        let expected = commitments.iter()
            .filter(|c| c.made_at <= t && matches!(c.made_by, PartyRef::Partner { .. }))
            .count() as u64;
        prop_assert_eq!(made_by_partners, expected);
    }
}
