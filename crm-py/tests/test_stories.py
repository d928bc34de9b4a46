"""The stories of DOMAIN.md from Python: stories 1 and 2 here; story 3 through the engine in
test_obligation_engine.py, story 4 in test_policy_engine.py (the policies alone in
test_policies.py), story 5 in test_views.py (the process alone in test_processes.py)."""

from __future__ import annotations

from decimal import Decimal

from crm_core import (
    Channel,
    CommitmentState,
    CompensationPolicy,
    DecisionOutcome,
    Direction,
    FindingKind,
    Money,
    Purpose,
    ServicePolicy,
    Severity,
    commands,
    events,
    records,
)
from _world import meta, t, world
from test_entitlements import request
from test_policies import COMPENSATION, SERVICE
from test_policy_engine import POLICIES


def test_story_1_a_broken_phone_a_loan_device_an_extension_and_a_broken_callback() -> None:
    crm = world()
    # the service desk asks: granted, one remains
    decision = crm.check_entitlement(request(), t("2026-02-02T09:00:00Z"))
    assert decision.outcome is DecisionOutcome.GRANTED
    assert decision.remaining is not None and decision.remaining.remaining == Decimal(1)
    crm.execute(meta("2026-02-02T09:05:00Z"),
                commands.ConsumeEntitlement(usage="REPL-1", request=request()))
    # a loan device with a return commitment; a supervisor extends the loan as an exception
    customer = records.PartyRef("customer", customer="C1")
    crm.execute(meta("2026-02-02T09:10:00Z"), commands.MakeCommitment(commitment=records.NewCommitment(
        id="LOAN-RETURN-1", customer="C1", agreement="A1", description="return the loan device",
        made_by=customer, responsible=customer, due_at=t("2026-02-16T17:00:00Z"))))
    loan = records.ExceptionScope("commitment", commitment="LOAN-RETURN-1")
    crm.execute(meta("2026-02-15T10:00:00Z", actor="supervisor-3"), commands.ApproveException(
        exception=records.Exception(
            id="EXT-1", customer="C1", agreement="A1", scope=loan,
            effect=records.ExceptionEffect("extend", until=t("2026-03-02T17:00:00Z")),
            approved_by="supervisor-3", reason="repair delayed by the vendor",
            valid_from=t("2026-02-15T10:00:00Z"), valid_to=t("2026-03-02T17:00:00Z"))))
    # the automated reminder asks the core before it fires: the extension holds, so it must not
    assert [x.id for x in crm.exceptions_covering("C1", loan, t("2026-02-20T08:00:00Z"))] == ["EXT-1"]
    assert crm.exceptions_covering("C1", loan, t("2026-03-03T08:00:00Z")) == []
    # a callback about a complaint is a commitment with a due time; it passes unkept
    crm.execute(meta("2026-02-20T09:00:00Z"), commands.MakeCommitment(commitment=records.NewCommitment(
        id="CALLBACK-1", customer="C1", description="call back about the complaint",
        made_by=records.PartyRef("employee", employee="agent-7"),
        responsible=records.PartyRef("organisation", unit="back office"),
        due_at=t("2026-02-22T17:00:00Z"))))
    overdue = crm.overdue_commitments(t("2026-02-23T09:00:00Z"))
    assert "CALLBACK-1" in [c.id for c in overdue]
    # the audit says so (and not of the loan device, whose extension holds) ...
    findings = crm.audit("C1", t("2026-02-23T09:00:00Z"))
    assert [(f.kind, f.ids[0].id) for f in findings] == [
        (FindingKind.COMMITMENT_PAST_DUE, "CALLBACK-1")]
    # ... and would flag a reminder sent while the extension holds
    crm.execute(meta("2026-02-20T08:00:00Z"), commands.SetConsent(
        customer="C1", grant=records.ConsentGrant(purpose=Purpose.SERVICE, channel=Channel.EMAIL,
                                                  granted=True)))
    crm.execute(meta("2026-02-20T08:00:00Z", actor="reminder-bot"), commands.RecordInteraction(
        interaction=records.Interaction(
            id="MAIL-1", customer="C1", channel=Channel.EMAIL, direction=Direction.OUTBOUND,
            purpose=Purpose.SERVICE, kind="reminder", started_at=t("2026-02-20T08:00:00Z"),
            summary="return the loan device or be charged", commitments=["LOAN-RETURN-1"])))
    [reminder] = [f for f in crm.audit("C1", t("2026-02-23T09:00:00Z"))
                  if f.kind is FindingKind.REMINDER_DURING_EXTENSION]
    assert reminder.severity is Severity.CRITICAL
    assert {(r.entity, r.id) for r in reminder.ids} >= {("interaction", "MAIL-1"),
                                                        ("exception", "EXT-1")}
    crm.execute(meta("2026-02-23T09:00:00Z"),
                commands.BreakCommitment(commitment="CALLBACK-1", reason="not called back"))
    # the compensation policy decides what the customer is offered: the policy alone ...
    cap = ServicePolicy(SERVICE).compensation_cap("standard")
    complaint = records.Complaint(id="CALLBACK-1", category="callback", severity="low",
                                  commitment_broken=True)
    offer = CompensationPolicy(COMPENSATION).decide(
        complaint,
        records.CustomerFacts(customer="C1", tier="standard", value=Money(Decimal("500"), "EUR")),
        [], cap, t("2026-02-23T09:05:00Z"))
    assert offer.offer.credit == Money(Decimal("20.00"), "EUR") and offer.rule == "C1"
    assert offer.reasons
    # ... and the engine with the organisation's policies, the same way, then granted
    crm.execute(meta("2026-02-23T09:05:00Z"),
                commands.RegisterPolicies(policies=POLICIES, settings={}))
    decided = crm.decide_compensation("C1", complaint, t("2026-02-23T09:05:00Z"))
    assert (decided.offer, decided.rule, decided.tier) == (offer.offer, "C1", "standard")
    crm.execute(meta("2026-02-23T09:06:00Z", actor="agent-7"),
                commands.GrantCompensation(customer="C1", complaint=complaint))
    assert [g.complaint for g in crm.compensations_of("C1")] == ["CALLBACK-1"]


def test_story_2_a_promise_made_by_an_agent_and_broken_by_the_carrier() -> None:
    crm = world()
    crm.execute(meta("2026-04-01T09:00:00Z"), commands.RegisterPartner(
        partner=records.Partner(id="TRAVEL-AG", name="Sunny Travel", kind="agent")))
    crm.execute(meta("2026-04-01T09:05:00Z", actor="TRAVEL-AG"), commands.MakeCommitment(
        commitment=records.NewCommitment(
            id="MEAL-1", customer="C1", description="vegetarian meal on flight XY123",
            made_by=records.PartyRef("partner", partner="TRAVEL-AG"),
            responsible=records.PartyRef("organisation", unit="carrier catering"),
            due_at=t("2026-04-10T12:00:00Z"))))
    evs = crm.execute(meta("2026-04-10T13:00:00Z"),
                      commands.BreakCommitment(commitment="MEAL-1", reason="meal not loaded"))
    assert isinstance(evs[0].event, events.CommitmentClosed)
    assert evs[0].event.state is CommitmentState.BROKEN
    [meal] = crm.commitments_of("C1")
    assert meal.made_by == records.PartyRef("partner", partner="TRAVEL-AG")
    assert meal.responsible.get("unit") == "carrier catering"
    assert (meal.state, meal.close_reason) == (CommitmentState.BROKEN, "meal not loaded")
    # the complaint process starts with that record
    crm.execute(meta("2026-04-10T14:00:00Z"), commands.StartProcess(start=records.StartProcess(
        instance="P-MEAL", interaction_kind="complaint", customer="C1", calendar="support",
        interaction="CALL-9", data={"commitment": {"text": "MEAL-1"}})))
    assert crm.process_of_interaction("CALL-9") == crm.process_instance("P-MEAL")
