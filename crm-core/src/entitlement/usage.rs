//! Usage records and the index that counts them.
//!
//! Each entitlement keeps its uses in time order (the engine refuses a use dated before the
//! latest one of the same entitlement). Beside the records, a [`UsageLedger`] keeps two
//! Fenwick trees over the same order: the quantity and the number of uses. "How much in
//! `[from, to)`" is two binary searches on the instants and two prefix sums: O(log n). A new
//! use at the end is added in O(log n); a reversal sets its entry to zero in O(log n), so a
//! reversed use no longer counts in any window (a cancelled visit gives the quota back).
//! Only the records are serialized; the trees are rebuilt when a ledger is read back.
//!
//! A ledger stores its uses by columns, not as [`UsageRecord`]s (see [`UsageLedger`]), and
//! keeps the trees only from [`SCAN_LIMIT`] uses on: below that it counts by scanning.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, AgreementId, AssetId, EntitlementId, ExceptionId, LineId, UsageId};
use crate::money::{Currency, Money};
use crate::party::Channel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

/// Who reversed a use, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageReversal {
    /// When it was reversed.
    pub at: Instant,
    /// Who reversed it.
    pub by: ActorId,
    /// Why (`visit cancelled`).
    pub reason: String,
}

/// One use of an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageRecord {
    /// The host's request id.
    pub id: UsageId,
    /// The entitlement used.
    pub entitlement: EntitlementId,
    /// The agreement that grants it.
    pub agreement: AgreementId,
    /// The line that grants it.
    pub line: LineId,
    /// The asset concerned, when the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<AssetId>,
    /// When it was used.
    pub at: Instant,
    /// How much: uses for a quota, units for a unit allowance, the amount for a money
    /// allowance (in the allowance's currency).
    pub quantity: Decimal,
    /// The amount, for a money allowance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// The channel it was requested on.
    pub channel: Channel,
    /// The exceptions that allowed it beyond the entitlement (empty when within it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionId>,
    /// Set when the use was reversed; a reversed use counts nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversed: Option<UsageReversal>,
}

impl UsageRecord {
    /// The quantity this record counts for: zero once reversed.
    pub fn counted_quantity(&self) -> Decimal {
        if self.reversed.is_some() {
            Decimal::ZERO
        } else {
            self.quantity
        }
    }
}

/// Below this many uses, an entitlement's uses are counted by scanning them (as fast as an
/// index for so few, and nothing to keep beside the records); from this many on, Fenwick
/// trees index them.
const SCAN_LIMIT: usize = 32;

/// What a Fenwick tree sums: quantities (decimals or scaled integers) or counts. Entries are
/// non-negative and only ever lowered back towards zero (a reversal), so saturating
/// arithmetic never clips a real sum.
trait Weight: Copy + PartialOrd {
    const ZERO: Self;
    fn plus(self, other: Self) -> Self;
    fn minus(self, other: Self) -> Self;
}

impl Weight for Decimal {
    const ZERO: Self = Decimal::ZERO;
    fn plus(self, other: Self) -> Self {
        self.saturating_add(other)
    }
    fn minus(self, other: Self) -> Self {
        self.saturating_sub(other)
    }
}

impl Weight for u64 {
    const ZERO: Self = 0;
    fn plus(self, other: Self) -> Self {
        self.saturating_add(other)
    }
    fn minus(self, other: Self) -> Self {
        self.saturating_sub(other)
    }
}

/// A Fenwick (binary indexed) tree of non-negative weights, 1-based, growing at the end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Fenwick<T> {
    /// `tree[i]` holds the sum of entries `i - lowbit(i) + 1 ..= i`; `tree[0]` is unused.
    tree: Vec<T>,
}

fn lowbit(i: usize) -> usize {
    i & i.wrapping_neg()
}

impl<T: Weight> Fenwick<T> {
    fn len(&self) -> usize {
        self.tree.len().saturating_sub(1)
    }

    /// The sum of the first `i` entries.
    fn prefix(&self, mut i: usize) -> T {
        let mut sum = T::ZERO;
        while i > 0 {
            if let Some(v) = self.tree.get(i) {
                sum = sum.plus(*v);
            }
            i &= i - 1;
        }
        sum
    }

    fn push(&mut self, value: T) {
        if self.tree.is_empty() {
            self.tree.push(T::ZERO);
        }
        let i = self.tree.len();
        // `tree[i]` covers entries `i - lowbit(i) + 1 ..= i`: the new value plus the nodes
        // that tile `i - lowbit(i) + 1 ..= i - 1` (j = i-1, then j -= lowbit(j) while above
        // `i - lowbit(i)`). That is `prefix(i - 1) - prefix(i - lowbit(i))` in amortized O(1)
        // steps instead of two O(log n) walks.
        let stop = i - lowbit(i);
        let mut covered = T::ZERO;
        let mut j = i - 1;
        while j > stop {
            if let Some(v) = self.tree.get(j) {
                covered = covered.plus(*v);
            }
            j &= j - 1;
        }
        self.tree.push(value.plus(covered));
    }

    /// Lowers entry `i` (1-based) by `delta` (at most what it holds).
    fn lower(&mut self, mut i: usize, delta: T) {
        while i > 0 && i < self.tree.len() {
            if let Some(v) = self.tree.get_mut(i) {
                *v = v.minus(delta);
            }
            i += lowbit(i);
        }
    }

    /// The smallest `i` with `prefix(i) >= target` (entries are non-negative), or `None`.
    fn lower_bound(&self, target: T) -> Option<usize> {
        if target <= T::ZERO {
            return Some(0);
        }
        let n = self.len();
        let mut pos = 0;
        let mut rest = target;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n
                && let Some(v) = self.tree.get(next)
                && *v < rest
            {
                pos = next;
                rest = rest.minus(*v);
            }
            step >>= 1;
        }
        (pos < n).then_some(pos + 1)
    }

    /// Entry `i` (1-based) alone.
    fn point(&self, i: usize) -> T {
        if i == 0 {
            return T::ZERO;
        }
        self.prefix(i).minus(self.prefix(i - 1))
    }
}

/// The largest scaled-integer total kept in integers; beyond it the sums move to decimals.
const INT_LIMIT: u64 = 1 << 62;
/// The most decimal places kept in integers.
const INT_MAX_SCALE: u32 = 18;

/// `q` (not negative) as an integer count of `10^-scale`, when exact and within the limit.
fn to_int(q: Decimal, scale: u32) -> Option<u64> {
    let qs = q.scale();
    if qs > scale {
        return None;
    }
    let m = u64::try_from(q.mantissa()).ok()?;
    m.checked_mul(10u64.checked_pow(scale - qs)?)
        .filter(|v| *v <= INT_LIMIT)
}

/// Running sums of non-negative quantities in a Fenwick tree: in integers (the quantities
/// times `10^scale`) while every quantity fits, which makes a window's sum a few integer
/// additions; in decimals otherwise (more than 18 decimal places, or totals above 2^62).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sums {
    Int {
        scale: u32,
        total: u64,
        tree: Fenwick<u64>,
    },
    Dec(Fenwick<Decimal>),
}

impl Default for Sums {
    fn default() -> Self {
        Sums::Int {
            scale: 0,
            total: 0,
            tree: Fenwick::default(),
        }
    }
}

impl Sums {
    fn push(&mut self, q: Decimal) {
        if let Sums::Int { scale, total, tree } = self {
            let qs = q.scale();
            if qs > *scale
                && qs <= INT_MAX_SCALE
                && let Some(f) = 10u64.checked_pow(qs - *scale)
                && total.checked_mul(f).is_some_and(|t| t <= INT_LIMIT)
            {
                // every node is at most the total, so none overflows
                for v in &mut tree.tree {
                    *v = v.saturating_mul(f);
                }
                *total = total.saturating_mul(f);
                *scale = qs;
            }
            if let Some(v) = to_int(q, *scale)
                && let Some(t) = total.checked_add(v).filter(|t| *t <= INT_LIMIT)
            {
                tree.push(v);
                *total = t;
                return;
            }
            self.widen();
        }
        if let Sums::Dec(tree) = self {
            tree.push(q);
        }
    }

    /// Moves integer sums to decimal ones (the same entries).
    fn widen(&mut self) {
        if let Sums::Int { scale, tree, .. } = self {
            let mut dec = Fenwick::default();
            for i in 1..=tree.len() {
                dec.push(Decimal::from_i128_with_scale(
                    i128::from(tree.point(i)),
                    *scale,
                ));
            }
            *self = Sums::Dec(dec);
        }
    }

    /// Lowers entry `i` (1-based) by `q`, which it holds.
    fn lower(&mut self, i: usize, q: Decimal) {
        if let Sums::Int { scale, total, tree } = self {
            if let Some(v) = to_int(q, *scale) {
                tree.lower(i, v);
                *total = total.saturating_sub(v);
                return;
            }
            self.widen();
        }
        if let Sums::Dec(tree) = self {
            tree.lower(i, q);
        }
    }

    /// The sum of entries `lo + 1 ..= hi` (positions `lo..hi`, 0-based).
    fn between(&self, lo: usize, hi: usize) -> Decimal {
        match self {
            Sums::Int { scale, tree, .. } => Decimal::from_i128_with_scale(
                i128::from(tree.prefix(hi).saturating_sub(tree.prefix(lo))),
                *scale,
            ),
            Sums::Dec(tree) => tree.prefix(hi).saturating_sub(tree.prefix(lo)),
        }
    }

    /// The smallest `i` (1-based) with `prefix(i) >= prefix(lo) + need`, `need` above zero.
    fn reaching(&self, lo: usize, need: Decimal) -> Option<usize> {
        match self {
            Sums::Int { scale, tree, .. } => {
                // entries are whole multiples of 10^-scale: reaching `need` is reaching it
                // rounded up to one
                let m = need.mantissa();
                let ns = need.scale();
                let n = if ns <= *scale {
                    m.checked_mul(10i128.checked_pow(*scale - ns)?)?
                } else {
                    let d = 10i128.checked_pow(ns - *scale)?;
                    m.checked_add(d - 1)? / d
                };
                let target = u64::try_from(i128::from(tree.prefix(lo)).checked_add(n)?).ok()?;
                tree.lower_bound(target)
            }
            Sums::Dec(tree) => tree.lower_bound(tree.prefix(lo).saturating_add(need)),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Sums::Int { tree, .. } => tree.tree.shrink_to_fit(),
            Sums::Dec(tree) => tree.tree.shrink_to_fit(),
        }
    }
}

/// How many of the ascending positions `zeros` lie in `lo..hi`.
fn zeros_between(zeros: &[u32], lo: usize, hi: usize) -> usize {
    let below = |n: usize| zeros.partition_point(|z| (*z as usize) < n);
    below(hi).saturating_sub(below(lo))
}

/// Inserts `i` into the ascending `zeros` unless present.
fn add_zero(zeros: &mut Vec<u32>, i: u32) {
    if let Err(at) = zeros.binary_search(&i) {
        zeros.insert(at, i);
    }
}

/// The uses of one channel, for an indexed ledger used on more than one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChannelSeries {
    channel: Channel,
    /// The positions of this channel's uses in the ledger, ascending.
    pos: Vec<u32>,
    sums: Sums,
    /// The entries of `pos` (their index there) that count zero.
    zeros: Vec<u32>,
}

impl ChannelSeries {
    fn new(channel: Channel) -> Self {
        ChannelSeries {
            channel,
            pos: Vec::new(),
            sums: Sums::default(),
            zeros: Vec::new(),
        }
    }
}

/// The Fenwick trees of a ledger of [`SCAN_LIMIT`] uses or more.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Index {
    all: Sums,
    /// One per channel, kept only once the ledger has uses on two channels (until then the
    /// one channel's sums are `all`).
    by_channel: Vec<ChannelSeries>,
}

/// One use as the ledger keeps it: what every use has (the rest is per ledger, or in the
/// sparse [`Extra`] of the few uses that differ).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    id: UsageId,
    at: Instant,
    channel: Channel,
}

/// What a ledger's uses share: taken from its first use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Common {
    entitlement: EntitlementId,
    agreement: AgreementId,
    line: LineId,
    /// The currency of the first use's amount (a money allowance): a use whose amount is its
    /// quantity in this currency keeps no amount of its own.
    money: Option<Currency>,
}

/// What a use has beyond its [`Row`] and the ledger's [`Common`]: kept only for the uses
/// that have any of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Extra {
    /// The agreement and line, when not the ledger's (a line moved).
    place: Option<(AgreementId, LineId)>,
    asset: Option<AssetId>,
    /// The amount, when not the quantity in the ledger's currency.
    amount: Option<Option<Money>>,
    exceptions: Vec<ExceptionId>,
    reversed: Option<UsageReversal>,
}

/// The uses' quantities: one for all while they are the same (a quota's 1), else each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Quantities {
    #[default]
    None,
    Same(Decimal),
    Each(Vec<Decimal>),
}

/// Two decimals with the same digits and scale (not only the same value).
fn identical(a: Decimal, b: Decimal) -> bool {
    a.serialize() == b.serialize()
}

/// The uses of one entitlement, in time order, with their index.
///
/// Stored by columns: each use's id, instant and channel in a row of 40 bytes; the
/// agreement, line and currency once per ledger; the quantity once while all are the same;
/// anything else (an asset, exceptions, a reversal, a moved line) in a sparse side list.
/// A ledger of [`SCAN_LIMIT`] uses or more also keeps Fenwick trees over the counted
/// quantities. [`UsageLedger::records`] gives the uses back as [`UsageRecord`]s.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<UsageRecord>", into = "Vec<UsageRecord>")]
pub struct UsageLedger {
    rows: Vec<Row>,
    quantity: Quantities,
    /// Positions whose counted quantity is zero (reversed, or a zero quantity), ascending.
    zeros: Vec<u32>,
    common: Option<Common>,
    /// Sorted by position.
    extras: Vec<(u32, Box<Extra>)>,
    index: Option<Box<Index>>,
}

impl PartialEq for UsageLedger {
    /// The same uses (the index follows from them, and its form from their history).
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
            && self.quantity == other.quantity
            && self.zeros == other.zeros
            && self.common == other.common
            && self.extras == other.extras
    }
}

impl Eq for UsageLedger {}

impl TryFrom<Vec<UsageRecord>> for UsageLedger {
    type Error = Error;
    fn try_from(records: Vec<UsageRecord>) -> Result<Self> {
        let mut l = UsageLedger::default();
        for r in records {
            l.push(r)?;
        }
        l.shrink_to_fit();
        Ok(l)
    }
}

impl From<UsageLedger> for Vec<UsageRecord> {
    fn from(l: UsageLedger) -> Self {
        l.records()
    }
}

/// Usage records counted in a window: how many, how much, and the first few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted<'a> {
    /// The total quantity counted.
    pub quantity: Decimal,
    /// How many uses were counted.
    pub uses: u64,
    /// The ids of the oldest counted uses, at most the number asked for.
    pub first: Vec<&'a UsageId>,
}

fn too_many(what: &str) -> Error {
    Error::validation("usage", what, "more uses than one ledger can hold (2^32)")
}

impl UsageLedger {
    /// How many uses it holds, reversed ones included.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it holds no use.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every use, oldest first, including reversed ones (rebuilt from the ledger's columns).
    pub fn records(&self) -> Vec<UsageRecord> {
        (0..self.rows.len())
            .filter_map(|i| self.record(i))
            .collect()
    }

    /// The use at position `i` (0-based, oldest first).
    pub fn record(&self, i: usize) -> Option<UsageRecord> {
        let row = self.rows.get(i)?;
        let common = self.common.as_ref()?;
        let quantity = self.quantity(i)?;
        let extra = self.extra(i);
        let (agreement, line) = match extra.and_then(|x| x.place.as_ref()) {
            Some((a, l)) => (a.clone(), l.clone()),
            None => (common.agreement.clone(), common.line.clone()),
        };
        let amount = match extra.and_then(|x| x.amount) {
            Some(a) => a,
            None => common.money.and_then(|c| Money::new(quantity, c).ok()),
        };
        Some(UsageRecord {
            id: row.id.clone(),
            entitlement: common.entitlement.clone(),
            agreement,
            line,
            asset: extra.and_then(|x| x.asset.clone()),
            at: row.at,
            quantity,
            amount,
            channel: row.channel,
            exceptions: extra.map(|x| x.exceptions.clone()).unwrap_or_default(),
            reversed: extra.and_then(|x| x.reversed.clone()),
        })
    }

    /// The id of the use at position `i`.
    fn id(&self, i: usize) -> Option<&UsageId> {
        self.rows.get(i).map(|r| &r.id)
    }

    fn quantity(&self, i: usize) -> Option<Decimal> {
        match &self.quantity {
            Quantities::None => None,
            Quantities::Same(q) => (i < self.rows.len()).then_some(*q),
            Quantities::Each(v) => v.get(i).copied(),
        }
    }

    /// The quantity position `i` counts for: zero once reversed.
    fn counted_at(&self, i: usize) -> Decimal {
        let zero = u32::try_from(i).map_or(true, |i| self.zeros.binary_search(&i).is_ok());
        if zero {
            Decimal::ZERO
        } else {
            self.quantity(i).unwrap_or(Decimal::ZERO)
        }
    }

    fn extra(&self, i: usize) -> Option<&Extra> {
        let i = u32::try_from(i).ok()?;
        self.extras
            .binary_search_by_key(&i, |(k, _)| *k)
            .ok()
            .and_then(|k| self.extras.get(k))
            .map(|(_, x)| &**x)
    }

    fn is_reversed(&self, i: usize) -> bool {
        self.extra(i).is_some_and(|x| x.reversed.is_some())
    }

    /// The instant of the latest use (reversed or not).
    pub fn last_at(&self) -> Option<Instant> {
        self.rows.last().map(|r| r.at)
    }

    fn push(&mut self, r: UsageRecord) -> Result<usize> {
        if let Some(last) = self.last_at()
            && r.at < last
        {
            return Err(Error::validation(
                "usage at",
                r.at,
                format!(
                    "entitlement {} already has a use at {last}; uses are recorded in time order",
                    r.entitlement
                ),
            ));
        }
        let i = self.rows.len();
        let i32 = u32::try_from(i).map_err(|_| too_many(r.id.as_str()))?;
        let common = match &self.common {
            Some(c) => {
                if c.entitlement != r.entitlement {
                    return Err(Error::validation(
                        "usage",
                        &r.id,
                        format!("is filed under entitlement {}", c.entitlement),
                    ));
                }
                c
            }
            None => self.common.insert(Common {
                entitlement: r.entitlement.clone(),
                agreement: r.agreement.clone(),
                line: r.line.clone(),
                money: r.amount.map(|m| m.currency()),
            }),
        };
        let place = (r.agreement != common.agreement || r.line != common.line)
            .then(|| (r.agreement.clone(), r.line.clone()));
        let usual_amount = common.money.and_then(|c| Money::new(r.quantity, c).ok());
        let amount = (r.amount != usual_amount).then_some(r.amount);
        let counted = r.counted_quantity();
        let extra = Extra {
            place,
            asset: r.asset,
            amount,
            exceptions: r.exceptions,
            reversed: r.reversed,
        };
        if extra != Extra::default() {
            self.extras.push((i32, Box::new(extra)));
        }
        match &mut self.quantity {
            Quantities::None => self.quantity = Quantities::Same(r.quantity),
            Quantities::Same(q) if identical(*q, r.quantity) => {}
            Quantities::Same(q) => {
                let mut each = vec![*q; i];
                each.push(r.quantity);
                self.quantity = Quantities::Each(each);
            }
            Quantities::Each(v) => v.push(r.quantity),
        }
        if counted.is_zero() {
            self.zeros.push(i32);
        }
        self.rows.push(Row {
            id: r.id,
            at: r.at,
            channel: r.channel,
        });
        match &mut self.index {
            Some(ix) => {
                ix.all.push(counted);
                let first = self.rows.first().map(|f| f.channel);
                if !ix.by_channel.is_empty() {
                    let series = match ix
                        .by_channel
                        .iter_mut()
                        .position(|s| s.channel == r.channel)
                    {
                        Some(k) => ix.by_channel.get_mut(k),
                        None => {
                            ix.by_channel.push(ChannelSeries::new(r.channel));
                            ix.by_channel.last_mut()
                        }
                    };
                    if let Some(s) = series {
                        Self::push_to(s, i32, counted)?;
                    }
                } else if first != Some(r.channel) {
                    let channels = self.channel_series()?;
                    if let Some(ix) = &mut self.index {
                        ix.by_channel = channels;
                    }
                }
            }
            None if self.rows.len() >= SCAN_LIMIT => self.build_index()?,
            None => {}
        }
        Ok(i)
    }

    fn push_to(s: &mut ChannelSeries, i: u32, counted: Decimal) -> Result<()> {
        if counted.is_zero() {
            let k = u32::try_from(s.pos.len()).map_err(|_| too_many("channel"))?;
            s.zeros.push(k);
        }
        s.pos.push(i);
        s.sums.push(counted);
        Ok(())
    }

    /// One series per channel used, built from the rows.
    fn channel_series(&self) -> Result<Vec<ChannelSeries>> {
        let mut out: Vec<ChannelSeries> = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let i32 = u32::try_from(i).map_err(|_| too_many(row.id.as_str()))?;
            let counted = self.counted_at(i);
            let k = match out.iter().position(|s| s.channel == row.channel) {
                Some(k) => k,
                None => {
                    out.push(ChannelSeries::new(row.channel));
                    out.len() - 1
                }
            };
            if let Some(s) = out.get_mut(k) {
                Self::push_to(s, i32, counted)?;
            }
        }
        Ok(out)
    }

    fn build_index(&mut self) -> Result<()> {
        let mut all = Sums::default();
        for i in 0..self.rows.len() {
            all.push(self.counted_at(i));
        }
        let first = self.rows.first().map(|f| f.channel);
        let by_channel = if self.rows.iter().any(|r| Some(r.channel) != first) {
            self.channel_series()?
        } else {
            Vec::new()
        };
        self.index = Some(Box::new(Index { all, by_channel }));
        Ok(())
    }

    fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        if let Quantities::Each(v) = &mut self.quantity {
            v.shrink_to_fit();
        }
        self.zeros.shrink_to_fit();
        self.extras.shrink_to_fit();
        if let Some(ix) = &mut self.index {
            ix.all.shrink_to_fit();
            ix.by_channel.shrink_to_fit();
            for s in &mut ix.by_channel {
                s.pos.shrink_to_fit();
                s.sums.shrink_to_fit();
                s.zeros.shrink_to_fit();
            }
        }
    }

    fn reverse(&mut self, i: usize, reversal: UsageReversal) -> Result<()> {
        let i32 = u32::try_from(i).map_err(|_| Error::not_found("usage", i))?;
        let row = self
            .rows
            .get(i)
            .ok_or_else(|| Error::not_found("usage", i))?;
        if self.is_reversed(i) {
            return Err(Error::invalid_transition(
                "usage", &row.id, "reversed", "reverse",
            ));
        }
        let channel = row.channel;
        let q = self.counted_at(i);
        match self.extras.binary_search_by_key(&i32, |(k, _)| *k) {
            Ok(k) => {
                if let Some((_, x)) = self.extras.get_mut(k) {
                    x.reversed = Some(reversal);
                }
            }
            Err(k) => self.extras.insert(
                k,
                (
                    i32,
                    Box::new(Extra {
                        reversed: Some(reversal),
                        ..Extra::default()
                    }),
                ),
            ),
        }
        if q.is_zero() {
            return Ok(());
        }
        add_zero(&mut self.zeros, i32);
        if let Some(ix) = &mut self.index {
            ix.all.lower(i + 1, q);
            if let Some(s) = ix.by_channel.iter_mut().find(|s| s.channel == channel)
                && let Ok(k) = s.pos.binary_search(&i32)
            {
                s.sums.lower(k + 1, q);
                if let Ok(k) = u32::try_from(k) {
                    add_zero(&mut s.zeros, k);
                }
            }
        }
        Ok(())
    }

    /// Positions (0-based, half-open) of the uses in `[from, to)`.
    fn range(&self, from: Instant, to: Instant) -> (usize, usize) {
        let lo = self.rows.partition_point(|r| r.at < from);
        let hi = self.rows.partition_point(|r| r.at < to).max(lo);
        (lo, hi)
    }

    /// The channel series answering for `channel` in an indexed ledger: `None` for all
    /// channels (or the only one used), `Some(None)` for a channel never used.
    fn series(&self, ix: &Index, channel: Option<Channel>) -> Option<Option<usize>> {
        let c = channel?;
        if ix.by_channel.is_empty() {
            return match self.rows.first() {
                Some(r) if r.channel == c => None,
                _ => Some(None),
            };
        }
        Some(ix.by_channel.iter().position(|s| s.channel == c))
    }

    /// Positions `lo..hi` within a channel series of the uses in `[from, to)`.
    fn series_range(&self, s: &ChannelSeries, from: Instant, to: Instant) -> (usize, usize) {
        let at = |p: &u32| self.rows.get(*p as usize).map(|r| r.at);
        let lo = s.pos.partition_point(|p| at(p).is_some_and(|a| a < from));
        let hi = s
            .pos
            .partition_point(|p| at(p).is_some_and(|a| a < to))
            .max(lo);
        (lo, hi)
    }

    /// The quantity and number of uses counted in `[from, to)`, on one channel or on all.
    /// O(log n).
    pub fn used(&self, channel: Option<Channel>, from: Instant, to: Instant) -> (Decimal, u64) {
        let (lo, hi) = self.range(from, to);
        let Some(ix) = &self.index else {
            return self.scan_used(channel, lo, hi);
        };
        match self.series(ix, channel) {
            None => {
                let uses = (hi - lo).saturating_sub(zeros_between(&self.zeros, lo, hi));
                (ix.all.between(lo, hi), uses as u64)
            }
            Some(None) => (Decimal::ZERO, 0),
            Some(Some(k)) => match ix.by_channel.get(k) {
                Some(s) => {
                    let (lo, hi) = self.series_range(s, from, to);
                    let uses = (hi - lo).saturating_sub(zeros_between(&s.zeros, lo, hi));
                    (s.sums.between(lo, hi), uses as u64)
                }
                None => (Decimal::ZERO, 0),
            },
        }
    }

    /// [`UsageLedger::used`] by looking at each use in `lo..hi` (a ledger below
    /// [`SCAN_LIMIT`]).
    fn scan_used(&self, channel: Option<Channel>, lo: usize, hi: usize) -> (Decimal, u64) {
        let rows = self.rows.get(lo..hi).unwrap_or_default();
        if let (None, Quantities::Same(q)) = (channel, &self.quantity) {
            if q.is_zero() {
                return (*q, 0);
            }
            let uses = (hi - lo).saturating_sub(zeros_between(&self.zeros, lo, hi));
            return (q.saturating_mul(Decimal::from(uses)), uses as u64);
        }
        let mut sum = Decimal::ZERO;
        let mut uses = 0;
        for (k, r) in rows.iter().enumerate() {
            if channel.is_some_and(|c| c != r.channel) {
                continue;
            }
            let q = self.counted_at(lo + k);
            if !q.is_zero() {
                sum = sum.saturating_add(q);
                uses += 1;
            }
        }
        (sum, uses)
    }

    /// The instant of the earliest use in `[from, to)` (on one channel or on all) such that
    /// the uses from `from` up to and including it amount to at least `need`: once that use
    /// leaves a rolling window, `need` is free again. O(log n).
    pub fn reaching(
        &self,
        channel: Option<Channel>,
        from: Instant,
        to: Instant,
        need: Decimal,
    ) -> Option<Instant> {
        if need <= Decimal::ZERO {
            return None;
        }
        let (lo, hi) = self.range(from, to);
        let Some(ix) = &self.index else {
            let mut run = Decimal::ZERO;
            for (k, r) in self.rows.get(lo..hi).unwrap_or_default().iter().enumerate() {
                if channel.is_some_and(|c| c != r.channel) {
                    continue;
                }
                run = run.saturating_add(self.counted_at(lo + k));
                if run >= need {
                    return Some(r.at);
                }
            }
            return None;
        };
        match self.series(ix, channel) {
            None => {
                let pos = ix.all.reaching(lo, need)?;
                if pos <= lo || pos > hi {
                    return None;
                }
                self.rows.get(pos - 1).map(|r| r.at)
            }
            Some(None) => None,
            Some(Some(k)) => {
                let s = ix.by_channel.get(k)?;
                let (lo, hi) = self.series_range(s, from, to);
                let pos = s.sums.reaching(lo, need)?;
                if pos <= lo || pos > hi {
                    return None;
                }
                let p = *s.pos.get(pos - 1)?;
                self.rows.get(p as usize).map(|r| r.at)
            }
        }
    }

    /// The counted (not reversed) uses in `[from, to)`: totals in O(log n), and the ids of
    /// the oldest `first` of them, looking at no more than `4 * first` uses.
    pub fn counted(&self, from: Instant, to: Instant, first: usize) -> Counted<'_> {
        let (quantity, uses) = self.used(None, from, to);
        let (lo, hi) = self.range(from, to);
        let list = (lo..hi)
            .take(first.saturating_mul(4))
            .filter(|i| !self.is_reversed(*i))
            .filter_map(|i| self.id(i))
            .take(first)
            .collect();
        Counted {
            quantity,
            uses,
            first: list,
        }
    }
}

/// A hasher for keys that are hashes already (a usage id's 64-bit hash).
#[derive(Debug, Clone, Copy, Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A usage id's 64-bit hash (SipHash with fixed keys: the same in every run).
fn id_hash(id: &UsageId) -> u64 {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    h.write(id.as_str().as_bytes());
    h.finish()
}

/// Where a use is: its ledger's slot and its position there.
type Loc = (u32, u32);

/// Every entitlement's uses, and where each usage id is.
///
/// The usage-id index keeps a 64-bit hash of each id (16 bytes an entry, not the id); the
/// rare ids whose hash another id already has are kept by their full id beside it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<EntitlementId, UsageLedger>",
    into = "BTreeMap<EntitlementId, UsageLedger>"
)]
pub struct UsageBook {
    ledgers: Vec<UsageLedger>,
    slots: BTreeMap<EntitlementId, u32>,
    owner: HashMap<u64, Loc, BuildHasherDefault<Prehashed>>,
    clash: BTreeMap<UsageId, Loc>,
}

impl PartialEq for UsageBook {
    /// The same ledgers under the same entitlements (the indexes follow from them).
    fn eq(&self, other: &Self) -> bool {
        self.slots.len() == other.slots.len()
            && self.slots.keys().all(|e| self.ledger(e) == other.ledger(e))
    }
}

impl Eq for UsageBook {}

impl TryFrom<BTreeMap<EntitlementId, UsageLedger>> for UsageBook {
    type Error = Error;
    fn try_from(ledgers: BTreeMap<EntitlementId, UsageLedger>) -> Result<Self> {
        let mut book = UsageBook::default();
        for (e, l) in ledgers {
            if l.common.as_ref().is_some_and(|c| c.entitlement != e) {
                return Err(Error::validation(
                    "usage",
                    &e,
                    "a ledger holds uses of another entitlement",
                ));
            }
            let slot = book.slot(&e)?;
            let ids: Vec<UsageId> = l.rows.iter().map(|r| r.id.clone()).collect();
            if let Some(place) = book.ledgers.get_mut(slot as usize) {
                *place = l;
            }
            for (p, id) in ids.iter().enumerate() {
                let p = u32::try_from(p).map_err(|_| too_many(id.as_str()))?;
                if !book.index_id(id, (slot, p)) {
                    return Err(Error::validation(
                        "usage",
                        id,
                        "is duplicated or filed under another entitlement",
                    ));
                }
            }
        }
        Ok(book)
    }
}

impl From<UsageBook> for BTreeMap<EntitlementId, UsageLedger> {
    fn from(mut b: UsageBook) -> Self {
        b.slots
            .iter()
            .filter_map(|(e, s)| {
                let l = std::mem::take(b.ledgers.get_mut(*s as usize)?);
                Some((e.clone(), l))
            })
            .collect()
    }
}

impl UsageBook {
    /// The uses of one entitlement, if it has any.
    pub fn ledger(&self, entitlement: &EntitlementId) -> Option<&UsageLedger> {
        let s = *self.slots.get(entitlement)?;
        self.ledgers.get(s as usize)
    }

    /// Where the use with that id is.
    fn locate(&self, id: &UsageId) -> Option<Loc> {
        if let Some(&(s, p)) = self.owner.get(&id_hash(id))
            && self.ledgers.get(s as usize).and_then(|l| l.id(p as usize)) == Some(id)
        {
            return Some((s, p));
        }
        self.clash.get(id).copied()
    }

    /// The usage record with that id.
    pub fn record(&self, id: &UsageId) -> Option<UsageRecord> {
        let (s, p) = self.locate(id)?;
        self.ledgers.get(s as usize)?.record(p as usize)
    }

    /// Whether a use with that id is recorded.
    pub fn contains(&self, id: &UsageId) -> bool {
        self.locate(id).is_some()
    }

    /// Checks that `record` could be added: a new id, not dated before the entitlement's
    /// latest use.
    pub fn check_new(&self, record: &UsageRecord) -> Result<()> {
        if self.contains(&record.id) {
            return Err(Error::already_exists("usage", &record.id));
        }
        if let Some(last) = self.ledger(&record.entitlement).and_then(|l| l.last_at())
            && record.at < last
        {
            return Err(Error::validation(
                "usage at",
                record.at,
                format!(
                    "entitlement {} already has a use at {last}; uses are recorded in time order",
                    record.entitlement
                ),
            ));
        }
        Ok(())
    }

    /// The slot of an entitlement's ledger, made when it has none.
    fn slot(&mut self, e: &EntitlementId) -> Result<u32> {
        if let Some(s) = self.slots.get(e) {
            return Ok(*s);
        }
        let s = u32::try_from(self.ledgers.len()).map_err(|_| too_many(e.as_str()))?;
        self.ledgers.push(UsageLedger::default());
        self.slots.insert(e.clone(), s);
        Ok(s)
    }

    /// Files `id`, held by the ledger at `loc`; `false` when the id is filed already.
    fn index_id(&mut self, id: &UsageId, loc: Loc) -> bool {
        use std::collections::hash_map::Entry;
        match self.owner.entry(id_hash(id)) {
            Entry::Vacant(v) => {
                v.insert(loc);
                true
            }
            Entry::Occupied(o) => {
                let (s, p) = *o.get();
                let other = self.ledgers.get(s as usize).and_then(|l| l.id(p as usize));
                if other == Some(id) || self.clash.contains_key(id) {
                    return false;
                }
                self.clash.insert(id.clone(), loc);
                true
            }
        }
    }

    /// Adds a use (see [`UsageBook::check_new`]).
    pub fn push(&mut self, record: UsageRecord) -> Result<()> {
        self.check_new(&record)?;
        let id = record.id.clone();
        let slot = self.slot(&record.entitlement)?;
        let ledger = self
            .ledgers
            .get_mut(slot as usize)
            .ok_or_else(|| Error::not_found("usage ledger", &record.entitlement))?;
        // the ledger refuses a position beyond u32 before it changes anything
        let p = u32::try_from(ledger.push(record)?).map_err(|_| too_many(id.as_str()))?;
        // `check_new` found the id new, so filing it cannot be refused
        self.index_id(&id, (slot, p));
        Ok(())
    }

    /// Drops the spare capacity of every ledger's records and index (after a replay, when
    /// the uses are all in: vectors grown by doubling hold up to twice what they need).
    pub fn shrink_to_fit(&mut self) {
        for l in &mut self.ledgers {
            l.shrink_to_fit();
        }
        self.ledgers.shrink_to_fit();
        self.owner.shrink_to_fit();
        let slots = std::mem::take(&mut self.slots);
        self.slots = slots.into_iter().collect();
    }

    /// Marks a use reversed: it no longer counts in any window.
    pub fn reverse(&mut self, id: &UsageId, reversal: UsageReversal) -> Result<()> {
        let (s, p) = self
            .locate(id)
            .ok_or_else(|| Error::not_found("usage", id))?;
        self.ledgers
            .get_mut(s as usize)
            .ok_or_else(|| Error::not_found("usage", id))?
            .reverse(p as usize, reversal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> Instant {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn rec(i: usize, minutes: i64, q: i64, ch: Channel) -> UsageRecord {
        UsageRecord {
            id: UsageId::new(format!("U{i}")).unwrap(),
            entitlement: EntitlementId::new("L1.x").unwrap(),
            agreement: AgreementId::new("A1").unwrap(),
            line: LineId::new("L1").unwrap(),
            asset: None,
            at: t0() + chrono::Duration::minutes(minutes),
            quantity: Decimal::from(q),
            amount: None,
            channel: ch,
            exceptions: vec![],
            reversed: None,
        }
    }

    proptest! {
        /// The index answers exactly what a scan of the records answers.
        #[test]
        fn index_matches_a_scan(
            uses in proptest::collection::vec((0i64..50, 1i64..5, any::<bool>(), any::<bool>()), 0..60),
            from in 0i64..3000,
            len in 0i64..3000,
            need in 0i64..20,
        ) {
            let mut book = UsageBook::default();
            let mut minute = 0;
            for (i, (gap, q, web, _)) in uses.iter().enumerate() {
                minute += gap;
                let ch = if *web { Channel::Web } else { Channel::Branch };
                book.push(rec(i, minute, *q, ch)).unwrap();
            }
            for (i, (_, _, _, rev)) in uses.iter().enumerate() {
                if *rev {
                    let by = ActorId::new("x").unwrap();
                    book.reverse(&UsageId::new(format!("U{i}")).unwrap(), UsageReversal { at: t0(), by, reason: "r".into() }).unwrap();
                }
            }
            let e = EntitlementId::new("L1.x").unwrap();
            let from = t0() + chrono::Duration::minutes(from);
            let to = from + chrono::Duration::minutes(len);
            let empty = UsageLedger::default();
            let l = book.ledger(&e).unwrap_or(&empty);
            let recs = l.records();
            let in_range: Vec<&UsageRecord> = recs.iter().filter(|r| r.at >= from && r.at < to).collect();
            let scan: Decimal = in_range.iter().map(|r| r.counted_quantity()).sum();
            let count = in_range.iter().filter(|r| r.reversed.is_none()).count() as u64;
            prop_assert_eq!(l.used(None, from, to), (scan, count));
            let web: Decimal = in_range.iter().filter(|r| r.channel == Channel::Web).map(|r| r.counted_quantity()).sum();
            prop_assert_eq!(l.used(Some(Channel::Web), from, to).0, web);
            // reaching: the earliest record whose running sum reaches `need`
            let need = Decimal::from(need);
            let mut run = Decimal::ZERO;
            let mut expect = None;
            if need > Decimal::ZERO {
                for r in &in_range {
                    run += r.counted_quantity();
                    if run >= need { expect = Some(r.at); break; }
                }
            }
            prop_assert_eq!(l.reaching(None, from, to, need), if need > Decimal::ZERO { expect } else { None });
        }
    }

    proptest! {
        /// The columns give back exactly the records pushed (amounts, assets, exceptions,
        /// moved lines, reversals, quantities of any scale), through serde too; sums in
        /// integers (small and large ledgers, mixed scales, totals beyond the integer
        /// range) equal plain decimal sums.
        #[test]
        fn columns_give_back_the_records(
            uses in proptest::collection::vec(
                (0i64..30, 0i64..4, 0u32..4, 0u8..8, any::<bool>(), 0u8..3), 0..80),
            huge in any::<bool>(),
        ) {
            let mut book = UsageBook::default();
            let mut pushed = Vec::new();
            let eur = Currency::new("EUR").unwrap();
            for (i, (gap, q, scale, flags, web, rev)) in uses.iter().enumerate() {
                let mut r = rec(i, 0, 0, if *web { Channel::Web } else { Channel::Branch });
                r.at = pushed.last().map_or(t0(), |p: &UsageRecord| p.at) + chrono::Duration::minutes(*gap);
                r.quantity = if huge && i % 7 == 3 {
                    Decimal::new(i64::MAX / 3, *scale)
                } else {
                    Decimal::new(*q, *scale)
                };
                if flags & 1 != 0 {
                    r.asset = Some(AssetId::new(format!("D{i}")).unwrap());
                }
                if flags & 2 != 0 {
                    r.amount = Money::new(r.quantity, eur).ok();
                }
                if flags & 4 != 0 {
                    r.line = LineId::new("L2").unwrap();
                    r.exceptions = vec![ExceptionId::new("X1").unwrap()];
                }
                if *rev == 1 {
                    r.reversed = Some(UsageReversal { at: r.at, by: ActorId::new("x").unwrap(), reason: "r".into() });
                }
                book.push(r.clone()).unwrap();
                pushed.push(r);
            }
            for (i, (_, _, _, _, _, rev)) in uses.iter().enumerate() {
                if *rev == 2 {
                    let reversal = UsageReversal { at: t0(), by: ActorId::new("y").unwrap(), reason: "later".into() };
                    book.reverse(&UsageId::new(format!("U{i}")).unwrap(), reversal.clone()).unwrap();
                    if let Some(p) = pushed.get_mut(i) { p.reversed = Some(reversal); }
                }
            }
            let e = EntitlementId::new("L1.x").unwrap();
            let empty = UsageLedger::default();
            let l = book.ledger(&e).unwrap_or(&empty);
            prop_assert_eq!(&l.records(), &pushed);
            for (i, p) in pushed.iter().enumerate() {
                prop_assert_eq!(book.record(&p.id), Some(p.clone()));
                prop_assert_eq!(l.record(i), Some(p.clone()));
            }
            let json = serde_json::to_string(&book).unwrap();
            let back: UsageBook = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &book);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
            let (from, to) = (t0(), t0() + chrono::Duration::days(30));
            let total: Decimal = pushed.iter().map(UsageRecord::counted_quantity).sum();
            let n = pushed.iter().filter(|p| !p.counted_quantity().is_zero()).count() as u64;
            prop_assert_eq!(l.used(None, from, to), (total, n));
            let web: Decimal = pushed.iter().filter(|p| p.channel == Channel::Web).map(UsageRecord::counted_quantity).sum();
            prop_assert_eq!(l.used(Some(Channel::Web), from, to).0, web);
            prop_assert_eq!(l.used(Some(Channel::Phone), from, to), (Decimal::ZERO, 0));
        }
    }

    #[test]
    fn duplicates_and_out_of_order_uses_are_refused() {
        let mut book = UsageBook::default();
        book.push(rec(1, 10, 1, Channel::Web)).unwrap();
        assert_eq!(
            book.push(rec(1, 20, 1, Channel::Web)).unwrap_err().kind(),
            crate::ErrorKind::AlreadyExists
        );
        assert!(book.push(rec(2, 5, 1, Channel::Web)).is_err());
        let json = serde_json::to_string(&book).unwrap();
        let back: UsageBook = serde_json::from_str(&json).unwrap();
        assert_eq!(back, book);
    }
}
