"""``BusinessClock``: business-hours arithmetic from Python (add, between, add_many) on a
Mon-Fri 09:00-17:00 Europe/Berlin calendar with holidays, across a clock change; bad input."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest

import crm_core
from crm_core import BusinessClock, BusinessDuration, TimeRange, records

UTC = timezone.utc
H4 = BusinessDuration.from_hours(4)


def berlin() -> BusinessClock:
    day = [{"start": "09:00", "end": "17:00"}]
    return BusinessClock(records.BusinessCalendar(
        id="support", zone="Europe/Berlin",
        week={d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        holidays=[{"date": "2026-04-03", "name": "Good Friday"},
                  {"date": "2026-04-06", "name": "Easter Monday"}]))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("start", "hours", "deadline"), [
    # Friday 16:30 CET: half an hour left, then Monday 09:00 + 3.5 h
    ("2026-03-06T15:30:00", 4, "2026-03-09T11:30:00"),
    # a deadline that uses up the day exactly is that day's closing, not the next opening
    ("2026-03-09T08:00:00", 8, "2026-03-09T16:00:00"),
    # Friday at closing, then the clock change: Monday opens at 09:00 CEST (07:00 UTC)
    ("2026-03-27T16:00:00", 4, "2026-03-30T11:00:00"),
    # Thursday 16:00 CEST, Good Friday and Easter Monday closed: Tuesday 09:00 + 3 h
    ("2026-04-02T14:00:00", 4, "2026-04-07T10:00:00"),
    # a start at night counts from the next opening
    ("2026-03-10T22:00:00", 1, "2026-03-11T09:00:00"),
])
def test_add_matches_the_core(start: str, hours: int, deadline: str) -> None:
    clock = berlin()
    d = BusinessDuration.from_hours(hours)
    got = clock.add(utc(start), d)
    assert got == utc(deadline) and got.tzinfo is not None
    assert clock.between(utc(start), got) == d
    assert clock.add_many([utc(start), utc(start)], d) == [utc(deadline), utc(deadline)]


def test_between_paused_zero_and_any_zone() -> None:
    clock = berlin()
    assert clock.id == "support" and clock.zone == "Europe/Berlin"
    monday = utc("2026-03-09T08:00:00")
    assert clock.add(monday, BusinessDuration(0)) == monday
    # an aware datetime in another zone is the same instant
    assert clock.add(monday.astimezone(timezone(timedelta(hours=-5))), H4) == utc(
        "2026-03-09T12:00:00")
    pause = TimeRange(utc("2026-03-09T09:00:00"), utc("2026-03-09T10:00:00"))
    assert clock.add(monday, H4, [pause]) == utc("2026-03-09T13:00:00")
    assert clock.add(monday, {"seconds": 7200}, [pause.to_dict()]) == utc("2026-03-09T11:00:00")
    assert clock.between(monday, utc("2026-03-16T08:00:00")) == BusinessDuration.from_hours(40)
    assert clock.between(monday, utc("2026-03-16T08:00:00"), [pause]).seconds == 39 * 3600
    # a clock made from a clock (or unpickled) is the same calendar
    assert BusinessClock(clock).add(monday, H4) == clock.add(monday, H4)
    assert pickle.loads(pickle.dumps(clock)).add(monday, H4) == clock.add(monday, H4)
    many = [utc("2026-03-02T00:00:00") + timedelta(minutes=317 * i) for i in range(500)]
    assert clock.add_many(many, H4) == [clock.add(at, H4) for at in many]
    assert clock.add_many((), H4) == []


def test_bad_input_is_a_typed_error() -> None:
    clock = berlin()
    naive = datetime(2026, 3, 9, 9, 0)
    with pytest.raises(crm_core.ValidationError):
        clock.add(naive, H4)
    with pytest.raises(ValueError):
        clock.between(naive, utc("2026-03-09T10:00:00"))
    with pytest.raises(crm_core.ValidationError, match=r"instants\[2\]"):
        clock.add_many([utc("2026-03-09T08:00:00")] * 2 + [naive], H4)
    with pytest.raises(crm_core.ValidationError):  # the end before the start
        clock.between(utc("2026-03-09T10:00:00"), utc("2026-03-09T09:00:00"))
    with pytest.raises(TypeError):
        clock.add(utc("2026-03-09T08:00:00"), 4.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        clock.add("2026-03-09T08:00:00", H4)  # type: ignore[arg-type]
    with pytest.raises(crm_core.JsonError):
        clock.add(utc("2026-03-09T08:00:00"), {"seconds": -1})
    with pytest.raises(crm_core.CrmError):
        BusinessClock({"id": "x", "zone": "Mars/Olympus", "week": {}, "holidays": []})
    with pytest.raises(crm_core.CrmError):
        BusinessClock({"id": "x"})
