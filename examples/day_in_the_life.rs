//! A day in the life of a service organisation, on a simulated clock, covering the five
//! stories of the domain brief: the device insurance, the loan and the callback (1), the
//! promised meal (2), the phone in installments and collections (3), the preferred tier (4)
//! and the chat complaint through first line and back office (5). It prints a report (360 view,
//! decisions with their reasons, audit findings, accountability, service measures) and writes
//! it, the Mermaid diagrams of the processes used and the event log (SQLite) to
//! `target/day-in-the-life/` (or the folder given as the first argument).
//!
//! Run it with `cargo run -p crm-examples`. The clock is simulated: every command carries the
//! instant it happens at, so the whole day replays identically on every run.

use crm_core::agreement::{
    AmendmentChange, Exception, ExceptionEffect, ExceptionScope, LineAction, NewLine, PartyRef,
    SoldThrough, Term,
};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::engine::{NewCommitment, StartOptions};
use crm_core::entitlement::EntitlementRequest;
use crm_core::entitlement::{EntitlementKind, EntitlementTemplate, Window};
use crm_core::interaction::{Direction, Feedback, Interaction, InteractionOutcome};
use crm_core::measures::MeasureFilter;
use crm_core::party::{Channel, Consent, ConsentGrant, ContactPoint, Customer, Purpose};
use crm_core::process::{InstanceData, Performer};
use crm_core::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

mod story_2;
mod story_3;
mod story_4;

/// The simulated clock: instants of the day (`HH:MM`, UTC), or a full RFC 3339 instant.
fn at(hhmm: &str) -> Result<Instant> {
    if hhmm.len() > 5 {
        return instant(hhmm);
    }
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

    // 09:40 the branch visit is recorded as an interaction
    desk.run(
        "09:40",
        "shop-12",
        "record the branch visit (sale, CSAT 5)",
        Command::RecordInteraction {
            interaction: Interaction {
                id: InteractionId::new("BRANCH-0910")?,
                customer: CustomerId::new("C-1001")?,
                channel: Channel::Branch,
                direction: Direction::Inbound,
                purpose: None,
                kind: "sale".into(),
                started_at: at("09:10")?,
                answered_at: Some(at("09:10")?),
                ended_at: Some(at("09:40")?),
                summary: "signed for Mobile plan M".into(),
                performer: Some(ActorId::new("shop-12")?),
                queue: Some("branch".into()),
                sentiment: Some(Decimal::new(8, 1)),
                feedback: Feedback {
                    csat: Some(5),
                    nps: Some(9),
                },
                outcome: Some(InteractionOutcome::ResolvedFirstContact),
                process: None,
                commitments: vec![],
            },
            start_process: None,
        },
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
    // 11:10 the call about the broken phone is recorded; a caller at 12:30 gives up waiting
    desk.run(
        "11:10",
        "service-desk-2",
        "record the call (loan device, callback promised)",
        Command::RecordInteraction {
            interaction: Interaction {
                id: InteractionId::new("CALL-1058")?,
                customer: CustomerId::new("C-1001")?,
                channel: Channel::Phone,
                direction: Direction::Inbound,
                purpose: None,
                kind: "device_breakdown".into(),
                started_at: at("10:58")?,
                answered_at: Some(at("10:59")?),
                ended_at: Some(at("11:08")?),
                summary: "phone broken; loan device issued, callback promised".into(),
                performer: Some(ActorId::new("service-desk-2")?),
                queue: Some("first_line".into()),
                sentiment: Some(Decimal::new(-2, 1)),
                feedback: Feedback {
                    csat: Some(4),
                    nps: Some(7),
                },
                outcome: Some(InteractionOutcome::FollowUpNeeded),
                process: None,
                commitments: vec![
                    CommitmentId::new("LOAN-RETURN-1")?,
                    CommitmentId::new("CALLBACK-1")?,
                ],
            },
            start_process: None,
        },
    )?;
    desk.run(
        "12:32",
        "telephony",
        "record an abandoned call",
        Command::RecordInteraction {
            interaction: Interaction {
                id: InteractionId::new("CALL-1230")?,
                customer: CustomerId::new("C-1001")?,
                channel: Channel::Phone,
                direction: Direction::Inbound,
                purpose: None,
                kind: "device_breakdown".into(),
                started_at: at("12:30")?,
                answered_at: None,
                ended_at: Some(at("12:32")?),
                summary: "caller hung up in the queue".into(),
                performer: None,
                queue: Some("first_line".into()),
                sentiment: None,
                feedback: Feedback::default(),
                outcome: Some(InteractionOutcome::Abandoned),
                process: None,
                commitments: vec![],
            },
            start_process: None,
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
        "chat complaint recorded: starts the complaint process",
        Command::RecordInteraction {
            interaction: Interaction {
                id: InteractionId::new("CHAT-2026-03-02-0042")?,
                customer: CustomerId::new("C-1001")?,
                channel: Channel::Chat,
                direction: Direction::Inbound,
                purpose: None,
                kind: "complaint".into(),
                started_at: at("15:28")?,
                answered_at: Some(at("15:29")?),
                ended_at: None,
                summary: "second phone failure in a month; wants a lasting fix".into(),
                performer: Some(ActorId::new("agent-7")?),
                queue: Some("first_line".into()),
                sentiment: Some(Decimal::new(-6, 1)),
                feedback: Default::default(),
                outcome: None,
                process: None,
                commitments: vec![],
            },
            start_process: Some(StartOptions {
                instance: InstanceId::new("COMPLAINT-1")?,
                calendar: CalendarId::new("support")?,
                agreement: Some(AgreementId::new("AG-1")?),
                data: InstanceData::new(),
                sla: None,
            }),
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

    desk.run(
        "15:50",
        "chat",
        "the chat ends with the warm transfer",
        Command::UpdateInteraction {
            interaction: InteractionId::new("CHAT-2026-03-02-0042")?,
            update: crm_core::engine::InteractionUpdate {
                ended_at: Some(at("15:50")?),
                outcome: Some(InteractionOutcome::TransferredWarm),
                feedback: Default::default(),
                sentiment: None,
            },
        },
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
    // 16:30 an automated job sends the loan-return reminder anyway: the audit will say so
    desk.run(
        "16:30",
        "reminder-job",
        "automated reminder: return the loan device",
        Command::RecordInteraction {
            interaction: Interaction {
                id: InteractionId::new("MSG-1630")?,
                customer: CustomerId::new("C-1001")?,
                channel: Channel::MessagingApp,
                direction: Direction::Outbound,
                purpose: Some(Purpose::Service),
                kind: "reminder".into(),
                started_at: at("16:30")?,
                answered_at: Some(at("16:30")?),
                ended_at: Some(at("16:30")?),
                summary: "please return the loan device".into(),
                performer: None,
                queue: None,
                sentiment: None,
                feedback: Feedback::default(),
                outcome: Some(InteractionOutcome::ResolvedFirstContact),
                process: None,
                commitments: vec![CommitmentId::new("LOAN-RETURN-1")?],
            },
            start_process: None,
        },
    )?;

    // The other stories run in the same engine (their own customers and dates); their lines
    // are printed after the day's report. Story 4 registers the policies the day's
    // compensation decision below uses.
    let story_2_lines = story_2::run_story(&mut desk.crm)?;
    let story_3_lines = story_3::run(&mut desk.crm)?;
    let story_4_lines = story_4::run_story(&mut desk.crm)?;

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

    // Story 1, continued: the callback passed unkept; the audit says so, and so does the 360.
    let cust = CustomerId::new("C-1001")?;
    let v = desk.crm.customer_360(&cust, now, 3)?;
    say!(
        out,
        "\n== Customer 360: {} ({}) at 17:00",
        v.customer,
        v.name
    );
    if let Some(t) = &v.tier {
        let why = if t.baseline {
            "the baseline (never tiered above it)".to_string()
        } else {
            t.reasons.join("; ")
        };
        say!(out, "  tier {}: {why}", t.tier);
    }
    for a in &v.agreements {
        let lines: Vec<String> = a
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} {} x{} {}",
                    l.line,
                    l.offering,
                    l.quantity,
                    l.status.map(|s| s.to_string()).unwrap_or_default()
                )
            })
            .collect();
        say!(
            out,
            "  agreement {} rev {}: {}",
            a.agreement,
            a.revision,
            lines.join(", ")
        );
    }
    for e in &v.entitlements {
        let left = e
            .remaining
            .as_ref()
            .map(|r| format!("{} left", r.remaining))
            .unwrap_or_else(|| "no limit".into());
        say!(out, "  entitlement {}: usable {}, {left}", e.code, e.usable);
    }
    for p in &v.open_processes {
        let sla = p
            .status
            .resolution
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default();
        say!(
            out,
            "  open process {} at {}: {sla}",
            p.status.instance,
            p.status.step
        );
    }
    say!(
        out,
        "  open commitments: {}; overdue: {}",
        v.open_commitments.len(),
        v.overdue_commitments
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for i in &v.interactions {
        say!(
            out,
            "  recent contact {} ({}, {}): {}",
            i.id,
            i.channel,
            i.kind,
            i.summary
        );
    }
    let trend: Vec<String> = v
        .sentiment_trend
        .iter()
        .map(|p| format!("{} {}", p.interaction, p.moving_average))
        .collect();
    say!(
        out,
        "  sentiment trend (moving average): {}",
        trend.join(" -> ")
    );
    say!(out, "\n== Audit of {} at 17:00", cust);
    for f in desk.crm.audit(&cust, now)? {
        say!(
            out,
            "  {:?} {:?}: {} (contradicts: {})",
            f.severity,
            f.kind,
            f.what,
            f.contradicts
        );
    }
    let complaint = crm_core::policy::Complaint {
        id: InteractionId::new("CHAT-2026-03-02-0042")?,
        category: "device".into(),
        severity: "medium".into(),
        sla_breach: None,
        commitment_broken: true,
        complaints_last_90_days: 0,
        disputed_charge: None,
        attributes: Default::default(),
    };
    let decision = desk.crm.decide_compensation(&cust, &complaint, now)?;
    say!(
        out,
        "  compensation for the broken callback: {} (rule {}): {}",
        decision.offer,
        decision.rule.as_deref().unwrap_or("none"),
        decision.reasons.join("; ")
    );

    let report = desk.crm.accountability(now)?;
    say!(
        out,
        "\n== Accountability at 17:00 (broken and overdue promises by who must keep them)"
    );
    for p in &report.parties {
        if p.counts.broken + p.counts.overdue == 0 {
            continue;
        }
        say!(
            out,
            "  {:<36} broken {}, overdue {}",
            p.responsible.to_string(),
            p.counts.broken,
            p.counts.overdue
        );
    }

    let day = crm_core::calendar::TimeRange::new(at("00:00")?, instant("2026-03-03T00:00:00Z")?)?;
    let m = desk.crm.service_measures(&day, &MeasureFilter::all())?;
    let show = |d: Option<Decimal>| d.map_or_else(|| "n/a".to_string(), |d| d.to_string());
    say!(out, "\n== Service measures, 2 March (all channels)");
    say!(
        out,
        "  offered {}, answered {} (share {}), abandoned {} (share {}), speed of answer {} s, handling {} s",
        m.offered,
        m.answered,
        show(m.answered_share),
        m.abandoned,
        show(m.abandoned_share),
        show(m.average_speed_of_answer_seconds),
        show(m.average_handling_time_seconds)
    );
    say!(
        out,
        "  one-touch resolution {}, transfers {}, CSAT {} ({:?}), NPS {}",
        show(m.one_touch_resolution_share),
        show(m.transfer_share),
        show(m.csat.average),
        m.csat.distribution,
        show(m.nps.score)
    );

    // Story 5, continued: the back office resolves the chat complaint the next morning, the
    // compensation policy decides, the promised callback is made (late) and the customer
    // answers the survey.
    let complaint_id = InstanceId::new("COMPLAINT-1")?;
    let next = |outcome: &str, performer: Performer| Command::AdvanceProcess {
        instance: complaint_id.clone(),
        outcome: outcome.into(),
        performer,
        data: InstanceData::new(),
    };
    let back_office = || Performer::Queue {
        name: "back_office".into(),
    };
    desk.run(
        "2026-03-03T09:45:00Z",
        "back-office-4",
        "complaint resolved: replacement battery",
        next("resolved", back_office()),
    )?;
    desk.run(
        "2026-03-03T10:00:00Z",
        "compensation",
        "grant the compensation for the broken callback",
        Command::GrantCompensation {
            customer: cust.clone(),
            complaint: complaint.clone(),
            approved_by: None,
        },
    )?;
    desk.run(
        "2026-03-03T10:00:00Z",
        "compensation",
        "compensation decided",
        next(
            "decided",
            Performer::Handler {
                name: "compensation_policy".into(),
            },
        ),
    )?;
    desk.run(
        "2026-03-03T11:00:00Z",
        "back-office-4",
        "the customer is called back (a day late)",
        Command::KeepCommitment {
            commitment: CommitmentId::new("CALLBACK-1")?,
        },
    )?;
    desk.run(
        "2026-03-03T11:00:00Z",
        "back-office-4",
        "called back",
        next("called_back", back_office()),
    )?;
    desk.run(
        "2026-03-03T12:00:00Z",
        "survey",
        "the chat's survey answer arrives",
        Command::UpdateInteraction {
            interaction: InteractionId::new("CHAT-2026-03-02-0042")?,
            update: crm_core::engine::InteractionUpdate {
                ended_at: None,
                outcome: None,
                feedback: Feedback {
                    csat: Some(4),
                    nps: Some(8),
                },
                sentiment: Some(Decimal::new(3, 1)),
            },
        },
    )?;
    desk.run(
        "2026-03-03T12:00:00Z",
        "survey",
        "feedback given: complaint closed",
        next("feedback_given", Performer::Customer),
    )?;
    let done = desk
        .crm
        .process_status(&complaint_id, at("2026-03-03T12:00:00Z")?)?;
    say!(
        out,
        "\n== Story 5: the chat complaint, from first line to closed"
    );
    if let Some(r) = &done.resolution {
        say!(
            out,
            "  {} ended: {}; resolution {r}",
            done.instance,
            done.ended
        );
    }
    let report = desk.crm.process_report(&DefinitionId::new("complaint")?)?;
    for st in report.steps.iter().filter(|s| s.count > 0) {
        say!(
            out,
            "  step {:<22} {} visit(s), mean {} of business time",
            st.step,
            st.count,
            st.mean
        );
    }
    say!(out, "  the day's log, in order:");
    for line in desk.log.iter().filter(|l| l.contains("2026-03-03")) {
        say!(out, "    {line}");
    }
    let after = desk.crm.audit(&cust, at("2026-03-03T12:00:00Z")?)?;
    say!(
        out,
        "  audit the next day: {} finding(s): {}",
        after.len(),
        after
            .iter()
            .map(|f| format!("{:?}", f.kind))
            .collect::<Vec<_>>()
            .join(", ")
    );

    say!(out, "\n== Story 2: a promised meal, an agent and a carrier");
    for line in story_2_lines {
        say!(out, "{line}");
    }
    say!(
        out,
        "\n== Story 3: a phone in 12 installments and a service plan, from the sale to today"
    );
    for line in story_3_lines {
        say!(out, "{line}");
    }
    say!(
        out,
        "\n== Story 4: low revenue, large potential: the preferred tier and its shorter SLA"
    );
    for line in story_4_lines {
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
