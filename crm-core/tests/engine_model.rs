//! Model-based property tests: the engine against a small reference model, over random
//! sequences of commands (customers, agreements, line moves, exceptions, entitlement uses and
//! reversals, billing, payments and their reversals, credits, adjustments, write-offs and
//! applied credit balances), with idempotency keys that are reused and expected versions that are right or
//! stale. In every case:
//!
//! - every command's outcome is the one the model predicts (success, or an error of the
//!   predicted kinds), and a failed command changes nothing;
//! - a stale expected version is a conflict; a repeated key returns the first events and
//!   changes nothing; the same key with another command is a conflict;
//! - replaying the log gives the same state, byte for byte;
//! - quota usage never exceeds the quota without a cited exception (and never the quota plus
//!   every extra ever approved);
//! - money is conserved over billing, payments, reversals, credits, adjustments, write-offs and
//!   applied credit balances: after every step each ledger's balance equals what the model
//!   summed from the commands (charged + adjusted - received - credited - written off), every
//!   payment or credit is split exactly into what it paid and what it left as credit balance,
//!   and the charges received exactly what the payments and credits applied.
//!
//! A separate property checks that deadline arithmetic on business calendars is additive.
//!
//! Cases per property: 10,000 by default (`CRM_MODEL_CASES` changes it, e.g. 100000 for a long
//! run); sequences are short so that the whole file takes well under a minute in a debug build.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{customer, mobile_offering, state_json};
use crm_core::agreement::{
    Exception, ExceptionEffect, ExceptionScope, LineAction, LineStatus, NewLine, SoldThrough, Term,
};
use crm_core::calendar::{BusinessCalendar, BusinessDuration};
use crm_core::entitlement::{EntitlementRequest, UsageRecord};
use crm_core::lifecycle::{LineKind, next_status};
use crm_core::obligation::{
    Adjustment, Application, ChargeChange, Credit, Frequency, FundingSource, Payment,
    PaymentMethod, PaymentPlanTemplate, PaymentType, ScheduleTemplate, WriteOff,
};
use crm_core::party::{Channel, Consent};
use crm_core::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const QUOTA: usize = 2;

fn cases() -> u32 {
    std::env::var("CRM_MODEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

fn config() -> Config {
    Config {
        cases: cases(),
        // the sequences are cheap; failures shrink quickly
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

fn t0() -> Instant {
    "2026-01-01T08:00:00Z".parse().unwrap()
}

const ACTIONS: [LineAction; 9] = [
    LineAction::RequestActivation,
    LineAction::Activate,
    LineAction::Suspend,
    LineAction::Resume,
    LineAction::Restrict,
    LineAction::LiftRestriction,
    LineAction::RequestTermination,
    LineAction::CancelTermination,
    LineAction::Terminate,
];

/// What a step asks for, over a few ids so that collisions and unknown ids happen.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Register {
        customer: u8,
    },
    Create {
        agreement: u8,
        customer: u8,
        line: u8,
    },
    Move {
        agreement: u8,
        line: u8,
        action: usize,
    },
    Approve {
        exception: u8,
        agreement: u8,
    },
    Revoke {
        exception: u8,
    },
    Consume {
        usage: u8,
        customer: u8,
    },
    Reverse {
        usage: u8,
    },
    /// Generate a customer's charges up to the first day of `month` (2026).
    Bill {
        customer: u8,
        month: u32,
    },
    /// Record a payment of `cents`.
    Pay {
        customer: u8,
        cents: i64,
    },
    /// Reverse the `pick`-th payment recorded so far (modulo their number).
    Bounce {
        pick: usize,
    },
    /// Grant a credit of `cents`.
    Credit {
        customer: u8,
        cents: i64,
    },
    /// Adjust the `pick`-th charge billed so far (modulo their number) by `cents` (signed).
    Adjust {
        pick: usize,
        cents: i64,
    },
    /// Write off `cents` of the `pick`-th charge billed so far.
    WriteOff {
        pick: usize,
        cents: i64,
    },
    /// Apply a customer's credit balance to the open charges.
    ApplyCredit {
        customer: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Version {
    None,
    Right,
    Stale(u8),
}

#[derive(Debug, Clone)]
struct Step {
    op: Op,
    key: Option<u8>,
    version: Version,
}

/// A customer for a money step: mostly C1, whose line is active from the start.
fn payer() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(1u8), 1 => 1u8..4]
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1u8..4).prop_map(|customer| Op::Register { customer }),
        2 => (1u8..4, 1u8..4, 1u8..5).prop_map(|(agreement, customer, line)| Op::Create {
            agreement,
            customer,
            line
        }),
        3 => (1u8..4, 1u8..5, 0..ACTIONS.len()).prop_map(|(agreement, line, action)| Op::Move {
            agreement,
            line,
            action
        }),
        1 => (1u8..4, 1u8..4).prop_map(|(exception, agreement)| Op::Approve { exception, agreement }),
        1 => (1u8..4).prop_map(|exception| Op::Revoke { exception }),
        4 => (1u8..6, 1u8..4).prop_map(|(usage, customer)| Op::Consume { usage, customer }),
        1 => (1u8..6).prop_map(|usage| Op::Reverse { usage }),
        3 => (payer(), 1u32..7).prop_map(|(customer, month)| Op::Bill { customer, month }),
        3 => (payer(), 1i64..10_000).prop_map(|(customer, cents)| Op::Pay { customer, cents }),
        2 => (0usize..8).prop_map(|pick| Op::Bounce { pick }),
        2 => (payer(), 1i64..5_000).prop_map(|(customer, cents)| Op::Credit { customer, cents }),
        2 => (0usize..8, -3_000i64..3_000)
            .prop_filter("an adjustment is not zero", |(_, c)| *c != 0)
            .prop_map(|(pick, cents)| Op::Adjust { pick, cents }),
        2 => (0usize..8, 1i64..4_000).prop_map(|(pick, cents)| Op::WriteOff { pick, cents }),
        2 => payer().prop_map(|customer| Op::ApplyCredit { customer }),
    ]
}

fn arb_steps() -> impl Strategy<Value = Vec<Step>> {
    let version = prop_oneof![
        3 => Just(Version::None),
        1 => Just(Version::Right),
        1 => (0u8..3).prop_map(Version::Stale),
    ];
    prop::collection::vec(
        (arb_op(), prop::option::weighted(0.4, 0u8..4), version)
            .prop_map(|(op, key, version)| Step { op, key, version }),
        1..14,
    )
}

fn c_id(n: u8) -> CustomerId {
    CustomerId::new(format!("C{n}")).unwrap()
}
fn a_id(n: u8) -> AgreementId {
    AgreementId::new(format!("A{n}")).unwrap()
}
fn l_id(n: u8) -> LineId {
    LineId::new(format!("L{n}")).unwrap()
}
fn eur(cents: i64) -> Money {
    Money::from_minor(cents, Currency::new("EUR").unwrap())
}

/// The starting point of every case: offering MOBILE (quota of 2 repairs per rolling year),
/// customer C1 and agreement A1 with the active line L1.
fn setup_events() -> &'static [EventEnvelope] {
    static EVENTS: OnceLock<Vec<EventEnvelope>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let mut crm = Crm::new();
        let meta = Metadata::new(t0(), ActorId::new("setup").unwrap());
        let mut run = |command| {
            crm.execute(&CommandEnvelope {
                meta: meta.clone(),
                command,
            })
            .unwrap();
        };
        let mut offering = mobile_offering();
        offering.entitlements[0].code = "repair".into();
        // 29.90 a month in advance from the sale, so that billing has something to charge.
        offering.payment_plans = vec![PaymentPlanTemplate {
            code: "monthly".into(),
            payment_type: PaymentType::Service,
            schedule: ScheduleTemplate::Recurring {
                amount: eur(2_990),
                every: Frequency::Monthly,
                timing: Default::default(),
                start_after_days: 0,
            },
            suspended_billing: Default::default(),
            early_termination: Default::default(),
            proration_rounding: Default::default(),
        }];
        run(Command::AddOffering { offering });
        run(Command::RegisterCustomer {
            customer: customer("C1"),
        });
        run(create(1, 1, 1));
        for action in [LineAction::RequestActivation, LineAction::Activate] {
            run(line_move(1, 1, action));
        }
        crm.events().unwrap()
    })
}

fn create(agreement: u8, customer: u8, line: u8) -> Command {
    Command::CreateAgreement {
        agreement: a_id(agreement),
        customer: c_id(customer),
        sold_through: SoldThrough::Direct,
        term: Term {
            start: "2026-01-01".parse().unwrap(),
            end: None,
            auto_renew: false,
        },
        lines: vec![NewLine {
            id: l_id(line),
            offering: OfferingId::new("MOBILE").unwrap(),
            quantity: 1,
        }],
        signature: Consent {
            channel: Channel::Branch,
            at: t0(),
        },
    }
}

fn line_move(agreement: u8, line: u8, action: LineAction) -> Command {
    Command::ChangeLineStatus {
        agreement: a_id(agreement),
        line: l_id(line),
        action,
        effective_at: None,
        asset: None,
        renew_until: None,
    }
}

/// What the model knows of one customer's money, in cents, from the commands it sent (and, for
/// billing, from the charges the engine generated).
#[derive(Debug, Clone, Default, PartialEq)]
struct Books {
    /// Whether the engine keeps a ledger for the customer.
    opened: bool,
    charged: i64,
    adjusted: i64,
    received: i64,
    credited: i64,
    written_off: i64,
}

impl Books {
    /// What the customer owes: charged + adjusted - received - credited - written off.
    fn balance(&self) -> i64 {
        self.charged + self.adjusted - self.received - self.credited - self.written_off
    }
}

fn cents(m: &Money) -> i64 {
    let minor = m.amount() * Decimal::from(100);
    assert!(minor.fract().is_zero(), "{m} has a fraction of a cent");
    rust_decimal::prelude::ToPrimitive::to_i64(&minor).unwrap()
}

/// The reference model: only what the predictions need.
#[derive(Debug, Clone)]
struct Model {
    customers: BTreeSet<u8>,
    /// agreement -> (customer, line, status of its line)
    agreements: BTreeMap<u8, (u8, u8, LineStatus)>,
    lines: BTreeSet<u8>,
    /// exception -> (agreement, revoked)
    exceptions: BTreeMap<u8, (u8, bool)>,
    /// usage -> reversed
    usages: BTreeMap<u8, bool>,
    versions: BTreeMap<String, u64>,
    keys: BTreeMap<u8, (Command, Vec<EventEnvelope>)>,
    /// The index of the step being run (entry ids are unique per step).
    step: usize,
    /// The books of each customer.
    books: BTreeMap<u8, Books>,
    /// Charges billed so far: id -> customer.
    charges: BTreeMap<ChargeId, u8>,
    /// Payments recorded so far, in order: (id, customer, cents, reversed).
    payments: Vec<(PaymentId, u8, i64, bool)>,
}

impl Model {
    fn new() -> Model {
        Model {
            customers: [1].into(),
            agreements: [(1, (1, 1, LineStatus::Active))].into(),
            lines: [1].into(),
            exceptions: BTreeMap::new(),
            usages: BTreeMap::new(),
            versions: [
                ("offering/MOBILE".to_string(), 1),
                ("customer/C1".to_string(), 1),
                ("agreement/A1".to_string(), 3),
            ]
            .into(),
            keys: BTreeMap::new(),
            step: 0,
            books: BTreeMap::new(),
            charges: BTreeMap::new(),
            payments: Vec::new(),
        }
    }

    fn entry_id(&self, prefix: &str) -> EntryId {
        EntryId::new(format!("{prefix}{}", self.step)).unwrap()
    }

    /// The `pick`-th charge billed so far, or an id no charge has.
    fn picked_charge(&self, pick: usize) -> (ChargeId, Option<u8>) {
        match self.charges.len() {
            0 => (ChargeId::new("L1.monthly#99").unwrap(), None),
            n => self
                .charges
                .iter()
                .nth(pick % n)
                .map(|(id, c)| (id.clone(), Some(*c)))
                .unwrap(),
        }
    }

    fn picked_payment(&self, pick: usize) -> Option<&(PaymentId, u8, i64, bool)> {
        match self.payments.len() {
            0 => None,
            n => self.payments.get(pick % n),
        }
    }

    fn version(&self, stream: &str) -> u64 {
        self.versions.get(stream).copied().unwrap_or(0)
    }

    /// The command of a step, and the stream it targets when the model knows it beforehand.
    fn command(&self, op: &Op) -> (Command, Option<String>) {
        match *op {
            Op::Register { customer: c } => (
                Command::RegisterCustomer {
                    customer: customer(&format!("C{c}")),
                },
                Some(format!("customer/C{c}")),
            ),
            Op::Create {
                agreement,
                customer,
                line,
            } => (
                create(agreement, customer, line),
                Some(format!("agreement/A{agreement}")),
            ),
            Op::Move {
                agreement,
                line,
                action,
            } => (
                line_move(agreement, line, ACTIONS[action]),
                Some(format!("agreement/A{agreement}")),
            ),
            Op::Approve {
                exception,
                agreement,
            } => {
                let (customer, line) = self
                    .agreements
                    .get(&agreement)
                    .map(|(c, l, _)| (*c, *l))
                    .unwrap_or((1, 1));
                (
                    Command::ApproveException {
                        exception: Exception {
                            id: ExceptionId::new(format!("X{exception}")).unwrap(),
                            customer: c_id(customer),
                            agreement: Some(a_id(agreement)),
                            scope: ExceptionScope::Entitlement {
                                entitlement: EntitlementId::new(format!("L{line}.repair")).unwrap(),
                            },
                            effect: ExceptionEffect::Allow {
                                extra: Some(1.into()),
                            },
                            approved_by: ActorId::new("supervisor").unwrap(),
                            reason: "goodwill".into(),
                            valid_from: t0(),
                            valid_to: None,
                            revoked: None,
                        },
                    },
                    Some(format!("agreement/A{agreement}")),
                )
            }
            Op::Revoke { exception } => (
                Command::RevokeException {
                    exception: ExceptionId::new(format!("X{exception}")).unwrap(),
                    reason: "withdrawn".into(),
                },
                None,
            ),
            Op::Consume { usage, customer } => (
                Command::ConsumeEntitlement {
                    usage: UsageId::new(format!("U{usage}")).unwrap(),
                    request: EntitlementRequest::new(c_id(customer), "repair", Channel::Phone),
                },
                None,
            ),
            Op::Reverse { usage } => (
                Command::ReverseUsage {
                    usage: UsageId::new(format!("U{usage}")).unwrap(),
                    reason: "cancelled".into(),
                },
                None,
            ),
            Op::Bill { customer, month } => (
                Command::GenerateCharges {
                    customer: c_id(customer),
                    until: chrono::NaiveDate::from_ymd_opt(2026, month, 1).unwrap(),
                },
                Some(format!("ledger/C{customer}")),
            ),
            Op::Pay { customer, cents } => (
                Command::RecordPayment {
                    payment: Payment {
                        id: PaymentId::new(format!("PAY{}", self.step)).unwrap(),
                        customer_id: c_id(customer),
                        received_at: t0(),
                        amount: eur(cents),
                        method: PaymentMethod::BankTransfer,
                        reference: "model".into(),
                        allocation: Default::default(),
                    },
                },
                Some(format!("ledger/C{customer}")),
            ),
            Op::Bounce { pick } => match self.picked_payment(pick) {
                Some((id, customer, _, _)) => (
                    Command::ReversePayment {
                        customer: c_id(*customer),
                        payment: id.clone(),
                        reason: "returned".into(),
                    },
                    Some(format!("ledger/C{customer}")),
                ),
                None => (
                    Command::ReversePayment {
                        customer: c_id(1),
                        payment: PaymentId::new("PAY-none").unwrap(),
                        reason: "returned".into(),
                    },
                    None,
                ),
            },
            Op::Credit { customer, cents } => (
                Command::GrantCredit {
                    credit: Credit {
                        id: self.entry_id("CR"),
                        customer_id: c_id(customer),
                        granted_at: t0(),
                        amount: eur(cents),
                        reason: "goodwill".into(),
                        approved_by: ActorId::new("supervisor").unwrap(),
                        allocation: Default::default(),
                    },
                },
                Some(format!("ledger/C{customer}")),
            ),
            Op::Adjust { pick, cents } => {
                let (charge_id, owner) = self.picked_charge(pick);
                (
                    Command::AdjustCharge {
                        adjustment: Adjustment {
                            id: self.entry_id("ADJ"),
                            charge_id,
                            at: t0(),
                            amount: eur(cents),
                            reason: "correction".into(),
                            approved_by: ActorId::new("supervisor").unwrap(),
                        },
                    },
                    owner.map(|c| format!("ledger/C{c}")),
                )
            }
            Op::WriteOff { pick, cents } => {
                let (charge_id, owner) = self.picked_charge(pick);
                (
                    Command::WriteOff {
                        write_off: WriteOff {
                            id: self.entry_id("WO"),
                            charge_id,
                            at: t0(),
                            amount: eur(cents),
                            reason: "uncollectable".into(),
                            approved_by: ActorId::new("supervisor").unwrap(),
                        },
                    },
                    owner.map(|c| format!("ledger/C{c}")),
                )
            }
            Op::ApplyCredit { customer } => (
                Command::ApplyCreditBalance {
                    customer: c_id(customer),
                },
                Some(format!("ledger/C{customer}")),
            ),
        }
    }

    /// What the model expects of `op` when no key or version gets in the way: `Ok(())`, or the
    /// error kinds that may come (any of them); `None` when the model does not predict it.
    fn predict(&self, op: &Op) -> Option<Result<(), Vec<ErrorKind>>> {
        use ErrorKind::*;
        let errors = |list: Vec<(bool, ErrorKind)>| {
            let kinds: Vec<ErrorKind> = list.into_iter().filter(|(b, _)| *b).map(|x| x.1).collect();
            if kinds.is_empty() { Ok(()) } else { Err(kinds) }
        };
        Some(match *op {
            Op::Register { customer } => {
                errors(vec![(self.customers.contains(&customer), AlreadyExists)])
            }
            Op::Create {
                agreement,
                customer,
                line,
            } => errors(vec![
                (!self.customers.contains(&customer), NotFound),
                (self.agreements.contains_key(&agreement), AlreadyExists),
                (self.lines.contains(&line), AlreadyExists),
            ]),
            Op::Move {
                agreement,
                line,
                action,
            } => match self.agreements.get(&agreement) {
                None => Err(vec![NotFound]),
                Some((_, l, _)) if *l != line => Err(vec![NotFound]),
                Some((_, _, status)) => errors(vec![(
                    next_status(LineKind::Service, *status, ACTIONS[action]).is_none(),
                    InvalidTransition,
                )]),
            },
            Op::Approve {
                exception,
                agreement,
            } => errors(vec![
                (!self.agreements.contains_key(&agreement), NotFound),
                (self.exceptions.contains_key(&exception), AlreadyExists),
            ]),
            Op::Revoke { exception } => match self.exceptions.get(&exception) {
                None => Err(vec![NotFound]),
                Some((_, true)) => Err(vec![InvalidTransition, Validation, AlreadyExists]),
                Some((_, false)) => Ok(()),
            },
            Op::Consume { usage, .. } if self.usages.contains_key(&usage) => {
                Err(vec![AlreadyExists])
            }
            Op::Consume { .. } => return None,
            Op::Reverse { usage } => match self.usages.get(&usage) {
                None => Err(vec![NotFound]),
                Some(true) => Err(vec![InvalidTransition, Validation, AlreadyExists]),
                Some(false) => Ok(()),
            },
            Op::Bill { customer, .. } if !self.customers.contains(&customer) => Err(vec![NotFound]),
            // Billing may find nothing new, or a change to settle: not predicted in detail.
            Op::Bill { .. } => return None,
            Op::Pay { customer, .. } | Op::Credit { customer, .. } => {
                errors(vec![(!self.customers.contains(&customer), NotFound)])
            }
            Op::Bounce { pick } => match self.picked_payment(pick) {
                None => Err(vec![NotFound]),
                Some((_, _, _, true)) => Err(vec![InvalidTransition]),
                Some((_, _, _, false)) => Ok(()),
            },
            Op::Adjust { .. } | Op::WriteOff { .. } if self.charges.is_empty() => {
                Err(vec![NotFound])
            }
            // Whether the amount fits the charge's open amount is the ledger's to say; the
            // money checks after the step hold either way.
            Op::Adjust { .. } | Op::WriteOff { .. } => return None,
            Op::ApplyCredit { customer }
                if !self.books.get(&customer).is_some_and(|b| b.opened) =>
            {
                Err(vec![NotFound])
            }
            Op::ApplyCredit { .. } => Ok(()),
        })
    }

    /// Records a success.
    fn apply(&mut self, op: &Op, events: &[EventEnvelope]) {
        for e in events {
            self.versions.insert(e.stream.clone(), e.stream_version);
        }
        match *op {
            Op::Register { customer } => {
                self.customers.insert(customer);
            }
            Op::Create {
                agreement,
                customer,
                line,
            } => {
                self.agreements
                    .insert(agreement, (customer, line, LineStatus::Created));
                self.lines.insert(line);
            }
            Op::Move {
                agreement, action, ..
            } => {
                let entry = self.agreements.get_mut(&agreement).unwrap();
                entry.2 = next_status(LineKind::Service, entry.2, ACTIONS[action]).unwrap();
            }
            Op::Approve {
                exception,
                agreement,
            } => {
                self.exceptions.insert(exception, (agreement, false));
            }
            Op::Revoke { exception } => {
                self.exceptions.get_mut(&exception).unwrap().1 = true;
            }
            Op::Consume { usage, .. } => {
                self.usages.insert(usage, false);
            }
            Op::Reverse { usage } => {
                self.usages.insert(usage, true);
            }
            Op::Bill { customer, .. } => {
                let books = self.books.entry(customer).or_default();
                for e in events {
                    if let Event::ChargesGenerated {
                        changes,
                        adjustments,
                        credits,
                        ..
                    } = &e.event
                    {
                        books.opened = true;
                        for change in changes {
                            if let ChargeChange::New { charge } = change {
                                books.charged += cents(&charge.amount);
                                self.charges.insert(charge.id.clone(), customer);
                            }
                        }
                        books.adjusted += adjustments.iter().map(|a| cents(&a.amount)).sum::<i64>();
                        books.credited += credits.iter().map(|c| cents(&c.amount)).sum::<i64>();
                    }
                }
            }
            Op::Pay { customer, cents } => {
                let books = self.books.entry(customer).or_default();
                books.opened = true;
                books.received += cents;
                let id = PaymentId::new(format!("PAY{}", self.step)).unwrap();
                self.payments.push((id, customer, cents, false));
            }
            Op::Bounce { pick } => {
                let n = self.payments.len();
                let (_, customer, cents, reversed) = &mut self.payments[pick % n];
                *reversed = true;
                self.books.entry(*customer).or_default().received -= *cents;
            }
            Op::Credit { customer, cents } => {
                let books = self.books.entry(customer).or_default();
                books.opened = true;
                books.credited += cents;
            }
            Op::Adjust { pick, cents } => {
                let customer = self.picked_charge(pick).1.unwrap();
                self.books.entry(customer).or_default().adjusted += cents;
            }
            Op::WriteOff { pick, cents } => {
                let customer = self.picked_charge(pick).1.unwrap();
                self.books.entry(customer).or_default().written_off += cents;
            }
            Op::ApplyCredit { .. } => {}
        }
    }
}

fn kind_of(r: &Result<Vec<EventEnvelope>>) -> Option<ErrorKind> {
    r.as_ref().err().map(Error::kind)
}

/// Runs the steps on an engine and the model side by side, checking every prediction.
fn run(steps: &[Step]) -> std::result::Result<Crm, TestCaseError> {
    let store = InMemoryStore::from_events(setup_events().to_vec()).unwrap();
    let mut crm = Crm::open(Box::new(store)).unwrap();
    let mut model = Model::new();
    for (i, step) in steps.iter().enumerate() {
        model.step = i;
        let (command, stream) = model.command(&step.op);
        let mut meta = Metadata::new(
            t0() + chrono::Duration::minutes(i as i64 + 1),
            ActorId::new("clerk").unwrap(),
        );
        meta.idempotency_key = step.key.map(|k| format!("key-{k}"));
        let right = stream.as_deref().map(|s| model.version(s));
        meta.expected_version = match (step.version, right) {
            (Version::Right, Some(v)) => Some(v),
            (Version::Stale(d), Some(v)) => Some(if d == 0 && v > 0 {
                v - 1
            } else {
                v + 1 + u64::from(d)
            }),
            _ => None,
        };
        let stale = meta.expected_version.is_some() && meta.expected_version != right;
        let before = crm.state().clone();
        let result = crm.execute(&CommandEnvelope {
            meta,
            command: command.clone(),
        });
        let context = format!("step {i} {step:?}: {result:?}");

        // A key seen before answers for the command, whatever the command would do now.
        if let Some(k) = step.key
            && let Some((first, events)) = model.keys.get(&k)
        {
            if *first == command {
                prop_assert_eq!(result.as_ref().ok(), Some(events), "{}", context);
            } else {
                prop_assert!(
                    matches!(result, Err(Error::IdempotencyConflict { .. })),
                    "{}",
                    context
                );
            }
            prop_assert!(
                crm.state() == &before,
                "a repeated key changed the state: {}",
                context
            );
            continue;
        }
        match (model.predict(&step.op), &result) {
            (Some(Err(kinds)), r) => {
                let kind = kind_of(r);
                prop_assert!(
                    kind.is_some_and(|k| kinds.contains(&k)),
                    "expected one of {:?}: {}",
                    kinds,
                    context
                );
            }
            (Some(Ok(())), r) if stale => {
                prop_assert!(
                    matches!(r, Err(Error::VersionConflict { .. })),
                    "a stale version must conflict: {}",
                    context
                );
            }
            (Some(Ok(())), r) => prop_assert!(r.is_ok(), "expected success: {}", context),
            (None, _) => {}
        }
        match &result {
            Ok(events) => {
                prop_assert!(!stale, "a stale version was accepted: {}", context);
                // Billing with nothing new and applying an empty credit balance record nothing.
                let may_be_empty = matches!(step.op, Op::Bill { .. } | Op::ApplyCredit { .. });
                prop_assert!(
                    events.len() == 1 || (may_be_empty && events.is_empty()),
                    "{}",
                    context
                );
                model.apply(&step.op, events);
                // A key is remembered with the events it produced; with none, it is not.
                if let Some(k) = step.key
                    && !events.is_empty()
                {
                    model.keys.insert(k, (command, events.clone()));
                }
            }
            Err(_) => {
                prop_assert!(
                    crm.state() == &before,
                    "a failed command changed the state: {}",
                    context
                );
            }
        }
        check_money(&crm, &model, &context)?;
    }
    Ok(crm)
}

fn sum(apps: &[Application]) -> i64 {
    apps.iter().map(|a| cents(&a.amount)).sum()
}

/// Money is conserved: each ledger agrees with the model's books, and every amount that moved
/// is accounted for on both sides.
fn check_money(crm: &Crm, model: &Model, context: &str) -> std::result::Result<(), TestCaseError> {
    for c in 1u8..4 {
        let books = model.books.get(&c).cloned().unwrap_or_default();
        let ledger = match crm.ledger(&c_id(c)) {
            Ok(Some(l)) => l,
            _ => {
                prop_assert!(!books.opened, "C{} has no ledger: {}", c, context);
                prop_assert_eq!(books.balance(), 0, "{}", context);
                continue;
            }
        };
        // The balance is what the commands add up to.
        let balance = cents(&crm.balance(&c_id(c)).unwrap());
        prop_assert_eq!(balance, books.balance(), "C{} {:?}: {}", c, books, context);

        // Per charge: nothing open below zero, and open = net - paid - credited - written off.
        let (mut open, mut applied, mut adjusted, mut written_off) = (0, 0, 0, 0);
        for e in ledger.charges() {
            let o = cents(&e.open);
            prop_assert!(o >= 0, "{} open {}: {}", e.charge.id, o, context);
            prop_assert_eq!(
                o,
                cents(&e.charge.amount) + cents(&e.adjusted)
                    - cents(&e.paid)
                    - cents(&e.credited)
                    - cents(&e.written_off),
                "{}: {}",
                e.charge.id,
                context
            );
            open += o;
            applied += cents(&e.paid) + cents(&e.credited);
            adjusted += cents(&e.adjusted);
            written_off += cents(&e.written_off);
        }
        prop_assert_eq!(
            adjusted,
            books.adjusted,
            "adjustments of C{}: {}",
            c,
            context
        );
        prop_assert_eq!(
            written_off,
            books.written_off,
            "write-offs of C{}: {}",
            c,
            context
        );

        // Every payment and credit not reversed is split exactly into what it paid and what it
        // left as credit balance; the charges received exactly what they applied.
        let (mut funded, mut unapplied) = (0, 0);
        for f in ledger.fundings() {
            let amount = match &f.source {
                FundingSource::Payment(p) => cents(&p.amount),
                FundingSource::Credit(cr) => cents(&cr.amount),
            };
            if f.reversal.is_some() {
                prop_assert_eq!(
                    cents(&f.unapplied),
                    0,
                    "a reversed payment left credit: {}",
                    context
                );
                continue;
            }
            let left = cents(&f.unapplied);
            prop_assert!(left >= 0, "{}", context);
            prop_assert_eq!(
                sum(&f.applications) + left,
                amount,
                "{:?}: {}",
                f.source,
                context
            );
            funded += sum(&f.applications);
            unapplied += left;
        }
        prop_assert_eq!(
            funded,
            applied,
            "applied to charges vs from fundings, C{}: {}",
            c,
            context
        );
        prop_assert_eq!(
            unapplied,
            cents(&ledger.credit_balance().unwrap()),
            "{}",
            context
        );
        prop_assert_eq!(open - unapplied, balance, "{}", context);
    }
    Ok(())
}

/// Every recorded payment and credit splits exactly into what it applied and what it left; a
/// reversal re-opens exactly what the payment had paid and left.
fn check_allocations(crm: &Crm) -> std::result::Result<(), TestCaseError> {
    let mut payments: BTreeMap<PaymentId, i64> = BTreeMap::new();
    for e in crm.events().unwrap() {
        match &e.event {
            Event::PaymentRecorded { payment, outcome } => {
                prop_assert_eq!(
                    sum(&outcome.applications) + cents(&outcome.to_credit_balance),
                    cents(&payment.amount),
                    "{:?}",
                    e
                );
                payments.insert(payment.id.clone(), cents(&payment.amount));
            }
            Event::CreditGranted { credit, outcome } => prop_assert_eq!(
                sum(&outcome.applications) + cents(&outcome.to_credit_balance),
                cents(&credit.amount),
                "{:?}",
                e
            ),
            Event::PaymentReversed { outcome, .. } => prop_assert_eq!(
                sum(&outcome.reopened) + cents(&outcome.removed_from_credit_balance),
                payments[&outcome.payment_id],
                "{:?}",
                e
            ),
            _ => {}
        }
    }
    Ok(())
}

/// Every use that took an entitlement past its quota cites an exception, and no entitlement
/// is ever used more than its quota plus every extra ever approved on it.
fn check_quota(crm: &Crm) -> std::result::Result<(), TestCaseError> {
    let events = crm.events().unwrap();
    let mut extras: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        if let Event::ExceptionApproved { exception } = &e.event
            && let ExceptionScope::Entitlement { entitlement } = &exception.scope
        {
            *extras.entry(entitlement.to_string()).or_default() += 1;
        }
    }
    let mut uses: BTreeMap<String, Vec<UsageRecord>> = BTreeMap::new();
    let mut reversed = BTreeSet::new();
    for e in &events {
        match &e.event {
            Event::UsageRecorded { usage } => uses
                .entry(usage.entitlement.to_string())
                .or_default()
                .push(usage.clone()),
            Event::UsageReversed { usage, .. } => {
                reversed.insert(usage.clone());
            }
            _ => {}
        }
    }
    for (entitlement, list) in &uses {
        let counted: Vec<_> = list.iter().filter(|u| !reversed.contains(&u.id)).collect();
        for (n, u) in counted.iter().enumerate() {
            // every use is within the rolling year of the others here
            if n + 1 > QUOTA {
                prop_assert!(
                    !u.exceptions.is_empty(),
                    "use {} of {entitlement} is number {} of a quota of {QUOTA} and cites no exception",
                    u.id,
                    n + 1
                );
            }
        }
        let bound = QUOTA + extras.get(entitlement).copied().unwrap_or(0);
        prop_assert!(
            counted.len() <= bound,
            "{entitlement}: {} uses, more than {bound}",
            counted.len()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_engine_agrees_with_the_model(steps in arb_steps()) {
        let crm = run(&steps)?;
        // replay equals state, byte for byte
        let replayed = Crm::replay(&crm.events().unwrap()).unwrap();
        prop_assert_eq!(serde_json::to_string(&replayed).unwrap(), state_json(&crm));
        // quota usage never exceeds the quota without a cited exception
        check_quota(&crm)?;
        // every allocation and reversal in the log accounts for its whole amount
        check_allocations(&crm)?;
    }
}

// ------------------------------------------------------------------------------------------
// Deadline arithmetic is additive on a business calendar.

fn calendars() -> &'static [BusinessCalendar] {
    static CALS: OnceLock<Vec<BusinessCalendar>> = OnceLock::new();
    CALS.get_or_init(|| {
        [
            r#"{"id":"berlin","zone":"Europe/Berlin",
                "week":{"monday":[{"start":"08:00","end":"12:00"},{"start":"13:00","end":"17:00"}],
                        "tuesday":[{"start":"08:00","end":"17:00"}],"wednesday":[{"start":"08:00","end":"17:00"}],
                        "thursday":[{"start":"08:00","end":"17:00"}],"friday":[{"start":"08:00","end":"15:00"}]},
                "holidays":[{"date":"2026-12-25","name":"Christmas","hours":[]},
                            {"date":"2026-12-24","name":"Christmas Eve","hours":[{"start":"08:00","end":"12:00"}]}]}"#,
            r#"{"id":"new-york","zone":"America/New_York",
                "week":{"monday":[{"start":"01:30","end":"03:30"}],"sunday":[{"start":"00:00","end":"24:00"}]}}"#,
            r#"{"id":"lord-howe","zone":"Australia/Lord_Howe",
                "week":{"saturday":[{"start":"01:00","end":"03:00"}],"sunday":[{"start":"01:45","end":"02:15"}]}}"#,
        ]
        .iter()
        .map(|json| BusinessCalendar::from_json(json).unwrap())
        .collect()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn deadline_arithmetic_is_additive(
        cal in 0usize..3,
        // 2025 to 2028, to the second (daylight-saving changes included)
        start in 1_735_689_600i64..1_830_297_600,
        a in 0i64..400 * 3600,
        b in 0i64..400 * 3600,
    ) {
        let cal = &calendars()[cal];
        let at = chrono::DateTime::from_timestamp(start, 0).unwrap();
        let (da, db) = (BusinessDuration::from_secs(a).unwrap(), BusinessDuration::from_secs(b).unwrap());
        let after_a = cal.add(at, da, &[]).unwrap();
        let after_ab = cal.add(after_a, db, &[]).unwrap();
        let direct = cal.add(at, da.checked_add(db).unwrap(), &[]).unwrap();
        prop_assert_eq!(after_ab, direct);
        prop_assert_eq!(cal.between(at, direct, &[]).unwrap().as_secs(), a + b);
    }
}
