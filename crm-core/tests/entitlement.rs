//! Entitlement checks: story 1, windows, allotments, allowances, reversal, conditions,
//! matching, replay and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod entitlement_support;

use crm_core::agreement::{AmendmentChange, LineAction};
use crm_core::entitlement::{DecisionOutcome, Entitlement, EntitlementKind, ReasonKind, Window};
use crm_core::party::{Channel, Consent};
use crm_core::*;
use entitlement_support::*;

fn has<F: Fn(&ReasonKind) -> bool>(d: &crm_core::entitlement::EntitlementDecision, f: F) -> bool {
    d.reasons.iter().any(|r| f(&r.kind))
}

#[test]
fn story_1_two_replacements_per_rolling_year_then_an_exception() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);

    let d = check(&crm, &r, "2026-03-01T12:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Granted);
    let m = d.matched.as_ref().unwrap();
    assert_eq!(m.entitlement.as_str(), "L1.device_replacement");
    assert_eq!(m.agreement.as_str(), "A1");
    assert_eq!(m.line.as_str(), "L1");
    assert_eq!(d.remaining.as_ref().unwrap().remaining, dec("1"));
    assert!(has(&d, |k| matches!(k, ReasonKind::LineInService { .. })));

    consume(&mut crm, "R1", &r, "2026-03-01T12:00:00Z").unwrap();
    let d = check(&crm, &r, "2026-06-10T09:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Granted);
    assert_eq!(d.remaining.as_ref().unwrap().remaining, dec("0"));
    // a grant says when the window next frees a unit: the oldest counted use leaves it
    assert_eq!(d.next_available, Some(t("2027-03-01T12:00:00Z")));
    consume(&mut crm, "R2", &r, "2026-06-10T09:00:00Z").unwrap();

    // the third is denied, with the date the next one becomes available
    let d = check(&crm, &r, "2026-09-01T08:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, Some(t("2027-03-01T12:00:00Z")));
    let msgs = d.messages().join("\n");
    assert!(
        msgs.contains("quota exhausted: 2 of 2 uses since 2026-03-01 12:00 UTC, next available 2027-03-01 12:00 UTC"),
        "{msgs}"
    );
    let counted = d
        .reasons
        .iter()
        .find_map(|r| match &r.kind {
            ReasonKind::UsageCounted { records, uses, .. } => Some((records.clone(), *uses)),
            _ => None,
        })
        .unwrap();
    assert_eq!(counted.1, 2);
    assert_eq!(
        counted.0.iter().map(UsageId::as_str).collect::<Vec<_>>(),
        ["R1", "R2"]
    );
    // consuming is refused with the reasons and records nothing
    let before = crm.events().unwrap().len();
    let e = consume(&mut crm, "R3", &r, "2026-09-01T08:00:00Z").unwrap_err();
    match &e {
        Error::NotEntitled { what, reasons } => {
            assert!(what.contains("device_replacement"));
            assert!(
                reasons.iter().any(|m| m.contains("quota exhausted")),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(crm.events().unwrap().len(), before);

    // a supervisor approves one more; the decision cites it
    approve(
        &mut crm,
        allow(
            "X1",
            "L1.device_replacement",
            Some("1"),
            "2026-09-01T08:30:00Z",
            Some("2026-10-01T00:00:00Z"),
        ),
        "2026-09-01T08:30:00Z",
    );
    let d = check(&crm, &r, "2026-09-01T09:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::GrantedByException);
    assert_eq!(d.exceptions.len(), 1);
    let x = &d.exceptions[0];
    assert_eq!(x.exception.as_str(), "X1");
    assert_eq!(x.approved_by.as_str(), "supervisor-1");
    assert_eq!(x.until, Some(t("2026-10-01T00:00:00Z")));
    let msgs = d.messages().join("\n");
    assert!(
        msgs.contains("exception X1 approved by supervisor-1 until 2026-10-01 00:00 UTC"),
        "{msgs}"
    );
    consume(&mut crm, "R3", &r, "2026-09-01T09:00:00Z").unwrap();
    let rec = crm.usage(&UsageId::new("R3").unwrap()).unwrap();
    assert_eq!(rec.exceptions[0].as_str(), "X1");
    // the exception's one extra is spent
    let d = check(&crm, &r, "2026-09-02T09:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    // and once it lapses, nothing beyond the quota either
    let d = check(&crm, &r, "2026-10-02T09:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert!(d.exceptions.is_empty());
}

#[test]
fn checking_does_not_consume() {
    let crm = engine();
    let before = state_json(&crm);
    let r = req("device_replacement", Channel::Phone);
    for _ in 0..5 {
        assert!(check(&crm, &r, "2026-03-01T12:00:00Z").is_granted());
    }
    assert_eq!(state_json(&crm), before);
}

#[test]
fn line_status_gates_every_kind() {
    let mut crm = engine();
    crm.execute(&create_agreement(
        "A2",
        "C1",
        &["L2"],
        "2026-01-01T10:00:00Z",
    ))
    .unwrap();
    let r = req("network_access", Channel::Web);
    let mut only_l2 = r.clone();
    only_l2.line = Some(LineId::new("L2").unwrap());
    // L2 is sold but not active
    let d = check(&crm, &only_l2, "2026-02-01T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert!(
        d.messages()[0].contains("line L2 created since 2026-01-01 10:00 UTC"),
        "{:?}",
        d.messages()
    );
    // L1 is active: granted
    assert!(check(&crm, &r, "2026-02-01T00:00:00Z").is_granted());
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::Suspend,
        "2026-02-10T00:00:00Z",
    ))
    .unwrap();
    let mut only_l1 = r.clone();
    only_l1.agreement = Some(AgreementId::new("A1").unwrap());
    let d = check(&crm, &only_l1, "2026-02-11T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("line L1 suspended since 2026-02-10 00:00 UTC")),
        "{:?}",
        d.messages()
    );
    // the past is judged by the status then
    assert!(check(&crm, &only_l1, "2026-02-09T00:00:00Z").is_granted());
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::Resume,
        "2026-02-12T00:00:00Z",
    ))
    .unwrap();
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::RequestTermination,
        "2026-02-13T00:00:00Z",
    ))
    .unwrap();
    // pending termination: still in service
    assert!(check(&crm, &only_l1, "2026-02-14T00:00:00Z").is_granted());
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::Terminate,
        "2026-02-15T00:00:00Z",
    ))
    .unwrap();
    let d = check(&crm, &only_l1, "2026-02-16T00:00:00Z");
    assert!(d.messages().iter().any(|m| m.contains("terminated since")));
    // a denial over several agreements carries every candidate's reasons
    let d = check(&crm, &r, "2026-02-16T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("line L1 terminated"))
    );
    assert!(d.messages().iter().any(|m| m.contains("line L2 created")));
}

#[test]
fn rolling_windows_free_a_use_exactly_when_it_leaves() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);
    consume(&mut crm, "R1", &r, "2026-02-01T00:00:00Z").unwrap();
    consume(&mut crm, "R2", &r, "2026-02-01T00:00:00Z").unwrap();
    let d = check(&crm, &r, "2027-01-31T23:59:59.999999999Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, Some(t("2027-02-01T00:00:00Z")));
    let d = check(&crm, &r, "2027-02-01T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Granted);
    // both left together: both are free again
    assert_eq!(d.remaining.unwrap().remaining, dec("1"));
}

#[test]
fn rolling_365_days_across_a_leap_day() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);
    // 2028 is a leap year: 365 days after 2028-01-10 is 2029-01-09
    consume(&mut crm, "R1", &r, "2028-01-10T12:00:00Z").unwrap();
    consume(&mut crm, "R2", &r, "2028-03-01T12:00:00Z").unwrap();
    let d = check(&crm, &r, "2028-12-31T12:00:00Z");
    assert_eq!(d.next_available, Some(t("2029-01-09T12:00:00Z")));
    // the agreement's term ends 2028-12-31, the line is still active: windows do not care
    assert!(check(&crm, &r, "2029-01-09T12:00:00Z").is_granted());
}

#[test]
fn calendar_months_turn_at_midnight_in_their_zone() {
    let mut crm = engine();
    let r = req("technician_visit", Channel::Phone);
    // five visits in January, Berlin time; the fifth at 23:30 Berlin on 31 January
    for (i, at) in [
        "2026-01-05T09:00:00Z",
        "2026-01-06T09:00:00Z",
        "2026-01-07T09:00:00Z",
        "2026-01-08T09:00:00Z",
        "2026-01-31T22:30:00Z",
    ]
    .iter()
    .enumerate()
    {
        consume(&mut crm, &format!("V{i}"), &r, at).unwrap();
    }
    // 23:59 Berlin on 31 January: denied until midnight Berlin = 23:00 UTC
    let d = check(&crm, &r, "2026-01-31T22:59:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, Some(t("2026-01-31T23:00:00Z")));
    // 00:00 Berlin on 1 February (still January in UTC): a new month
    let d = check(&crm, &r, "2026-01-31T23:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Granted);
    assert_eq!(d.remaining.as_ref().unwrap().used, dec("0"));
    assert_eq!(
        d.remaining.as_ref().unwrap().window.from,
        t("2026-01-31T23:00:00Z")
    );
    // a grant in a calendar window frees at the next period
    assert_eq!(d.next_available, Some(t("2026-02-28T23:00:00Z")));
}

#[test]
fn calendar_months_in_utc_and_month_ends() {
    let mut crm = engine();
    let r = req("goodwill_credit", Channel::Phone);
    let mut eur = r.clone();
    eur.amount = Some(Money::parse("100.00", "EUR").unwrap());
    consume(&mut crm, "G1", &eur, "2026-01-31T23:59:59Z").unwrap();
    let d = check(&crm, &eur, "2026-01-31T23:59:59.5Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, Some(t("2026-02-01T00:00:00Z")));
    assert!(check(&crm, &eur, "2026-02-01T00:00:00Z").is_granted());
    // February 2028 has 29 days
    consume(&mut crm, "G2", &eur, "2028-02-29T23:00:00Z").unwrap();
    let d = check(&crm, &eur, "2028-02-29T23:30:00Z");
    assert_eq!(d.next_available, Some(t("2028-03-01T00:00:00Z")));
}

#[test]
fn calendar_years_and_unit_allowances_consume_partially() {
    let mut crm = engine();
    let mut r = req("roaming_data", Channel::CustomerApp);
    r.quantity = Some(dec("2.5"));
    consume(&mut crm, "D1", &r, "2026-03-01T00:00:00Z").unwrap();
    r.quantity = Some(dec("7.5"));
    let d = check(&crm, &r, "2026-06-01T00:00:00Z");
    assert!(d.is_granted());
    assert_eq!(d.remaining.as_ref().unwrap().remaining, dec("0"));
    assert_eq!(d.remaining.as_ref().unwrap().unit, "GB");
    consume(&mut crm, "D2", &r, "2026-06-01T00:00:00Z").unwrap();
    r.quantity = Some(dec("0.1"));
    let d = check(&crm, &r, "2026-12-31T23:59:59Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, Some(t("2027-01-01T00:00:00Z")));
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("allowance insufficient: 10.0 of 10 GB")),
        "{:?}",
        d.messages()
    );
    assert!(check(&crm, &r, "2027-01-01T00:00:00Z").is_granted());
    // more than the allowance never fits
    r.quantity = Some(dec("10.5"));
    let d = check(&crm, &r, "2027-01-01T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, None);
}

#[test]
fn money_allowances_consume_partially_and_say_what_remains() {
    let mut crm = engine();
    let mut r = req("goodwill_credit", Channel::Phone);
    r.amount = Some(Money::parse("30.00", "EUR").unwrap());
    consume(&mut crm, "G1", &r, "2026-03-02T00:00:00Z").unwrap();
    r.amount = Some(Money::parse("50.00", "EUR").unwrap());
    let d = check(&crm, &r, "2026-03-03T00:00:00Z");
    assert_eq!(
        d.remaining.as_ref().unwrap().remaining_amount,
        Some(Money::parse("20.00", "EUR").unwrap())
    );
    consume(&mut crm, "G2", &r, "2026-03-03T00:00:00Z").unwrap();
    r.amount = Some(Money::parse("20.01", "EUR").unwrap());
    let d = check(&crm, &r, "2026-03-04T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(
        d.remaining.as_ref().unwrap().remaining_amount,
        Some(Money::parse("20.00", "EUR").unwrap())
    );
    r.amount = Some(Money::parse("20.00", "EUR").unwrap());
    consume(&mut crm, "G3", &r, "2026-03-04T00:00:00Z").unwrap();
    let rec = crm.usage(&UsageId::new("G3").unwrap()).unwrap();
    assert_eq!(rec.amount, Some(Money::parse("20.00", "EUR").unwrap()));
}

#[test]
fn per_channel_allotments_cap_a_channel_within_the_quota() {
    let mut crm = engine();
    let branch = req("technician_visit", Channel::Branch);
    let web = req("technician_visit", Channel::Web);
    consume(&mut crm, "V1", &branch, "2026-03-02T09:00:00Z").unwrap();
    consume(&mut crm, "V2", &branch, "2026-03-03T09:00:00Z").unwrap();
    let d = check(&crm, &branch, "2026-03-04T09:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert!(
        d.messages()
            .iter()
            .any(|m| m
                .contains("branch allotment exhausted: 2 of 2 uses since 2026-03-02 09:00 UTC")),
        "{:?}",
        d.messages()
    );
    assert!(has(&d, |k| matches!(
        k,
        ReasonKind::LimitReached {
            channel: Some(Channel::Branch),
            ..
        }
    )));
    // other channels still have the rest of the five
    for i in 0..3 {
        consume(&mut crm, &format!("W{i}"), &web, "2026-03-05T09:00:00Z").unwrap();
    }
    let d = check(&crm, &web, "2026-03-06T09:00:00Z");
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("quota exhausted: 5 of 5"))
    );
    // the next month (Berlin) frees both
    let d = check(&crm, &branch, "2026-03-31T22:00:00Z");
    assert!(d.is_granted(), "{:?}", d.messages());
}

#[test]
fn reversal_gives_the_use_back() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);
    consume(&mut crm, "R1", &r, "2026-03-01T00:00:00Z").unwrap();
    consume(&mut crm, "R2", &r, "2026-03-02T00:00:00Z").unwrap();
    assert!(!check(&crm, &r, "2026-03-03T00:00:00Z").is_granted());
    reverse(&mut crm, "R1", "2026-03-03T00:00:00Z").unwrap();
    let d = check(&crm, &r, "2026-03-03T00:00:00Z");
    assert!(d.is_granted());
    assert_eq!(d.remaining.as_ref().unwrap().used, dec("1"));
    // the reversed use counts nowhere, not even looking back
    let d = check(&crm, &r, "2026-03-01T12:00:00Z");
    assert_eq!(d.remaining.as_ref().unwrap().used, dec("0"));
    // the oldest counted use is now R2: it sets the next available date
    consume(&mut crm, "R3", &r, "2026-03-03T00:00:00Z").unwrap();
    let d = check(&crm, &r, "2026-03-04T00:00:00Z");
    assert_eq!(d.next_available, Some(t("2027-03-02T00:00:00Z")));
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("2 of 2 uses since 2026-03-02 00:00 UTC")),
        "{:?}",
        d.messages()
    );
    let rec = crm.usage(&UsageId::new("R1").unwrap()).unwrap();
    assert_eq!(rec.reversed.as_ref().unwrap().reason, "visit cancelled");
    // twice is refused, as is an unknown use or a reversal dated before the use
    assert_eq!(
        reverse(&mut crm, "R1", "2026-03-04T00:00:00Z")
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidTransition
    );
    assert_eq!(
        reverse(&mut crm, "NOPE", "2026-03-04T00:00:00Z")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        reverse(&mut crm, "R2", "2026-03-01T00:00:00Z")
            .unwrap_err()
            .kind(),
        ErrorKind::Validation
    );
    let usage = crm
        .usage_of(&EntitlementId::new("L1.device_replacement").unwrap())
        .unwrap();
    assert_eq!(usage.len(), 3);
}

#[test]
fn conditions_use_the_standing_from_the_ledger_or_the_host() {
    let crm = engine();
    let mut r = req("repair", Channel::Branch);
    // no standing in the request: the engine derives it from the ledger (nothing owed here)
    let d = check(&crm, &r, "2026-03-01T00:00:00Z");
    assert!(d.is_granted(), "{:?}", d.messages());
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("standing meets the conditions")),
        "{:?}",
        d.messages()
    );
    assert_eq!(
        crm.standing(&CustomerId::new("C1").unwrap(), t("2026-03-01T00:00:00Z"))
            .unwrap()
            .days_overdue,
        0
    );
    r.standing = Some(entitlement::CustomerStanding {
        days_overdue: 45,
        tier: None,
        tier_order: vec![],
    });
    let d = check(&crm, &r, "2026-03-01T00:00:00Z");
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("overdue 45 days, limit 30"))
    );
    r.standing.as_mut().unwrap().days_overdue = 30;
    assert!(check(&crm, &r, "2026-03-01T00:00:00Z").is_granted());

    let mut r = req("lounge", Channel::Branch);
    let order = vec!["bronze".to_string(), "silver".into(), "gold".into()];
    r.standing = Some(entitlement::CustomerStanding {
        days_overdue: 0,
        tier: Some("silver".into()),
        tier_order: order.clone(),
    });
    let d = check(&crm, &r, "2026-03-01T00:00:00Z");
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("tier silver below gold")),
        "{:?}",
        d.messages()
    );
    r.standing.as_mut().unwrap().tier = Some("gold".into());
    let d = check(&crm, &r, "2026-03-01T00:00:00Z");
    assert!(d.is_granted());
    assert!(has(&d, |k| matches!(k, ReasonKind::ConditionsMet { .. })));
    r.standing.as_mut().unwrap().tier = Some("platinum".into());
    let d = check(&crm, &r, "2026-03-01T00:00:00Z");
    assert!(has(&d, |k| matches!(k, ReasonKind::TierUnknown { .. })));
    assert!(!d.is_granted());
}

#[test]
fn expired_and_future_entitlements_are_real_states() {
    let mut crm = engine();
    let r = req("trial_tv", Channel::CustomerApp);
    assert!(check(&crm, &r, "2026-01-20T00:00:00Z").is_granted());
    let d = check(&crm, &r, "2026-02-01T00:00:00Z");
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("expired on 2026-01-31 10:00 UTC")),
        "{:?}",
        d.messages()
    );
    // an entitlement granted by amendment from a future date
    crm.execute(&env(
        "2026-03-01T00:00:00Z",
        Command::AmendAgreement {
            agreement: AgreementId::new("A1").unwrap(),
            changes: vec![AmendmentChange::AddEntitlement {
                entitlement: Entitlement {
                    id: EntitlementId::new("L1.sports").unwrap(),
                    line: LineId::new("L1").unwrap(),
                    code: "sports".into(),
                    kind: EntitlementKind::Quota {
                        uses: 1,
                        window: Window::CalendarMonth {
                            zone: chrono_tz::Tz::UTC,
                        },
                        per_channel: vec![],
                    },
                    conditions: Default::default(),
                    valid_from: t("2026-04-01T00:00:00Z"),
                    valid_to: None,
                },
            }],
            reason: "sports package".into(),
            consent: Some(Consent {
                channel: Channel::Phone,
                at: t("2026-03-01T00:00:00Z"),
            }),
        },
    ))
    .unwrap();
    let s = req("sports", Channel::Web);
    let d = check(&crm, &s, "2026-03-15T00:00:00Z");
    assert!(
        d.messages()
            .iter()
            .any(|m| m.contains("not yet valid until 2026-04-01 00:00 UTC"))
    );
    assert!(check(&crm, &s, "2026-04-01T00:00:00Z").is_granted());
    // looking back before the amendment, the code did not exist on the agreement
    let e = crm
        .check_entitlement(&s, t("2026-02-15T00:00:00Z"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn the_first_granting_line_in_id_order_wins() {
    let mut crm = engine();
    crm.execute(&create_agreement(
        "A2",
        "C1",
        &["L2"],
        "2026-01-02T00:00:00Z",
    ))
    .unwrap();
    activate(&mut crm, "A2", "L2", "2026-01-02T00:00:00Z");
    let r = req("device_replacement", Channel::Branch);
    consume(&mut crm, "R1", &r, "2026-03-01T00:00:00Z").unwrap();
    consume(&mut crm, "R2", &r, "2026-03-02T00:00:00Z").unwrap();
    consume(&mut crm, "R3", &r, "2026-03-03T00:00:00Z").unwrap();
    assert_eq!(
        crm.usage(&UsageId::new("R2").unwrap())
            .unwrap()
            .line
            .as_str(),
        "L1"
    );
    assert_eq!(
        crm.usage(&UsageId::new("R3").unwrap())
            .unwrap()
            .line
            .as_str(),
        "L2"
    );
    // an exception on L1 is not spent while L2 has room
    approve(
        &mut crm,
        allow(
            "X1",
            "L1.device_replacement",
            None,
            "2026-03-01T00:00:00Z",
            None,
        ),
        "2026-03-03T00:00:00Z",
    );
    let d = check(&crm, &r, "2026-03-04T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Granted);
    assert_eq!(d.matched.as_ref().unwrap().line.as_str(), "L2");
    consume(&mut crm, "R4", &r, "2026-03-04T00:00:00Z").unwrap();
    // now only the exception can grant
    let d = check(&crm, &r, "2026-03-05T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::GrantedByException);
    assert_eq!(d.matched.as_ref().unwrap().line.as_str(), "L1");
    assert_eq!(d.exceptions[0].extra, None);
}

#[test]
fn service_levels_come_from_the_entitlement() {
    let mut crm = engine();
    let sl = crm
        .service_level(&c1(), "complaint", "high", t("2026-03-01T00:00:00Z"))
        .unwrap();
    assert_eq!(sl.response, BusinessDuration::from_hours(1).unwrap());
    assert_eq!(sl.resolution, BusinessDuration::from_hours(8).unwrap());
    assert_eq!(sl.source.entitlement.as_str(), "L1.complaint");
    assert_eq!(sl.calendar.as_str(), "office");
    let e = crm
        .service_level(&c1(), "complaint", "urgent", t("2026-03-01T00:00:00Z"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotEntitled);
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::Suspend,
        "2026-03-02T00:00:00Z",
    ))
    .unwrap();
    let e = crm
        .service_level(&c1(), "complaint", "high", t("2026-03-03T00:00:00Z"))
        .unwrap_err();
    assert!(e.to_string().contains("suspended"), "{e}");
}

#[test]
fn bad_input_is_a_typed_error_and_records_nothing() {
    let mut crm = engine();
    consume(
        &mut crm,
        "U1",
        &req("device_replacement", Channel::Web),
        "2026-03-01T00:00:00Z",
    )
    .unwrap();
    let before = state_json(&crm);
    let at = "2026-03-02T00:00:00Z";
    let kind = |crm: &mut Crm, usage: &str, r: &entitlement::EntitlementRequest, at: &str| {
        let c = crm
            .check_entitlement(r, t(at))
            .map(|_| ())
            .unwrap_err()
            .kind();
        let e = consume(crm, usage, r, at).unwrap_err().kind();
        assert_eq!(c, e);
        e
    };
    // unknown customer, unknown code
    let mut r = req("device_replacement", Channel::Web);
    r.customer = CustomerId::new("C404").unwrap();
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::NotFound);
    let r = req("teleportation", Channel::Web);
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::NotFound);
    let r = req("Bad Code", Channel::Web);
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::Validation);
    // zero, negative, fractional uses
    for q in ["0", "-1", "1.5"] {
        let mut r = req("device_replacement", Channel::Web);
        r.quantity = Some(dec(q));
        assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::Validation, "{q}");
    }
    // an allowance of money asked in another currency, or without an amount
    let mut r = req("goodwill_credit", Channel::Web);
    r.amount = Some(Money::parse("10.00", "USD").unwrap());
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::CurrencyMismatch);
    r.amount = None;
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::Validation);
    let mut r = req("goodwill_credit", Channel::Web);
    r.amount = Some(Money::parse("-10.00", "EUR").unwrap());
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::Validation);
    // a request before the agreement exists
    let r = req("device_replacement", Channel::Web);
    assert_eq!(
        kind(&mut crm, "U2", &r, "2025-12-31T00:00:00Z"),
        ErrorKind::Validation
    );
    // a duplicate usage id
    let e = consume(&mut crm, "U1", &r, at).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    // a use dated before the entitlement's latest one
    let e = consume(&mut crm, "U3", &r, "2026-02-28T00:00:00Z").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    // an agreement of another customer
    let mut r = req("device_replacement", Channel::Web);
    r.agreement = Some(AgreementId::new("A404").unwrap());
    assert_eq!(kind(&mut crm, "U2", &r, at), ErrorKind::NotFound);
    assert_eq!(state_json(&crm), before);
}

#[test]
fn replay_rebuilds_usage_byte_for_byte() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);
    consume(&mut crm, "R1", &r, "2026-03-01T00:00:00Z").unwrap();
    consume(&mut crm, "R2", &r, "2026-03-02T00:00:00Z").unwrap();
    reverse(&mut crm, "R1", "2026-03-03T00:00:00Z").unwrap();
    let mut g = req("goodwill_credit", Channel::Phone);
    g.amount = Some(Money::parse("12.50", "EUR").unwrap());
    consume(&mut crm, "G1", &g, "2026-03-04T00:00:00Z").unwrap();
    let events = crm.events().unwrap();
    let json = serde_json::to_string(&events).unwrap();
    let back: Vec<EventEnvelope> = serde_json::from_str(&json).unwrap();
    let reopened = Crm::open(Box::new(InMemoryStore::from_events(back).unwrap())).unwrap();
    assert_eq!(state_json(&reopened), state_json(&crm));
    // the rebuilt index answers the same
    let a = check(&crm, &r, "2026-03-05T00:00:00Z");
    let b = check(&reopened, &r, "2026-03-05T00:00:00Z");
    assert_eq!(a, b);
    // and the state itself round-trips through JSON
    let state: crm_core::engine::CrmState = serde_json::from_str(&state_json(&crm)).unwrap();
    assert_eq!(&state, crm.state());
    // usage events go to the entitlement's stream
    let last = events.last().unwrap();
    assert_eq!(last.stream, "entitlement/L1.goodwill_credit");
    assert_eq!(last.event.tag(), "usage_recorded");
}

#[test]
fn json_in_json_out() {
    let mut crm = engine();
    let cmd = r#"{"meta": {"at": "2026-03-01T12:00:00Z", "actor": "desk-3", "idempotency_key": "req-9"},
      "command": {"type": "consume_entitlement", "usage": "REQ-9",
        "request": {"customer": "C1", "code": "device_replacement", "channel": "branch"}}}"#;
    let out = crm.execute_json(cmd).unwrap();
    assert!(out.contains(r#""type":"usage_recorded""#), "{out}");
    // the idempotent retry returns the same and records nothing more
    assert_eq!(crm.execute_json(cmd).unwrap(), out);
    assert_eq!(
        crm.usage_of(&EntitlementId::new("L1.device_replacement").unwrap())
            .unwrap()
            .len(),
        1
    );
    let request: entitlement::EntitlementRequest = serde_json::from_str(
        r#"{"customer": "C1", "code": "device_replacement", "channel": "branch",
            "standing": {"days_overdue": 0}}"#,
    )
    .unwrap();
    let d = crm
        .check_entitlement(&request, t("2026-03-02T00:00:00Z"))
        .unwrap();
    let json = serde_json::to_string_pretty(&d).unwrap();
    assert!(json.contains(r#""outcome": "granted""#), "{json}");
    assert!(json.contains(r#""type": "usage_counted""#), "{json}");
    let back: entitlement::EntitlementDecision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}

#[test]
fn agreement_term_windows_never_free_up_and_blocked_lines_do_not_promise_a_date() {
    let mut crm = engine();
    let mut r = req("repair", Channel::Branch);
    r.standing = Some(entitlement::CustomerStanding::default());
    for i in 0..3 {
        consume(&mut crm, &format!("P{i}"), &r, "2026-02-01T00:00:00Z").unwrap();
    }
    let d = check(&crm, &r, "2028-12-30T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, None);
    assert!(
        d.messages().iter().any(|m| m.contains("quota exhausted: 3 of 3 uses since 2026-02-01 00:00 UTC, nothing frees up within this window")),
        "{:?}",
        d.messages()
    );
    // a suspended line with an exhausted rolling quota: no date is promised
    let dr = req("device_replacement", Channel::Branch);
    consume(&mut crm, "R1", &dr, "2026-03-01T00:00:00Z").unwrap();
    consume(&mut crm, "R2", &dr, "2026-03-01T00:00:00Z").unwrap();
    assert!(
        check(&crm, &dr, "2026-03-02T00:00:00Z")
            .next_available
            .is_some()
    );
    crm.execute(&line_move(
        "A1",
        "L1",
        LineAction::Suspend,
        "2026-03-02T00:00:00Z",
    ))
    .unwrap();
    let d = check(&crm, &dr, "2026-03-03T00:00:00Z");
    assert_eq!(d.outcome, DecisionOutcome::Denied);
    assert_eq!(d.next_available, None);
}

#[test]
fn an_overview_of_every_entitlement_and_what_remains() {
    let mut crm = engine();
    let r = req("device_replacement", Channel::Branch);
    consume(&mut crm, "R1", &r, "2026-03-01T00:00:00Z").unwrap();
    consume(&mut crm, "R2", &r, "2026-03-02T00:00:00Z").unwrap();
    let all = crm
        .entitlements_of(&c1(), None, t("2026-03-05T00:00:00Z"))
        .unwrap();
    assert_eq!(all.len(), 9);
    let by = |code: &str| all.iter().find(|s| s.code == code).unwrap();
    let dr = by("device_replacement");
    assert!(!dr.usable);
    assert_eq!(dr.remaining.as_ref().unwrap().remaining, dec("0"));
    assert_eq!(dr.next_available, Some(t("2027-03-01T00:00:00Z")));
    assert!(by("network_access").usable);
    let credit = by("goodwill_credit");
    assert!(credit.usable);
    assert_eq!(
        credit.remaining.as_ref().unwrap().remaining_amount,
        Some(Money::parse("100.00", "EUR").unwrap())
    );
    // conditions without a standing fail closed here too
    assert!(!by("lounge").usable);
    assert!(!by("trial_tv").usable);
    let json = serde_json::to_string(&all).unwrap();
    let back: Vec<entitlement::EntitlementStatus> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, all);
}
