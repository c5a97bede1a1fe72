"""Payments: pay an order, Stripe's webhook, an order's payment and refunds, and its ledger (admins).

Handlers only parse, call one use case and map its view; the rules live in ``chalicelib.payments``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ValidationFailed
from chalicelib.lazy import lazy_import
from chalicelib.schemas.orders import MoneyOut
from chalicelib.schemas.payments import (
    LedgerEntryOut,
    LedgerOut,
    OrderPaymentOut,
    PayIn,
    PaymentOut,
    RefundOut,
    WebhookAck,
)
from chalicelib.web import Api, Reply, Request

if TYPE_CHECKING:
    from chalicelib.payments import intents, queries, webhooks
    from chalicelib.payments.intents import PaymentView
else:
    intents = lazy_import("chalicelib.payments.intents")
    queries = lazy_import("chalicelib.payments.queries")
    webhooks = lazy_import("chalicelib.payments.webhooks")

api = Api("payments")

_KEY = re.compile(r"[A-Za-z0-9_:.-]{1,128}")


def _idempotency_key(request: Request[Any]) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not _KEY.fullmatch(key):
        raise ValidationFailed(
            details=[
                {
                    "field": "Idempotency-Key",
                    "in": "header",
                    "code": "invalid",
                    "message": "1-128 of [A-Za-z0-9-_:.]",
                }
            ]
        )
    return key


def payment_out(view: PaymentView) -> PaymentOut:
    return PaymentOut(
        payment_id=view.payment_id,
        order_id=view.order_id,
        provider="stripe",
        method=view.method,
        status=view.status,
        amount=MoneyOut(amount=view.amount, currency=view.currency),
        client_secret=view.client_secret,
        next_action=view.next_action,
        created_at=view.created_at,
    )


@api.post(
    "/v1/orders/{order_id}/pay",
    roles=("customer",),
    body=PayIn,
    response=PaymentOut,
    status=201,
    errors=(404, 409, 422),
)
def pay_order(request: Request[PayIn]) -> Reply:
    """Pay an unpaid order: a Stripe PaymentIntent in CNY for its price, with the chosen method.

    A second call returns the same intent (another method cancels the first intent and starts a
    new one). 409 ``payment_window_closed`` after ``pay_by``, ``already_paid``, ``invalid_status``
    (cancelled), ``payment_in_progress``. An ``Idempotency-Key`` header replays the first answer
    of the same key and body (header ``Idempotent-Replayed: true``). When Stripe cannot be reached
    the answer is 503 ``payment_provider_unavailable`` (retry: the same intent is reused), when it
    refuses, 502 ``payment_provider_error``.
    """
    view, replayed = intents.pay(
        request.path["order_id"],
        request.principal.user_id,
        request.body.method,
        _idempotency_key(request),
    )
    return Reply(payment_out(view), 201, {"Idempotent-Replayed": "true"} if replayed else {})


@api.post("/v1/payments/stripe/webhook", response=WebhookAck, errors=(400,))
def stripe_webhook(request: Request[Any]) -> WebhookAck:
    """Stripe's events. The ``Stripe-Signature`` header must sign the raw body with the endpoint's
    secret within 5 minutes either way (else 400, and nothing changes); the event is stored and
    queued, and processed once however often it is delivered."""
    received = webhooks.receive(request.raw_body, request.headers.get("stripe-signature"))
    return WebhookAck(received=True, event_id=received.event_id)


@api.get(
    "/v1/orders/{order_id}/payment",
    roles=("customer", "admin", "support"),
    response=OrderPaymentOut,
    errors=(404,),
)
def order_payment(request: Request[Any]) -> OrderPaymentOut:
    """How the order was paid and what was refunded (the refund also shows in the timeline)."""
    principal = request.principal
    view = queries.order_payment(request.path["order_id"], principal.user_id, principal.role)
    return OrderPaymentOut(
        order_id=view.order_id,
        payment=payment_out(view.payment) if view.payment else None,
        balance_payment=payment_out(view.balance_payment) if view.balance_payment else None,
        refunds=[
            RefundOut(
                refund_id=refund.refund_id,
                amount=MoneyOut(amount=refund.amount, currency=refund.currency),
                status=refund.status,
                reason=refund.reason,
                created_at=refund.created_at,
                updated_at=refund.updated_at,
            )
            for refund in view.refunds
        ],
    )


@api.get("/v1/admin/orders/{order_id}/ledger", roles=("admin",), response=LedgerOut, errors=(404,))
def order_ledger(request: Request[Any]) -> LedgerOut:
    """The order's ledger: every line (charge, commission, worker share, refund), balances, and their sum."""
    view = queries.order_ledger(request.path["order_id"])
    return LedgerOut(
        order_id=view.order_id,
        entries=[
            LedgerEntryOut(
                entry_id=entry.entry_id,
                txn_id=entry.txn_id,
                kind=entry.kind,
                account=entry.account,
                amount=entry.amount,
                currency=entry.currency,
                at=entry.at,
                ref=entry.ref,
                worker_id=entry.worker_id,
                earning_status=entry.earning_status,
            )
            for entry in view.entries
        ],
        accounts=view.accounts,
        balance=view.balance,
    )
