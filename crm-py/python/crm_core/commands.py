"""The commands of crm-core as typed values: ``crm.execute(meta, RegisterCustomer(customer=c))``.

Each class is one case of the core's ``Command`` (its tag is the class name in snake case:
``RegisterCustomer`` is ``register_customer``) and is checked by the core when constructed. A
``dict`` in the JSON contract's shape (``{"type": "register_customer", ...}``) works as well.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import records as r
from ._record import Variant
from .enums import LineAction

__all__ = [
    "AddOffering",
    "AdjustCharge",
    "AdvanceProcess",
    "AmendAgreement",
    "ApplyCreditBalance",
    "ApproveException",
    "AssignTiers",
    "BreakCommitment",
    "CancelCommitment",
    "ChangeLineStatus",
    "Command",
    "ConsumeEntitlement",
    "CreateAgreement",
    "ForgetCustomer",
    "GenerateCharges",
    "GrantCompensation",
    "GrantCredit",
    "KeepCommitment",
    "MakeCommitment",
    "RecordInteraction",
    "RecordPayment",
    "RecordRatedUsage",
    "RegisterCalendar",
    "RegisterCollectionPolicy",
    "RegisterCustomer",
    "RegisterPartner",
    "RegisterPolicies",
    "RegisterProcessDefinition",
    "ReversePayment",
    "ReverseUsage",
    "RevokeException",
    "SetConsent",
    "SetCustomerFacts",
    "StartProcess",
    "TakeCollectionAction",
    "UpdateCustomer",
    "UpdateInteraction",
    "WriteOff",
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


# -- obligations, policies, interactions ---------------------------------------------------------
# Records the bindings do not type yet travel as dicts in the JSON contract's shape.


class GenerateCharges(Command):
    """Bill a customer: generate the charges of every plan up to a date."""

    customer: str
    until: date


class RecordRatedUsage(Command):
    """Record the rated usage of a usage plan for a period."""

    plan: str
    period_start: date
    quantity: Decimal


class RecordPayment(Command):
    """Record a payment received and allocate it."""

    payment: r.Payment


class ReversePayment(Command):
    """Reverse a payment (it bounced)."""

    customer: str
    payment: str
    reason: str


class GrantCredit(Command):
    """Grant a credit and allocate it."""

    credit: r.Credit


class AdjustCharge(Command):
    """Adjust a charge (its JSON: ``adjustment``)."""

    adjustment: dict[str, Any]


class WriteOff(Command):
    """Write off an amount (its JSON: ``write_off``)."""

    write_off: dict[str, Any]


class ApplyCreditBalance(Command):
    """Apply a customer's credit balance to open charges."""

    customer: str


class RegisterCollectionPolicy(Command):
    """Register a collection ladder (its JSON: ``policy``)."""

    policy: dict[str, Any]


class RegisterPolicies(Command):
    """Register the tiering, service and compensation policies (a policy set, as JSON)."""

    policies: dict[str, Any]
    settings: dict[str, Any] | None


class SetCustomerFacts(Command):
    """Set what the host knows of a customer (potential, churn risk, attributes)."""

    customer: str
    facts: dict[str, Any]


class AssignTiers(Command):
    """Re-tier customers (all when ``customers`` is empty)."""

    customers: list[str]


class GrantCompensation(Command):
    """Decide and grant the compensation a complaint earns."""

    customer: str
    complaint: r.Complaint
    approved_by: str | None


class TakeCollectionAction(Command):
    """Take a due collection action (by its policy and key)."""

    customer: str
    policy: str
    key: str


class RecordInteraction(Command):
    """Record an interaction (its JSON), optionally starting its process."""

    interaction: dict[str, Any]
    start_process: dict[str, Any] | None


class UpdateInteraction(Command):
    """Update an interaction (summary, sentiment, feedback ...)."""

    interaction: str
    update: dict[str, Any]


class ForgetCustomer(Command):
    """Erase a customer's personal data from the state and every stored event; ids, amounts,
    dates, statuses and the ledger stay (see docs/privacy.md)."""

    customer: str
