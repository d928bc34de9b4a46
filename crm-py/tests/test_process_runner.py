"""``ProcessRunner``: one process instance stepped in memory from Python, as the engine's
``AdvanceProcess`` would step it; refused moves raise typed errors and change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import crm_core
from crm_core import BusinessClock, BusinessDuration, ProcessRunner, commands, records
from _world import meta, world

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
FIRST = records.Performer("queue", name="first_line")
SECOND = records.Performer("queue", name="second_line")


def definition() -> records.ProcessDefinition:
    return records.ProcessDefinition.from_dict({
        "id": "ticket", "name": "Ticket", "version": 1, "interaction_kinds": ["ticket"],
        "steps": [
            {"id": "triage", "name": "Triage", "action": "read", "kind": "start",
             "performer": {"type": "queue", "name": "first_line"}, "sla": {"seconds": 3600}},
            {"id": "fix", "name": "Fix", "action": "fix", "kind": "task",
             "performer": {"type": "queue", "name": "second_line"}},
            {"id": "closed", "name": "Closed", "action": "close", "kind": "end",
             "performer": {"type": "queue", "name": "first_line"}},
        ],
        "edges": [
            {"from": "triage", "outcome": "escalate", "to": "fix"},
            {"from": "triage", "outcome": "refund", "to": "closed",
             "guard": {"key": "amount", "op": "le", "value": {"integer": 50}}},
            {"from": "fix", "outcome": "retry", "to": "triage"},
            {"from": "fix", "outcome": "fixed", "to": "closed"},
        ],
    })


def calendar() -> records.BusinessCalendar:
    day = [{"start": "09:00", "end": "17:00"}]
    return records.BusinessCalendar(
        id="support", zone="Europe/Berlin",
        week={d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        holidays=[])


def runner() -> ProcessRunner:
    return ProcessRunner(definition(), calendar(), "P-1", "C1", T0)


def test_a_ticket_moves_and_records_its_moves() -> None:
    r = runner()
    assert r.step == "triage" and not r.ended and r.move_count == 0
    assert sorted(r.available_outcomes()) == ["escalate", "refund"]
    assert r.advance("escalate", T0 + timedelta(minutes=30), FIRST) == "fix"
    assert r.advance("retry", T0 + timedelta(hours=1), SECOND) == "triage"
    # a dict performer and data for the guard
    assert r.advance("refund", T0 + timedelta(hours=2), {"type": "queue", "name": "first_line"},
                     data={"amount": {"integer": 20}}) == "closed"
    assert r.ended and r.step == "closed" and r.move_count == 3
    assert r.available_outcomes() == []
    history = r.history()
    assert [(m["from"], m["to"], m["outcome"]) for m in history] == [
        ("triage", "fix", "escalate"), ("fix", "triage", "retry"), ("triage", "closed", "refund")]
    inst = r.instance()
    assert isinstance(inst, records.ProcessInstance) and len(inst.moves) == 3
    assert inst.moves[0].business_time == BusinessDuration.from_minutes(30)
    assert inst.moves[2].at == T0 + timedelta(hours=2)
    assert "P-1" in repr(r)


def test_the_step_clock_runs_on_the_calendar() -> None:
    # the runner takes a BusinessClock too; the triage SLA of 1 h runs in business time
    r = ProcessRunner(definition(), BusinessClock(calendar()), "P-2", "C1",
                      datetime(2026, 3, 6, 15, 30, tzinfo=UTC))  # Friday 16:30 in Berlin
    status = r.status(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    assert status.step == "triage"
    assert status.step_sla is not None
    assert status.step_sla.deadline == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)


def test_matches_the_engine() -> None:
    # the engine's AdvanceProcess records the same moves
    crm = world()
    crm.execute(meta("2026-03-01T09:00:00Z"),
                commands.RegisterProcessDefinition(definition=definition()))
    crm.execute(meta(T0.isoformat()), commands.StartProcess(start=records.StartProcess(
        instance="P-9", definition="ticket", customer="C1", calendar="support")))
    r = ProcessRunner(definition(), crm.calendar("support"), "P-9", "C1", T0)
    for k, (outcome, who) in enumerate([("escalate", FIRST), ("retry", SECOND),
                                         ("escalate", FIRST), ("fixed", SECOND)]):
        at = T0 + timedelta(hours=5 * (k + 1))
        crm.execute(meta(at.isoformat()), commands.AdvanceProcess(
            instance="P-9", outcome=outcome, performer=who))
        r.advance(outcome, at, who)
    engine_moves = crm.process_instance("P-9").moves
    assert [(m.from_, m.to, m.at, m.business_time) for m in r.instance().moves] == [
        (m.from_, m.to, m.at, m.business_time) for m in engine_moves]


def test_refused_moves_raise_and_change_nothing() -> None:
    r = runner()
    r.advance("escalate", T0 + timedelta(minutes=30), FIRST)
    before = r.instance()
    with pytest.raises(crm_core.InvalidTransitionError):
        r.advance("refund", T0 + timedelta(hours=1), SECOND)  # not an outcome of "fix"
    with pytest.raises(ValueError):
        r.advance("fixed", datetime(2026, 3, 2, 11, 0), SECOND)  # naive
    with pytest.raises(crm_core.ValidationError):
        r.advance("fixed", T0 + timedelta(hours=1), FIRST)  # not the step's performer
    with pytest.raises(crm_core.ValidationError):
        r.advance("fixed", T0, SECOND)  # before the last move
    with pytest.raises(crm_core.JsonError):
        r.advance("fixed", T0 + timedelta(hours=1), {"type": "robot"})
    with pytest.raises(TypeError):
        r.advance("fixed", "tomorrow", SECOND)  # type: ignore[arg-type]
    assert r.instance() == before and r.step == "fix" and r.move_count == 1
    r2 = runner()
    with pytest.raises(crm_core.InvalidTransitionError):  # the guard is false
        r2.advance("refund", T0 + timedelta(hours=1), FIRST, data={"amount": {"integer": 80}})
    with pytest.raises(crm_core.NotFoundError):  # the guard's key is missing
        r2.advance("refund", T0 + timedelta(hours=1), FIRST)
    assert r2.move_count == 0
    r2.advance("escalate", T0 + timedelta(hours=1), FIRST)
    r2.advance("fixed", T0 + timedelta(hours=2), SECOND)
    with pytest.raises(crm_core.InvalidTransitionError):  # ended
        r2.advance("retry", T0 + timedelta(hours=3), SECOND)


def test_bad_construction_is_a_typed_error() -> None:
    with pytest.raises(crm_core.ValidationError):
        ProcessRunner(definition(), calendar(), "P-1", "C1", datetime(2026, 3, 2, 9, 0))
    with pytest.raises(crm_core.CrmError):
        ProcessRunner(definition(), calendar(), "", "C1", T0)  # an empty id
    with pytest.raises(crm_core.CrmError):
        ProcessRunner({"id": "x"}, calendar(), "P-1", "C1", T0)
    with pytest.raises(crm_core.NotFoundError):  # an SLA override for an unknown step
        ProcessRunner(definition(), calendar(), "P-1", "C1", T0,
                      sla={"steps": {"nowhere": {"target": {"seconds": 60},
                                                 "source": {"type": "host", "reason": "x"}}}})
