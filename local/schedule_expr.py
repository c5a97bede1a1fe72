"""EventBridge schedule expressions: ``at(...)``, ``rate(...)`` and six-field ``cron(...)``.

Neither moto's EventBridge nor its Scheduler fires anything, so the local runner decides when a
schedule is due. The grammar is the one AWS documents (a small, fixed subset of Quartz), so a
library would buy little: fields are minutes, hours, day-of-month, month, day-of-week (1 = SUN)
and year; one of day-of-month and day-of-week must be ``?``; ``L``, ``W`` and ``#`` are supported.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Cron", "Rate", "parse_at", "parse_recurring"]

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


def parse_at(expression: str, timezone: str = "UTC") -> datetime | None:
    """The aware time of a one-time ``at(yyyy-mm-ddThh:mm:ss)`` schedule, None if not one."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(timezone or "UTC"))


@dataclass(frozen=True)
class Rate:
    """``rate(N unit)``: fires every ``seconds`` after an anchor (when the runner first saw it)."""

    seconds: int

    def latest_due(self, last: datetime, now: datetime) -> datetime | None:
        """The last occurrence in ``(last, now]``, where ``last`` is the previous occurrence."""
        periods = int((now - last).total_seconds() // self.seconds)
        return last + timedelta(seconds=periods * self.seconds) if periods >= 1 else None


def _expand(part: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """One comma-separated element: ``*``, ``n``, ``a-b``, each optionally ``/step``."""
    base, _, step_text = part.partition("/")
    step = int(step_text) if step_text else 1
    if step < 1:
        raise ValueError(f"bad step in {part!r}")
    if base == "*":
        start, end = low, high
    elif "-" in base:
        first, last = base.split("-", 1)
        start, end = _value(first, names), _value(last, names)
    else:
        start = _value(base, names)
        end = high if step_text else start
    if not (low <= start <= high and low <= end <= high):
        raise ValueError(f"{part!r} is outside {low}-{high}")
    if start <= end:
        return set(range(start, end + 1, step))
    # A wrapping range such as FRI-MON.
    span = list(range(start, high + 1)) + list(range(low, end + 1))
    return set(span[::step])


def _value(text: str, names: dict[str, int]) -> int:
    return names[text.upper()] if text.upper() in names else int(text)


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    return frozenset().union(*(_expand(part, low, high, names or {}) for part in text.split(",")))


def _nearest_weekday(day: date) -> date:
    """Quartz ``W``: the weekday nearest ``day`` without leaving its month."""
    if day.weekday() < 5:
        return day
    last = calendar.monthrange(day.year, day.month)[1]
    if day.weekday() == 5:  # Saturday: Friday, or Monday if the 1st
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)  # Sunday


def _aws_weekday(day: date) -> int:
    """1 = Sunday … 7 = Saturday, as in AWS cron."""
    return (day.weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class Cron:
    """A parsed ``cron(min hour dom month dow year)`` in a time zone."""

    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int]
    timezone: ZoneInfo

    @classmethod
    def parse(cls, body: str, timezone: str = "UTC") -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise ValueError(f"cron needs 6 fields, got {len(fields)}: {body!r}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ValueError("exactly one of day-of-month and day-of-week must be '?'")
        cron = cls(
            minutes=_field(minute, 0, 59),
            hours=_field(hour, 0, 23),
            day_of_month=dom.upper(),
            months=_field(month, 1, 12, _MONTHS),
            day_of_week=dow.upper(),
            years=_field(year, 1970, 2199),
            timezone=ZoneInfo(timezone or "UTC"),
        )
        cron.day_matches(date(2000, 1, 1))  # validate the day fields now, not at the first tick
        return cron

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.day_of_month != "?":
            return self._dom_matches(day)
        return self._dow_matches(day)

    def _dom_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        matched = False
        for part in self.day_of_month.split(","):
            if part == "L":
                matched |= day.day == last
            elif part == "LW":
                matched |= day == _nearest_weekday(day.replace(day=last))
            elif part.endswith("W"):
                target = min(int(part[:-1]), last)
                matched |= day == _nearest_weekday(day.replace(day=target))
            else:
                matched |= day.day in _expand(part, 1, 31, {})
        return matched

    def _dow_matches(self, day: date) -> bool:
        weekday = _aws_weekday(day)
        last = calendar.monthrange(day.year, day.month)[1]
        matched = False
        for part in self.day_of_week.split(","):
            if part == "L":
                matched |= weekday == 7
            elif part.endswith("L"):  # e.g. 6L: the last Friday of the month
                matched |= weekday == _value(part[:-1], _WEEKDAYS) and day.day + 7 > last
            elif "#" in part:  # e.g. 2#1: the first Monday of the month
                name, nth = part.split("#", 1)
                matched |= weekday == _value(name, _WEEKDAYS) and (day.day - 1) // 7 + 1 == int(nth)
            else:
                matched |= weekday in _expand(part, 1, 7, _WEEKDAYS)
        return matched

    def latest_due(self, last: datetime, now: datetime) -> datetime | None:
        """The latest occurrence in ``(last, now]``, scanning back a day at a time."""
        start, end = last.astimezone(self.timezone), now.astimezone(self.timezone)
        day = end.date()
        times = sorted(((h, m) for h in self.hours for m in self.minutes), reverse=True)
        while day >= start.date():
            if self.day_matches(day):
                for hour, minute in times:
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.timezone)
                    if start < moment <= end:
                        return moment
            day -= timedelta(days=1)
        return None


def parse_recurring(expression: str, timezone: str = "UTC") -> Rate | Cron | None:
    """A ``rate(...)`` or ``cron(...)`` expression, None for ``at(...)``; ValueError if malformed."""
    text = expression.strip()
    if rate := _RATE.match(text):
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if count < 1:
            raise ValueError(f"rate must be positive: {expression!r}")
        return Rate(count * _UNITS[unit])
    if cron := _CRON.match(text):
        return Cron.parse(cron.group(1), timezone)
    if _AT.match(text):
        return None
    raise ValueError(f"unsupported schedule expression: {expression!r}")
