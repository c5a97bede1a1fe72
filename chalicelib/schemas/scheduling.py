"""Request and response bodies of a worker's availability and of the free slots.

The shape is checked here (weekday keys, ``HH:MM`` times, ``off`` or ``hours``); the rules that
need the day's other ranges or today's date (end after start, no overlap, no past or duplicate
exception) are checked by ``chalicelib.scheduling.availability``, which names the same fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from chalicelib.basemodel import Model
from chalicelib.web.schemas import StrictModel

__all__ = [
    "AvailabilityIn",
    "AvailabilityOut",
    "HoursExceptionIn",
    "HoursExceptionOut",
    "SlotOut",
    "SlotsOut",
    "SlotsQuery",
    "WeeklyHours",
]

Time = Annotated[
    str,
    Field(
        pattern=r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$",
        description="Local time `HH:MM` (Asia/Shanghai); `24:00` ends a day.",
        examples=["08:00"],
    ),
]
Range = tuple[Time, Time]
_RANGES = 'Working ranges `[start, end]`, e.g. `[["08:00", "12:00"], ["13:00", "18:00"]]`.'


def _day() -> list[Range]:
    return []


class WeeklyHours(StrictModel):
    """Hours per weekday; a day left out or empty is not worked."""

    mon: list[Range] = Field(default_factory=_day, max_length=6, description=_RANGES)
    tue: list[Range] = Field(default_factory=_day, max_length=6)
    wed: list[Range] = Field(default_factory=_day, max_length=6)
    thu: list[Range] = Field(default_factory=_day, max_length=6)
    fri: list[Range] = Field(default_factory=_day, max_length=6)
    sat: list[Range] = Field(default_factory=_day, max_length=6)
    sun: list[Range] = Field(default_factory=_day, max_length=6)


class HoursExceptionIn(StrictModel):
    """One date: ``{"date", "off": true}`` for a day off, or ``{"date", "hours": [...]}``."""

    date: dt.date
    off: bool = False
    hours: list[Range] = Field(default_factory=_day, max_length=6, description=_RANGES)

    @model_validator(mode="after")
    def _off_or_hours(self) -> HoursExceptionIn:
        if self.off == bool(self.hours):
            raise ValueError("give either off: true or the day's hours")
        return self


class AvailabilityIn(StrictModel):
    """The whole availability, replacing the previous one."""

    weekly: WeeklyHours
    exceptions: list[HoursExceptionIn] = Field(
        default_factory=list,
        max_length=200,
        description="Dated exceptions, from today up to 180 days ahead, one per date.",
    )


class HoursExceptionOut(Model):
    date: dt.date
    off: bool
    hours: list[tuple[str, str]]


class AvailabilityOut(Model):
    """Every weekday, and the exceptions from today on (past ones are dropped)."""

    weekly: WeeklyHours
    exceptions: list[HoursExceptionOut]
    updated_at: dt.datetime | None = Field(description="Null until the worker first sets her hours.")


class SlotsQuery(Model):
    service_id: str = Field(min_length=1, max_length=64)
    date: dt.date = Field(description="The local date (Asia/Shanghai), today up to 180 days ahead.")
    address_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="One of the caller's addresses (needs a signed-in caller): travel to and from "
        "the neighbouring jobs is then estimated from where they are.",
    )


class SlotOut(Model):
    start_at: dt.datetime
    end_at: dt.datetime


class SlotsOut(Model):
    """Free starts on a grid, at least the lead time ahead, with room to travel between jobs."""

    worker_id: str
    service_id: str
    date: dt.date
    duration_minutes: int
    slots: list[SlotOut]
