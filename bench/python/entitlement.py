"""Entitlement check from Python (issue #10 item 2, issue #8's Python speed targets).

The rule: "a device replacement is allowed if the line is active, the customer is not overdue
beyond 30 days, and fewer than 2 were used in the last 365 days". The world is the one of
crm-core/benches/entitlement_check.rs, built here through ``crm_core`` commands: customer C1,
agreement A1 with lines L1..L4 (L4 suspended), device replacements L1 once long ago, L2 once,
L3 twice, and data sessions on L1 every 30 minutes up to 10,000 usage records in all.

Three sides decide the same 16 cases (4 lines x overdue 0, 30, 31 and 90 days; 4 allowed):

- ours: ``Crm.check_entitlement`` (one call per check) and ``Crm.check_entitlements`` (the
  batch call), the engine counting the uses itself in its usage book;
- cedarpy: the same rule as one Cedar ``permit`` policy, policies and entities parsed once
  (``PolicySet.from_str``, ``Entities.from_json_str``), the count of uses handed in through
  the context, ``is_authorized`` per check and ``is_authorized_batch`` for the batch;
- plain Python: the rule as a Python function over a host's own data (line status by line,
  sorted instants of device replacements per line, counted with ``bisect``).

Every side's answer to every case is checked against the expected one before timing; the
timed loops read the decision (``outcome`` / ``allowed``) as a host does.
"""

from __future__ import annotations

import bisect
import json
from importlib.metadata import version
from datetime import datetime, timedelta, timezone

import cedarpy
from crm_core import Channel, Crm, DecisionOutcome, Meta, commands, records

from harness import Summary, check, interleaved, pick

UTC = timezone.utc
LINES = ["L1", "L2", "L3", "L4"]
OVERDUE = [0, 30, 31, 90]
CHECK_AT = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)

POLICY = """
permit (
    principal is Customer,
    action == Action::"replace_device",
    resource is Line
)
when {
    resource.status == "active" &&
    principal.days_overdue <= 30 &&
    context.used_last_365_days < 2
};
"""


def t(text: str) -> datetime:
    """An aware UTC instant from RFC 3339 text."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _meta(at: datetime) -> Meta:
    return Meta(at=at, actor="bench")


def _quota(code: str, uses: int, max_days_overdue: int | None) -> records.EntitlementTemplate:
    return records.EntitlementTemplate(
        code=code,
        kind={"type": "quota", "uses": uses, "window": {"type": "rolling_days", "days": 365}},
        conditions=records.EntitlementConditions(max_days_overdue=max_days_overdue),
    )


def device_engine(total: int) -> Crm:
    """The world of the Rust bench with ``total`` usage records (4 device replacements, the
    rest data sessions on L1 every 30 minutes), L4 suspended."""
    crm = Crm()
    start = t("2026-01-01T09:00:00Z")
    crm.execute(_meta(start), commands.RegisterCustomer(
        customer=records.Customer(id="C1", name="Customer C1")))
    crm.execute(_meta(start), commands.AddOffering(offering=records.Offering(
        id="PLAN",
        name="Mobile plan with device insurance",
        kind=records.OfferingKind("service"),
        entitlements=[_quota("device_replacement", 2, 30),
                      _quota("data_session", 1_000_000, None)],
    )))
    signed = t("2026-01-01T10:00:00Z")
    crm.execute(_meta(signed), commands.CreateAgreement(
        agreement="A1",
        customer="C1",
        sold_through=records.SoldThrough("direct"),
        term=records.Term(start=signed.date(), end=t("2027-12-31T00:00:00Z").date()),
        lines=[records.NewLine(id=line, offering="PLAN", quantity=1) for line in LINES],
        signature=records.Consent(channel=Channel.BRANCH, at=signed),
    ))
    for line in LINES:
        for action in ("request_activation", "activate"):
            crm.execute(_meta(signed), commands.ChangeLineStatus(
                agreement="A1", line=line, action=action))
    uses: list[tuple[datetime, str, records.EntitlementRequest]] = []
    for i, (line, at) in enumerate([("L1", "2026-02-01T12:00:00Z"),
                                    ("L2", "2026-06-01T12:00:00Z"),
                                    ("L3", "2026-06-01T12:00:00Z"),
                                    ("L3", "2026-09-01T12:00:00Z")]):
        uses.append((t(at), f"dev{i}", records.EntitlementRequest(
            customer="C1", code="device_replacement", channel=Channel.BRANCH, line=line,
            standing=records.CustomerStanding(days_overdue=0))))
    data = records.EntitlementRequest(customer="C1", code="data_session",
                                      channel=Channel.CUSTOMER_APP, line="L1")
    first = t("2026-01-02T00:00:00Z")
    for i in range(max(0, total - 4)):
        uses.append((first + timedelta(minutes=30 * i), f"data{i}", data))
    uses.sort(key=lambda u: u[0])
    for at, usage, request in uses:
        crm.execute(_meta(at), commands.ConsumeEntitlement(usage=usage, request=request))
    crm.execute(_meta(t("2026-10-01T08:00:00Z")), commands.ChangeLineStatus(
        agreement="A1", line="L4", action="suspend"))
    return crm


def _line_status(crm: Crm, line: str, at: datetime) -> str:
    agreement = crm.agreement("A1")
    entry = [e for e in next(x for x in agreement.lines if x.id == line).history
             if e.effective_at <= at][-1]
    return str(entry.status.value)


def _device_uses(crm: Crm, line: str) -> list[datetime]:
    """The instants of the line's device replacements (not reversed), sorted."""
    agreement = crm.agreement("A1")
    out: list[datetime] = []
    for e in agreement.entitlements:
        if e.code == "device_replacement" and e.line == line:
            out += [u.at for u in crm.usage_of(e.id) if u.reversed is None]
    return sorted(out)


def run() -> None:
    """Builds the world, checks the three sides agree on the 16 cases, times them."""
    crm = device_engine(pick(10_000, 200))
    at = CHECK_AT
    status = {line: _line_status(crm, line, at) for line in LINES}
    device_uses = {line: _device_uses(crm, line) for line in LINES}
    window = timedelta(days=365)

    def used_in_window(line: str) -> int:
        # uses u with at - 365 days < u <= at
        uses = device_uses[line]
        return bisect.bisect_right(uses, at) - bisect.bisect_right(uses, at - window)

    cases = [(line, overdue) for line in LINES for overdue in OVERDUE]
    ours_requests = [
        records.EntitlementRequest(
            customer="C1", code="device_replacement", channel=Channel.BRANCH, line=line,
            standing=records.CustomerStanding(days_overdue=overdue))
        for line, overdue in cases
    ]
    # Cedar: one customer entity per overdue figure, one line entity with its status.
    entities_json = [
        {"uid": {"type": "Customer", "id": f"C1-{o}"}, "attrs": {"days_overdue": o},
         "parents": []} for o in OVERDUE
    ] + [
        {"uid": {"type": "Line", "id": line}, "attrs": {"status": status[line]}, "parents": []}
        for line in LINES
    ]
    policies = cedarpy.PolicySet.from_str(POLICY)
    entities = cedarpy.Entities.from_json_str(json.dumps(entities_json))
    cedar_requests = [
        {"principal": f'Customer::"C1-{overdue}"', "action": 'Action::"replace_device"',
         "resource": f'Line::"{line}"',
         "context": {"used_last_365_days": used_in_window(line)}}
        for line, overdue in cases
    ]
    plain_inputs = [(line, overdue) for line, overdue in cases]

    def plain_rule(line: str, days_overdue: int) -> bool:
        return (status[line] == "active" and days_overdue <= 30
                and used_in_window(line) < 2)

    # Same answers first, on every side, single and batch.
    expected = [(line in ("L1", "L2")) and overdue <= 30 for line, overdue in cases]
    check(sum(expected) == 4, "the 16 cases allow exactly 4")
    granted = DecisionOutcome.GRANTED
    ours_one = [crm.check_entitlement(r, at).outcome is granted for r in ours_requests]
    ours_batch = [d.outcome is granted for d in crm.check_entitlements(ours_requests, at)]
    cedar_one = [cedarpy.is_authorized(r, policies, entities).allowed for r in cedar_requests]
    cedar_batch = [r.allowed for r in
                   cedarpy.is_authorized_batch(cedar_requests, policies, entities)]
    plain = [plain_rule(line, o) for line, o in plain_inputs]
    for name, answers in [("ours", ours_one), ("ours batch", ours_batch),
                          ("cedarpy", cedar_one), ("cedarpy batch", cedar_batch),
                          ("plain Python", plain)]:
        check(answers == expected, f"{name} disagrees: {answers} != {expected}")
    verdicts = [crm.is_entitled(r, at) for r in ours_requests]
    check(verdicts == ours_one, f"is_entitled disagrees with check_entitlement: {verdicts}")
    check(crm.are_entitled(ours_requests, at) == ours_one, "are_entitled disagrees")

    n_cases = len(cases)
    check_entitlement = crm.check_entitlement
    check_entitlements = crm.check_entitlements
    is_authorized = cedarpy.is_authorized
    is_authorized_batch = cedarpy.is_authorized_batch

    def ours(n: int) -> None:
        for i in range(n):
            check_entitlement(ours_requests[i % n_cases], at).outcome

    is_entitled = crm.is_entitled
    are_entitled = crm.are_entitled

    def verdict(n: int) -> None:
        for i in range(n):
            is_entitled(ours_requests[i % n_cases], at)

    def peer(n: int) -> None:
        for i in range(n):
            is_authorized(cedar_requests[i % n_cases], policies, entities).allowed

    def plain_side(n: int) -> None:
        for i in range(n):
            line, overdue = plain_inputs[i % n_cases]
            plain_rule(line, overdue)

    batch_size = pick(1_600, 64)
    ours_batch_requests = ours_requests * (batch_size // n_cases)
    cedar_batch_requests = cedar_requests * (batch_size // n_cases)

    def ours_batch_side(n: int) -> None:
        # n checks, in batches of batch_size
        for _ in range(max(1, n // batch_size)):
            for d in check_entitlements(ours_batch_requests, at):
                d.outcome

    def verdict_batch_side(n: int) -> None:
        for _ in range(max(1, n // batch_size)):
            for v in are_entitled(ours_batch_requests, at):
                v

    def peer_batch_side(n: int) -> None:
        for _ in range(max(1, n // batch_size)):
            for r in is_authorized_batch(cedar_batch_requests, policies, entities):
                r.allowed

    n = pick(4_000, 32)
    single = interleaved(pick(15, 2), n, [ours, peer, plain_side, verdict])
    batch = interleaved(pick(15, 2), pick(16_000, 64),
                        [ours_batch_side, peer_batch_side, verdict_batch_side])
    ours_ns, peer_ns, plain_ns, verdict_ns = single
    ours_b, peer_b, verdict_b = batch
    cedar = f"cedarpy {version('cedarpy')}"
    records_what = f"{pick(10_000, 200):,} usage records"
    Summary("py_entitlement_vs_cedarpy",
            f"device replacement check from Python, one call per check, {records_what}; "
            "cedarpy with policies and entities parsed once",
            ours_ns, cedar, peer_ns, "ns/op", peer_ns / ours_ns, ">= 15x faster",
            peer_ns / ours_ns >= 15).print()
    Summary("py_entitlement_batch_vs_cedarpy",
            f"the same through the batch calls (check_entitlements / is_authorized_batch, "
            f"{batch_size} checks a call), per check",
            ours_b, cedar, peer_b, "ns/op", peer_b / ours_b, ">= 75x faster",
            peer_b / ours_b >= 75).print()
    Summary("py_entitlement_vs_plain_python",
            "the same check against the rule as a plain Python function over the host's "
            "own data (ratio = plain / ours)",
            ours_ns, "plain Python", plain_ns, "ns/op", plain_ns / ours_ns,
            "(for information)", True).print()
    Summary("py_entitlement_single",
            "one check from Python (issue #8)", ours_ns, None, None, "ns/op", None,
            "< 5000 ns", ours_ns < 5_000).print()
    Summary("py_entitlement_batch",
            "one check of a batch from Python (issue #8)", ours_b, None, None, "ns/op", None,
            "< 1000 ns", ours_b < 1_000).print()
    Summary("py_entitlement_verdict_vs_cedarpy",
            "the same check as a yes or no (Crm.is_entitled: the same decision code, no "
            "reasons built), one call per check",
            verdict_ns, cedar, peer_ns, "ns/op", peer_ns / verdict_ns, ">= 15x faster",
            peer_ns / verdict_ns >= 15).print()
    Summary("py_entitlement_verdict_batch_vs_cedarpy",
            f"the yes or no through the batch calls (are_entitled / is_authorized_batch, "
            f"{batch_size} checks a call), per check",
            verdict_b, cedar, peer_b, "ns/op", peer_b / verdict_b, ">= 75x faster",
            peer_b / verdict_b >= 75).print()
    Summary("py_entitlement_verdict_single",
            "one yes-or-no check from Python (is_entitled)", verdict_ns, None, None, "ns/op",
            None, "< 5000 ns", verdict_ns < 5_000).print()
    Summary("py_entitlement_verdict_batch",
            "one yes-or-no check of a batch from Python (are_entitled)", verdict_b, None, None,
            "ns/op", None, "< 1000 ns", verdict_b < 1_000).print()
