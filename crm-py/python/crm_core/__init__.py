"""crm-core: a customer-centred operating core for service organisations.

Exact money (``decimal.Decimal``, never ``float``), typed errors rooted at :class:`CrmError`,
and the agreement line lifecycle as data. See ``docs/bindings.md`` in the repository.
"""

from __future__ import annotations

from ._crm_core import (
    BusinessDuration,
    Currency,
    Money,
    MoneyTally,
    TimeRange,
    Transition,
    __version__,
    line_transitions,
    next_line_status,
    validate_id,
)
from .enums import ErrorKind, IdKind, LineAction, LineKind, LineStatus, Rounding
from .errors import (
    AlreadyExistsError,
    ConflictError,
    ConsentRequiredError,
    CrmError,
    CurrencyMismatchError,
    IdempotencyConflictError,
    InternalError,
    InvalidDefinitionError,
    InvalidTransitionError,
    JsonError,
    NotEntitledError,
    NotFoundError,
    OverflowError,
    StorageError,
    ValidationError,
    VersionConflictError,
)

__all__ = [
    "AlreadyExistsError",
    "BusinessDuration",
    "ConflictError",
    "ConsentRequiredError",
    "CrmError",
    "Currency",
    "CurrencyMismatchError",
    "ErrorKind",
    "IdKind",
    "IdempotencyConflictError",
    "InternalError",
    "InvalidDefinitionError",
    "InvalidTransitionError",
    "JsonError",
    "LineAction",
    "LineKind",
    "LineStatus",
    "Money",
    "MoneyTally",
    "NotEntitledError",
    "NotFoundError",
    "OverflowError",
    "Rounding",
    "StorageError",
    "TimeRange",
    "Transition",
    "ValidationError",
    "VersionConflictError",
    "__version__",
    "line_transitions",
    "next_line_status",
    "validate_id",
]
