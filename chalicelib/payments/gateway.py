"""Which payment provider this process uses: Stripe when a key is configured, else (locally) the simulation.

A deployed stage without a Stripe key answers 503 instead of ever using the local provider.
Tests and local tools may install a provider with :func:`use_provider` (the Stripe adapter tests
install a :class:`StripeProvider` whose HTTP layer is a fake).
"""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.observability import logger
from chalicelib.payments.provider import PaymentProvider, ProviderUnavailable
from chalicelib.payments.settings import stripe_credentials

__all__ = ["provider", "use_provider"]

_installed: PaymentProvider | None = None


def use_provider(chosen: PaymentProvider | None) -> None:
    """Use ``chosen`` from now on (``None``: back to the configured one)."""
    global _installed
    _installed = chosen


def provider() -> PaymentProvider:
    """The provider in force: the installed one, Stripe with the configured key, or the local one."""
    if _installed is not None:
        return _installed
    credentials = stripe_credentials()
    if credentials.api_key:
        from chalicelib.payments.stripe_provider import StripeProvider

        return StripeProvider(credentials.api_key)
    if settings().is_local:
        from chalicelib.payments.local_provider import LocalProvider

        return LocalProvider()
    logger.error("no Stripe API key is configured: payments are refused")
    raise ProviderUnavailable()
