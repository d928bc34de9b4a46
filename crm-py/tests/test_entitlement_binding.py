"""The lean entitlement-check path of the binding: instants taken from any aware datetime
exactly, decisions read field by field with the same values as their whole data, the batch
the same below and above the size that releases the GIL, bad input refused with the path of
the bad value and nothing changed."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import crm_core
from crm_core import Channel, DecisionOutcome, commands, records
from _world import meta, t, world


def request(**kw: object) -> records.EntitlementRequest:
    fields: dict[str, object] = {"customer": "C1", "code": "device_replacement",
                                 "channel": Channel.PHONE, **kw}
    return records.EntitlementRequest(**fields)


class NoOffset(tzinfo):
    """A tzinfo that knows no offset: the datetime is naive for Python."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_instants_from_any_aware_datetime_are_exact() -> None:
    crm = world()
    utc = datetime(2026, 2, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    for same in (utc,
                 utc.astimezone(timezone(timedelta(hours=5, minutes=30))),
                 utc.astimezone(ZoneInfo("Europe/Berlin")),
                 utc.astimezone(timezone(timedelta(hours=-11)))):
        decision = crm.check_entitlement(request(), same)
        assert decision.at == utc and decision.at.microsecond == 123456
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    with pytest.raises(crm_core.ValidationError, match="1969-12-31 23:59:59.999999 UTC"):
        crm.check_entitlement(request(), before_epoch.astimezone(ZoneInfo("Asia/Tokyo")))


def test_naive_instants_are_refused_and_change_nothing() -> None:
    crm = world()
    before = crm.state_json()
    for naive in (datetime(2026, 2, 1, 10, 0), datetime(2026, 2, 1, 10, 0, tzinfo=NoOffset())):
        with pytest.raises(crm_core.ValidationError):
            crm.check_entitlement(request(), naive)
        with pytest.raises(crm_core.ValidationError):
            crm.check_entitlements([request()], naive)
    with pytest.raises(TypeError):
        crm.check_entitlement(request(), "2026-02-01T10:00:00Z")  # type: ignore[arg-type]
    assert crm.state_json() == before


def test_fields_read_alone_equal_the_whole_decision() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    # absent optional fields read as None, read alone or from the whole data
    too_many = crm.check_entitlement(request(quantity=Decimal(3)), at)
    assert too_many.outcome is DecisionOutcome.DENIED and too_many.next_available is None
    assert "next_available" not in too_many._data
    support = crm.check_entitlement(request(code="support"), at)
    assert support.remaining is None and support.matched is not None
    crm.execute(meta("2026-02-01T09:00:00Z"),
                commands.ConsumeEntitlement(usage="U-1", request=request()))
    granted = crm.check_entitlement(request(), at)
    # the same decision, converted whole first
    whole = crm.check_entitlement(request(), at)
    data = whole._data
    assert data["outcome"] == "granted" and whole.outcome is DecisionOutcome.GRANTED
    assert granted.outcome is DecisionOutcome.GRANTED
    assert granted.code == whole.code == "device_replacement"
    assert granted.at == whole.at == at and granted.quantity == whole.quantity == 1
    assert granted.matched == whole.matched and granted.matched is not None
    assert granted.remaining == whole.remaining and granted.remaining is not None
    assert granted.next_available == whole.next_available and granted.next_available
    assert granted.reasons == whole.reasons and granted.reasons
    assert granted == whole and granted.to_dict() == whole.to_dict()
    denied = crm.check_entitlement(request(quantity=Decimal(2)), at)
    assert denied.outcome is DecisionOutcome.DENIED
    assert any(r.type == "limit_reached" for r in denied.reasons)


def test_batch_equals_single_checks_on_both_sides_of_the_gil_threshold() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    reqs = [request(), request(quantity=Decimal(3)), request(code="support")]
    single = [crm.check_entitlement(r, at) for r in reqs]
    for n in (1, 31, 32, 33, 200):
        batch = crm.check_entitlements((reqs * n)[:n], at)
        assert batch == (single * n)[:n]


def test_a_check_waits_for_another_thread_using_the_engine() -> None:
    """A single check or a small batch holds the GIL only when the engine is free; while a
    big batch works in another thread (GIL released), they wait for it and complete."""
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    done = threading.Event()
    results: list[int] = []

    def big_batch() -> None:
        while not done.is_set():
            results.append(len(crm.check_entitlements([request()] * 2000, at)))

    th = threading.Thread(target=big_batch)
    th.start()
    try:
        for _ in range(200):
            assert crm.check_entitlement(request(), at).outcome is DecisionOutcome.GRANTED
            small = crm.check_entitlements([request()] * 3, at)  # below the GIL threshold
            assert [d.outcome for d in small] == [DecisionOutcome.GRANTED] * 3
    finally:
        done.set()
        th.join()
    assert results and all(r == 2000 for r in results)


def test_bad_values_are_refused_with_their_path() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    before = crm.state_json()
    bad = {"customer": "C1", "code": "device_replacement", "channel": "phone",
           "standing": {"days_overdue": 1.5}}
    with pytest.raises(TypeError, match=r"^standing\.days_overdue: floats are not exact"):
        crm.check_entitlement(bad, at)
    with pytest.raises(TypeError, match=r"^value\[1\]\.standing\.days_overdue: floats"):
        crm.check_entitlements([request(), bad], at)
    with pytest.raises(TypeError, match=r"^value: cannot be sent to crm-core: object"):
        crm.check_entitlement(object(), at)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^standing: mapping keys must be str"):
        crm.check_entitlement({**bad, "standing": {1: 2}}, at)
    with pytest.raises(crm_core.NotFoundError):
        crm.check_entitlements([request(), request(customer="C-404")], at)
    assert crm.state_json() == before
