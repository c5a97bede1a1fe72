"""Payment items: an order's payment and refunds, the ledger, Stripe events and intent pointers.

Keys (docs/payments.md has the access patterns):
- payment          ``ORDER#<order id> / PAYMENT`` (one per order: its current attempt, and the
                   attempts it superseded); gsi1 ``PAYMENT#<payment id>`` / ``PAYMENT``; a live-in
                   order paid by deposit has a second, ``PAYMENT#balance`` (its 尾款)
- refund           ``ORDER#<order id> / REFUND#<purpose>`` (``cancellation``, or
                   ``unowed#<intent id>`` for money that arrived when nothing was owed)
- ledger entry     ``ORDER#<order id> / LEDGER#<transaction id>#<line>``;
                   gsi2 ``JOURNAL#<yyyy-mm-dd>`` / ``<at>#<transaction id>#<line>`` (the daily journal);
                   a worker's share also gsi1 ``WORKER#<worker id>#EARNINGS`` / ``<at>#<order id>``
- intent pointer   ``INTENT#<intent id> / INTENT`` (a webhook's intent -> its order, consistently)
- Stripe event     ``STRIPE#EVENT#<event id> / EVENT`` (the raw webhook body; TTL 30 days)
- pay idempotency  ``PAYIDEMP#<customer id>#<key> / IDEMP`` (TTL 24 h)
- local provider   ``LOCALSTRIPE#<object id> / OBJECT`` and ``LOCALSTRIPE#KEY#<key> / KEY``
                   (the local stage's stand-in for Stripe keeps its objects here)
The order partition's own Query (``begins_with(sk, "ORDER")``) never returns these items.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = [
    "IntentItem",
    "LedgerEntryItem",
    "LocalStripeKeyItem",
    "LocalStripeObjectItem",
    "PayIdempotencyItem",
    "PaymentItem",
    "RefundItem",
    "StripeEventItem",
]


class PaymentItem(MainItem):
    """``ORDER#<id> / PAYMENT``: how an order is being paid, one attempt at a time.

    An attempt is one PaymentIntent for one method, created with the attempt's own persisted
    idempotency key (``jz-pi-<order id>-<attempt>``), so a retried create returns the same intent.
    A new attempt (another method, or after a failure) first cancels the previous intent; the
    superseded attempts stay listed in ``attempts``. Every change is conditional on ``version``.
    """

    order_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    payment_id = UnicodeAttribute()  # the current attempt's id (``pay_…``), shown to the client
    attempt = NumberAttribute()
    method = UnicodeAttribute()  # card | alipay | wechat_pay
    amount = NumberAttribute()  # fen
    currency = UnicodeAttribute(default="CNY")
    idempotency_key = UnicodeAttribute()  # of the current attempt's create
    intent_id = UnicodeAttribute(null=True)  # known once the create answered
    # creating | requires_payment_method | requires_action | processing | succeeded | failed | canceled
    status = UnicodeAttribute()
    failure_code = UnicodeAttribute(null=True)
    paid_intent_id = UnicodeAttribute(null=True)  # the intent whose money paid the order
    # the superseded attempts: [{attempt, payment_id, intent_id, method, status}]
    attempts = JSONAttribute(null=True)
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    succeeded_at = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)  # None: the order's (first) payment; "balance": a live-in 尾款

    @staticmethod
    def key(order_id: str, stage: str | None = None) -> tuple[str, str]:
        return f"ORDER#{order_id}", f"PAYMENT#{stage}" if stage else "PAYMENT"

    @staticmethod
    def lookup_key(payment_id: str) -> str:
        """gsi1 partition of the payment whose current attempt is ``payment_id``."""
        return f"PAYMENT#{payment_id}"


class IntentItem(MainItem):
    """``INTENT#<intent id> / INTENT``: which order and attempt a PaymentIntent belongs to."""

    intent_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    payment_id = UnicodeAttribute()
    attempt = NumberAttribute()
    method = UnicodeAttribute()
    created_at = UnicodeAttribute()
    stage = UnicodeAttribute(null=True)  # the payment stage it pays (None, or "balance")

    @staticmethod
    def key(intent_id: str) -> tuple[str, str]:
        return f"INTENT#{intent_id}", "INTENT"


class RefundItem(MainItem):
    """``ORDER#<id> / REFUND#<purpose>``: one refund the platform owes, from claim to Stripe's answer.

    Claimed (``requested``) before Stripe is called, with the persisted idempotency key the call
    uses (``jz-rf-<order id>-<purpose>``), so a retry after a timeout cannot refund twice; then
    ``pending`` or ``succeeded`` with Stripe's refund id (``charge.refunded`` settles ``pending``),
    or ``failed``.
    """

    refund_id = UnicodeAttribute()  # ours (``rfd_…``)
    order_id = UnicodeAttribute()
    purpose = UnicodeAttribute()  # cancellation | unowed#<intent id>
    intent_id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute(default="CNY")
    idempotency_key = UnicodeAttribute()
    provider_refund_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # requested | pending | succeeded | failed
    # cancellation | late_payment | order_not_payable | duplicate_payment | amount_mismatch
    reason = UnicodeAttribute()
    failure_code = UnicodeAttribute(null=True)
    # An admin refund of a done job: where its money comes from in the ledger
    # (``chalicelib.payments.dispute_refunds``): prepayment | reversal | expense
    ledger_source = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(order_id: str, purpose: str) -> tuple[str, str]:
        return f"ORDER#{order_id}", f"REFUND#{purpose}"


class LedgerEntryItem(MainItem):
    """One line of a balanced ledger transaction (debits positive, credits negative, in fen).

    The lines of a transaction are written together, each with a "not exists" condition on a key
    derived from what caused it (``charge-<intent id>``, ``complete-<order id>``, …), in the same
    DynamoDB transaction as the state change they belong to: a repeat cannot book anything twice.
    """

    entry_id = UnicodeAttribute()  # <transaction id>#<line>
    txn_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # charge | completion | refund | unowed_charge | unowed_return
    order_id = UnicodeAttribute()
    account = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute(default="CNY")
    at = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)  # the intent or refund it records
    worker_id = UnicodeAttribute(null=True)
    # a worker's share: pending (the payouts issue moves it on)
    earning_status = UnicodeAttribute(null=True)

    @staticmethod
    def key(order_id: str, txn_id: str, line: int) -> tuple[str, str]:
        return f"ORDER#{order_id}", f"LEDGER#{txn_id}#{line:02d}"


class StripeEventItem(MainItem):
    """``STRIPE#EVENT#<event id> / EVENT``: a verified webhook as received, and whether it was processed."""

    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    payload = UnicodeAttribute()  # the raw body, exactly as signed
    received_at = UnicodeAttribute()
    deliveries = NumberAttribute(default=1)
    processed_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)

    @staticmethod
    def key(event_id: str) -> tuple[str, str]:
        return f"STRIPE#EVENT#{event_id}", "EVENT"


class PayIdempotencyItem(MainItem):
    """``PAYIDEMP#<customer id>#<key> / IDEMP``: an ``Idempotency-Key`` sent to ``POST …/pay``."""

    order_id = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    response = JSONAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(customer_id: str, idempotency_key: str) -> tuple[str, str]:
        return f"PAYIDEMP#{customer_id}#{idempotency_key}", "IDEMP"


class LocalStripeObjectItem(MainItem):
    """A PaymentIntent or Refund of the local payment provider (local stage and tests only)."""

    object_id = UnicodeAttribute()
    body = JSONAttribute()  # the object, shaped as Stripe's API returns it

    @staticmethod
    def key(object_id: str) -> tuple[str, str]:
        return f"LOCALSTRIPE#{object_id}", "OBJECT"


class LocalStripeKeyItem(MainItem):
    """An idempotency key the local provider has seen: the request it came with and its result."""

    object_id = UnicodeAttribute()
    request_hash = UnicodeAttribute()

    @staticmethod
    def key(idempotency_key: str) -> tuple[str, str]:
        return f"LOCALSTRIPE#KEY#{idempotency_key}", "KEY"
