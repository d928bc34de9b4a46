"""Policies from Python data: decision tables, tiering (story 4), service levels per tier,
compensation; batches release the GIL; bad policies list every problem."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import crm_core
from crm_core import (
    BusinessDuration,
    CompensationPolicy,
    DecisionTable,
    Money,
    ServicePolicy,
    TieringPolicy,
    records,
)
from _world import t

TABLE: dict[str, Any] = {
    "name": "discount",
    "hit_policy": "first",
    "inputs": [
        {"name": "revenue", "type": "money", "currency": "EUR"},
        {"name": "segment", "type": "enumeration", "values": ["consumer", "smb", "corporate"]},
        {"name": "years", "type": "integer"},
    ],
    "outputs": [{"name": "discount", "type": "decimal"}],
    "rules": [
        {"id": "D1", "when": {"segment": {"op": "eq", "value": "corporate"},
                              "revenue": {"op": "ge", "value": "100000.00"}},
         "then": {"discount": "0.15"}},
        {"id": "D4", "then": {"discount": "0"}},
    ],
}

TIERING: dict[str, Any] = {
    "tiers": ["standard", "silver", "gold", "platinum"],
    "table": {
        "name": "tiering", "hit_policy": "first",
        "inputs": [
            {"name": "revenue", "type": "money", "currency": "EUR"},
            {"name": "potential", "type": "money", "currency": "EUR"},
            {"name": "days_overdue", "type": "integer"},
        ],
        "outputs": [{"name": "tier", "type": "string"}],
        "rules": [
            {"id": "R1", "when": {"days_overdue": {"op": "gt", "value": 60}},
             "then": {"tier": "standard"}},
            {"id": "R2", "when": {"revenue": {"op": "ge", "value": "100000.00"}},
             "then": {"tier": "platinum"}},
            {"id": "R3", "description": "small today, large potential",
             "when": {"potential": {"op": "ge", "value": "100000.00"},
                      "revenue": {"op": "lt", "value": "5000.00"}},
             "then": {"tier": "gold"}},
        ],
    },
}

SERVICE: dict[str, Any] = {
    "tiers": ["standard", "silver", "gold", "platinum"],
    "cap_period": {"period": "calendar_month"},
    "per_tier": {
        "standard": {"routing_priority": 0,
                     "compensation_cap": {"amount": "50.00", "currency": "EUR"}},
        "silver": {"routing_priority": 1,
                   "compensation_cap": {"amount": "100.00", "currency": "EUR"}},
        "platinum": {"routing_priority": 3,
                     "compensation_cap": {"amount": "300.00", "currency": "EUR"}},
        "gold": {"routing_priority": 2,
                 "compensation_cap": {"amount": "200.00", "currency": "EUR"},
                 "sla": {"complaint": {"response": {"rule": "multiplier", "factor": "0.5"},
                                       "resolution": {"rule": "absolute",
                                                      "duration": {"seconds": 14400}}}},
                 "retention_offers": ["free_month"]},
    },
}

COMPENSATION: dict[str, Any] = {
    "tiers": ["standard", "silver", "gold", "platinum"],
    "approvals": [{"above": {"amount": "75.00", "currency": "EUR"}, "role": "supervisor"}],
    "table": {
        "name": "compensation", "hit_policy": "first",
        "inputs": [
            {"name": "commitment_broken", "type": "boolean"},
            {"name": "tier", "type": "string"},
        ],
        "outputs": [{"name": "credit", "type": "money", "currency": "EUR"}],
        "rules": [
            {"id": "C1", "when": {"commitment_broken": {"op": "eq", "value": True}},
             "then": {"credit": "20.00"}},
        ],
    },
}


def measures(customer: str, revenue: str, potential: str, overdue: int = 0) -> records.CustomerMeasures:
    return records.CustomerMeasures(
        customer=customer, revenue=Money(Decimal(revenue), "EUR"),
        margin=Money(Decimal("0"), "EUR"), potential=Money(Decimal(potential), "EUR"),
        customer_since=date(2024, 1, 1), days_overdue=overdue, bounced_payments=0,
        churn_risk=Decimal("0.1"), open_complaints=0)


def test_a_decision_table_from_python_data() -> None:
    table = DecisionTable(TABLE)
    assert table.name == "discount"
    e = table.evaluate({"revenue": Money(Decimal("150000"), "EUR"), "segment": "corporate",
                        "years": 3})
    assert e.selected_rules == ["D1"] and e.reasons
    assert e.result.result == "single" and e.outputs() == {"discount": Decimal("0.15")}
    assert e.result.outputs["discount"] == records.TableValue("decimal", value=Decimal("0.15"))
    none = table.evaluate({"revenue": Money(Decimal("1"), "EUR"), "segment": "smb", "years": 0})
    assert none.selected_rules == ["D4"] and none.outputs() == {"discount": Decimal(0)}
    from _typed import typed
    assert "TableValue" in typed(e) + typed(none)
    with pytest.raises(crm_core.ValidationError):
        table.evaluate({"revenue": Money(Decimal("1"), "EUR")})  # inputs missing
    with pytest.raises(TypeError, match="Decimal"):
        table.evaluate({"revenue": 1.5, "segment": "smb", "years": 1})  # type: ignore[dict-item]
    with pytest.raises(crm_core.InvalidDefinitionError) as bad:
        DecisionTable({**TABLE, "rules": [{"id": "X", "when": {"nope": {"op": "eq", "value": 1}}}]})
    assert bad.value.problems


def test_story_4_small_business_large_potential_is_preferred() -> None:
    policy = TieringPolicy(TIERING)
    d = policy.assign_tier(measures("SMB-1", "3000.00", "250000.00"), t("2026-03-01T00:00:00Z"),
                           previous="standard")
    assert (d.tier, d.rule, d.changed, d.previous) == ("gold", "R3", True, "standard")
    assert any("R3" in r for r in d.reasons) and d.matched
    # its complaints are answered under the shorter SLA of that tier
    service = ServicePolicy(SERVICE)
    targets = service.targets(d.tier, "complaint", {"resolution": {"seconds": 28800}})
    assert targets.resolution == BusinessDuration.from_hours(4)
    assert service.targets("standard", "complaint",
                           {"resolution": {"seconds": 28800}}).resolution == BusinessDuration.from_hours(8)
    assert service.routing_priority("gold") > service.routing_priority("standard")
    assert service.retention_offers("gold") == ["free_month"]
    # a batch, GIL released, keeps order and reports failures
    batch = policy.assign_tiers(
        [records.TieringInput(measures=measures(f"C{i}", "200000.00", "0")) for i in range(100)]
        + [{"measures": measures("BAD", "1.00", "0").to_dict() | {"revenue": {"amount": "1", "currency": "USD"}}}],
        t("2026-03-01T00:00:00Z"))
    assert [x.tier for x in batch.decisions] == ["platinum"] * 100
    assert [f.customer for f in batch.failures] == ["BAD"]
    mismatch = batch.failures[0].exception()
    assert isinstance(mismatch, crm_core.CurrencyMismatchError)
    assert (mismatch.left, mismatch.right, str(mismatch)) == ("EUR", "USD", "currency mismatch: EUR and USD")


def test_compensation_within_the_cap() -> None:
    service = ServicePolicy(SERVICE)
    policy = CompensationPolicy(COMPENSATION)
    cap = service.compensation_cap("standard")
    complaint = records.Complaint(id="CALLBACK-1", category="callback", severity="low",
                                  commitment_broken=True)
    customer = records.CustomerFacts(customer="C1", tier="standard",
                                     value=Money(Decimal("500"), "EUR"))
    d = policy.decide(complaint, customer, [], cap, t("2026-03-01T00:00:00Z"))
    assert d.offer.credit == Money(Decimal("20.00"), "EUR") and d.rule == "C1"
    assert not d.reduced and d.approval is None
    granted = records.CompensationGranted(
        customer="C1", complaint="OLD", offer=d.offer, value=Money(Decimal("40.00"), "EUR"),
        at=t("2026-03-01T00:00:00Z"))
    again = policy.decide(complaint, customer, [granted], cap, t("2026-03-02T00:00:00Z"))
    assert again.reduced and again.offer.credit == Money(Decimal("10.00"), "EUR")
    with pytest.raises(crm_core.NotFoundError):
        policy.decide(complaint, records.CustomerFacts(
            customer="C1", tier="diamond", value=Money(Decimal("1"), "EUR")), [], cap,
            t("2026-03-01T00:00:00Z"))
    # downward differentiation is refused, naming the tier
    with pytest.raises(crm_core.InvalidDefinitionError) as down:
        ServicePolicy({**SERVICE, "per_tier": {**SERVICE["per_tier"], "gold": {
            "routing_priority": 0, "compensation_cap": {"amount": "1.00", "currency": "EUR"}}}})
    assert any("gold" in p for p in down.value.problems)
