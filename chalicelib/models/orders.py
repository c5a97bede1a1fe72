"""Order items: one partition per order holds the order, its timeline, its chat and its review.

Keys (docs/orders.md has the access patterns):
- order            ``ORDER#<id> / ORDER``
                   gsi1 ``CUSTOMER#<customer id>#ORDERS`` / ``<created_at>#<id>`` (a customer's orders)
                   gsi2 ``WORKER#<worker id>#JOBS`` / ``<start_at>#<id>`` (a worker's jobs, once assigned)
- timeline event   ``ORDER#<id> / EVENT#<at>#<seq>``
- chat message     ``ORDER#<id> / MSG#<ulid>``
- review           ``ORDER#<id> / REVIEW`` (at most one, by construction);
                   gsi1 ``WORKER#<worker id>#REVIEWS`` / ``<created_at>#<id>`` (newest first)
One Query of the partition (``sk`` from ``EVENT#`` to ``ORDER``) returns the order with its
timeline; chat pages are a Query of ``MSG#`` keys.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = ["MessageItem", "OrderEventItem", "OrderItem", "ReviewItem"]


class OrderItem(MainItem):
    """An order: what, where, when, for how much, and where it stands.

    ``status`` follows the state machine in ``chalicelib.orders.states``; every change is a
    conditional write on the status it leaves (``version`` guards concurrent edits).
    """

    order_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    worker_id = UnicodeAttribute(null=True)
    service_id = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    address = JSONAttribute()  # snapshot at booking: label, contact, city, district, detail, lat, lng
    price_amount = NumberAttribute()  # fen
    currency = UnicodeAttribute(default="CNY")
    start_at = UnicodeAttribute()
    end_at = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    pay_by = UnicodeAttribute(null=True)
    check_in_code = UnicodeAttribute(null=True)
    cancellation_policy = JSONAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(order_id: str) -> tuple[str, str]:
        return f"ORDER#{order_id}", "ORDER"


class OrderEventItem(MainItem):
    """One line of an order's timeline: what happened, when, by whom."""

    order_id = UnicodeAttribute()
    event = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()  # a user id, or "system"
    details = JSONAttribute(null=True)


class MessageItem(MainItem):
    """One chat message between the order's customer and its worker."""

    order_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    sender_role = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ReviewItem(MainItem):
    """The customer's review of a finished order (one per order)."""

    review_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    worker_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    reviewer_name = UnicodeAttribute()  # masked at write time, e.g. 王**
    quality = NumberAttribute()
    attitude = NumberAttribute()
    skill = NumberAttribute()
    comment = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
