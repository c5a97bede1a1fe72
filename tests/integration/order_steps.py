"""Shared steps of the order chat and review tests: orders written as items, as booking writes them.

Booking and the lifecycle are another area's; these tests are about what chat and reviews make
of an order in a given status, so the order is simply put in that status.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib import clock
from chalicelib.ids import new_id
from chalicelib.models.orders import OrderItem


def order(customer_id: str, worker_id: str | None, service_id: str, status: str = "assigned") -> str:
    """An order of ``customer_id`` in ``status``, done (or to be done) by ``worker_id``."""
    order_id = new_id("ord")
    start = clock.now() + timedelta(days=1)
    OrderItem(
        *OrderItem.key(order_id),
        order_id=order_id,
        customer_id=customer_id,
        worker_id=worker_id,
        service_id=service_id,
        category="cleaning",
        status=status,
        address={"city": "上海市", "district": "浦东新区", "detail": "世纪大道 100 号"},
        price_amount=20000,
        start_at=clock.iso(start),
        end_at=clock.iso(start + timedelta(hours=2)),
        duration_minutes=120,
        created_at=clock.iso(),
    ).save()
    return order_id


def set_status(order_id: str, status: str) -> None:
    OrderItem(*OrderItem.key(order_id)).update(actions=[OrderItem.status.set(status)])
