"""Source events as facts: an order timeline event, a review, a ticket or a registration.

The analytics stream consumer (``chalicelib.analytics.consumer``) sees each new item of those
kinds on the main table's stream and asks :func:`fact_of` what it means for the metrics. The
category and district come from the order (one GetItem); the commission from the admin
settings in force when the order completes, so the fact, once journaled, never changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.analytics.metrics import Fact
from chalicelib.events.outbox import OUTBOX_PREFIX, event_id_for
from chalicelib.models.orders import OrderEventItem, OrderItem

__all__ = ["fact_of", "is_source"]


def is_source(pk: str, sk: str) -> bool:
    """Whether the item ``pk``/``sk`` is a source event of the metrics."""
    return (
        sk.startswith(OUTBOX_PREFIX)
        or (sk == "REVIEW" and pk.startswith("ORDER#"))
        or (sk == "TICKET" and pk.startswith("TICKET#"))
        or (sk == "PROFILE" and pk.startswith("USER#"))
    )


def _order(order_id: str | None) -> OrderItem | None:
    from chalicelib.orders.access import load_order

    return load_order(order_id) if order_id else None


def _where(order: OrderItem | None) -> dict[str, Any]:
    if order is None:
        return {}
    address = order.address or {}
    return {
        "category": order.category,
        "district": address.get("district") or None,
        "customer_id": order.customer_id,
        "worker_id": order.worker_id,
    }


def _booked_without_worker(order_id: str) -> bool:
    first = next(
        iter(OrderEventItem.query(f"ORDER#{order_id}", OrderEventItem.sk.startswith(OUTBOX_PREFIX), limit=1)),
        None,
    )
    return first is not None and first.event == "created" and not (first.details or {}).get("worker_id")


def _minutes(since: str | None, at: datetime) -> int | None:
    if not since:
        return None
    return max(0, int((at - datetime.fromisoformat(since)).total_seconds() // 60))


def _order_fact(event_id: str, image: dict[str, Any]) -> Fact:
    from chalicelib.settings.current import current_settings

    event = str(image["event"])
    at = datetime.fromisoformat(str(image["at"]))
    details = image.get("details")
    if isinstance(details, str):
        import json

        details = json.loads(details)
    details = details or {}
    order = _order(str(image["order_id"]))
    fact: dict[str, Any] = {"event_id": event_id, "kind": f"order.{event}", "at": at, **_where(order)}
    if order is not None:
        price = int(order.price_amount)
        if event == "paid":
            fact["amount"] = price
            fact["pooled"] = _booked_without_worker(order.order_id)
        elif event == "accepted":
            fact["from_pool"] = bool(details.get("from_pool"))
            fact["duration_minutes"] = int(order.duration_minutes)
            fact["minutes"] = _minutes(order.paid_at, at)
        elif event == "completed":
            city = (order.address or {}).get("city")
            fact["amount"] = price
            fact["take"] = current_settings(city).commission(price)
    if event == "refunded":
        fact["amount"] = int(details.get("amount") or 0)
    return Fact.model_validate(fact)


def fact_of(pk: str, sk: str, image: dict[str, Any]) -> Fact | None:
    """The fact the new item ``pk``/``sk`` (its stream image) stands for, or None."""
    event_id = event_id_for(pk, sk)
    if sk.startswith(OUTBOX_PREFIX):
        return _order_fact(event_id, image)
    if sk == "REVIEW":
        order = _order(str(image.get("order_id") or pk.removeprefix("ORDER#")))
        ratings = {name: int(image[name]) for name in ("quality", "attitude", "skill")}
        return Fact(
            event_id=event_id,
            kind="review",
            at=datetime.fromisoformat(str(image["created_at"])),
            ratings=ratings,
            **_where(order),
        )
    if sk == "TICKET":
        order = _order(image.get("order_id"))
        return Fact(
            event_id=event_id,
            kind="ticket",
            at=datetime.fromisoformat(str(image["created_at"])),
            ticket_type=str(image.get("type")),
            **{**_where(order), "customer_id": None, "worker_id": None},
        )
    if sk == "PROFILE":
        return Fact(
            event_id=event_id,
            kind="registration",
            at=datetime.fromisoformat(str(image["created_at"])),
            role=str(image.get("role")),
        )
    return None
