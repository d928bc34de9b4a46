//! Story 2: a traveller books through a travel agent and is promised a special meal. The
//! promise is recorded with the agent as its maker and the carrier as responsible; when it is
//! broken, the record shows who promised and who failed, and the complaint process starts from
//! the traveller's e-mail.

use crm_core::agreement::PartyRef;
use crm_core::engine::{NewCommitment, StartOptions};
use crm_core::interaction::{Direction, Interaction};
use crm_core::party::{Channel, Customer, Partner, PartnerKind};
use crm_core::process::InstanceData;
use crm_core::*;

fn instant(s: &str) -> Result<Instant> {
    s.parse()
        .map_err(|_| Error::validation("instant", s, "not an RFC 3339 instant"))
}

fn run(crm: &mut Crm, when: &str, actor: &str, command: Command) -> Result<Vec<EventEnvelope>> {
    let meta = Metadata::new(instant(when)?, ActorId::new(actor)?);
    crm.execute(&CommandEnvelope { meta, command })
}

/// Runs story 2 on `crm` (which has the `support` calendar) and returns the report's lines.
pub fn run_story(crm: &mut Crm) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (id, name, kind) in [
        ("SUNNY-TRAVEL", "Sunny Travel", PartnerKind::Agent),
        ("BLUE-AIR", "Blue Air", PartnerKind::ServiceProvider),
    ] {
        run(
            crm,
            "2026-02-20T09:00:00Z",
            "partner-admin",
            Command::RegisterPartner {
                partner: Partner {
                    id: PartnerId::new(id)?,
                    name: name.into(),
                    kind,
                },
            },
        )?;
    }
    let traveller = CustomerId::new("T-2002")?;
    run(
        crm,
        "2026-02-20T10:00:00Z",
        "sunny-travel",
        Command::RegisterCustomer {
            customer: Customer {
                id: traveller.clone(),
                name: "Tom Traveller".into(),
                contact_points: vec![],
                consents: vec![],
            },
        },
    )?;
    run(
        crm,
        "2026-02-20T10:05:00Z",
        "sunny-travel",
        Command::MakeCommitment {
            commitment: NewCommitment {
                id: CommitmentId::new("MEAL-BA117")?,
                customer: traveller.clone(),
                agreement: None,
                description: "gluten-free meal on flight BA117, 1 March".into(),
                made_by: PartyRef::Partner {
                    partner: PartnerId::new("SUNNY-TRAVEL")?,
                },
                responsible: PartyRef::Partner {
                    partner: PartnerId::new("BLUE-AIR")?,
                },
                due_at: instant("2026-03-01T12:00:00Z")?,
            },
        },
    )?;
    run(
        crm,
        "2026-03-01T15:00:00Z",
        "blue-air",
        Command::BreakCommitment {
            commitment: CommitmentId::new("MEAL-BA117")?,
            reason: "the meal was not loaded".into(),
        },
    )?;
    // The traveller writes on Monday morning; the e-mail starts the complaint process.
    let mail = Interaction {
        id: InteractionId::new("MAIL-2026-03-02-7")?,
        customer: traveller.clone(),
        channel: Channel::Email,
        direction: Direction::Inbound,
        purpose: None,
        kind: "complaint".into(),
        started_at: instant("2026-03-02T08:10:00Z")?,
        answered_at: Some(instant("2026-03-02T08:40:00Z")?),
        ended_at: Some(instant("2026-03-02T08:50:00Z")?),
        summary: "no gluten-free meal on BA117 although the agent confirmed it".into(),
        performer: Some(ActorId::new("agent-3")?),
        queue: Some("email".into()),
        sentiment: Some(rust_decimal::Decimal::new(-7, 1)),
        feedback: Default::default(),
        outcome: Some(crm_core::interaction::InteractionOutcome::FollowUpNeeded),
        process: None,
        commitments: vec![CommitmentId::new("MEAL-BA117")?],
    };
    let events = run(
        crm,
        "2026-03-02T08:50:00Z",
        "agent-3",
        Command::RecordInteraction {
            interaction: mail,
            start_process: Some(StartOptions {
                instance: InstanceId::new("COMPLAINT-2")?,
                calendar: CalendarId::new("support")?,
                agreement: None,
                data: InstanceData::new(),
                sla: None,
            }),
        },
    )?;
    let tags: Vec<&str> = events.iter().map(|e| e.event.tag()).collect();
    out.push(format!(
        "  the e-mail MAIL-2026-03-02-7 is recorded and starts COMPLAINT-2 ({})",
        tags.join(", ")
    ));
    let report = crm.accountability(instant("2026-03-02T17:00:00Z")?)?;
    for p in &report.parties {
        for line in &p.broken {
            if line.id.as_str() == "MEAL-BA117" {
                out.push(format!(
                    "  broken promise {}: made by {}, responsible {} ({})",
                    line.id, line.made_by, line.responsible, line.description
                ));
            }
        }
    }
    for s in &report.partners {
        out.push(format!(
            "  scorecard {:<13} responsible for: {} kept on time, {} kept late, {} broken; promises made: {}",
            s.partner.as_str(),
            s.responsible.kept_on_time,
            s.responsible.kept_late,
            s.responsible.broken,
            s.made.total()
        ));
    }
    Ok(out)
}
