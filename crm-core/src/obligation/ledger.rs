//! The ledger of one customer: charges, payments, credits, adjustments and write-offs.
//!
//! ## Amounts on a charge
//! Each charge keeps `amount` (as generated), `adjusted` (the signed sum of its adjustments),
//! `paid` (applied from payments), `credited` (applied from credits) and `written_off`.
//! Its **open** amount is `amount + adjusted - paid - credited - written_off`, never negative.
//!
//! ## Definitions
//! - A **payment** is money received (id, instant, amount, method, reference).
//! - A **credit** is a non-cash amount the organisation grants the customer (compensation,
//!   goodwill), with a reason and an approver; it is applied to charges exactly like a payment.
//! - An **adjustment** corrects one charge's amount, up or down (signed), with a reason and an
//!   approver; it may not make the charge's open amount negative.
//! - A **write-off** gives up collecting part or all of one charge's open amount, with a reason
//!   and an approver.
//! - The **credit balance** is what payments and credits brought in beyond what was applied.
//! - The **balance** is `charges + adjustments - payments - credits - write-offs`
//!   (reversed payments excluded), which always equals `Σ open - credit balance`. Positive: the
//!   customer owes; negative: the customer has money with us.
//!
//! ## Allocation
//! By default a payment or credit goes to open charges **oldest due date first**; charges due
//! on the same date go in the order they were added to the ledger (for one plan, its sequence
//! order). Charges not yet due are included (a prepayment). With
//! [`AllocationRule::ToCharges`] it goes to the named charges in the given order, each up to
//! its open amount. What is left becomes **credit balance**.
//!
//! The credit balance is applied, oldest payment or credit first, to each charge **when the
//! charge is added** to the ledger, and to every open charge (oldest due first) when the host
//! calls [`Ledger::apply_credit_balance`]. Nothing else moves it.
//!
//! ## Reversal
//! [`Ledger::reverse_payment`] (a bounced payment) re-opens every amount the payment paid, on
//! whatever charges it reached (also those reached later through the credit balance), and
//! removes what is left of it from the credit balance. Other credit balance is not moved onto
//! the re-opened charges, so recording a payment and reversing it restores the previous open
//! amounts and balance.
//!
//! ## Idempotency and bad input
//! Charges, payments and entries are keyed by their id: the same item again returns the first
//! result and changes nothing; the same id with different content is
//! [`Error::IdempotencyConflict`]. Every operation validates before it changes anything.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, AgreementId, ChargeId, CustomerId, LineId, PaymentId, PlanId};
use crate::money::{Currency, Money};
use crate::obligation::plan::PaymentType;
use crate::obligation::{DateRange, EntryId};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};

/// How a prorated charge was computed: `full_amount × billable_days / period_days`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Proration {
    /// Billable days in the period.
    pub billable_days: u32,
    /// Days in the period.
    pub period_days: u32,
    /// The amount of a full period.
    pub full_amount: Money,
}

/// An amount the customer owes, due on a date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Charge {
    /// The charge's id (for plan charges, derived from the plan id and the sequence).
    pub id: ChargeId,
    /// The customer who owes it.
    pub customer_id: CustomerId,
    /// The agreement it arises from.
    pub agreement_id: AgreementId,
    /// The line it concerns, if any.
    pub line_id: Option<LineId>,
    /// The plan it was generated from, if any.
    pub plan_id: Option<PlanId>,
    /// What it is paid for.
    pub payment_type: PaymentType,
    /// Its 1-based sequence number within the plan.
    pub sequence: u32,
    /// The due date.
    pub due_date: NaiveDate,
    /// The amount, above zero.
    pub amount: Money,
    /// The service period it pays for (recurring and usage plans).
    pub period: Option<DateRange>,
    /// How it was prorated, when it was.
    pub proration: Option<Proration>,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash at a branch or agent.
    Cash,
    /// A card payment.
    Card,
    /// A bank transfer.
    BankTransfer,
    /// A direct debit collected by the organisation.
    DirectDebit,
    /// A cheque.
    Cheque,
    /// A wallet or payment app.
    Wallet,
    /// Anything else; the reference says what.
    Other,
}

/// Where a payment or credit goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AllocationRule {
    /// Open charges, oldest due date first (ties in the order the charges were added).
    #[default]
    OldestDueFirst,
    /// The named charges, in this order, each up to its open amount; the rest becomes credit
    /// balance.
    ToCharges {
        /// The charges, each at most once.
        charge_ids: Vec<ChargeId>,
    },
}

/// Money received from the customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Payment {
    /// The payment's id (from the payment provider or bank statement); idempotency key.
    pub id: PaymentId,
    /// The paying customer.
    pub customer_id: CustomerId,
    /// When it was received.
    pub received_at: Instant,
    /// The amount, above zero, in the ledger's currency.
    pub amount: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// The provider's or bank's reference.
    pub reference: String,
    /// Where it goes.
    #[serde(default)]
    pub allocation: AllocationRule,
}

/// A non-cash amount granted to the customer (compensation, goodwill).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Credit {
    /// The credit's id; idempotency key.
    pub id: EntryId,
    /// The customer credited.
    pub customer_id: CustomerId,
    /// When it was granted.
    pub granted_at: Instant,
    /// The amount, above zero.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: ActorId,
    /// Where it goes.
    #[serde(default)]
    pub allocation: AllocationRule,
}

/// A correction of one charge's amount, up (positive) or down (negative).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Adjustment {
    /// The adjustment's id; idempotency key.
    pub id: EntryId,
    /// The charge corrected.
    pub charge_id: ChargeId,
    /// When.
    pub at: Instant,
    /// The signed correction, not zero.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: ActorId,
}

/// Giving up collecting part or all of one charge's open amount.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WriteOff {
    /// The write-off's id; idempotency key.
    pub id: EntryId,
    /// The charge.
    pub charge_id: ChargeId,
    /// When.
    pub at: Instant,
    /// The amount, above zero, at most the charge's open amount.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: ActorId,
}

/// An amount of a payment or credit applied to a charge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Application {
    /// The charge.
    pub charge_id: ChargeId,
    /// The amount applied, above zero.
    pub amount: Money,
    /// When it was applied.
    pub at: Instant,
}

/// What a payment or credit did when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AllocationOutcome {
    /// The amounts applied to charges, in order.
    pub applications: Vec<Application>,
    /// The part that became credit balance.
    pub to_credit_balance: Money,
}

/// The outcome of recording a payment (an [`AllocationOutcome`]).
pub type PaymentOutcome = AllocationOutcome;

/// What a reversal did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReversalOutcome {
    /// The payment reversed.
    pub payment_id: PaymentId,
    /// The amounts re-opened, per charge.
    pub reopened: Vec<Application>,
    /// The part of the payment removed from the credit balance.
    pub removed_from_credit_balance: Money,
}

/// A bounced or returned payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reversal {
    /// When it was reversed.
    pub at: Instant,
    /// Why (the bank's return reason).
    pub reason: String,
}

/// A payment or a credit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FundingSource {
    /// Money received.
    Payment(Payment),
    /// A credit granted.
    Credit(Credit),
}

impl FundingSource {
    fn amount(&self) -> Money {
        match self {
            FundingSource::Payment(p) => p.amount,
            FundingSource::Credit(c) => c.amount,
        }
    }

    fn is_payment(&self) -> bool {
        matches!(self, FundingSource::Payment(_))
    }
}

/// A payment or credit as recorded, with where it went.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FundingRecord {
    /// The payment or credit.
    pub source: FundingSource,
    /// Every amount applied from it, in order (at recording, then from the credit balance).
    pub applications: Vec<Application>,
    /// What is left of it in the credit balance.
    pub unapplied: Money,
    /// How many of `applications` were made when it was recorded.
    pub initially_applied: usize,
    /// What became credit balance when it was recorded.
    pub initially_unapplied: Money,
    /// Set when the payment was reversed.
    pub reversal: Option<Reversal>,
}

impl FundingRecord {
    fn first_outcome(&self) -> AllocationOutcome {
        AllocationOutcome {
            applications: self
                .applications
                .get(..self.initially_applied)
                .unwrap_or_default()
                .to_vec(),
            to_credit_balance: self.initially_unapplied,
        }
    }
}

/// A charge in the ledger with what has happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChargeEntry {
    /// The charge.
    pub charge: Charge,
    /// The signed sum of its adjustments.
    pub adjusted: Money,
    /// Applied from payments (reversed payments excluded).
    pub paid: Money,
    /// Applied from credits.
    pub credited: Money,
    /// Written off.
    pub written_off: Money,
    /// `amount + adjusted - paid - credited - written_off`, never negative.
    pub open: Money,
    /// Insertion order in the ledger (breaks ties between equal due dates).
    pub added: u64,
}

impl ChargeEntry {
    /// The charge's amount after adjustments.
    pub fn net_amount(&self) -> Result<Money> {
        self.charge.amount.checked_add(&self.adjusted)
    }

    fn computed_open(&self) -> Result<Money> {
        self.net_amount()?
            .checked_sub(&self.paid)?
            .checked_sub(&self.credited)?
            .checked_sub(&self.written_off)
    }
}

/// Which part of a customer's ledger a view covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scope {
    /// Every charge of the customer.
    #[default]
    Customer,
    /// The charges of one agreement.
    Agreement {
        /// The agreement.
        agreement_id: AgreementId,
    },
    /// The charges of one line.
    Line {
        /// The line.
        line_id: LineId,
    },
    /// The charges of one plan.
    Plan {
        /// The plan.
        plan_id: PlanId,
    },
}

impl Scope {
    /// True when the charge is in the scope.
    pub fn matches(&self, charge: &Charge) -> bool {
        match self {
            Scope::Customer => true,
            Scope::Agreement { agreement_id } => &charge.agreement_id == agreement_id,
            Scope::Line { line_id } => charge.line_id.as_ref() == Some(line_id),
            Scope::Plan { plan_id } => charge.plan_id.as_ref() == Some(plan_id),
        }
    }
}

/// Totals of a ledger; `balance = charged + adjustments - received - credited - written_off`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LedgerTotals {
    /// Sum of charge amounts.
    pub charged: Money,
    /// Signed sum of adjustments.
    pub adjustments: Money,
    /// Sum of payments not reversed.
    pub received: Money,
    /// Sum of credits granted.
    pub credited: Money,
    /// Sum of write-offs.
    pub written_off: Money,
    /// Sum of open amounts of charges.
    pub open: Money,
    /// What payments and credits brought in beyond what was applied.
    pub credit_balance: Money,
    /// What the customer owes (negative: what the customer has with us).
    pub balance: Money,
}

/// A difference between generated charges and the ledger (see [`Ledger::plan_changes`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChargeChange {
    /// Not in the ledger yet: add it.
    New {
        /// The charge.
        charge: Charge,
    },
    /// In the ledger with another due date: reschedule it.
    DueDateChanged {
        /// The charge.
        charge_id: ChargeId,
        /// The due date in the ledger.
        from: NaiveDate,
        /// The due date now generated.
        to: NaiveDate,
    },
    /// In the ledger with another amount: adjust it by the difference.
    AmountChanged {
        /// The charge.
        charge_id: ChargeId,
        /// The amount in the ledger (before adjustments).
        from: Money,
        /// The amount now generated.
        to: Money,
    },
}

/// The charges of a scope with their totals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Statement {
    /// The scope.
    pub scope: Scope,
    /// The charges in due date order.
    pub charges: Vec<ChargeEntry>,
    /// Sum of their amounts after adjustments.
    pub charged: Money,
    /// Sum applied from payments.
    pub paid: Money,
    /// Sum applied from credits.
    pub credited: Money,
    /// Sum written off.
    pub written_off: Money,
    /// Sum still open.
    pub open: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryRef {
    Credit(usize),
    Adjustment(usize),
    WriteOff(usize),
}

/// The serialized state of a ledger; the indexes are rebuilt from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LedgerData {
    customer_id: CustomerId,
    currency: Currency,
    charges: Vec<ChargeEntry>,
    fundings: Vec<FundingRecord>,
    adjustments: Vec<Adjustment>,
    write_offs: Vec<WriteOff>,
    next_added: u64,
}

/// Below this many charges, a charge is found by scanning (faster than a map for small ledgers).
const SCAN_LIMIT: usize = 32;

/// The ledger of one customer, in one currency.
///
/// Serializes as plain data (`customer_id`, `currency`, `charges`, `fundings`, `adjustments`,
/// `write_offs`, `next_added`); deserializing checks it and rebuilds the indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    data: LedgerData,
    /// Charge id to position, kept only above [`SCAN_LIMIT`] charges.
    charge_index: BTreeMap<ChargeId, usize>,
    /// Payment id to position in `fundings`, kept only above [`SCAN_LIMIT`] fundings.
    payment_index: BTreeMap<PaymentId, usize>,
    entry_index: BTreeMap<EntryId, EntryRef>,
    /// Fundings with something left in the credit balance, oldest first.
    unapplied: BTreeSet<usize>,
    /// Due date and open amount of each charge, parallel to `data.charges`: the compact
    /// array the hot paths (allocation, aging) scan.
    hot: Vec<Hot>,
}

/// The part of a charge the hot paths read, 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hot {
    pub(crate) due: NaiveDate,
    pub(crate) open: Money,
}

impl Serialize for Ledger {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.data.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Ledger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let data = LedgerData::deserialize(deserializer)?;
        Ledger::from_data(data).map_err(serde::de::Error::custom)
    }
}

fn mismatch(expected: Currency, got: Currency) -> Error {
    Error::CurrencyMismatch {
        left: expected.code().to_string(),
        right: got.code().to_string(),
    }
}

impl Ledger {
    /// An empty ledger for a customer, in one currency.
    pub fn new(customer_id: CustomerId, currency: Currency) -> Self {
        Ledger {
            data: LedgerData {
                customer_id,
                currency,
                charges: Vec::new(),
                fundings: Vec::new(),
                adjustments: Vec::new(),
                write_offs: Vec::new(),
                next_added: 0,
            },
            charge_index: BTreeMap::new(),
            payment_index: BTreeMap::new(),
            entry_index: BTreeMap::new(),
            unapplied: BTreeSet::new(),
            hot: Vec::new(),
        }
    }

    fn from_data(data: LedgerData) -> Result<Self> {
        let mut ledger = Ledger::new(data.customer_id.clone(), data.currency);
        let cur = data.currency;
        let mut seen = BTreeSet::new();
        for (i, e) in data.charges.iter().enumerate() {
            for m in [
                e.charge.amount,
                e.adjusted,
                e.paid,
                e.credited,
                e.written_off,
            ] {
                if m.currency() != cur {
                    return Err(mismatch(cur, m.currency()));
                }
            }
            if e.open != e.computed_open()? || e.open.is_negative() {
                return Err(Error::validation(
                    "ledger charge",
                    &e.charge.id,
                    "open amount does not match its parts",
                ));
            }
            if !seen.insert(&e.charge.id) {
                return Err(Error::already_exists("charge", &e.charge.id));
            }
            if let Some(prev) = i.checked_sub(1).and_then(|p| data.charges.get(p))
                && (prev.charge.due_date, prev.added) >= (e.charge.due_date, e.added)
            {
                return Err(Error::validation(
                    "ledger charges",
                    &e.charge.id,
                    "charges must be in due date order",
                ));
            }
        }
        // Every application must point at a known charge, and what the fundings applied must
        // be exactly what the charges record as paid and credited.
        let mut applied: BTreeMap<&ChargeId, (Money, Money)> = BTreeMap::new();
        let zero = Money::zero(cur);
        for f in &data.fundings {
            let amount = f.source.amount();
            if amount.currency() != cur {
                return Err(mismatch(cur, amount.currency()));
            }
            let mut total = f.unapplied;
            for a in &f.applications {
                if !seen.contains(&a.charge_id) || !a.amount.is_positive() {
                    return Err(Error::validation(
                        "ledger application",
                        &a.charge_id,
                        "applies a non-positive amount or to an unknown charge",
                    ));
                }
                total = total.checked_add(&a.amount)?;
                if f.reversal.is_none() {
                    let slot = applied.entry(&a.charge_id).or_insert((zero, zero));
                    if f.source.is_payment() {
                        slot.0 = slot.0.checked_add(&a.amount)?;
                    } else {
                        slot.1 = slot.1.checked_add(&a.amount)?;
                    }
                }
            }
            let consistent = if f.reversal.is_some() {
                f.unapplied.is_zero() && total.try_cmp(&amount)?.is_le()
            } else {
                total == amount && !f.unapplied.is_negative()
            };
            if !consistent || f.initially_applied > f.applications.len() {
                return Err(Error::validation(
                    "ledger funding",
                    amount,
                    "applications and credit balance do not add up to the amount",
                ));
            }
        }
        for e in &data.charges {
            let (paid, credited) = applied.get(&e.charge.id).copied().unwrap_or((zero, zero));
            if paid != e.paid || credited != e.credited {
                return Err(Error::validation(
                    "ledger charge",
                    &e.charge.id,
                    "paid or credited does not match the applications",
                ));
            }
        }
        let mut seen_payments = BTreeSet::new();
        for (i, f) in data.fundings.iter().enumerate() {
            match &f.source {
                FundingSource::Payment(p) => {
                    if !seen_payments.insert(&p.id) {
                        return Err(Error::already_exists("payment", &p.id));
                    }
                }
                FundingSource::Credit(c) => {
                    if ledger
                        .entry_index
                        .insert(c.id.clone(), EntryRef::Credit(i))
                        .is_some()
                    {
                        return Err(Error::already_exists("entry", &c.id));
                    }
                }
            }
            if f.unapplied.is_positive() {
                ledger.unapplied.insert(i);
            }
        }
        for (i, a) in data.adjustments.iter().enumerate() {
            if ledger
                .entry_index
                .insert(a.id.clone(), EntryRef::Adjustment(i))
                .is_some()
            {
                return Err(Error::already_exists("entry", &a.id));
            }
        }
        for (i, w) in data.write_offs.iter().enumerate() {
            if ledger
                .entry_index
                .insert(w.id.clone(), EntryRef::WriteOff(i))
                .is_some()
            {
                return Err(Error::already_exists("entry", &w.id));
            }
        }
        ledger.data = data;
        ledger.hot = ledger
            .data
            .charges
            .iter()
            .map(|e| Hot {
                due: e.charge.due_date,
                open: e.open,
            })
            .collect();
        ledger.reindex_from(0);
        ledger.index_payments();
        Ok(ledger)
    }

    /// The customer.
    pub fn customer_id(&self) -> &CustomerId {
        &self.data.customer_id
    }

    /// The ledger's currency.
    pub fn currency(&self) -> Currency {
        self.data.currency
    }

    /// Every charge, in due date order (ties in the order added).
    pub fn charges(&self) -> &[ChargeEntry] {
        &self.data.charges
    }

    /// Every payment and credit, in the order recorded.
    pub fn fundings(&self) -> &[FundingRecord] {
        &self.data.fundings
    }

    /// Every adjustment, in the order recorded.
    pub fn adjustments(&self) -> &[Adjustment] {
        &self.data.adjustments
    }

    /// Every write-off, in the order recorded.
    pub fn write_offs(&self) -> &[WriteOff] {
        &self.data.write_offs
    }

    /// The charge with this id.
    pub fn charge(&self, id: &ChargeId) -> Option<&ChargeEntry> {
        self.position(id).and_then(|i| self.data.charges.get(i))
    }

    /// The payment with this id, as recorded.
    pub fn payment(&self, id: &PaymentId) -> Option<&FundingRecord> {
        self.payment_position(id)
            .and_then(|i| self.data.fundings.get(i))
    }

    fn payment_position(&self, id: &PaymentId) -> Option<usize> {
        if self.data.fundings.len() <= SCAN_LIMIT {
            self.data
                .fundings
                .iter()
                .position(|f| matches!(&f.source, FundingSource::Payment(p) if &p.id == id))
        } else {
            self.payment_index.get(id).copied()
        }
    }

    /// Keeps the payment index complete above [`SCAN_LIMIT`] fundings (fundings only grow,
    /// so the index is built once, when the limit is crossed, then extended).
    fn index_payments(&mut self) {
        let n = self.data.fundings.len();
        if n <= SCAN_LIMIT {
            return;
        }
        let from = if self.payment_index.is_empty() {
            0
        } else {
            n - 1
        };
        for (i, f) in self.data.fundings.iter().enumerate().skip(from) {
            if let FundingSource::Payment(p) = &f.source {
                self.payment_index.insert(p.id.clone(), i);
            }
        }
    }

    /// The compact due/open array, parallel to [`Ledger::charges`].
    pub(crate) fn hot(&self) -> &[Hot] {
        &self.hot
    }

    fn refresh_hot(&mut self, i: usize) {
        if let (Some(h), Some(e)) = (self.hot.get_mut(i), self.data.charges.get(i)) {
            h.open = e.open;
        }
    }

    fn position(&self, id: &ChargeId) -> Option<usize> {
        if self.data.charges.len() <= SCAN_LIMIT {
            self.data.charges.iter().position(|e| &e.charge.id == id)
        } else {
            self.charge_index.get(id).copied()
        }
    }

    /// Refreshes the charge index for positions `from..` (or drops it for small ledgers).
    fn reindex_from(&mut self, from: usize) {
        if self.data.charges.len() <= SCAN_LIMIT {
            self.charge_index.clear();
            return;
        }
        let from = if self.charge_index.len() + 1 < self.data.charges.len() {
            0
        } else {
            from
        };
        for (i, e) in self.data.charges.iter().enumerate().skip(from) {
            if let Some(slot) = self.charge_index.get_mut(&e.charge.id) {
                *slot = i;
            } else {
                self.charge_index.insert(e.charge.id.clone(), i);
            }
        }
    }

    fn check_customer(&self, field: &str, customer: &CustomerId) -> Result<()> {
        if customer != &self.data.customer_id {
            return Err(Error::validation(
                field,
                customer,
                format!("belongs to another customer than {}", self.data.customer_id),
            ));
        }
        Ok(())
    }

    fn check_amount(&self, field: &str, m: &Money) -> Result<()> {
        if m.currency() != self.data.currency {
            return Err(mismatch(self.data.currency, m.currency()));
        }
        if !m.is_positive() {
            return Err(Error::validation(field, m, "must be above zero"));
        }
        Ok(())
    }

    fn check_rule(&self, rule: &AllocationRule) -> Result<()> {
        if let AllocationRule::ToCharges { charge_ids } = rule {
            if charge_ids.is_empty() {
                return Err(Error::validation(
                    "allocation charge_ids",
                    "[]",
                    "name at least one charge",
                ));
            }
            let mut seen = BTreeSet::new();
            for id in charge_ids {
                if !seen.insert(id) {
                    return Err(Error::validation(
                        "allocation charge_ids",
                        id,
                        "a charge is named twice",
                    ));
                }
                if self.position(id).is_none() {
                    return Err(Error::not_found(
                        format!("charge of customer {}", self.data.customer_id),
                        id,
                    ));
                }
            }
        }
        Ok(())
    }

    /// Adds a charge (from [`PaymentPlan::charges_until`](crate::obligation::PaymentPlan) or
    /// a one-off) at `at`, then applies any credit balance to it. The same charge again is a
    /// no-op returning no applications; the same id with other content is an
    /// [`Error::IdempotencyConflict`].
    pub fn add_charge(&mut self, charge: Charge, at: Instant) -> Result<Vec<Application>> {
        self.check_customer("charge customer_id", &charge.customer_id)?;
        self.check_amount("charge amount", &charge.amount)?;
        if let Some(existing) = self.charge(&charge.id) {
            if existing.charge == charge {
                return Ok(Vec::new());
            }
            return Err(Error::IdempotencyConflict {
                key: charge.id.to_string(),
            });
        }
        let zero = Money::zero(self.data.currency);
        let due = charge.due_date;
        let entry = ChargeEntry {
            open: charge.amount,
            charge,
            adjusted: zero,
            paid: zero,
            credited: zero,
            written_off: zero,
            added: self.data.next_added,
        };
        self.data.next_added += 1;
        let pos = self
            .data
            .charges
            .partition_point(|e| e.charge.due_date <= due);
        self.hot.insert(
            pos,
            Hot {
                due,
                open: entry.open,
            },
        );
        self.data.charges.insert(pos, entry);
        self.reindex_from(pos);
        if self.unapplied.is_empty() {
            return Ok(Vec::new());
        }
        self.apply_credit(Some(pos), at)
    }

    /// Adds many charges in order (see [`Ledger::add_charge`]); all are checked first, and
    /// on error nothing is added.
    pub fn add_charges(&mut self, charges: Vec<Charge>, at: Instant) -> Result<Vec<Application>> {
        let mut trial_ids = BTreeMap::new();
        for c in &charges {
            self.check_customer("charge customer_id", &c.customer_id)?;
            self.check_amount("charge amount", &c.amount)?;
            let known = self
                .charge(&c.id)
                .map(|e| &e.charge)
                .or_else(|| trial_ids.get(&c.id).copied());
            if let Some(k) = known
                && k != c
            {
                return Err(Error::IdempotencyConflict {
                    key: c.id.to_string(),
                });
            }
            trial_ids.insert(c.id.clone(), c);
        }
        // room for exactly these charges: a batch (a plan's charges) does not leave the
        // doubling's spare capacity behind
        self.data.charges.reserve_exact(charges.len());
        self.hot.reserve_exact(charges.len());
        let mut out = Vec::new();
        for c in charges {
            out.extend(self.add_charge(c, at)?);
        }
        Ok(out)
    }

    /// Records a payment and allocates it by its rule; the rest becomes credit balance. A
    /// payment id seen before returns the first outcome and changes nothing (an
    /// [`Error::IdempotencyConflict`] if the content differs). Refused, changing nothing: a
    /// payment for another customer, in another currency, not above zero, or naming an
    /// unknown charge.
    pub fn record_payment(&mut self, payment: Payment) -> Result<AllocationOutcome> {
        if let Some(rec) = self.payment(&payment.id) {
            return match &rec.source {
                FundingSource::Payment(p) if *p == payment => Ok(rec.first_outcome()),
                _ => Err(Error::IdempotencyConflict {
                    key: payment.id.to_string(),
                }),
            };
        }
        self.check_customer("payment customer_id", &payment.customer_id)?;
        self.check_amount("payment amount", &payment.amount)?;
        self.check_rule(&payment.allocation)?;
        let (_, outcome) = self.fund(FundingSource::Payment(payment))?;
        self.index_payments();
        Ok(outcome)
    }

    /// Grants a credit and allocates it like a payment. Idempotent by its id (shared with
    /// adjustments and write-offs).
    pub fn grant_credit(&mut self, credit: Credit) -> Result<AllocationOutcome> {
        if let Some(r) = self.entry_index.get(&credit.id) {
            return match r {
                EntryRef::Credit(i) => match self.data.fundings.get(*i) {
                    Some(rec) if rec.source == FundingSource::Credit(credit.clone()) => {
                        Ok(rec.first_outcome())
                    }
                    _ => Err(Error::IdempotencyConflict {
                        key: credit.id.to_string(),
                    }),
                },
                _ => Err(Error::IdempotencyConflict {
                    key: credit.id.to_string(),
                }),
            };
        }
        self.check_customer("credit customer_id", &credit.customer_id)?;
        self.check_amount("credit amount", &credit.amount)?;
        self.check_rule(&credit.allocation)?;
        let id = credit.id.clone();
        let (idx, outcome) = self.fund(FundingSource::Credit(credit))?;
        self.index_payments();
        self.entry_index.insert(id, EntryRef::Credit(idx));
        Ok(outcome)
    }

    /// Allocates a validated funding source and stores it; returns its position and what it
    /// did (the applications are built once, for the record and the outcome).
    fn fund(&mut self, source: FundingSource) -> Result<(usize, AllocationOutcome)> {
        let amount = source.amount();
        let (rule, at) = match &source {
            FundingSource::Payment(p) => (&p.allocation, p.received_at),
            FundingSource::Credit(c) => (&c.allocation, c.granted_at),
        };
        let is_payment = source.is_payment();
        let mut applications;
        let remaining;
        match rule {
            AllocationRule::OldestDueFirst => {
                // The hot loop works in minor units: every amount in the ledger is in its
                // currency at the currency's scale (checked on the way in), so integer
                // arithmetic on the cents gives exactly what `Money` arithmetic would.
                // Phase 1 checks without changing anything and counts the charges reached;
                // phase 2 walks the same charges again and applies.
                let currency = amount.currency();
                let mut left = amount.minor_units();
                let mut reached = 0;
                for h in &self.hot {
                    if left <= 0 {
                        break;
                    }
                    let open = h.open.minor_units();
                    if open > 0 {
                        if h.open.currency() != currency {
                            return Err(mismatch(h.open.currency(), currency));
                        }
                        left -= open.min(left);
                        reached += 1;
                    }
                }
                remaining = Money::from_minor_i128(left, currency)?;
                applications = Vec::with_capacity(reached);
                let mut left = amount.minor_units();
                for i in 0..self.hot.len() {
                    if left <= 0 {
                        break;
                    }
                    let open = self.hot.get(i).map_or(0, |h| h.open.minor_units());
                    if open > 0 {
                        let take = open.min(left);
                        left -= take;
                        let take = Money::from_minor_i128(take, currency)?;
                        self.apply_take(i, take, is_payment, at, &mut applications)?;
                    }
                }
            }
            AllocationRule::ToCharges { charge_ids } => {
                // Phase 1: decide every take without changing anything.
                let mut takes: Vec<(usize, Money)> = Vec::new();
                let mut rest = amount;
                for id in charge_ids {
                    if !rest.is_positive() {
                        break;
                    }
                    let i = self
                        .position(id)
                        .ok_or_else(|| Error::not_found("charge", id))?;
                    if let Some(e) = self.data.charges.get(i)
                        && e.open.is_positive()
                    {
                        let take = e.open.min(&rest)?;
                        rest = rest.checked_sub(&take)?;
                        takes.push((i, take));
                    }
                }
                remaining = rest;
                // Phase 2: apply.
                applications = Vec::with_capacity(takes.len());
                for (i, take) in takes {
                    self.apply_take(i, take, is_payment, at, &mut applications)?;
                }
            }
        }
        let idx = self.data.fundings.len();
        if remaining.is_positive() {
            self.unapplied.insert(idx);
        }
        let outcome = AllocationOutcome {
            applications: applications.clone(),
            to_credit_balance: remaining,
        };
        if self.data.fundings.is_empty() {
            // most ledgers see one payment per period: room for one, not the four a first
            // push would reserve (a funding record is about 250 bytes)
            self.data.fundings.reserve_exact(1);
        }
        self.data.fundings.push(FundingRecord {
            source,
            initially_applied: applications.len(),
            applications,
            unapplied: remaining,
            initially_unapplied: remaining,
            reversal: None,
        });
        Ok((idx, outcome))
    }

    /// Settles `take` of the charge at `i` from a payment or a credit and notes the
    /// application.
    fn apply_take(
        &mut self,
        i: usize,
        take: Money,
        is_payment: bool,
        at: Instant,
        applications: &mut Vec<Application>,
    ) -> Result<()> {
        if let Some(e) = self.data.charges.get_mut(i) {
            settle(e, take, is_payment)?;
            applications.push(Application {
                charge_id: e.charge.id.clone(),
                amount: take,
                at,
            });
            if let Some(h) = self.hot.get_mut(i) {
                h.open = e.open;
            }
        }
        Ok(())
    }

    /// Applies the credit balance (oldest payment or credit first) to open charges, oldest due
    /// first, or only to the charge at `only`.
    fn apply_credit(&mut self, only: Option<usize>, at: Instant) -> Result<Vec<Application>> {
        // Phase 1: plan (funding, charge, amount).
        let mut plan: Vec<(usize, usize, Money)> = Vec::new();
        let mut left: Vec<(usize, Money)> = self
            .unapplied
            .iter()
            .filter_map(|f| self.data.fundings.get(*f).map(|r| (*f, r.unapplied)))
            .collect();
        let range = match only {
            Some(p) => p..p.saturating_add(1),
            None => 0..self.data.charges.len(),
        };
        let mut cursor = 0;
        for ci in range {
            let Some(e) = self.data.charges.get(ci) else {
                continue;
            };
            let mut need = e.open;
            while need.is_positive() {
                let Some((fi, avail)) = left.get_mut(cursor) else {
                    break;
                };
                let take = need.min(avail)?;
                if take.is_positive() {
                    plan.push((*fi, ci, take));
                    need = need.checked_sub(&take)?;
                    *avail = avail.checked_sub(&take)?;
                }
                if !avail.is_positive() {
                    cursor += 1;
                }
            }
        }
        // Phase 2: apply.
        let mut out = Vec::with_capacity(plan.len());
        for (fi, ci, take) in plan {
            let (Some(e), Some(f)) = (
                self.data.charges.get_mut(ci),
                self.data.fundings.get_mut(fi),
            ) else {
                continue;
            };
            settle(e, take, f.source.is_payment())?;
            f.unapplied = f.unapplied.checked_sub(&take)?;
            let app = Application {
                charge_id: e.charge.id.clone(),
                amount: take,
                at,
            };
            f.applications.push(app.clone());
            if !f.unapplied.is_positive() {
                self.unapplied.remove(&fi);
            }
            self.refresh_hot(ci);
            out.push(app);
        }
        Ok(out)
    }

    /// Applies the whole credit balance to open charges, oldest due date first (oldest
    /// payment or credit first), at `at`. Returns what was applied.
    pub fn apply_credit_balance(&mut self, at: Instant) -> Result<Vec<Application>> {
        self.apply_credit(None, at)
    }

    /// Reverses a payment (it bounced): re-opens every amount it paid and removes what is left
    /// of it from the credit balance. Reversing it again with the same instant and reason
    /// returns the same outcome; otherwise a reversed payment is an
    /// [`Error::InvalidTransition`].
    pub fn reverse_payment(
        &mut self,
        id: &PaymentId,
        at: Instant,
        reason: &str,
    ) -> Result<ReversalOutcome> {
        let idx = self
            .payment_position(id)
            .ok_or_else(|| Error::not_found("payment", id))?;
        let rec = self
            .data
            .fundings
            .get(idx)
            .ok_or_else(|| Error::not_found("payment", id))?;
        if let Some(r) = &rec.reversal {
            if r.at == at && r.reason == reason {
                return Ok(ReversalOutcome {
                    payment_id: id.clone(),
                    reopened: rec.applications.clone(),
                    removed_from_credit_balance: rec.unapplied,
                });
            }
            return Err(Error::invalid_transition(
                "payment", id, "reversed", "reverse",
            ));
        }
        // Check every charge is there before changing anything.
        let mut positions = Vec::with_capacity(rec.applications.len());
        for a in &rec.applications {
            let p = self
                .position(&a.charge_id)
                .ok_or_else(|| Error::not_found("charge", &a.charge_id))?;
            positions.push(p);
        }
        let apps = rec.applications.clone();
        for (p, a) in positions.into_iter().zip(&apps) {
            if let Some(e) = self.data.charges.get_mut(p) {
                e.paid = e.paid.checked_sub(&a.amount)?;
                e.open = e.open.checked_add(&a.amount)?;
                self.refresh_hot(p);
            }
        }
        let zero = Money::zero(self.data.currency);
        let mut removed = zero;
        if let Some(rec) = self.data.fundings.get_mut(idx) {
            removed = rec.unapplied;
            rec.unapplied = zero;
            rec.reversal = Some(Reversal {
                at,
                reason: reason.to_string(),
            });
        }
        self.unapplied.remove(&idx);
        Ok(ReversalOutcome {
            payment_id: id.clone(),
            reopened: apps,
            removed_from_credit_balance: removed,
        })
    }

    fn entry_seen<'a, T: PartialEq + 'a>(
        &'a self,
        id: &EntryId,
        same: impl Fn(EntryRef) -> Option<&'a T>,
        item: &T,
    ) -> Result<bool> {
        match self.entry_index.get(id) {
            None => Ok(false),
            Some(r) => match same(*r) {
                Some(existing) if existing == item => Ok(true),
                _ => Err(Error::IdempotencyConflict {
                    key: id.to_string(),
                }),
            },
        }
    }

    /// Corrects a charge's amount by a signed, non-zero amount. Refused if it would make the
    /// charge's open amount negative. Idempotent by its id.
    pub fn adjust(&mut self, adjustment: Adjustment) -> Result<()> {
        let seen = self.entry_seen(
            &adjustment.id,
            |r| match r {
                EntryRef::Adjustment(i) => self.data.adjustments.get(i),
                _ => None,
            },
            &adjustment,
        )?;
        if seen {
            return Ok(());
        }
        if adjustment.amount.currency() != self.data.currency {
            return Err(mismatch(self.data.currency, adjustment.amount.currency()));
        }
        if adjustment.amount.is_zero() {
            return Err(Error::validation(
                "adjustment amount",
                adjustment.amount,
                "must not be zero",
            ));
        }
        let p = self.position(&adjustment.charge_id).ok_or_else(|| {
            Error::not_found(
                format!("charge of customer {}", self.data.customer_id),
                &adjustment.charge_id,
            )
        })?;
        let e = self
            .data
            .charges
            .get_mut(p)
            .ok_or_else(|| Error::not_found("charge", &adjustment.charge_id))?;
        let open = e.open.checked_add(&adjustment.amount)?;
        if open.is_negative() {
            return Err(Error::validation(
                "adjustment amount",
                adjustment.amount,
                format!("would make the open amount of {} negative", e.charge.id),
            ));
        }
        let adjusted = e.adjusted.checked_add(&adjustment.amount)?;
        e.open = open;
        e.adjusted = adjusted;
        self.refresh_hot(p);
        let idx = self.data.adjustments.len();
        self.entry_index
            .insert(adjustment.id.clone(), EntryRef::Adjustment(idx));
        self.data.adjustments.push(adjustment);
        Ok(())
    }

    /// Writes off part or all of a charge's open amount. Idempotent by its id.
    pub fn write_off(&mut self, write_off: WriteOff) -> Result<()> {
        let seen = self.entry_seen(
            &write_off.id,
            |r| match r {
                EntryRef::WriteOff(i) => self.data.write_offs.get(i),
                _ => None,
            },
            &write_off,
        )?;
        if seen {
            return Ok(());
        }
        self.check_amount("write-off amount", &write_off.amount)?;
        let p = self.position(&write_off.charge_id).ok_or_else(|| {
            Error::not_found(
                format!("charge of customer {}", self.data.customer_id),
                &write_off.charge_id,
            )
        })?;
        let e = self
            .data
            .charges
            .get_mut(p)
            .ok_or_else(|| Error::not_found("charge", &write_off.charge_id))?;
        if write_off.amount.try_cmp(&e.open)? == std::cmp::Ordering::Greater {
            return Err(Error::validation(
                "write-off amount",
                write_off.amount,
                format!("is more than the open amount {} of {}", e.open, e.charge.id),
            ));
        }
        let open = e.open.checked_sub(&write_off.amount)?;
        let written = e.written_off.checked_add(&write_off.amount)?;
        e.open = open;
        e.written_off = written;
        self.refresh_hot(p);
        let idx = self.data.write_offs.len();
        self.entry_index
            .insert(write_off.id.clone(), EntryRef::WriteOff(idx));
        self.data.write_offs.push(write_off);
        Ok(())
    }

    /// Moves a charge to a new due date (for example when early termination makes the
    /// remaining installments due at once), keeping its id and what was applied to it.
    pub fn reschedule_charge(&mut self, id: &ChargeId, due_date: NaiveDate) -> Result<()> {
        let from = self.position(id).ok_or_else(|| {
            Error::not_found(format!("charge of customer {}", self.data.customer_id), id)
        })?;
        if self.data.charges.get(from).map(|e| e.charge.due_date) == Some(due_date) {
            return Ok(());
        }
        let mut entry = self.data.charges.remove(from);
        let mut hot = self.hot.remove(from);
        entry.charge.due_date = due_date;
        hot.due = due_date;
        let added = entry.added;
        let to = self
            .data
            .charges
            .partition_point(|e| (e.charge.due_date, e.added) < (due_date, added));
        self.data.charges.insert(to, entry);
        self.hot.insert(to, hot);
        self.reindex_from(from.min(to));
        Ok(())
    }

    /// Compares freshly generated charges of a plan (after an amendment, a status change or
    /// a termination) with the ledger: which are new, which moved to another due date, which
    /// changed amount. Pure; the engine adds the new ones, reschedules the moved ones and
    /// settles amount changes with an [`Adjustment`] (or a [`Credit`]) of the difference.
    pub fn plan_changes(&self, generated: &[Charge]) -> Vec<ChargeChange> {
        let mut out = Vec::new();
        for c in generated {
            match self.charge(&c.id) {
                None => out.push(ChargeChange::New { charge: c.clone() }),
                Some(e) => {
                    if e.charge.due_date != c.due_date {
                        out.push(ChargeChange::DueDateChanged {
                            charge_id: c.id.clone(),
                            from: e.charge.due_date,
                            to: c.due_date,
                        });
                    }
                    if e.charge.amount != c.amount {
                        out.push(ChargeChange::AmountChanged {
                            charge_id: c.id.clone(),
                            from: e.charge.amount,
                            to: c.amount,
                        });
                    }
                }
            }
        }
        out
    }

    /// The credit balance: what payments and credits brought in beyond what was applied.
    pub fn credit_balance(&self) -> Result<Money> {
        let mut total = Money::zero(self.data.currency);
        for i in &self.unapplied {
            if let Some(f) = self.data.fundings.get(*i) {
                total = total.checked_add(&f.unapplied)?;
            }
        }
        Ok(total)
    }

    /// What the customer owes: `Σ open - credit balance` (negative: money with us).
    pub fn balance(&self) -> Result<Money> {
        let mut open = Money::zero(self.data.currency);
        for e in &self.data.charges {
            open = open.checked_add(&e.open)?;
        }
        open.checked_sub(&self.credit_balance()?)
    }

    /// The totals, computed from the recorded items themselves.
    pub fn totals(&self) -> Result<LedgerTotals> {
        let zero = Money::zero(self.data.currency);
        let (mut charged, mut open) = (zero, zero);
        for e in &self.data.charges {
            charged = charged.checked_add(&e.charge.amount)?;
            open = open.checked_add(&e.open)?;
        }
        let mut adjustments = zero;
        for a in &self.data.adjustments {
            adjustments = adjustments.checked_add(&a.amount)?;
        }
        let mut written_off = zero;
        for w in &self.data.write_offs {
            written_off = written_off.checked_add(&w.amount)?;
        }
        let (mut received, mut credited) = (zero, zero);
        for f in &self.data.fundings {
            match &f.source {
                FundingSource::Payment(p) if f.reversal.is_none() => {
                    received = received.checked_add(&p.amount)?;
                }
                FundingSource::Payment(_) => {}
                FundingSource::Credit(c) => credited = credited.checked_add(&c.amount)?,
            }
        }
        let balance = charged
            .checked_add(&adjustments)?
            .checked_sub(&received)?
            .checked_sub(&credited)?
            .checked_sub(&written_off)?;
        Ok(LedgerTotals {
            charged,
            adjustments,
            received,
            credited,
            written_off,
            open,
            credit_balance: self.credit_balance()?,
            balance,
        })
    }

    /// The charges of a scope (an agreement, a line, a plan or all) with their totals.
    pub fn statement(&self, scope: &Scope) -> Result<Statement> {
        let zero = Money::zero(self.data.currency);
        let mut s = Statement {
            scope: scope.clone(),
            charges: Vec::new(),
            charged: zero,
            paid: zero,
            credited: zero,
            written_off: zero,
            open: zero,
        };
        for e in self
            .data
            .charges
            .iter()
            .filter(|e| scope.matches(&e.charge))
        {
            s.charged = s.charged.checked_add(&e.net_amount()?)?;
            s.paid = s.paid.checked_add(&e.paid)?;
            s.credited = s.credited.checked_add(&e.credited)?;
            s.written_off = s.written_off.checked_add(&e.written_off)?;
            s.open = s.open.checked_add(&e.open)?;
            s.charges.push(e.clone());
        }
        Ok(s)
    }
}

fn settle(e: &mut ChargeEntry, take: Money, is_payment: bool) -> Result<()> {
    // Every amount of a ledger is in its currency at the currency's scale (checked on the
    // way in), so the sums are exact in minor units; a mismatch is refused all the same.
    let currency = take.currency();
    if e.open.currency() != currency {
        return Err(mismatch(e.open.currency(), currency));
    }
    let t = take.minor_units();
    let open = Money::from_minor_i128(e.open.minor_units() - t, currency)?;
    let target = if is_payment {
        &mut e.paid
    } else {
        &mut e.credited
    };
    *target = Money::from_minor_i128(target.minor_units() + t, currency)?;
    e.open = open;
    Ok(())
}
