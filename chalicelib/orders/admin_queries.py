"""The admin order listing (``GET /v1/admin/orders``): filters, sorts and signed cursors, no Scan.

Which index answers depends on the filters (docs/orders.md "Administration", O8-O10):

- ``worker_id``: her jobs, gsi2 ``WORKER#<id>#JOBS`` (sort key ``<start_at>#<id>``), a date
  range as the key condition. Only orders that reached ``paid`` are her jobs (an unpaid hold is
  not listed there, as in her own ``GET /v1/orders``).
- ``customer_id`` (without ``worker_id``): the customer's orders, gsi1
  ``CUSTOMER#<id>#ORDERS`` (sort key ``<created_at>#<id>``), so only the ``created_at`` sorts;
  a date range filters the start.
- otherwise: the orders-by-start-day index gsi3 ``ORDERS#<date>`` (``chalicelib.orders.day_index``),
  one Query per day of the range, in start order.

``status`` (as shown: an unpaid order past ``pay_by`` is ``cancelled``), ``category`` and the
other id are FilterExpressions. A page spends at most :data:`QUERY_BUDGET` Queries, so a long
run of empty days or a sparse filter returns a short (even empty) page with a ``next_cursor``
rather than an unbounded request. The cursor holds the partition and DynamoDB's key to resume
from, signed for exactly this listing (filters and sort).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pynamodb.expressions.condition import Condition

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.models.orders import OrderItem
from chalicelib.orders.booking import customer_orders_key, worker_jobs_key
from chalicelib.orders.day_index import INDEX as DAY_INDEX
from chalicelib.orders.day_index import day_key
from chalicelib.orders.queries import _status_filter
from chalicelib.orders.views import OrderView, order_view
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.scheduling.slots import local_day

__all__ = [
    "DEFAULT_SPAN_DAYS",
    "FILTERED_READ",
    "MAX_RANGE_DAYS",
    "QUERY_BUDGET",
    "SORTS",
    "OrderQuery",
    "Sort",
    "list_orders",
]

Sort = Literal["start_at", "-start_at", "created_at", "-created_at"]
SORTS: tuple[Sort, ...] = ("start_at", "-start_at", "created_at", "-created_at")

MAX_RANGE_DAYS = 92
"""The longest ``from``..``to`` the by-day listing reads (a quarter)."""
DEFAULT_SPAN_DAYS = 14
"""A missing ``from`` / ``to`` lies this many days from the other bound (or from today)."""
QUERY_BUDGET = 32
"""Queries one page may spend before it answers with what it found and a cursor."""
FILTERED_READ = 100
"""Items a filtered Query evaluates at once (a filter is applied after DynamoDB's ``Limit``)."""


@dataclass(frozen=True)
class OrderQuery:
    """The filters of the listing; ``sort`` None means newest first for the chosen index."""

    status: str | None = None
    category: str | None = None
    worker_id: str | None = None
    customer_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: Sort | None = None

    def scope(self) -> str:
        """What a cursor is bound to: the same filters and sort, nothing else."""
        parts = (self.status, self.category, self.worker_id, self.customer_id, self.date_from, self.date_to)
        return (
            "admin-orders:" + ":".join("" if part is None else str(part) for part in parts) + f":{self.sort}"
        )


@dataclass(frozen=True)
class _Plan:
    """The Queries that answer a listing: one index, its partitions in reading order, conditions."""

    index: str
    key_attributes: tuple[str, str]
    partitions: tuple[str, ...]
    range_condition: Condition | None
    filter_condition: Condition | None
    forward: bool


def _invalid(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field_name, "code": code, "message": message}])


def _sort(query: OrderQuery, allowed: tuple[Sort, Sort], default: Sort) -> bool:
    """Whether the listing reads forward; 422 for a sort the chosen index cannot give."""
    sort = query.sort or default
    if sort not in allowed:
        raise _invalid("sort", "unsupported_sort", f"with these filters sort by {' or '.join(allowed)}")
    return not sort.startswith("-")


def _upper(day: date) -> str:
    """A bound above every ISO time of ``day`` ('~' sorts after the 'T' that follows the date)."""
    return f"{day.isoformat()}~"


def _start_range(attribute: Any, query: OrderQuery) -> Condition | None:
    """``attribute`` (an ISO start, or a key that begins with one) within ``from``..``to``."""
    low = query.date_from.isoformat() if query.date_from else None
    high = _upper(query.date_to) if query.date_to else None
    if low and high:
        return attribute.between(low, high)
    if low:
        return attribute >= low
    if high:
        return attribute <= high
    return None


def _days(query: OrderQuery) -> list[date]:
    """The days of the by-day listing: ``from``..``to``, a missing bound filled in, at most a quarter."""
    span = timedelta(days=DEFAULT_SPAN_DAYS)
    if query.date_from and query.date_to:
        first, last = query.date_from, query.date_to
    elif query.date_from:
        first, last = query.date_from, query.date_from + span
    elif query.date_to:
        first, last = query.date_to - span, query.date_to
    else:
        today = local_day(clock.now())
        first, last = today - span, today + span
    if last < first:
        raise _invalid("to", "before_from", "`to` is before `from`")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise _invalid("to", "range_too_long", f"at most {MAX_RANGE_DAYS} days at once")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _combine(conditions: list[Condition | None]) -> Condition | None:
    present = [condition for condition in conditions if condition is not None]
    if not present:
        return None
    combined = present[0]
    for condition in present[1:]:
        combined &= condition
    return combined


def _plan(query: OrderQuery) -> _Plan:
    filters: list[Condition | None] = [
        _status_filter(query.status),
        OrderItem.category == query.category if query.category else None,
    ]
    if query.worker_id:
        forward = _sort(query, ("start_at", "-start_at"), "-start_at")
        if query.customer_id:
            filters.append(OrderItem.customer_id == query.customer_id)
        return _Plan(
            "gsi2",
            ("gsi2pk", "gsi2sk"),
            (worker_jobs_key(query.worker_id),),
            _start_range(OrderItem.gsi2sk, query),
            _combine(filters),
            forward,
        )
    if query.customer_id:
        forward = _sort(query, ("created_at", "-created_at"), "-created_at")
        filters.append(_start_range(OrderItem.start_at, query))
        return _Plan(
            "gsi1",
            ("gsi1pk", "gsi1sk"),
            (customer_orders_key(query.customer_id),),
            None,
            _combine(filters),
            forward,
        )
    forward = _sort(query, ("start_at", "-start_at"), "-start_at")
    days = _days(query)
    if not forward:
        days.reverse()
    return _Plan(
        DAY_INDEX,
        ("gsi3pk", "gsi3sk"),
        tuple(day_key(day.isoformat()) for day in days),
        None,
        _combine(filters),
        forward,
    )


def _resume(plan: _Plan, scope: str, cursor: str | None) -> tuple[int, dict[str, Any] | None]:
    """Where a page starts: the partition's position and DynamoDB's key within it."""
    token = decode_cursor(scope, cursor)
    if token is None:
        return 0, None
    partition = token.get("partition")
    if partition not in plan.partitions:
        raise _invalid("cursor", "invalid_cursor", "invalid cursor")
    key = token.get("key")
    return plan.partitions.index(partition), key if isinstance(key, dict) else None


def list_orders(query: OrderQuery, *, limit: int, cursor: str | None) -> tuple[list[OrderView], str | None]:
    """One page of orders for the admin console and the next cursor (None at the end)."""
    plan = _plan(query)
    scope = query.scope()
    position, key = _resume(plan, scope, cursor)
    connection = OrderItem._get_connection()
    found: list[dict[str, Any]] = []
    for _ in range(QUERY_BUDGET):
        if position >= len(plan.partitions) or len(found) >= limit:
            break
        room = limit - len(found)
        answer = connection.query(
            plan.partitions[position],
            range_key_condition=plan.range_condition,
            filter_condition=plan.filter_condition,
            index_name=plan.index,
            exclusive_start_key=key,
            scan_index_forward=plan.forward,
            limit=room if plan.filter_condition is None else max(room, FILTERED_READ),
        )
        items: list[dict[str, Any]] = answer.get("Items", [])
        if len(items) > room:  # resume right after the last item handed out
            items = items[:room]
            key = {name: items[-1][name] for name in ("pk", "sk", *plan.key_attributes)}
        else:
            key = answer.get("LastEvaluatedKey")
        found += items
        if key is None:
            position += 1
    views = [order_view(OrderItem.from_raw_data(raw), show_check_in_code=False) for raw in found]
    if position >= len(plan.partitions):
        return views, None
    return views, encode_cursor(scope, {"partition": plan.partitions[position], "key": key})
