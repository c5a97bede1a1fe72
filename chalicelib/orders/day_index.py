"""The orders-by-start-day index (``gsi3``): every order, filed under the local date it starts.

``gsi3pk = ORDERS#<start date>`` and ``gsi3sk = <start_at>#<order id>``, so the admin listing
(``chalicelib.orders.admin_queries``) reads a date range day by day, in start order, with one
Query per day and never a Scan. Booking sets the keys on the order it creates; moving a job to
another start (reschedule, an admin's change) moves them with ``start_at`` in the same update.
A day is one partition: at the platform's volume (thousands of orders a day) it stays far below
a partition's limits; a busier future would shard it (``ORDERS#<date>#<n>``) and read the shards.
"""

from __future__ import annotations

from typing import Any

from chalicelib.models.orders import OrderItem

__all__ = ["INDEX", "day_index_actions", "day_key", "start_sort_key"]

INDEX = "gsi3"


def day_key(day: str) -> str:
    """The partition of the orders starting on ``day`` (``YYYY-MM-DD``, local)."""
    return f"ORDERS#{day}"


def start_sort_key(start_iso: str, order_id: str) -> str:
    """The sort key of an order starting at ``start_iso`` (a ``clock.iso`` value)."""
    return f"{start_iso}#{order_id}"


def day_index_actions(start_iso: str, order_id: str) -> list[Any]:
    """Update actions that move an order's index entry to a new start."""
    return [
        OrderItem.gsi3pk.set(day_key(start_iso[:10])),
        OrderItem.gsi3sk.set(start_sort_key(start_iso, order_id)),
    ]
