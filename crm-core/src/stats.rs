//! Exact arithmetic shared by the reports ([`crate::measures`], [`crate::accountability`]):
//! shares, means and spans of time as `Decimal`, with one rounding rule.

use crate::error::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of shares (0.8333 is 83.33 %).
pub const SHARE_DECIMALS: u32 = 4;
/// Decimal places of averages (seconds, scores, sentiment) and of the NPS.
pub const AVERAGE_DECIMALS: u32 = 2;

/// Rounds half to even to `places` and drops trailing zeros.
pub(crate) fn round(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
        .normalize()
}

/// `part / whole` to [`SHARE_DECIMALS`] places; `None` when `whole` is zero.
pub(crate) fn share(part: u64, whole: u64) -> Option<Decimal> {
    Decimal::from(part)
        .checked_div(Decimal::from(whole))
        .map(|d| round(d, SHARE_DECIMALS))
}

/// A running sum of exact values and how many were added.
pub(crate) struct Mean {
    operation: &'static str,
    sum: Decimal,
    count: u64,
}

impl Mean {
    /// An empty mean; `operation` names it in an overflow error.
    pub(crate) fn new(operation: &'static str) -> Self {
        Mean {
            operation,
            sum: Decimal::ZERO,
            count: 0,
        }
    }

    /// Adds a value; an overflow error past the decimal range.
    pub(crate) fn add(&mut self, value: Decimal) -> Result<()> {
        self.sum = self
            .sum
            .checked_add(value)
            .ok_or_else(|| Error::overflow(self.operation))?;
        self.count += 1;
        Ok(())
    }

    /// How many values were added.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The mean to [`AVERAGE_DECIMALS`] places; `None` when nothing was added.
    pub(crate) fn value(&self) -> Option<Decimal> {
        self.sum
            .checked_div(Decimal::from(self.count))
            .map(|d| round(d, AVERAGE_DECIMALS))
    }
}

/// A span of time as exact seconds (nanosecond precision, trailing zeros dropped).
pub(crate) fn seconds(d: chrono::TimeDelta) -> Result<Decimal> {
    let nanos = i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos());
    Decimal::try_from_i128_with_scale(nanos, 9)
        .map(|d| d.normalize())
        .map_err(|_| Error::overflow("seconds of a span of time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_means_round_half_to_even_and_never_divide_by_zero() {
        assert_eq!(share(1, 0), None);
        assert_eq!(share(2, 3), Some(Decimal::new(6667, 4)));
        assert_eq!(share(1, 1).map(|d| d.to_string()), Some("1".into()));
        let mut m = Mean::new("test");
        assert_eq!(m.value(), None);
        m.add(Decimal::new(125, 3)).unwrap();
        assert_eq!(m.value(), Some(Decimal::new(12, 2)));
        m.add(Decimal::MAX).unwrap();
        let err = m.add(Decimal::MAX).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Overflow);
        assert_eq!(m.count(), 2);
        assert_eq!(
            seconds(chrono::TimeDelta::milliseconds(-1500)).unwrap(),
            Decimal::new(-15, 1)
        );
    }
}
