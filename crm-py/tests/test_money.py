from __future__ import annotations

import json
from decimal import Decimal

import pytest

import crm_core
from crm_core import Currency, Money, MoneyTally, Rounding


def test_currency_exposes_code_exponent_and_minor_unit() -> None:
    eur = Currency("EUR")
    assert (eur.code, eur.exponent, eur.minor_unit) == ("EUR", 2, Decimal("0.01"))
    assert Currency("JPY").exponent == 0
    assert Currency("KWD").minor_unit == Decimal("0.001")
    assert Currency("EUR") == Currency("EUR") and Currency("EUR") != Currency("USD")
    assert len({Currency("EUR"), Currency("EUR")}) == 1
    assert repr(eur) == "Currency('EUR')" and str(eur) == "EUR"
    assert eur.to_dict() == {"code": "EUR", "exponent": 2}
    assert eur.to_json() == '"EUR"'
    assert "EUR" in [c.code for c in Currency.all()]


def test_decimal_in_decimal_out_at_the_minor_unit_scale() -> None:
    m = Money(Decimal("1200"), "EUR")
    assert isinstance(m.amount, Decimal)
    assert str(m.amount) == "1200.00"
    assert m.currency == Currency("EUR")
    assert m.minor_units == 120000
    assert Money(Decimal("1E+2"), "EUR").amount == Decimal("100.00")
    assert Money(Decimal("12.340"), Currency("EUR")).amount == Decimal("12.34")
    assert Money(Decimal("1.5"), "KWD").amount.as_tuple().exponent == -3


def test_int_and_str_amounts_are_exact_too() -> None:
    assert Money(12, "EUR") == Money(Decimal("12.00"), "EUR")
    assert Money("0.10", "EUR").amount == Decimal("0.1")
    assert Money(-5, "JPY").amount == Decimal("-5")


@pytest.mark.parametrize("bad", [0.1, 1.0, float("nan")])
def test_a_float_is_a_type_error_that_says_to_use_decimal(bad: float) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        Money(bad, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Decimal"):
        Money(1, "EUR").allocate([bad, 1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Decimal"):
        Money(1, "EUR").times(bad)  # type: ignore[arg-type]


def test_other_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        Money(True, "EUR")
    with pytest.raises(TypeError):
        Money([1], "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1, 978)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Decimal"):
        Money(0.5, "XXX")  # type: ignore[arg-type]  # the float is reported first
    with pytest.raises(TypeError):
        Money(1, "EUR").allocate("123")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e400", "12,5", "", Decimal("NaN")])
def test_hostile_amounts_are_validation_errors(amount: str | Decimal) -> None:
    with pytest.raises(crm_core.ValidationError) as info:
        Money(amount, "EUR")
    assert info.value.field == "amount"


def test_too_many_decimal_places_is_a_validation_error_with_fields() -> None:
    with pytest.raises(crm_core.ValidationError) as info:
        Money(Decimal("12.345"), "EUR")
    e = info.value
    assert (e.field, e.value) == ("amount", "12.345")
    assert "decimal places" in e.reason
    assert e.kind is crm_core.ErrorKind.VALIDATION
    assert isinstance(e, ValueError) and isinstance(e, crm_core.CrmError)
    assert e.details == {"kind": "validation", "field": "amount", "value": "12.345", "reason": e.reason}


@pytest.mark.parametrize(
    ("total", "parts", "expected"),
    [
        ("100.00", 3, ["33.34", "33.33", "33.33"]),
        ("1200.00", 12, ["100.00"] * 12),
        ("-0.05", 3, ["-0.02", "-0.02", "-0.01"]),
        ("0.00", 2, ["0.00", "0.00"]),
    ],
)
def test_split_conserves_every_minor_unit(total: str, parts: int, expected: list[str]) -> None:
    m = Money(Decimal(total), "EUR")
    out = m.split(parts)
    assert [str(p.amount) for p in out] == expected
    assert sum((p.amount for p in out), Decimal(0)) == m.amount


def test_split_and_allocate_conserve_for_many_amounts() -> None:
    for cents in range(-301, 302, 7):
        m = Money.from_minor(cents, "EUR")
        for parts in (1, 2, 3, 7):
            assert sum((p.amount for p in m.split(parts)), Decimal(0)) == m.amount
        shares = m.allocate([Decimal("0.5"), 3, "1.25", 0])
        assert sum((p.amount for p in shares), Decimal(0)) == m.amount
        assert shares[3].is_zero()


def test_allocate_by_largest_remainder() -> None:
    m = Money(Decimal("100"), "EUR")
    assert [str(p.amount) for p in m.allocate([1, 1, 1])] == ["33.34", "33.33", "33.33"]
    assert [str(p.amount) for p in m.allocate((Decimal("0.7"), Decimal("0.2"), Decimal("0.1")))] == [
        "70.00",
        "20.00",
        "10.00",
    ]
    assert [str(p.amount) for p in Money("0.05", "EUR").allocate([3, 7])] == ["0.02", "0.03"]


def test_bad_split_and_ratios_are_validation_errors() -> None:
    m = Money(1, "EUR")
    with pytest.raises(crm_core.ValidationError) as info:
        m.split(0)
    assert info.value.field == "split count"
    with pytest.raises(crm_core.ValidationError):
        m.allocate([])
    with pytest.raises(crm_core.ValidationError):
        m.allocate([0, 0])
    with pytest.raises(crm_core.ValidationError) as info:
        m.allocate([1, -1])
    assert info.value.field == "ratio"


def test_add_and_sub_within_one_currency() -> None:
    a, b = Money("10.50", "EUR"), Money("0.75", "EUR")
    assert a + b == Money("11.25", "EUR")
    assert a - b == Money("9.75", "EUR")
    assert -a == Money("-10.50", "EUR") and abs(-a) == a
    assert b < a and a >= b and a != b


def test_mixed_currencies_raise_with_both_codes() -> None:
    eur, usd = Money(1, "EUR"), Money(1, "USD")
    for op in (lambda: eur + usd, lambda: eur - usd, lambda: eur < usd):
        with pytest.raises(crm_core.CurrencyMismatchError) as info:
            op()
        assert (info.value.left, info.value.right) == ("EUR", "USD")
        assert info.value.kind is crm_core.ErrorKind.CURRENCY_MISMATCH
    # equality across currencies is simply False, never an error
    assert eur != usd


def test_arithmetic_with_other_types_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Money(1, "EUR") + 1  # type: ignore[operator]


def test_named_rounding_rules() -> None:
    def r(x: str, rule: Rounding | str | None = None) -> str:
        return str(Money.rounded(Decimal(x), "EUR", rule).amount)

    assert r("0.125") == "0.12"  # the default is half-even
    assert r("0.125", Rounding.HALF_UP) == "0.13"
    assert r("-0.125", Rounding.HALF_UP) == "-0.13"
    assert r("0.129", Rounding.TOWARD_ZERO) == "0.12"
    assert r("0.121", "away_from_zero") == "0.13"
    assert r("-0.121", Rounding.FLOOR) == "-0.13"
    assert r("-0.129", Rounding.CEILING) == "-0.12"
    assert str(Money(10, "EUR").times(Decimal("0.333"), Rounding.HALF_UP).amount) == "3.33"
    with pytest.raises(crm_core.ValidationError):
        r("0.1", "nearest")


def test_unknown_currency_is_a_validation_error() -> None:
    with pytest.raises(crm_core.ValidationError) as info:
        Currency("XXX")
    assert (info.value.field, info.value.value) == ("currency", "XXX")


def test_repr_eq_to_dict_and_json() -> None:
    m = Money("12.34", "EUR")
    assert repr(m) == "Money('12.34', 'EUR')"
    assert str(m) == "12.34 EUR"
    assert m == Money(Decimal("12.340"), "EUR") and hash(m) == hash(Money(Decimal("12.340"), "EUR"))
    assert m.to_dict() == {"amount": Decimal("12.34"), "currency": "EUR"}
    assert json.loads(m.to_json()) == {"amount": "12.34", "currency": "EUR"}
    assert Money.from_json(m.to_json()) == m
    with pytest.raises(crm_core.JsonError) as info:
        Money.from_json('{"amount": 12.34, "currency": "EUR", "extra": 1}')
    assert info.value.line == 1 and info.value.column > 0 and info.value.message


def test_a_tally_adds_up_and_refuses_another_currency() -> None:
    tally = MoneyTally("EUR")
    tally.add(Money("0.10", "EUR"))
    tally.add(Money("0.20", "EUR"))
    with pytest.raises(crm_core.CurrencyMismatchError):
        tally.add(Money(1, "USD"))
    assert tally.total == Money("0.30", "EUR")
    assert "0.30" in repr(tally)


def test_a_tally_is_shared_between_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    tally = MoneyTally(Currency("EUR"))
    cent = Money("0.01", "EUR")

    def add_many(_: int) -> None:
        for _ in range(250):
            tally.add(cent)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(add_many, range(4)))
    assert tally.total == Money("10.00", "EUR")
