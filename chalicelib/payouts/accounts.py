"""Payout accounts: a mainland bank card or a Stripe Connect Express account, one per worker.

A bank card number must pass the Luhn check; it is stored only encrypted by KMS (context: the
worker, so a ciphertext copied to another worker does not decrypt) and shown as ``**** 5678``.
Setting the first account takes effect at once; any later change is audited (in the same
transaction) and holds withdrawals for ``account_change_hold_hours`` (24 h), a fraud guard
against a stolen session redirecting the money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock, kms
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.payouts import PayoutAccountItem
from chalicelib.orders.transactions import commit
from chalicelib.payouts.rules import luhn_valid, mask_account_number, payout_rules

__all__ = ["AccountView", "get_account", "load_account", "set_bank_account", "set_stripe_account"]


@dataclass(frozen=True)
class AccountView:
    type: str
    bank_name: str | None
    account_name: str | None
    account_number: str | None  # masked
    stripe_account_id: str | None
    onboarding_url: str | None
    hold_until: str | None  # withdrawals wait until then (None: no hold now)
    updated_at: str


def load_account(worker_id: str) -> PayoutAccountItem | None:
    try:
        return PayoutAccountItem.get(*PayoutAccountItem.key(worker_id), consistent_read=True)
    except PayoutAccountItem.DoesNotExist:
        return None


def _view(item: PayoutAccountItem, onboarding_url: str | None = None) -> AccountView:
    held = clock.now().timestamp() < int(item.hold_until_epoch)
    return AccountView(
        type=item.type,
        bank_name=item.bank_name,
        account_name=item.account_name,
        account_number=item.number_masked,
        stripe_account_id=item.stripe_account_id,
        onboarding_url=onboarding_url,
        hold_until=item.hold_until if held else None,
        updated_at=item.updated_at,
    )


def get_account(worker_id: str) -> AccountView:
    """The worker's payout account, masked; 404 ``no_payout_account`` before one is set."""
    item = load_account(worker_id)
    if item is None:
        raise NotFound("no_payout_account")
    return _view(item)


def _save(worker_id: str, fields: dict[str, Any], *, request_id: str | None) -> PayoutAccountItem:
    """Write the account (conditional on the version read) with its audit entry; hold on a change."""
    previous = load_account(worker_id)
    now = clock.now()
    hold = now + timedelta(hours=payout_rules().account_change_hold_hours) if previous else now
    item = PayoutAccountItem(
        *PayoutAccountItem.key(worker_id),
        worker_id=worker_id,
        hold_until=clock.iso(hold),
        hold_until_epoch=int(hold.timestamp()),
        updated_at=clock.iso(now),
        version=int(previous.version) + 1 if previous else 1,
        **fields,
    )
    before = (
        {
            "type": previous.type,
            "account_number": previous.number_masked,
            "stripe": previous.stripe_account_id,
        }
        if previous
        else None
    )
    entry = audit.entry(
        actor_id=worker_id,
        actor_role="worker",
        action="payout_account.set" if previous is None else "payout_account.change",
        target_type="payout_account",
        target_id=worker_id,
        details={
            "before": before,
            "after": {
                "type": item.type,
                "account_number": item.number_masked,
                "stripe": item.stripe_account_id,
            },
            "hold_until": item.hold_until if previous else None,
        },
        request_id=request_id,
    )

    def build(tx: TransactWrite) -> None:
        condition = (
            PayoutAccountItem.pk.does_not_exist()
            if previous is None
            else PayoutAccountItem.version == int(previous.version)
        )
        tx.save(item, condition=condition)
        tx.save(entry, condition=audit.AuditItem.pk.does_not_exist())

    try:
        commit(build)
    except TransactWriteError:
        raise Conflict("payout_account_changed") from None
    return item


def set_bank_account(
    worker_id: str, bank_name: str, account_name: str, account_number: str, *, request_id: str | None = None
) -> AccountView:
    """Set a mainland bank card; 422 ``invalid_account_number`` when the number fails the Luhn check."""
    number = account_number.replace(" ", "")
    if not luhn_valid(number):
        raise ValidationFailed(
            "invalid_account_number",
            details=[
                {"field": "account_number", "in": "body", "code": "invalid_account_number", "message": "Luhn"}
            ],
        )
    encrypted = kms.encrypt(number, context={"worker_id": worker_id, "field": "payout_account"})
    item = _save(
        worker_id,
        {
            "type": "bank_account",
            "bank_name": bank_name.strip(),
            "account_name": account_name.strip(),
            "number_encrypted": encrypted,
            "number_masked": mask_account_number(number),
        },
        request_id=request_id,
    )
    return _view(item)


def set_stripe_account(worker_id: str, *, request_id: str | None = None) -> AccountView:
    """Use a Stripe Connect Express account (created once per worker); answers its onboarding link."""
    from chalicelib.payouts.providers import connect_onboarding

    previous = load_account(worker_id)
    account_id = previous.stripe_account_id if previous and previous.stripe_account_id else None
    account_id, url = connect_onboarding(worker_id, account_id)
    if (
        previous is not None
        and previous.type == "stripe_connect"
        and previous.stripe_account_id == account_id
    ):
        return _view(previous, onboarding_url=url)  # the same account: a fresh link, no change
    item = _save(
        worker_id, {"type": "stripe_connect", "stripe_account_id": account_id}, request_id=request_id
    )
    return _view(item, onboarding_url=url)


def bank_number(item: PayoutAccountItem) -> str:
    """The card number in clear, for the bank's payout file only (a logged KMS call)."""
    return kms.decrypt(
        str(item.number_encrypted), context={"worker_id": item.worker_id, "field": "payout_account"}
    )
