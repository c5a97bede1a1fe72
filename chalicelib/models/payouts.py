"""Payout items: a worker's balance projection, payout account, withdrawals and payout runs.

Keys (docs/payouts.md has the access patterns):
- balance          ``WORKER#<worker id> / BALANCE`` (fen per earning status; moved only by the
                   ledger's ``record`` in the transaction that books the lines)
- payout account   ``WORKER#<worker id> / PAYOUT_ACCOUNT``
- withdrawal day   ``WORKER#<worker id> / WDAY#<yyyy-mm-dd>`` (the daily cap's counter; TTL)
- withdrawal       ``WITHDRAWAL#<id> / WITHDRAWAL``; gsi1 ``WITHDRAWALS#<status>`` /
                   ``<requested_at>#<id>``; gsi2 ``WORKER#<worker id>#WITHDRAWALS`` / ``<requested_at>#<id>``
- idempotency      ``IDEMP#<worker id>#withdrawal#<key> / IDEMP`` (TTL 24 h)
- payout run       ``PAYOUTRUN#<run date> / RUN``; gsi1 ``PAYOUTRUNS`` / ``<run date>``
- bank file line   ``PAYOUTRUN#<run date> / BANKLINE#<withdrawal id>`` (imported result, once)
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = [
    "BankResultLineItem",
    "PayoutAccountItem",
    "PayoutRunItem",
    "WithdrawalDayItem",
    "WithdrawalIdempotencyItem",
    "WithdrawalItem",
    "WorkerBalanceItem",
]


class WorkerBalanceItem(MainItem):
    """``WORKER#<id> / BALANCE``: what the ledger owes the worker, by status, in fen.

    A projection of her ``worker_payable`` lines, written in the very transaction that books
    them (``chalicelib.payouts.balance.project``), never on its own: the ledger stays the one
    bookkeeping and this item is what a conditional write can test (``available >= amount``).
    """

    pending = NumberAttribute(default=0)
    available = NumberAttribute(default=0)
    in_withdrawal = NumberAttribute(default=0)
    withdrawn = NumberAttribute(default=0)
    version = NumberAttribute(default=0)
    released_through = UnicodeAttribute(null=True)  # completions up to this time are released

    @staticmethod
    def key(worker_id: str) -> tuple[str, str]:
        return f"WORKER#{worker_id}", "BALANCE"


class PayoutAccountItem(MainItem):
    """``WORKER#<id> / PAYOUT_ACCOUNT``: where a worker's withdrawals go.

    A bank card's number is stored only KMS-encrypted (context: the worker) with a masked copy;
    ``hold_until`` (24 h after any change) keeps withdrawals from a freshly changed account.
    """

    worker_id = UnicodeAttribute()
    type = UnicodeAttribute()  # bank_account | stripe_connect
    bank_name = UnicodeAttribute(null=True)
    account_name = UnicodeAttribute(null=True)
    number_encrypted = UnicodeAttribute(null=True)
    number_masked = UnicodeAttribute(null=True)
    stripe_account_id = UnicodeAttribute(null=True)
    hold_until = UnicodeAttribute()
    hold_until_epoch = NumberAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=1)

    @staticmethod
    def key(worker_id: str) -> tuple[str, str]:
        return f"WORKER#{worker_id}", "PAYOUT_ACCOUNT"


class WithdrawalDayItem(MainItem):
    """``WORKER#<id> / WDAY#<date>``: what the worker asked to withdraw that day (the daily cap)."""

    total = NumberAttribute(default=0)

    @staticmethod
    def key(worker_id: str, day: str) -> tuple[str, str]:
        return f"WORKER#{worker_id}", f"WDAY#{day}"


class WithdrawalItem(MainItem):
    """``WITHDRAWAL#<id> / WITHDRAWAL``: one withdrawal, ``pending_review → approved → paid``.

    ``paying`` (internal, shown as ``approved``) marks a payout run's claim: the provider's
    idempotency key (the withdrawal id) is recorded before the provider is called. ``rejected``
    and ``failed`` give the amount back to ``available`` in the same transaction.
    """

    withdrawal_id = UnicodeAttribute()
    worker_id = UnicodeAttribute()
    amount = NumberAttribute()
    fee = NumberAttribute()
    currency = UnicodeAttribute(default="CNY")
    status = UnicodeAttribute()  # pending_review | approved | paying | paid | rejected | failed
    account_type = UnicodeAttribute()
    account_masked = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    provider = UnicodeAttribute(null=True)
    provider_key = UnicodeAttribute(null=True)
    provider_ref = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    paid_at = UnicodeAttribute(null=True)
    failure = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(withdrawal_id: str) -> tuple[str, str]:
        return f"WITHDRAWAL#{withdrawal_id}", "WITHDRAWAL"

    @staticmethod
    def status_key(status: str) -> str:
        return f"WITHDRAWALS#{status}"

    @staticmethod
    def worker_key(worker_id: str) -> str:
        return f"WORKER#{worker_id}#WITHDRAWALS"


class WithdrawalIdempotencyItem(MainItem):
    """``IDEMP#<worker id>#withdrawal#<key> / IDEMP``: an ``Idempotency-Key`` of ``POST /v1/worker/withdrawals``."""

    withdrawal_id = UnicodeAttribute()
    body_hash = UnicodeAttribute()
    response = JSONAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(worker_id: str, idempotency_key: str) -> tuple[str, str]:
        return f"IDEMP#{worker_id}#withdrawal#{idempotency_key}", "IDEMP"


class PayoutRunItem(MainItem):
    """``PAYOUTRUN#<run date> / RUN``: one daily payout run and its report; gsi1 ``PAYOUTRUNS``."""

    run_id = UnicodeAttribute()
    run_date = UnicodeAttribute()
    status = UnicodeAttribute()  # running | completed
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    report = JSONAttribute(null=True)  # {totals, paid, failed, skipped}
    report_key = UnicodeAttribute(null=True)  # S3 key of the report
    bank_file_key = UnicodeAttribute(null=True)

    @staticmethod
    def key(run_date: str) -> tuple[str, str]:
        return f"PAYOUTRUN#{run_date}", "RUN"


class BankResultLineItem(MainItem):
    """``PAYOUTRUN#<run date> / BANKLINE#<withdrawal id>``: a bank result line imported once."""

    withdrawal_id = UnicodeAttribute()
    outcome = UnicodeAttribute()
    imported_at = UnicodeAttribute()

    @staticmethod
    def key(run_date: str, withdrawal_id: str) -> tuple[str, str]:
        return f"PAYOUTRUN#{run_date}", f"BANKLINE#{withdrawal_id}"
