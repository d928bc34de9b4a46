"""``Crm.is_entitled`` / ``are_entitled``: the yes-or-no of ``check_entitlement`` without its
reasons; the same answers and the same errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import crm_core
from crm_core import Channel, DecisionOutcome, commands, records
from _world import meta, t, world


def request(code: str = "device_replacement", **kw: Any) -> records.EntitlementRequest:
    return records.EntitlementRequest(customer="C1", code=code, channel=Channel.PHONE, **kw)


def test_answers_as_the_check_does() -> None:
    crm = world()
    cases: list[records.EntitlementRequest | dict[str, str]] = [request(), request(standing=records.CustomerStanding(days_overdue=90)),
             {"customer": "C1", "code": "device_replacement", "channel": "phone"}]
    seen: set[bool] = set()
    for day in ("01", "02", "03"):
        at = t(f"2026-02-{day}T10:00:00Z")
        expected = [crm.check_entitlement(r, at).outcome is DecisionOutcome.GRANTED
                    for r in cases]
        seen.update(expected)
        assert [crm.is_entitled(r, at) for r in cases] == expected
        assert crm.are_entitled(cases * 20, at) == expected * 20  # a batch that releases the GIL
        if day != "03":
            crm.execute(meta(f"2026-02-{day}T11:00:00Z"),
                        commands.ConsumeEntitlement(usage=f"U-{day}", request=request()))
    assert seen == {True, False}
    # two uses a year: the third day's request is denied
    assert crm.is_entitled(request(), t("2026-02-03T12:00:00Z")) is False
    assert crm.are_entitled([], t("2026-02-03T12:00:00Z")) == []


def test_the_same_errors() -> None:
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    before = crm.state_json()
    with pytest.raises(crm_core.NotFoundError):
        crm.is_entitled(request(code="free_lunch"), at)
    with pytest.raises(crm_core.NotFoundError):
        crm.are_entitled([request(), request(code="free_lunch")], at)
    with pytest.raises(crm_core.ValidationError):
        crm.is_entitled(request(quantity=Decimal(0)), at)
    with pytest.raises(TypeError, match="Decimal"):
        crm.is_entitled({"customer": "C1", "code": "device_replacement", "channel": "phone",
                         "quantity": 0.5}, at)
    with pytest.raises(crm_core.JsonError):
        crm.are_entitled([{"customer": "C1", "code": "x", "channel": "carrier_pigeon"}], at)
    with pytest.raises(crm_core.ValidationError):
        crm.is_entitled(request(), at.replace(tzinfo=None))
    assert crm.state_json() == before


def test_every_shape_of_a_request_decodes_alike() -> None:
    # a record, its dict, a read-only mapping, enum members or their text: the same request
    from types import MappingProxyType
    crm = world()
    at = t("2026-02-01T10:00:00Z")
    shapes: list[Any] = [
        request(standing=records.CustomerStanding(days_overdue=3, tier="gold",
                                                  tier_order=("silver", "gold"))),
        {"customer": "C1", "code": "device_replacement", "channel": "phone",
         "standing": {"days_overdue": 3, "tier": "gold", "tier_order": ["silver", "gold"]}},
        MappingProxyType({"customer": "C1", "code": "device_replacement",
                          "channel": Channel.PHONE, "quantity": Decimal(1),
                          "standing": records.CustomerStanding(
                              days_overdue=3, tier="gold", tier_order=["silver", "gold"])}),
    ]
    decisions = [crm.check_entitlement(s, at) for s in shapes]
    assert decisions[0].outcome is DecisionOutcome.GRANTED
    assert all(d.to_dict() == decisions[0].to_dict() for d in decisions)
    assert crm.are_entitled(shapes, at) == [True] * 3
    # refusals keep the error of the JSON-value way
    with pytest.raises(crm_core.JsonError, match="unknown field"):
        crm.is_entitled({"customer": "C1", "code": "device_replacement", "channel": "phone",
                         "colour": "red"}, at)
    with pytest.raises(TypeError, match="keys must be str"):
        bad_key: dict[Any, str] = {"customer": "C1", "code": "device_replacement",
                                   "channel": "phone", 1: "x"}
        crm.is_entitled(bad_key, at)
