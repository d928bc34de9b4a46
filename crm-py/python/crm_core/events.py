"""The events of crm-core: what the engine returns and replays.

:class:`Event` is the envelope (``seq``, ``stream``, ``stream_version``, ``at``, ``actor`` ...);
its ``event`` is one case of :class:`EventData`, typed by the class of its tag
(``customer_registered`` is :class:`CustomerRegistered`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from . import records as r
from ._record import Record, Variant
from .enums import CommitmentState

__all__ = [
    "AgreementAmended",
    "AgreementCreated",
    "CalendarRegistered",
    "ChargeAdjusted",
    "ChargeWrittenOff",
    "ChargesGenerated",
    "CollectionActionTaken",
    "CollectionPolicyRegistered",
    "CommitmentClosed",
    "CommitmentMade",
    "CompensationGranted",
    "ConsentChanged",
    "CreditBalanceApplied",
    "CreditGranted",
    "CustomerFactsSet",
    "CustomerForgotten",
    "CustomerRegistered",
    "CustomerUpdated",
    "Event",
    "EventData",
    "ExceptionApproved",
    "ExceptionRevoked",
    "InteractionRecorded",
    "InteractionUpdated",
    "LineStatusChanged",
    "OfferingAdded",
    "PartnerRegistered",
    "PaymentRecorded",
    "PaymentReversed",
    "PoliciesRegistered",
    "ProcessAdvanced",
    "ProcessDefinitionRegistered",
    "ProcessStarted",
    "RatedUsageRecorded",
    "TierChanged",
    "UsageRecorded",
    "UsageReversed",
]


class EventData(Variant):
    """Everything that can happen (the core's ``Event``); ``type`` is the tag."""


class Event(Record):
    """An event with its place in the log (the core's ``EventEnvelope``)."""

    _core = "EventEnvelope"
    seq: int
    stream: str
    stream_version: int
    at: datetime
    actor: str
    idempotency_key: str | None
    command_hash: str | None
    event: EventData


class CustomerRegistered(EventData):
    """A customer was registered."""

    customer: r.Customer


class CustomerUpdated(EventData):
    """A customer's name or contact points changed."""

    customer: r.Customer


class ConsentChanged(EventData):
    """A customer's consent changed."""

    customer: str
    grant: r.ConsentGrant


class PartnerRegistered(EventData):
    """A partner was registered."""

    partner: r.Partner


class OfferingAdded(EventData):
    """An offering was added to the catalog."""

    offering: r.Offering


class AgreementCreated(EventData):
    """An agreement was signed."""

    agreement: r.Agreement


class AgreementAmended(EventData):
    """An agreement was amended."""

    agreement: str
    amendment: r.Amendment


class LineStatusChanged(EventData):
    """A line moved (or will move, at ``entry.effective_at``)."""

    agreement: str
    line: str
    entry: r.LineStatusEntry
    term: r.Term | None


class ExceptionApproved(EventData):
    """An exception was approved."""

    exception: r.Exception


class ExceptionRevoked(EventData):
    """An exception was revoked."""

    exception: str
    revocation: r.Revocation


class CommitmentMade(EventData):
    """A commitment was made."""

    commitment: r.Commitment


class CommitmentClosed(EventData):
    """A commitment was kept, broken or cancelled."""

    commitment: str
    state: CommitmentState
    at: datetime
    reason: str | None


class CalendarRegistered(EventData):
    """A business calendar was registered or replaced."""

    calendar: r.BusinessCalendar


class ProcessDefinitionRegistered(EventData):
    """A process definition was registered or replaced."""

    definition: r.ProcessDefinition


class ProcessStarted(EventData):
    """A process instance started (``start`` carries the SLA targets that apply)."""

    start: dict[str, Any]


class ProcessAdvanced(EventData):
    """A process instance moved."""

    instance: str
    input: dict[str, Any]


class UsageRecorded(EventData):
    """An entitlement was used."""

    usage: r.UsageRecord


class UsageReversed(EventData):
    """A use was reversed; it no longer counts."""

    usage: str
    entitlement: str
    reversal: r.UsageReversal


class ChargesGenerated(EventData):
    """Charges were generated (and changed) up to a date."""

    customer: str
    until: date
    changes: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    credits: list[r.Credit]


class RatedUsageRecorded(EventData):
    """Rated usage was recorded for a plan."""

    plan: str
    usage: dict[str, Any]


class PaymentRecorded(EventData):
    """A payment was recorded and allocated."""

    payment: r.Payment
    outcome: r.AllocationOutcome


class PaymentReversed(EventData):
    """A payment was reversed."""

    customer: str
    reversal: dict[str, Any]
    outcome: r.ReversalOutcome


class CreditGranted(EventData):
    """A credit was granted and allocated."""

    credit: r.Credit
    outcome: r.AllocationOutcome


class ChargeAdjusted(EventData):
    """A charge was adjusted."""

    customer: str
    adjustment: r.Adjustment


class ChargeWrittenOff(EventData):
    """An amount was written off."""

    customer: str
    write_off: r.WriteOff


class CreditBalanceApplied(EventData):
    """A credit balance was applied to open charges."""

    customer: str
    applications: list[r.Application]


class CollectionPolicyRegistered(EventData):
    """A collection ladder was registered."""

    policy: r.CollectionPolicy


class PoliciesRegistered(EventData):
    """The tiering, service and compensation policies were registered."""

    policies: dict[str, Any]


class CustomerFactsSet(EventData):
    """What the host knows of a customer was set."""

    customer: str
    facts: r.HostFacts


class TierChanged(EventData):
    """A customer moved to another tier (the rule and reasons are in ``change``)."""

    change: r.TierChange


class CompensationGranted(EventData):
    """Compensation was granted (and credited)."""

    grant: r.CompensationGranted
    credit: r.Credit | None
    reasons: list[str]


class CollectionActionTaken(EventData):
    """A collection action was taken."""

    customer: str
    action: r.CollectionAction
    line_entry: r.LineStatusEntry | None


class InteractionRecorded(EventData):
    """An interaction was recorded (and the process it started)."""

    interaction: r.Interaction
    process: dict[str, Any] | None


class InteractionUpdated(EventData):
    """An interaction was updated."""

    interaction: r.Interaction


class CustomerForgotten(EventData):
    """A customer's personal data was erased; the event names only the customer."""

    customer: str
