"""The events of crm-core: what the engine returns and replays.

:class:`Event` is the envelope (``seq``, ``stream``, ``stream_version``, ``at``, ``actor`` ...);
its ``event`` is one case of :class:`EventData`, typed by the class of its tag
(``customer_registered`` is :class:`CustomerRegistered`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import records as r
from ._record import Record, Variant
from .enums import CommitmentState

__all__ = [
    "AgreementAmended",
    "AgreementCreated",
    "CalendarRegistered",
    "CommitmentClosed",
    "CommitmentMade",
    "ConsentChanged",
    "CustomerRegistered",
    "CustomerUpdated",
    "Event",
    "EventData",
    "ExceptionApproved",
    "ExceptionRevoked",
    "LineStatusChanged",
    "OfferingAdded",
    "PartnerRegistered",
    "ProcessAdvanced",
    "ProcessDefinitionRegistered",
    "ProcessStarted",
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
