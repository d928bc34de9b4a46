"""Story 5 of DOMAIN.md through interactions from Python, and the typed records of the engine's
read side: interactions, the 360 view, the audit's findings, service measures and
accountability, each built from a real engine result; bad input for the interaction family
changes nothing."""

from __future__ import annotations

import json
import pickle
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

import crm_core
from crm_core import (
    Channel,
    CommitmentStanding,
    Crm,
    Direction,
    FindingKind,
    InteractionOutcome,
    Purpose,
    Severity,
    SlaState,
    TimeRange,
    commands,
    records,
)
from _world import meta, t, world
from test_obligation_engine import unchanged
from test_policy_engine import with_policies

QUEUE = records.Performer("queue", name="first_line")
BACK_OFFICE = records.Performer("queue", name="back_office")


def record_chat(crm: Crm) -> None:
    """Friday 6 March 2026, 16:30 in Berlin: a complaint by chat, answered in 20 s, starting
    the complaint process P-5 on the support calendar."""
    crm.execute(meta("2026-03-06T15:31:00Z", actor="chat-gateway"), commands.RecordInteraction(
        interaction=records.Interaction(
            id="CHAT-5", customer="C1", channel=Channel.CHAT, direction=Direction.INBOUND,
            kind="complaint", started_at=t("2026-03-06T15:30:00Z"),
            answered_at=t("2026-03-06T15:30:20Z"), summary="second invoice looks doubled",
            queue="first_line", sentiment=Decimal("-0.4")),
        start_process={"instance": "P-5", "calendar": "support"}))


def advance(crm: Crm, at: str, outcome: str, performer: records.Performer) -> None:
    crm.execute(meta(at), commands.AdvanceProcess(instance="P-5", outcome=outcome,
                                                  performer=performer))


def story_5() -> Crm:
    """C1 is gold (story 4); the chat complaint is handled first line, warm-transferred to the
    back office, resolved on Monday within gold's 4 business hours; the survey arrives."""
    crm = with_policies()
    crm.execute(meta("2026-03-01T09:00:00Z"), commands.AssignTiers(customers=["C1"]))
    record_chat(crm)
    advance(crm, "2026-03-06T15:30:00Z", "accepted", records.Performer("handler", name="intake"))
    advance(crm, "2026-03-06T15:50:00Z", "transfer", QUEUE)
    crm.execute(meta("2026-03-06T15:51:00Z"), commands.UpdateInteraction(
        interaction="CHAT-5", update=records.InteractionUpdate(
            ended_at=t("2026-03-06T15:50:20Z"), outcome=InteractionOutcome.TRANSFERRED_WARM)))
    done = "2026-03-09T10:00:00Z"
    advance(crm, done, "resolved", BACK_OFFICE)
    advance(crm, done, "decided", records.Performer("handler", name="compensation_policy"))
    advance(crm, done, "called_back", BACK_OFFICE)
    advance(crm, done, "feedback_given", records.Performer("customer"))
    crm.execute(meta("2026-03-10T09:00:00Z"), commands.UpdateInteraction(
        interaction="CHAT-5", update={"feedback": {"csat": 5, "nps": 9},
                                      "sentiment": Decimal("0.3")}))
    return crm


def roundtrips(record: records.Record) -> None:
    """A record pickles, compares, and comes back from its JSON exactly and from its dict as
    Python sees it (a ``datetime`` keeps microseconds: the nanoseconds of an entitlement
    window's bounds live only in the JSON form)."""
    cls = type(record)
    assert pickle.loads(pickle.dumps(record)) == record
    assert cls.from_json(record.to_json()) == record
    assert cls.from_dict(record.to_dict()).to_dict() == record.to_dict()
    assert json.loads(record.to_json()) == record._data
    assert repr(record).startswith(f"{cls.__name__}(")


def test_story_5_a_chat_complaint_over_a_weekend_within_the_tiers_sla() -> None:
    crm = story_5()
    chat = crm.interaction("CHAT-5")
    assert isinstance(chat, records.Interaction)
    assert (chat.channel, chat.direction, chat.outcome) == (
        Channel.CHAT, Direction.INBOUND, InteractionOutcome.TRANSFERRED_WARM)
    assert chat.process == "P-5" and chat.queue == "first_line"
    assert chat.ended_at == t("2026-03-06T15:50:20Z")
    assert (chat.feedback.csat, chat.feedback.nps, chat.sentiment) == (5, 9, Decimal("0.3"))
    roundtrips(chat)
    assert crm.interactions_of("C1") == [chat]
    # resolved within gold's 4 business hours: 30 min on Friday, 2 h on Monday
    status = crm.process_status("P-5", t("2026-03-09T10:00:00Z"))
    assert status.ended and status.resolution is not None
    assert status.resolution.state is SlaState.MET
    assert status.resolution.used == crm_core.BusinessDuration.from_minutes(150)
    report = crm.process_report("complaint")
    steps = {s.step: s for s in report.steps}
    assert steps["first_line"].mean == crm_core.BusinessDuration.from_minutes(20)
    assert steps["back_office"].mean == crm_core.BusinessDuration.from_minutes(130)
    # the chat measures of the week
    week = TimeRange(t("2026-03-02T00:00:00Z"), t("2026-03-14T00:00:00Z"))
    m = crm.service_measures(week, records.MeasureFilter(channel=Channel.CHAT))
    assert isinstance(m, records.ServiceMeasures)
    assert m.period == week and m.filter.channel is Channel.CHAT
    assert (m.contacts, m.offered, m.answered, m.abandoned) == (1, 1, 1, 0)
    assert m.average_speed_of_answer_seconds == Decimal(20)
    assert m.average_handling_time_seconds == Decimal(1200)
    assert (m.transferred_warm, m.transfer_share) == (1, Decimal(1))
    assert (m.sla.with_target, m.sla.met, m.sla.share) == (1, 1, Decimal(1))
    assert (m.csat.average, m.csat.distribution, m.nps.score) == (
        Decimal(5), [0, 0, 0, 0, 1], Decimal(100))
    roundtrips(m)
    assert crm.service_measures(week, {"channel": "phone"}).contacts == 0
    # the 360 view: gold and why, nothing open, the chat, the sentiment trend, no alerts
    view = crm.customer_360("C1", t("2026-03-10T10:00:00Z"))
    assert isinstance(view, records.Customer360)
    assert view.tier is not None and (view.tier.tier, view.tier.rule) == ("gold", "R3")
    assert view.open_processes == [] and view.alerts == []
    assert view.interactions == [chat]
    [point] = view.sentiment_trend
    assert (point.interaction, point.sentiment, point.moving_average) == (
        "CHAT-5", Decimal("0.3"), Decimal("0.3"))
    [agreement] = view.agreements
    assert agreement.agreement == "A1" and agreement.active_lines == ["L1"]
    assert agreement.lines[0].status is crm_core.LineStatus.ACTIVE
    assert {e.code for e in view.entitlements} == {"device_replacement", "support"}
    roundtrips(view)
    assert crm.customer_360_batch(["C1"], t("2026-03-10T10:00:00Z")) == [view]


def test_the_360_view_while_open_the_audit_and_accountability() -> None:
    crm = with_policies()
    record_chat(crm)
    # an outbound reminder needs consent; a complaint by phone with no process is an alert
    crm.execute(meta("2026-03-06T15:00:00Z"), commands.SetConsent(
        customer="C1", grant=records.ConsentGrant(purpose=Purpose.SERVICE, channel=Channel.PHONE,
                                                  granted=True)))
    crm.execute(meta("2026-03-06T16:00:00Z"), commands.RecordInteraction(
        interaction={"id": "CALL-6", "customer": "C1", "channel": "phone",
                     "direction": "inbound", "kind": "complaint",
                     "started_at": t("2026-03-06T16:00:00Z"), "summary": "still doubled"}))
    crm.execute(meta("2026-03-06T16:05:00Z"), commands.MakeCommitment(
        commitment=records.NewCommitment(
            id="CALLBACK-1", customer="C1", description="call back about the invoice",
            made_by=records.PartyRef("employee", employee="agent-7"),
            responsible=records.PartyRef("organisation", unit="back office"),
            due_at=t("2026-03-09T12:00:00Z"))))
    at = t("2026-03-10T10:00:00Z")
    view = crm.customer_360("C1", at)
    [open_process] = view.open_processes
    assert isinstance(open_process, records.ProcessView)
    assert open_process.definition == "complaint" and open_process.status.instance == "P-5"
    assert open_process.status.resolution is not None
    assert open_process.status.resolution.state is SlaState.BREACHED
    assert [c.id for c in view.open_commitments] == ["CALLBACK-1"]
    assert view.overdue_commitments == ["CALLBACK-1"]
    assert [i.id for i in view.interactions] == ["CALL-6", "CHAT-5"]  # newest first
    assert [p.moving_average for p in view.sentiment_trend] == [Decimal("-0.4")]
    findings = crm.audit("C1", at)
    assert findings == view.alerts
    kinds = {f.kind: f for f in findings}
    assert set(kinds) == {FindingKind.BREACHED_SLA_WITHOUT_COMPENSATION,
                          FindingKind.COMMITMENT_PAST_DUE, FindingKind.COMPLAINT_WITHOUT_PROCESS}
    breach = kinds[FindingKind.BREACHED_SLA_WITHOUT_COMPENSATION]
    assert breach.severity is Severity.CRITICAL and findings[0] == breach
    assert ("process instance", "P-5") in [(r.entity, r.id) for r in breach.ids]
    late = kinds[FindingKind.COMMITMENT_PAST_DUE]
    assert late.severity is Severity.WARNING and late.ids[0].id == "CALLBACK-1"
    assert late.what and late.contradicts
    for f in findings:
        roundtrips(f)
    # accountability: the back office owes the overdue callback
    report = crm.accountability(at)
    assert isinstance(report, records.AccountabilityReport)
    assert report.at == at and report.totals.overdue == 1
    [party] = report.parties
    assert party.responsible == records.PartyRef("organisation", unit="back office")
    assert party.counts.overdue == 1 and party.overdue_share == Decimal(1)
    [line] = party.overdue
    assert line.standing is CommitmentStanding.OVERDUE and line.commitment.id == "CALLBACK-1"
    assert line.delay_seconds == Decimal((at - t("2026-03-09T12:00:00Z")).total_seconds())
    roundtrips(report)
    # broken, it moves to the broken column
    crm.execute(meta("2026-03-10T11:00:00Z"), commands.BreakCommitment(
        commitment="CALLBACK-1", reason="nobody called"))
    after = crm.accountability(t("2026-03-10T12:00:00Z"))
    assert after.totals.broken == 1 and after.parties[0].broken[0].standing is \
        CommitmentStanding.BROKEN


def test_bad_interaction_input_is_a_typed_error_and_changes_nothing() -> None:
    crm = world()
    record = meta("2026-03-06T16:00:00Z")

    def interaction(**kw: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"id": "CALL-1", "customer": "C1", "channel": "phone",
                                "direction": "inbound", "kind": "question",
                                "started_at": t("2026-03-06T16:00:00Z"), "summary": "hello"}
        return base | kw

    def run(command: Any) -> Any:
        return lambda: crm.execute(record, command)

    crm.execute(record, commands.RecordInteraction(interaction=interaction()))
    unchanged(crm, crm_core.AlreadyExistsError,
              run(commands.RecordInteraction(interaction=interaction(summary="again"))))
    unchanged(crm, crm_core.NotFoundError,
              run(commands.RecordInteraction(interaction=interaction(id="CALL-2",
                                                                     customer="C-404"))))
    unchanged(crm, crm_core.ConsentRequiredError, run(commands.RecordInteraction(
        interaction=interaction(id="CALL-3", direction="outbound", purpose="marketing"))))
    unchanged(crm, crm_core.ValidationError, run(commands.RecordInteraction(
        interaction=interaction(id="CALL-4", answered_at=t("2026-03-06T15:00:00Z")))))
    unchanged(crm, crm_core.ValidationError, run(commands.RecordInteraction(
        interaction=interaction(id="CALL-5", sentiment=Decimal("1.5")))))
    unchanged(crm, crm_core.NotFoundError, run(commands.UpdateInteraction(
        interaction="CALL-404", update={"outcome": "abandoned"})))
    unchanged(crm, crm_core.ValidationError, run(commands.UpdateInteraction(
        interaction="CALL-1", update={"feedback": {"csat": 9}})))
    unchanged(crm, crm_core.JsonError, run(
        {"type": "update_interaction", "interaction": "CALL-1", "update": {"outcome": "lost"}}))
    # the typed records refuse what the core refuses, before any command
    with pytest.raises(crm_core.JsonError):
        records.Interaction(**interaction(channel="pigeon"))
    with pytest.raises(crm_core.JsonError):
        records.InteractionUpdate(outcome="lost")
    with pytest.raises(TypeError, match="Decimal"):
        records.Interaction(**interaction(sentiment=0.5))
    with pytest.raises(ValueError):
        records.Interaction(**interaction(started_at=datetime(2026, 3, 6, 16, 0)))
    # the queries
    at = t("2026-03-10T10:00:00Z")
    for query, error in (
        (lambda: crm.interaction("CALL-404"), crm_core.NotFoundError),
        (lambda: crm.interactions_of("C-404"), crm_core.NotFoundError),
        (lambda: crm.customer_360("C-404", at), crm_core.NotFoundError),
        (lambda: crm.customer_360_batch(["C1", "C-404"], at), crm_core.NotFoundError),
        (lambda: crm.audit("C-404", at), crm_core.NotFoundError),
        (lambda: crm.audit("C1", at.replace(tzinfo=None)), crm_core.ValidationError),
        (lambda: crm.accountability(at.replace(tzinfo=None)), crm_core.ValidationError),
        (lambda: crm.service_measures(TimeRange(at, at), {"channel": "pigeon"}),
         crm_core.JsonError),
    ):
        unchanged(crm, error, query)
    assert crm.tier_of("C1") is None and crm.interactions_of("C1")[0].id == "CALL-1"


def test_every_engine_result_is_typed_all_the_way_down() -> None:
    """Every key of every engine result is a declared field with its declared type (see
    _typed.py): a field or tag the core gains without its Python declaration fails here."""
    from datetime import date

    from _typed import typed
    from test_obligation_engine import pay, story_3

    seen: list[str] = []
    at = t("2026-03-10T10:00:00Z")
    five = story_5()
    results: list[records.Record] = [
        five.customer_360("C1", at), five.interaction("CHAT-5"),
        five.service_measures(TimeRange(t("2026-03-02T00:00:00Z"), at)),
        five.process_instance("P-5"), five.process_status("P-5", at),
        five.process_report("complaint"), five.agreement("A1"),
        five.customer_measures("C1", at), five.assign_tier("C1", at),
        five.assign_tiers(["C1", "C-404"], at), five.standing("C1", at),
        five.decide_compensation("C1", records.Complaint(
            id="X", category="callback", severity="low", commitment_broken=True), at),
        *five.entitlements_of("C1", at),
    ]
    change = five.tier_of("C1")
    assert change is not None
    results.append(change)
    five.execute(meta("2026-03-10T10:00:00Z"), commands.RegisterCalendar(
        calendar=records.BusinessCalendar(
            id="xmas", zone="Europe/Berlin",
            week={"monday": [{"start": "09:00", "end": "17:00"}]},
            holidays=[{"date": "2026-12-24", "name": "Christmas Eve",
                       "hours": [{"start": "09:00", "end": "12:00"}]}])))
    xmas = five.calendar("xmas")
    assert xmas.week.monday == [records.WorkingInterval(start="09:00", end="17:00")]
    assert xmas.week.sunday == [] and xmas.holidays[0].date == date(2026, 12, 24)
    assert xmas.holidays[0].hours[0].end == "12:00"
    results += [five.calendar("support"), xmas]
    # open work, a past-due promise, findings, accountability
    busy = with_policies()
    record_chat(busy)
    busy.execute(meta("2026-03-06T16:00:00Z"), commands.RegisterPartner(
        partner=records.Partner(id="P-1", name="Sunny Travel", kind="agent")))
    busy.execute(meta("2026-03-06T16:05:00Z"), commands.MakeCommitment(
        commitment=records.NewCommitment(
            id="CALLBACK-1", customer="C1", description="call back",
            made_by=records.PartyRef("partner", partner="P-1"),
            responsible=records.PartyRef("organisation", unit="back office"),
            due_at=t("2026-03-09T12:00:00Z"))))
    busy.execute(meta("2026-03-06T17:00:00Z"), commands.GrantCompensation(
        customer="C1", complaint=records.Complaint(id="CHAT-5", category="callback",
                                                   severity="low", commitment_broken=True)))
    results += [busy.customer_360("C1", at), *busy.audit("C1", at), busy.accountability(at),
                *busy.compensations_of("C1"), *busy.commitments_of("C1")]
    # story 3: plans, charges, the ladder, the ledger's reports
    three = story_3()
    pay(three, "PAY-1", "2026-01-10T09:00:00Z", "154.90")
    ladder_at = t("2026-05-01T08:00:00Z")
    results += [*three.payment_plans_of("C3"), three.statement("C3"),
                three.aging("C3", date(2026, 5, 1)),
                three.reconcile("C3", date(2026, 1, 1), date(2026, 3, 31), date(2026, 5, 1)),
                *three.collection_actions("C3", "standard", ladder_at),
                three.collection_policy("standard"), three.customer_360("C3", ladder_at)]
    for r in results:
        typed(r, seen=seen)
    # the events of all three engines: each event's fields declared and typed too
    [due, *_] = [a for a in three.collection_actions("C3", "standard", ladder_at)
                 if a.status.type == "due"]
    three.execute(meta("2026-05-01T08:05:00Z", actor="collections"),
                  commands.TakeCollectionAction(customer="C3", policy="standard", key=due.key))
    events = [e.event for crm in (five, busy, three) for e in crm.events()]
    assert {type(e).__name__ for e in events} >= {
        "TierChanged", "CollectionActionTaken", "InteractionRecorded", "CustomerFactsSet",
        "CollectionPolicyRegistered", "PaymentRecorded", "ChargesGenerated"}
    for e in events:
        typed(e, seen=seen)
    assert {"Customer360", "TierView", "AgreementView", "LineView", "MoneyView", "AgingReport",
            "ProcessView", "SentimentPoint", "Interaction", "Feedback", "Finding", "EntityRef",
            "ServiceMeasures", "MeasureFilter", "SlaCompliance", "CsatMeasure", "NpsMeasure",
            "AccountabilityReport", "Tally", "PartyAccountability", "CommitmentLine",
            "TierChange", "CollectionAction", "CollectionTarget", "ActionStatus",
            "CollectionPolicy", "CollectionStep", "PaymentPlan", "Periodicity", "Frequency",
            "Rate", "PriceTier", "Statement", "ChargeEntry", "Charge", "DateRange", "Scope",
            "Reconciliation", "UnpaidCharge", "ProcessInstance", "ResolvedSla", "SlaTarget",
            "SlaSource", "CustomerMeasures", "TierDecision", "TieringBatch", "TieringFailure",
            "CompensationDecision", "CompensationCap", "CapPeriod", "Offer",
            "CompensationGranted", "CustomerStanding", "EntitlementStatus", "Remaining",
            "WindowSpan", "Reason", "Commitment", "PartyRef", "PartnerScorecard",
            "BusinessCalendar", "WeeklyHours", "WorkingInterval", "Holiday"} <= set(seen)
