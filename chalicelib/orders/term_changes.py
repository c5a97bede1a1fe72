"""Changing a live-in term after booking: confirm its start, end it early, extend it.

Each is one guarded transaction, like every other order change (``lifecycle``): the order
update (condition: the status and version read) with its timeline event and the calendar
writes of the days it frees or takes (``term_hold``), plus an audit entry for staff.

- **confirm start** (a window was booked, e.g. a 月嫂 around the due date): the term moves to
  the chosen day inside the window and the window's other days are freed.
- **end early**: the days after the new last day are freed and the days not served are owed
  back pro rata (``terms.pro_rata_refund``); the refund goes through the payments' refund path
  once the ``term_ended_early`` event arrives (``payments.refunds.refund_early_end``).
- **extend**: a follow-on order for the same worker from the day after the last, booked (and
  paid) like any booking; days another order holds are 409 ``slot_unavailable``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.models.orders import OrderItem
from chalicelib.orders import live_in, term_hold
from chalicelib.orders.access import OrderAccess, order_for
from chalicelib.orders.booking import BookOrder, book_order
from chalicelib.orders.day_index import day_index_actions
from chalicelib.orders.lifecycle import _moved_on, _staff_audit, _view, _write, paid_total
from chalicelib.orders.live_in_rules import live_in_rules
from chalicelib.orders.terms import Span, served_amount
from chalicelib.orders.views import OrderView, effective_status
from chalicelib.scheduling.slots import local_day

__all__ = ["BEFORE_START", "LIVE", "confirm_start", "end_early", "extend"]

LIVE = frozenset({"paid", "assigned", "en_route", "arrived", "in_service"})
"""A term can end early or be extended while it is paid and not yet finished."""

BEFORE_START = frozenset({"pending_payment", "paid", "assigned"})
"""A window's start can be confirmed until the worker sets off."""


def _invalid(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field_name, "code": code, "message": message}])


def _live_in(access: OrderAccess, allowed: frozenset[str], now: datetime) -> OrderItem:
    """The order if it is a live-in order in one of ``allowed``; 409 otherwise; 403 for its worker."""
    if access.party == "worker":
        raise Forbidden()
    order = access.order
    if not live_in.is_live_in(order):
        raise Conflict("not_live_in", details=[{"code": "not_live_in"}])
    status = effective_status(order, now)
    if status not in allowed:
        raise Conflict(
            "invalid_status", status=status, details=[{"code": "invalid_status", "status": status}]
        )
    return order


def _start_at(order: OrderItem, first: date) -> str:
    """The order's start moved to ``first``, at the same time of day."""
    moment = datetime.fromisoformat(order.start_at).astimezone(clock.SHANGHAI)
    return clock.iso(datetime.combine(first, moment.timetz()))


def _releasing(order: OrderItem, days: list[str]) -> Any:
    worker_id = order.worker_id

    def build(tx: TransactWrite) -> None:
        if worker_id and days:
            term_hold.release(tx, worker_id, order.order_id, days)

    return build


def _with(*builds: Any) -> Any:
    def build(tx: TransactWrite) -> None:
        for one in builds:
            if one:
                one(tx)

    return build


def confirm_start(
    order_id: str, user_id: str, role: str, start_date: date, *, request_id: str | None = None
) -> OrderView:
    """Fix the term's first day inside the booked window; the window's other days are freed.

    409 ``start_confirmed`` when no window is open; 422 ``start_date.outside_window``.
    """
    access = order_for(order_id, user_id, role, consistent=True)
    now = clock.now()
    order = _live_in(access, BEFORE_START, now)
    window = int(order.window_days or 0)
    if window == 0:
        raise Conflict("start_confirmed", details=[{"code": "start_confirmed"}])
    due = date.fromisoformat(str(order.term_start))
    if abs((start_date - due).days) > window:
        raise _invalid("start_date", "outside_window", f"within {window} days of {due}")
    if start_date <= local_day(now):
        raise _invalid("start_date", "too_soon", "the term starts tomorrow at the earliest")
    term = Span(start_date, int(order.term_days or 0))
    held = live_in.held_span(order)
    freed = [day for day in held.dates() if not term.contains(date.fromisoformat(day))]
    start_iso = _start_at(order, start_date)
    actions: list[Any] = [
        OrderItem.term_start.set(start_date.isoformat()),
        OrderItem.window_days.set(0),
        OrderItem.held_from.set(start_date.isoformat()),
        OrderItem.held_days.set(term.days),
        OrderItem.start_at.set(start_iso),
        OrderItem.end_at.set(clock.iso(live_in.end_of(term))),
        *day_index_actions(start_iso, order_id),
    ]
    if order.gsi2pk:
        actions.append(OrderItem.gsi2sk.set(f"{start_iso}#{order_id}"))
    audited = _staff_audit(access, "order.term_start", {"start_date": start_date.isoformat()}, request_id)
    try:
        _write(
            order,
            event="term_start_confirmed",
            by=user_id,
            actions=actions,
            details={"start_date": start_date.isoformat(), "freed_days": len(freed)},
            extra=_with(_releasing(order, freed), audited),
            now=now,
        )
    except TransactWriteError:
        raise _moved_on(order_id, now) from None
    return _view(order_id, customer=access.party == "customer")


def end_early(
    order_id: str,
    user_id: str,
    role: str,
    last_date: date | None,
    reason: str,
    *,
    request_id: str | None = None,
) -> OrderView:
    """End the term after ``last_date`` (default today): the later days are freed, the days not
    served owed back pro rata. 422 ``last_date`` outside the term or in the past; 409 while the
    start window is open or the order is not live."""
    access = order_for(order_id, user_id, role, consistent=True)
    now = clock.now()
    order = _live_in(access, LIVE, now)
    if int(order.window_days or 0):
        raise Conflict("start_not_confirmed", details=[{"code": "start_not_confirmed"}])
    term = live_in.term_of(order)
    today = local_day(now)
    last = last_date or today
    if last < today:
        raise _invalid("last_date", "date_in_past", "the days up to today are served")
    if not term.first <= last < term.last:
        raise _invalid(
            "last_date", "outside_term", f"between {term.first} and {term.last - timedelta(days=1)}"
        )
    served = (last - term.first).days + 1
    # what was paid beyond the price of the days served comes back
    refund = max(0, paid_total(order) - served_amount(int(order.price_amount), term.days, served))
    kept = Span(term.first, served)
    held = live_in.held_span(order)
    freed = [day for day in held.dates() if date.fromisoformat(day) > last]
    end_at = datetime.combine(kept.end, time(0), tzinfo=clock.SHANGHAI)
    actions: list[Any] = [
        OrderItem.term_days.set(served),
        OrderItem.held_from.set(term.first.isoformat()),
        OrderItem.held_days.set(served if held.days else 0),
        OrderItem.end_at.set(clock.iso(end_at)),
        OrderItem.early_end_refund.set(refund if order.payment_ref else 0),
    ]
    details = {
        "last_date": last.isoformat(),
        "served_days": served,
        "term_days": term.days,
        "refund": refund if order.payment_ref else 0,
        "reason": reason,
    }
    audited = _staff_audit(access, "order.term_end_early", details, request_id)
    try:
        _write(
            order,
            event="term_ended_early",
            by=user_id,
            actions=actions,
            details=details,
            extra=_with(_releasing(order, freed), audited),
            now=now,
        )
    except TransactWriteError:
        raise _moved_on(order_id, now) from None
    return _view(order_id, customer=access.party == "customer")


def extend(
    order_id: str,
    customer_id: str,
    *,
    days: int | None,
    months: int | None,
    idempotency_key: str | None = None,
) -> tuple[OrderView, bool]:
    """Book the follow-on term: the same worker, address and service from the day after the last.

    ``days`` for a 月嫂 term (pro rata of the term's price), ``months`` for a monthly one. The new
    order is paid like any booking; 409 ``slot_unavailable`` when another order holds any of
    those days, 422 ``term_too_long`` beyond ``max_extension_days``.
    """
    access = order_for(order_id, customer_id, "customer", consistent=True)
    now = clock.now()
    order = _live_in(access, LIVE, now)
    if int(order.window_days or 0):
        raise Conflict("start_not_confirmed", details=[{"code": "start_not_confirmed"}])
    monthly = order.price_unit == "per_month"
    if monthly == (months is None) or (not monthly and days is None) or (monthly and days is not None):
        wanted = "months" if monthly else "days"
        raise _invalid(wanted, "required", f"extend a {order.price_unit} term by {wanted}")
    rules = live_in_rules()
    if days is not None and days > rules.max_extension_days:
        raise live_in.too_long(days, rules)
    first = live_in.term_of(order).end
    return book_order(
        BookOrder(
            customer_id=customer_id,
            service_id=order.service_id,
            address_id=str((order.address or {}).get("address_id")),
            start_at=datetime.fromisoformat(_start_at(order, first)),
            worker_id=order.worker_id,
            notes=order.notes,
            idempotency_key=idempotency_key,
            months=months,
            term_days=days,
            extends_order_id=order_id,
        )
    )
