"""Payment settings, and where Stripe's credentials come from.

Credentials are configuration, never code. Deployed, they are the ``stripe_api_key`` and
``stripe_webhook_secret`` keys of the app's one Secrets Manager secret (read through Powertools
Parameters, cached five minutes, as ``chalicelib.secrets`` reads the others). On the local stage
they come from ``APP_SECRETS_JSON`` or the ``STRIPE_API_KEY`` / ``STRIPE_WEBHOOK_SECRET``
variables; without an API key the local stage uses the local provider, whose webhooks are signed
with a secret derived from the app's hashing pepper. A deployed stage without them refuses to
take payments (503) rather than fall back to anything.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from chalicelib.config import settings

__all__ = ["SETTINGS", "PaymentSettings", "StripeCredentials", "stripe_credentials"]


@dataclass(frozen=True)
class PaymentSettings:
    """What payments need to know (the admin settings issue makes the rates editable)."""

    currency: str = "CNY"
    commission_basis_points: int = 2000  # the platform's take of a completed order: 20 %
    webhook_tolerance_seconds: int = 300  # a signature older or newer than this is refused
    event_retention_days: int = 30  # raw webhook events are kept (and deduplicated) this long
    dedupe_seconds: int = 4 * 24 * 3600  # Stripe retries for 3 days; the consumer remembers 4
    idempotency_hours: int = 24  # an ``Idempotency-Key`` of ``POST …/pay`` is remembered this long
    stripe_network_retries: int = 2  # the library retries timeouts and 5xx with the same key
    stripe_connect_timeout_seconds: float = 2.0
    stripe_read_timeout_seconds: float = 8.0
    alipay_return_url: str = "jiazheng://payments/return"  # the app's deep link after Alipay
    wechat_pay_client: str = "web"  # "web": Stripe answers with the QR code data to show

    def commission(self, amount: int) -> int:
        """The platform's commission on ``amount`` fen, rounded half up to the fen."""
        return (amount * self.commission_basis_points + 5000) // 10000


SETTINGS = PaymentSettings()


@dataclass(frozen=True, repr=False)
class StripeCredentials:
    """Stripe's secret API key and the webhook endpoint's signing secret (either may be absent)."""

    api_key: str | None
    webhook_secret: str | None


def _secret_values() -> dict[str, Any]:
    config = settings()
    if config.app_secret_id:
        from aws_lambda_powertools.utilities import parameters

        return dict(parameters.get_secret(config.app_secret_id, transform="json", max_age=300))
    return dict(config.local_secrets)


def _local_webhook_secret(values: dict[str, Any]) -> str:
    """The local provider's signing secret: derived from the pepper, so it survives restarts."""
    pepper = str(values.get("hash_pepper", "")).encode()
    return "whsec_local_" + hmac.new(pepper, b"stripe-webhook", hashlib.sha256).hexdigest()[:32]


def stripe_credentials() -> StripeCredentials:
    """The credentials in force now (see the module docstring for where each comes from)."""
    config = settings()
    values = _secret_values()
    api_key = values.get("stripe_api_key")
    webhook_secret = values.get("stripe_webhook_secret")
    if not config.app_secret_id:
        api_key = api_key or os.environ.get("STRIPE_API_KEY") or None
        webhook_secret = webhook_secret or os.environ.get("STRIPE_WEBHOOK_SECRET") or None
        if not api_key and config.is_local:
            webhook_secret = webhook_secret or _local_webhook_secret(values)
    return StripeCredentials(api_key=api_key or None, webhook_secret=webhook_secret or None)
