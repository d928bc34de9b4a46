"""Timing and reporting shared by the Python benchmarks (the Python twin of
crm-core/benches/support/mod.rs).

Each side of a comparison is a function ``side(n)`` that performs ``n`` operations (cycling
over its prepared inputs). :func:`interleaved` runs the sides in turn, round after round, so
that both see the same machine load, and returns each side's median nanoseconds per
operation. :func:`summary` prints the readable line and the tab-separated ``BENCH`` line that
bench/run.sh collects into docs/performance.md, in the same format as the Rust benches.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable, Sequence

Side = Callable[[int], object]

#: Set by run.py: False for ``--smoke`` (small inputs, a few iterations, no targets).
FULL = True


def pick(full_value: int, smoke_value: int) -> int:
    """``full_value`` in a full run, ``smoke_value`` in the smoke run."""
    return full_value if FULL else smoke_value


def ns_per_op(n: int, side: Side) -> float:
    """Nanoseconds per operation of ``side`` doing ``n`` operations in a row."""
    start = time.perf_counter_ns()
    side(n)
    return (time.perf_counter_ns() - start) / n


def interleaved(rounds: int, n: int, sides: Sequence[Side]) -> list[float]:
    """Runs ``rounds`` rounds of ``n`` operations of every side in turn (after one uncounted
    warm-up round of ``n / 4``) and returns each side's median nanoseconds per operation."""
    for side in sides:
        ns_per_op(max(1, n // 4), side)
    samples: list[list[float]] = [[] for _ in sides]
    for _ in range(rounds):
        for side, s in zip(sides, samples):
            s.append(ns_per_op(n, side))
    return [statistics.median(s) for s in samples]


def fmt(v: float | None) -> str:
    """Three significant digits, as the Rust benches print them; ``-`` for no figure."""
    if v is None or v != v or v in (float("inf"), float("-inf")):
        return "-"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


@dataclass
class Summary:
    """One result line: our figure, the peer's, the ratio and the target."""

    id: str
    what: str
    ours: float
    peer_name: str | None
    peer: float | None
    unit: str
    ratio: float | None
    target: str
    met: bool

    def print(self) -> None:
        """Prints the readable line and the ``BENCH`` line (``met`` is ``smoke`` in a smoke
        run, where no target is judged)."""
        mode = "full" if FULL else "smoke"
        met = "smoke" if not FULL else ("yes" if self.met else "NO")
        peer_name = self.peer_name or "-"
        ratio = "-" if self.ratio is None else f"{fmt(self.ratio)}x"
        print(
            f"{mode}: {self.id}: ours {fmt(self.ours)} {self.unit}, peer {peer_name} "
            f"{fmt(self.peer)}, ratio {ratio}, target {self.target}: {met}",
            flush=True,
        )
        print(
            "\t".join(
                [
                    "BENCH",
                    self.id,
                    self.what,
                    fmt(self.ours),
                    peer_name,
                    fmt(self.peer),
                    self.unit,
                    ratio,
                    self.target,
                    met,
                ]
            ),
            flush=True,
        )


def check(condition: bool, message: str) -> None:
    """Stops the run (exit status 1 through ``AssertionError``) when two sides disagree; not an
    ``assert``, so that ``python -O`` cannot skip it."""
    if not condition:
        raise AssertionError(message)
