"""Live-in orders: what a 月嫂 term or a 住家 month holds and costs, decided before any write.

:func:`plan_term` turns a booking request for a live-in service into the term, the days the
worker's calendar must hold (the term, widened by a start window when the exact start is still
open) and the price; :func:`held_dates` / :func:`term_of` read them back from an order. The
writes themselves are ``term_hold``'s; the rules (how long, how wide) come from
``live_in_rules.live_in_rules()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chalicelib import clock, i18n
from chalicelib.catalog.services import ServiceTerms
from chalicelib.errors import ValidationFailed
from chalicelib.models.orders import OrderItem
from chalicelib.orders.live_in_rules import LiveInRules, live_in_rules
from chalicelib.orders.terms import Span, month_term_days, rest_days, served_amount
from chalicelib.scheduling.slots import RULES, local_day

__all__ = [
    "TermPlan",
    "end_of",
    "held_dates",
    "held_span",
    "is_live_in",
    "plan_term",
    "term_of",
    "too_long",
    "wanted_span",
]

i18n.register(
    {
        "term_too_long": {
            "zh-CN": "服务周期超出可预约的上限",
            "en": "The term is longer than one booking may hold.",
        },
        "live_in_term": {
            "zh-CN": "住家订单请通过服务周期相关操作（确认开始、续约、提前结束、换人）调整",
            "en": "A live-in order changes through its term: confirm the start, extend, end early or replace.",
        },
    }
)


@dataclass(frozen=True)
class TermPlan:
    """A live-in booking, decided: the term, the start window, the days held, the price."""

    term: Span  # first day = the asked start (the due date while a window is open)
    window_days: int
    held: Span
    amount: int
    rest_days: int
    months: int | None
    deposit: int | None = None  # the 定金 paid at booking; None: paid in full
    balance_due: datetime | None = None  # the 尾款 (amount - deposit) is due by then


def _invalid(field_name: str, code: str, message: str, error: str = "validation_failed") -> ValidationFailed:
    return ValidationFailed(error, details=[{"field": field_name, "code": code, "message": message}])


def too_long(days: int, rules: LiveInRules) -> ValidationFailed:
    """422 ``term_too_long``: more days than one booking (or extension) may hold."""
    return _invalid(
        "term", "term_too_long", f"{days} days; at most {rules.max_held_days} at once", "term_too_long"
    )


def plan_term(
    service: ServiceTerms,
    start: datetime,
    *,
    months: int | None,
    window_days: int | None,
    duration_minutes: int | None,
    now: datetime,
    days: int | None = None,
) -> TermPlan:
    """The term a live-in booking asks for; 422 for a term too long, a bad start or window.

    ``days`` (an extension of a 月嫂 term by days) books part of a term at its pro-rata price.
    """
    rules = live_in_rules()
    if duration_minutes is not None and duration_minutes != service.duration_minutes:
        raise _invalid("duration_minutes", "duration_not_adjustable", "a live-in term lasts whole days")
    first = local_day(start)
    if service.price_unit == "per_month":
        months = 1 if months is None else months
        if months > rules.max_months:
            raise _invalid(
                "months", "term_too_long", f"at most {rules.max_months} months; extend later", "term_too_long"
            )
        days = month_term_days(first, months)
        amount = service.price_min * months
    else:
        if months is not None:
            raise _invalid("months", "not_monthly", "only services priced per month take months")
        full = service.term_days or 1
        days = full if days is None else days
        amount = served_amount(service.price_min, full, days)
    window = window_days or 0
    if window > rules.max_window_days:
        raise _invalid(
            "start_window_days", "window_too_wide", f"at most ±{rules.max_window_days} days", "term_too_long"
        )
    held = Span(first - timedelta(days=window), days + 2 * window)
    if held.days > rules.max_held_days:
        raise too_long(held.days, rules)
    today = local_day(now)
    if held.first <= today or start < now + timedelta(minutes=RULES.lead_minutes):
        raise _invalid(
            "start_at", "too_soon", "a live-in term starts tomorrow at the earliest", "invalid_start"
        )
    if (first - today).days > RULES.horizon_days:
        raise _invalid(
            "start_at", "too_far_ahead", f"at most {RULES.horizon_days} days ahead", "invalid_start"
        )
    # due before the earliest start the window allows (it does not move when the start is confirmed)
    due = start - timedelta(days=window, hours=rules.balance_due_hours)
    deposit = (amount * rules.deposit_basis_points * 2 + 10_000) // 20_000  # half up
    with_deposit = due > now + timedelta(hours=1) and 0 < deposit < amount  # else paid in full now
    return TermPlan(
        term=Span(first, days),
        window_days=window,
        held=held,
        amount=amount,
        rest_days=rest_days(days, service.price_unit, rules),
        months=months if service.price_unit == "per_month" else None,
        deposit=deposit if with_deposit else None,
        balance_due=due if with_deposit else None,
    )


def end_of(term: Span) -> datetime:
    """The order's ``end_at``: midnight after the term's last day (she lives in to the end)."""
    return datetime.combine(term.end, time(0), tzinfo=clock.SHANGHAI)


def is_live_in(order: OrderItem) -> bool:
    return order.occupancy == "live_in"


def term_of(order: OrderItem) -> Span:
    """The order's term (its first day the due date while a start window is open)."""
    return Span(date.fromisoformat(str(order.term_start)), int(order.term_days or 0))


def held_span(order: OrderItem) -> Span:
    """The days the worker's calendar holds for the order (none once released)."""
    if not order.held_from:
        return Span(date.fromisoformat(str(order.term_start)), 0)
    return Span(date.fromisoformat(order.held_from), int(order.held_days or 0))


def wanted_span(order: OrderItem) -> Span:
    """The days the order needs held: its term, widened by a start window still open."""
    window = int(order.window_days or 0)
    first = date.fromisoformat(str(order.term_start)) - timedelta(days=window)
    return Span(first, int(order.term_days or 0) + 2 * window)


def held_dates(order: OrderItem) -> list[str]:
    return held_span(order).dates() if order.worker_id else []
