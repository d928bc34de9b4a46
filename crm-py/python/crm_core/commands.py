"""The commands of crm-core as typed values: ``crm.execute(meta, RegisterCustomer(customer=c))``.

Each class is one case of the core's ``Command`` (its tag is the class name in snake case:
``RegisterCustomer`` is ``register_customer``) and is checked by the core when constructed. A
``dict`` in the JSON contract's shape (``{"type": "register_customer", ...}``) works as well.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from . import records as r
from ._record import Variant
from .enums import LineAction

__all__ = [
    "AddOffering",
    "AdvanceProcess",
    "AmendAgreement",
    "ApproveException",
    "BreakCommitment",
    "CancelCommitment",
    "ChangeLineStatus",
    "Command",
    "ConsumeEntitlement",
    "CreateAgreement",
    "KeepCommitment",
    "MakeCommitment",
    "RegisterCalendar",
    "RegisterCustomer",
    "RegisterPartner",
    "RegisterProcessDefinition",
    "ReverseUsage",
    "RevokeException",
    "SetConsent",
    "StartProcess",
    "UpdateCustomer",
]


class Command(Variant):
    """Everything the engine can be asked to do (the core's ``Command``)."""

    _core = "Command"


class RegisterCustomer(Command):
    """Register a new customer."""

    customer: r.Customer


class UpdateCustomer(Command):
    """Change a customer's name or contact points."""

    customer: str
    name: str | None
    contact_points: list[r.ContactPoint] | None


class SetConsent(Command):
    """Record a customer's consent (or its withdrawal) for a purpose on a channel."""

    customer: str
    grant: r.ConsentGrant


class RegisterPartner(Command):
    """Register a channel partner."""

    partner: r.Partner


class AddOffering(Command):
    """Add an offering to the catalog."""

    offering: r.Offering


class CreateAgreement(Command):
    """Record a signed agreement (the sale)."""

    agreement: str
    customer: str
    sold_through: r.SoldThrough
    term: r.Term
    lines: list[r.NewLine]
    signature: r.Consent


class AmendAgreement(Command):
    """Amend a signed agreement; changes to what the customer gets or pays need consent."""

    agreement: str
    changes: list[r.AmendmentChange]
    reason: str
    consent: r.Consent | None


class ChangeLineStatus(Command):
    """Move a line through its lifecycle, now or at a future instant."""

    agreement: str
    line: str
    action: LineAction
    effective_at: datetime | None
    asset: str | None
    renew_until: date | None


class ApproveException(Command):
    """Record an approved exception."""

    exception: r.Exception


class RevokeException(Command):
    """Withdraw an exception from the command's instant on."""

    exception: str
    reason: str


class MakeCommitment(Command):
    """Record a promise made to a customer."""

    commitment: r.NewCommitment


class KeepCommitment(Command):
    """Record that a commitment was kept."""

    commitment: str


class BreakCommitment(Command):
    """Record that a commitment was broken."""

    commitment: str
    reason: str


class CancelCommitment(Command):
    """Cancel a commitment (no longer owed)."""

    commitment: str
    reason: str


class RegisterCalendar(Command):
    """Register (or replace) a business calendar."""

    calendar: r.BusinessCalendar


class RegisterProcessDefinition(Command):
    """Register (or replace) a process definition."""

    definition: r.ProcessDefinition


class StartProcess(Command):
    """Start a process instance."""

    start: r.StartProcess


class AdvanceProcess(Command):
    """Move a process instance along the edge with this outcome."""

    instance: str
    outcome: str
    performer: r.Performer
    data: dict[str, Any]


class ConsumeEntitlement(Command):
    """Use an entitlement: check and record in one step (a denial raises NotEntitledError)."""

    usage: str
    request: r.EntitlementRequest


class ReverseUsage(Command):
    """Reverse a recorded use: it no longer counts."""

    usage: str
    reason: str
