"""The slot rules: hours and exceptions, grid, lead time, jobs, holds, travel, date boundaries."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from chalicelib.clock import SHANGHAI
from chalicelib.geo import haversine_km
from chalicelib.scheduling.slots import (
    RULES,
    WEEKDAYS,
    DayPlan,
    Job,
    SlotRules,
    check_day_hours,
    check_start,
    free_starts,
    hours_on,
    is_free,
    minute_of_day,
    windows_on,
)
from chalicelib.scheduling.travel import TRAVEL, Point

DAY = date(2027, 1, 20)
WEEKDAY = WEEKDAYS[DAY.weekday()]
NOW = datetime(2027, 1, 19, 9, 0, tzinfo=SHANGHAI)  # the day before: lead time plays no part
HERE = Point(31.2304, 121.4737)


def at(clock_time: str, day: date = DAY) -> datetime:
    hours, minutes = map(int, clock_time.split(":"))
    return datetime.combine(day, time(0), tzinfo=SHANGHAI) + timedelta(hours=hours, minutes=minutes)


def east(km: float) -> Point:
    return Point(HERE.lat, HERE.lng + km / haversine_km(HERE.lat, 0, HERE.lat, 1))


def plan(hours: list[list[str]], *jobs: Job, day: date = DAY) -> DayPlan:
    weekly = {WEEKDAYS[day.weekday()]: hours}
    return DayPlan(day, windows_on(day, weekly, []), tuple(jobs))


def times(starts: list[datetime]) -> list[str]:
    return [start.astimezone(SHANGHAI).strftime("%H:%M") for start in starts]


# -- hours ---------------------------------------------------------------------------------


def test_minute_of_day() -> None:
    assert minute_of_day("00:00") == 0
    assert minute_of_day("08:30") == 510
    assert minute_of_day("24:00") == 1440
    for bad in ("25:00", "24:30", "08:60", "8:00", "0800", "ab:cd", ""):
        with pytest.raises(ValueError):
            minute_of_day(bad)


def test_day_hours_sorted_and_checked() -> None:
    assert check_day_hours([["13:00", "18:00"], ["08:00", "12:00"]]) == [
        ("08:00", "12:00"),
        ("13:00", "18:00"),
    ]
    assert check_day_hours([["08:00", "12:00"], ["12:00", "18:00"]])  # touching is fine
    with pytest.raises(ValueError, match="after the start"):
        check_day_hours([["10:00", "10:00"]])
    with pytest.raises(ValueError, match="after the start"):
        check_day_hours([["18:00", "08:00"]])
    with pytest.raises(ValueError, match="overlap"):
        check_day_hours([["08:00", "12:00"], ["11:30", "14:00"]])
    with pytest.raises(ValueError):
        check_day_hours([["08:00", "25:00"]])


def test_exceptions_replace_the_weekday() -> None:
    weekly = {WEEKDAY: [["08:00", "18:00"]]}
    assert hours_on(DAY, weekly, []) == [("08:00", "18:00")]
    assert hours_on(DAY, weekly, [{"date": DAY.isoformat(), "off": True, "hours": []}]) == []
    assert hours_on(
        DAY, weekly, [{"date": DAY.isoformat(), "off": False, "hours": [["09:00", "12:00"]]}]
    ) == [("09:00", "12:00")]
    other = (DAY + timedelta(days=7)).isoformat()
    assert hours_on(DAY, weekly, [{"date": other, "off": True}]) == [("08:00", "18:00")]
    assert hours_on(DAY + timedelta(days=1), weekly, []) == []  # another weekday, not worked


def test_touching_windows_merge() -> None:
    windows = windows_on(DAY, {WEEKDAY: [["12:00", "18:00"], ["08:00", "12:00"]]}, [])
    assert [(w.start, w.end) for w in windows] == [(at("08:00"), at("18:00"))]
    # so a job may run across the seam
    assert times(free_starts(plan([["08:00", "12:00"], ["12:00", "14:00"]]), 360, at=None, now=NOW)) == [
        "08:00"
    ]


# -- grid, lead, past, horizon -------------------------------------------------------------


def test_starts_on_the_grid_that_fit_the_window() -> None:
    assert times(free_starts(plan([["08:00", "12:00"]]), 120, at=None, now=NOW)) == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
    ]


def test_grid_counts_from_midnight_not_from_the_window() -> None:
    assert times(free_starts(plan([["08:15", "10:00"]]), 60, at=None, now=NOW)) == ["08:30", "09:00"]
    hourly = SlotRules(grid_minutes=60)
    assert times(free_starts(plan([["08:15", "12:00"]]), 60, at=None, now=NOW, rules=hourly)) == [
        "09:00",
        "10:00",
        "11:00",
    ]


def test_lead_time_and_the_past() -> None:
    morning = at("07:10")
    assert times(free_starts(plan([["08:00", "12:00"]]), 60, at=None, now=morning)) == [
        "09:30",
        "10:00",
        "10:30",
        "11:00",
    ]
    assert check_start(plan([["08:00", "12:00"]]), at("09:00"), 60, at=None, now=morning) == "too_soon"
    assert (
        check_start(plan([["08:00", "12:00"]]), at("08:00"), 60, at=None, now=at("08:30")) == "start_in_past"
    )
    assert free_starts(plan([["08:00", "12:00"]]), 60, at=None, now=at("13:00")) == []


def test_horizon() -> None:
    far = DAY + timedelta(days=RULES.horizon_days + 1)
    today = NOW.date()
    far_plan = plan([["08:00", "12:00"]], day=far)
    assert (far - today).days > RULES.horizon_days
    assert check_start(far_plan, at("08:00", far), 60, at=None, now=NOW) == "too_far_ahead"
    last = today + timedelta(days=RULES.horizon_days)
    assert check_start(plan([["08:00", "12:00"]], day=last), at("08:00", last), 60, at=None, now=NOW) is None


def test_reasons() -> None:
    day_plan = plan([["08:00", "12:00"]], Job(at("10:00"), at("11:00")))
    assert check_start(day_plan, at("08:10"), 30, at=None, now=NOW) == "off_grid"
    assert check_start(day_plan, at("07:00"), 60, at=None, now=NOW) == "outside_hours"
    assert check_start(day_plan, at("11:30"), 60, at=None, now=NOW) == "outside_hours"
    assert check_start(day_plan, at("09:30"), 60, at=None, now=NOW) == "overlaps_job"
    assert check_start(day_plan, at("09:00"), 60, at=None, now=NOW) == "no_time_to_travel"  # 30-min buffer
    assert check_start(day_plan, at("08:00"), 60, at=None, now=NOW) is None
    assert is_free(day_plan, at("08:00"), 60, at=None, now=NOW)
    assert not is_free(day_plan, at("09:00"), 60, at=None, now=NOW)


# -- jobs and travel -----------------------------------------------------------------------


def test_jobs_keep_the_minimum_buffer_without_a_place() -> None:
    day_plan = plan([["08:00", "18:00"]], Job(at("10:00"), at("12:00")))
    starts = times(free_starts(day_plan, 60, at=None, now=NOW))
    assert starts[:3] == ["08:00", "08:30", "12:30"]  # 08:30-09:30 + 30 min = 10:00; 12:00 + 30
    assert starts[-1] == "17:00"


def test_a_far_previous_job_pushes_the_first_start() -> None:
    far = Job(at("10:00"), at("12:00"), east(12))  # 51 minutes away
    near = Job(at("10:00"), at("12:00"), east(0.5))  # within the 30-minute buffer
    # before the job too: 08:30-09:30 + 51 min misses 10:00 when far, makes it when near
    assert times(free_starts(plan([["08:00", "18:00"]], far), 60, at=HERE, now=NOW))[:2] == ["08:00", "13:00"]
    assert times(free_starts(plan([["08:00", "18:00"]], near), 60, at=HERE, now=NOW))[:3] == [
        "08:00",
        "08:30",
        "12:30",
    ]
    assert (
        check_start(plan([["08:00", "18:00"]], far), at("12:30"), 60, at=HERE, now=NOW) == "no_time_to_travel"
    )
    assert check_start(plan([["08:00", "18:00"]], near), at("12:30"), 60, at=HERE, now=NOW) is None


def test_a_far_next_job_pulls_the_last_start() -> None:
    far = Job(at("15:00"), at("17:00"), east(12))
    # 60-min job + 51 min travel must end by 15:00: start by 13:09, on the grid 13:00.
    assert times(free_starts(plan([["08:00", "18:00"]], far), 60, at=HERE, now=NOW))[-1] == "13:00"
    near = Job(at("15:00"), at("17:00"), HERE)
    assert times(free_starts(plan([["08:00", "18:00"]], near), 60, at=HERE, now=NOW))[-1] == "13:30"


def test_the_job_between_two_far_ones_needs_travel_both_ways() -> None:
    day_plan = plan(
        [["08:00", "20:00"]],
        Job(at("08:00"), at("10:00"), east(12)),
        Job(at("14:00"), at("16:00"), east(-12)),
    )
    # 51 minutes each way: in 10:51-13:09 a 2-hour job fits at 11:00 only; after 16:00, from 16:51
    assert times(free_starts(day_plan, 120, at=HERE, now=NOW)) == ["11:00", "17:00", "17:30", "18:00"]
    assert times(free_starts(day_plan, 120, at=None, now=NOW)) == [
        "10:30",
        "11:00",
        "11:30",
        "16:30",
        "17:00",
        "17:30",
        "18:00",
    ]


def test_travel_settings_are_a_parameter() -> None:
    day_plan = plan([["08:00", "18:00"]], Job(at("10:00"), at("12:00")))
    tight = type(TRAVEL)(min_buffer_minutes=0)
    assert times(free_starts(day_plan, 60, at=None, now=NOW, travel=tight))[:4] == [
        "08:00",
        "08:30",
        "09:00",
        "12:00",
    ]


# -- holds ---------------------------------------------------------------------------------


def test_an_expired_hold_frees_its_time_and_a_live_one_does_not() -> None:
    expired = Job(at("10:00"), at("12:00"), hold_until=NOW - timedelta(seconds=1))
    live = Job(at("10:00"), at("12:00"), hold_until=NOW + timedelta(minutes=10))
    confirmed = Job(at("10:00"), at("12:00"))
    assert check_start(plan([["08:00", "18:00"]], expired), at("10:00"), 120, at=None, now=NOW) is None
    assert check_start(plan([["08:00", "18:00"]], live), at("10:00"), 120, at=None, now=NOW) == "overlaps_job"
    assert (
        check_start(plan([["08:00", "18:00"]], confirmed), at("10:00"), 120, at=None, now=NOW)
        == "overlaps_job"
    )
    # the same hold stops counting once the clock passes it
    later = NOW + timedelta(minutes=11)
    assert check_start(plan([["08:00", "18:00"]], live), at("10:00"), 120, at=None, now=later) is None


# -- date boundaries -----------------------------------------------------------------------


def test_a_job_never_crosses_midnight() -> None:
    assert times(free_starts(plan([["22:00", "24:00"]]), 120, at=None, now=NOW)) == ["22:00"]
    assert times(free_starts(plan([["22:00", "24:00"]]), 60, at=None, now=NOW)) == ["22:00", "22:30", "23:00"]
    assert check_start(plan([["22:00", "24:00"]]), at("23:30"), 60, at=None, now=NOW) == "outside_hours"


def test_lead_time_reaches_across_midnight() -> None:
    late_evening = at("23:00", DAY - timedelta(days=1))
    assert times(free_starts(plan([["00:00", "03:00"]]), 60, at=None, now=late_evening)) == [
        "01:00",
        "01:30",
        "02:00",
    ]


def test_now_in_another_zone_is_read_in_shanghai_time() -> None:
    # 17:30 UTC on the 19th is 01:30 on the 20th in Shanghai: today, so the horizon counts from it.
    now_utc = datetime(2027, 1, 19, 17, 30, tzinfo=UTC)
    assert times(free_starts(plan([["00:00", "06:00"]]), 60, at=None, now=now_utc)) == [
        "03:30",
        "04:00",
        "04:30",
        "05:00",
    ]
    start_utc = datetime(2027, 1, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert check_start(plan([["08:00", "12:00"]]), start_utc, 60, at=None, now=NOW) is None


def test_a_start_on_another_day_than_the_plan_is_outside_hours() -> None:
    assert check_start(
        plan([["08:00", "12:00"]]), at("09:00", DAY + timedelta(days=1)), 60, at=None, now=NOW
    ) == ("outside_hours")


# -- the shown slots are exactly the bookable starts ---------------------------------------


def _random_plan(rng: random.Random) -> tuple[DayPlan, Point | None]:
    hours: list[list[str]] = []
    minute = rng.randrange(0, 8 * 60, 15)
    while minute < 24 * 60 - 60 and len(hours) < 3:
        end = min(24 * 60, minute + rng.randrange(60, 10 * 60, 15))
        hours.append([f"{minute // 60:02d}:{minute % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"])
        minute = end + rng.randrange(0, 180, 15)
    jobs: list[Job] = []
    for _ in range(rng.randrange(0, 5)):
        start = at("00:00") + timedelta(minutes=rng.randrange(0, 22 * 60, 30))
        hold: Any = rng.choice([None, NOW - timedelta(minutes=1), NOW + timedelta(minutes=5)])
        place = rng.choice([None, east(rng.uniform(-20, 20))])
        jobs.append(Job(start, start + timedelta(minutes=rng.choice([60, 120, 180])), place, hold))
    return plan(hours, *jobs), rng.choice([None, HERE])


def test_free_starts_are_exactly_the_grid_starts_check_start_accepts() -> None:
    rng = random.Random(20270120)
    for _ in range(300):
        day_plan, place = _random_plan(rng)
        duration = rng.choice([30, 60, 90, 120, 240])
        now = rng.choice([NOW, at("06:00"), at("11:45")])
        shown = free_starts(day_plan, duration, at=place, now=now)
        grid = [at("00:00") + timedelta(minutes=m) for m in range(0, 24 * 60, RULES.grid_minutes)]
        accepted = [start for start in grid if is_free(day_plan, start, duration, at=place, now=now)]
        assert shown == accepted
