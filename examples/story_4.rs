//! Story 4: a small business customer with low revenue today and a large potential. The
//! tiering rules place it in the preferred tier and say why; its complaint then runs under that
//! tier's shorter SLA, and a breached SLA is compensated under the tier's cap.

use crm_core::agreement::{LineAction, NewLine, SoldThrough, Term};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::engine::{HostFacts, PolicySettings, StartProcess};
use crm_core::obligation::{Frequency, PaymentPlanTemplate, PaymentType, ScheduleTemplate};
use crm_core::party::{Channel, Consent, Customer};
use crm_core::policy::{Complaint, PolicySet};
use crm_core::process::InstanceData;
use crm_core::*;
use rust_decimal::Decimal;

/// The organisation's policies, as a business user writes them (JSON); the same file the
/// engine's policy tests load.
const POLICIES: &str = include_str!("../tests/fixtures/policy_set.json");

fn instant(s: &str) -> Result<Instant> {
    s.parse()
        .map_err(|_| Error::validation("instant", s, "not an RFC 3339 instant"))
}

fn run(crm: &mut Crm, when: &str, actor: &str, command: Command) -> Result<Vec<EventEnvelope>> {
    let meta = Metadata::new(instant(when)?, ActorId::new(actor)?);
    crm.execute(&CommandEnvelope { meta, command })
}

/// Runs story 4 on `crm` (which has the `support` calendar) and returns the report's lines.
pub fn run_story(crm: &mut Crm) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let policies: PolicySet = serde_json::from_str(POLICIES)?;
    let settings = PolicySettings {
        margin_rates: [(PaymentType::Service, Decimal::new(6, 1))]
            .into_iter()
            .collect(),
        ..PolicySettings::default()
    };
    let sale = "2026-01-12T10:00:00Z";
    run(
        crm,
        sale,
        "admin",
        Command::RegisterPolicies {
            policies: Box::new(policies),
            settings,
        },
    )?;
    run(
        crm,
        sale,
        "catalog-admin",
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("BIZ-LINE")?,
                name: "Business line".into(),
                kind: OfferingKind::Service,
                entitlements: vec![],
                payment_plans: vec![PaymentPlanTemplate {
                    code: "monthly".into(),
                    payment_type: PaymentType::Service,
                    schedule: ScheduleTemplate::Recurring {
                        amount: Money::parse("89.00", "EUR")?,
                        every: Frequency::Monthly,
                        timing: Default::default(),
                        start_after_days: 0,
                    },
                    suspended_billing: Default::default(),
                    early_termination: Default::default(),
                    proration_rounding: Default::default(),
                }],
            },
        },
    )?;
    let smb = CustomerId::new("SMB-4")?;
    run(
        crm,
        sale,
        "sales",
        Command::RegisterCustomer {
            customer: Customer {
                id: smb.clone(),
                name: "Tiny Robotics Ltd".into(),
                contact_points: vec![],
                consents: vec![],
            },
        },
    )?;
    run(
        crm,
        sale,
        "sales",
        Command::CreateAgreement {
            agreement: AgreementId::new("AG-4")?,
            customer: smb.clone(),
            sold_through: SoldThrough::Direct,
            term: Term {
                start: instant(sale)?.date_naive(),
                end: None,
                auto_renew: false,
            },
            lines: vec![NewLine {
                id: LineId::new("BIZ-1")?,
                offering: OfferingId::new("BIZ-LINE")?,
                quantity: 1,
            }],
            signature: Consent {
                channel: Channel::Web,
                at: instant(sale)?,
            },
        },
    )?;
    for action in [LineAction::RequestActivation, LineAction::Activate] {
        run(
            crm,
            sale,
            "provisioning",
            Command::ChangeLineStatus {
                agreement: AgreementId::new("AG-4")?,
                line: LineId::new("BIZ-1")?,
                action,
                effective_at: None,
                asset: None,
                renew_until: None,
            },
        )?;
    }
    run(
        crm,
        "2026-03-01T01:00:00Z",
        "billing",
        Command::GenerateCharges {
            customer: smb.clone(),
            until: instant("2026-03-01T01:00:00Z")?.date_naive(),
        },
    )?;
    run(
        crm,
        "2026-03-02T08:00:00Z",
        "account-manager",
        Command::SetCustomerFacts {
            customer: smb.clone(),
            facts: HostFacts {
                potential: Some(Money::parse("250000.00", "EUR")?),
                churn_risk: Decimal::new(1, 1),
                attributes: Default::default(),
            },
        },
    )?;
    let now = instant("2026-03-02T08:30:00Z")?;
    let m = crm.customer_measures(&smb, now)?;
    out.push(format!(
        "  measured: revenue {} (margin {}) over 365 days, potential {}, {} days overdue",
        m.revenue, m.margin, m.potential, m.days_overdue
    ));
    let decision = crm.assign_tier(&smb, now)?;
    out.push(format!(
        "  tier {} by rule {}: {}",
        decision.tier,
        decision.rule.as_deref().unwrap_or("none"),
        decision.reasons.join("; ")
    ));
    run(
        crm,
        "2026-03-02T08:30:00Z",
        "tiering-job",
        Command::AssignTiers {
            customers: vec![smb.clone()],
        },
    )?;

    // A complaint by phone on Monday afternoon runs under gold's 4 business hours.
    run(
        crm,
        "2026-03-02T14:00:00Z",
        "first-line",
        Command::StartProcess {
            start: StartProcess {
                instance: InstanceId::new("COMPLAINT-4")?,
                definition: None,
                interaction_kind: Some("complaint".into()),
                customer: smb.clone(),
                agreement: None,
                calendar: CalendarId::new("support")?,
                data: InstanceData::new(),
                sla: None,
                interaction: Some(InteractionId::new("CALL-4")?),
            },
        },
    )?;
    let later = instant("2026-03-03T12:00:00Z")?;
    let status = crm.process_status(&InstanceId::new("COMPLAINT-4")?, later)?;
    if let Some(r) = &status.resolution {
        out.push(format!(
            "  COMPLAINT-4 next day at 12:00 UTC: resolution {r}"
        ));
        let breach = r.overdue;
        let complaint = Complaint {
            id: InteractionId::new("CALL-4")?,
            category: "network".into(),
            severity: "high".into(),
            sla_breach: (breach.as_secs() > 0).then_some(breach),
            commitment_broken: false,
            complaints_last_90_days: 0,
            disputed_charge: None,
            attributes: Default::default(),
        };
        let d = crm.decide_compensation(&smb, &complaint, later)?;
        out.push(format!(
            "  compensation: {} (rule {}, cap remaining {}): {}",
            d.offer,
            d.rule.as_deref().unwrap_or("none"),
            d.cap_remaining,
            d.reasons.join("; ")
        ));
        run(
            crm,
            "2026-03-03T12:00:00Z",
            "back-office",
            Command::GrantCompensation {
                customer: smb.clone(),
                complaint,
                approved_by: None,
            },
        )?;
        out.push(format!("  granted; balance now {}", crm.balance(&smb)?));
    }
    Ok(out)
}
