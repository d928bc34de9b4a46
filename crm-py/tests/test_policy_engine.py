"""Story 4 of DOMAIN.md through the engine from Python: policies registered from Python data,
facts the host knows, the engine's measures, tier assignment (a query, a batch, a command),
the tier's shorter SLA, compensation decided and granted; bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import crm_core
from crm_core import BusinessDuration, Crm, Money, commands, records
from _world import meta, t, world
from test_obligation_engine import unchanged
from test_policies import COMPENSATION, SERVICE, TIERING

POLICIES: dict[str, Any] = {"tiering": TIERING, "service": SERVICE, "compensation": COMPENSATION}
AT = "2026-03-01T09:00:00Z"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def with_policies() -> Crm:
    """The shared world (C1, agreement A1) with the policies; C1 is a small business with a
    large potential, C2 a plain customer."""
    crm = world()
    crm.execute(meta(AT), commands.RegisterPolicies(policies=POLICIES, settings={}))
    crm.execute(meta(AT), commands.RegisterCustomer(
        customer=records.Customer(id="C2", name="Customer C2")))
    crm.execute(meta(AT), commands.SetCustomerFacts(
        customer="C1", facts={"potential": eur("250000.00"), "churn_risk": Decimal("0.2")}))
    return crm


def test_story_4_the_engine_measures_tiers_and_says_why() -> None:
    crm = with_policies()
    at = t(AT)
    m = crm.customer_measures("C1", at)
    assert isinstance(m, records.CustomerMeasures)
    assert (m.customer, m.revenue, m.potential, m.churn_risk) == (
        "C1", eur("0.00"), eur("250000.00"), Decimal("0.2"))
    # a query decides and records nothing
    events = len(crm.events())
    d = crm.assign_tier("C1", at)
    assert isinstance(d, records.TierDecision)
    assert (d.tier, d.rule, d.changed, d.previous) == ("gold", "R3", True, None)
    assert any("R3" in r for r in d.reasons)
    assert {c.input: c.value.py() for c in d.matched} == {
        "potential": eur("250000.00"), "revenue": eur("0.00")}
    batch = crm.assign_tiers(["C1", "C2"], at)
    assert [(x.customer, x.tier) for x in batch.decisions] == [("C1", "gold"), ("C2", "standard")]
    assert batch.failures == []
    assert len(crm.events()) == events and crm.tier_of("C1") is None
    assert crm.standing("C1", at).tier == "standard"  # the baseline until assigned
    assert crm.ledger("C2") is None  # owes nothing, paid nothing
    # the command records the change: the tier, the rule, why
    evs = crm.execute(meta(AT), commands.AssignTiers(customers=["C1"]))
    assert [e.event.type for e in evs] == ["tier_changed"]
    change = crm.tier_of("C1")
    assert isinstance(change, records.TierChange)
    assert (change.from_, change.to, change.rule, change.at) == (None, "gold", "R3", at)
    assert change.reasons == d.reasons
    assert change.to_dict()["from"] is None and '"from":null' in change.to_json()
    standing = crm.standing("C1", at)
    assert standing.tier == "gold" and standing.tier_order == TIERING["tiers"]
    view = crm.customer_360("C1", t("2026-03-02T09:00:00Z"))
    assert view.tier is not None
    assert (view.tier.tier, view.tier.rule, view.tier.baseline) == ("gold", "R3", False)
    assert view.tier.since == at
    baseline = crm.customer_360("C2", t("2026-03-02T09:00:00Z")).tier  # never assigned
    assert baseline is not None and (baseline.tier, baseline.baseline) == ("standard", True)
    assert baseline.rule is None and baseline.since is None
    # its complaints are answered under the shorter SLA of that tier (4 business hours)
    crm.execute(meta("2026-03-02T09:00:00Z"), commands.StartProcess(start=records.StartProcess(
        instance="P-GOLD", interaction_kind="complaint", customer="C1", calendar="support")))
    target = crm.process_instance("P-GOLD").sla.resolution
    assert target is not None and target.target == BusinessDuration.from_hours(4)
    assert target.source == records.SlaSource("tier", tier="gold") and target.source.tier == "gold"


def test_compensation_decided_then_granted_within_the_tiers_cap() -> None:
    crm = with_policies()
    crm.execute(meta(AT), commands.AssignTiers(customers=[]))
    complaint = records.Complaint(id="CALLBACK-1", category="callback", severity="low",
                                  commitment_broken=True)
    at = t("2026-03-05T09:00:00Z")
    decision = crm.decide_compensation("C1", complaint, at)
    assert isinstance(decision, records.CompensationDecision)
    assert (decision.tier, decision.rule, decision.offer.credit) == ("gold", "C1", eur("20.00"))
    assert decision.cap.limit == eur("200.00") and decision.granted_in_period == eur("0.00")
    assert decision.cap.period == records.CapPeriod(period="calendar_month")
    assert decision.cap.period.days is None
    assert decision.cap_remaining == eur("180.00")  # after this offer
    assert decision.approval is None and not decision.reduced
    assert crm.compensations_of("C1") == []  # a decision records nothing
    evs = crm.execute(meta("2026-03-05T09:00:00Z", actor="agent-7"),
                      commands.GrantCompensation(customer="C1", complaint=complaint))
    assert [e.event.type for e in evs] == ["compensation_granted"]
    [granted] = crm.compensations_of("C1")
    assert (granted.complaint, granted.value, granted.rule) == ("CALLBACK-1", eur("20.00"), "C1")
    # the credit reached the ledger, and the next decision counts what was granted
    assert crm.balance("C1") == eur("-20.00")
    again = crm.decide_compensation("C1", records.Complaint(
        id="CALLBACK-2", category="callback", severity="low", commitment_broken=True), at)
    assert again.granted_in_period == eur("20.00") and again.cap_remaining == eur("160.00")


def test_bad_policy_input_is_a_typed_error_and_changes_nothing() -> None:
    bare = world()
    at = t(AT)
    for query in (lambda: bare.customer_measures("C1", at), lambda: bare.assign_tier("C1", at),
                  lambda: bare.assign_tiers([], at)):
        unchanged(bare, crm_core.NotFoundError, query)  # no policies registered
    crm = with_policies()
    m = meta(AT)
    bad_tiers = {**POLICIES, "service": {**SERVICE, "tiers": ["standard", "gold"]}}
    # the policies decode with the command: a set whose tier lists differ is refused as JSON,
    # with the core's reason (a dict command reaches the engine unchecked by Python)
    with pytest.raises(crm_core.JsonError, match="unknown tier"):
        commands.RegisterPolicies(policies=bad_tiers, settings={})
    unchanged(crm, crm_core.JsonError, lambda: crm.execute(
        m, {"type": "register_policies", "policies": bad_tiers, "settings": {}}))
    unchanged(crm, crm_core.NotFoundError, lambda: crm.execute(m, commands.SetCustomerFacts(
        customer="C-404", facts={"potential": eur("1.00")})))
    unchanged(crm, crm_core.NotFoundError,
              lambda: crm.execute(m, commands.AssignTiers(customers=["C1", "C-404"])))
    unchanged(crm, crm_core.NotFoundError, lambda: crm.execute(m, commands.GrantCompensation(
        customer="C-404", complaint=records.Complaint(id="X", category="callback",
                                                      severity="low"))))
    with pytest.raises(TypeError, match="Decimal"):
        commands.SetCustomerFacts(customer="C1", facts={"churn_risk": 0.5})
    with pytest.raises(crm_core.JsonError):
        records.CapPeriod(period="fortnight")
    unchanged(crm, crm_core.NotFoundError, lambda: crm.customer_measures("C-404", t(AT)))
    unchanged(crm, crm_core.NotFoundError, lambda: crm.decide_compensation(
        "C-404", records.Complaint(id="X", category="callback", severity="low"), t(AT)))
    naive = t(AT).replace(tzinfo=None)
    unchanged(crm, crm_core.ValidationError, lambda: crm.assign_tier("C1", naive))
    [failure] = crm.assign_tiers(["C1", "C-404"], t(AT)).failures
    assert failure.customer == "C-404" and failure.error["kind"] == "not_found"
    err = failure.exception()
    assert isinstance(err, crm_core.NotFoundError) and err.id == "C-404" and "C-404" in str(err)
    with pytest.raises(crm_core.NotFoundError):
        raise failure.exception()
    # a potential in dollars cannot be compared with a table in euros: tiering refuses it
    crm.execute(m, commands.SetCustomerFacts(
        customer="C2", facts={"potential": Money(Decimal("1.00"), "USD")}))
    unchanged(crm, crm_core.CurrencyMismatchError, lambda: crm.assign_tier("C2", t(AT)))
    unchanged(crm, crm_core.CurrencyMismatchError,
              lambda: crm.execute(m, commands.AssignTiers(customers=["C2"])))
