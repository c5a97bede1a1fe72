"""The payment provider interface: what payments ask of Stripe, and the errors it may answer with.

Two implementations: :class:`~chalicelib.payments.stripe_provider.StripeProvider` (the real
API through the ``stripe`` library) and :class:`~chalicelib.payments.local_provider.LocalProvider`
(the local stage's simulation). Every call that writes carries the caller's idempotency key,
which the caller derived from what the call is for and persisted before calling: a retry after
a timeout repeats the same request, and the provider returns the first result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from chalicelib.errors import AppError, ServiceUnavailable

__all__ = [
    "METHODS",
    "Intent",
    "IntentRequest",
    "Method",
    "PaymentProvider",
    "ProviderRejected",
    "ProviderUnavailable",
    "Refund",
    "RefundRequest",
    "intent_from_dict",
]

Method = Literal["card", "alipay", "wechat_pay"]
METHODS: tuple[Method, ...] = ("card", "alipay", "wechat_pay")


@dataclass(frozen=True)
class IntentRequest:
    """Create a PaymentIntent for one payment attempt of an order."""

    order_id: str
    payment_id: str
    attempt: int
    customer_id: str
    method: Method
    amount: int  # fen
    currency: str
    idempotency_key: str
    description: str = ""


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as far as payments care: what the app needs to finish paying, and the outcome."""

    intent_id: str
    status: str  # Stripe's: requires_payment_method | requires_action | processing | succeeded | canceled | …
    amount: int
    currency: str
    client_secret: str | None = None
    next_action: dict[str, Any] | None = None
    amount_received: int = 0
    latest_charge: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    failure_code: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    """Return ``amount`` fen of the money a PaymentIntent collected."""

    intent_id: str
    amount: int
    idempotency_key: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refund:
    refund_id: str
    status: str  # pending | succeeded | failed | canceled | requires_action
    amount: int
    failure_code: str | None = None


class ProviderUnavailable(ServiceUnavailable):
    """The provider could not be reached or answered with a transient error: retry with the same key."""

    status, code = 503, "payment_provider_unavailable"


class ProviderRejected(AppError):
    """The provider refused the request; ``reason`` is its error code (e.g. ``charge_already_refunded``)."""

    status, code = 502, "payment_provider_error"

    def __init__(self, reason: str | None = None, **params: Any) -> None:
        super().__init__(details=[{"code": reason or "unknown"}], **params)
        self.reason = reason or "unknown"


class PaymentProvider(Protocol):
    """What payments need from a payment service provider."""

    def create_intent(self, request: IntentRequest) -> Intent:
        """Create (or, for a key already used, return) the PaymentIntent of ``request``."""
        ...

    def cancel_intent(self, intent_id: str, idempotency_key: str) -> Intent:
        """Cancel an intent that has not succeeded (``ProviderRejected`` when it has)."""
        ...

    def refund(self, request: RefundRequest) -> Refund:
        """Refund part or all of what an intent collected."""
        ...


def intent_from_dict(data: dict[str, Any]) -> Intent:
    """An :class:`Intent` from a PaymentIntent as Stripe's API and webhooks spell it."""
    error = data.get("last_payment_error") or {}
    charge = data.get("latest_charge")
    return Intent(
        intent_id=str(data["id"]),
        status=str(data.get("status") or ""),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or "").upper(),
        client_secret=data.get("client_secret"),
        next_action=data.get("next_action") or None,
        amount_received=int(data.get("amount_received") or 0),
        latest_charge=charge.get("id") if isinstance(charge, dict) else charge,
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        failure_code=(error.get("decline_code") or error.get("code")) if isinstance(error, dict) else None,
    )
