"""A check that a record from the engine is typed all the way down: every key of the core's
JSON is a declared field of its class (so a field the core gains without a Python declaration
fails here), and every declared value read has its declared type (an enum member, not a bare
tag the Python enum lacks; a nested record of its class; Decimal, date, datetime, Money ...)."""

from __future__ import annotations

import enum
import typing
from datetime import date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from crm_core import BusinessDuration, Money, TimeRange
from crm_core._record import Record, Variant


def _hints(cls: type) -> dict[str, Any]:
    return {n: tp for n, tp in typing.get_type_hints(cls).items()
            if not n.startswith("_") and get_origin(tp) is not ClassVar}


def _check(tp: Any, value: Any, path: str, seen: list[str]) -> None:
    if value is None:
        origin = get_origin(tp)
        assert (origin is Union or origin is UnionType) and NoneType in get_args(tp), (
            f"{path}: None for {tp}")
        return
    origin = get_origin(tp)
    if origin is Union or origin is UnionType:
        options = [a for a in get_args(tp) if a is not NoneType]
        assert len(options) == 1, f"{path}: ambiguous {tp}"
        _check(options[0], value, path, seen)
        return
    if origin is list:
        assert isinstance(value, list), f"{path}: {value!r} is not a list"
        (item,) = get_args(tp)
        for i, x in enumerate(value):
            _check(item, x, f"{path}[{i}]", seen)
        return
    if origin is dict:
        assert isinstance(value, dict), f"{path}: {value!r} is not a dict"
        _, item = get_args(tp)
        for k, x in value.items():
            _check(item, x, f"{path}[{k!r}]", seen)
        return
    if tp is Any:
        return
    if isinstance(tp, type) and issubclass(tp, Record):
        assert isinstance(value, tp), f"{path}: {value!r} is not a {tp.__name__}"
        typed(value, path, seen)
        return
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        assert isinstance(value, tp), f"{path}: {value!r} is not a member of {tp.__name__}"
        return
    if tp is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r}"
        return
    if tp is datetime:
        assert isinstance(value, datetime) and value.tzinfo is not None, f"{path}: {value!r}"
        return
    if tp is date:
        assert isinstance(value, date) and not isinstance(value, datetime), f"{path}: {value!r}"
        return
    if tp in (str, bool, Decimal, Money, BusinessDuration, TimeRange):
        assert isinstance(value, tp), f"{path}: {value!r} is not a {tp.__name__}"
        return
    raise AssertionError(f"{path}: no check for {tp}")


def typed(record: Record, path: str = "", seen: list[str] | None = None) -> list[str]:
    """Checks ``record`` (see the module doc); returns the record classes it met."""
    seen = [] if seen is None else seen
    cls = type(record)
    seen.append(cls.__name__)
    hints = _hints(cls)
    where = path or cls.__name__
    for key in record.fields():
        if isinstance(record, Variant) and key == "type":
            continue
        attr = "from_" if key == "from" else key
        assert attr in hints, f"{where}: the core's field {key!r} is not declared in {cls.__name__}"
        _check(hints[attr], getattr(record, attr), f"{where}.{attr}", seen)
    return seen
