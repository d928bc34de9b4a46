"""Forgetting a customer (docs/privacy.md) on an engine over a SQLite file: the personal data
leaves the state, the log and the file; the money, the rights and the dates stay. The scenario
is the cross-language fixture tests/fixtures/forget_customer.json."""

from __future__ import annotations

import json
import pathlib
from datetime import date
from typing import Any

import pytest

import crm_core
from crm_core import Crm, commands, events
from _world import meta, t

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "forget_customer.json"


def fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def set_up(path: pathlib.Path) -> Crm:
    crm = Crm.open(str(path))
    for command in fixture()["setup"]:
        crm.execute_json(json.dumps(command))
    return crm


def leaks(text: str) -> list[str]:
    lower = text.lower()
    return [s for s in fixture()["erased"] if s.lower() in lower]


def file_leaks(path: pathlib.Path) -> list[str]:
    data = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    return leaks(data.decode("utf-8", errors="replace"))


def answers(crm: Crm) -> dict[str, Any]:
    at = t("2026-04-02T00:00:00Z")
    agreement = crm.agreement("AG-7")
    return {
        "balance": crm.balance("C-7"),
        "statement": crm.statement("C-7").to_json(),
        "aging": crm.aging("C-7", date(2026, 4, 2)).to_json(),
        "check": crm.check_entitlement(
            {"customer": "C-7", "code": "device_replacement", "channel": "branch"}, at
        ).to_json(),
        "lines": [line.to_json() for line in agreement.lines],
        "plans": [plan.to_json() for plan in crm.payment_plans_of("C-7")],
        "commitments": [(c.id, c.state, c.due_at, c.closed_at) for c in crm.commitments_of("C-7")],
        "consents": [c.to_json() for c in crm.customer("C-7").consents],
    }


def test_forgetting_erases_personal_data_from_the_file_and_keeps_the_record(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "crm.sqlite"
    crm = set_up(path)
    assert file_leaks(path) == fixture()["erased"]  # so the checks below can fail
    before = answers(crm)
    log_before = crm.events()

    [event] = crm.execute(
        meta("2026-04-01T09:00:00Z", actor="privacy-office"),
        commands.ForgetCustomer(customer="C-7"),
    )
    assert isinstance(event.event, events.CustomerForgotten)
    assert event.event.customer == "C-7"
    assert json.loads(event.to_json())["event"] == {"type": "customer_forgotten", "customer": "C-7"}

    customer = crm.customer("C-7")
    assert customer.name == "<forgotten>"
    assert customer.contact_points == []
    assert leaks(crm.state_json()) == []
    assert leaks(crm.events_json()) == []
    assert answers(crm) == before
    log_after = crm.events()
    assert len(log_after) == len(log_before) + 1
    for old, new in zip(log_before, log_after):
        assert (old.seq, old.stream, old.stream_version, old.at, old.actor) == (
            new.seq, new.stream, new.stream_version, new.at, new.actor)
        assert old.event.type == new.event.type
    state = crm.state_json()
    del crm

    assert file_leaks(path) == []
    again = Crm.open(str(path))
    assert again.state_json() == state
    assert answers(again) == before
    assert Crm.replay(again.events()).state_json() == state


def test_forgetting_an_unknown_customer_is_not_found_and_changes_nothing(
    tmp_path: pathlib.Path,
) -> None:
    crm = set_up(tmp_path / "crm.sqlite")
    state, log = crm.state_json(), crm.events_json()
    with pytest.raises(crm_core.NotFoundError):
        crm.execute(meta("2026-04-01T09:00:00Z"), commands.ForgetCustomer(customer="C-404"))
    assert crm.state_json() == state
    assert crm.events_json() == log


def test_forgetting_twice_is_harmless_and_the_same_key_returns_the_first_result(
    tmp_path: pathlib.Path,
) -> None:
    crm = set_up(tmp_path / "crm.sqlite")
    forget = json.dumps(fixture()["forget"])
    first = crm.execute_json(forget)
    assert crm.execute_json(forget) == first
    customers = crm.customer("C-7")
    [again] = crm.execute(meta("2026-05-01T09:00:00Z"), {"type": "forget_customer", "customer": "C-7"})
    assert again.event.type == "customer_forgotten"
    assert crm.customer("C-7") == customers
