"""Process advance from Python (issue #10 item 3).

The 5-step cycle of crm-core/benches/process_advance.rs: steps s0 (start) .. s4, each with a
1 h SLA and performed by queue ``q<i>``, edges ``next`` s<i> -> s<i+1 mod 5> and ``finish``
s4 -> end. One move is one ``next`` with its instant (7 minutes after the previous one) and
its performer, recorded.

- ours: ``ProcessRunner.advance(outcome, at, performer)``, an instance run in memory on a
  Mon-Fri 09:00-17:00 Europe/Berlin calendar: the core's ``ProcessInstance::advance`` checks
  the move, measures the business time spent in the step and records the move, as the Rust
  bench times it. A new runner is started every 4,096 moves, as the Rust bench resets its
  instance.
- ours through the engine (an extra row): ``Crm.execute(meta, AdvanceProcess(...))``: the
  command is validated, the move recorded as an event, appended to the in-memory store and
  applied.
- transitions: a ``Machine`` with the same states and transitions, the move recorded by an
  ``after_state_change`` callback (source, destination, instant, performer).
- python-statemachine: a ``StateMachine`` with the same states and transitions, the move
  recorded in ``after_transition``.

The peers record the move but compute no business time. Before timing, the four sides make
the same 23 moves from s0 and must record the same steps, and ours (both) the same instants.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone
from importlib.metadata import version

from crm_core import BusinessClock, Crm, Meta, ProcessRunner, commands, records
from statemachine import State, StateMachine
from transitions import Machine

from harness import Summary, check, interleaved, pick

UTC = timezone.utc
STEPS = [f"s{i}" for i in range(5)]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVERY = timedelta(minutes=7)
RESET = 4096


def cycle_definition() -> records.ProcessDefinition:
    """The 5-step cycle as a ``crm_core`` process definition."""
    steps: list[dict[str, object]] = [
        {"id": s, "name": s.upper(), "action": "work",
         "performer": {"type": "queue", "name": f"q{i}"},
         "kind": "start" if i == 0 else "task", "sla": {"seconds": 3600}}
        for i, s in enumerate(STEPS)
    ]
    steps.append({"id": "end", "name": "End", "action": "done",
                  "performer": {"type": "queue", "name": "q0"}, "kind": "end"})
    edges: list[dict[str, object]] = [
        {"from": s, "outcome": "next", "to": STEPS[(i + 1) % 5]} for i, s in enumerate(STEPS)
    ]
    edges.append({"from": "s4", "outcome": "finish", "to": "end"})
    return records.ProcessDefinition.from_dict({
        "id": "cycle", "name": "Cycle", "version": 1, "interaction_kinds": ["cycle"],
        "steps": steps, "edges": edges,
    })


def berlin_calendar(holidays: list[dict[str, str]] | None = None) -> records.BusinessCalendar:
    """Mon-Fri 09:00-17:00 in Europe/Berlin."""
    day = [{"start": "09:00", "end": "17:00"}]
    return records.BusinessCalendar(
        id="cal", zone="Europe/Berlin",
        week={d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        holidays=holidays or [])


def engine() -> Crm:
    """An engine with customer C1, the Berlin calendar and the cycle definition."""
    crm = Crm()
    meta = Meta(at=T0 - timedelta(days=1), actor="bench")
    crm.execute(meta, commands.RegisterCustomer(
        customer=records.Customer(id="C1", name="Customer C1")))
    crm.execute(meta, commands.RegisterCalendar(calendar=berlin_calendar()))
    crm.execute(meta, commands.RegisterProcessDefinition(definition=cycle_definition()))
    return crm


class Ours:
    """Our side: commands prepared ahead (a host builds them as its events come in; their
    construction is not what is compared), one ``execute`` per move."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm
        self.performers = [records.Performer("queue", name=f"q{i}") for i in range(5)]
        self.instances = 0
        self.queue: list[tuple[Meta, commands.AdvanceProcess]] = []

    def start(self) -> str:
        """Starts a new instance at T0 and prepares its RESET moves."""
        self.instances += 1
        instance = f"I{self.instances}"
        self.crm.execute(Meta(at=T0, actor="bench"), commands.StartProcess(
            start=records.StartProcess(instance=instance, definition="cycle", customer="C1",
                                       calendar="cal")))
        self.queue = [
            (Meta(at=T0 + EVERY * (k + 1), actor="bench"),
             commands.AdvanceProcess(instance=instance, outcome="next",
                                     performer=self.performers[k % 5]))
            for k in range(RESET)
        ]
        self.queue.reverse()
        return instance

    def advance(self, n: int) -> None:
        execute = self.crm.execute
        queue = self.queue
        for _ in range(n):
            if not queue:
                self.start()
                queue = self.queue
            meta, command = queue.pop()
            execute(meta, command)


class Runner:
    """Our side in memory: one ``ProcessRunner``, a new one every RESET moves."""

    def __init__(self) -> None:
        self.definition = cycle_definition()
        self.clock = BusinessClock(berlin_calendar())
        self.performers = [records.Performer("queue", name=f"q{i}") for i in range(5)]
        self.instances = 0
        self.runner = self.start()
        self.k = 0

    def start(self) -> ProcessRunner:
        self.instances += 1
        return ProcessRunner(self.definition, self.clock, f"I{self.instances}", "C1", T0)

    def advance(self, n: int) -> None:
        runner, k = self.runner, self.k
        performers = self.performers
        for _ in range(n):
            if k == RESET:
                runner, k = self.start(), 0
            k += 1
            runner.advance("next", T0 + EVERY * k, performers[(k - 1) % 5])
        self.runner, self.k = runner, k


class TransitionsModel:
    """The model a ``transitions`` machine drives, with its recorded moves."""

    def __init__(self) -> None:
        self.moves: list[tuple[str, str, datetime, str]] = []

    def record(self, event: object) -> None:
        tr = event.transition  # type: ignore[attr-defined]
        kw = event.kwargs  # type: ignore[attr-defined]
        self.moves.append((tr.source, tr.dest, kw["at"], kw["performer"]))


def transitions_machine() -> TransitionsModel:
    model = TransitionsModel()
    moves = [{"trigger": "next", "source": s, "dest": STEPS[(i + 1) % 5]}
             for i, s in enumerate(STEPS)]
    moves.append({"trigger": "finish", "source": "s4", "dest": "end"})
    Machine(model=model, states=STEPS + ["end"], transitions=moves, initial="s0",
            send_event=True, after_state_change="record", auto_transitions=False)
    return model


class Cycle(StateMachine):
    """The cycle as a python-statemachine machine, recording its moves."""

    s0 = State(initial=True)
    s1 = State()
    s2 = State()
    s3 = State()
    s4 = State()
    end = State(final=True)
    next = s0.to(s1) | s1.to(s2) | s2.to(s3) | s3.to(s4) | s4.to(s0)
    finish = s4.to(end)

    def __init__(self) -> None:
        self.moves: list[tuple[str, str, datetime, str]] = []
        super().__init__()

    def after_transition(self, source: State, target: State, at: datetime,
                         performer: str) -> None:
        self.moves.append((source.id, target.id, at, performer))


def run() -> None:
    """Checks the three sides make the same moves, then times one move on each."""
    warnings.simplefilter("ignore", DeprecationWarning)
    # Same moves first: 23 moves from s0 (4 times round the cycle, and 3 more).
    moves = 23
    crm = engine()
    ours = Ours(crm)
    instance = ours.start()
    ours.advance(moves)
    inst = crm.process_instance(instance)
    steps = [s.id for s in crm.process_definition("cycle").steps]
    ours_moves = [(steps[m.from_], steps[m.to], m.at) for m in inst.moves]
    tr = transitions_machine()
    sm = Cycle()
    for k in range(moves):
        at = T0 + EVERY * (k + 1)
        tr.next(at=at, performer=f"q{k % 5}")  # type: ignore[attr-defined]
        sm.send("next", at=at, performer=f"q{k % 5}")
    tr_moves = [(a, b, at) for a, b, at, _ in tr.moves]
    sm_moves = [(a, b, at) for a, b, at, _ in sm.moves]
    expected = [(STEPS[k % 5], STEPS[(k + 1) % 5], T0 + EVERY * (k + 1)) for k in range(moves)]
    check(ours_moves == expected, f"ours moved {ours_moves[:6]}...")
    check(tr_moves == expected, f"transitions moved {tr_moves[:6]}...")
    check(sm_moves == expected, f"python-statemachine moved {sm_moves[:6]}...")
    check(steps[inst.current] == STEPS[moves % 5], "ours ends on the wrong step")
    runner = Runner()
    runner.advance(moves)
    run_moves = [(steps[m.from_], steps[m.to], m.at) for m in runner.runner.instance().moves]
    check(run_moves == expected, f"ours (ProcessRunner) moved {run_moves[:6]}...")
    check([(m.from_, m.to, m.at, m.business_time) for m in runner.runner.instance().moves]
          == [(m.from_, m.to, m.at, m.business_time) for m in inst.moves],
          "ProcessRunner and the engine record different moves")
    check(getattr(tr, "state") == STEPS[moves % 5], "transitions ends on the wrong step")

    # Timing: fresh machines; the peers keep recording, a peer's move list is reset with
    # its machine every RESET moves, like ours.
    runner_side = Runner()
    engine_side = Ours(engine())
    engine_side.start()
    state = {"tr": transitions_machine(), "sm": Cycle(), "k_tr": 0, "k_sm": 0}
    performers = [f"q{i}" for i in range(5)]

    def transitions_side(n: int) -> None:
        m = state["tr"]
        k = state["k_tr"]
        for _ in range(n):
            if k == RESET:
                m, k = transitions_machine(), 0
            k += 1
            m.next(at=T0 + EVERY * k, performer=performers[k % 5])  # type: ignore[union-attr]
        state["tr"], state["k_tr"] = m, k

    def statemachine_side(n: int) -> None:
        m = state["sm"]
        k = state["k_sm"]
        for _ in range(n):
            if k == RESET:
                m, k = Cycle(), 0
            k += 1
            m.send("next", at=T0 + EVERY * k, performer=performers[k % 5])  # type: ignore[union-attr]
        state["sm"], state["k_sm"] = m, k

    n = pick(2_000, 20)
    ours_ns, tr_ns, sm_ns, engine_ns = interleaved(
        pick(11, 2), n, [runner_side.advance, transitions_side, statemachine_side, engine_side.advance])
    Summary("py_process_advance_vs_transitions",
            "one advance around the 5-step cycle from Python (ProcessRunner.advance: the move "
            "checked and recorded, business time on the Berlin calendar)",
            ours_ns, f"transitions {version('transitions')}", tr_ns, "ns/op", tr_ns / ours_ns,
            ">= 10x faster", tr_ns / ours_ns >= 10).print()
    Summary("py_process_advance_vs_python_statemachine",
            "the same against python-statemachine",
            ours_ns, f"python-statemachine {version('python-statemachine')}", sm_ns, "ns/op",
            sm_ns / ours_ns, "(for information)", True).print()
    Summary("py_process_advance_engine_vs_transitions",
            "the same move through the engine (Crm.execute AdvanceProcess: recorded as an "
            "event in the log)",
            engine_ns, f"transitions {version('transitions')}", tr_ns, "ns/op",
            tr_ns / engine_ns, "(for information)", True).print()
