"""Reading orders: one order with its timeline (one Query), and a caller's orders (one index Query)."""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.models.orders import OrderEventItem, OrderItem
from chalicelib.orders.access import party_of
from chalicelib.orders.booking import customer_orders_key, worker_jobs_key
from chalicelib.orders.views import EVENT_PREFIX, OrderView, order_view
from chalicelib.pagination import decode_cursor, encode_cursor

__all__ = ["get_order", "list_orders", "order_with_timeline"]


def _partition(order_id: str) -> tuple[OrderItem | None, list[OrderEventItem]]:
    """The order and its timeline: ``begins_with(sk, "ORDER")`` of its partition, nothing else."""
    pk, sk = OrderItem.key(order_id)
    answer = OrderItem._get_connection().query(
        pk, range_key_condition=OrderItem.sk.startswith(sk), consistent_read=True
    )
    order, events = None, []
    for raw in answer.get("Items", []):
        if raw["sk"]["S"] == sk:
            order = OrderItem.from_raw_data(raw)
        elif raw["sk"]["S"].startswith(EVENT_PREFIX):
            events.append(OrderEventItem.from_raw_data(raw))
    return order, events


def order_with_timeline(order_id: str, *, show_check_in_code: bool) -> OrderView:
    order, events = _partition(order_id)
    if order is None:
        raise NotFound()
    return order_view(order, events, show_check_in_code=show_check_in_code)


def get_order(order_id: str, user_id: str, role: str) -> OrderView:
    """The order as ``user_id`` may see it (404 when not theirs); the check-in code for its customer."""
    order, events = _partition(order_id)
    party = party_of(order, user_id, role) if order else None
    if order is None or party is None:
        raise NotFound()
    return order_view(order, events, show_check_in_code=party == "customer")


def _status_filter(status: str | None) -> Any:
    """A FilterExpression for the status as shown (an unpaid order past ``pay_by`` shows cancelled)."""
    if status is None:
        return None
    now = clock.iso()
    if status == "pending_payment":
        return (OrderItem.status == "pending_payment") & (OrderItem.pay_by > now)
    if status == "cancelled":
        return (OrderItem.status == "cancelled") | (
            (OrderItem.status == "pending_payment") & (OrderItem.pay_by <= now)
        )
    return OrderItem.status == status


def list_orders(
    user_id: str, role: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[OrderView], str | None]:
    """A customer's orders (newest first) or a worker's jobs (latest start first), paged."""
    scope = f"orders:{role}:{user_id}:{status or ''}"
    start_key = decode_cursor(scope, cursor)
    index: Any = OrderItem.gsi1 if role == "customer" else OrderItem.gsi2
    key = customer_orders_key(user_id) if role == "customer" else worker_jobs_key(user_id)
    results = index.query(
        key,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start_key,
        filter_condition=_status_filter(status),
    )
    items = [order_view(item, show_check_in_code=role == "customer") for item in results]
    next_key = results.last_evaluated_key if len(items) == limit else None
    return items, encode_cursor(scope, next_key)
