//! A day in the life of a service organisation, on a simulated clock.
//!
//! Run it with `cargo run -p crm-examples`. The clock is simulated: every command carries the
//! instant it happens at, so the whole day replays identically on every run.

use crm_core::agreement::{
    AmendmentChange, Exception, ExceptionEffect, ExceptionScope, LineAction, NewLine, PartyRef,
    SoldThrough, Term,
};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::engine::{NewCommitment, StartProcess};
use crm_core::entitlement::EntitlementRequest;
use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, Window};
use crm_core::party::{Channel, Consent, ConsentGrant, ContactPoint, Customer, Purpose};
use crm_core::process::{InstanceData, Performer};
use crm_core::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

mod story_3;
mod story_4;

/// The simulated clock: instants of the day, in UTC.
fn at(hhmm: &str) -> Result<Instant> {
    instant(&format!("2026-03-02T{hhmm}:00Z"))
}

fn instant(s: &str) -> Result<Instant> {
    s.parse()
        .map_err(|_| Error::validation("instant", s, "not an RFC 3339 instant"))
}

fn date(s: &str) -> Result<chrono::NaiveDate> {
    s.parse()
        .map_err(|_| Error::validation("date", s, "not an ISO date"))
}

struct Desk {
    crm: Crm,
    log: Vec<String>,
    decisions: Vec<String>,
}

impl Desk {
    fn run(&mut self, hhmm: &str, actor: &str, what: &str, command: Command) -> Result<()> {
        let meta = Metadata::new(at(hhmm)?, ActorId::new(actor)?);
        let events = self.crm.execute(&CommandEnvelope { meta, command })?;
        let tags: Vec<&str> = events.iter().map(|e| e.event.tag()).collect();
        self.log.push(format!(
            "{hhmm}  {actor:<14} {what:<48} -> {}",
            tags.join(", ")
        ));
        Ok(())
    }
}

/// Prints a line of the report and keeps it for the report file.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        let line = format!($($arg)*);
        println!("{line}");
        $out.push_str(&line);
        $out.push('\n');
    }};
}

/// Where the report, the process diagrams and the event log go: the first argument, else
/// `target/day-in-the-life`.
fn output_dir() -> Result<PathBuf> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/day-in-the-life"), PathBuf::from);
    std::fs::create_dir_all(&dir).map_err(|e| Error::Storage {
        message: format!("cannot create {}: {e}", dir.display()),
    })?;
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::Storage {
        message: format!("cannot write {}: {e}", path.display()),
    })
}

fn main() -> Result<()> {
    let dir = output_dir()?;
    let log_path = dir.join("events.sqlite");
    // A fresh log on every run, so the day replays identically.
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", log_path.display()));
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| Error::Storage {
                message: format!("cannot remove {}: {e}", p.display()),
            })?;
        }
    }
    let mut out = String::new();
    let mut desk = Desk {
        crm: Crm::open(Box::new(crm_core::engine::SqliteStore::open(&log_path)?))?,
        log: Vec::new(),
        decisions: Vec::new(),
    };

    // 08:00 the catalog: a mobile plan with device insurance (2 replacements per rolling year)
    desk.run(
        "08:00",
        "catalog-admin",
        "add offering MOBILE-M",
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("MOBILE-M")?,
                name: "Mobile plan M with device insurance".into(),
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
            },
        },
    )?;

    desk.run(
        "08:00",
        "admin",
        "register the support calendar (Berlin)",
        Command::RegisterCalendar {
            calendar: Box::new(BusinessCalendar::from_json(
                r#"{"id":"support","zone":"Europe/Berlin",
                    "week":{"monday":[{"start":"09:00","end":"17:00"}],
                            "tuesday":[{"start":"09:00","end":"17:00"}],
                            "wednesday":[{"start":"09:00","end":"17:00"}],
                            "thursday":[{"start":"09:00","end":"17:00"}],
                            "friday":[{"start":"09:00","end":"17:00"}]},
                    "holidays":[{"date":"2026-04-03","name":"Good Friday","hours":[]}]}"#,
            )?),
        },
    )?;
    // 09:10 a customer walks into the branch and signs for the plan
    desk.run(
        "09:10",
        "branch-clerk-4",
        "register customer Ada",
        Command::RegisterCustomer {
            customer: Customer {
                id: CustomerId::new("C-1001")?,
                name: "Ada Lovelace".into(),
                contact_points: vec![ContactPoint {
                    channel: Channel::Email,
                    address: "ada@example.org".into(),
                }],
                consents: vec![ConsentGrant {
                    purpose: Purpose::Service,
                    channel: Channel::Email,
                    granted: true,
                }],
            },
        },
    )?;
    let signed = Consent {
        channel: Channel::Branch,
        at: at("09:14")?,
    };
    desk.run(
        "09:15",
        "branch-clerk-4",
        "sign agreement AG-1 (one mobile line)",
        Command::CreateAgreement {
            agreement: AgreementId::new("AG-1")?,
            customer: CustomerId::new("C-1001")?,
            sold_through: SoldThrough::Direct,
            term: Term {
                start: date("2026-03-02")?,
                end: Some(date("2027-03-01")?),
                auto_renew: true,
            },
            lines: vec![NewLine {
                id: LineId::new("AG-1-L1")?,
                offering: OfferingId::new("MOBILE-M")?,
                quantity: 1,
            }],
            signature: signed,
        },
    )?;
    let (ag1, line1) = (AgreementId::new("AG-1")?, LineId::new("AG-1-L1")?);
    let line_move = |action| Command::ChangeLineStatus {
        agreement: ag1.clone(),
        line: line1.clone(),
        action,
        effective_at: None,
        asset: None,
        renew_until: None,
    };
    desk.run(
        "09:16",
        "provisioning",
        "request activation of AG-1-L1",
        line_move(LineAction::RequestActivation),
    )?;
    desk.run(
        "09:20",
        "network",
        "network confirms: AG-1-L1 active",
        line_move(LineAction::Activate),
    )?;

    // 09:30 an illegal move is refused, with the state and the action named
    let refused = desk.crm.execute(&CommandEnvelope {
        meta: Metadata::new(at("09:30")?, ActorId::new("provisioning")?),
        command: line_move(LineAction::Install),
    });
    if let Err(e) = refused {
        desk.log.push(format!(
            "09:30  {:<14} {:<48} -> refused: {e}",
            "provisioning", "install on a service line"
        ));
    }

    // 11:00 the phone breaks: a loan device is issued; the customer promises to return it
    desk.run(
        "11:00",
        "service-desk-2",
        "loan device: return promised by 16 March",
        Command::MakeCommitment {
            commitment: NewCommitment {
                id: CommitmentId::new("LOAN-RETURN-1")?,
                customer: CustomerId::new("C-1001")?,
                agreement: Some(AgreementId::new("AG-1")?),
                description: "return the loan device".into(),
                made_by: PartyRef::Customer {
                    customer: CustomerId::new("C-1001")?,
                },
                responsible: PartyRef::Customer {
                    customer: CustomerId::new("C-1001")?,
                },
                due_at: instant("2026-03-16T17:00:00Z")?,
            },
        },
    )?;
    desk.run(
        "11:05",
        "service-desk-2",
        "callback about the complaint, due at 15:00",
        Command::MakeCommitment {
            commitment: NewCommitment {
                id: CommitmentId::new("CALLBACK-1")?,
                customer: CustomerId::new("C-1001")?,
                agreement: None,
                description: "call the customer back about the broken phone".into(),
                made_by: PartyRef::Employee {
                    employee: ActorId::new("service-desk-2")?,
                },
                responsible: PartyRef::Organisation {
                    unit: "back office".into(),
                },
                due_at: at("15:00")?,
            },
        },
    )?;
    // 14:00 a supervisor extends the loan as an approved exception
    desk.run(
        "14:00",
        "supervisor-1",
        "approve exception: loan extended to 30 March",
        Command::ApproveException {
            exception: Exception {
                id: ExceptionId::new("EXT-1")?,
                customer: CustomerId::new("C-1001")?,
                agreement: Some(AgreementId::new("AG-1")?),
                scope: ExceptionScope::Commitment {
                    commitment: CommitmentId::new("LOAN-RETURN-1")?,
                },
                effect: ExceptionEffect::Extend {
                    until: instant("2026-03-30T17:00:00Z")?,
                },
                approved_by: ActorId::new("supervisor-1")?,
                reason: "the repair shop is waiting for parts".into(),
                valid_from: at("14:00")?,
                valid_to: Some(instant("2026-03-30T17:00:00Z")?),
                revoked: None,
            },
        },
    )?;

    // Story 1: the device insurance. Each claim is checked, then consumed in one step (a
    // consume re-checks, so two desks can never both take the last replacement).
    let claim = |desk: &mut Desk, hhmm: &str, usage: &str| -> Result<()> {
        let mut request = EntitlementRequest::new(
            CustomerId::new("C-1001")?,
            "device_replacement",
            Channel::Branch,
        );
        request.quantity = Some(Decimal::ONE);
        let decision = desk.crm.check_entitlement(&request, at(hhmm)?)?;
        let remaining = decision
            .remaining
            .as_ref()
            .map(|r| format!(", {} of {} left", r.remaining, r.limit))
            .unwrap_or_default();
        desk.decisions.push(format!(
            "{hhmm}  device_replacement: {:?}{remaining}",
            decision.outcome
        ));
        for m in decision.messages() {
            desk.decisions.push(format!("         - {m}"));
        }
        if decision.is_granted() {
            desk.run(
                hhmm,
                "service-desk-2",
                &format!("replacement device issued ({usage})"),
                Command::ConsumeEntitlement {
                    usage: UsageId::new(usage)?,
                    request,
                },
            )?;
        }
        Ok(())
    };
    claim(&mut desk, "11:10", "REPL-1")?;
    claim(&mut desk, "13:00", "REPL-2")?;
    claim(&mut desk, "15:30", "REPL-3")?;
    desk.run(
        "15:40",
        "supervisor-1",
        "approve exception: one more replacement",
        Command::ApproveException {
            exception: Exception {
                id: ExceptionId::new("EXT-2")?,
                customer: CustomerId::new("C-1001")?,
                agreement: Some(AgreementId::new("AG-1")?),
                scope: ExceptionScope::Entitlement {
                    entitlement: EntitlementId::new("AG-1-L1.device_replacement")?,
                },
                effect: ExceptionEffect::Allow {
                    extra: Some(Decimal::ONE),
                },
                approved_by: ActorId::new("supervisor-1")?,
                reason: "both devices failed from a known battery fault".into(),
                valid_from: at("15:40")?,
                valid_to: Some(instant("2026-04-01T00:00:00Z")?),
                revoked: None,
            },
        },
    )?;
    claim(&mut desk, "15:45", "REPL-3")?;

    // Story 5: a complaint arrives by chat at 16:30 Berlin; first line hands it warm to the
    // back office; the SLA clock runs on the support calendar (Mon-Fri 09:00-17:00).
    desk.run(
        "15:30",
        "chat",
        "chat complaint: start the complaint process",
        Command::StartProcess {
            start: StartProcess {
                instance: InstanceId::new("COMPLAINT-1")?,
                definition: None,
                interaction_kind: Some("complaint".into()),
                customer: CustomerId::new("C-1001")?,
                agreement: Some(AgreementId::new("AG-1")?),
                calendar: CalendarId::new("support")?,
                data: InstanceData::new(),
                sla: None,
                interaction: Some(InteractionId::new("CHAT-2026-03-02-0042")?),
            },
        },
    )?;
    let complaint = InstanceId::new("COMPLAINT-1")?;
    let step = |outcome: &str, performer: Performer| Command::AdvanceProcess {
        instance: complaint.clone(),
        outcome: outcome.into(),
        performer,
        data: InstanceData::new(),
    };
    desk.run(
        "15:30",
        "intake-bot",
        "complaint accepted, first line takes it",
        step(
            "accepted",
            Performer::Handler {
                name: "intake".into(),
            },
        ),
    )?;
    desk.run(
        "15:50",
        "agent-7",
        "warm transfer to the back office",
        step(
            "transfer",
            Performer::Queue {
                name: "first_line".into(),
            },
        ),
    )?;

    // 16:00 the customer adds a second SIM in the app: an amendment with consent
    desk.run(
        "16:00",
        "customer-app",
        "amend AG-1: quantity 2 (consent in the app)",
        Command::AmendAgreement {
            agreement: AgreementId::new("AG-1")?,
            changes: vec![AmendmentChange::ChangeQuantity {
                line: LineId::new("AG-1-L1")?,
                quantity: 2,
            }],
            reason: "second SIM for the family".into(),
            consent: Some(Consent {
                channel: Channel::CustomerApp,
                at: at("15:59")?,
            }),
        },
    )?;

    say!(
        out,
        "crm-core: a day in the life (simulated clock, 2 March 2026)\n"
    );
    say!(out, "== What happened");
    for l in &desk.log {
        say!(out, "{l}");
    }

    let id = AgreementId::new("AG-1")?;
    let now = at("17:00")?;
    let a = desk.crm.agreement(&id)?;
    say!(
        out,
        "\n== Agreement AG-1 at 17:00 (revision {}, stream version {})",
        a.revision,
        a.version
    );
    for l in &a.lines {
        say!(
            out,
            "  line {} ({}) x{}: {} since {}",
            l.id,
            l.offering,
            l.quantity,
            l.status_at(now).map(|s| s.as_str()).unwrap_or("-"),
            l.status_since(now)
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default()
        );
    }
    for e in &a.entitlements {
        say!(out, "  entitlement {} ({})", e.id, e.code);
    }
    let morning = desk.crm.agreement_as_of(&id, at("12:00")?)?;
    say!(
        out,
        "  as of 12:00 it was revision {} with quantity {}",
        morning.revision,
        morning.lines.first().map(|l| l.quantity).unwrap_or(0)
    );

    say!(out, "\n== Entitlement decisions, with their reasons");
    for d in &desk.decisions {
        say!(out, "{d}");
    }

    say!(
        out,
        "\n== Open processes at 17:00 (business calendar: support, Europe/Berlin)"
    );
    let status = desk
        .crm
        .process_status(&InstanceId::new("COMPLAINT-1")?, now)?;
    say!(out, "  COMPLAINT-1 is at step {}", status.step);
    if let Some(r) = &status.resolution {
        say!(out, "  resolution: {r}");
    }
    if let Some(s) = &status.step_sla {
        say!(out, "  this step:  {s}");
    }

    say!(out, "\n== Commitments at 17:00");
    let cust = CustomerId::new("C-1001")?;
    for c in desk.crm.commitments_of(&cust)? {
        let covering = desk.crm.exceptions_covering(
            &cust,
            c.agreement.as_ref(),
            &ExceptionScope::Commitment {
                commitment: c.id.clone(),
            },
            now,
        )?;
        let note = match (c.is_overdue(now), covering.first()) {
            (true, _) => "OVERDUE".to_string(),
            (false, Some(x)) => format!(
                "extended by exception {} (approved by {})",
                x.id, x.approved_by
            ),
            (false, None) => "open".to_string(),
        };
        say!(
            out,
            "  {:<14} due {}  responsible: {:<28} {note}",
            c.id.as_str(),
            c.due_at.format("%d %b %H:%M"),
            c.responsible.to_string()
        );
    }

    say!(
        out,
        "\n== Story 3: a phone in 12 installments and a service plan, from the sale to today"
    );
    for line in story_3::run(&mut desk.crm)? {
        say!(out, "{line}");
    }

    say!(
        out,
        "\n== Story 4: low revenue, large potential: the preferred tier and its shorter SLA"
    );
    for line in story_4::run_story(&mut desk.crm)? {
        say!(out, "{line}");
    }

    let events = desk.crm.events()?;
    let replayed = Crm::replay(&events)?;
    let reopened = Crm::open(Box::new(crm_core::engine::SqliteStore::open(&log_path)?))?;
    say!(
        out,
        "\n== The log: {} events in {}; replaying them rebuilds the same state: {}; reopening the file too: {}",
        events.len(),
        log_path.display(),
        replayed == *desk.crm.state(),
        reopened.state() == desk.crm.state()
    );

    // The diagrams of the processes the day used, next to the report.
    let mut used: Vec<DefinitionId> = desk
        .crm
        .state()
        .process_instances
        .values()
        .map(|i| i.definition().clone())
        .collect();
    used.sort();
    used.dedup();
    say!(out, "\n== Process diagrams (Mermaid)");
    for id in used {
        let def = desk.crm.process_definition(&id)?;
        let path = dir.join(format!("{id}.mmd"));
        write(&path, &def.to_mermaid())?;
        say!(out, "  {}", path.display());
    }
    let report = dir.join("report.txt");
    say!(out, "  report: {}", report.display());
    write(&report, &out)?;
    Ok(())
}
