"""A worker's working hours: weekly hours plus dated exceptions, in Asia/Shanghai local time.

One item per worker (``WORKER#<id> / AVAILABILITY``), replaced whole by each change: a worker
edits her week as one form, so there is nothing to merge. The request schema checks the shape
(weekday keys, ``HH:MM`` texts, ``off`` xor ``hours``); the rules live here, where "today" is
known: each day's ranges end after they start and do not overlap, exception dates are unique,
not in the past and at most ``RULES.horizon_days`` ahead (a date nobody could book is a typo).

Exceptions whose date has passed are dropped when read, so what GET returns can be PUT back
as it is. Changing hours never touches jobs already booked. The search index keeps the working
weekdays and days off of every verified worker, so each change refreshes the worker's entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.models.workers import AvailabilityItem
from chalicelib.scheduling.slots import RULES, WEEKDAYS, check_day_hours, local_day
from chalicelib.workers.search_index import refresh_search_entries

__all__ = ["AvailabilityView", "HoursException", "get_availability", "set_availability"]

Hours = list[tuple[str, str]]


@dataclass(frozen=True)
class HoursException:
    """One dated exception: the whole day off, or these hours instead of the weekday's."""

    date: str
    off: bool
    hours: Hours = field(default_factory=list)


@dataclass(frozen=True)
class AvailabilityView:
    """Every weekday (empty when not working) and the exceptions from today on, by date."""

    weekly: dict[str, Hours]
    exceptions: list[HoursException]
    updated_at: str | None


def _problem(field_name: str, code: str, message: str) -> dict[str, str]:
    return {"field": field_name, "code": code, "message": message}


def _checked_hours(field_name: str, ranges: Sequence[Sequence[str]], problems: list[dict[str, str]]) -> Hours:
    try:
        return check_day_hours(ranges)
    except ValueError as error:
        problems.append(_problem(field_name, "invalid_hours", str(error)))
        return []


def _view(item: AvailabilityItem | None, today: date) -> AvailabilityView:
    if item is None:
        return AvailabilityView(weekly={day: [] for day in WEEKDAYS}, exceptions=[], updated_at=None)
    weekly = dict(item.weekly or {})
    return AvailabilityView(
        weekly={day: [(start, end) for start, end in weekly.get(day, [])] for day in WEEKDAYS},
        exceptions=[
            HoursException(
                date=entry["date"],
                off=bool(entry.get("off")),
                hours=[(start, end) for start, end in entry.get("hours") or []],
            )
            for entry in item.exceptions or []
            if entry["date"] >= today.isoformat()
        ],
        updated_at=item.updated_at,
    )


def get_availability(worker_id: str) -> AvailabilityView:
    """The worker's hours; all days empty until she first sets them."""
    try:
        item = AvailabilityItem.get(*AvailabilityItem.key(worker_id))
    except AvailabilityItem.DoesNotExist:
        item = None
    return _view(item, local_day(clock.now()))


def set_availability(
    worker_id: str, weekly: Mapping[str, Sequence[Sequence[str]]], exceptions: Sequence[Mapping[str, Any]]
) -> AvailabilityView:
    """Replace the worker's hours; 422 naming each field that breaks a rule.

    ``weekly`` maps weekday keys (``mon``..``sun``) to ``[start, end]`` ranges; each exception is
    ``{"date": "YYYY-MM-DD", "off": true}`` or ``{"date": ..., "hours": [...]}``.
    """
    today = local_day(clock.now())
    problems: list[dict[str, str]] = []
    stored_weekly = {}
    for day in WEEKDAYS:
        hours = _checked_hours(f"weekly.{day}", weekly.get(day) or [], problems)
        if hours:
            stored_weekly[day] = [list(pair) for pair in hours]
    stored_exceptions = []
    seen: set[str] = set()
    for index, exception in enumerate(exceptions):
        text = str(exception["date"])
        when = date.fromisoformat(text)
        if when < today:
            problems.append(_problem(f"exceptions.{index}.date", "date_in_past", f"{text} has passed"))
        elif (when - today).days > RULES.horizon_days:
            problems.append(
                _problem(
                    f"exceptions.{index}.date",
                    "date_too_far",
                    f"{text} is more than {RULES.horizon_days} days ahead",
                )
            )
        if text in seen:
            problems.append(_problem(f"exceptions.{index}.date", "duplicate_date", f"{text} is given twice"))
        seen.add(text)
        off = bool(exception.get("off"))
        hours = (
            [] if off else _checked_hours(f"exceptions.{index}.hours", exception.get("hours") or [], problems)
        )
        stored_exceptions.append({"date": text, "off": off, "hours": [list(pair) for pair in hours]})
    if problems:
        raise ValidationFailed(details=problems)
    item = AvailabilityItem(
        *AvailabilityItem.key(worker_id),
        worker_id=worker_id,
        weekly=stored_weekly,
        exceptions=sorted(stored_exceptions, key=lambda entry: entry["date"]),
        updated_at=clock.iso(),
    )
    item.save()
    refresh_search_entries(worker_id)
    return _view(item, today)
