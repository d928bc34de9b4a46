"""Enumerations of crm-core.

Every member is a ``str`` whose value is the JSON tag the core uses (``Rounding.HALF_EVEN ==
"half_even"``), so members pass wherever the tag is accepted and serialize as the contract says.
"""

from __future__ import annotations

import enum

__all__ = [
    "Channel",
    "CommitmentState",
    "DecisionOutcome",
    "ErrorKind",
    "IdKind",
    "LineAction",
    "LineKind",
    "LineStatus",
    "PartnerKind",
    "Purpose",
    "Rounding",
    "SlaState",
    "StepKind",
]


class Rounding(str, enum.Enum):
    """A named rule for rounding a computed amount to the currency's minor unit."""

    HALF_EVEN = "half_even"
    """Half to even ("banker's rounding"): 0.125 -> 0.12, 0.135 -> 0.14. The default."""
    HALF_UP = "half_up"
    """Half away from zero ("commercial rounding"): 0.125 -> 0.13."""
    TOWARD_ZERO = "toward_zero"
    """Toward zero (truncate)."""
    AWAY_FROM_ZERO = "away_from_zero"
    """Away from zero."""
    FLOOR = "floor"
    """Toward negative infinity."""
    CEILING = "ceiling"
    """Toward positive infinity."""


class LineKind(str, enum.Enum):
    """Whether an agreement line is a service or a physical product."""

    SERVICE = "service"
    PHYSICAL_PRODUCT = "physical_product"


class LineStatus(str, enum.Enum):
    """Where an agreement line is in its lifecycle."""

    CREATED = "created"
    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RESTRICTED = "restricted"
    PENDING_TERMINATION = "pending_termination"
    TERMINATED = "terminated"
    ORDERED = "ordered"
    INSTALLED = "installed"
    REMOVED = "removed"


class LineAction(str, enum.Enum):
    """An action on an agreement line."""

    REQUEST_ACTIVATION = "request_activation"
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    RESTRICT = "restrict"
    LIFT_RESTRICTION = "lift_restriction"
    REQUEST_TERMINATION = "request_termination"
    CANCEL_TERMINATION = "cancel_termination"
    TERMINATE = "terminate"
    RENEW = "renew"
    INSTALL = "install"
    REPLACE = "replace"
    REMOVE = "remove"


class IdKind(str, enum.Enum):
    """The kinds of host-supplied ids, as named in error messages."""

    CUSTOMER = "customer_id"
    PARTNER = "partner_id"
    OFFERING = "offering_id"
    AGREEMENT = "agreement_id"
    LINE = "line_id"
    ASSET = "asset_id"
    ENTITLEMENT = "entitlement_id"
    PLAN = "plan_id"
    CHARGE = "charge_id"
    PAYMENT = "payment_id"
    ENTRY = "entry_id"
    EXCEPTION = "exception_id"
    COMMITMENT = "commitment_id"
    INTERACTION = "interaction_id"
    DEFINITION = "definition_id"
    INSTANCE = "instance_id"
    CALENDAR = "calendar_id"
    USAGE = "usage_id"
    ACTOR = "actor_id"


class ErrorKind(str, enum.Enum):
    """The flat kind of a :class:`crm_core.CrmError` (its ``.kind``)."""

    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    ALREADY_EXISTS = "already_exists"
    CONFLICT = "conflict"
    INVALID_TRANSITION = "invalid_transition"
    CURRENCY_MISMATCH = "currency_mismatch"
    CONSENT_REQUIRED = "consent_required"
    NOT_ENTITLED = "not_entitled"
    INVALID_DEFINITION = "invalid_definition"
    JSON = "json"
    STORAGE = "storage"
    OVERFLOW = "overflow"
    INTERNAL = "internal"


class Channel(str, enum.Enum):
    """A channel of contact (and of a consent, a contact point, an entitlement request)."""

    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    MESSAGING_APP = "messaging_app"
    CUSTOMER_APP = "customer_app"
    WEB = "web"
    BRANCH = "branch"
    PARTNER = "partner"
    BOT = "bot"


class Purpose(str, enum.Enum):
    """What a customer's consent is for."""

    SERVICE = "service"
    MARKETING = "marketing"


class PartnerKind(str, enum.Enum):
    """The kind of a channel partner."""

    AGENT = "agent"
    DEALER = "dealer"
    RESELLER = "reseller"
    SERVICE_PROVIDER = "service_provider"


class CommitmentState(str, enum.Enum):
    """Where a commitment (a promise) stands."""

    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class DecisionOutcome(str, enum.Enum):
    """The outcome of an entitlement check."""

    GRANTED = "granted"
    GRANTED_BY_EXCEPTION = "granted_by_exception"
    DENIED = "denied"


class StepKind(str, enum.Enum):
    """The kind of a process step."""

    START = "start"
    TASK = "task"
    WAIT = "wait"
    END = "end"


class SlaState(str, enum.Enum):
    """Where an SLA clock stands against its target."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
