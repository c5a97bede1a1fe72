"""Order items: one partition per order holds the order, its timeline, its chat and its review.

Keys (docs/orders.md has the access patterns):
- order            ``ORDER#<id> / ORDER``
                   gsi1 ``CUSTOMER#<customer id>#ORDERS`` / ``<created_at>#<id>`` (a customer's orders)
                   gsi2 ``WORKER#<worker id>#JOBS`` / ``<start_at>#<id>`` (a worker's jobs, once assigned)
                   or, while a paid order waits in the pool, ``POOL#<category>#<city>#<district>``
- timeline event   ``ORDER#<id> / ORDER#EVENT#<at>#<order version>``
- chat message     ``ORDER#<id> / MSG#<ulid>``
- offer            ``ORDER#<id> / OFFER#<worker id>`` (matching pushed the order to her)
- review           ``ORDER#<id> / REVIEW`` (at most one, by construction);
                   gsi1 ``WORKER#<worker id>#REVIEWS`` / ``<created_at>#<id>`` (newest first)
One Query of the partition (``begins_with(sk, "ORDER")``) returns the order with its timeline and
nothing else (chat and review keys sort apart); chat pages are a Query of ``MSG#`` keys.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = [
    "CalendarGuardItem",
    "IdempotencyItem",
    "MessageItem",
    "OfferItem",
    "OrderEventItem",
    "OrderItem",
    "ReviewItem",
    "UnpaidHoldsItem",
]


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
    # booking / lifecycle (issue 4)
    reservation_sk = UnicodeAttribute(null=True)  # the worker-day reservation's sort key, while one is held
    unpaid_slot = NumberAttribute(null=True)  # which of the customer's UnpaidHoldsItem slots it holds
    payment_ref = UnicodeAttribute(null=True)
    paid_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)  # customer | worker | admin | system
    cancel_reason = UnicodeAttribute(null=True)
    cancellation_fee = NumberAttribute(null=True)  # fen kept under the policy
    refund_amount = NumberAttribute(null=True)  # fen owed back; the payment step pays it out
    # live-in work (issue 12, docs/live-in.md): set only when the service occupies whole days
    occupancy = UnicodeAttribute(null=True)  # "live_in"; absent for a visit
    price_unit = UnicodeAttribute(null=True)  # per_term | per_month (how the term was priced)
    term_start = UnicodeAttribute(null=True)  # first day of the term (the due date while a window is open)
    term_days = NumberAttribute(null=True)  # days of the term (after extensions / an early end)
    window_days = NumberAttribute(null=True)  # ± days the start may still move (0 once confirmed)
    held_from = UnicodeAttribute(null=True)  # first day the worker's calendar holds for the order
    held_days = NumberAttribute(null=True)  # days held from ``held_from`` (0 once released)
    rest_days = NumberAttribute(null=True)  # the worker's days off inside the term (still held)
    extends_order_id = UnicodeAttribute(null=True)  # a follow-on term: the order it extends
    early_end_refund = NumberAttribute(null=True)  # fen owed back for the days not served (paid once)
    replacement_request = JSONAttribute(null=True)  # the customer's pending 换人 request {at, reason}
    worker_shares = JSONAttribute(null=True)  # replaced workers' served days [{worker_id, days}]
    deposit_amount = NumberAttribute(null=True)  # live-in: the 定金 the first payment takes (fen)
    balance_amount = NumberAttribute(null=True)  # the 尾款, due by ``balance_due_at``
    balance_due_at = UnicodeAttribute(null=True)
    balance_ref = UnicodeAttribute(null=True)  # the intent that paid the balance
    balance_paid_at = UnicodeAttribute(null=True)
    contact_phone_enc = UnicodeAttribute(null=True)  # AES-GCM, context order:<id>:contact_phone (contact.py)

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


class CalendarGuardItem(MainItem):
    """``CAL#<worker id>#<date> / GUARD``: the version of a worker-day's calendar.

    Every booking of the day reads it before checking the day's reservations and writes it with
    a condition on the version read (in the same transaction as the reservation), so of two
    bookings that checked the same state only one can commit. Its sort key does not start with
    a digit, so the slot Query (``begins_with(sk, <date>)``) never returns it.
    """

    version = NumberAttribute(default=0)
    # A live-in order holds the whole day here (docs/live-in.md): the order, and until when an
    # unpaid hold lasts (absent once paid). Written with the version bump, so the day's hold and
    # its guard are one item and a term of N days is N items of one transaction.
    term_order = UnicodeAttribute(null=True)
    term_hold_until = NumberAttribute(null=True)

    @staticmethod
    def key(worker_id: str, day: str) -> tuple[str, str]:
        return f"CAL#{worker_id}#{day}", "GUARD"


class UnpaidHoldsItem(MainItem):
    """``CUSTOMER#<id> / UNPAID``: the customer's three unpaid-order slots.

    Slot ``i`` is taken while ``hold<i>_until`` (epoch seconds, the order's ``pay_by``) is in the
    future; booking takes a free slot with a condition that it is absent or lapsed, so the limit
    holds under races and an order that expires unpaid frees its slot by itself (no timer, no
    TTL). Paying or cancelling frees it at once.
    """

    hold0_until = NumberAttribute(null=True)
    hold0_order = UnicodeAttribute(null=True)
    hold1_until = NumberAttribute(null=True)
    hold1_order = UnicodeAttribute(null=True)
    hold2_until = NumberAttribute(null=True)
    hold2_order = UnicodeAttribute(null=True)

    SLOTS = 3

    @staticmethod
    def key(customer_id: str) -> tuple[str, str]:
        return f"CUSTOMER#{customer_id}", "UNPAID"


class IdempotencyItem(MainItem):
    """``IDEMP#<customer id>#<key> / IDEMP``: an ``Idempotency-Key`` used to create an order.

    Written in the booking transaction (condition: not exists); holds the hash of the request
    body and the first response, which a replay with the same body returns. Kept a day (TTL).
    """

    order_id = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    response = JSONAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(customer_id: str, idempotency_key: str) -> tuple[str, str]:
        return f"IDEMP#{customer_id}#{idempotency_key}", "IDEMP"


class OfferItem(MainItem):
    """``ORDER#<id> / OFFER#<worker id>``: the order was pushed to this worker (matching round ``round``).

    Written with a not-exists condition, so a retried round offers (and texts) each worker once
    and a wider round skips those already asked. Its key sorts apart from the order's own items.
    """

    order_id = UnicodeAttribute()
    worker_id = UnicodeAttribute()
    round = NumberAttribute()
    offered_at = UnicodeAttribute()

    @staticmethod
    def key(order_id: str, worker_id: str) -> tuple[str, str]:
        return f"ORDER#{order_id}", f"OFFER#{worker_id}"
