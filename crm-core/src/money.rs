//! Exact money: ISO 4217 currencies, amounts as decimals, splits that never lose a cent.
//!
//! A [`Money`] value always holds its amount at exactly the currency's minor-unit scale
//! (`1200.00 EUR`, `1200 JPY`, `1.200 KWD`), so equal amounts serialize to equal text.
//! Combining two currencies is an [`Error::CurrencyMismatch`]. Nothing here uses floating point.
//!
//! ## Where remainders go
//! - [`Money::split`] gives every part the same number of minor units; the minor units left
//!   over go one each to the **first** parts. `100.00 EUR` split in 3 is `33.34, 33.33, 33.33`:
//!   the first installment carries the odd cent.
//! - [`Money::allocate`] gives each part its share rounded toward zero, then hands the minor
//!   units left over one each to the parts with the **largest fractional remainder**; ties go to
//!   the earlier part (the largest-remainder method). Parts with a zero ratio get nothing.
//!
//! In both, the parts always sum exactly to the original amount and carry its sign.
//!
//! ## Rounding
//! Only computed amounts (a price times a quantity, a proration) are rounded, and always by a
//! named [`Rounding`] rule chosen by the caller.

use crate::error::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most parts [`Money::split`] produces in one call.
pub const MAX_SPLIT_PARTS: i64 = 1_000_000;

/// An ISO 4217 currency: a three-letter code and its minor-unit exponent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// Active ISO 4217 codes and their minor-unit exponents (codes without a minor unit, such as
/// precious metals, are left out).
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    /// Looks up an ISO 4217 code (upper case, e.g. `"EUR"`).
    pub fn new(code: &str) -> Result<Self> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .and_then(|(c, exponent)| {
                let bytes: [u8; 3] = c.as_bytes().try_into().ok()?;
                Some(Currency {
                    code: bytes,
                    exponent: *exponent,
                })
            })
            .ok_or_else(|| {
                Error::validation("currency", code, "not an active ISO 4217 currency code")
            })
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// The number of decimal places of the minor unit (EUR 2, JPY 0, KWD 3).
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }

    /// The smallest amount of this currency (`0.01` for EUR, `1` for JPY).
    pub fn minor_unit(&self) -> Decimal {
        Decimal::new(1, self.exponent())
    }

    /// Every currency this library knows, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().filter_map(|(c, _)| Currency::new(c).ok())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Currency::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

/// A named rule for rounding a computed amount to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Half to even ("banker's rounding"): 0.125 → 0.12, 0.135 → 0.14.
    #[default]
    HalfEven,
    /// Half away from zero ("commercial rounding"): 0.125 → 0.13, -0.125 → -0.13.
    HalfUp,
    /// Toward zero (truncate): 0.129 → 0.12.
    TowardZero,
    /// Away from zero: 0.121 → 0.13.
    AwayFromZero,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::TowardZero => RoundingStrategy::ToZero,
            Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
            Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
            Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
        }
    }
}

/// An exact amount of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyRepr", into = "MoneyRepr")]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// The JSON form of [`Money`]: `{"amount": "12.34", "currency": "EUR"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyRepr {
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = Error;
    fn try_from(r: MoneyRepr) -> Result<Self> {
        Money::new(r.amount, r.currency)
    }
}

impl From<Money> for MoneyRepr {
    fn from(m: Money) -> Self {
        MoneyRepr {
            amount: m.amount,
            currency: m.currency,
        }
    }
}

impl Money {
    /// An exact amount; more decimal places than the currency's minor unit is an error
    /// (`12.345 EUR`), trailing zeros are fine (`12.340 EUR`).
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self> {
        let exp = currency.exponent();
        let normalized = amount.normalize();
        if normalized.scale() > exp {
            return Err(Error::validation(
                "amount",
                amount,
                format!(
                    "{} has {} decimal places; at most {exp} are allowed",
                    currency.code(),
                    normalized.scale()
                ),
            ));
        }
        let mut a = normalized;
        a.rescale(exp);
        if a != amount {
            return Err(Error::validation(
                "amount",
                amount,
                format!("does not fit the exact decimal range at scale {exp}"),
            ));
        }
        Ok(Money {
            amount: a,
            currency,
        })
    }

    /// Parses an amount and a currency code, e.g. `Money::parse("1200.00", "EUR")`.
    pub fn parse(amount: &str, currency: &str) -> Result<Self> {
        let currency = Currency::new(currency)?;
        let amount = parse_decimal("amount", amount)?;
        Money::new(amount, currency)
    }

    /// Rounds a computed amount to the currency's minor unit by the named rule.
    pub fn rounded(amount: Decimal, currency: Currency, rounding: Rounding) -> Result<Self> {
        let r = amount.round_dp_with_strategy(currency.exponent(), rounding.strategy());
        Money::new(r, currency)
    }

    /// An amount given in minor units (cents): `Money::from_minor(1999, eur)` is `19.99 EUR`.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money {
            amount: Decimal::new(minor, currency.exponent()),
            currency,
        }
    }

    /// Zero of the currency.
    pub fn zero(currency: Currency) -> Self {
        Money::from_minor(0, currency)
    }

    /// The amount, at the currency's minor-unit scale.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units (cents).
    pub fn minor_units(&self) -> i128 {
        self.amount.mantissa()
    }

    /// An amount given in minor units as `i128`; an overflow error beyond the decimal range.
    pub(crate) fn from_minor_i128(minor: i128, currency: Currency) -> Result<Self> {
        let amount = Decimal::try_from_i128_with_scale(minor, currency.exponent())
            .map_err(|_| Error::overflow("money"))?;
        Ok(Money { amount, currency })
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True when the amount is above zero.
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// True when the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    fn same_currency(&self, other: &Money) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::CurrencyMismatch {
                left: self.currency.code().to_string(),
                right: other.currency.code().to_string(),
            })
        }
    }

    /// `self + other`; an error for two currencies or on overflow.
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or_else(|| Error::overflow("money addition"))?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// `self - other`; an error for two currencies or on overflow.
    pub fn checked_sub(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or_else(|| Error::overflow("money subtraction"))?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// The negated amount.
    pub fn negated(&self) -> Money {
        Money {
            amount: -self.amount,
            currency: self.currency,
        }
    }

    /// The absolute amount.
    pub fn abs(&self) -> Money {
        Money {
            amount: self.amount.abs(),
            currency: self.currency,
        }
    }

    /// The smaller of two amounts of one currency.
    pub fn min(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        Ok(if self.amount <= other.amount {
            *self
        } else {
            *other
        })
    }

    /// Compares two amounts of one currency.
    pub fn try_cmp(&self, other: &Money) -> Result<std::cmp::Ordering> {
        self.same_currency(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// `self × factor`, rounded to the minor unit by the named rule.
    pub fn times(&self, factor: Decimal, rounding: Rounding) -> Result<Money> {
        let product = self
            .amount
            .checked_mul(factor)
            .ok_or_else(|| Error::overflow("money multiplication"))?;
        Money::rounded(product, self.currency, rounding)
    }

    /// Sums amounts of one currency; the empty sum is zero of `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// Splits into `parts` amounts that differ by at most one minor unit and sum exactly to
    /// `self`; the leftover minor units go one each to the first parts.
    ///
    /// `parts` must be between 1 and [`MAX_SPLIT_PARTS`].
    pub fn split(&self, parts: i64) -> Result<Vec<Money>> {
        if parts < 1 {
            return Err(Error::validation(
                "split count",
                parts,
                "must be at least 1",
            ));
        }
        if parts > MAX_SPLIT_PARTS {
            return Err(Error::validation(
                "split count",
                parts,
                format!("must be at most {MAX_SPLIT_PARTS}"),
            ));
        }
        let total = self.minor_units();
        let n = i128::from(parts);
        let base = total / n;
        let leftover = (total % n).unsigned_abs();
        let step = total.signum();
        (0..parts)
            .map(|i| {
                let extra = if (i as u128) < leftover { step } else { 0 };
                Money::from_minor_i128(base + extra, self.currency)
            })
            .collect()
    }

    /// Allocates `self` in proportion to `ratios` (non-negative, not all zero); the parts sum
    /// exactly to `self` by the largest-remainder method (ties to the earlier part).
    pub fn allocate(&self, ratios: &[Decimal]) -> Result<Vec<Money>> {
        if ratios.is_empty() {
            return Err(Error::validation(
                "ratios",
                "[]",
                "at least one ratio is needed",
            ));
        }
        if ratios.len() > MAX_SPLIT_PARTS as usize {
            return Err(Error::validation(
                "ratios",
                ratios.len(),
                format!("at most {MAX_SPLIT_PARTS} ratios are allowed"),
            ));
        }
        if let Some(neg) = ratios.iter().find(|r| r.is_sign_negative() && !r.is_zero()) {
            return Err(Error::validation(
                "ratio",
                neg,
                "ratios must not be negative",
            ));
        }
        let sum = ratios
            .iter()
            .try_fold(Decimal::ZERO, |acc, r| acc.checked_add(*r))
            .ok_or_else(|| Error::overflow("ratio sum"))?;
        if sum.is_zero() {
            return Err(Error::validation(
                "ratios",
                "all zero",
                "at least one ratio must be above zero",
            ));
        }
        let total = self.minor_units();
        let total_dec = Decimal::from_i128_with_scale(total, 0);
        let mut shares: Vec<i128> = Vec::with_capacity(ratios.len());
        let mut fractions: Vec<(Decimal, usize)> = Vec::with_capacity(ratios.len());
        for (i, r) in ratios.iter().enumerate() {
            let exact = total_dec
                .checked_mul(*r)
                .and_then(|x| x.checked_div(sum))
                .ok_or_else(|| Error::overflow("allocation"))?;
            let mut whole = exact.trunc();
            whole.rescale(0);
            let whole_units = whole.mantissa();
            shares.push(whole_units);
            if !r.is_zero() {
                fractions.push(((exact - whole).abs(), i));
            }
        }
        let allocated: i128 = shares.iter().sum();
        let leftover = (total - allocated).unsigned_abs();
        let step = total.signum();
        // Largest fractional remainder first; ties to the earlier part.
        fractions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let candidates = fractions.len() as u128;
        if candidates > 0 {
            for k in 0..leftover {
                let pick = (k % candidates) as usize;
                if let Some((_, idx)) = fractions.get(pick)
                    && let Some(share) = shares.get_mut(*idx)
                {
                    *share += step;
                }
            }
        }
        shares
            .into_iter()
            .map(|s| Money::from_minor_i128(s, self.currency))
            .collect()
    }
}

/// Parses a decimal from text, refusing `NaN`, infinities, exponents beyond the exact range
/// and anything that is not a plain decimal number.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return Err(Error::validation(field, text, "not a decimal number"));
    }
    Decimal::from_str_exact(t)
        .map_err(|e| Error::validation(field, text, format!("not an exact decimal number: {e}")))
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::new("EUR").unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exponents_of_known_currencies() {
        assert_eq!(Currency::new("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::new("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::new("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::new("CLF").unwrap().exponent(), 4);
    }

    #[test]
    fn unknown_currency_is_a_typed_error() {
        for bad in ["", "eur", "XXX", "EURO", "€"] {
            let e = Currency::new(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Validation, "{bad}");
        }
    }

    #[test]
    fn money_is_held_at_the_minor_unit_scale() {
        let m = Money::parse("1200", "EUR").unwrap();
        assert_eq!(m.amount().to_string(), "1200.00");
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"1200.00","currency":"EUR"}"#
        );
        assert_eq!(
            Money::parse("12.340", "EUR").unwrap().amount().to_string(),
            "12.34"
        );
        assert!(Money::parse("12.345", "EUR").is_err());
        assert!(Money::parse("1.5", "JPY").is_err());
        assert_eq!(
            Money::parse("1.5", "KWD").unwrap().amount().to_string(),
            "1.500"
        );
    }

    #[test]
    fn hostile_decimals_are_refused() {
        for bad in [
            "NaN",
            "inf",
            "",
            "1e400",
            "0.0000000000000000000000000000001",
            "12,5",
        ] {
            assert!(Money::parse(bad, "EUR").is_err(), "{bad}");
        }
    }

    #[test]
    fn mixed_currencies_are_an_error() {
        let a = Money::parse("1", "EUR").unwrap();
        let b = Money::parse("1", "USD").unwrap();
        let e = a.checked_add(&b).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::CurrencyMismatch);
        assert!(e.to_string().contains("EUR") && e.to_string().contains("USD"));
        assert!(a.checked_sub(&b).is_err());
        assert!(a.try_cmp(&b).is_err());
    }

    #[test]
    fn split_puts_the_odd_cents_first() {
        let parts = Money::parse("100.00", "EUR").unwrap().split(3).unwrap();
        let s: Vec<String> = parts.iter().map(|m| m.amount().to_string()).collect();
        assert_eq!(s, ["33.34", "33.33", "33.33"]);
        let parts = Money::parse("1200.00", "EUR").unwrap().split(12).unwrap();
        assert!(parts.iter().all(|p| p.amount() == d("100.00")));
        let neg = Money::parse("-0.05", "EUR").unwrap().split(3).unwrap();
        let s: Vec<String> = neg.iter().map(|m| m.amount().to_string()).collect();
        assert_eq!(s, ["-0.02", "-0.02", "-0.01"]);
    }

    #[test]
    fn split_counts_are_validated() {
        let m = Money::parse("1", "EUR").unwrap();
        assert!(m.split(0).is_err());
        assert!(m.split(-3).is_err());
        assert!(m.split(MAX_SPLIT_PARTS + 1).is_err());
    }

    #[test]
    fn allocate_by_largest_remainder() {
        let m = Money::parse("100.00", "EUR").unwrap();
        let parts = m.allocate(&[d("1"), d("1"), d("1")]).unwrap();
        let s: Vec<String> = parts.iter().map(|m| m.amount().to_string()).collect();
        assert_eq!(s, ["33.34", "33.33", "33.33"]);
        let parts = m.allocate(&[d("0.7"), d("0.2"), d("0.1"), d("0")]).unwrap();
        let s: Vec<String> = parts.iter().map(|m| m.amount().to_string()).collect();
        assert_eq!(s, ["70.00", "20.00", "10.00", "0.00"]);
        let parts = Money::parse("0.05", "EUR")
            .unwrap()
            .allocate(&[d("3"), d("7")])
            .unwrap();
        let s: Vec<String> = parts.iter().map(|m| m.amount().to_string()).collect();
        // exact shares 1.5 and 3.5: a tie, so the leftover cent goes to the earlier part
        assert_eq!(s, ["0.02", "0.03"]);
    }

    #[test]
    fn allocate_refuses_bad_ratios() {
        let m = Money::parse("1", "EUR").unwrap();
        assert!(m.allocate(&[]).is_err());
        assert!(m.allocate(&[d("0"), d("0")]).is_err());
        assert!(m.allocate(&[d("1"), d("-1")]).is_err());
    }

    #[test]
    fn rounding_rules_are_named() {
        let e = eur();
        let r = |x: &str, rule| Money::rounded(d(x), e, rule).unwrap().amount().to_string();
        assert_eq!(r("0.125", Rounding::HalfEven), "0.12");
        assert_eq!(r("0.135", Rounding::HalfEven), "0.14");
        assert_eq!(r("0.125", Rounding::HalfUp), "0.13");
        assert_eq!(r("-0.125", Rounding::HalfUp), "-0.13");
        assert_eq!(r("0.129", Rounding::TowardZero), "0.12");
        assert_eq!(r("0.121", Rounding::AwayFromZero), "0.13");
        assert_eq!(r("-0.121", Rounding::Floor), "-0.13");
        assert_eq!(r("-0.129", Rounding::Ceiling), "-0.12");
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        let all: Vec<Currency> = Currency::all().collect();
        proptest::sample::select(all)
    }

    proptest! {
        #[test]
        fn split_conserves_every_minor_unit(minor in -10_000_000_000i64..10_000_000_000i64,
                                            parts in 1i64..500, cur in any_currency()) {
            let m = Money::from_minor(minor, cur);
            let out = m.split(parts).unwrap();
            prop_assert_eq!(out.len() as i64, parts);
            prop_assert_eq!(Money::sum(cur, &out).unwrap(), m);
            let max = out.iter().map(|p| p.minor_units()).max().unwrap();
            let min = out.iter().map(|p| p.minor_units()).min().unwrap();
            prop_assert!(max - min <= 1);
            prop_assert!(out.iter().all(|p| p.minor_units() == 0 || p.minor_units().signum() == m.minor_units().signum()));
        }

        #[test]
        fn allocate_conserves_every_minor_unit(minor in -10_000_000_000i64..10_000_000_000i64,
                                               ratios in proptest::collection::vec(0u32..1000, 1..40),
                                               cur in any_currency()) {
            prop_assume!(ratios.iter().any(|r| *r > 0));
            let m = Money::from_minor(minor, cur);
            let rs: Vec<Decimal> = ratios.iter().map(|r| Decimal::from(*r)).collect();
            let out = m.allocate(&rs).unwrap();
            prop_assert_eq!(out.len(), rs.len());
            prop_assert_eq!(Money::sum(cur, &out).unwrap(), m);
            for (part, r) in out.iter().zip(&ratios) {
                if *r == 0 { prop_assert!(part.is_zero()); }
                // each part is within one minor unit of its exact share
                let exact = Decimal::from(minor) * Decimal::from(*r) / rs.iter().sum::<Decimal>();
                prop_assert!((Decimal::from_i128_with_scale(part.minor_units(), 0) - exact).abs() < Decimal::ONE);
            }
        }

        #[test]
        fn allocation_is_deterministic(minor in 0i64..1_000_000, ratios in proptest::collection::vec(1u32..100, 1..10)) {
            let m = Money::from_minor(minor, eur());
            let rs: Vec<Decimal> = ratios.iter().map(|r| Decimal::from(*r)).collect();
            prop_assert_eq!(m.allocate(&rs).unwrap(), m.allocate(&rs).unwrap());
        }

        #[test]
        fn money_json_round_trips(minor in any::<i64>(), cur in any_currency()) {
            let m = Money::from_minor(minor, cur);
            let json = serde_json::to_string(&m).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, m);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
    }
}
