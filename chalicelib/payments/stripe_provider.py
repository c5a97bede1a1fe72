"""The payment provider on Stripe's API, through the official ``stripe`` library (imported here only).

Every write passes the caller's persisted idempotency key as ``options["idempotency_key"]``; the
library retries connection errors, timeouts, 409s and 5xx itself (``max_network_retries``) with
the same key, so a retry can never create a second intent or refund. What still fails is
translated: transient failures to :class:`ProviderUnavailable` (the caller retries later with
the same key), refusals to :class:`ProviderRejected` with Stripe's error code.

Methods, in CNY:
- ``card``: the intent is created unconfirmed; the app confirms it with the ``client_secret``
  (card details never reach this server).
- ``alipay``: confirmed here with ``payment_method_data[type]=alipay`` and the app's return URL;
  ``next_action.alipay_handle_redirect`` holds the URL (or native data) to open.
- ``wechat_pay``: confirmed here with ``payment_method_options[wechat_pay][client]=web``;
  ``next_action.wechat_pay_display_qr_code.data`` is what the QR code shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.payments.provider import (
    Intent,
    IntentRequest,
    ProviderRejected,
    ProviderUnavailable,
    Refund,
    RefundRequest,
    intent_from_dict,
)
from chalicelib.payments.settings import SETTINGS

if TYPE_CHECKING:
    import stripe

__all__ = ["StripeProvider", "intent_params"]


def intent_params(request: IntentRequest) -> dict[str, Any]:
    """The ``POST /v1/payment_intents`` parameters of ``request`` (the same for every retry)."""
    params: dict[str, Any] = {
        "amount": request.amount,
        "currency": request.currency.lower(),
        "payment_method_types": [request.method],
        "description": request.description or f"Jiazheng order {request.order_id}",
        "metadata": {
            "order_id": request.order_id,
            "payment_id": request.payment_id,
            "attempt": str(request.attempt),
            "customer_id": request.customer_id,
        },
    }
    if request.method == "alipay":
        params.update(
            confirm=True,
            payment_method_data={"type": "alipay"},
            return_url=SETTINGS.alipay_return_url,
        )
    elif request.method == "wechat_pay":
        params.update(
            confirm=True,
            payment_method_data={"type": "wechat_pay"},
            payment_method_options={"wechat_pay": {"client": SETTINGS.wechat_pay_client}},
        )
    return params


class StripeProvider:
    """Stripe through ``stripe.StripeClient``; ``http_client`` replaces its HTTP layer (tests)."""

    def __init__(
        self,
        api_key: str,
        *,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = SETTINGS.stripe_network_retries,
    ) -> None:
        import stripe

        if http_client is None:
            http_client = stripe.RequestsClient(
                timeout=(SETTINGS.stripe_connect_timeout_seconds, SETTINGS.stripe_read_timeout_seconds)
            )
        self._client = stripe.StripeClient(
            api_key, http_client=http_client, max_network_retries=max_network_retries
        )

    def create_intent(self, request: IntentRequest) -> Intent:
        with _translated():
            created = self._client.v1.payment_intents.create(
                params=intent_params(request),  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        return intent_from_dict(created.to_dict())

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> Intent:
        with _translated():
            cancelled = self._client.v1.payment_intents.cancel(
                intent_id, params={}, options={"idempotency_key": idempotency_key}
            )
        return intent_from_dict(cancelled.to_dict())

    def refund(self, request: RefundRequest) -> Refund:
        with _translated():
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": request.intent_id,
                    "amount": request.amount,
                    "metadata": dict(request.metadata),
                },
                options={"idempotency_key": request.idempotency_key},
            )
        data = refund.to_dict()
        return Refund(
            refund_id=str(data["id"]),
            status=str(data.get("status") or "pending"),
            amount=int(data.get("amount") or request.amount),
            failure_code=data.get("failure_reason"),
        )


class _translated:
    """Turn the library's exceptions into the provider interface's two errors."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        import stripe

        if error is None or not isinstance(error, stripe.StripeError):
            return
        transient = (
            stripe.APIConnectionError,
            stripe.RateLimitError,
            stripe.APIError,
            stripe.AuthenticationError,
            stripe.PermissionError,
        )
        if isinstance(error, transient) or (error.http_status or 0) >= 500 or error.http_status == 409:
            raise ProviderUnavailable() from error
        raise ProviderRejected(error.code or type(error).__name__) from error
