"""Term arithmetic of live-in work: pure, no table, no clock.

A live-in order occupies its worker for whole days: every day from the term's first day for
``days`` days, 24 hours (docs/live-in.md). Before the exact start is confirmed the customer may
hold a window (a 月嫂's start is the due date ± N days): the worker's days are then held from the
window's earliest start to the end of a term starting at its latest.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.orders.live_in_rules import LiveInRules

__all__ = [
    "Span",
    "add_months",
    "days_between",
    "month_term_days",
    "pro_rata_refund",
    "rest_days",
    "served_amount",
]


@dataclass(frozen=True)
class Span:
    """Consecutive whole days ``[first, first + days)``."""

    first: date
    days: int

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    @property
    def end(self) -> date:
        """The day after the last (exclusive end)."""
        return self.first + timedelta(days=self.days)

    def dates(self) -> list[str]:
        """Every day, as ISO dates."""
        return [(self.first + timedelta(days=offset)).isoformat() for offset in range(self.days)]

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    @staticmethod
    def between(first: date, last: date) -> Span:
        """The days from ``first`` to ``last``, both included (empty when ``last`` < ``first``)."""
        return Span(first, max(0, (last - first).days + 1))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def month_term_days(first: date, months: int) -> int:
    """Days of ``months`` calendar months from ``first`` (10 Jan for one month: to 9 Feb, 31 days)."""
    return (add_months(first, months) - first).days


def days_between(first: date, last: date) -> int:
    """Days from ``first`` to ``last``, both included."""
    return (last - first).days + 1


def rest_days(term_days: int, price_unit: str, rules: LiveInRules) -> int:
    """The worker's days off inside a term: ``rest_days_per_month`` per 30 days of a monthly
    live-in job, rounded down; none in a 月嫂 term (its 26 days are the working days)."""
    if price_unit != "per_month":
        return 0
    return term_days * rules.rest_days_per_month // 30


def served_amount(price: int, term_days: int, served_days: int) -> int:
    """The part of ``price`` earned by ``served_days`` of ``term_days``, rounded half up (fen).

    The worker is paid for every day she served; the customer gets the rest back.
    """
    if term_days <= 0:
        return 0
    served_days = min(max(served_days, 0), term_days)
    return (price * served_days * 2 + term_days) // (2 * term_days)


def pro_rata_refund(price: int, term_days: int, served_days: int) -> int:
    """What an early end returns: the price of the days not served (``price`` - served share)."""
    return price - served_amount(price, term_days, served_days)
