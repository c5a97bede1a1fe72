"""The payout port and its providers: local (pays at once), Stripe Connect, and the bank batch file.

Every call carries the withdrawal id as its idempotency key, persisted on the withdrawal before
the call, so a retry after a timeout, a crash or a second run returns the first payout instead
of sending money twice. A provider answers ``paid`` (money sent) or ``submitted`` (the bank will
say later, through the imported result file); it raises :class:`PayoutUnavailable` for what a
retry may fix and :class:`PayoutRejected` for a refusal.

- :class:`LocalPayoutProvider`: the local stage's default (no Stripe key): pays at once and
  remembers each key (``LOCALPAYOUT#<key>``), which reconciliation reads as its records.
- :class:`StripeConnectProvider`: ``transfers.create`` to the worker's connected account, in the
  run's ``transfer_group``; Stripe then pays the account out on its own schedule.
- :class:`BankBatchProvider`: mainland cards (Stripe cannot pay out to China self-serve): the
  withdrawal goes into the run's CSV file for finance (``chalicelib.payouts.bank_file``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import AppError
from chalicelib.models.base import MainItem
from chalicelib.payments.settings import stripe_credentials

__all__ = [
    "BankBatchProvider",
    "LocalPayoutItem",
    "LocalPayoutProvider",
    "PayoutProvider",
    "PayoutRejected",
    "PayoutRequest",
    "PayoutResult",
    "PayoutUnavailable",
    "StripeConnectProvider",
    "connect_onboarding",
    "payout_records",
    "provider_for",
    "use_payout_provider",
]


class PayoutUnavailable(Exception):
    """Transient (timeout, 5xx, throttling): try again with the same key."""


class PayoutRejected(Exception):
    """The provider refused this payout; ``reason`` is its code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PayoutRequest:
    withdrawal_id: str
    worker_id: str
    amount: int  # fen the worker receives (amount - fee)
    currency: str
    idempotency_key: str
    run_id: str
    account_type: str
    stripe_account_id: str | None = None


@dataclass(frozen=True)
class PayoutResult:
    status: str  # paid | submitted
    provider_ref: str


class PayoutProvider(Protocol):
    name: str

    def pay(self, request: PayoutRequest) -> PayoutResult:
        """Send (or, for a key already used, return) the payout of ``request``."""
        ...


class LocalPayoutItem(MainItem):
    """``LOCALPAYOUT#<key> / PAYOUT``: a payout the local provider made (local stage and tests);
    gsi1 ``LOCALPAYOUTS#<date>`` / ``<created_at>#<key>``: its records of a day, for reconciliation."""

    payout_id = UnicodeAttribute()
    withdrawal_id = UnicodeAttribute()
    amount = NumberAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(idempotency_key: str) -> tuple[str, str]:
        return f"LOCALPAYOUT#{idempotency_key}", "PAYOUT"


class LocalPayoutProvider:
    """Pays at once; the same key returns the same payout (a conditional put)."""

    name = "local"

    def pay(self, request: PayoutRequest) -> PayoutResult:
        payout_id = "po_local_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:20]
        at = clock.iso()
        try:
            LocalPayoutItem(
                *LocalPayoutItem.key(request.idempotency_key),
                payout_id=payout_id,
                withdrawal_id=request.withdrawal_id,
                amount=request.amount,
                created_at=at,
                gsi1pk=f"LOCALPAYOUTS#{at[:10]}",
                gsi1sk=f"{at}#{request.idempotency_key}",
            ).save(condition=LocalPayoutItem.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise PayoutUnavailable(str(error)) from error
        return PayoutResult("paid", payout_id)


class StripeConnectProvider:
    """Transfers to a Connect Express account through the ``stripe`` library (imported here only)."""

    name = "stripe"

    def __init__(self, api_key: str, *, http_client: Any = None) -> None:
        import stripe

        self._client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=2)

    def pay(self, request: PayoutRequest) -> PayoutResult:
        import stripe

        if not request.stripe_account_id:
            raise PayoutRejected("no_connected_account")
        try:
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": request.amount,
                    "currency": request.currency.lower(),
                    "destination": request.stripe_account_id,
                    "transfer_group": f"payout-{request.run_id}",
                    "metadata": {"withdrawal_id": request.withdrawal_id, "worker_id": request.worker_id},
                },
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as error:
            status = error.http_status or 0
            if (
                isinstance(error, stripe.APIConnectionError | stripe.RateLimitError)
                or status >= 500
                or status == 409
            ):
                raise PayoutUnavailable(str(error)) from error
            raise PayoutRejected(error.code or type(error).__name__) from error
        return PayoutResult("paid", str(transfer.id))


class BankBatchProvider:
    """Mainland bank cards: nothing is sent now; the run writes the line into its bank file."""

    name = "bank"

    def pay(self, request: PayoutRequest) -> PayoutResult:
        return PayoutResult("submitted", f"bank-{request.run_id}-{request.withdrawal_id}")


_installed: PayoutProvider | None = None


def use_payout_provider(chosen: PayoutProvider | None) -> None:
    """Tests: use ``chosen`` for every payout from now on (``None``: back to the configured ones)."""
    global _installed
    _installed = chosen


def provider_for(account_type: str) -> PayoutProvider:
    """The provider of an account type: local without a Stripe key (local stage), else by type."""
    if _installed is not None:
        return _installed
    key = stripe_credentials().api_key
    if not key and settings().is_local:
        return LocalPayoutProvider()
    if account_type == "bank_account":
        return BankBatchProvider()
    if not key:
        raise PayoutUnavailable("no Stripe API key is configured")
    return StripeConnectProvider(key)


def payout_records(day: str) -> dict[str, int]:
    """What the provider in force says it paid on ``day`` (Shanghai): withdrawal id -> fen sent.

    Stripe: the transfers created that day (their ``metadata.withdrawal_id``); the local stage:
    the local provider's records. Bank payouts have no provider-side record here: the imported
    result file is what books them.
    """
    key = stripe_credentials().api_key
    if key:
        return _stripe_transfers(key, day)
    if not settings().is_local:
        return {}
    return {
        item.withdrawal_id: int(item.amount) for item in LocalPayoutItem.gsi1.query(f"LOCALPAYOUTS#{day}")
    }


def _stripe_transfers(api_key: str, day: str) -> dict[str, int]:
    import stripe

    start = datetime.combine(date.fromisoformat(day), time.min, clock.SHANGHAI)
    client = stripe.StripeClient(api_key, max_network_retries=2)
    found: dict[str, int] = {}
    params: dict[str, Any] = {
        "created": {"gte": int(start.timestamp()), "lt": int((start + timedelta(days=1)).timestamp())},
        "limit": 100,
    }
    for transfer in client.v1.transfers.list(params=params).auto_paging_iter():  # type: ignore[arg-type]
        data = transfer.to_dict()
        withdrawal_id = str((data.get("metadata") or {}).get("withdrawal_id") or "")
        if withdrawal_id:
            found[withdrawal_id] = found.get(withdrawal_id, 0) + int(data.get("amount") or 0)
    return found


class _Unavailable(AppError):
    status, code = 503, "payment_provider_unavailable"


def connect_onboarding(worker_id: str, account_id: str | None) -> tuple[str, str]:
    """(the worker's Express account id, a fresh onboarding link); a local fake without a key."""
    key = stripe_credentials().api_key
    if not key:
        if not settings().is_local:
            raise _Unavailable()
        account_id = account_id or "acct_local_" + hashlib.sha256(worker_id.encode()).hexdigest()[:16]
        return account_id, f"https://connect.stripe.local/express/onboarding/{account_id}"
    import stripe

    client = stripe.StripeClient(key, max_network_retries=2)
    try:
        if account_id is None:
            account = client.v1.accounts.create(
                params={
                    "type": "express",
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"worker_id": worker_id},
                },
                options={"idempotency_key": f"jz-acct-{worker_id}"},
            )
            account_id = str(account.id)
        link = client.v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": "https://jiazheng.example/payouts/onboarding/refresh",
                "return_url": "https://jiazheng.example/payouts/onboarding/done",
                "type": "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise _Unavailable() from error
    return account_id, str(link.url)
