"""The one generic record type behind every crm-core record, command and event in Python.

A record keeps the core's JSON data (the JSON contract, as ``dict``/``list``/``str``/``int``/
``bool``/``None``) and converts a field to its Python type when it is first read, driven by the
class's annotations: ``Decimal``, ``date``, aware ``datetime`` (UTC), ``crm_core.enums`` members,
``Money``, ``BusinessDuration``, ``TimeRange``, nested records, ``list[...]``, ``dict[str, ...]``,
``X | None``.
A record class is therefore only its field list; every rule stays in crm-core:

- constructing a record sends its data through the core (``_core`` names the core type), which
  checks it and returns its own JSON form: bad input raises the core's typed error;
- records compare by value, hash, ``repr`` readably, pickle (``__reduce__``), and give
  ``to_dict()`` (typed values, nested records as dicts) and ``to_json()`` (the JSON contract);
- a field the class does not declare (the core gained one) is still readable with ``get``.
"""

from __future__ import annotations

import builtins
import enum
import json
import re
import typing
from datetime import date, datetime, timezone
from decimal import Decimal
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar, Union, get_args, get_origin

from ._crm_core import BusinessDuration, Money, TimeRange, _check_record, _json_data

__all__ = ["Record", "Variant"]

R = TypeVar("R", bound="Record")

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = {
            name: tp
            for name, tp in typing.get_type_hints(cls).items()
            if not name.startswith("_") and get_origin(tp) is not ClassVar
        }
        _HINTS[cls] = hints
    return hints


def _key(attr: str) -> str:
    """The JSON key of an attribute (``from_`` is ``from``: a Python keyword)."""
    return attr[:-1] if attr.endswith("_") else attr


def _attr(key: str) -> str:
    return "from_" if key == "from" else key


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


_CONVERTERS: dict[Any, Callable[[Any], Any]] = {}


def _identity(raw: Any) -> Any:
    return raw


def _money(raw: Any) -> Money:
    return Money(Decimal(raw["amount"]), raw["currency"])


def _duration(raw: Any) -> BusinessDuration:
    return BusinessDuration(raw["seconds"])


def _range(raw: Any) -> TimeRange:
    return TimeRange.from_json(json.dumps(raw))  # the core decodes it: nanoseconds kept


def _converter(tp: Any) -> Callable[[Any], Any]:
    """The function that turns a JSON value into the Python type ``tp`` names (memoized)."""
    conv = _CONVERTERS.get(tp)
    if conv is None:
        conv = _build_converter(tp)
        _CONVERTERS[tp] = conv
    return conv


def _build_converter(tp: Any) -> Callable[[Any], Any]:
    origin = get_origin(tp)
    if origin is Union or origin is UnionType:
        args = [a for a in get_args(tp) if a is not NoneType]
        return _converter(args[0]) if len(args) == 1 else _identity
    if origin is list:
        (item,) = get_args(tp)
        each = _converter(item)
        return lambda raw: [None if x is None else each(x) for x in raw]
    if origin is dict:
        _, item = get_args(tp)
        each = _converter(item)
        return lambda raw: {k: None if v is None else each(v) for k, v in raw.items()}
    if tp is Decimal:
        return Decimal
    if tp is datetime:
        return _instant
    if tp is date:
        return date.fromisoformat
    if tp is Money:
        return _money
    if tp is BusinessDuration:
        return _duration
    if tp is TimeRange:
        return _range
    if isinstance(tp, type):
        if issubclass(tp, Record):
            return tp._from_data
        if issubclass(tp, enum.Enum):
            members = {m.value: m for m in tp}
            # a value the core gained after this binding keeps its tag
            return lambda raw: members.get(raw, raw)
    return _identity


def _convert(tp: Any, raw: Any) -> Any:
    """A JSON value as the Python type ``tp`` names (``None`` stays ``None``)."""
    return None if raw is None else _converter(tp)(raw)


def _missing(tp: Any) -> Any:
    """The value of a field the core left out of its JSON (an empty default)."""
    origin = get_origin(tp)
    if origin is Union or origin is UnionType:
        return None
    if origin is list:
        return []
    if origin is dict:
        return {}
    if tp is bool:
        return False
    if tp is str:
        return ""
    if isinstance(tp, type) and issubclass(tp, Record) and not issubclass(tp, Variant):
        return tp._from_data({})  # a record the core leaves out when empty (``feedback``)
    raise KeyError


def _plain(v: Any) -> Any:
    if isinstance(v, Record):
        return v.to_dict()
    if isinstance(v, (Money, BusinessDuration, TimeRange)):
        return v.to_dict()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _rebuild(cls: type[R], data: Any) -> R:
    return cls._from_data(data)


class Record:
    """A crm-core record: immutable, typed on read, compared by value. See the module doc."""

    _core: ClassVar[str | None] = None
    """The core type that checks the data of a new record (``None``: only read, not checked)."""

    _data: dict[str, Any]

    def __init__(self, **fields: Any) -> None:
        hints = _hints(type(self))
        for name in fields:
            if name not in hints and self._core is None:
                raise TypeError(f"{type(self).__name__} has no field {name!r}")
        data = _json_data({k: v for k, v in fields.items() if v is not None})
        self.__dict__["_data"] = self._checked(data)

    @classmethod
    def _checked(cls, data: Any) -> Any:
        return _check_record(cls._core, data) if cls._core else data

    @classmethod
    def _from_data(cls: type[R], data: Any) -> R:
        """Wraps data in the core's JSON form without checking it (the core produced it)."""
        obj = cls.__new__(cls)
        obj.__dict__["_data"] = data
        return obj

    @classmethod
    def _from_raw(cls: type[R], raw: Any) -> R:
        """Wraps a lazy core value (``_crm_core._Lazy``): fields convert when first read."""
        obj = cls.__new__(cls)
        obj.__dict__["_raw"] = raw
        return obj

    def _field(self, key: str) -> tuple[bool, Any]:
        """Whether the record's JSON has ``key``, and its JSON-shaped value."""
        d = self.__dict__
        if "_data" in d:
            data = d["_data"]
            return (True, data[key]) if key in data else (False, None)
        found, value = d["_raw"]._get(key)
        return bool(found), value

    @classmethod
    def from_json(cls: type[R], text: str) -> R:
        """Decodes the JSON contract form (checked by the core when the class names a type)."""
        return cls._from_data(cls._checked(json.loads(text)))

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        """A record from a dict in the JSON contract's shape (Python values are converted)."""
        return cls._from_data(cls._checked(_json_data(data)))

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            d = self.__dict__
            if name.startswith("__") or ("_data" not in d and "_raw" not in d):
                raise AttributeError(name)
            if name == "_data":
                data = d["_raw"]._data()
                d["_data"] = data
                return data
            hints = _hints(type(self))
            found, raw = self._field(name)
            if not found and _key(name) != name:
                found, raw = self._field(_key(name))
            if found:
                value = _convert(hints.get(name, Any), raw)
            elif name in hints:
                try:
                    value = _missing(hints[name])
                except KeyError:
                    raise AttributeError(name) from None
            else:
                raise AttributeError(f"{type(self).__name__!r} record has no field {name!r}")
            d[name] = value
            return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} records are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} records are immutable")

    def get(self, key: str, default: Any = None) -> Any:
        """A field by its JSON key, typed when declared, else as JSON data."""
        found, _ = self._field(key)
        return getattr(self, _attr(key)) if found else default

    def fields(self) -> list[str]:
        """The JSON keys this record carries, declared ones first."""
        return Record._shown(self)

    def to_dict(self) -> dict[str, Any]:
        """The fields as typed Python values; nested records become dicts."""
        return {k: _plain(getattr(self, _attr(k))) for k in Record._shown(self)}

    def to_json(self) -> str:
        """The JSON contract form."""
        return json.dumps(self._data, separators=(",", ":"), ensure_ascii=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return type(self) is type(other) and self._data == other._data

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.to_json()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._data))

    def _shown(self) -> list[str]:
        """The JSON keys present, declared ones first in their declared order."""
        data = self._data
        declared = [_key(a) if a not in data else a for a in _hints(type(self))]
        keys = [k for k in declared if k in data]
        return keys + [k for k in data if k not in keys]

    def __repr__(self) -> str:
        parts = [f"{_attr(k)}={getattr(self, _attr(k))!r}" for k in self._shown()]
        return f"{type(self).__name__}({', '.join(parts)})"


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class Variant(Record):
    """One case of a tagged union (``{"type": "customer", "customer": "C-1"}``).

    A union is a subclass (``PartyRef``); its cases may be subclasses of it named after the
    tag (``RegisterCustomer`` is ``register_customer``), which reading dispatches to. A case
    without a class of its own is the union class with ``type`` and its fields.
    """

    type: str
    _tag: ClassVar[str | None] = None
    _cases: ClassVar[dict[str, builtins.type[Variant]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if Variant in cls.__bases__:
            cls._cases = {}  # a union: its cases register below
        else:
            tag = cls.__dict__.get("_tag") or _CAMEL.sub("_", cls.__name__).lower()
            cls._tag = tag
            cls._cases[tag] = cls

    def __init__(self, type: str | None = None, **fields: Any) -> None:  # noqa: A002
        tag = type or self._tag
        if tag is None:
            raise TypeError(f"{self.__class__.__name__} needs its case: type='...'")
        data = {"type": tag, **_json_data({k: v for k, v in fields.items() if v is not None})}
        self.__dict__["_data"] = self._checked(data)

    @classmethod
    def _from_data(cls: builtins.type[R], data: Any) -> R:
        case: builtins.type[R] = cls
        if isinstance(data, dict):
            found = getattr(cls, "_cases", {}).get(data.get("type"))
            if found is not None and issubclass(found, cls):
                case = found  # type: ignore[assignment]
        obj = case.__new__(case)
        obj.__dict__["_data"] = data
        return obj

    @classmethod
    def _from_raw(cls: builtins.type[R], raw: Any) -> R:
        return cls._from_data(raw._data())

    def _shown(self) -> list[str]:
        keys = super()._shown()
        if self._tag is not None and "type" in keys:
            keys.remove("type")
        return keys
