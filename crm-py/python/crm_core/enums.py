"""Enumerations of crm-core.

Every member is a ``str`` whose value is the JSON tag the core uses (``Rounding.HALF_EVEN ==
"half_even"``), so members pass wherever the tag is accepted and serialize as the contract says.
"""

from __future__ import annotations

import enum

__all__ = [
    "Channel",
    "CollectionStepKind",
    "CommitmentStanding",
    "CommitmentState",
    "DecisionOutcome",
    "Direction",
    "ErrorKind",
    "FindingKind",
    "IdKind",
    "InteractionOutcome",
    "LineAction",
    "LineKind",
    "LineStatus",
    "PartnerKind",
    "Purpose",
    "Rounding",
    "Severity",
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


class Direction(str, enum.Enum):
    """Whether the customer contacted the organisation or the other way round."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionOutcome(str, enum.Enum):
    """How an interaction ended."""

    RESOLVED_FIRST_CONTACT = "resolved_first_contact"
    """Resolved in this one contact."""
    TRANSFERRED_WARM = "transferred_warm"
    """Handed over with the context (the receiver was briefed)."""
    TRANSFERRED_COLD = "transferred_cold"
    """Handed over without the context."""
    ABANDONED = "abandoned"
    """The customer gave up before an answer."""
    FOLLOW_UP_NEEDED = "follow_up_needed"
    """Ended with something left to do."""


class Severity(str, enum.Enum):
    """How serious an audit finding is."""

    WARNING = "warning"
    """Worth a look: the record is stale or late."""
    CRITICAL = "critical"
    """The organisation acted against its own record, or owes the customer a decision."""


class FindingKind(str, enum.Enum):
    """What kind of contradiction an audit finding is."""

    COLLECTION_ACTION_UNDER_EXCEPTION = "collection_action_under_exception"
    RESTRICTION_CONTRADICTS_LINE = "restriction_contradicts_line"
    COMMITMENT_PAST_DUE = "commitment_past_due"
    BREACHED_SLA_WITHOUT_COMPENSATION = "breached_sla_without_compensation"
    COMPLAINT_WITHOUT_PROCESS = "complaint_without_process"
    REMINDER_DURING_EXTENSION = "reminder_during_extension"


class CollectionStepKind(str, enum.Enum):
    """A step of a collection ladder."""

    REMINDER = "reminder"
    NOTICE = "notice"
    RESTRICT = "restrict"
    RESTRICTION_NOTICE = "restriction_notice"
    HANDOVER = "handover"


class CommitmentStanding(str, enum.Enum):
    """How a commitment stands at an instant for accountability (the core's ``Standing``)."""

    OPEN_ON_TIME = "open_on_time"
    OVERDUE = "overdue"
    KEPT_ON_TIME = "kept_on_time"
    KEPT_LATE = "kept_late"
    BROKEN = "broken"
    CANCELLED = "cancelled"
