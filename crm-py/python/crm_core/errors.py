"""The exceptions crm-core raises.

Every error is a :class:`CrmError` (an ``Exception``). There is one subclass per error kind of the
core, and each carries the structured fields of the Rust error as attributes (``.field``,
``.value``, ``.reason`` for a validation error, and so on) besides:

- ``.kind``: the flat :class:`~crm_core.enums.ErrorKind` (``conflict`` for both conflict errors);
- ``.details``: the error as the JSON contract writes it, a dict whose ``"kind"`` is the
  precise variant tag (``"version_conflict"``).

``str(error)`` is the message. Errors pickle (they cross process pools intact).
A panic inside the library arrives as :class:`InternalError`, never as a crash.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from .enums import ErrorKind

__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "ConsentRequiredError",
    "CrmError",
    "CurrencyMismatchError",
    "IdempotencyConflictError",
    "InternalError",
    "InvalidDefinitionError",
    "InvalidTransitionError",
    "JsonError",
    "NotEntitledError",
    "NotFoundError",
    "OverflowError",
    "StorageError",
    "ValidationError",
    "VersionConflictError",
]

_RESERVED = frozenset({"kind", "details", "args"})


class CrmError(Exception):
    """The root of every error crm-core raises."""

    default_kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    details: dict[str, Any]

    def __init__(
        self, message: str, details: Mapping[str, Any] | None = None, kind: str | None = None
    ) -> None:
        data = dict(details or {})
        super().__init__(message, data, kind)
        self.details = data
        for key, value in data.items():
            if key not in _RESERVED:
                setattr(self, key, value)

    @property
    def kind(self) -> ErrorKind:
        """The flat kind of this error."""
        tag = self.args[2] if len(self.args) > 2 else None
        return ErrorKind(tag) if tag else type(self).default_kind

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, {self.details!r}, {self.kind.value!r})"


class ValidationError(CrmError, ValueError):
    """Input that is malformed or out of range (also a ``ValueError``)."""

    default_kind = ErrorKind.VALIDATION
    field: str
    value: str
    reason: str


class NotFoundError(CrmError, LookupError):
    """A referenced entity does not exist (also a ``LookupError``)."""

    default_kind = ErrorKind.NOT_FOUND
    entity: str
    id: str


class AlreadyExistsError(CrmError):
    """An entity with that id already exists."""

    default_kind = ErrorKind.ALREADY_EXISTS
    entity: str
    id: str


class ConflictError(CrmError):
    """A stale expected version, or an idempotency key reused with different content."""

    default_kind = ErrorKind.CONFLICT


class VersionConflictError(ConflictError):
    """The expected version of an aggregate is stale."""

    stream: str
    expected: int
    actual: int


class IdempotencyConflictError(ConflictError):
    """An idempotency key was reused for a command with different content."""

    key: str


class InvalidTransitionError(CrmError):
    """A state machine was asked for a move its current state does not allow."""

    default_kind = ErrorKind.INVALID_TRANSITION
    entity: str
    id: str
    state: str
    action: str


class CurrencyMismatchError(CrmError):
    """Money of two different currencies was combined."""

    default_kind = ErrorKind.CURRENCY_MISMATCH
    left: str
    right: str


class ConsentRequiredError(CrmError):
    """A change that needs the customer's consent was attempted without it."""

    default_kind = ErrorKind.CONSENT_REQUIRED
    what: str


class NotEntitledError(CrmError):
    """An action gated by an entitlement was refused; ``reasons`` say why."""

    default_kind = ErrorKind.NOT_ENTITLED
    what: str
    reasons: list[str]


class InvalidDefinitionError(CrmError):
    """A definition (process, decision table, calendar, policy) is not well formed."""

    default_kind = ErrorKind.INVALID_DEFINITION
    what: str
    problems: list[str]


class JsonError(CrmError, ValueError):
    """A JSON document could not be decoded (also a ``ValueError``)."""

    default_kind = ErrorKind.JSON
    message: str
    line: int
    column: int


class StorageError(CrmError):
    """The event store failed."""

    default_kind = ErrorKind.STORAGE
    message: str


class OverflowError(CrmError, ArithmeticError):  # noqa: A001 - the core's name for the kind
    """An arithmetic result does not fit the exact decimal range (also an ``ArithmeticError``)."""

    default_kind = ErrorKind.OVERFLOW
    operation: str


class InternalError(CrmError):
    """A bug inside the library (for example a caught Rust panic). Please report it."""

    default_kind = ErrorKind.INTERNAL
    reason: str
