//! Story 3: a phone for 1,200.00 in 12 monthly installments and a 49.90 monthly service plan.
//! Two payments arrive late and one partial; the ledger allocates them and ages what is owed,
//! and the collection ladder reminds, warns, restricts service and stops the moment the debt is
//! settled. The months before the day of the main example are replayed on the simulated clock.

use crm_core::agreement::{LineAction, NewLine, SoldThrough, Term};
use crm_core::catalog::{Offering, OfferingKind};
use crm_core::entitlement::{EntitlementKind, EntitlementRequest, EntitlementTemplate};
use crm_core::obligation::{
    ActionStatus, AllocationRule, CollectionPolicy, CollectionPolicyScope, CollectionStep,
    CollectionStepKind, Frequency, Payment, PaymentMethod, PaymentPlanTemplate, PaymentType,
    ScheduleTemplate, Scope,
};
use crm_core::party::{Channel, Consent, Customer};
use crm_core::*;

fn instant(s: &str) -> Result<Instant> {
    s.parse()
        .map_err(|_| Error::validation("instant", s, "not an RFC 3339 instant"))
}

fn date(s: &str) -> Result<chrono::NaiveDate> {
    s.parse()
        .map_err(|_| Error::validation("date", s, "not an ISO date"))
}

fn eur(s: &str) -> Result<Money> {
    Money::parse(s, "EUR")
}

struct Months<'a> {
    crm: &'a mut Crm,
    report: Vec<String>,
}

impl Months<'_> {
    fn run(&mut self, when: &str, actor: &str, command: Command) -> Result<Vec<EventEnvelope>> {
        let meta = Metadata::new(instant(when)?, ActorId::new(actor)?);
        self.crm.execute(&CommandEnvelope { meta, command })
    }

    /// The nightly billing run and collection pass of one day.
    fn night(&mut self, day: &str) -> Result<()> {
        let c = CustomerId::new("C-3003")?;
        self.run(
            &format!("{day}T01:00:00Z"),
            "billing",
            Command::GenerateCharges {
                customer: c.clone(),
                until: date(day)?,
            },
        )?;
        let when = format!("{day}T02:00:00Z");
        for a in self
            .crm
            .collection_actions(&c, "standard", instant(&when)?)?
        {
            let line = a
                .line_id
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default();
            match &a.status {
                ActionStatus::Due => {
                    self.run(
                        &when,
                        "collections",
                        Command::TakeCollectionAction {
                            customer: c.clone(),
                            policy: "standard".into(),
                            key: a.key.clone(),
                        },
                    )?;
                    self.report.push(format!(
                        "  {day}  {:<18} {line:<6} taken: {}",
                        a.step.as_str(),
                        a.reason
                    ));
                }
                ActionStatus::NotApplicable { reason, .. } => {
                    if !self.report.iter().any(|r| r.contains(reason.as_str())) {
                        self.report.push(format!(
                            "  {day}  {:<18} {line:<6} not sent: {reason}",
                            a.step.as_str()
                        ));
                    }
                }
                ActionStatus::Suppressed { suppression } => self.report.push(format!(
                    "  {day}  {:<18} {line:<6} suppressed by exception {}",
                    a.step.as_str(),
                    suppression.exception_id
                )),
            }
        }
        Ok(())
    }

    fn pay(&mut self, id: &str, day: &str, amount: &str) -> Result<()> {
        let events = self.run(
            &format!("{day}T12:00:00Z"),
            "bank-import",
            Command::RecordPayment {
                payment: Payment {
                    id: PaymentId::new(id)?,
                    customer_id: CustomerId::new("C-3003")?,
                    received_at: instant(&format!("{day}T12:00:00Z"))?,
                    amount: eur(amount)?,
                    method: PaymentMethod::BankTransfer,
                    reference: format!("SEPA {id}"),
                    allocation: AllocationRule::OldestDueFirst,
                },
            },
        )?;
        for e in events {
            if let Event::PaymentRecorded { outcome, .. } = e.event {
                let to: Vec<String> = outcome
                    .applications
                    .iter()
                    .map(|a| format!("{} to {}", a.amount, a.charge_id))
                    .collect();
                self.report.push(format!(
                    "  {day}  payment {id:<8} {amount:>8} EUR   {}",
                    to.join(", ")
                ));
            }
        }
        Ok(())
    }
}

fn setup(m: &mut Months<'_>) -> Result<()> {
    let sale = "2025-09-01T10:00:00Z";
    m.run(
        sale,
        "catalog-admin",
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("PHONE-X")?,
                name: "Phone X".into(),
                kind: OfferingKind::PhysicalProduct,
                entitlements: vec![],
                payment_plans: vec![PaymentPlanTemplate {
                    code: "device".into(),
                    payment_type: PaymentType::Sale,
                    schedule: ScheduleTemplate::Installments {
                        total: eur("1200.00")?,
                        count: 12,
                        every: Frequency::Monthly,
                        first_due_after_days: 30,
                    },
                    suspended_billing: Default::default(),
                    early_termination: Default::default(),
                    proration_rounding: Default::default(),
                }],
            },
        },
    )?;
    m.run(
        sale,
        "catalog-admin",
        Command::AddOffering {
            offering: Offering {
                id: OfferingId::new("MOBILE-S")?,
                name: "Mobile service S".into(),
                kind: OfferingKind::Service,
                entitlements: vec![EntitlementTemplate {
                    code: "access".into(),
                    kind: EntitlementKind::Access,
                    conditions: Default::default(),
                    valid_days: None,
                }],
                payment_plans: vec![PaymentPlanTemplate {
                    code: "service".into(),
                    payment_type: PaymentType::Service,
                    schedule: ScheduleTemplate::Recurring {
                        amount: eur("49.90")?,
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
    let step = |kind, after_days| CollectionStep { kind, after_days };
    m.run(
        sale,
        "admin",
        Command::RegisterCollectionPolicy {
            policy: CollectionPolicy::new(
                "standard",
                CollectionPolicyScope::PerObligation,
                vec![
                    step(CollectionStepKind::Reminder, 3),
                    step(CollectionStepKind::Notice, 10),
                    step(CollectionStepKind::Restrict, 21),
                    step(CollectionStepKind::RestrictionNotice, 22),
                    step(CollectionStepKind::Handover, 45),
                ],
            )?,
        },
    )?;
    m.run(
        sale,
        "shop-12",
        Command::RegisterCustomer {
            customer: Customer {
                id: CustomerId::new("C-3003")?,
                name: "Bea Example".into(),
                contact_points: vec![],
                consents: vec![],
            },
        },
    )?;
    m.run(
        sale,
        "shop-12",
        Command::CreateAgreement {
            agreement: AgreementId::new("AG-3")?,
            customer: CustomerId::new("C-3003")?,
            sold_through: SoldThrough::Direct,
            term: Term {
                start: date("2025-09-01")?,
                end: Some(date("2027-08-31")?),
                auto_renew: false,
            },
            lines: vec![
                NewLine {
                    id: LineId::new("DEV")?,
                    offering: OfferingId::new("PHONE-X")?,
                    quantity: 1,
                },
                NewLine {
                    id: LineId::new("SVC")?,
                    offering: OfferingId::new("MOBILE-S")?,
                    quantity: 1,
                },
            ],
            signature: Consent {
                channel: Channel::Branch,
                at: instant(sale)?,
            },
        },
    )?;
    for (line, action) in [
        ("DEV", LineAction::Install),
        ("SVC", LineAction::RequestActivation),
        ("SVC", LineAction::Activate),
    ] {
        m.run(
            sale,
            "provisioning",
            Command::ChangeLineStatus {
                agreement: AgreementId::new("AG-3")?,
                line: LineId::new(line)?,
                action,
                effective_at: None,
                asset: (action == LineAction::Install)
                    .then(|| AssetId::new("IMEI-3003"))
                    .transpose()?,
                renew_until: None,
            },
        )?;
    }
    Ok(())
}

fn access(crm: &Crm, when: &str) -> Result<String> {
    let d = crm.check_entitlement(
        &EntitlementRequest::new(CustomerId::new("C-3003")?, "access", Channel::CustomerApp),
        instant(when)?,
    )?;
    let why = d.messages().first().cloned().unwrap_or_default();
    Ok(format!(
        "{} ({why})",
        if d.is_granted() { "granted" } else { "DENIED" }
    ))
}

/// Runs story 3 on `crm` from 2025-09-01 to 2026-03-01 and returns the report's lines.
pub fn run(crm: &mut Crm) -> Result<Vec<String>> {
    let mut m = Months {
        crm,
        report: Vec::new(),
    };
    setup(&mut m)?;
    m.report.push(
        "  2025-09-01  sale: Phone X 1,200.00 in 12 installments + service 49.90/month".into(),
    );
    // Each night from the sale to the day of the main example: billing, then collections.
    let payments = [
        ("P-1", "2025-09-01", "49.90"),
        ("P-2", "2025-10-01", "149.90"),
        ("P-3", "2025-11-01", "149.90"),
        ("P-4", "2025-12-19", "149.90"), // late payment 1: 18 days late
        ("P-5", "2026-01-01", "149.90"),
        ("P-6", "2026-02-20", "100.00"), // partial: the February installment only
    ];
    let mut day = date("2025-09-01")?;
    let last = date("2026-03-01")?;
    let mut restricted_seen = None;
    while day <= last {
        let d = day.to_string();
        // 01:00 billing, 02:00 collections, 12:00 payments arrive
        m.night(&d)?;
        if restricted_seen.is_none()
            && m.report
                .iter()
                .any(|r| r.contains("taken: ") && r.contains("restrict "))
        {
            restricted_seen = Some(d.clone());
            let when = format!("{d}T09:00:00Z");
            let line = format!("  {d}  access check in the app: {}", access(m.crm, &when)?);
            m.report.push(line);
        }
        for (id, when, amount) in payments {
            if when == d {
                m.pay(id, &d, amount)?;
            }
        }
        if d == "2026-02-26" {
            // late payment 2: the rest of February, 25 days late, settles the debt
            m.pay("P-7", &d, "49.90")?;
            let settled = m.crm.settled_restrictions(
                &CustomerId::new("C-3003")?,
                instant("2026-02-26T13:00:00Z")?,
            )?;
            for s in settled {
                m.run(
                    "2026-02-26T13:00:00Z",
                    "collections",
                    Command::ChangeLineStatus {
                        agreement: s.agreement.clone(),
                        line: s.line.clone(),
                        action: LineAction::LiftRestriction,
                        effective_at: None,
                        asset: None,
                        renew_until: None,
                    },
                )?;
                m.report.push(format!(
                    "  {d}  debt settled: the ladder stops; restriction of line {} lifted",
                    s.line
                ));
            }
        }
        day = day
            .succ_opt()
            .ok_or_else(|| Error::validation("date", day, "out of range"))?;
    }
    let line = format!(
        "  2026-03-01  access check in the app: {}",
        access(m.crm, "2026-03-01T09:00:00Z")?
    );
    m.report.push(line);

    let c = CustomerId::new("C-3003")?;
    let aging = m.crm.aging(&c, date("2026-03-01")?, 0, &Scope::Customer)?;
    let rec = m.crm.reconcile(
        &c,
        date("2026-02-01")?,
        date("2026-02-28")?,
        date("2026-03-01")?,
        &Scope::Customer,
    )?;
    let device = m.crm.statement(
        &c,
        &Scope::Plan {
            plan_id: PlanId::new("DEV.device")?,
        },
    )?;
    m.report.push(format!(
        "  on 2026-03-01: balance {}, open {} (current {}, 1-30 days {}); February: due {}, received {}, all in: {}",
        m.crm.balance(&c)?,
        aging.total_open,
        aging.current,
        aging.days_1_30,
        rec.due,
        rec.paid,
        rec.all_received
    ));
    m.report.push(format!(
        "  device plan: {} installments billed of 12, {} charged, {} paid",
        device.charges.len(),
        device.charged,
        device.paid
    ));
    Ok(m.report)
}
