//! Helpers shared by the integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use crm_core::agreement::{NewLine, SoldThrough, Term};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, Window};
use crm_core::party::{Channel, Consent, Customer};
use crm_core::*;

pub fn t(s: &str) -> Instant {
    s.parse().unwrap()
}

pub fn meta(at: &str) -> Metadata {
    Metadata::new(t(at), ActorId::new("clerk-1").unwrap())
}

pub fn env(at: &str, command: Command) -> CommandEnvelope {
    CommandEnvelope {
        meta: meta(at),
        command,
    }
}

pub fn customer(id: &str) -> Customer {
    Customer {
        id: CustomerId::new(id).unwrap(),
        name: format!("Customer {id}"),
        contact_points: vec![],
        consents: vec![],
    }
}

pub fn mobile_offering() -> Offering {
    Offering {
        id: OfferingId::new("MOBILE").unwrap(),
        name: "Mobile plan".into(),
        payment_plans: vec![],
        kind: OfferingKind::Service,
        entitlements: vec![EntitlementTemplate {
            code: "device_replacement".into(),
            kind: EntitlementKind::Quota {
                uses: 2,
                window: Window::RollingDays { days: 365 },
                per_channel: vec![],
            },
            conditions: Default::default(),
            valid_days: None,
        }],
    }
}

/// An engine with customer C1, the MOBILE offering and agreement A1 with line L1.
pub fn engine_with_agreement() -> Crm {
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
        Command::AddOffering {
            offering: mobile_offering(),
        },
    ))
    .unwrap();
    crm.execute(&create_agreement("A1", "C1", "L1", "2026-01-01T10:00:00Z"))
        .unwrap();
    crm
}

pub fn create_agreement(id: &str, customer: &str, line: &str, at: &str) -> CommandEnvelope {
    env(
        at,
        Command::CreateAgreement {
            agreement: AgreementId::new(id).unwrap(),
            customer: CustomerId::new(customer).unwrap(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: "2026-01-01".parse().unwrap(),
                end: Some("2027-12-31".parse().unwrap()),
                auto_renew: false,
            },
            lines: vec![NewLine {
                id: LineId::new(line).unwrap(),
                offering: OfferingId::new("MOBILE").unwrap(),
                quantity: 1,
            }],
            signature: Consent {
                channel: Channel::Branch,
                at: t(at),
            },
        },
    )
}

/// The serialized state: two engines are equal when this is equal.
pub fn state_json(crm: &Crm) -> String {
    serde_json::to_string(crm.state()).unwrap()
}

/// An inbound contact of `customer` on `channel` about `kind`, started, answered and ended at
/// the instants given (an answered contact, no outcome yet).
pub fn contact(
    id: &str,
    customer: &str,
    channel: Channel,
    kind: &str,
    started: &str,
) -> crm_core::interaction::Interaction {
    crm_core::interaction::Interaction {
        id: InteractionId::new(id).unwrap(),
        customer: CustomerId::new(customer).unwrap(),
        channel,
        direction: crm_core::interaction::Direction::Inbound,
        purpose: None,
        kind: kind.into(),
        started_at: t(started),
        answered_at: None,
        ended_at: None,
        summary: format!("{kind} contact"),
        performer: None,
        queue: None,
        sentiment: None,
        feedback: Default::default(),
        outcome: None,
        process: None,
        commitments: vec![],
    }
}

/// Records an interaction, optionally starting the process its kind classifies to.
pub fn record(
    crm: &mut Crm,
    at: &str,
    interaction: crm_core::interaction::Interaction,
    start: Option<crm_core::engine::StartOptions>,
) -> Result<Vec<EventEnvelope>> {
    crm.execute(&env(
        at,
        Command::RecordInteraction {
            interaction,
            start_process: start,
        },
    ))
}

/// Start options for instance `instance` on calendar `calendar`.
pub fn start_on(instance: &str, calendar: &str) -> crm_core::engine::StartOptions {
    crm_core::engine::StartOptions {
        instance: InstanceId::new(instance).unwrap(),
        calendar: CalendarId::new(calendar).unwrap(),
        agreement: None,
        data: Default::default(),
        sla: None,
    }
}

/// The `support` calendar: Monday to Friday 09:00-17:00 Europe/Berlin, no holidays.
pub fn support_calendar_json() -> &'static str {
    r#"{"meta":{"at":"2026-01-01T00:00:00Z","actor":"admin"},
        "command":{"type":"register_calendar","calendar":{"id":"support","zone":"Europe/Berlin",
          "week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],
                  "wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],
                  "friday":[{"start":"09:00","end":"17:00"}]},"holidays":[]}}}"#
}

/// Requests activation of `line` of `agreement` at `at` and activates it a minute later.
pub fn activate_line(crm: &mut Crm, agreement: &str, line: &str, at: &str) {
    for (action, when) in [
        (crm_core::agreement::LineAction::RequestActivation, t(at)),
        (
            crm_core::agreement::LineAction::Activate,
            t(at) + chrono::TimeDelta::minutes(1),
        ),
    ] {
        crm.execute(&CommandEnvelope {
            meta: Metadata::new(when, ActorId::new("clerk-1").unwrap()),
            command: Command::ChangeLineStatus {
                agreement: AgreementId::new(agreement).unwrap(),
                line: LineId::new(line).unwrap(),
                action,
                effective_at: None,
                asset: None,
                renew_until: None,
            },
        })
        .unwrap();
    }
}
