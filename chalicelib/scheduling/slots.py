"""The free start times of a worker's day: pure arithmetic over hours, jobs and travel.

Nothing here reads a table or the clock: the caller passes the day's plan (working windows and
the jobs already on it), the place of the new job and "now". The rules (docs/scheduling.md):

1. A job runs ``[start, start + duration)`` inside one working window of its local day, so it
   never crosses midnight (hours end at ``24:00`` at the latest). Touching windows
   (``08:00-12:00`` and ``12:00-18:00``) count as one.
2. It starts on the grid: a whole multiple of ``grid_minutes`` after local midnight.
3. It starts no earlier than ``now + lead_minutes`` (and so never in the past) and no later
   than ``horizon_days`` ahead.
4. Every job that still holds its time (confirmed, or held with ``hold_until`` after now) stays
   clear of it, travel included: an earlier job must end ``travel(there -> here)`` minutes
   before the start, a later one start ``travel(here -> there)`` minutes after the end.

:func:`check_start` is the one place those rules live; :func:`free_starts` lists the grid
starts it finds nothing wrong with, so what the slots endpoint shows and what booking accepts
cannot disagree. Checking rule 4 against every job, not just the two neighbours, gives the same
answer whenever the day's jobs are themselves reachable from each other, since the travel
estimate never beats going through the job in between.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Literal

from chalicelib.clock import SHANGHAI
from chalicelib.scheduling.travel import TRAVEL, Point, TravelSettings, travel_minutes

__all__ = [
    "RULES",
    "WEEKDAYS",
    "DayPlan",
    "Job",
    "Refusal",
    "SlotRules",
    "Window",
    "check_day_hours",
    "check_start",
    "free_starts",
    "hours_on",
    "is_free",
    "local_day",
    "minute_of_day",
    "windows_on",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of the weekly hours, Monday first (``date.weekday()`` order)."""

MINUTES_PER_DAY = 24 * 60

Refusal = Literal[
    "start_in_past",
    "too_soon",
    "too_far_ahead",
    "off_grid",
    "outside_hours",
    "overlaps_job",
    "no_time_to_travel",
]
"""Why a start is not free. Booking answers ``start_in_past`` with 422 and the rest with 409."""


@dataclass(frozen=True)
class SlotRules:
    """Booking-window rules.

    ``grid_minutes``: starts are offered every so many minutes from local midnight.
    ``lead_minutes``: the least notice a worker gets before a job starts.
    ``horizon_days``: how many days ahead a job may be booked (and hours exceptions set).
    """

    grid_minutes: int = 30
    lead_minutes: int = 120
    horizon_days: int = 180


RULES = SlotRules()
"""The defaults in force until admin settings exist."""


def minute_of_day(text: str) -> int:
    """``"08:30"`` -> 510; ``"24:00"`` (the end of the day) -> 1440. ValueError otherwise."""
    hours, sep, minutes = text.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a HH:MM time")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day (00:00-24:00)")
    return value


def check_day_hours(ranges: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """One day's ``[start, end]`` ranges, sorted; ValueError if one is empty or two overlap."""
    parsed = []
    for pair in ranges:
        start, end = pair
        if minute_of_day(end) <= minute_of_day(start):
            raise ValueError(f"{start}-{end}: the end must be after the start")
        parsed.append((start, end))
    parsed.sort(key=lambda pair: minute_of_day(pair[0]))
    for (start_a, end_a), (start_b, end_b) in pairwise(parsed):
        if minute_of_day(end_a) > minute_of_day(start_b):
            raise ValueError(f"{start_a}-{end_a} and {start_b}-{end_b} overlap")
    return parsed


def hours_on(
    day: date, weekly: Mapping[str, Sequence[Sequence[str]]], exceptions: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """The working hours of ``day``: its dated exception if there is one, else its weekday's."""
    text = day.isoformat()
    for exception in exceptions:
        if exception["date"] == text:
            return (
                [] if exception.get("off") else [(pair[0], pair[1]) for pair in exception.get("hours") or []]
            )
    return [(pair[0], pair[1]) for pair in weekly.get(WEEKDAYS[day.weekday()]) or []]


@dataclass(frozen=True)
class Window:
    """A stretch of working time, aware datetimes in Asia/Shanghai."""

    start: datetime
    end: datetime


def windows_on(
    day: date, weekly: Mapping[str, Sequence[Sequence[str]]], exceptions: Sequence[Mapping[str, Any]]
) -> tuple[Window, ...]:
    """The day's working windows as datetimes, touching ranges merged into one."""
    midnight = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    windows: list[Window] = []
    for start, end in sorted(hours_on(day, weekly, exceptions), key=lambda pair: minute_of_day(pair[0])):
        window = Window(
            midnight + timedelta(minutes=minute_of_day(start)),
            midnight + timedelta(minutes=minute_of_day(end)),
        )
        if windows and windows[-1].end >= window.start:
            windows[-1] = Window(windows[-1].start, max(windows[-1].end, window.end))
        else:
            windows.append(window)
    return tuple(windows)


@dataclass(frozen=True)
class Job:
    """Time already taken on the day: the job itself, where it is, and for an unpaid hold until when."""

    start: datetime
    end: datetime
    at: Point | None = None
    hold_until: datetime | None = None

    def blocks(self, now: datetime) -> bool:
        """A confirmed job always does; a hold only until ``hold_until`` has passed."""
        return self.hold_until is None or self.hold_until > now


@dataclass(frozen=True)
class DayPlan:
    """What the rules need to know about one worker-day."""

    day: date
    windows: tuple[Window, ...]
    jobs: tuple[Job, ...]


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of ``moment``."""
    return moment.astimezone(SHANGHAI).date()


def check_start(
    plan: DayPlan,
    start: datetime,
    duration_minutes: int,
    *,
    at: Point | None,
    now: datetime,
    rules: SlotRules = RULES,
    travel: TravelSettings = TRAVEL,
) -> Refusal | None:
    """Why a job of ``duration_minutes`` at place ``at`` cannot start at ``start``; None if it can."""
    start = start.astimezone(SHANGHAI)
    end = start + timedelta(minutes=duration_minutes)
    if start < now:
        return "start_in_past"
    if start < now + timedelta(minutes=rules.lead_minutes):
        return "too_soon"
    if (start.date() - local_day(now)).days > rules.horizon_days:
        return "too_far_ahead"
    since_midnight = start - datetime.combine(start.date(), time(0), tzinfo=SHANGHAI)
    if since_midnight % timedelta(minutes=rules.grid_minutes):
        return "off_grid"
    if not any(window.start <= start and end <= window.end for window in plan.windows):
        return "outside_hours"
    for job in plan.jobs:
        if not job.blocks(now):
            continue
        if job.start < end and start < job.end:
            return "overlaps_job"
        if job.end <= start:
            if job.end + timedelta(minutes=travel_minutes(job.at, at, travel)) > start:
                return "no_time_to_travel"
        elif end + timedelta(minutes=travel_minutes(at, job.at, travel)) > job.start:
            return "no_time_to_travel"
    return None


def is_free(
    plan: DayPlan,
    start: datetime,
    duration_minutes: int,
    *,
    at: Point | None,
    now: datetime,
    rules: SlotRules = RULES,
    travel: TravelSettings = TRAVEL,
) -> bool:
    """Whether :func:`check_start` finds nothing wrong with ``start``."""
    return check_start(plan, start, duration_minutes, at=at, now=now, rules=rules, travel=travel) is None


def free_starts(
    plan: DayPlan,
    duration_minutes: int,
    *,
    at: Point | None,
    now: datetime,
    rules: SlotRules = RULES,
    travel: TravelSettings = TRAVEL,
) -> list[datetime]:
    """Every grid start of the day that :func:`check_start` accepts, earliest first."""
    step = timedelta(minutes=rules.grid_minutes)
    midnight = datetime.combine(plan.day, time(0), tzinfo=SHANGHAI)
    length = timedelta(minutes=duration_minutes)
    starts: list[datetime] = []
    for window in plan.windows:
        candidate = midnight + math.ceil((window.start - midnight) / step) * step
        while candidate + length <= window.end:
            if (
                check_start(plan, candidate, duration_minutes, at=at, now=now, rules=rules, travel=travel)
                is None
            ):
                starts.append(candidate)
            candidate += step
    return starts
