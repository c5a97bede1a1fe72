"""What each Stripe event does, once, whatever the order or number of deliveries.

The ``payment-events`` consumer calls :func:`process_event` with a stored event id (at most once
per id: Powertools idempotency, and ``processed_at`` on the stored event). Every effect is also
safe to repeat and to meet out of order, because each is a conditional write on the state it
expects:

- ``payment_intent.succeeded``: the order's intent (``INTENT#`` pointer, or its metadata when the
  create answer was lost) with the order's amount pays the order (``mark_paid``: ``paid``, the
  charge in the ledger and the payment ``succeeded`` in one transaction). Money for an order that
  cannot take it any more (``pay_by`` passed, cancelled, already paid by another intent) or of a
  wrong amount is refunded at once (:func:`chalicelib.payments.refunds.return_unowed`).
- ``payment_intent.payment_failed``: the attempt is ``failed`` unless it already succeeded (a
  failure delivered after the success changes nothing); the customer is told in the inbox.
- ``charge.refunded``: refunds of that intent still ``pending`` at Stripe are ``succeeded``.
- Anything else, and events for intents this platform did not create, are acknowledged and
  ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.payments import IntentItem, PaymentItem, RefundItem, StripeEventItem
from chalicelib.observability import logger, metrics
from chalicelib.orders import payment_port
from chalicelib.orders.access import load_order
from chalicelib.payments import refunds
from chalicelib.payments.intents import adopt_intent, load_payment
from chalicelib.payments.messages import tell_customer
from chalicelib.payments.provider import Intent, intent_from_dict

__all__ = ["process_event"]


def process_event(event_id: str) -> str:
    """Process the stored event ``event_id``; returns what it did (for logs and tests)."""
    try:
        stored = StripeEventItem.get(*StripeEventItem.key(event_id), consistent_read=True)
    except StripeEventItem.DoesNotExist:
        logger.warning("queued Stripe event is not stored", event_id=event_id)
        return "missing"
    if stored.processed_at:
        return str(stored.outcome or "processed")
    event = json.loads(stored.payload)
    obj = ((event.get("data") or {}).get("object")) or {}
    handler = _HANDLERS.get(stored.type)
    created = event.get("created")
    at = datetime.fromtimestamp(created, clock.SHANGHAI) if isinstance(created, int) else clock.now()
    outcome = handler(obj, event_id, at) if handler else "ignored"
    stored.update(
        actions=[StripeEventItem.processed_at.set(clock.iso()), StripeEventItem.outcome.set(outcome)]
    )
    metrics.add_metric(name=f"StripeEvent_{outcome}", unit="Count", value=1)
    logger.info("Stripe event processed", event_id=event_id, event_type=stored.type, outcome=outcome)
    return outcome


def _locate(intent: Intent) -> IntentItem | None:
    """Which order and attempt ``intent`` belongs to, or ``None`` for an intent not ours."""
    try:
        return IntentItem.get(*IntentItem.key(intent.intent_id), consistent_read=True)
    except IntentItem.DoesNotExist:
        pass
    order_id, payment_id = intent.metadata.get("order_id"), intent.metadata.get("payment_id")
    if not order_id or not payment_id:
        return None
    for stage in (None, "balance"):  # a live-in order's deposit, then its balance
        payment = load_payment(order_id, stage)
        known = (
            {payment.payment_id} | {str(a.get("payment_id")) for a in payment.attempts or []}
            if payment
            else set()
        )
        if payment is not None and payment_id in known:
            break
    else:
        return None
    if payment.payment_id == payment_id and not payment.intent_id:
        adopt_intent(payment, intent.intent_id)  # the create's answer never reached us
    return IntentItem(
        *IntentItem.key(intent.intent_id),
        intent_id=intent.intent_id,
        order_id=payment.order_id,
        payment_id=payment_id,
        attempt=int(intent.metadata.get("attempt") or 0),
        method=payment.method,
        created_at=clock.iso(),
        stage=payment.stage,
    )


def _succeeded(obj: dict[str, Any], event_id: str, at: datetime) -> str:
    intent = intent_from_dict(obj)
    owner = _locate(intent)
    if owner is None:
        logger.warning("payment for an unknown intent", intent_id=intent.intent_id)
        return "unknown_intent"
    order = load_order(owner.order_id, consistent=True)
    if order is None:
        logger.error("payment for a missing order", intent_id=intent.intent_id, order_id=owner.order_id)
        return "unknown_order"
    if intent.intent_id in (order.payment_ref, order.balance_ref):
        return "already_paid"
    received = intent.amount_received or intent.amount
    stage = owner.stage
    due = int(order.balance_amount or 0) if stage else int(order.deposit_amount or order.price_amount)
    if received != due or intent.currency != order.currency:
        refunds.return_unowed(order.order_id, intent.intent_id, received, "amount_mismatch")
        return "refunded_amount_mismatch"
    now_iso = clock.iso()

    def succeeded(tx: TransactWrite) -> None:
        tx.update(
            PaymentItem(*PaymentItem.key(order.order_id, stage)),
            actions=[
                PaymentItem.status.set("succeeded"),
                PaymentItem.paid_intent_id.set(intent.intent_id),
                PaymentItem.succeeded_at.set(now_iso),
                PaymentItem.updated_at.set(now_iso),
            ],
            condition=PaymentItem.pk.exists(),
        )

    try:
        if stage:
            payment_port.mark_balance_paid(order.order_id, intent.intent_id, also=succeeded)
        else:
            payment_port.mark_paid(order.order_id, intent.intent_id, also=succeeded)
    except Conflict as refused:
        reason = "late_payment" if refused.code == "payment_window_closed" else "order_not_payable"
        if order.balance_ref if stage else order.payment_ref:
            reason = "duplicate_payment"
        refunds.return_unowed(order.order_id, intent.intent_id, received, reason)
        return f"refunded_{reason}"
    except NotFound:
        return "unknown_order"
    tell_customer(order, "payment_received", cause=event_id, at=at, text=False)
    return "paid"


def _failed(obj: dict[str, Any], event_id: str, at: datetime) -> str:
    intent = intent_from_dict(obj)
    owner = _locate(intent)
    if owner is None:
        return "unknown_intent"
    try:
        PaymentItem(*PaymentItem.key(owner.order_id, owner.stage)).update(
            actions=[
                PaymentItem.status.set("failed"),
                PaymentItem.failure_code.set(intent.failure_code or "payment_failed"),
                PaymentItem.updated_at.set(clock.iso()),
            ],
            condition=(PaymentItem.intent_id == intent.intent_id)
            & PaymentItem.status.is_in(
                "creating", "requires_payment_method", "requires_action", "processing"
            ),
        )
    except UpdateError:
        return "stale_failure"  # a later attempt, or already succeeded/cancelled: nothing to change
    order = load_order(owner.order_id)
    if order is not None:
        tell_customer(order, "payment_failed", cause=event_id, at=at, text=False)
    return "payment_failed"


def _refunded(obj: dict[str, Any], event_id: str, at: datetime) -> str:
    intent_id = obj.get("payment_intent")
    if not isinstance(intent_id, str):
        return "unknown_intent"
    try:
        owner = IntentItem.get(*IntentItem.key(intent_id), consistent_read=True)
    except IntentItem.DoesNotExist:
        return "unknown_intent"
    settled = 0
    recorded = 0
    for refund in RefundItem.query(
        RefundItem.key(owner.order_id, "")[0], RefundItem.sk.startswith("REFUND#"), consistent_read=True
    ):
        if refund.intent_id != intent_id or refund.status == "failed":
            continue
        recorded += int(refund.amount)
        if refund.status == "pending":
            try:
                refund.update(
                    actions=[RefundItem.status.set("succeeded"), RefundItem.updated_at.set(clock.iso())],
                    condition=RefundItem.status == "pending",
                )
                settled += 1
            except UpdateError:
                continue
    if int(obj.get("amount_refunded") or 0) > recorded:
        # refunded outside the platform (e.g. the Stripe dashboard): reconcile by hand
        logger.error("refund not made by the platform", intent_id=intent_id, order_id=owner.order_id)
        metrics.add_metric(name="UnrecordedRefunds", unit="Count", value=1)
    return f"refunds_settled_{settled}"


_HANDLERS: dict[str, Callable[[dict[str, Any], str, datetime], str]] = {
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _failed,
    "charge.refunded": _refunded,
}
