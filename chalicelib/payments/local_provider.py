"""The local stage's payment provider: Stripe's flow simulated, with webhooks signed as Stripe signs them.

``make run`` has no Stripe account, so this stands behind the same interface as the real
provider. It keeps its PaymentIntents and Refunds in the main table (the API and the event runner
are separate processes), shaped as Stripe's API returns them, and honours idempotency keys the
way Stripe does: the same key with the same request returns the same object, with another
request it is refused (``idempotency_error``).

``POST /v1/dev/payments/{payment_id}/complete`` plays the customer's wallet: :meth:`complete`
settles the intent and sends ``payment_intent.succeeded`` (or ``payment_intent.payment_failed``)
to the API's own webhook endpoint, signed with ``stripe.WebhookSignature`` and the webhook secret
in force, so the webhook code path is exactly the one Stripe's deliveries take. Refunds succeed at
once and send ``charge.refunded``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.payments import LocalStripeKeyItem, LocalStripeObjectItem
from chalicelib.observability import logger
from chalicelib.payments.provider import (
    Intent,
    IntentRequest,
    ProviderRejected,
    Refund,
    RefundRequest,
    intent_from_dict,
)
from chalicelib.payments.settings import SETTINGS, stripe_credentials
from chalicelib.payments.stripe_provider import intent_params

__all__ = ["WEBHOOK_PATH", "LocalProvider", "WebhookSender", "post_to_local_api", "signed"]

WEBHOOK_PATH = "/v1/payments/stripe/webhook"
API_VERSION = "2025-01-27.acacia"
OPEN = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})

WebhookSender = Callable[[bytes, str], None]
"""Delivers a signed webhook: ``(raw body, Stripe-Signature header)``."""


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, str]:
    """The raw body of ``event`` and its ``Stripe-Signature`` header, timestamped by the platform clock."""
    import stripe

    payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(clock.now().timestamp())
    )
    return payload.encode(), header


def post_to_local_api(body: bytes, signature: str) -> None:
    """Send a webhook to the local API (``LOCAL_API_URL``) in the background, retrying like Stripe."""
    base = os.environ.get("LOCAL_API_URL")
    if not base:
        logger.warning("LOCAL_API_URL is not set: the local webhook is not delivered")
        return

    def deliver() -> None:
        for attempt in range(6):
            request = urllib.request.Request(
                base.rstrip("/") + WEBHOOK_PATH,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    if answer.status < 300:
                        return
            except OSError as error:
                logger.warning("local webhook delivery failed", attempt=attempt, error=str(error))
            time.sleep(0.5 * 2**attempt)

    threading.Thread(target=deliver, name="local-webhook", daemon=True).start()


def _request_hash(kind: str, params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([kind, params], sort_keys=True).encode()).hexdigest()


def _load(object_id: str) -> dict[str, Any] | None:
    try:
        item = LocalStripeObjectItem.get(*LocalStripeObjectItem.key(object_id), consistent_read=True)
    except LocalStripeObjectItem.DoesNotExist:
        return None
    return dict(item.body)


def _save(body: dict[str, Any]) -> None:
    LocalStripeObjectItem(*LocalStripeObjectItem.key(body["id"]), object_id=body["id"], body=body).save()


class LocalProvider:
    """Stripe, simulated in the main table; ``sender`` delivers its webhooks (default: the local API)."""

    def __init__(self, sender: WebhookSender | None = None) -> None:
        self._send = sender or post_to_local_api

    # -- the provider interface ------------------------------------------------------------------

    def create_intent(self, request: IntentRequest) -> Intent:
        params = intent_params(request)
        body = self._idempotent("payment_intent", params, request.idempotency_key, lambda: self._new(request))
        return intent_from_dict(body)

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> Intent:
        self._require_key(idempotency_key)
        body = _load(intent_id)
        if body is None:
            raise ProviderRejected("resource_missing")
        if body["status"] not in OPEN | {"canceled"}:
            raise ProviderRejected("payment_intent_unexpected_state")
        body.update(status="canceled", next_action=None, canceled_at=int(clock.now().timestamp()))
        _save(body)
        return intent_from_dict(body)

    def refund(self, request: RefundRequest) -> Refund:
        params = {"payment_intent": request.intent_id, "amount": request.amount, "metadata": request.metadata}
        body = self._idempotent("refund", params, request.idempotency_key, lambda: self._new_refund(request))
        return Refund(refund_id=body["id"], status=body["status"], amount=int(body["amount"]))

    # -- the customer's wallet -------------------------------------------------------------------

    def complete(self, intent_id: str, outcome: str) -> str:
        """Settle an open intent as ``succeeded`` or ``failed`` and send its webhook; the event id."""
        body = _load(intent_id)
        if body is None:
            raise NotFound()
        if body["status"] not in OPEN:
            raise Conflict("invalid_status", status=body["status"])
        if outcome == "succeeded":
            body.update(
                status="succeeded",
                amount_received=body["amount"],
                latest_charge=new_id("ch_local"),
                next_action=None,
                last_payment_error=None,
            )
            kind = "payment_intent.succeeded"
        else:
            method = (body.get("payment_method_types") or ["card"])[0]
            body.update(
                status="requires_payment_method",
                next_action=None,
                last_payment_error={
                    "code": "card_declined" if method == "card" else "payment_intent_payment_attempt_failed",
                    "type": "card_error" if method == "card" else "invalid_request_error",
                    "message": "The local wallet declined the payment.",
                },
            )
            kind = "payment_intent.payment_failed"
        _save(body)
        return self._emit(kind, body)

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _require_key(idempotency_key: str) -> None:
        if not idempotency_key:
            raise ProviderRejected("idempotency_key_missing")

    def _idempotent(
        self, kind: str, params: dict[str, Any], idempotency_key: str, make: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Stripe's idempotency: the first request with a key creates; a repeat returns that object."""
        self._require_key(idempotency_key)
        wanted = _request_hash(kind, params)
        for _ in range(3):
            try:
                seen = LocalStripeKeyItem.get(*LocalStripeKeyItem.key(idempotency_key), consistent_read=True)
            except LocalStripeKeyItem.DoesNotExist:
                seen = None
            if seen is not None:
                if seen.request_hash != wanted:
                    raise ProviderRejected("idempotency_error")
                found = _load(seen.object_id)
                if found is not None:
                    return found
            else:
                body = make()
                try:
                    with transact_write() as tx:
                        tx.save(
                            LocalStripeObjectItem(
                                *LocalStripeObjectItem.key(body["id"]), object_id=body["id"], body=body
                            )
                        )
                        tx.save(
                            LocalStripeKeyItem(
                                *LocalStripeKeyItem.key(idempotency_key),
                                object_id=body["id"],
                                request_hash=wanted,
                            ),
                            condition=LocalStripeKeyItem.pk.does_not_exist(),
                        )
                except TransactWriteError:
                    continue  # a concurrent request with the same key won: return its object
                self._after_create(body)
                return body
        raise ProviderRejected("idempotency_conflict")

    def _new(self, request: IntentRequest) -> dict[str, Any]:
        intent_id = new_id("pi_local")
        params = intent_params(request)
        base = os.environ.get("LOCAL_API_URL", "http://127.0.0.1:8000").rstrip("/")
        wallet = f"{base}/v1/dev/payments/{request.payment_id}/complete"
        next_action: dict[str, Any] | None = None
        status = "requires_payment_method"
        if request.method == "alipay":
            status = "requires_action"
            next_action = {
                "type": "alipay_handle_redirect",
                "alipay_handle_redirect": {
                    "url": wallet,
                    "native_url": None,
                    "native_data": None,
                    "return_url": SETTINGS.alipay_return_url,
                },
            }
        elif request.method == "wechat_pay":
            status = "requires_action"
            next_action = {
                "type": "wechat_pay_display_qr_code",
                "wechat_pay_display_qr_code": {
                    "data": f"weixin://wxpay/bizpayurl?pr=local{secrets.token_hex(6)}",
                    "hosted_instructions_url": wallet,
                    "image_data_url": None,
                },
            }
        return {
            "id": intent_id,
            "object": "payment_intent",
            "amount": request.amount,
            "amount_received": 0,
            "amount_refunded": 0,
            "currency": params["currency"],
            "status": status,
            "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
            "payment_method_types": params["payment_method_types"],
            "description": params["description"],
            "metadata": params["metadata"],
            "next_action": next_action,
            "latest_charge": None,
            "last_payment_error": None,
            "created": int(clock.now().timestamp()),
            "livemode": False,
        }

    def _new_refund(self, request: RefundRequest) -> dict[str, Any]:
        intent = _load(request.intent_id)
        if intent is None:
            raise ProviderRejected("resource_missing")
        if intent["status"] != "succeeded":
            raise ProviderRejected("charge_not_succeeded")
        refunded = int(intent.get("amount_refunded") or 0)
        if request.amount <= 0 or refunded + request.amount > int(intent["amount_received"]):
            raise ProviderRejected("charge_already_refunded" if refunded else "amount_too_large")
        return {
            "id": new_id("re_local"),
            "object": "refund",
            "amount": request.amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "metadata": request.metadata,
            "created": int(clock.now().timestamp()),
        }

    def _after_create(self, body: dict[str, Any]) -> None:
        """A new refund moves money on its intent and tells the API, as Stripe's ``charge.refunded`` does."""
        if body["object"] != "refund":
            return
        intent = _load(body["payment_intent"])
        if intent is None:
            return
        intent["amount_refunded"] = int(intent.get("amount_refunded") or 0) + int(body["amount"])
        _save(intent)
        charge = {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount_received"],
            "amount_refunded": intent["amount_refunded"],
            "refunded": intent["amount_refunded"] >= intent["amount_received"],
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "metadata": intent["metadata"],
            "status": "succeeded",
        }
        self._emit("charge.refunded", charge)

    def _emit(self, kind: str, obj: dict[str, Any]) -> str:
        secret = stripe_credentials().webhook_secret
        if not secret:
            raise RuntimeError("no webhook secret for the local provider")
        event = {
            "id": new_id("evt_local"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(clock.now().timestamp()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": obj},
        }
        body, header = signed(event, secret)
        self._send(body, header)
        return str(event["id"])
