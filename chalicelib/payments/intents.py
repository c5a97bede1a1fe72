"""Paying an order: one PaymentIntent per attempt, created with a persisted, deterministic key.

``POST /v1/orders/{id}/pay`` (:func:`pay`):

1. Only the order's customer, only while it is ``pending_payment`` before ``pay_by`` (409
   ``payment_window_closed`` after it, ``already_paid`` once paid, ``invalid_status`` otherwise).
2. The order's :class:`PaymentItem` is claimed with a conditional put (attempt 1), so of two
   concurrent first calls one claims and the other uses its attempt.
3. Another method than the current attempt's, or a current attempt that failed, starts a new
   attempt: the previous intent is cancelled at Stripe first (409 ``payment_in_progress`` when
   Stripe says it is already being paid), then the item moves to the next attempt (conditional
   on its version).
4. The intent is created with the attempt's key ``jz-pi-<order id>-<attempt>``, which the item
   held before the call: a retry (the caller's, or the library's after a timeout) and a second
   call return the same intent, never a second one. Its id is then recorded with a pointer item
   ``INTENT#<id>`` that webhooks use.

An ``Idempotency-Key`` header replays the first response of the same key and body (422
``idempotency_key_reused`` for another body).

:func:`cancel_for_expired_order` is what the payment-expiry timer calls after
``expire_unpaid``: the open intent of an order that can no longer be paid is cancelled, so the
customer cannot pay it any more; one that succeeds anyway is refunded (``processing``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib import clock
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import IntentItem, PayIdempotencyItem, PaymentItem
from chalicelib.observability import logger, metrics
from chalicelib.orders.access import load_order, order_for
from chalicelib.orders.views import effective_status
from chalicelib.payments import gateway
from chalicelib.payments.provider import Intent, IntentRequest, Method, ProviderRejected
from chalicelib.payments.settings import SETTINGS

__all__ = [
    "PaymentView",
    "cancel_for_expired_order",
    "intent_key",
    "load_payment",
    "pay",
    "payment_by_id",
    "view_of",
]

BALANCE_PAYABLE = frozenset({"paid", "assigned"})
RETRY_AFTER = frozenset({"failed", "canceled"})
"""A new pay call after these starts a new attempt (the old intent cannot be paid any more)."""
_ROUNDS = 4


@dataclass(frozen=True)
class PaymentView:
    """What the app needs to finish paying: the intent's client secret and the next action."""

    payment_id: str
    order_id: str
    method: str
    status: str
    amount: int
    currency: str
    client_secret: str | None
    next_action: dict[str, Any] | None
    created_at: str
    provider: str = "stripe"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def intent_key(order_id: str, attempt: int, stage: str | None = None) -> str:
    """The idempotency key of attempt ``attempt``'s intent (every retry of it sends the same)."""
    return f"jz-pi-{order_id}-{stage}-{attempt}" if stage else f"jz-pi-{order_id}-{attempt}"


def cancel_key(intent_id: str) -> str:
    return f"jz-pi-cancel-{intent_id}"


def load_payment(order_id: str, stage: str | None = None) -> PaymentItem | None:
    """The order's payment item (consistent) of ``stage``, or ``None`` before its first pay call."""
    try:
        return PaymentItem.get(*PaymentItem.key(order_id, stage), consistent_read=True)
    except PaymentItem.DoesNotExist:
        return None


def payment_by_id(payment_id: str) -> PaymentItem | None:
    """The payment whose current attempt is ``payment_id`` (gsi1), re-read consistently."""
    for found in PaymentItem.gsi1.query(PaymentItem.lookup_key(payment_id), limit=1):
        current = load_payment(found.order_id, found.stage)
        return current if current is not None and current.payment_id == payment_id else None
    return None


def view_of(payment: PaymentItem, intent: Intent | None = None) -> PaymentView:
    return PaymentView(
        payment_id=payment.payment_id,
        order_id=payment.order_id,
        method=payment.method,
        status=payment.status,
        amount=int(payment.amount),
        currency=payment.currency,
        client_secret=intent.client_secret if intent else None,
        next_action=intent.next_action if intent else None,
        created_at=payment.created_at,
    )


# -- pay -------------------------------------------------------------------------------------


def pay(
    order_id: str, customer_id: str, method: Method, idempotency_key: str | None = None
) -> tuple[PaymentView, bool]:
    """Start (or continue) paying ``order_id`` with ``method``; ``(view, replayed)``."""
    if idempotency_key is None:
        return _pay(order_id, customer_id, method), False
    body_hash = hashlib.sha256(json.dumps([order_id, method]).encode()).hexdigest()
    record_key = PayIdempotencyItem.key(customer_id, idempotency_key)
    seen = _idempotency_record(record_key)
    if seen is not None:
        return _replay(seen, body_hash), True
    view = _pay(order_id, customer_id, method)
    now = clock.now()
    try:
        PayIdempotencyItem(
            *record_key,
            order_id=order_id,
            body_hash=body_hash,
            response=view.to_dict(),
            created_at=clock.iso(now),
            ttl=int((now + timedelta(hours=SETTINGS.idempotency_hours)).timestamp()),
        ).save(condition=PayIdempotencyItem.pk.does_not_exist())
    except PutError:
        seen = _idempotency_record(record_key)
        if seen is not None:
            return _replay(seen, body_hash), True
        raise
    return view, False


def _idempotency_record(key: tuple[str, str]) -> PayIdempotencyItem | None:
    try:
        return PayIdempotencyItem.get(*key, consistent_read=True)
    except PayIdempotencyItem.DoesNotExist:
        return None


def _replay(seen: PayIdempotencyItem, body_hash: str) -> PaymentView:
    if seen.body_hash != body_hash:
        raise ValidationFailed(
            "idempotency_key_reused",
            details=[{"field": "Idempotency-Key", "in": "header", "code": "idempotency_key_reused"}],
        )
    return PaymentView(**dict(seen.response))


def _payable(order: OrderItem) -> tuple[str | None, int]:
    """What the customer pays now: ``(stage, amount)``; 409 unless ``order`` can be paid now.

    A live-in order booked with a deposit (docs/live-in.md) is paid twice: its deposit first
    (stage ``None``: the order becomes ``paid``), then its balance (stage ``balance``) until due.
    """
    status = effective_status(order, clock.now())
    if status == "pending_payment":
        return None, int(order.deposit_amount or order.price_amount)
    if order.balance_amount and not order.balance_ref and status in BALANCE_PAYABLE:
        if clock.iso() >= str(order.balance_due_at):
            raise Conflict("payment_window_closed")
        return "balance", int(order.balance_amount)
    if order.status == "pending_payment":
        raise Conflict("payment_window_closed")
    if order.payment_ref:
        raise Conflict("already_paid")
    raise Conflict("invalid_status", status=status, details=[{"code": "invalid_status", "status": status}])


def _pay(order_id: str, customer_id: str, method: Method) -> PaymentView:
    order = order_for(order_id, customer_id, "customer", consistent=True).order
    provider = gateway.provider()
    for _ in range(_ROUNDS):
        stage, amount = _payable(order)
        payment = load_payment(order_id, stage)
        if payment is None:
            payment = _claim(order, method, stage, amount)
        elif payment.status == "succeeded":
            raise Conflict("already_paid")
        elif payment.method != method or payment.status in RETRY_AFTER:
            payment = _supersede(payment, order, method)
        if payment is not None:
            intent = provider.create_intent(_request(payment, order))
            recorded = _record(payment, intent)
            if recorded is not None:
                return view_of(recorded, intent)
        order = load_order(order_id, consistent=True) or order  # lost a race: read again
    raise Conflict("payment_in_progress")


def _request(payment: PaymentItem, order: OrderItem) -> IntentRequest:
    return IntentRequest(
        order_id=payment.order_id,
        payment_id=payment.payment_id,
        attempt=int(payment.attempt),
        customer_id=payment.customer_id,
        method=payment.method,  # type: ignore[arg-type]
        amount=int(payment.amount),
        currency=payment.currency,
        idempotency_key=payment.idempotency_key,
        description=f"Jiazheng order {order.order_id}",
    )


def _claim(order: OrderItem, method: str, stage: str | None, amount: int) -> PaymentItem | None:
    """Attempt 1 of ``stage``, unless a concurrent call claimed it first (then ``None``: read it)."""
    now_iso = clock.iso()
    payment_id = new_id("pay")
    item = PaymentItem(
        *PaymentItem.key(order.order_id, stage),
        stage=stage,
        order_id=order.order_id,
        customer_id=order.customer_id,
        payment_id=payment_id,
        attempt=1,
        method=method,
        amount=amount,
        currency=order.currency,
        idempotency_key=intent_key(order.order_id, 1, stage),
        status="creating",
        version=1,
        created_at=now_iso,
        updated_at=now_iso,
        gsi1pk=PaymentItem.lookup_key(payment_id),
        gsi1sk="PAYMENT",
    )
    try:
        item.save(condition=PaymentItem.pk.does_not_exist())
    except PutError:
        return None
    return item


def _current_intent(payment: PaymentItem, order: OrderItem) -> str:
    """The current attempt's intent id; replays its create (same key) when the answer was lost."""
    if payment.intent_id:
        return str(payment.intent_id)
    intent_id = gateway.provider().create_intent(_request(payment, order)).intent_id
    adopt_intent(payment, intent_id)
    return intent_id


def _cancel_intent(intent_id: str) -> bool:
    """Cancel at the provider; False when it is past cancelling (succeeded or processing)."""
    try:
        gateway.provider().cancel_intent(intent_id, cancel_key(intent_id))
    except ProviderRejected as refused:
        if refused.reason == "payment_intent_unexpected_state":
            return False
        raise
    return True


def _supersede(payment: PaymentItem, order: OrderItem, method: str) -> PaymentItem | None:
    """Cancel the current attempt's intent and move to the next attempt (``None``: raced, read again)."""
    old_intent = payment.intent_id
    if payment.status != "canceled":
        old_intent = _current_intent(payment, order)
        if not _cancel_intent(old_intent):
            raise Conflict("payment_in_progress")
    attempt = int(payment.attempt) + 1
    payment_id, now_iso = new_id("pay"), clock.iso()
    history = [
        *(payment.attempts or []),
        {
            "attempt": int(payment.attempt),
            "payment_id": payment.payment_id,
            "intent_id": old_intent,
            "method": payment.method,
            "status": "canceled",
        },
    ]
    try:
        payment.update(
            actions=[
                PaymentItem.attempt.set(attempt),
                PaymentItem.payment_id.set(payment_id),
                PaymentItem.method.set(method),
                PaymentItem.idempotency_key.set(intent_key(order.order_id, attempt, payment.stage)),
                PaymentItem.intent_id.remove(),
                PaymentItem.failure_code.remove(),
                PaymentItem.status.set("creating"),
                PaymentItem.attempts.set(history),
                PaymentItem.gsi1pk.set(PaymentItem.lookup_key(payment_id)),
                PaymentItem.version.set(int(payment.version) + 1),
                PaymentItem.updated_at.set(now_iso),
            ],
            condition=(PaymentItem.version == int(payment.version)) & (PaymentItem.status != "succeeded"),
        )
    except UpdateError:
        return None
    metrics.add_metric(name="PaymentAttemptsSuperseded", unit="Count", value=1)
    return payment


def _record(payment: PaymentItem, intent: Intent) -> PaymentItem | None:
    """Write the intent id on the attempt and the ``INTENT#`` pointer; ``None`` if the attempt moved on."""
    now_iso = clock.iso()
    try:
        with transact_write() as tx:
            tx.update(
                PaymentItem(*PaymentItem.key(payment.order_id, payment.stage)),
                actions=[
                    PaymentItem.intent_id.set(intent.intent_id),
                    PaymentItem.status.set(intent.status),
                    PaymentItem.updated_at.set(now_iso),
                ],
                condition=(PaymentItem.attempt == int(payment.attempt)) & (PaymentItem.status == "creating"),
            )
            tx.save(_pointer(payment, intent.intent_id, now_iso), condition=IntentItem.pk.does_not_exist())
    except TransactWriteError:
        pass  # recorded already (a concurrent call or a webhook), or superseded: read and see
    current = load_payment(payment.order_id, payment.stage)
    if current is None or int(current.attempt) != int(payment.attempt):
        return None
    if current.intent_id != intent.intent_id:
        logger.error(
            "attempt recorded with another intent", order_id=payment.order_id, intent_id=intent.intent_id
        )
        return None
    return current


def _pointer(payment: PaymentItem, intent_id: str, now_iso: str) -> IntentItem:
    return IntentItem(
        *IntentItem.key(intent_id),
        intent_id=intent_id,
        order_id=payment.order_id,
        payment_id=payment.payment_id,
        attempt=int(payment.attempt),
        method=payment.method,
        created_at=now_iso,
        stage=payment.stage,
    )


def adopt_intent(payment: PaymentItem, intent_id: str) -> None:
    """A webhook named an intent whose create answer was lost: record it on its attempt (idempotent)."""
    now_iso = clock.iso()
    try:
        with transact_write() as tx:
            tx.update(
                PaymentItem(*PaymentItem.key(payment.order_id, payment.stage)),
                actions=[PaymentItem.intent_id.set(intent_id), PaymentItem.updated_at.set(now_iso)],
                condition=(PaymentItem.attempt == int(payment.attempt))
                & PaymentItem.intent_id.does_not_exist(),
            )
            tx.save(_pointer(payment, intent_id, now_iso), condition=IntentItem.pk.does_not_exist())
    except TransactWriteError:
        return


# -- expiry ----------------------------------------------------------------------------------


def cancel_for_expired_order(order_id: str) -> bool:
    """Cancel the open PaymentIntent of an order that can no longer be paid (expired or cancelled unpaid).

    The payment-expiry timer calls this after ``lifecycle.expire_unpaid``. Returns True when an
    intent was cancelled; False when there was none to cancel, the order is still payable or paid,
    or Stripe says the intent is already being paid (its ``succeeded`` webhook then refunds it,
    because the order no longer takes money). Safe to repeat.
    """
    order = load_order(order_id, consistent=True)
    if order is None or order.payment_ref or effective_status(order, clock.now()) == "pending_payment":
        return False
    payment = load_payment(order_id)
    if payment is None or payment.status in {"succeeded", "canceled"}:
        return False
    intent_id = _current_intent(payment, order)
    if not _cancel_intent(intent_id):
        return False
    try:
        payment.update(
            actions=[
                PaymentItem.status.set("canceled"),
                PaymentItem.intent_id.set(intent_id),
                PaymentItem.updated_at.set(clock.iso()),
            ],
            condition=(PaymentItem.attempt == int(payment.attempt)) & (PaymentItem.status != "succeeded"),
        )
    except UpdateError:
        return False
    metrics.add_metric(name="PaymentIntentsCancelledAtExpiry", unit="Count", value=1)
    return True
