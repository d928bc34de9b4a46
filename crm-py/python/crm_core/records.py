"""The records of crm-core: what the engine takes and what its queries return.

Each class is the field list of the core type of the same name (see ``crm_core._record`` for
how fields are typed on read). A record whose class names ``_core`` is checked by the core when
constructed: ``Customer(id="C-1", name="Ada")`` runs the core's own rules and raises its typed
error. Tagged unions (``PartyRef``, ``ExceptionScope`` ...) are :class:`~crm_core._record.Variant`
classes: ``PartyRef(type="customer", customer="C-1")``; a plain ``dict`` in the JSON contract's
shape is accepted wherever a record is.

``Exception`` is the core's name for an approved deviation; import it from this module
(``from crm_core import records; records.Exception(...)``), it is not exported by ``crm_core``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._crm_core import (
    BusinessDuration,
    Money,
    TimeRange,
    _error,
    _plan_charges,
    _render_definition,
)
from ._record import Record, Variant
from .errors import CrmError
from .enums import (
    Channel,
    CollectionStepKind,
    CommitmentStanding,
    CommitmentState,
    DecisionOutcome,
    Direction,
    FindingKind,
    InteractionOutcome,
    LineAction,
    LineKind,
    LineStatus,
    PartnerKind,
    Purpose,
    Rounding,
    Severity,
    SlaState,
    StepKind,
)

__all__ = [
    "AccountabilityReport",
    "ActionStatus",
    "Adjustment",
    "AgingReport",
    "Agreement",
    "AgreementLine",
    "AgreementView",
    "AllocationOutcome",
    "AllocationRule",
    "Amendment",
    "AmendmentChange",
    "Application",
    "AppliedChange",
    "AppliedTargets",
    "ApprovalRequirement",
    "Bottleneck",
    "BusinessCalendar",
    "CapPeriod",
    "ChannelAllotment",
    "Charge",
    "ChargeEntry",
    "CollectionAction",
    "CollectionPolicy",
    "CollectionStep",
    "CollectionTarget",
    "Commitment",
    "CommitmentLine",
    "CompensationCap",
    "CompensationDecision",
    "CompensationGranted",
    "Complaint",
    "Consent",
    "ConsentGrant",
    "ContactPoint",
    "Credit",
    "CsatMeasure",
    "Customer",
    "Customer360",
    "CustomerFacts",
    "CustomerMeasures",
    "CustomerStanding",
    "Data",
    "DateRange",
    "EdgeSpec",
    "Entitlement",
    "EntitlementConditions",
    "EntitlementDecision",
    "EntitlementKind",
    "EntitlementRequest",
    "EntitlementStatus",
    "EntitlementTemplate",
    "EntityRef",
    "Evaluation",
    "EvaluationResult",
    "Exception",
    "ExceptionEffect",
    "ExceptionGrant",
    "ExceptionScope",
    "FeeWaiver",
    "Feedback",
    "Finding",
    "Frequency",
    "Holiday",
    "HostFacts",
    "InstanceStatus",
    "Interaction",
    "InteractionUpdate",
    "LedgerTotals",
    "LineStatusEntry",
    "LineView",
    "MatchedCondition",
    "MatchedEntitlement",
    "MeasureFilter",
    "Meta",
    "MoneyView",
    "Move",
    "NewCommitment",
    "NewLine",
    "NpsMeasure",
    "Offer",
    "Offering",
    "OfferingKind",
    "Partner",
    "PartnerScorecard",
    "PartyAccountability",
    "PartyRef",
    "Payment",
    "PaymentPlan",
    "PaymentPlanTemplate",
    "Performer",
    "PerformerLoad",
    "PeriodUsage",
    "Periodicity",
    "PriceChange",
    "PriceTier",
    "ProcessDefinition",
    "ProcessInstance",
    "ProcessReport",
    "ProcessView",
    "Proration",
    "Rate",
    "Reason",
    "Reconciliation",
    "Record",
    "Remaining",
    "ResolvedSla",
    "ReversalOutcome",
    "Revocation",
    "RuleOutputs",
    "ScheduleInput",
    "ScheduleTemplate",
    "Scope",
    "SentimentPoint",
    "ServiceLevelTargets",
    "ServiceMeasures",
    "ServiceTarget",
    "SettledRestriction",
    "SlaCompliance",
    "SlaSource",
    "SlaStatus",
    "SlaTarget",
    "SlaTargets",
    "SoldThrough",
    "StartOptions",
    "StartProcess",
    "Statement",
    "StatusChange",
    "Step",
    "StepStats",
    "Suppression",
    "TableValue",
    "Tally",
    "Term",
    "TierChange",
    "TierDecision",
    "TierView",
    "TieringBatch",
    "TieringFailure",
    "TieringInput",
    "UnpaidCharge",
    "UsageRecord",
    "UsageReversal",
    "Variant",
    "WeeklyHours",
    "Window",
    "WindowSpan",
    "WorkingInterval",
    "WriteOff",
]


# -- the engine's envelope ------------------------------------------------------------------


class Data(Record):
    """Core data without a record class of its own: its fields read as JSON data, by attribute
    or with ``get``; ``to_dict``, ``to_json``, equality and pickle work as for every record.
    Every query of ``Crm`` returns a typed record; ``Data`` stays for hosts that wrap their own
    JSON."""

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


class Meta(Record):
    """Who sends a command, when, and under which guarantees (the core's ``Metadata``)."""

    _core = "Metadata"
    at: datetime
    actor: str
    idempotency_key: str | None
    expected_version: int | None


# -- tagged unions (cases are ``type`` plus the case's fields) ---------------------------------


class PartyRef(Variant):
    """A party: ``organisation`` (``unit``), ``employee``, ``partner`` or ``customer``."""

    _core = "PartyRef"
    unit: str | None
    employee: str | None
    partner: str | None
    customer: str | None


class SoldThrough(Variant):
    """``direct``, or ``partner`` with ``partner``."""

    _core = "SoldThrough"
    partner: str | None


class OfferingKind(Variant):
    """``service``, ``physical_product``, or ``bundle`` with ``components``."""

    _core = "OfferingKind"
    components: list[str]


class Window(Variant):
    """``rolling_days`` (``days``), ``calendar_month``/``calendar_year`` (``zone``), ``agreement_term``."""

    _core = "Window"
    days: int | None
    zone: str | None


class ChannelAllotment(Record):
    """At most ``max_uses`` uses of a quota in its window on one channel."""

    channel: Channel
    max_uses: int


class ServiceTarget(Record):
    """Response and resolution targets for one request priority."""

    priority: str
    response: BusinessDuration
    resolution: BusinessDuration


class EntitlementKind(Variant):
    """``access``; ``quota`` (``uses``, ``window``, ``per_channel``); ``service_level``
    (``calendar``, ``targets``); ``money_allowance`` (``amount``, ``window``);
    ``unit_allowance`` (``units``, ``unit``, ``window``). Fields of other cases are ``None``."""

    _core = "EntitlementKind"
    uses: int | None
    window: Window | None
    per_channel: list[ChannelAllotment]
    calendar: str | None
    targets: list[ServiceTarget]
    amount: Money | None
    units: Decimal | None
    unit: str | None


class ExceptionScope(Variant):
    """What an exception covers: ``agreement``, ``line``, ``entitlement``, ``commitment`` ..."""

    _core = "ExceptionScope"
    line: str | None
    entitlement: str | None
    plan: str | None
    charge: str | None
    commitment: str | None
    step_kind: str | None


class ExceptionEffect(Variant):
    """``allow`` (optional ``extra``), ``suspend`` (``actions``) or ``extend`` (``until``)."""

    _core = "ExceptionEffect"
    extra: Decimal | None
    actions: list[str]
    until: datetime | None


class AmendmentChange(Variant):
    """A change an amendment asks for: ``add_line`` (``line`` a :class:`NewLine`),
    ``change_quantity`` (``line`` id, ``quantity``), ``change_term`` (``end``, ``auto_renew``),
    ``add_entitlement`` (``entitlement`` an :class:`Entitlement`), ``remove_entitlement``
    (``entitlement`` id), ``set_note`` (``note``), ``add_payment_plan`` (``plan`` a
    :class:`PaymentPlan`), ``change_price`` (``plan`` id, ``from_``, ``amount``). ``line``,
    ``entitlement`` and ``plan`` differ in type by case and read as JSON data."""

    _core = "AmendmentChange"
    line: Any
    quantity: int | None
    end: date | None
    auto_renew: bool | None
    entitlement: Any
    note: str | None
    plan: Any
    from_: date | None
    amount: Money | None


class Performer(Variant):
    """Who performs a step: ``queue``, ``partner``, ``handler`` (each with ``name``), ``customer``."""

    _core = "Performer"
    name: str | None


class SlaSource(Variant):
    """Where an SLA target comes from: ``definition`` (``definition``, ``step``),
    ``entitlement`` (``agreement``, ``entitlement``), ``tier`` (``tier``) or ``host``
    (``reason``); the fields of the other cases are ``None``."""

    _core = "SlaSource"
    definition: str | None
    step: str | None
    agreement: str | None
    entitlement: str | None
    tier: str | None
    reason: str | None


class Scope(Variant):
    """Which charges a statement, aging or reconciliation covers: ``customer`` (all),
    ``agreement`` (``agreement_id``), ``line`` (``line_id``) or ``plan`` (``plan_id``)."""

    _core = "Scope"
    agreement_id: str | None
    line_id: str | None
    plan_id: str | None


class Reason(Variant):
    """Why an entitlement decision came out as it did: a case tag, a message, and what it cites.

    The fields below are those the cases carry (``None`` where a case has none); the case tag
    is ``type`` (``line_in_service``, ``usage_counted``, ``limit_reached``, ``exception_applied``,
    ``overdue`` ...).
    """

    message: str
    entitlement: str | None
    agreement: str | None
    line: str | None
    code: str | None
    grants: str | None
    status: LineStatus | None
    since: datetime | None
    valid_from: datetime | None
    valid_to: datetime | None
    window: WindowSpan | None
    used: Decimal | None
    uses: int | None
    records: list[str]
    channel: Channel | None
    limit: Decimal | None
    requested: Decimal | None
    next_available: datetime | None
    grant: ExceptionGrant | None
    days_overdue: int | None
    max_days_overdue: int | None
    tier: str | None
    min_tier: str | None
    condition: str | None


# -- parties and catalog -----------------------------------------------------------------------


class ContactPoint(Record):
    """A way to reach a customer."""

    _core = "ContactPoint"
    channel: Channel
    address: str


class ConsentGrant(Record):
    """A customer's consent (or its withdrawal) for a purpose on a channel."""

    _core = "ConsentGrant"
    purpose: Purpose
    channel: Channel
    granted: bool


class Consent(Record):
    """A customer's signature or consent to a change: on which channel, when."""

    _core = "Consent"
    channel: Channel
    at: datetime


class Customer(Record):
    """A customer: contact points and consents."""

    _core = "Customer"
    id: str
    name: str
    contact_points: list[ContactPoint]
    consents: list[ConsentGrant]


class Partner(Record):
    """A channel partner (agent, dealer, reseller, service provider)."""

    _core = "Partner"
    id: str
    name: str
    kind: PartnerKind


class EntitlementConditions(Record):
    """Conditions of an entitlement on the customer's standing."""

    _core = "EntitlementConditions"
    max_days_overdue: int | None
    min_tier: str | None


class EntitlementTemplate(Record):
    """An entitlement an offering grants when sold."""

    _core = "EntitlementTemplate"
    code: str
    kind: EntitlementKind
    conditions: EntitlementConditions | None
    valid_days: int | None


class Offering(Record):
    """What can be sold: a service, a physical product or a bundle."""

    _core = "Offering"
    id: str
    name: str
    kind: OfferingKind
    entitlements: list[EntitlementTemplate]
    payment_plans: list[PaymentPlanTemplate]


# -- agreements, exceptions, commitments -----------------------------------------------------


class Term(Record):
    """An agreement's term: first day, last day (open-ended without), automatic renewal."""

    _core = "Term"
    start: date
    end: date | None
    auto_renew: bool


class NewLine(Record):
    """A line sold with a new agreement."""

    _core = "NewLine"
    id: str
    offering: str
    quantity: int


class LineStatusEntry(Record):
    """One move in a line's history."""

    effective_at: datetime
    action: LineAction | None
    status: LineStatus
    asset: str | None


class AgreementLine(Record):
    """A line of an agreement, with its lifecycle history."""

    id: str
    offering: str
    kind: LineKind
    quantity: int
    history: list[LineStatusEntry]


class Entitlement(Record):
    """A right granted by an agreement line."""

    id: str
    line: str
    code: str
    kind: EntitlementKind
    conditions: EntitlementConditions | None
    valid_from: datetime
    valid_to: datetime | None


class AppliedChange(Variant):
    """A change as an amendment recorded it, with what it replaced: ``add_line`` (``line``
    an :class:`AgreementLine`, ``entitlements``, ``payment_plans``), ``change_quantity``
    (``line`` id, ``quantity``, ``previous``), ``change_term`` (``term``, ``previous`` a
    :class:`Term`), ``add_entitlement``/``remove_entitlement`` (``entitlement``), ``set_note``
    (``note``, ``previous``), ``add_payment_plan`` (``plan`` a :class:`PaymentPlan`),
    ``change_price`` (``plan`` id, ``change``). ``line``, ``plan`` and ``previous`` differ in
    type by case and read as JSON data."""

    line: Any
    plan: Any
    previous: Any
    entitlements: list[Entitlement]
    payment_plans: list[PaymentPlan]
    quantity: int | None
    term: Term | None
    entitlement: Entitlement | None
    note: str | None
    change: PriceChange | None


class Amendment(Record):
    """A recorded change of an agreement (a revision), with the values it replaced."""

    revision: int
    at: datetime
    author: str
    reason: str
    consent: Consent | None
    changes: list[AppliedChange]


class Agreement(Record):
    """What was agreed with a customer: lines, entitlements, amendments."""

    id: str
    customer: str
    sold_through: SoldThrough
    term: Term
    signed_at: datetime
    signature: Consent
    lines: list[AgreementLine]
    entitlements: list[Entitlement]
    payment_plans: list[PaymentPlan]
    note: str
    revision: int
    amendments: list[Amendment]
    version: int


class Revocation(Record):
    """Who withdrew an exception, when, why."""

    at: datetime
    by: str
    reason: str


class Exception(Record):  # noqa: A001 - the core's name
    """An approved deviation from the agreement or from policy."""

    _core = "Exception"
    id: str
    customer: str
    agreement: str | None
    scope: ExceptionScope
    effect: ExceptionEffect
    approved_by: str
    reason: str
    valid_from: datetime
    valid_to: datetime | None
    revoked: Revocation | None


class NewCommitment(Record):
    """A promise to record; it is made at the command's instant and starts open."""

    _core = "NewCommitment"
    id: str
    customer: str
    agreement: str | None
    description: str
    made_by: PartyRef
    responsible: PartyRef
    due_at: datetime


class Commitment(Record):
    """A promise made to a customer: who made it, who must keep it, by when, its state."""

    id: str
    customer: str
    agreement: str | None
    description: str
    made_by: PartyRef
    responsible: PartyRef
    made_at: datetime
    due_at: datetime
    state: CommitmentState
    closed_at: datetime | None
    close_reason: str | None


# -- entitlements --------------------------------------------------------------------------------


class CustomerStanding(Record):
    """What the host knows of the customer's standing (overdue days, tier)."""

    _core = "CustomerStanding"
    days_overdue: int
    tier: str | None
    tier_order: list[str]


class EntitlementRequest(Record):
    """A request to use an entitlement, for a check or a consume."""

    _core = "EntitlementRequest"
    customer: str
    agreement: str | None
    code: str
    quantity: Decimal | None
    amount: Money | None
    channel: Channel
    line: str | None
    asset: str | None
    standing: CustomerStanding | None


class MatchedEntitlement(Record):
    """The entitlement a decision is about, and where it comes from."""

    entitlement: str
    agreement: str
    line: str


class WindowSpan(Record):
    """The window usage was counted in: ``[from_, to)``."""

    from_: datetime
    to: datetime
    period_end: datetime | None
    rolling_days: int | None


class Remaining(Record):
    """What remains of an entitlement in its window."""

    limit: Decimal
    used: Decimal
    remaining: Decimal
    unit: str
    remaining_amount: Money | None
    window: WindowSpan


class ExceptionGrant(Record):
    """An approved exception that widened a decision."""

    exception: str
    approved_by: str
    until: datetime | None
    extra: Decimal | None
    reason: str


class EntitlementDecision(Record):
    """The answer to an entitlement check: outcome, match, what remains, and the reasons."""

    outcome: DecisionOutcome
    code: str
    at: datetime
    quantity: Decimal
    matched: MatchedEntitlement | None
    remaining: Remaining | None
    next_available: datetime | None
    exceptions: list[ExceptionGrant]
    reasons: list[Reason]


class ServiceLevelTargets(Record):
    """Response and resolution targets for a request kind and priority, and their source."""

    source: MatchedEntitlement
    calendar: str
    priority: str
    response: BusinessDuration
    resolution: BusinessDuration


class EntitlementStatus(Record):
    """An entitlement of a customer as it stands at an instant."""

    code: str
    source: MatchedEntitlement
    kind: EntitlementKind
    valid_from: datetime
    valid_to: datetime | None
    usable: bool
    remaining: Remaining | None
    next_available: datetime | None
    reasons: list[Reason]


class UsageReversal(Record):
    """Who reversed a use, when, why."""

    at: datetime
    by: str
    reason: str


class UsageRecord(Record):
    """One use of an entitlement."""

    id: str
    entitlement: str
    agreement: str
    line: str
    asset: str | None
    at: datetime
    quantity: Decimal
    amount: Money | None
    channel: Channel
    exceptions: list[str]
    reversed: UsageReversal | None


# -- calendars and processes ---------------------------------------------------------------------


class WorkingInterval(Record):
    """Working hours of a day: ``start`` to ``end`` as ``"HH:MM"`` local time."""

    start: str
    end: str


class WeeklyHours(Record):
    """The working hours of each weekday (an empty list: a day off)."""

    monday: list[WorkingInterval]
    tuesday: list[WorkingInterval]
    wednesday: list[WorkingInterval]
    thursday: list[WorkingInterval]
    friday: list[WorkingInterval]
    saturday: list[WorkingInterval]
    sunday: list[WorkingInterval]


class Holiday(Record):
    """A day off (no ``hours``) or with shortened ``hours``, by date."""

    date: date
    name: str
    hours: list[WorkingInterval]


class BusinessCalendar(Record):
    """A business calendar: IANA zone, working hours per weekday, holidays."""

    _core = "BusinessCalendar"
    id: str
    zone: str
    week: WeeklyHours
    holidays: list[Holiday]


class Step(Record):
    """A step of a process definition."""

    id: str
    name: str
    action: str
    performer: Performer
    kind: StepKind
    sla: BusinessDuration | None


class EdgeSpec(Record):
    """An edge (outcome) of a process definition."""

    from_: str
    outcome: str
    to: str
    guard: dict[str, Any] | None
    warm_transfer: bool


class ProcessDefinition(Record):
    """A process as data: steps (nodes) and outcomes (edges). Constructing one builds and
    validates it in the core (``InvalidDefinitionError`` lists every problem)."""

    _core = "ProcessDefinition"
    id: str
    name: str
    version: int
    interaction_kinds: list[str]
    sla: BusinessDuration | None
    steps: list[Step]
    edges: list[EdgeSpec]

    def to_mermaid(self) -> str:
        """The definition as a Mermaid flowchart."""
        return _render_definition(self, "mermaid")

    def to_dot(self) -> str:
        """The definition as a Graphviz DOT digraph."""
        return _render_definition(self, "dot")


class SlaTarget(Record):
    """A business-time target and where it comes from."""

    target: BusinessDuration
    source: SlaSource


class SlaTargets(Record):
    """The SLA targets of a process instance: the whole, per step, the at-risk share."""

    _core = "SlaTargets"
    resolution: SlaTarget | None
    steps: dict[str, SlaTarget]
    at_risk_percent: int | None


class StartProcess(Record):
    """What to start: an instance of a definition (or of the one serving an interaction kind)."""

    _core = "StartProcess"
    instance: str
    definition: str | None
    interaction_kind: str | None
    customer: str
    agreement: str | None
    calendar: str
    data: dict[str, Any]
    sla: SlaTargets | None
    interaction: str | None


class ResolvedSla(Record):
    """The SLA targets an instance runs against, resolved when it started: the whole, each
    step's by step index (``None``: no target), the at-risk share in percent."""

    resolution: SlaTarget | None
    steps: list[SlaTarget | None]
    at_risk_percent: int


class Move(Record):
    """One move of a process instance (steps and edges by index)."""

    from_: int
    to: int
    edge: int
    at: datetime
    business_time: BusinessDuration
    clock_paused: bool


class ProcessInstance(Record):
    """A running or ended process instance, with its moves."""

    id: str
    definition: str
    version: int
    customer: str
    agreement: str | None
    calendar: str
    started_at: datetime
    current: int
    entered_at: datetime
    ended_at: datetime | None
    active_time: BusinessDuration
    data: dict[str, Any]
    sla: ResolvedSla
    moves: list[Move]


class SlaStatus(Record):
    """An SLA clock against its target."""

    state: SlaState
    target: SlaTarget
    used: BusinessDuration
    remaining: BusinessDuration
    overdue: BusinessDuration
    deadline: datetime
    clock_paused: bool


class InstanceStatus(Record):
    """Where an instance stands: its step, and its step's and its whole SLA clocks."""

    instance: str
    step: str
    ended: bool
    step_sla: SlaStatus | None
    resolution: SlaStatus | None


class StepStats(Record):
    """Time and breaches of one step over every instance of a definition."""

    step: str
    performer: Performer
    kind: StepKind
    count: int
    total_seconds: int
    mean: BusinessDuration
    p50: BusinessDuration
    p90: BusinessDuration
    max: BusinessDuration
    with_target: int
    breached: int
    breach_share: Decimal
    open: int


class Bottleneck(Record):
    """A step ranked by time spent or by breach share."""

    step: str
    total_seconds: int
    breach_share: Decimal


class PerformerLoad(Record):
    """The moves and time of one performer."""

    performer: Performer
    moves: int
    total_seconds: int
    open: int


class ProcessReport(Record):
    """Time per step, breaches, bottlenecks and workload over every instance of a definition."""

    definition: str
    version: int
    instances: int
    ended: int
    moves: int
    resolution_with_target: int
    resolution_breached: int
    resolution_breach_share: Decimal
    steps: list[StepStats]
    bottlenecks_by_time: list[Bottleneck]
    bottlenecks_by_breach_share: list[Bottleneck]
    performers: list[PerformerLoad]


# -- policies ------------------------------------------------------------------------------------


class TableValue(Variant):
    """A typed value of a decision table: ``integer``, ``decimal``, ``money``, ``string``,
    ``boolean`` or ``date``, its JSON in ``value``; :meth:`py` gives it as a Python value."""

    _core = "Value"
    value: Any

    def py(self) -> int | Decimal | Money | str | bool | date:
        """The value as Python: ``int``, ``Decimal``, ``Money``, ``str``, ``bool`` or ``date``."""
        raw = self.value
        if self.type == "decimal":
            return Decimal(raw)
        if self.type == "money":
            return Money(Decimal(raw["amount"]), raw["currency"])
        if self.type == "date":
            return date.fromisoformat(raw)
        value: int | str | bool = raw
        return value


class MatchedCondition(Record):
    """An input a rule matched: its value and the condition it met."""

    input: str
    value: TableValue
    condition: str


class RuleOutputs(Record):
    """The outputs of one selected rule (a ``collect`` table lists them all)."""

    rule: str
    outputs: dict[str, TableValue]


class EvaluationResult(Record):
    """What a table gave: ``result`` is ``no_match``, ``single`` or ``aggregate``
    (``outputs``), ``list`` (``rows``) or ``count`` (``count``)."""

    result: str
    outputs: dict[str, TableValue]
    rows: list[RuleOutputs]
    count: int | None


class Evaluation(Record):
    """A decision table's answer: matched and selected rules, the result, the reasons."""

    matched_rules: list[str]
    selected_rules: list[str]
    result: EvaluationResult
    reasons: list[str]

    def outputs(self) -> dict[str, int | Decimal | Money | str | bool | date]:
        """The outputs of a ``single`` or ``aggregate`` result as Python values (empty for
        the other results)."""
        return {name: v.py() for name, v in self.result.outputs.items()}


class CustomerMeasures(Record):
    """What tiering looks at: value, potential, tenure, payment behaviour, churn risk."""

    _core = "CustomerMeasures"
    customer: str
    revenue: Money
    margin: Money
    potential: Money
    customer_since: date
    days_overdue: int
    bounced_payments: int
    churn_risk: Decimal
    open_complaints: int
    attributes: dict[str, Any]


class TieringInput(Record):
    """One customer of a tiering batch: measures and the tier before, if any."""

    _core = "TieringInput"
    measures: CustomerMeasures
    previous: str | None


class TierDecision(Record):
    """The tier a customer is placed in, and the rule and reasons that placed it there."""

    customer: str
    tier: str
    previous: str | None
    changed: bool
    rule: str | None
    matched: list[MatchedCondition]
    reasons: list[str]
    at: datetime


class TieringFailure(Record):
    """A customer a batch could not tier, with the core's error (its JSON form in ``error``;
    ``exception()`` is the same error as its ``CrmError`` subclass, to raise or inspect)."""

    customer: str
    error: dict[str, Any]

    def exception(self) -> CrmError:
        """The error as the ``CrmError`` subclass of its kind, with the core's message."""
        err: CrmError = _error(self.error)
        return err


class TieringBatch(Record):
    """The decisions and the failures of a tiering batch, each in input order."""

    decisions: list[TierDecision]
    failures: list[TieringFailure]


class AppliedTargets(Record):
    """The SLA targets that apply to a request kind for a tier, and why."""

    tier: str
    kind: str
    response: BusinessDuration | None
    resolution: BusinessDuration | None
    reasons: list[str]


class CapPeriod(Record):
    """The period a compensation cap counts over: ``period`` is ``calendar_month``,
    ``calendar_year`` or ``rolling_days`` (with ``days``)."""

    _core = "CapPeriod"
    period: str
    days: int | None


class CompensationCap(Record):
    """How much compensation a tier may get in a period."""

    _core = "CompensationCap"
    limit: Money
    period: CapPeriod


class FeeWaiver(Record):
    """A charge waived, and by how much."""

    _core = "FeeWaiver"
    charge: str
    amount: Money


class Offer(Record):
    """What a complaint earns: apology, credit, fee waiver, replacement, upgrade."""

    apology: bool
    credit: Money | None
    fee_waiver: FeeWaiver | None
    replacement: bool
    upgrade: str | None


class Complaint(Record):
    """The facts of a complaint that compensation looks at."""

    _core = "Complaint"
    id: str
    category: str
    severity: str
    sla_breach: BusinessDuration | None
    commitment_broken: bool
    complaints_last_90_days: int
    disputed_charge: FeeWaiver | None
    attributes: dict[str, Any]


class CustomerFacts(Record):
    """The customer facts compensation looks at: tier and value."""

    _core = "CustomerFacts"
    customer: str
    tier: str
    value: Money


class CompensationGranted(Record):
    """Compensation granted to a customer (counts against the cap)."""

    _core = "CompensationGranted"
    customer: str
    complaint: str
    offer: Offer
    value: Money
    rule: str | None
    approved_by: str | None
    approver_role: str | None
    at: datetime


class ApprovalRequirement(Record):
    """Who must approve an offer, and why."""

    role: str
    reason: str


class CompensationDecision(Record):
    """What a complaint earns, within the cap, with approval, rule and reasons."""

    customer: str
    complaint: str
    tier: str
    rule: str | None
    proposed: Offer
    offer: Offer
    reduced: bool
    value: Money
    cap: CompensationCap
    granted_in_period: Money
    cap_remaining: Money
    approval: ApprovalRequirement | None
    matched: list[MatchedCondition]
    reasons: list[str]
    at: datetime


# -- obligations ----------------------------------------------------------------------------------


class Frequency(Variant):
    """How often a plan bills: ``monthly``, ``weekly`` or ``every_n_days`` (``days``)."""

    _core = "Frequency"
    days: int | None


class PriceChange(Record):
    """A recurring amount from a date on."""

    from_: date
    amount: Money


class PriceTier(Record):
    """A band of a graduated usage rate: up to a quantity (``None``: no upper bound), at a
    unit price."""

    up_to: Decimal | None
    unit_price: Decimal


class Rate(Record):
    """A graduated usage rate: its currency (the code), bands, and the rounding of the total."""

    currency: str
    tiers: list[PriceTier]
    rounding: Rounding


class Periodicity(Variant):
    """When a plan's charges fall due: ``one_time`` (``amount``, ``due``), ``installments``
    (``total``, ``count``, ``every``, ``first_due``), ``recurring`` (``amount``, ``every``,
    ``start``, ``end``, ``timing``, ``price_changes``) or ``usage`` (``rate``, ``every``,
    ``start``, ``end``); the fields of the other cases are ``None`` (or empty)."""

    _core = "Periodicity"
    amount: Money | None
    due: date | None
    total: Money | None
    count: int | None
    every: Frequency | None
    first_due: date | None
    start: date | None
    end: date | None
    timing: str | None
    price_changes: list[PriceChange]
    rate: Rate | None


class ScheduleTemplate(Variant):
    """When the charges of a plan made from a template fall due, counted from the sale:
    ``one_time`` (``amount``, ``due_after_days``), ``installments`` (``total``, ``count``,
    ``every``, ``first_due_after_days``), ``recurring`` (``amount``, ``every``, ``timing``,
    ``start_after_days``) or ``usage`` (``rate``, ``every``, ``start_after_days``); the fields
    of the other cases are ``None``."""

    amount: Money | None
    due_after_days: int | None
    total: Money | None
    count: int | None
    every: Frequency | None
    first_due_after_days: int | None
    timing: str | None
    start_after_days: int | None
    rate: Rate | None


class PaymentPlanTemplate(Record):
    """A payment plan an offering carries: each sale of a line creates the plan ``<line>.<code>``
    from it, anchored on the day of the sale, amounts multiplied by the line's quantity."""

    code: str
    payment_type: str
    schedule: ScheduleTemplate
    suspended_billing: str
    early_termination: str
    proration_rounding: str


class DateRange(Record):
    """The days a charge covers: ``[start, end)``, ``start`` included, ``end`` not."""

    start: date
    end: date


class Proration(Record):
    """How a charge was prorated: billable days of the period's days, of the full amount."""

    billable_days: int
    period_days: int
    full_amount: Money


class AllocationRule(Variant):
    """How a payment or credit is allocated: ``oldest_due_first`` (the default) or
    ``to_charges`` (``charge_ids``)."""

    _core = "AllocationRule"
    charge_ids: list[str]


class PaymentPlan(Record):
    """What a customer owes for a line or an agreement: payment type, periodicity, rules.

    ``periodicity`` is a :class:`Periodicity` (``Periodicity("installments", total=...,
    count=12, every=Frequency("monthly"), first_due=date(2026, 2, 1))``, or its dict).
    """

    _core = "PaymentPlan"
    id: str
    customer_id: str
    agreement_id: str
    line_id: str | None
    payment_type: str
    periodicity: Periodicity
    suspended_billing: str
    early_termination: str
    proration_rounding: str | None

    def charges_until(self, until: date, input: ScheduleInput | dict[str, Any] | None = None) -> list[Charge]:  # noqa: A002
        """The charges the plan generates up to ``until``, given the line's status history."""
        charges: list[Charge] = _plan_charges(self, until, input)
        return charges


class StatusChange(Record):
    """A line's status from a date on, for generating charges."""

    on: date
    status: LineStatus


class PeriodUsage(Record):
    """The rated usage of a billing period, by the period's first day."""

    period_start: date
    quantity: Decimal


class ScheduleInput(Record):
    """The line's status history, termination and usage, for generating charges."""

    _core = "ScheduleInput"
    history: list[StatusChange]
    terminated_on: date | None
    usage: list[PeriodUsage]


class Charge(Record):
    """An amount due on a date, generated from a plan (or added by the host)."""

    _core = "Charge"
    id: str
    customer_id: str
    agreement_id: str
    line_id: str | None
    plan_id: str | None
    payment_type: str
    sequence: int
    due_date: date
    amount: Money
    period: DateRange | None
    proration: Proration | None


class Payment(Record):
    """Money received from the customer, allocated by its rule (oldest due first by default)."""

    _core = "Payment"
    id: str
    customer_id: str
    received_at: datetime
    amount: Money
    method: str
    reference: str
    allocation: AllocationRule | None


class Credit(Record):
    """A credit granted to the customer (a compensation, a goodwill gesture)."""

    _core = "Credit"
    id: str
    customer_id: str
    granted_at: datetime
    amount: Money
    reason: str
    approved_by: str
    allocation: AllocationRule | None


class Application(Record):
    """An amount applied to a charge, and when."""

    charge_id: str
    amount: Money
    at: datetime


class AllocationOutcome(Record):
    """Where a payment or credit went: the charges it paid, and what went to the credit balance."""

    applications: list[Application]
    to_credit_balance: Money


class ReversalOutcome(Record):
    """What a reversed payment re-opened."""

    payment_id: str
    reopened: list[Application]
    removed_from_credit_balance: Money


class ChargeEntry(Record):
    """A charge in the ledger with what was adjusted, paid, credited, written off and is open."""

    charge: Charge
    adjusted: Money
    paid: Money
    credited: Money
    written_off: Money
    open: Money
    added: int


class LedgerTotals(Record):
    """The totals of a ledger; ``balance = charged + adjustments - received - credited - written_off``."""

    charged: Money
    adjustments: Money
    received: Money
    credited: Money
    written_off: Money
    open: Money
    credit_balance: Money
    balance: Money


class Statement(Record):
    """The charges of a scope and what was charged, paid, credited, written off and is open."""

    scope: Scope
    charges: list[ChargeEntry]
    charged: Money
    paid: Money
    credited: Money
    written_off: Money
    open: Money


class AgingReport(Record):
    """Overdue amounts by age on a date."""

    as_of: date
    grace_days: int
    current: Money
    days_1_30: Money
    days_31_60: Money
    days_61_90: Money
    over_90: Money
    total_open: Money
    overdue: Money
    oldest_overdue_due_date: date | None


class UnpaidCharge(Record):
    """A charge still open in a reconciliation."""

    charge_id: str
    agreement_id: str
    line_id: str | None
    plan_id: str | None
    amount: Money
    open: Money
    unpaid_since: date
    days_past_due: int


class Reconciliation(Record):
    """Whether everything due in a period has arrived, and what is missing."""

    scope: Scope
    from_: date
    to: date
    as_of: date
    due: Money
    paid: Money
    credited: Money
    written_off: Money
    missing: Money
    received: Money
    reversed: Money
    unpaid: list[UnpaidCharge]
    all_received: bool


# -- collections -----------------------------------------------------------------------------------


class Adjustment(Record):
    """A change of a charge's amount (negative: a reduction), who approved it and why."""

    _core = "Adjustment"
    id: str
    charge_id: str
    at: datetime
    amount: Money
    reason: str
    approved_by: str


class WriteOff(Record):
    """An amount of a charge given up on, who approved it and why."""

    _core = "WriteOff"
    id: str
    charge_id: str
    at: datetime
    amount: Money
    reason: str
    approved_by: str


class CollectionStep(Record):
    """A step of a collection ladder: what to do, from how many days past due."""

    _core = "CollectionStep"
    kind: CollectionStepKind
    after_days: int


class CollectionPolicy(Record):
    """A collection ladder by name: ``per_obligation`` (each line apart, the default) or
    ``account_wide`` (a restriction concerns every line); steps in increasing ``after_days``
    (the engine checks the order when the policy is registered)."""

    _core = "CollectionPolicy"
    name: str
    scope: str
    steps: list[CollectionStep]


class SettledRestriction(Record):
    """A line restricted for non-payment whose debt past due is settled: lift it."""

    agreement: str
    line: str
    restricted_since: datetime


class CollectionTarget(Variant):
    """What a collection action concerns: ``line`` (``agreement_id``, ``line_id``),
    ``agreement`` (``agreement_id``) or ``account`` (``customer_id``)."""

    agreement_id: str | None
    line_id: str | None
    customer_id: str | None


class Suppression(Record):
    """An approved exception that suppresses a collection step."""

    exception_id: str
    approved_by: str
    until: datetime | None
    reason: str


class ActionStatus(Variant):
    """Whether to take a collection action: ``due``, ``suppressed`` (``suppression``: the
    exception) or ``not_applicable`` (``line_status``, ``reason``: the line's state rules it
    out)."""

    suppression: Suppression | None
    line_status: LineStatus | None
    reason: str | None


class CollectionAction(Record):
    """A collection step an obligation reached: what, why, and whether to take it."""

    key: str
    policy: str
    target: CollectionTarget
    step: CollectionStepKind
    step_index: int
    after_days: int
    days_past_due: int
    oldest_due_date: date
    charge_ids: list[str]
    overdue_amount: Money
    line_id: str | None
    line_status: LineStatus | None
    reason: str
    status: ActionStatus


# -- interactions, audit, 360 view ---------------------------------------------------------------


class Feedback(Record):
    """What the customer said about a contact, when asked (CSAT 1-5, NPS 0-10)."""

    _core = "Feedback"
    csat: int | None
    nps: int | None


class Interaction(Record):
    """A contact with a customer on any channel: when, who, about what, how it went.

    Constructing one checks it in the core (a ``RecordInteraction`` command takes it)."""

    _core = "Interaction"
    id: str
    customer: str
    channel: Channel
    direction: Direction
    purpose: Purpose | None
    kind: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    summary: str
    performer: str | None
    queue: str | None
    sentiment: Decimal | None
    feedback: Feedback
    outcome: InteractionOutcome | None
    process: str | None
    commitments: list[str]


class InteractionUpdate(Record):
    """What an ``UpdateInteraction`` command changes: the end, outcome, feedback, sentiment."""

    _core = "InteractionUpdate"
    ended_at: datetime | None
    outcome: InteractionOutcome | None
    feedback: Feedback
    sentiment: Decimal | None


class EntityRef(Record):
    """A record an audit finding names: what it is and its id."""

    entity: str
    id: str


class Finding(Record):
    """A contradiction in a customer's record: what is wrong, what it contradicts, the ids."""

    kind: FindingKind
    severity: Severity
    customer: str
    what: str
    contradicts: str
    ids: list[EntityRef]


class HostFacts(Record):
    """What only the host knows of a customer, for tiering: potential, churn risk, attributes."""

    _core = "HostFacts"
    potential: Money | None
    churn_risk: Decimal
    attributes: dict[str, Any]


class StartOptions(Record):
    """The process an interaction starts: the instance id, the calendar, optional agreement,
    data and SLA targets (the definition is the one the interaction's kind classifies to)."""

    _core = "StartOptions"
    instance: str
    calendar: str
    agreement: str | None
    data: dict[str, Any]
    sla: SlaTargets | None


class TierChange(Record):
    """A customer's tier change: from, to, the rule that placed the customer, why, when
    (the core's ``TierChanged``)."""

    customer: str
    from_: str | None
    to: str
    rule: str | None
    reasons: list[str]
    at: datetime


class TierView(Record):
    """The 360 view's tier and why (``baseline``: none assigned, the policy's lowest tier)."""

    tier: str
    baseline: bool
    rule: str | None
    reasons: list[str]
    since: datetime | None


class LineView(Record):
    """A line and its status at the view's instant."""

    line: str
    offering: str
    quantity: int
    status: LineStatus | None


class AgreementView(Record):
    """An agreement at the view's instant: its lines and those in service."""

    agreement: str
    revision: int
    lines: list[LineView]
    active_lines: list[str]


class MoneyView(Record):
    """The 360 view's money: balance, overdue amount, aging."""

    balance: Money
    overdue: Money
    aging: AgingReport


class ProcessView(Record):
    """An open process instance in the 360 view, with its SLA status."""

    definition: str
    started_at: datetime
    status: InstanceStatus


class SentimentPoint(Record):
    """A point of the sentiment trend: an interaction's sentiment and the moving average."""

    interaction: str
    at: datetime
    sentiment: Decimal
    moving_average: Decimal


class Customer360(Record):
    """Everything about one customer at an instant: tier and why, agreements, entitlements,
    money, open processes and commitments, interactions, sentiment trend, audit alerts."""

    customer: str
    name: str
    at: datetime
    tier: TierView | None
    agreements: list[AgreementView]
    entitlements: list[EntitlementStatus]
    money: MoneyView | None
    open_processes: list[ProcessView]
    open_commitments: list[Commitment]
    overdue_commitments: list[str]
    interactions: list[Interaction]
    sentiment_trend: list[SentimentPoint]
    alerts: list[Finding]


# -- service measures and accountability -----------------------------------------------------------


class MeasureFilter(Record):
    """Which interactions service measures count: by channel, queue, performer (all: none)."""

    _core = "MeasureFilter"
    channel: Channel | None
    queue: str | None
    performer: str | None


class SlaCompliance(Record):
    """SLA compliance of the process instances that ended in the period."""

    with_target: int
    met: int
    breached: int
    share: Decimal | None


class CsatMeasure(Record):
    """Customer satisfaction answers: count, mean, answers per score (1 to 5)."""

    responses: int
    average: Decimal | None
    distribution: list[int]


class NpsMeasure(Record):
    """Net-promoter answers and the score (-100 to 100)."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: Decimal | None


class ServiceMeasures(Record):
    """The service measures of a period: contacts answered and abandoned, waits, handling,
    one-touch resolution, transfers, sentiment, SLA compliance, satisfaction."""

    period: TimeRange
    filter: MeasureFilter
    contacts: int
    inbound: int
    outbound: int
    offered: int
    answered: int
    abandoned: int
    waiting: int
    answered_share: Decimal | None
    abandoned_share: Decimal | None
    average_speed_of_answer_seconds: Decimal | None
    handled: int
    average_handling_time_seconds: Decimal | None
    resolved_first_contact: int
    one_touch_resolution_share: Decimal | None
    transferred_warm: int
    transferred_cold: int
    transfer_share: Decimal | None
    follow_up_needed: int
    sentiment_count: int
    average_sentiment: Decimal | None
    sla: SlaCompliance
    csat: CsatMeasure
    nps: NpsMeasure


class Tally(Record):
    """Commitments counted by how they stand."""

    open_on_time: int
    overdue: int
    kept_on_time: int
    kept_late: int
    broken: int
    cancelled: int


class CommitmentLine(Record):
    """A commitment in an accountability report, how it stands, and its delay in seconds."""

    commitment: Commitment
    standing: CommitmentStanding
    delay_seconds: Decimal | None


class PartyAccountability(Record):
    """What one responsible party kept, broke and let slip, with shares and the commitments."""

    responsible: PartyRef
    counts: Tally
    broken_share: Decimal | None
    overdue_share: Decimal | None
    share_of_all_broken: Decimal | None
    share_of_all_overdue: Decimal | None
    average_delay_seconds: Decimal | None
    broken: list[CommitmentLine]
    overdue: list[CommitmentLine]


class PartnerScorecard(Record):
    """A channel partner's record: the promises it had to keep and those it made."""

    partner: str
    responsible: Tally
    on_time_share: Decimal | None
    average_delay_seconds: Decimal | None
    made: Tally


class AccountabilityReport(Record):
    """Broken and overdue commitments by responsible party, and partner scorecards."""

    at: datetime
    totals: Tally
    average_delay_seconds: Decimal | None
    parties: list[PartyAccountability]
    partners: list[PartnerScorecard]
