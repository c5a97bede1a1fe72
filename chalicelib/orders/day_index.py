"""The orders-by-start-day index (``gsi3``): every order, filed under the local date it starts.

``gsi3pk = ORDERS#<start date>#<shard>`` and ``gsi3sk = <start_at>#<order id>``. A day is split
over :data:`SHARDS` partitions, the shard fixed by the order id (CRC-32, the same in every
process), because one partition a day concentrated every booking of the day on one GSI key: at
the Spring Festival peak (500 bookings a second, ``bench/peak.py``) that key took 1,020 WCU/s,
over DynamoDB's 1,000 per partition. Eight shards keep it near 130.

Readers merge the shards: :func:`orders_starting_on` streams a day in start order (exports),
the admin listing (``chalicelib.orders.admin_queries``) pages through them with a sort-key
frontier. Booking sets the keys on the order it creates; moving a job to another start
(reschedule, an admin's change) moves them with ``start_at`` in the same update.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterator
from typing import Any

from chalicelib.models.orders import OrderItem

__all__ = [
    "INDEX",
    "SHARDS",
    "day_index_actions",
    "day_key",
    "day_shard_keys",
    "orders_starting_on",
    "reindex",
    "start_sort_key",
]

INDEX = "gsi3"
SHARDS = 8
"""Partitions a day is spread over; changing it needs a re-index (``admin_cli reindex-order-days``)."""


def _shard(order_id: str) -> int:
    return zlib.crc32(order_id.encode()) % SHARDS


def day_key(day: str, order_id: str) -> str:
    """The partition of ``order_id`` among the orders starting on ``day`` (``YYYY-MM-DD``, local)."""
    return f"ORDERS#{day}#{_shard(order_id)}"


def day_shard_keys(day: str) -> tuple[str, ...]:
    """Every partition of the orders starting on ``day``."""
    return tuple(f"ORDERS#{day}#{shard}" for shard in range(SHARDS))


def start_sort_key(start_iso: str, order_id: str) -> str:
    """The sort key of an order starting at ``start_iso`` (a ``clock.iso`` value)."""
    return f"{start_iso}#{order_id}"


def day_index_actions(start_iso: str, order_id: str) -> list[Any]:
    """Update actions that move an order's index entry to a new start."""
    return [
        OrderItem.gsi3pk.set(day_key(start_iso[:10], order_id)),
        OrderItem.gsi3sk.set(start_sort_key(start_iso, order_id)),
    ]


def orders_starting_on(day: str, *, page_size: int = 500) -> Iterator[OrderItem]:
    """The orders starting on ``day`` in start order: the shards' Queries merged as they stream."""
    shards = (OrderItem.gsi3.query(key, page_size=page_size) for key in day_shard_keys(day))
    return heapq.merge(*shards, key=lambda order: str(order.gsi3sk))


def reindex() -> int:
    """File every order under its shard again (after ``SHARDS`` changed, or unsharded entries).

    An operator's one-off (``python -m chalicelib.admin_cli reindex-order-days``): it Scans the
    orders, which no request path does. Returns how many entries moved; running it again moves none.
    """
    moved = 0
    for order in OrderItem.scan(OrderItem.gsi3pk.startswith("ORDERS#")):
        wanted = day_key(str(order.start_at)[:10], str(order.order_id))
        if order.gsi3pk != wanted:
            order.update(actions=[OrderItem.gsi3pk.set(wanted)], condition=OrderItem.pk.exists())
            moved += 1
    return moved
