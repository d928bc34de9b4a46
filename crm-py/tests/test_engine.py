"""The engine handle: JSON and typed commands, events, replay, idempotency, versions, errors,
records (repr, equality, dict, JSON, pickle, process pools) and threads."""

from __future__ import annotations

import json
import pathlib
import multiprocessing
import pickle
import threading
from datetime import datetime
from decimal import Decimal

import pytest

import crm_core
from crm_core import Channel, Crm, Event, Meta, commands, events, records
from _world import meta, t, tags, world


def test_json_in_json_out() -> None:
    crm = Crm()
    out = crm.execute_json(json.dumps({
        "meta": {"at": "2026-03-02T09:00:00Z", "actor": "erp", "idempotency_key": "req-1"},
        "command": {"type": "register_customer", "customer": {"id": "C-1", "name": "Ada"}},
    }))
    [event] = json.loads(out)
    assert event["seq"] == 1 and event["stream"] == "customer/C-1"
    assert event["event"]["type"] == "customer_registered"
    assert json.loads(crm.events_json()) == [event]


def test_typed_command_returns_typed_events() -> None:
    crm = Crm()
    customer = records.Customer(
        id="C-1", name="Ada",
        contact_points=[records.ContactPoint(channel=Channel.EMAIL, address="ada@example.org")],
    )
    [e] = crm.execute(meta("2026-03-02T09:00:00Z"), commands.RegisterCustomer(customer=customer))
    assert isinstance(e, Event)
    assert (e.seq, e.stream, e.stream_version, e.actor) == (1, "customer/C-1", 1, "clerk-1")
    assert e.at == t("2026-03-02T09:00:00Z") and e.at.tzinfo is not None
    assert e.idempotency_key is None
    assert isinstance(e.event, events.CustomerRegistered)
    assert e.event.type == "customer_registered"
    assert e.event.customer == customer
    assert e.event.customer.contact_points[0].channel is Channel.EMAIL
    assert crm.customer("C-1") == customer
    # a plain dict in the JSON contract's shape works as well
    crm.execute({"at": t("2026-03-02T09:01:00Z"), "actor": "erp"},
                {"type": "register_customer", "customer": {"id": "C-2", "name": "Bob"}})
    assert crm.customer("C-2").name == "Bob"


def test_replay_rebuilds_the_same_state() -> None:
    crm = world()
    evs = crm.events()
    again = Crm.replay(evs)
    assert again.state_json() == crm.state_json()
    assert again.events() == evs
    # from JSON data too (what a host stored)
    assert Crm.replay(json.loads(crm.events_json())).state_json() == crm.state_json()


def test_idempotency_and_expected_versions() -> None:
    crm = world()
    cmd = commands.KeepCommitment(commitment="nope")
    with pytest.raises(crm_core.NotFoundError):
        crm.execute(meta("2026-01-02T09:00:00Z", idempotency_key="k-0"), cmd)
    note = commands.AmendAgreement(agreement="A1", reason="note",
                                   changes=[records.AmendmentChange("set_note", note="VIP")])
    first = crm.execute(meta("2026-01-02T09:00:00Z", idempotency_key="k-1"), note)
    again = crm.execute(meta("2026-01-02T10:00:00Z", idempotency_key="k-1"), note)
    assert first == again and len(crm.events()) == first[0].seq
    other = commands.AmendAgreement(agreement="A1", reason="other",
                                    changes=[records.AmendmentChange("set_note", note="x")])
    with pytest.raises(crm_core.IdempotencyConflictError) as conflict:
        crm.execute(meta("2026-01-02T10:00:00Z", idempotency_key="k-1"), other)
    assert conflict.value.key == "k-1"
    version = first[0].stream_version
    with pytest.raises(crm_core.VersionConflictError) as stale:
        crm.execute(meta("2026-01-02T11:00:00Z", expected_version=version - 1), other)
    assert (stale.value.stream, stale.value.expected, stale.value.actual) == (
        "agreement/A1", version - 1, version)
    assert isinstance(stale.value, crm_core.ConflictError)
    crm.execute(meta("2026-01-02T11:00:00Z", expected_version=version), other)


def test_bad_input_is_a_typed_error_and_changes_nothing() -> None:
    crm = world()
    before = crm.state_json()
    naive = datetime(2026, 1, 2, 9, 0)
    with pytest.raises(crm_core.ValidationError) as e:
        crm.execute({"at": naive, "actor": "x"}, commands.KeepCommitment(commitment="c"))
    assert e.value.field == "at"
    with pytest.raises(TypeError, match="Decimal"):
        records.EntitlementRequest(customer="C1", code="x", channel=Channel.WEB, quantity=1.5)
    with pytest.raises(crm_core.JsonError):
        crm.execute(meta("2026-01-02T09:00:00Z"), {"type": "launch_rocket"})
    with pytest.raises(crm_core.JsonError):
        crm.execute_json("{not json")
    # decoding data is the core's serde: a refused id inside a record is a JsonError naming it
    with pytest.raises(crm_core.JsonError, match="customer_id"):
        records.Customer(id=" bad", name="x")
    with pytest.raises(crm_core.JsonError):
        records.Customer(id="C-9", name="x", shoe_size=44)
    with pytest.raises(crm_core.AlreadyExistsError) as dup:
        crm.execute(meta("2026-01-02T09:00:00Z"),
                    commands.RegisterCustomer(customer=records.Customer(id="C1", name="again")))
    assert (dup.value.entity, dup.value.id) == ("customer", "C1")
    with pytest.raises(crm_core.NotFoundError):
        crm.customer("C-404")
    with pytest.raises(TypeError):
        crm.execute(meta("2026-01-02T09:00:00Z"), {"type": "keep_commitment", "commitment": object()})
    assert crm.state_json() == before


def test_records_repr_equality_dict_json() -> None:
    c = records.Consent(channel=Channel.BRANCH, at=t("2026-01-01T10:00:00Z"))
    assert repr(c) == ("Consent(channel=<Channel.BRANCH: 'branch'>, "
                       "at=datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.timezone.utc))")
    assert c == records.Consent.from_json(c.to_json())
    assert hash(c) == hash(records.Consent.from_json(c.to_json()))
    assert c.to_dict() == {"channel": Channel.BRANCH, "at": t("2026-01-01T10:00:00Z")}
    assert json.loads(c.to_json()) == {"channel": "branch", "at": "2026-01-01T10:00:00Z"}
    with pytest.raises(AttributeError):
        c.channel = Channel.WEB
    req = records.EntitlementRequest(customer="C1", code="x", channel="web",
                                     quantity=Decimal("2"), amount=None)
    assert req.quantity == Decimal("2") and req.agreement is None and req.channel is Channel.WEB
    assert req.get("quantity") == Decimal("2") and "agreement" not in req.fields()


def test_records_and_events_pickle_and_cross_a_process_pool() -> None:
    crm = world()
    evs = crm.events()
    agreement = crm.agreement("A1")
    for value in [*evs, agreement, crm.customer("C1")]:
        assert pickle.loads(pickle.dumps(value)) == value
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        back = pool.map(_identity, [agreement, *evs])
    assert back == [agreement, *evs]


def _identity(x: object) -> object:
    return x


def test_one_engine_from_several_threads() -> None:
    crm = world()
    errors: list[BaseException] = []

    def register(n: int) -> None:
        try:
            for i in range(20):
                crm.execute(meta("2026-01-03T09:00:00Z"), commands.RegisterCustomer(
                    customer=records.Customer(id=f"T{n}-{i}", name="thread")))
                crm.customer(f"T{n}-{i}")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    evs = crm.events()
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert tags(evs).count("customer_registered") == 81
    assert Crm.replay(evs).state_json() == crm.state_json()


def test_every_new_enum_member_is_a_core_value() -> None:
    from crm_core import _crm_core
    for cls in (crm_core.Channel, crm_core.Purpose, crm_core.PartnerKind,
                crm_core.CommitmentState, crm_core.DecisionOutcome, crm_core.StepKind,
                crm_core.SlaState, crm_core.Direction, crm_core.InteractionOutcome,
                crm_core.Severity, crm_core.FindingKind, crm_core.CollectionStepKind,
                crm_core.CommitmentStanding):
        for member in cls:
            assert _crm_core._check_record(cls.__name__, member) == member.value


def test_the_examples_run() -> None:
    import pathlib
    import subprocess
    import sys

    examples = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
    out = subprocess.run([sys.executable, str(examples / "engine.py")], check=True,
                         capture_output=True, text=True).stdout
    assert out.startswith("granted, 1 remaining after this one")
    assert "replay rebuilds the same state" in out


def test_every_core_command_and_event_has_its_python_class() -> None:
    from crm_core import _crm_core

    command_tags = set(_crm_core._variant_tags("Command"))
    event_tags = set(_crm_core._variant_tags("Event"))
    assert "register_customer" in command_tags and "customer_registered" in event_tags
    assert set(commands.Command._cases) == command_tags
    assert set(events.EventData._cases) == event_tags


def test_an_engine_over_a_sqlite_file_survives_closing(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "events.sqlite")
    crm = Crm.open(path)
    crm.execute(meta("2026-03-02T09:00:00Z"),
                commands.RegisterCustomer(customer=records.Customer(id="C-9", name="Ada")))
    state = crm.state_json()
    del crm
    again = Crm.open(path)
    assert again.customer("C-9").name == "Ada"
    assert again.state_json() == state
    assert len(again.events()) == 1


def test_a_store_that_cannot_be_opened_is_a_storage_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(crm_core.StorageError):
        Crm.open(str(tmp_path))  # a directory, not a file
