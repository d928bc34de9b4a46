"""Business-hours deadline from Python (issue #10 item 4).

Add 4 and 400 business hours (Mon-Fri 09:00-17:00, Europe/Berlin, the German holidays of
crm-core/benches/calendar.rs) to the 100,000 instants of the Rust bench (one every 5 min 17 s
from 2026-01-01T00:00Z: working time, nights, weekends, holidays, both clock changes).

- businesstimedelta: ``WorkDayRule`` + ``HolidayRule`` in ``Rules``, ``instant +
  BusinessTimeDelta(rules, hours=h)``, zone through pytz.
- plain Python: a loop over the days in ``zoneinfo``'s Europe/Berlin (no library).
- ours: ``crm_core.BusinessClock`` over the same calendar (the core's
  ``BusinessCalendar::add``): ``add_many(instants, duration)``, one call for all 100,000
  instants (the GIL released while the adds run), and ``add(at, duration)``, one call per
  instant, both over the full 100,000 instants.

The peers are far slower (businesstimedelta takes 0.1 to 0.5 ms per 4 h add and about 10 ms
per 400 h add), so they are timed over a sample: every 50th instant (2,000) for 4 h, every
500th (200) for 400 h; ours is timed over all 100,000 (a figure per add either way). The
sides are timed in turn, round after round (ours on the full list, the peers on the sample).

Comparable inputs: the three agree on what "4 business hours after t" means here (a start
outside working time counts from the next opening; a deadline that falls exactly on a
closing is that closing; a holiday is closed all day). Before anything is timed, ours is
checked equal to the plain loop on every one of the 100,000 instants for 4 h and on the
2,000 of the sample for 400 h, businesstimedelta equal to both on the samples, and
businesstimedelta equal to the plain loop on every 5th instant (20,000) for 4 h.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta, timezone
from importlib.metadata import version
from zoneinfo import ZoneInfo

import businesstimedelta
import pytz
from crm_core import BusinessClock, BusinessDuration

from harness import Summary, check, ns_per_op, pick
from process import berlin_calendar

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
HOLIDAYS = [
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14),
    date(2026, 5, 25), date(2026, 10, 3), date(2026, 12, 25), date(2026, 12, 26),
    date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 1), date(2027, 5, 6),
    date(2027, 5, 17), date(2027, 10, 3), date(2027, 12, 25), date(2027, 12, 26),
]
OPEN, CLOSE = time(9), time(17)


def instants(count: int) -> list[datetime]:
    """``count`` instants 5 min 17 s apart from 2026-01-01T00:00Z."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    return [base + timedelta(seconds=317 * i) for i in range(count)]


def plain_add(start: datetime, hours: int, holidays: frozenset[date] = frozenset(HOLIDAYS)
              ) -> datetime:
    """``hours`` business hours after ``start`` (aware), walking the days in Berlin time."""
    left = timedelta(hours=hours)
    day = start.astimezone(BERLIN).date()
    one_day = timedelta(days=1)
    while True:
        if day.weekday() < 5 and day not in holidays:
            opens = datetime.combine(day, OPEN, BERLIN).astimezone(UTC)
            closes = datetime.combine(day, CLOSE, BERLIN).astimezone(UTC)
            begin = opens if start < opens else start
            if begin < closes:
                available = closes - begin
                if available >= left:
                    return begin + left
                left -= available
        day += one_day


def btd_rules() -> businesstimedelta.Rules:
    """The calendar as businesstimedelta rules."""
    tz = pytz.timezone("Europe/Berlin")
    workday = businesstimedelta.WorkDayRule(start_time=OPEN, end_time=CLOSE,
                                            working_days=[0, 1, 2, 3, 4], tz=tz)
    # a set (the library takes any container of dates): its day-by-day look-up stays cheap
    holidays = businesstimedelta.HolidayRule(frozenset(HOLIDAYS), tz=tz)
    return businesstimedelta.Rules([workday, holidays])


def ours_clock() -> BusinessClock:
    """The calendar as a ``crm_core.BusinessClock``."""
    holidays = [{"date": d.isoformat(), "name": "holiday"} for d in HOLIDAYS]
    return BusinessClock(berlin_calendar(holidays))


def run() -> None:
    """Checks the three sides agree, then times the adds."""
    starts = instants(pick(100_000, 500))
    every = pick(50, 10)
    sample4 = starts[::every]  # 2,000 instants
    sample400 = sample4[::10]  # 200 instants, every 500th
    rules = btd_rules()
    deltas = {4: businesstimedelta.BusinessTimeDelta(rules, hours=4),
              400: businesstimedelta.BusinessTimeDelta(rules, hours=400)}
    durations = {4: BusinessDuration.from_hours(4), 400: BusinessDuration.from_hours(400)}
    samples = {4: sample4, 400: sample400}
    clock = ours_clock()

    # Same answers first.
    ours_all = clock.add_many(starts, durations[4])
    for s, ours in zip(starts, ours_all):
        check(ours == plain_add(s, 4), f"ours {ours} != plain {plain_add(s, 4)} for {s} + 4 h")
    ours400 = clock.add_many(sample4, durations[400])
    for s, ours in zip(sample4, ours400):
        check(ours == plain_add(s, 400), f"ours {ours} != plain for {s} + 400 h")
    for hours, sample in samples.items():
        for s in sample:
            expected = plain_add(s, hours)
            check(expected > s, "a deadline lies after its start")
            check(clock.add(s, durations[hours]) == expected,
                  f"ours (one call) disagrees at {s} + {hours} h")
            peer = s + deltas[hours]
            check(peer == expected, f"businesstimedelta {peer} != plain {expected} for "
                  f"{s} + {hours} h")
    for s in starts[::5]:
        check(s + deltas[4] == plain_add(s, 4),
              f"businesstimedelta and plain disagree at {s} + 4 h")

    def timed(hours: int) -> tuple[float, float, float, float]:
        """Median ns per add: ours batch and one call (all instants), the peers (sample)."""
        sample = samples[hours]
        d = durations[hours]
        delta = deltas[hours]
        add, add_many = clock.add, clock.add_many

        def ours_many(n: int) -> None:
            add_many(starts[:n], d)

        def ours_one(n: int) -> None:
            for at in starts[:n]:
                add(at, d)

        def peer(n: int) -> None:
            for at in sample[:n]:
                at + delta

        def plain(n: int) -> None:
            for at in sample[:n]:
                plain_add(at, hours)

        sides = [(ours_many, len(starts)), (ours_one, len(starts)), (peer, len(sample)),
                 (plain, len(sample))]
        for side, n in sides:  # warm-up
            ns_per_op(max(1, n // 4), side)
        results: list[list[float]] = [[] for _ in sides]
        for _ in range(pick(5, 1)):
            for (side, n), r in zip(sides, results):
                r.append(ns_per_op(n, side))
        many, one, p, q = (statistics.median(r) for r in results)
        return many, one, p, q

    btd = f"businesstimedelta {version('businesstimedelta')}"
    many4, one4, peer4, plain4 = timed(4)
    many400, one400, peer400, plain400 = timed(400)
    n = f"{len(starts):,}"
    Summary("py_calendar_add_4h_vs_businesstimedelta",
            f"add 4 business hours (Mon-Fri 09-17, Europe/Berlin, holidays) from Python: ours "
            f"BusinessClock.add_many over all {n} instants, businesstimedelta over "
            f"{len(sample4):,} of them (every {every}th: it is too slow for all)",
            many4, btd, peer4, "ns/op", peer4 / many4, "(for information)", True).print()
    Summary("py_calendar_add_4h_vs_plain_python",
            "the same against a plain Python loop over the days (zoneinfo), on the same sample",
            many4, "plain Python", plain4, "ns/op", plain4 / many4, "(for information)",
            True).print()
    Summary("py_calendar_add_4h_one_call",
            f"add 4 business hours, one BusinessClock.add call per instant ({n} instants), "
            "against businesstimedelta",
            one4, btd, peer4, "ns/op", peer4 / one4, "(for information)", True).print()
    Summary("py_calendar_add_400h_vs_businesstimedelta",
            f"add 400 business hours: ours add_many over all {n} instants, the peer over "
            f"{len(sample400):,} (every {every * 10}th)",
            many400, btd, peer400, "ns/op", peer400 / many400, "(for information)",
            True).print()
    Summary("py_calendar_add_400h_vs_plain_python",
            "the same against the plain Python loop",
            many400, "plain Python", plain400, "ns/op", plain400 / many400,
            "(for information)", True).print()
    Summary("py_calendar_add_400h_one_call",
            "add 400 business hours, one BusinessClock.add call per instant, against "
            "businesstimedelta",
            one400, btd, peer400, "ns/op", peer400 / one400, "(for information)", True).print()
