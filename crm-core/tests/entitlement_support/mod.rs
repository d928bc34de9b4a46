//! Helpers shared by the entitlement tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crm_core::agreement::{
    Exception, ExceptionEffect, ExceptionScope, LineAction, NewLine, SoldThrough, Term,
};
use crm_core::catalog::Offering;
use crm_core::entitlement::{EntitlementDecision, EntitlementRequest};
use crm_core::party::{Channel, Consent, Customer};
use crm_core::*;
use rust_decimal::Decimal;

pub fn t(s: &str) -> Instant {
    s.parse().unwrap()
}

pub fn env(at: &str, command: Command) -> CommandEnvelope {
    CommandEnvelope {
        meta: Metadata::new(t(at), ActorId::new("clerk-1").unwrap()),
        command,
    }
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A plan whose sale grants one entitlement of every kind.
pub const PLAN: &str = r#"{
  "id": "PLAN", "name": "Mobile plan with extras", "kind": {"type": "service"},
  "entitlements": [
    {"code": "device_replacement",
     "kind": {"type": "quota", "uses": 2, "window": {"type": "rolling_days", "days": 365}}},
    {"code": "network_access", "kind": {"type": "access"}},
    {"code": "technician_visit",
     "kind": {"type": "quota", "uses": 5, "window": {"type": "calendar_month", "zone": "Europe/Berlin"},
              "per_channel": [{"channel": "branch", "max_uses": 2}]}},
    {"code": "goodwill_credit",
     "kind": {"type": "money_allowance", "amount": {"amount": "100.00", "currency": "EUR"},
              "window": {"type": "calendar_month"}}},
    {"code": "roaming_data",
     "kind": {"type": "unit_allowance", "units": "10", "unit": "GB", "window": {"type": "calendar_year"}}},
    {"code": "complaint",
     "kind": {"type": "service_level", "calendar": "office",
              "targets": [{"priority": "high", "response": {"seconds": 3600}, "resolution": {"seconds": 28800}},
                          {"priority": "normal", "response": {"seconds": 14400}, "resolution": {"seconds": 144000}}]}},
    {"code": "lounge", "kind": {"type": "access"}, "conditions": {"min_tier": "gold"}},
    {"code": "repair", "kind": {"type": "quota", "uses": 3, "window": {"type": "agreement_term"}},
     "conditions": {"max_days_overdue": 30}},
    {"code": "trial_tv", "kind": {"type": "access"}, "valid_days": 30}
  ]
}"#;

pub fn plan() -> Offering {
    serde_json::from_str(PLAN).unwrap()
}

pub fn c1() -> CustomerId {
    CustomerId::new("C1").unwrap()
}

pub fn customer(id: &str) -> Customer {
    Customer {
        id: CustomerId::new(id).unwrap(),
        name: format!("Customer {id}"),
        contact_points: vec![],
        consents: vec![],
    }
}

pub fn create_agreement(id: &str, customer: &str, lines: &[&str], at: &str) -> CommandEnvelope {
    env(
        at,
        Command::CreateAgreement {
            agreement: AgreementId::new(id).unwrap(),
            customer: CustomerId::new(customer).unwrap(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: "2026-01-01".parse().unwrap(),
                end: Some("2028-12-31".parse().unwrap()),
                auto_renew: false,
            },
            lines: lines
                .iter()
                .map(|l| NewLine {
                    id: LineId::new(*l).unwrap(),
                    offering: OfferingId::new("PLAN").unwrap(),
                    quantity: 1,
                })
                .collect(),
            signature: Consent {
                channel: Channel::Branch,
                at: t(at),
            },
        },
    )
}

pub fn line_move(agreement: &str, line: &str, action: LineAction, at: &str) -> CommandEnvelope {
    env(
        at,
        Command::ChangeLineStatus {
            agreement: AgreementId::new(agreement).unwrap(),
            line: LineId::new(line).unwrap(),
            action,
            effective_at: None,
            asset: None,
            renew_until: None,
        },
    )
}

pub fn activate(crm: &mut Crm, agreement: &str, line: &str, at: &str) {
    crm.execute(&line_move(
        agreement,
        line,
        LineAction::RequestActivation,
        at,
    ))
    .unwrap();
    crm.execute(&line_move(agreement, line, LineAction::Activate, at))
        .unwrap();
}

/// Registers customer `cid` with agreement `aid` of the PLAN (see
/// [`add_agreement_with_line`]): another customer among many.
pub fn add_customer_with_line(crm: &mut Crm, cid: &str, aid: &str) {
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::RegisterCustomer {
            customer: customer(cid),
        },
    ))
    .unwrap();
    add_agreement_with_line(crm, cid, aid);
}

/// Agreement `aid` of the PLAN for customer `cid`, its one line `aid-L` active from
/// 2026-01-01T10:00Z.
pub fn add_agreement_with_line(crm: &mut Crm, cid: &str, aid: &str) {
    let line = format!("{aid}-L");
    crm.execute(&create_agreement(
        aid,
        cid,
        &[&line],
        "2026-01-01T10:00:00Z",
    ))
    .unwrap();
    activate(crm, aid, &line, "2026-01-01T10:00:00Z");
}

/// Customer C1 with agreement A1 (line L1, active from 2026-01-01T10:00Z) of the PLAN.
pub fn engine() -> Crm {
    let mut crm = Crm::new();
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::RegisterCustomer {
            customer: customer("C1"),
        },
    ))
    .unwrap();
    crm.execute(&env(
        "2026-01-01T09:00:00Z",
        Command::AddOffering { offering: plan() },
    ))
    .unwrap();
    crm.execute(&create_agreement(
        "A1",
        "C1",
        &["L1"],
        "2026-01-01T10:00:00Z",
    ))
    .unwrap();
    activate(&mut crm, "A1", "L1", "2026-01-01T10:00:00Z");
    crm
}

pub fn req(code: &str, channel: Channel) -> EntitlementRequest {
    EntitlementRequest::new(c1(), code, channel)
}

pub fn check(crm: &Crm, r: &EntitlementRequest, at: &str) -> EntitlementDecision {
    crm.check_entitlement(r, t(at)).unwrap()
}

pub fn consume(
    crm: &mut Crm,
    usage: &str,
    r: &EntitlementRequest,
    at: &str,
) -> Result<Vec<EventEnvelope>> {
    crm.execute(&env(
        at,
        Command::ConsumeEntitlement {
            usage: UsageId::new(usage).unwrap(),
            request: r.clone(),
        },
    ))
}

pub fn reverse(crm: &mut Crm, usage: &str, at: &str) -> Result<Vec<EventEnvelope>> {
    crm.execute(&env(
        at,
        Command::ReverseUsage {
            usage: UsageId::new(usage).unwrap(),
            reason: "visit cancelled".into(),
        },
    ))
}

/// An approved exception allowing `extra` more uses of an entitlement of A1.
pub fn allow(
    id: &str,
    entitlement: &str,
    extra: Option<&str>,
    from: &str,
    to: Option<&str>,
) -> Exception {
    Exception {
        id: ExceptionId::new(id).unwrap(),
        customer: c1(),
        agreement: Some(AgreementId::new("A1").unwrap()),
        scope: ExceptionScope::Entitlement {
            entitlement: EntitlementId::new(entitlement).unwrap(),
        },
        effect: ExceptionEffect::Allow {
            extra: extra.map(dec),
        },
        approved_by: ActorId::new("supervisor-1").unwrap(),
        reason: "phone stolen abroad".into(),
        valid_from: t(from),
        valid_to: to.map(t),
        revoked: None,
    }
}

pub fn approve(crm: &mut Crm, x: Exception, at: &str) {
    crm.execute(&env(at, Command::ApproveException { exception: x }))
        .unwrap();
}

/// The serialized state.
pub fn state_json(crm: &Crm) -> String {
    serde_json::to_string(crm.state()).unwrap()
}
