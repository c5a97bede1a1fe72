"""Orders as the use cases hand them out: plain dataclasses, never pynamodb items.

:func:`effective_status` is where "unpaid orders expire at ``pay_by``" is read: an order still
stored as ``pending_payment`` whose ``pay_by`` has passed *is* cancelled, whether or not the
expiry timer has written that yet (the write conditions enforce the same instant).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models.orders import OrderEventItem, OrderItem

__all__ = [
    "OrderView",
    "TimelineEntry",
    "effective_status",
    "event_sk",
    "order_view",
    "term_summary",
    "view_from_dict",
]

EVENT_PREFIX = "ORDER#EVENT#"


@dataclass(frozen=True)
class TimelineEntry:
    event: str
    at: str
    by: str
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class OrderView:
    order_id: str
    status: str
    customer_id: str
    worker_id: str | None
    service_id: str
    category: str
    address: dict[str, Any]
    price_amount: int
    currency: str
    start_at: str
    end_at: str
    duration_minutes: int
    pay_by: str | None
    cancellation_policy: dict[str, Any] | None
    check_in_code: str | None
    notes: str | None
    created_at: str
    updated_at: str | None
    paid_at: str | None = None
    cancelled_at: str | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    cancellation_fee: int | None = None
    refund_amount: int | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    term: dict[str, Any] | None = None  # live-in orders only (term_summary)
    deposit: dict[str, Any] | None = None  # a live-in order paid by deposit and balance

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def view_from_dict(data: dict[str, Any]) -> OrderView:
    """Rebuild a view stored with :meth:`OrderView.to_dict` (the idempotent replay)."""
    timeline = [TimelineEntry(**entry) for entry in data.get("timeline", [])]
    return OrderView(**{**data, "timeline": timeline})


def event_sk(at: str, version: int) -> str:
    """Timeline sort key: under the order's own ``ORDER`` key, in time order."""
    return f"{EVENT_PREFIX}{at}#{version:06d}"


def effective_status(item: OrderItem, now: datetime | None = None) -> str:
    """The order's status, counting an unpaid order past ``pay_by`` as cancelled."""
    if item.status == "pending_payment" and item.pay_by and item.pay_by <= clock.iso(now):
        return "cancelled"
    return item.status


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def order_view(
    item: OrderItem,
    events: list[OrderEventItem] | None = None,
    *,
    show_check_in_code: bool,
    now: datetime | None = None,
) -> OrderView:
    """The view of ``item``; the check-in code only for its customer."""
    status = effective_status(item, now)
    lapsed = status != item.status
    timeline = [TimelineEntry(e.event, e.at, e.by, e.details) for e in events or []]
    if lapsed and item.pay_by:
        timeline.append(TimelineEntry("expired", item.pay_by, "system", None))
    return OrderView(
        order_id=item.order_id,
        status=status,
        customer_id=item.customer_id,
        worker_id=item.worker_id,
        service_id=item.service_id,
        category=item.category,
        address=dict(item.address or {}),
        price_amount=int(item.price_amount),
        currency=item.currency,
        start_at=item.start_at,
        end_at=item.end_at,
        duration_minutes=int(item.duration_minutes),
        pay_by=item.pay_by,
        cancellation_policy=item.cancellation_policy,
        check_in_code=item.check_in_code if show_check_in_code else None,
        notes=item.notes,
        created_at=item.created_at,
        updated_at=item.updated_at,
        paid_at=item.paid_at,
        cancelled_at=item.pay_by if lapsed else item.cancelled_at,
        cancelled_by="system" if lapsed else item.cancelled_by,
        cancel_reason="payment_timeout" if lapsed else item.cancel_reason,
        cancellation_fee=_int(item.cancellation_fee),
        refund_amount=0 if lapsed else _int(item.refund_amount),
        timeline=timeline,
        term=term_summary(item),
        deposit=deposit_summary(item),
    )


def deposit_summary(item: OrderItem) -> dict[str, Any] | None:
    """The deposit (定金) and balance (尾款) of a live-in order, with what is paid; None otherwise."""
    if not item.deposit_amount:
        return None
    return {
        "deposit_amount": int(item.deposit_amount),
        "deposit_paid": bool(item.payment_ref),
        "balance_amount": int(item.balance_amount or 0),
        "balance_due_at": item.balance_due_at,
        "balance_paid_at": item.balance_paid_at,
    }


def term_summary(item: OrderItem) -> dict[str, Any] | None:
    """A live-in order's term as the API shows it; None for a visit."""
    if item.occupancy != "live_in" or not item.term_start:
        return None
    first = date.fromisoformat(item.term_start)
    days = int(item.term_days or 0)
    window = int(item.window_days or 0)
    held_days = int(item.held_days or 0)
    held_from = date.fromisoformat(item.held_from) if item.held_from else first
    return {
        "start_date": first.isoformat(),
        "days": days,
        "last_date": (first + timedelta(days=days - 1)).isoformat(),
        "price_unit": item.price_unit,
        "rest_days": int(item.rest_days or 0),
        "window_days": window,
        "earliest_start": (first - timedelta(days=window)).isoformat(),
        "latest_start": (first + timedelta(days=window)).isoformat(),
        "held_from": held_from.isoformat() if held_days else None,
        "held_to": (held_from + timedelta(days=held_days - 1)).isoformat() if held_days else None,
    }
