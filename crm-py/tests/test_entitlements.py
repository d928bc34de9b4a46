"""Entitlements: checks with structured reasons, consume and reverse, batch checks, usage,
service levels; bad input."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

import crm_core
from crm_core import Channel, DecisionOutcome, commands, records
from _world import meta, t, world


def request(code: str = "device_replacement", customer: str = "C1") -> records.EntitlementRequest:
    return records.EntitlementRequest(customer=customer, code=code, channel=Channel.PHONE)


def test_check_consume_reverse_with_structured_reasons() -> None:
    crm = world()
    first = crm.check_entitlement(request(), t("2026-02-01T10:00:00Z"))
    assert first.outcome is DecisionOutcome.GRANTED and first.quantity == Decimal(1)
    assert first.matched == records.MatchedEntitlement(
        entitlement="L1.device_replacement", agreement="A1", line="L1")
    # story 1: granted, one remains (after this use)
    assert first.remaining is not None
    assert (first.remaining.limit, first.remaining.remaining) == (Decimal(2), Decimal(1))
    assert first.remaining.window.from_ < first.remaining.window.to
    kinds = [r.type for r in first.reasons]
    assert "line_in_service" in kinds and "usage_counted" in kinds
    in_service = next(r for r in first.reasons if r.type == "line_in_service")
    assert in_service.line == "L1" and in_service.status is crm_core.LineStatus.ACTIVE
    assert all(r.message for r in first.reasons)

    for n in (1, 2):
        crm.execute(meta(f"2026-02-0{n}T11:00:00Z"),
                    commands.ConsumeEntitlement(usage=f"U-{n}", request=request()))
    third = crm.check_entitlement(request(), t("2026-02-03T10:00:00Z"))
    assert third.outcome is DecisionOutcome.DENIED and third.next_available is not None
    limit = next(r for r in third.reasons if r.type == "limit_reached")
    assert (limit.used, limit.limit, limit.requested) == (Decimal(2), Decimal(2), Decimal(1))
    before = crm.state_json()
    with pytest.raises(crm_core.NotEntitledError) as denied:
        crm.execute(meta("2026-02-03T11:00:00Z"),
                    commands.ConsumeEntitlement(usage="U-3", request=request()))
    assert denied.value.reasons and crm.state_json() == before
    crm.execute(meta("2026-02-03T12:00:00Z"), commands.ReverseUsage(usage="U-2", reason="cancelled"))
    u2 = crm.usage("U-2")
    assert u2.reversed is not None and u2.reversed.reason == "cancelled"
    assert u2.channel is Channel.PHONE and u2.quantity == Decimal(1)
    assert [u.id for u in crm.usage_of("L1.device_replacement")] == ["U-1", "U-2"]
    again = crm.check_entitlement(request(), t("2026-02-04T10:00:00Z"))
    assert again.outcome is DecisionOutcome.GRANTED
    assert again.remaining is not None and again.remaining.remaining == Decimal(0)


def test_batch_checks_release_the_gil_and_keep_order() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    reqs = [request()] * 50 + [{"customer": "C1", "code": "support", "channel": "web"}]
    decisions = crm.check_entitlements(reqs, at)
    assert len(decisions) == 51
    assert all(d.outcome is DecisionOutcome.GRANTED for d in decisions)
    assert decisions[-1].code == "support"
    # another Python thread runs while a large batch works without the GIL
    ticks = 0
    done = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)

    th = threading.Thread(target=tick)
    th.start()
    try:
        crm.check_entitlements([request()] * 3000, at)
    finally:
        done.set()
        th.join()
    assert ticks > 0
    with pytest.raises(crm_core.NotFoundError):
        crm.check_entitlements([request(), request(customer="C-404")], at)


def test_service_level_and_entitlements_of() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    sla = crm.service_level("C1", "support", "normal", at)
    assert sla.resolution == crm_core.BusinessDuration.from_hours(8)
    assert sla.calendar == "support" and sla.source.line == "L1"
    with pytest.raises(crm_core.NotEntitledError):
        crm.service_level("C1", "support", "urgent", at)
    statuses = crm.entitlements_of("C1", at, standing=records.CustomerStanding(days_overdue=0))
    assert [s.code for s in statuses] == ["device_replacement", "support"]
    assert statuses[0].usable and statuses[0].kind.type == "quota"


def test_bad_entitlement_input() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    before = crm.state_json()
    with pytest.raises(TypeError, match="Decimal"):
        crm.check_entitlement({"customer": "C1", "code": "device_replacement", "channel": "phone",
                               "quantity": 0.5}, at)
    with pytest.raises(crm_core.ValidationError):
        crm.check_entitlement(records.EntitlementRequest(
            customer="C1", code="device_replacement", channel="phone", quantity=Decimal(0)), at)
    with pytest.raises(crm_core.NotFoundError):
        crm.check_entitlement(request(code="free_lunch"), at)
    with pytest.raises(crm_core.JsonError):
        records.EntitlementRequest(customer="C1", code="x", channel="carrier_pigeon")
    with pytest.raises(crm_core.NotFoundError):
        crm.execute(meta("2026-02-03T12:00:00Z"), commands.ReverseUsage(usage="U-9", reason="x"))
    assert crm.state_json() == before


def test_check_speed() -> None:
    """Measured, not asserted: the numbers go to the report (-s shows them)."""
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    req = request()
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        crm.check_entitlement(req, at)
    single = (time.perf_counter() - start) / n
    start = time.perf_counter()
    crm.check_entitlements([req] * n, at)
    batch = (time.perf_counter() - start) / n
    print(f"\ncheck_entitlement: {single * 1e6:.1f} us per call; batch: {batch * 1e6:.1f} us per check")
