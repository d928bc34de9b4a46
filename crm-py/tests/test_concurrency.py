"""One engine over a SQLite file shared by many Python threads (``threading`` and
``concurrent.futures``): writers that read a stream's version and write expecting it race; the
losers get ``VersionConflictError`` (a ``ConflictError``), never a lost update; retried, every
acknowledged command is recorded exactly once, and the file reopened replays to the same
state."""

from __future__ import annotations

import pathlib
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

import crm_core
from crm_core import Crm, Money, commands, events, records
from _world import meta, t

THREADS = 8
LEDGER = "ledger/C1"


def payment_of(pid: str) -> commands.RecordPayment:
    return commands.RecordPayment(payment=records.Payment(
        id=pid, customer_id="C1", received_at=t("2026-02-01T09:00:00Z"),
        amount=Money(Decimal("1.00"), "EUR"), method="card", reference=pid))


def opened(path: pathlib.Path) -> Crm:
    crm = Crm.open(str(path))
    crm.execute(meta("2026-01-01T09:00:00Z"), commands.RegisterCustomer(
        customer=records.Customer(id="C1", name="Customer C1")))
    return crm


def test_racing_writers_get_conflicts_not_lost_updates(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "crm.sqlite"
    crm = opened(path)
    rounds = 12
    barrier = threading.Barrier(THREADS)
    results: list[list[str]] = [[] for _ in range(THREADS)]

    def writer(n: int) -> None:
        for r in range(rounds):
            seen = crm.stream_version(LEDGER)
            barrier.wait()  # every thread has read the same version before anyone writes
            try:
                evs = crm.execute(meta("2026-02-01T09:00:00Z", actor=f"till-{n}",
                                       expected_version=seen), payment_of(f"PAY-{r}-{n}"))
                assert [e.stream_version for e in evs] == [seen + 1]
                results[n].append("ok")
            except crm_core.ConflictError as e:
                assert isinstance(e, crm_core.VersionConflictError)
                assert (e.stream, e.expected, e.actual) == (LEDGER, seen, seen + 1)
                results[n].append("conflict")
            barrier.wait()  # the round is over before anyone reads again

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    outcomes = [x for r in results for x in r]
    # each round exactly one writer wins; the others are told, nothing is overwritten
    assert outcomes.count("ok") == rounds
    assert outcomes.count("conflict") == rounds * (THREADS - 1)
    assert crm.stream_version(LEDGER) == rounds
    assert crm.balance("C1") == Money(Decimal(-rounds), "EUR")  # credit balance: all of them
    evs = crm.events()
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert [e.stream_version for e in evs if e.stream == LEDGER] == list(range(1, rounds + 1))
    state = crm.state_json()
    del crm
    again = Crm.open(str(path))
    assert again.state_json() == state
    assert Crm.replay(again.events()).state_json() == state


def test_retries_on_conflict_lose_nothing(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "crm.sqlite"
    crm = opened(path)
    per_thread = 15
    conflicts = [0] * THREADS

    def writer(n: int) -> int:
        acknowledged = 0
        for i in range(per_thread):
            while True:
                seen = crm.stream_version(LEDGER)
                try:
                    crm.execute(meta("2026-02-01T09:00:00Z", actor=f"till-{n}",
                                     expected_version=seen), payment_of(f"PAY-{n}-{i}"))
                except crm_core.VersionConflictError:
                    conflicts[n] += 1
                    continue
                acknowledged += 1
                break
        return acknowledged

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        acknowledged = sum(pool.map(writer, range(THREADS)))
    assert acknowledged == THREADS * per_thread
    # the totals equal the acknowledged commands: nothing lost, nothing twice
    assert crm.balance("C1") == Money(Decimal(-acknowledged), "EUR")
    assert crm.stream_version(LEDGER) == acknowledged
    payments = [e.event for e in crm.events() if isinstance(e.event, events.PaymentRecorded)]
    assert sorted(p.payment.id for p in payments) == sorted(
        f"PAY-{n}-{i}" for n in range(THREADS) for i in range(per_thread))
    state = crm.state_json()
    del crm
    again = Crm.open(str(path))
    assert again.state_json() == state
    assert Crm.replay(again.events()).state_json() == state
    assert again.balance("C1") == Money(Decimal(-acknowledged), "EUR")


def test_the_same_command_from_many_threads_is_recorded_once(tmp_path: pathlib.Path) -> None:
    crm = opened(tmp_path / "crm.sqlite")
    command = payment_of("PAY-ONCE")

    def send(_: int) -> list[int]:
        evs = crm.execute(meta("2026-02-01T09:00:00Z", idempotency_key="pay-once"), command)
        return [e.seq for e in evs]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(send, range(THREADS * 4)))
    assert len({tuple(a) for a in answers}) == 1  # every caller sees the one recording
    assert crm.balance("C1") == Money(Decimal("-1.00"), "EUR")
    # the key reused for another command is a conflict, and changes nothing
    before = crm.state_json()
    with pytest.raises(crm_core.IdempotencyConflictError):
        crm.execute(meta("2026-02-01T09:00:00Z", idempotency_key="pay-once"),
                    payment_of("PAY-OTHER"))
    assert crm.state_json() == before
