//! A compact, exact table of the UTC offsets of one IANA time zone, built once per calendar.
//!
//! chrono-tz answers "what is the offset at this instant" with a binary search over its
//! internal spans, but it does not expose the spans themselves. Business-time arithmetic needs
//! them (to know that a whole week has no clock change and can be skipped in one step), so the
//! table is rebuilt here by probing chrono-tz.
//!
//! Probing is exact under one property of the tz database: two changes of a zone's total UTC
//! offset are never closer than [`PROBE_STEP`]. The closest pair in the tzdb shipped with
//! chrono-tz 0.10.4 is 601,200 seconds apart (about 7 days: Asia/Gaza around Ramadan,
//! America/Recife in 2000), so a probe every 6 days sees every change, and a bisection then
//! finds the exact second. chrono-tz has no transitions before 1844 or after 2099; outside
//! [`PROBE_FROM`, `PROBE_TO`] the first and last offsets hold, exactly as in chrono-tz. The tests
//! compare this table with chrono-tz at many instants for zones with unusual histories.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Seconds between two probes: shorter than the closest pair of offset changes in the tzdb.
const PROBE_STEP: i64 = 6 * 86_400;
/// First probed instant (1836-12-05T00:00:00Z), before every transition in chrono-tz.
const PROBE_FROM: i64 = -4_200_000_000;
/// Last probed instant (2106-02-07T06:40:00Z), after every transition in chrono-tz.
const PROBE_TO: i64 = 4_300_000_000;

/// One period during which a zone's UTC offset is constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// First UTC second of the span (`i64::MIN` for the first span).
    utc_start: i64,
    /// Local time minus UTC, in seconds.
    offset: i64,
    /// The lowest local second (inclusive) that maps to this span alone, with `L - offset`.
    local_lo: i64,
    /// The highest local second (inclusive) that maps to this span with `L - offset`.
    local_hi: i64,
}

/// log2 of the width in seconds of a bucket of the span index (about 48.5 days).
const BUCKET_BITS: u32 = 22;

/// The UTC offsets of a zone as a sorted list of spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZoneTable {
    spans: Vec<Span>,
    /// For each bucket of `2^BUCKET_BITS` seconds from `PROBE_FROM`, the span holding the
    /// bucket's first second: a lookup is one index read and a step or two forward.
    index: Vec<u32>,
}

/// The offset of `tz` at the UTC second `utc`, in seconds (0 outside chrono's range).
fn probe(tz: Tz, utc: i64) -> i64 {
    DateTime::from_timestamp(utc, 0)
        .map(|t| {
            i64::from(
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
        .unwrap_or(0)
}

impl ZoneTable {
    /// Builds the table of `tz` by probing chrono-tz (see the module documentation).
    pub(crate) fn build(tz: Tz) -> Self {
        let mut raw: Vec<(i64, i64)> = vec![(i64::MIN, probe(tz, PROBE_FROM))];
        let mut current = probe(tz, PROBE_FROM);
        let mut at = PROBE_FROM;
        while at < PROBE_TO {
            let next = (at + PROBE_STEP).min(PROBE_TO);
            let offset = probe(tz, next);
            if offset == current {
                at = next;
                continue;
            }
            // Exactly one change in (at, next]: find its first second.
            let (mut lo, mut hi) = (at, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if probe(tz, mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            raw.push((hi, offset));
            current = offset;
            at = hi;
        }
        let mut spans = Vec::with_capacity(raw.len());
        for (i, &(utc_start, offset)) in raw.iter().enumerate() {
            let before = i.checked_sub(1).and_then(|j| raw.get(j)).map(|p| p.1);
            let after = raw.get(i + 1).copied();
            let local_lo = match before {
                None => i64::MIN,
                Some(prev) => utc_start.saturating_add(offset.max(prev)),
            };
            let local_hi = match after {
                None => i64::MAX,
                Some((next_start, next_offset)) => {
                    next_start.saturating_add(offset.min(next_offset))
                }
            };
            spans.push(Span {
                utc_start,
                offset,
                local_lo,
                local_hi,
            });
        }
        let buckets = ((PROBE_TO - PROBE_FROM) >> BUCKET_BITS) + 1;
        let mut index = Vec::new();
        let mut k = 0usize;
        for b in 0..buckets {
            let at = PROBE_FROM + (b << BUCKET_BITS);
            while spans.get(k + 1).is_some_and(|s: &Span| s.utc_start <= at) {
                k += 1;
            }
            index.push(u32::try_from(k).unwrap_or(u32::MAX));
        }
        ZoneTable { spans, index }
    }

    /// The number of spans (one more than the number of offset changes).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The index of the span holding the UTC second `utc`.
    pub(crate) fn span_at_utc(&self, utc: i64) -> usize {
        let bucket = utc
            .checked_sub(PROBE_FROM)
            .filter(|d| *d >= 0)
            .and_then(|d| usize::try_from(d >> BUCKET_BITS).ok())
            .and_then(|b| self.index.get(b));
        match bucket {
            Some(&k) => {
                let mut k = k as usize;
                while self.spans.get(k + 1).is_some_and(|s| s.utc_start <= utc) {
                    k += 1;
                }
                k
            }
            None => self
                .spans
                .partition_point(|s| s.utc_start <= utc)
                .saturating_sub(1),
        }
    }

    /// The offset at the UTC second `utc`.
    pub(crate) fn offset_at(&self, utc: i64) -> i64 {
        self.offset_of(self.span_at_utc(utc))
    }

    /// The offset of span `k`.
    pub(crate) fn offset_of(&self, k: usize) -> i64 {
        self.spans.get(k).map_or(0, |s| s.offset)
    }

    /// The plain local range `[lo, hi]` of span `k` and its offset (an empty range when `k` is
    /// out of bounds).
    pub(crate) fn plain_range(&self, k: usize) -> (i64, i64, i64) {
        self.spans.get(k).map_or((i64::MAX, i64::MIN, 0), |s| {
            (s.local_lo, s.local_hi, s.offset)
        })
    }

    /// Moves `k` forward (or back) to the span whose plain local range starts at or before
    /// `local` and is the last to do so.
    pub(crate) fn seek_local(&self, mut k: usize, local: i64) -> usize {
        while k > 0 && self.spans.get(k).is_some_and(|s| s.local_lo > local) {
            k -= 1;
        }
        while self.spans.get(k + 1).is_some_and(|s| s.local_lo <= local) {
            k += 1;
        }
        k
    }

    /// The index of the last span whose plain local range starts at or before `local`.
    pub(crate) fn span_at_local(&self, local: i64) -> usize {
        self.spans
            .partition_point(|s| s.local_lo <= local)
            .saturating_sub(1)
    }

    /// The UTC second of the local wall-clock second `local` (seconds since 1970-01-01T00:00
    /// local). A time that occurs twice (a fold) resolves to the earlier instant; a time that
    /// does not exist (a gap) resolves to the instant the clocks jump, the first instant after
    /// the gap.
    pub(crate) fn resolve(&self, local: i64) -> i64 {
        // `j` is the earlier span for a time in a fold: plain ranges start after the fold.
        let j = self.span_at_local(local);
        let Some(span) = self.spans.get(j) else {
            return local;
        };
        if let Some(next) = self.spans.get(j + 1) {
            // In the gap before `next`: the clocks jump at next.utc_start.
            if local >= next.utc_start.saturating_add(span.offset) {
                return next.utc_start;
            }
        }
        local.saturating_sub(span.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{LocalResult, NaiveDateTime};

    /// chrono-tz's own answer for a local second, with the documented gap and fold rule.
    fn chrono_resolve(tz: Tz, local: i64) -> i64 {
        let naive: NaiveDateTime = DateTime::from_timestamp(local, 0).unwrap().naive_utc();
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.timestamp(),
            LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
            LocalResult::None => chrono_tz::GapInfo::new(&naive, &tz)
                .unwrap()
                .end
                .unwrap()
                .timestamp(),
        }
    }

    const ZONES: [Tz; 8] = [
        Tz::Europe__Berlin,
        Tz::America__New_York,
        Tz::Australia__Lord_Howe,
        Tz::Asia__Gaza,
        Tz::America__Recife,
        Tz::Pacific__Apia,
        Tz::Asia__Beirut,
        Tz::UTC,
    ];

    #[test]
    fn the_table_agrees_with_chrono_tz() {
        for tz in ZONES {
            let table = ZoneTable::build(tz);
            // Every 7 hours and 13 minutes from 1830 to 2120, plus every transition's
            // neighbourhood (found through the table itself, checked against chrono-tz).
            let mut t = -4_450_000_000i64;
            while t < 4_700_000_000 {
                assert_eq!(table.offset_at(t), probe(tz, t), "{tz} offset at {t}");
                assert_eq!(table.resolve(t), chrono_resolve(tz, t), "{tz} resolve {t}");
                t += 7 * 3600 + 13 * 60;
            }
            for s in &table.spans[1..] {
                for d in [
                    -7200, -3601, -3600, -1801, -1800, -1, 0, 1, 1799, 1800, 3599, 3600,
                ] {
                    let u = s.utc_start + d;
                    assert_eq!(table.offset_at(u), probe(tz, u), "{tz} offset at {u}");
                    let l = s.utc_start + s.offset + d;
                    assert_eq!(table.resolve(l), chrono_resolve(tz, l), "{tz} resolve {l}");
                }
            }
        }
    }

    #[test]
    fn berlin_has_both_2026_changes() {
        let table = ZoneTable::build(Tz::Europe__Berlin);
        assert!(table.len() > 100);
        // 2026-03-29T01:00:00Z and 2026-10-25T01:00:00Z.
        assert_eq!(table.offset_at(1_774_746_000 - 1), 3600);
        assert_eq!(table.offset_at(1_774_746_000), 7200);
        assert_eq!(table.offset_at(1_792_890_000 - 1), 7200);
        assert_eq!(table.offset_at(1_792_890_000), 3600);
    }
}
