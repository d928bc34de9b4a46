//! Usage records and the index that counts them.
//!
//! Each entitlement keeps its uses in time order (the engine refuses a use dated before the
//! latest one of the same entitlement). Beside the records, a [`UsageLedger`] keeps two
//! Fenwick trees over the same order: the quantity and the number of uses. "How much in
//! `[from, to)`" is two binary searches on the instants and two prefix sums: O(log n). A new
//! use at the end is added in O(log n); a reversal sets its entry to zero in O(log n), so a
//! reversed use no longer counts in any window (a cancelled visit gives the quota back).
//! Only the records are serialized; the trees are rebuilt when a ledger is read back.

use crate::Instant;
use crate::error::{Error, Result};
use crate::ids::{ActorId, AgreementId, AssetId, EntitlementId, ExceptionId, LineId, UsageId};
use crate::money::Money;
use crate::party::Channel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// What a Fenwick tree sums: quantities (decimals) or counts (`u32`). Entries are
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

impl Weight for u32 {
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

    /// Drops spare capacity.
    fn shrink_to_fit(&mut self) {
        self.tree.shrink_to_fit();
    }
}

/// Uses in time order with their quantities and counts, searchable by instant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Series {
    at: Vec<Instant>,
    quantity: Fenwick<Decimal>,
    /// The number of uses (1 per counted use, 0 once reversed).
    count: Fenwick<u32>,
}

impl Series {
    fn push(&mut self, at: Instant, quantity: Decimal) -> usize {
        self.at.push(at);
        self.quantity.push(quantity);
        self.count.push(u32::from(quantity > Decimal::ZERO));
        self.at.len()
    }

    fn zero(&mut self, pos: usize, quantity: Decimal) {
        self.quantity.lower(pos, quantity);
        self.count.lower(pos, 1);
    }

    fn shrink_to_fit(&mut self) {
        self.at.shrink_to_fit();
        self.quantity.shrink_to_fit();
        self.count.shrink_to_fit();
    }

    /// Positions (0-based, half-open) of the entries in `[from, to)`.
    fn range(&self, from: Instant, to: Instant) -> (usize, usize) {
        let lo = self.at.partition_point(|a| *a < from);
        let hi = self.at.partition_point(|a| *a < to).max(lo);
        (lo, hi)
    }

    fn sum(&self, from: Instant, to: Instant) -> (Decimal, u64) {
        let (lo, hi) = self.range(from, to);
        let q = self
            .quantity
            .prefix(hi)
            .saturating_sub(self.quantity.prefix(lo));
        let c = self.count.prefix(hi).saturating_sub(self.count.prefix(lo));
        (q, u64::from(c))
    }

    /// The instant of the earliest entry in `[from, to)` such that the entries from `from` up
    /// to and including it sum to at least `need`.
    fn reaching(&self, from: Instant, to: Instant, need: Decimal) -> Option<Instant> {
        if need <= Decimal::ZERO {
            return None;
        }
        let (lo, hi) = self.range(from, to);
        let target = self.quantity.prefix(lo).saturating_add(need);
        let pos = self.quantity.lower_bound(target)?;
        if pos <= lo || pos > hi {
            return None;
        }
        self.at.get(pos - 1).copied()
    }
}

/// The uses of one entitlement, in time order, with their index.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<UsageRecord>", into = "Vec<UsageRecord>")]
pub struct UsageLedger {
    records: Vec<UsageRecord>,
    all: Series,
    /// One series per channel used, in order of first use (a handful at most: a vector is
    /// a fraction of an ordered map's node).
    by_channel: Vec<(Channel, Series)>,
    /// For each record, its 1-based position in its channel's series.
    channel_pos: Vec<usize>,
}

impl TryFrom<Vec<UsageRecord>> for UsageLedger {
    type Error = Error;
    fn try_from(records: Vec<UsageRecord>) -> Result<Self> {
        let mut l = UsageLedger::default();
        for r in records {
            l.push(r)?;
        }
        Ok(l)
    }
}

impl From<UsageLedger> for Vec<UsageRecord> {
    fn from(l: UsageLedger) -> Self {
        l.records
    }
}

/// Usage records counted in a window: how many, how much, and the first few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted<'a> {
    /// The total quantity counted.
    pub quantity: Decimal,
    /// How many uses were counted.
    pub uses: u64,
    /// The oldest counted uses, at most the number asked for.
    pub first: Vec<&'a UsageRecord>,
}

impl UsageLedger {
    /// Every use, oldest first, including reversed ones.
    pub fn records(&self) -> &[UsageRecord] {
        &self.records
    }

    /// The instant of the latest use (reversed or not).
    pub fn last_at(&self) -> Option<Instant> {
        self.records.last().map(|r| r.at)
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
        let q = r.counted_quantity();
        self.all.push(r.at, q);
        let pos = match self.by_channel.iter_mut().find(|(c, _)| *c == r.channel) {
            Some((_, series)) => series.push(r.at, q),
            None => {
                let mut series = Series::default();
                let pos = series.push(r.at, q);
                self.by_channel.push((r.channel, series));
                pos
            }
        };
        self.channel_pos.push(pos);
        self.records.push(r);
        Ok(self.records.len() - 1)
    }

    fn shrink_to_fit(&mut self) {
        self.records.shrink_to_fit();
        self.all.shrink_to_fit();
        self.by_channel.shrink_to_fit();
        for (_, series) in &mut self.by_channel {
            series.shrink_to_fit();
        }
        self.channel_pos.shrink_to_fit();
    }

    fn reverse(&mut self, index: usize, reversal: UsageReversal) -> Result<()> {
        let pos = self.channel_pos.get(index).copied();
        let r = self
            .records
            .get_mut(index)
            .ok_or_else(|| Error::not_found("usage", index))?;
        if r.reversed.is_some() {
            return Err(Error::invalid_transition(
                "usage", &r.id, "reversed", "reverse",
            ));
        }
        let (q, channel) = (r.quantity, r.channel);
        r.reversed = Some(reversal);
        self.all.zero(index + 1, q);
        if let (Some((_, series)), Some(pos)) =
            (self.by_channel.iter_mut().find(|(c, _)| *c == channel), pos)
        {
            series.zero(pos, q);
        }
        Ok(())
    }

    /// The series of one channel, if it was used.
    fn series(&self, channel: Channel) -> Option<&Series> {
        self.by_channel
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, s)| s)
    }

    /// The quantity and number of uses counted in `[from, to)`, on one channel or on all.
    /// O(log n).
    pub fn used(&self, channel: Option<Channel>, from: Instant, to: Instant) -> (Decimal, u64) {
        match channel {
            None => self.all.sum(from, to),
            Some(c) => self
                .series(c)
                .map_or((Decimal::ZERO, 0), |s| s.sum(from, to)),
        }
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
        match channel {
            None => self.all.reaching(from, to, need),
            Some(c) => self.series(c)?.reaching(from, to, need),
        }
    }

    /// The counted (not reversed) uses in `[from, to)`: totals in O(log n), and the oldest
    /// `first` of them, looking at no more than `4 * first` records.
    pub fn counted(&self, from: Instant, to: Instant, first: usize) -> Counted<'_> {
        let (quantity, uses) = self.all.sum(from, to);
        let (lo, hi) = self.all.range(from, to);
        let list = self
            .records
            .get(lo..hi)
            .unwrap_or_default()
            .iter()
            .take(first.saturating_mul(4))
            .filter(|r| r.reversed.is_none())
            .take(first)
            .collect();
        Counted {
            quantity,
            uses,
            first: list,
        }
    }
}

/// Every entitlement's uses, and where each usage id is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<EntitlementId, UsageLedger>",
    into = "BTreeMap<EntitlementId, UsageLedger>"
)]
pub struct UsageBook {
    ledgers: BTreeMap<EntitlementId, UsageLedger>,
    owner: BTreeMap<UsageId, (EntitlementId, usize)>,
}

impl TryFrom<BTreeMap<EntitlementId, UsageLedger>> for UsageBook {
    type Error = Error;
    fn try_from(ledgers: BTreeMap<EntitlementId, UsageLedger>) -> Result<Self> {
        let mut owner = BTreeMap::new();
        for (e, l) in &ledgers {
            for (i, r) in l.records.iter().enumerate() {
                if &r.entitlement != e || owner.insert(r.id.clone(), (e.clone(), i)).is_some() {
                    return Err(Error::validation(
                        "usage",
                        &r.id,
                        "is duplicated or filed under another entitlement",
                    ));
                }
            }
        }
        Ok(UsageBook { ledgers, owner })
    }
}

impl From<UsageBook> for BTreeMap<EntitlementId, UsageLedger> {
    fn from(b: UsageBook) -> Self {
        b.ledgers
    }
}

impl UsageBook {
    /// The uses of one entitlement, if it has any.
    pub fn ledger(&self, entitlement: &EntitlementId) -> Option<&UsageLedger> {
        self.ledgers.get(entitlement)
    }

    /// The usage record with that id.
    pub fn record(&self, id: &UsageId) -> Option<&UsageRecord> {
        let (e, i) = self.owner.get(id)?;
        self.ledgers.get(e)?.records.get(*i)
    }

    /// Checks that `record` could be added: a new id, not dated before the entitlement's
    /// latest use.
    pub fn check_new(&self, record: &UsageRecord) -> Result<()> {
        if self.owner.contains_key(&record.id) {
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

    /// Adds a use (see [`UsageBook::check_new`]).
    pub fn push(&mut self, record: UsageRecord) -> Result<()> {
        self.check_new(&record)?;
        let id = record.id.clone();
        let e = record.entitlement.clone();
        // Look the ledger up before cloning its key: most uses go to a ledger that exists.
        let ledger = match self.ledgers.get_mut(&e) {
            Some(l) => l,
            None => self.ledgers.entry(e.clone()).or_default(),
        };
        let index = ledger.push(record)?;
        self.owner.insert(id, (e, index));
        Ok(())
    }

    /// Drops the spare capacity of every ledger's records and index (after a replay, when
    /// the uses are all in: vectors grown by doubling hold up to twice what they need).
    pub fn shrink_to_fit(&mut self) {
        for l in self.ledgers.values_mut() {
            l.shrink_to_fit();
        }
    }

    /// Marks a use reversed: it no longer counts in any window.
    pub fn reverse(&mut self, id: &UsageId, reversal: UsageReversal) -> Result<()> {
        let (e, i) = self
            .owner
            .get(id)
            .ok_or_else(|| Error::not_found("usage", id))?;
        self.ledgers
            .get_mut(e)
            .ok_or_else(|| Error::not_found("usage", id))?
            .reverse(*i, reversal)
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
            let in_range: Vec<&UsageRecord> = l.records().iter().filter(|r| r.at >= from && r.at < to).collect();
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
