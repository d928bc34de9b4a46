from __future__ import annotations

import json
import multiprocessing
import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import crm_core
from crm_core import (
    BusinessDuration,
    Currency,
    IdKind,
    LineAction,
    LineKind,
    LineStatus,
    Money,
    TimeRange,
    Transition,
)
from crm_core import _crm_core  # the native module, for its private test hooks
from crm_core.enums import ErrorKind, Rounding

UTC = timezone.utc
CET = timezone(timedelta(hours=1))


# -- errors -------------------------------------------------------------------------------------

ERROR_CLASSES: dict[str, tuple[type[crm_core.CrmError], ErrorKind]] = {
    "ValidationError": (crm_core.ValidationError, ErrorKind.VALIDATION),
    "NotFoundError": (crm_core.NotFoundError, ErrorKind.NOT_FOUND),
    "AlreadyExistsError": (crm_core.AlreadyExistsError, ErrorKind.ALREADY_EXISTS),
    "ConflictError": (crm_core.ConflictError, ErrorKind.CONFLICT),
    "InvalidTransitionError": (crm_core.InvalidTransitionError, ErrorKind.INVALID_TRANSITION),
    "CurrencyMismatchError": (crm_core.CurrencyMismatchError, ErrorKind.CURRENCY_MISMATCH),
    "ConsentRequiredError": (crm_core.ConsentRequiredError, ErrorKind.CONSENT_REQUIRED),
    "NotEntitledError": (crm_core.NotEntitledError, ErrorKind.NOT_ENTITLED),
    "InvalidDefinitionError": (crm_core.InvalidDefinitionError, ErrorKind.INVALID_DEFINITION),
    "JsonError": (crm_core.JsonError, ErrorKind.JSON),
    "StorageError": (crm_core.StorageError, ErrorKind.STORAGE),
    "OverflowError": (crm_core.OverflowError, ErrorKind.OVERFLOW),
    "InternalError": (crm_core.InternalError, ErrorKind.INTERNAL),
}


def test_one_exception_class_per_error_kind_all_rooted_at_crm_error() -> None:
    kinds = {kind for _, kind in ERROR_CLASSES.values()}
    assert kinds == set(ErrorKind)
    for cls, kind in ERROR_CLASSES.values():
        assert issubclass(cls, crm_core.CrmError) and issubclass(cls, Exception)
        assert cls.default_kind is kind
    assert issubclass(crm_core.VersionConflictError, crm_core.ConflictError)
    assert issubclass(crm_core.IdempotencyConflictError, crm_core.ConflictError)
    assert crm_core.OverflowError.__module__ == "crm_core.errors"  # ours, not the builtin
    assert issubclass(crm_core.OverflowError, ArithmeticError)


def test_structured_fields_become_attributes() -> None:
    e = crm_core.VersionConflictError(
        "version conflict", {"kind": "version_conflict", "stream": "a:1", "expected": 2, "actual": 3}, "conflict"
    )
    assert (e.stream, e.expected, e.actual) == ("a:1", 2, 3)
    assert e.kind is ErrorKind.CONFLICT
    assert str(e) == "version conflict"


def test_a_rust_panic_arrives_as_internal_error_not_a_crash() -> None:
    with pytest.raises(crm_core.InternalError) as info:
        _crm_core._diagnostic_panic("boom")
    assert "boom" in info.value.reason
    assert isinstance(info.value, Exception)  # not pyo3's PanicException (a BaseException)
    assert info.value.kind is ErrorKind.INTERNAL
    # the library keeps working afterwards
    assert len(Money(1, "EUR").split(3)) == 3


@pytest.mark.parametrize(
    "trigger",
    [
        lambda: Money("1.001", "EUR"),
        lambda: Money(1, "EUR") + Money(1, "USD"),
        lambda: Money.from_json("{"),
        lambda: crm_core.validate_id(IdKind.CUSTOMER, ""),
        lambda: _crm_core._diagnostic_panic("x"),
    ],
)
def test_errors_pickle_with_their_fields(trigger: Any) -> None:
    with pytest.raises(crm_core.CrmError) as info:
        trigger()
    e = info.value
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e)
    assert str(back) == str(e) and back.details == e.details and back.kind is e.kind


# -- ids ----------------------------------------------------------------------------------------


def test_validate_id() -> None:
    assert crm_core.validate_id(IdKind.CUSTOMER, "C-001") == "C-001"
    assert crm_core.validate_id("agreement_id", "A-1") == "A-1"
    for bad in ["", " x", "x ", "a\x00b", "x" * 129]:
        with pytest.raises(crm_core.ValidationError) as info:
            crm_core.validate_id(IdKind.LINE, bad)
        assert info.value.field == "line_id"
    with pytest.raises(crm_core.ValidationError) as info:
        crm_core.validate_id("no_such_id", "x")
    assert info.value.field == "id kind"


# -- enumerations match the core ----------------------------------------------------------------


@pytest.mark.parametrize(
    "enum_cls", [LineKind, LineStatus, LineAction, Rounding, IdKind], ids=lambda c: c.__name__
)
def test_python_enums_match_the_core(enum_cls: Any) -> None:
    core_tags = set(_crm_core._enum_values(enum_cls.__name__))
    python_tags = {m.value for m in enum_cls}
    assert core_tags <= python_tags, f"missing in crm_core.enums: {core_tags - python_tags}"
    if enum_cls in (Rounding, IdKind, LineKind):
        assert core_tags == python_tags


# -- line lifecycle -----------------------------------------------------------------------------


def test_line_transitions_as_data() -> None:
    table = crm_core.line_transitions()
    assert len(table) == len(set(table)) > 10
    first = table[0]
    assert first == Transition(LineKind.SERVICE, LineStatus.CREATED, LineAction.REQUEST_ACTIVATION, "pending_activation")
    assert first.kind is LineKind.SERVICE and first.from_ is LineStatus.CREATED
    assert first.action is LineAction.REQUEST_ACTIVATION and first.to is LineStatus.PENDING_ACTIVATION
    assert repr(first) == (
        "Transition(kind='service', from_='created', action='request_activation', to='pending_activation')"
    )
    assert first.to_dict() == {
        "kind": LineKind.SERVICE,
        "from": LineStatus.CREATED,
        "action": LineAction.REQUEST_ACTIVATION,
        "to": LineStatus.PENDING_ACTIVATION,
    }
    assert json.loads(first.to_json()) == {
        "kind": "service",
        "from": "created",
        "action": "request_activation",
        "to": "pending_activation",
    }
    # every final state has no move out
    assert not [t for t in table if t.from_ in (LineStatus.TERMINATED, LineStatus.REMOVED)]


def test_next_line_status() -> None:
    assert crm_core.next_line_status(LineKind.SERVICE, LineStatus.SUSPENDED, LineAction.RESUME) is LineStatus.ACTIVE
    assert crm_core.next_line_status("physical_product", "installed", "replace") is LineStatus.INSTALLED
    assert crm_core.next_line_status(LineKind.SERVICE, LineStatus.TERMINATED, LineAction.ACTIVATE) is None
    with pytest.raises(crm_core.ValidationError):
        crm_core.next_line_status("service", "flying", "activate")


# -- business durations and time ranges ----------------------------------------------------------


def test_business_duration() -> None:
    d = BusinessDuration.from_minutes(90)
    assert d.seconds == 5400 and str(d) == "1h30m"
    assert repr(d) == "BusinessDuration(seconds=5400)"
    assert d == BusinessDuration(5400) and d < BusinessDuration.from_hours(2)
    assert d + BusinessDuration(600) == BusinessDuration.from_minutes(100)
    assert d.to_dict() == {"seconds": 5400} and json.loads(d.to_json()) == {"seconds": 5400}
    assert BusinessDuration.from_json(d.to_json()) == d
    with pytest.raises(crm_core.ValidationError):
        BusinessDuration(-1)
    with pytest.raises(crm_core.ValidationError):
        BusinessDuration.from_hours(2**62)


def test_time_range_takes_aware_datetimes_and_returns_utc() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=CET)
    end = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    r = TimeRange(start, end)
    assert r.start == start and r.start.tzinfo is not None and r.start.utcoffset() == timedelta(0)
    assert r.start.hour == 0  # 01:30 CET is 00:30 UTC
    assert r.contains(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert not r.contains(end)  # half-open
    assert r.to_dict() == {"start": start, "end": end}
    assert json.loads(r.to_json()) == {"start": "2026-03-29T00:30:00Z", "end": "2026-03-29T03:00:00Z"}
    assert TimeRange.from_json(r.to_json()) == r
    assert "2026-03-29T00:30:00+00:00" in repr(r)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 1, 10, 0)
    with pytest.raises(crm_core.ValidationError) as info:
        TimeRange(naive, datetime(2026, 1, 1, 11, 0, tzinfo=UTC))
    assert info.value.field == "start" and "naive" in info.value.reason
    r = TimeRange(datetime(2026, 1, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 1, 11, 0, tzinfo=UTC))
    with pytest.raises(crm_core.ValidationError):
        r.contains(naive)
    with pytest.raises(TypeError):
        TimeRange("2026-01-01", "2026-01-02")  # type: ignore[arg-type]


def test_an_end_before_the_start_is_a_validation_error() -> None:
    a = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(crm_core.ValidationError) as info:
        TimeRange(a, a - timedelta(seconds=1))
    assert info.value.field == "time range"


# -- pickling and process pools ------------------------------------------------------------------

RECORDS: list[Any] = [
    Money("12.34", "EUR"),
    Money("-7", "JPY"),
    Currency("KWD"),
    BusinessDuration(5400),
    TimeRange(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)),
    crm_core.line_transitions()[0],
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_records_pickle_round_trip(record: Any) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(record, protocol=protocol))
        assert back == record and type(back) is type(record)
        assert back.to_json() == record.to_json()


def _split_in_worker(money: Money) -> list[Money]:
    return money.split(3)


def _fail_in_worker(amount: str) -> Money:
    return Money(amount, "EUR")


def test_multiprocessing_pool_round_trip() -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.map(_split_in_worker, [Money("100", "EUR"), Money("1", "JPY")])
        assert [str(p.amount) for p in results[0]] == ["33.34", "33.33", "33.33"]
        assert [p.amount for p in results[1]] == [Decimal(1), Decimal(0), Decimal(0)]
        with pytest.raises(crm_core.ValidationError) as info:
            pool.apply(_fail_in_worker, ("1.001",))
        assert info.value.field == "amount"
