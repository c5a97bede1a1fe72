"""The admin order listing (``GET /v1/admin/orders``): filters, sorts and signed cursors, no Scan.

Which index answers depends on the filters (docs/orders.md "Administration", O8-O10):

- ``worker_id``: her jobs, gsi2 ``WORKER#<id>#JOBS`` (sort key ``<start_at>#<id>``), a date
  range as the key condition. Only orders that reached ``paid`` are her jobs (an unpaid hold is
  not listed there, as in her own ``GET /v1/orders``).
- ``customer_id`` (without ``worker_id``): the customer's orders, gsi1
  ``CUSTOMER#<id>#ORDERS`` (sort key ``<created_at>#<id>``), so only the ``created_at`` sorts;
  a date range filters the start.
- otherwise: the orders-by-start-day index gsi3 ``ORDERS#<date>#<shard>``
  (``chalicelib.orders.day_index``), day by day in start order: each read of a day queries its
  shards at once (in threads) and merges them. A shard that stopped early (``Limit``, a filter)
  bounds what is known, so a page hands out only orders up to the lowest such bound and resumes
  after the last key it handed out (the frontier), querying every shard again from there.

``status`` (as shown: an unpaid order past ``pay_by`` is ``cancelled``), ``category`` and the
other id are FilterExpressions. A page spends at most :data:`QUERY_BUDGET` reads (a read of a
day's shards counts once: they run side by side), so a long run of empty days or a sparse filter
returns a short (even empty) page with a ``next_cursor`` rather than an unbounded request. The
cursor holds the partition and where to resume in it (DynamoDB's key, or the by-day frontier),
signed for exactly this listing (filters and sort).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pynamodb.expressions.condition import Condition

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.models.orders import OrderItem
from chalicelib.orders.booking import customer_orders_key, worker_jobs_key
from chalicelib.orders.day_index import INDEX as DAY_INDEX
from chalicelib.orders.day_index import SHARDS, day_shard_keys
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
"""Reads one page may spend before it answers with what it found and a cursor."""
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
    """The Queries that answer a listing: one index, its partitions in reading order, conditions.

    With ``by_day`` a partition is a day, read across its shards (``day_shard_keys``).
    """

    index: str
    key_attributes: tuple[str, str]
    partitions: tuple[str, ...]
    range_condition: Condition | None
    filter_condition: Condition | None
    forward: bool
    by_day: bool = False

    def read_limit(self, room: int) -> int:
        """DynamoDB's ``Limit`` for a Query that should yield ``room`` items (a filter drops some)."""
        return room if self.filter_condition is None else max(room, FILTERED_READ)


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
        tuple(day.isoformat() for day in days),
        None,
        _combine(filters),
        forward,
        by_day=True,
    )


def _resume(plan: _Plan, scope: str, cursor: str | None) -> tuple[int, Any]:
    """Where a page starts: the partition's position and where to resume within it."""
    token = decode_cursor(scope, cursor)
    if token is None:
        return 0, None
    partition = token.get("partition")
    if partition not in plan.partitions:
        raise _invalid("cursor", "invalid_cursor", "invalid cursor")
    if plan.by_day:
        after = token.get("after")
        return plan.partitions.index(partition), after if isinstance(after, str) else None
    key = token.get("key")
    return plan.partitions.index(partition), key if isinstance(key, dict) else None


def _read_partitions(
    plan: _Plan, position: int, key: dict[str, Any] | None, limit: int
) -> tuple[list[dict[str, Any]], int, dict[str, Any] | None]:
    """Up to ``limit`` items from one-partition Queries, resuming at DynamoDB's ``key``."""
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
            limit=plan.read_limit(room),
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
    return found, position, key


def _sort_key(item: dict[str, Any]) -> str:
    return str(item["gsi3sk"]["S"])


def _read_days(
    plan: _Plan, position: int, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], int, str | None]:
    """Up to ``limit`` items from the day shards, in start order, resuming after the frontier ``after``."""
    connection = OrderItem._get_connection()
    found: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=SHARDS) as pool:
        for _ in range(QUERY_BUDGET):
            if position >= len(plan.partitions) or len(found) >= limit:
                break
            room = limit - len(found)
            beyond = None
            if after is not None:
                beyond = OrderItem.gsi3sk > after if plan.forward else OrderItem.gsi3sk < after

            def query(key: str, beyond: Condition | None = beyond, room: int = room) -> dict[str, Any]:
                return dict(
                    connection.query(
                        key,
                        range_key_condition=beyond,
                        filter_condition=plan.filter_condition,
                        index_name=plan.index,
                        scan_index_forward=plan.forward,
                        limit=plan.read_limit(room),
                    )
                )

            answers = list(pool.map(query, day_shard_keys(plan.partitions[position])))
            items = [item for answer in answers for item in answer.get("Items", [])]
            stops = [str(a["LastEvaluatedKey"]["gsi3sk"]["S"]) for a in answers if a.get("LastEvaluatedKey")]
            # What a shard that stopped early has not shown yet lies beyond its stop: hand out
            # nothing past the nearest stop.
            bound = (min(stops) if plan.forward else max(stops)) if stops else None
            if bound is not None:
                items = [
                    i for i in items if (_sort_key(i) <= bound if plan.forward else _sort_key(i) >= bound)
                ]
            items.sort(key=_sort_key, reverse=not plan.forward)
            if len(items) > room:
                found += items[:room]
                after = _sort_key(items[room - 1])
            elif bound is not None:
                found += items
                after = bound
            else:
                found += items
                position, after = position + 1, None
    return found, position, after


def list_orders(query: OrderQuery, *, limit: int, cursor: str | None) -> tuple[list[OrderView], str | None]:
    """One page of orders for the admin console and the next cursor (None at the end)."""
    plan = _plan(query)
    scope = query.scope()
    position, resume = _resume(plan, scope, cursor)
    if plan.by_day:
        found, position, resume = _read_days(plan, position, resume, limit)
        where: dict[str, Any] = {"after": resume}
    else:
        found, position, resume = _read_partitions(plan, position, resume, limit)
        where = {"key": resume}
    views = [order_view(OrderItem.from_raw_data(raw), show_check_in_code=False) for raw in found]
    if position >= len(plan.partitions):
        return views, None
    return views, encode_cursor(scope, {"partition": plan.partitions[position], **where})
