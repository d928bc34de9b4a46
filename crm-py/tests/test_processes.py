"""Calendars, process definitions (build, validate, Mermaid, DOT), instances, status, reports;
story 5 in Python; bad input."""

from __future__ import annotations

import pytest

import crm_core
from crm_core import SlaState, StepKind, commands, records
from _world import meta, t, world

QUEUE = records.Performer("queue", name="first_line")


def small_definition(**changes: object) -> records.ProcessDefinition:
    data: dict[str, object] = {
        "id": "callback", "name": "Call back", "version": 1,
        "interaction_kinds": ["callback_request"],
        "steps": [
            {"id": "start", "name": "Start", "action": "receive", "performer": {"type": "customer"},
             "kind": "start"},
            {"id": "call", "name": "Call", "action": "call the customer",
             "performer": {"type": "queue", "name": "first_line"}, "kind": "task"},
            {"id": "done", "name": "Done", "action": "close",
             "performer": {"type": "queue", "name": "first_line"}, "kind": "end"},
        ],
        "edges": [
            {"from": "start", "outcome": "accepted", "to": "call"},
            {"from": "call", "outcome": "reached", "to": "done"},
        ],
    }
    data.update(changes)
    return records.ProcessDefinition.from_dict(data)


def test_definitions_build_validate_and_draw() -> None:
    d = small_definition()
    assert [s.kind for s in d.steps] == [StepKind.START, StepKind.TASK, StepKind.END]
    assert d.edges[0].from_ == "start" and d.steps[1].performer == QUEUE
    assert d.to_mermaid().startswith("flowchart")
    assert "digraph" in d.to_dot()
    with pytest.raises(crm_core.InvalidDefinitionError) as bad:
        small_definition(edges=[{"from": "start", "outcome": "accepted", "to": "call"}])
    assert bad.value.problems  # "call" cannot reach an end
    crm = world()
    crm.execute(meta("2026-01-02T09:00:00Z"), commands.RegisterProcessDefinition(definition=d))
    assert crm.process_definition("callback") == d
    assert crm.classify_interaction("callback_request").id == "callback"


def test_story_5_a_chat_complaint_over_a_weekend() -> None:
    crm = world()
    assert crm.calendar("support").zone == "Europe/Berlin"
    complaint = crm.classify_interaction("complaint")
    crm.execute(meta("2026-03-06T15:30:00Z"), commands.StartProcess(start=records.StartProcess(
        instance="P-1", interaction_kind="complaint", customer="C1", agreement="A1",
        calendar="support", interaction="CHAT-77")))

    def advance(at: str, outcome: str, performer: records.Performer) -> None:
        crm.execute(meta(at), commands.AdvanceProcess(instance="P-1", outcome=outcome,
                                                      performer=performer))

    advance("2026-03-06T15:30:00Z", "accepted", records.Performer("handler", name="intake"))
    advance("2026-03-06T15:50:00Z", "transfer", QUEUE)
    monday = crm.process_status("P-1", t("2026-03-09T08:00:00Z"))
    assert monday.resolution is not None
    assert monday.resolution.used == crm_core.BusinessDuration.from_minutes(30)
    assert monday.resolution.state is SlaState.ON_TRACK
    advance("2026-03-09T12:00:00Z", "resolved", records.Performer("queue", name="back_office"))
    inst = crm.process_instance("P-1")
    assert len(inst.moves) == 3 and inst.moves[-1].at == t("2026-03-09T12:00:00Z")
    assert [m.business_time for m in inst.moves][1:] == [
        crm_core.BusinessDuration.from_minutes(20), crm_core.BusinessDuration.from_minutes(250)]
    assert crm.process_of_interaction("CHAT-77") == inst
    assert crm.process_of_interaction("CHAT-0") is None
    assert crm.processes_of("C1") == [inst]
    report = crm.process_report(complaint.id)
    assert report.instances == 1 and report.moves == 3 and report.steps
    # replay rebuilds the same instance
    assert crm_core.Crm.replay(crm.events()).process_instance("P-1") == inst


def test_bad_process_input() -> None:
    crm = world()
    crm.execute(meta("2026-03-06T15:30:00Z"), commands.StartProcess(start=records.StartProcess(
        instance="P-1", interaction_kind="complaint", customer="C1", calendar="support")))
    before = crm.state_json()
    with pytest.raises(crm_core.CrmError):
        crm.execute(meta("2026-03-06T15:31:00Z"), commands.AdvanceProcess(
            instance="P-1", outcome="no_such_outcome", performer=QUEUE))
    with pytest.raises(crm_core.NotFoundError):
        crm.execute(meta("2026-03-06T15:31:00Z"), commands.StartProcess(start=records.StartProcess(
            instance="P-2", interaction_kind="complaint", customer="C1", calendar="nowhere")))
    with pytest.raises(crm_core.NotFoundError):
        crm.process_status("P-404", t("2026-03-06T15:31:00Z"))
    with pytest.raises(crm_core.CrmError):
        crm.execute(meta("2026-01-02T09:00:00Z"), commands.RegisterCalendar(
            calendar={"id": "bad", "zone": "Mars/Olympus", "week": {}, "holidays": []}))
    assert crm.state_json() == before
