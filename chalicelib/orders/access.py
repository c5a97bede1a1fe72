"""Who may see an order: its customer, its assigned worker, and staff (admin, support).

Every order route loads the order through :func:`order_for`. Anybody else gets the same 404 as
for an order that does not exist, so an order id never reveals that the order is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.errors import NotFound
from chalicelib.models.orders import OrderItem

__all__ = ["STAFF_ROLES", "OrderAccess", "Party", "load_order", "order_for"]

STAFF_ROLES = frozenset({"admin", "support"})

Party = Literal["customer", "worker", "staff"]


@dataclass(frozen=True)
class OrderAccess:
    """An order and the part the caller plays in it."""

    order: OrderItem
    party: Party
    user_id: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.party == "staff"


def load_order(order_id: str, *, consistent: bool = False) -> OrderItem | None:
    """The order item, or ``None`` (one GetItem)."""
    try:
        return OrderItem.get(*OrderItem.key(order_id), consistent_read=consistent)
    except OrderItem.DoesNotExist:
        return None


def party_of(order: OrderItem, user_id: str, role: str) -> Party | None:
    """The caller's part in ``order``: a role must match the field, not just the id.

    A worker id in ``customer_id`` (or the reverse) can never happen by construction, but the
    role check keeps a caller from ever acting in a part that is not theirs.
    """
    if role == "customer" and order.customer_id == user_id:
        return "customer"
    if role == "worker" and order.worker_id and order.worker_id == user_id:
        return "worker"
    if role in STAFF_ROLES:
        return "staff"
    return None


def order_for(order_id: str, user_id: str, role: str, *, consistent: bool = False) -> OrderAccess:
    """The order as ``user_id`` may see it; 404 when it is missing or not theirs."""
    order = load_order(order_id, consistent=consistent)
    party = party_of(order, user_id, role) if order is not None else None
    if order is None or party is None:
        raise NotFound()
    return OrderAccess(order=order, party=party, user_id=user_id, role=role)
