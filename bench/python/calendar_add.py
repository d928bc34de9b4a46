"""Business-hours deadline from Python (issue #10 item 4).

Add 4 and 400 business hours (Mon-Fri 09:00-17:00, Europe/Berlin, the German holidays of
crm-core/benches/calendar.rs) to the 100,000 instants of the Rust bench (one every 5 min 17 s
from 2026-01-01T00:00Z: working time, nights, weekends, holidays, both clock changes).

- businesstimedelta: ``WorkDayRule`` + ``HolidayRule`` in ``Rules``, ``instant +
  BusinessTimeDelta(rules, hours=h)``, zone through pytz.
- plain Python: a loop over the days in ``zoneinfo``'s Europe/Berlin (no library).
- ours: ``crm_core`` has no calendar-add call of its own in Python; the deadline of a step's
  SLA is that add, so ours is ``Crm.process_status(instance, at).step_sla.deadline`` for an
  instance that entered a step with a 4 h (400 h) SLA at the instant. That is a status read
  (instance look-up, the add, the business time used so far, the record) and so an upper
  bound of the add through Python; it is timed over a sample of the instants (every 50th),
  each with its own instance.

Comparable inputs: the three agree on what "4 business hours after t" means here (a start
outside working time counts from the next opening; a deadline that falls exactly on a
closing is that closing; a holiday is closed all day). Every answer of the three is checked
equal on the sample, and businesstimedelta's against the plain loop's on every instant of
the 4 h add, before anything is timed. The 400 h add is timed over the sample only for all
sides (businesstimedelta walks 50 working days one rule look-up at a time: about a
millisecond an add).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from importlib.metadata import version
from zoneinfo import ZoneInfo

import businesstimedelta
import pytz
from crm_core import Crm, Meta, commands, records

from harness import Summary, check, interleaved, pick
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


def ours_engine(sample: list[datetime]) -> Crm:
    """An engine with the calendar, two one-step definitions (4 h and 400 h step SLA) and an
    instance of each started at every instant of ``sample`` (``h4-<i>``, ``h400-<i>``)."""
    crm = Crm()
    setup = Meta(at=datetime(2025, 12, 1, tzinfo=UTC), actor="bench")
    crm.execute(setup, commands.RegisterCustomer(
        customer=records.Customer(id="C1", name="Customer C1")))
    holidays = [{"date": d.isoformat(), "name": "holiday"} for d in HOLIDAYS]
    crm.execute(setup, commands.RegisterCalendar(calendar=berlin_calendar(holidays)))
    for hours in (4, 400):
        crm.execute(setup, commands.RegisterProcessDefinition(
            definition=records.ProcessDefinition.from_dict({
                "id": f"h{hours}", "name": f"{hours} h", "version": 1,
                "interaction_kinds": [f"h{hours}"],
                "steps": [
                    {"id": "wait", "name": "Wait", "action": "wait",
                     "performer": {"type": "queue", "name": "q"}, "kind": "start",
                     "sla": {"seconds": hours * 3600}},
                    {"id": "end", "name": "End", "action": "done",
                     "performer": {"type": "queue", "name": "q"}, "kind": "end"},
                ],
                "edges": [{"from": "wait", "outcome": "done", "to": "end"}],
            })))
    for i, at in enumerate(sample):
        for hours in (4, 400):
            crm.execute(Meta(at=at, actor="bench"), commands.StartProcess(
                start=records.StartProcess(instance=f"h{hours}-{i}", definition=f"h{hours}",
                                           customer="C1", calendar="cal")))
    return crm


def run() -> None:
    """Checks the three sides agree, then times the adds."""
    starts = instants(pick(100_000, 500))
    sample4 = starts[::pick(50, 10)]  # 2,000 instants
    sample400 = sample4[::10]  # 200 instants, every 500th
    rules = btd_rules()
    deltas = {4: businesstimedelta.BusinessTimeDelta(rules, hours=4),
              400: businesstimedelta.BusinessTimeDelta(rules, hours=400)}
    samples = {4: sample4, 400: sample400}
    crm = ours_engine(sample4)
    status = crm.process_status

    def ours_deadline(hours: int, i: int, at: datetime) -> datetime:
        sla = status(f"h{hours}-{i}", at).step_sla
        check(sla is not None, "the step has an SLA")
        assert sla is not None
        return sla.deadline

    # Same answers first: the three on the samples, businesstimedelta and the plain loop on
    # every 5th instant for 4 h.
    for hours, sample in samples.items():
        for i, s in enumerate(sample):
            expected = plain_add(s, hours)
            check(expected > s, "a deadline lies after its start")
            # sample400[i] is sample4[10 i], where instance h400-<10 i> started
            k = i if hours == 4 else 10 * i
            ours = ours_deadline(hours, k, s)
            peer = s + deltas[hours]
            check(ours == expected, f"ours {ours} != plain {expected} for {s} + {hours} h")
            check(peer == expected, f"businesstimedelta {peer} != plain {expected} for "
                  f"{s} + {hours} h")
    for s in starts[::5]:
        check(s + deltas[4] == plain_add(s, 4),
              f"businesstimedelta and plain disagree at {s} + 4 h")

    def sides(hours: int) -> list:
        sample = samples[hours]
        m = len(sample)
        step = 1 if hours == 4 else 10
        ids = [f"h{hours}-{i * step}" for i in range(m)]
        delta = deltas[hours]
        cursor = {"ours": 0, "peer": 0, "plain": 0}

        def ours(n: int) -> None:
            k = cursor["ours"]
            for _ in range(n):
                k = k + 1 if k + 1 < m else 0
                status(ids[k], sample[k]).step_sla.deadline  # type: ignore[union-attr]
            cursor["ours"] = k

        def peer(n: int) -> None:
            k = cursor["peer"]
            for _ in range(n):
                k = k + 1 if k + 1 < m else 0
                sample[k] + delta
            cursor["peer"] = k

        def plain(n: int) -> None:
            k = cursor["plain"]
            for _ in range(n):
                k = k + 1 if k + 1 < m else 0
                plain_add(sample[k], hours)
            cursor["plain"] = k

        return [ours, peer, plain]

    btd = f"businesstimedelta {version('businesstimedelta')}"
    rounds = pick(5, 1)
    ours4, peer4, plain4 = interleaved(rounds, len(sample4), sides(4))
    ours400, peer400, plain400 = interleaved(rounds, len(sample400), sides(400))
    what = (f"{len(sample4):,} of the {len(starts):,} instants (every 50th); ours through "
            "Python is a status read whose step deadline is the add")
    Summary("py_calendar_add_4h_vs_businesstimedelta",
            f"add 4 business hours (Mon-Fri 09-17, Europe/Berlin, holidays), {what}",
            ours4, btd, peer4, "ns/op", peer4 / ours4, "(for information)", True).print()
    Summary("py_calendar_add_4h_vs_plain_python",
            "the same against a plain Python loop over the days (zoneinfo)",
            ours4, "plain Python", plain4, "ns/op", plain4 / ours4, "(for information)",
            True).print()
    Summary("py_calendar_add_400h_vs_businesstimedelta",
            f"add 400 business hours, {len(sample400):,} of the instants (every 500th)",
            ours400, btd, peer400, "ns/op", peer400 / ours400, "(for information)",
            True).print()
    Summary("py_calendar_add_400h_vs_plain_python",
            "the same against the plain Python loop",
            ours400, "plain Python", plain400, "ns/op", plain400 / ours400,
            "(for information)", True).print()
