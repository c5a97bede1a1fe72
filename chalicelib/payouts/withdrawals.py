"""Withdrawals: a worker asks, an admin approves or rejects, the payout run pays.

The request is one transaction (``commit``): the withdrawal (not exists), its ledger lines
``available → in_withdrawal`` with the balance item's move under ``available >= amount``, the
day's counter under the daily cap, a check that the payout account is the one read and off hold,
and the ``Idempotency-Key`` record. Whatever condition fails, nothing is written; the reason is
then read back (the key's record, the balance, the day, the account) to answer with the
contract's code. Eight concurrent requests for the whole balance: one commits, seven read
``insufficient_balance``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock
from chalicelib.audit import Actor
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.payouts import (
    PayoutAccountItem,
    WithdrawalDayItem,
    WithdrawalIdempotencyItem,
    WithdrawalItem,
    WorkerBalanceItem,
)
from chalicelib.orders.transactions import commit
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.payments import ledger
from chalicelib.payments.ledger import Line
from chalicelib.payouts.accounts import load_account
from chalicelib.payouts.balance import balance_of, release_matured, withdrawal_partition
from chalicelib.payouts.rules import payout_rules

__all__ = [
    "PUBLIC_STATUS",
    "Actor",
    "WithdrawalView",
    "approve",
    "book_return",
    "get_withdrawal",
    "list_for_admin",
    "list_for_worker",
    "reject",
    "request_withdrawal",
]

IDEMPOTENCY_HOURS = 24
PUBLIC_STATUS = {"paying": "approved"}
"""``paying`` is the payout run's claim; outside it is still ``approved``."""
ACCOUNT = "worker_payable"


@dataclass(frozen=True)
class WithdrawalView:
    withdrawal_id: str
    worker_id: str
    amount: int
    fee: int
    currency: str
    status: str
    account_type: str
    account_number: str | None
    requested_at: str
    decided_at: str | None
    reason: str | None
    paid_at: str | None
    run_id: str | None


def view_of(item: WithdrawalItem) -> WithdrawalView:
    return WithdrawalView(
        withdrawal_id=item.withdrawal_id,
        worker_id=item.worker_id,
        amount=int(item.amount),
        fee=int(item.fee),
        currency=item.currency,
        status=PUBLIC_STATUS.get(item.status, item.status),
        account_type=item.account_type,
        account_number=item.account_masked,
        requested_at=item.requested_at,
        decided_at=item.decided_at,
        reason=item.reason,
        paid_at=item.paid_at,
        run_id=item.run_id,
    )


def _body_hash(amount: int) -> str:
    return hashlib.sha256(json.dumps({"amount": amount}).encode()).hexdigest()


def _replay(worker_id: str, key: str | None, amount: int) -> WithdrawalView | None:
    if not key:
        return None
    try:
        item = WithdrawalIdempotencyItem.get(
            *WithdrawalIdempotencyItem.key(worker_id, key), consistent_read=True
        )
    except WithdrawalIdempotencyItem.DoesNotExist:
        return None
    if item.body_hash != _body_hash(amount):
        raise ValidationFailed(
            "idempotency_key_reused",
            details=[{"field": "Idempotency-Key", "in": "header", "code": "idempotency_key_reused"}],
        )
    return WithdrawalView(**dict(item.response))


def request_withdrawal(
    worker_id: str, amount: int, idempotency_key: str | None = None
) -> tuple[WithdrawalView, bool]:
    """Ask to withdraw ``amount`` fen; returns the withdrawal and whether it is a replay.

    422 ``below_minimum``; 409 ``no_payout_account``, ``payout_account_on_hold``,
    ``daily_cap_exceeded``, ``insufficient_balance``.
    """
    rules = payout_rules()
    replayed = _replay(worker_id, idempotency_key, amount)
    if replayed is not None:
        return replayed, True
    if amount < rules.withdrawal_minimum:
        raise ValidationFailed(
            "below_minimum",
            details=[
                {
                    "field": "amount",
                    "in": "body",
                    "code": "below_minimum",
                    "message": str(rules.withdrawal_minimum),
                }
            ],
            minimum=rules.withdrawal_minimum // 100,
        )
    account = load_account(worker_id)
    if account is None:
        raise Conflict("no_payout_account")
    now = clock.now()
    if now.timestamp() < int(account.hold_until_epoch):
        raise Conflict("payout_account_on_hold", until=account.hold_until)
    if amount > rules.daily_cap:
        raise Conflict("daily_cap_exceeded", cap=rules.daily_cap // 100)
    release_matured(worker_id)
    if balance_of(worker_id).available < amount:
        raise Conflict("insufficient_balance")
    try:
        return _commit(worker_id, amount, account, idempotency_key), False
    except TransactWriteError:
        replayed = _replay(worker_id, idempotency_key, amount)
        if replayed is not None:
            return replayed, True
        raise _why_refused(worker_id, amount, account) from None


def _why_refused(worker_id: str, amount: int, read: PayoutAccountItem) -> Conflict:
    rules = payout_rules()
    if balance_of(worker_id).available < amount:
        return Conflict("insufficient_balance")
    day = _day_total(worker_id)
    if day + amount > rules.daily_cap:
        return Conflict("daily_cap_exceeded", cap=rules.daily_cap // 100)
    current = load_account(worker_id)
    if current is None:
        return Conflict("no_payout_account")
    if int(current.version) != int(read.version) or clock.now().timestamp() < int(current.hold_until_epoch):
        return Conflict("payout_account_on_hold", until=current.hold_until)
    return Conflict("withdrawal_busy")


def _day() -> str:
    return clock.now().date().isoformat()


def _day_total(worker_id: str) -> int:
    try:
        return int(
            WithdrawalDayItem.get(*WithdrawalDayItem.key(worker_id, _day()), consistent_read=True).total
        )
    except WithdrawalDayItem.DoesNotExist:
        return 0


def _commit(worker_id: str, amount: int, account: PayoutAccountItem, key: str | None) -> WithdrawalView:
    rules = payout_rules()
    now = clock.now()
    at = clock.iso(now)
    withdrawal_id = new_id("wd")
    item = WithdrawalItem(
        *WithdrawalItem.key(withdrawal_id),
        withdrawal_id=withdrawal_id,
        worker_id=worker_id,
        amount=amount,
        fee=rules.fee(amount),
        status="pending_review",
        account_type=account.type,
        account_masked=account.number_masked,
        requested_at=at,
        updated_at=at,
        gsi1pk=WithdrawalItem.status_key("pending_review"),
        gsi1sk=f"{at}#{withdrawal_id}",
        gsi2pk=WithdrawalItem.worker_key(worker_id),
        gsi2sk=f"{at}#{withdrawal_id}",
    )
    view = view_of(item)
    day_counter = WithdrawalDayItem(
        *WithdrawalDayItem.key(worker_id, _day()), ttl=int((now + timedelta(days=3)).timestamp())
    )

    def build(tx: TransactWrite) -> None:
        tx.condition_check(
            PayoutAccountItem,
            *PayoutAccountItem.key(worker_id),
            condition=(PayoutAccountItem.version == int(account.version))
            & (PayoutAccountItem.hold_until_epoch <= int(now.timestamp())),
        )
        tx.save(item, condition=WithdrawalItem.pk.does_not_exist())
        ledger.record(
            tx,
            order_id=withdrawal_id,
            txn_id=f"withdraw-{withdrawal_id}",
            kind="withdrawal",
            lines=[
                Line(ACCOUNT, amount, worker_id=worker_id, earning_status="available"),
                Line(ACCOUNT, -amount, worker_id=worker_id, earning_status="in_withdrawal"),
            ],
            at=at,
            ref=withdrawal_id,
            partition=withdrawal_partition(withdrawal_id),
            balance_condition=WorkerBalanceItem.available >= amount,
        )
        tx.update(
            day_counter,
            [WithdrawalDayItem.total.add(amount), WithdrawalDayItem.ttl.set(int(day_counter.ttl))],
            condition=WithdrawalDayItem.total.does_not_exist()
            | (WithdrawalDayItem.total <= rules.daily_cap - amount),
        )
        if key:
            tx.save(
                WithdrawalIdempotencyItem(
                    *WithdrawalIdempotencyItem.key(worker_id, key),
                    withdrawal_id=withdrawal_id,
                    body_hash=_body_hash(amount),
                    response=asdict(view),
                    created_at=at,
                    ttl=int((now + timedelta(hours=IDEMPOTENCY_HOURS)).timestamp()),
                ),
                condition=WithdrawalIdempotencyItem.pk.does_not_exist(),
            )

    commit(build)
    return view


def _load(withdrawal_id: str) -> WithdrawalItem | None:
    try:
        return WithdrawalItem.get(*WithdrawalItem.key(withdrawal_id), consistent_read=True)
    except WithdrawalItem.DoesNotExist:
        return None


def get_withdrawal(withdrawal_id: str, worker_id: str | None) -> WithdrawalView:
    """One withdrawal: the worker's own (another's is 404), or any for ``worker_id=None`` (staff)."""
    item = _load(withdrawal_id)
    if item is None or (worker_id is not None and item.worker_id != worker_id):
        raise NotFound()
    return view_of(item)


def _page(query: Any, scope: str) -> tuple[list[WithdrawalView], str | None]:
    items = [view_of(item) for item in query]
    return items, encode_cursor(scope, query.last_evaluated_key)


def list_for_worker(
    worker_id: str, limit: int, cursor: str | None
) -> tuple[list[WithdrawalView], str | None]:
    """The worker's withdrawals, newest first (gsi2 ``WORKER#<id>#WITHDRAWALS``)."""
    scope = f"withdrawals:{worker_id}"
    query = WithdrawalItem.gsi2.query(
        WithdrawalItem.worker_key(worker_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    return _page(query, scope)


def list_for_admin(status: str, limit: int, cursor: str | None) -> tuple[list[WithdrawalView], str | None]:
    """Withdrawals in ``status``, oldest first (gsi1 ``WITHDRAWALS#<status>``): a review queue."""
    scope = f"admin-withdrawals:{status}"
    query = WithdrawalItem.gsi1.query(
        WithdrawalItem.status_key(status),
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    return _page(query, scope)


def _decide(withdrawal_id: str, actor: Actor, target: str, reason: str | None) -> WithdrawalView:
    item = _load(withdrawal_id)
    if item is None:
        raise NotFound()
    if item.status != "pending_review":
        raise Conflict("invalid_status", status=PUBLIC_STATUS.get(item.status, item.status))
    at = clock.iso()
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=f"withdrawal.{'approve' if target == 'approved' else 'reject'}",
        target_type="withdrawal",
        target_id=withdrawal_id,
        details={
            "before": {"status": item.status},
            "after": {"status": target},
            "reason": reason,
            "amount": int(item.amount),
            "worker_id": item.worker_id,
        },
        request_id=actor.request_id,
    )

    def build(tx: TransactWrite) -> None:
        tx.update(
            item,
            [
                WithdrawalItem.status.set(target),
                WithdrawalItem.decided_at.set(at),
                WithdrawalItem.decided_by.set(actor.user_id),
                WithdrawalItem.updated_at.set(at),
                WithdrawalItem.gsi1pk.set(WithdrawalItem.status_key(target)),
                *([WithdrawalItem.reason.set(reason)] if reason else []),
            ],
            condition=WithdrawalItem.status == "pending_review",
        )
        tx.save(entry, condition=audit.AuditItem.pk.does_not_exist())
        if target == "rejected":
            book_return(tx, item, at)

    try:
        commit(build)
    except TransactWriteError:
        current = _load(withdrawal_id)
        raise Conflict(
            "invalid_status", status=PUBLIC_STATUS.get(current.status, current.status) if current else "?"
        ) from None
    if target == "rejected":
        from chalicelib.payouts.notices import tell_worker

        tell_worker(item, "withdrawal_rejected", reason=reason or "-")
    return get_withdrawal(withdrawal_id, None)


def book_return(tx: TransactWrite, item: WithdrawalItem, at: str) -> None:
    """The amount of a rejected or failed withdrawal goes back to ``available`` (in ``tx``)."""
    amount = int(item.amount)
    ledger.record(
        tx,
        order_id=item.withdrawal_id,
        txn_id=f"unwithdraw-{item.withdrawal_id}",
        kind="withdrawal_return",
        lines=[
            Line(ACCOUNT, amount, worker_id=item.worker_id, earning_status="in_withdrawal"),
            Line(ACCOUNT, -amount, worker_id=item.worker_id, earning_status="available"),
        ],
        at=at,
        ref=item.withdrawal_id,
        partition=withdrawal_partition(item.withdrawal_id),
    )


def approve(withdrawal_id: str, actor: Actor, reason: str | None = None) -> WithdrawalView:
    """``pending_review → approved`` (audited); the next payout run pays it."""
    return _decide(withdrawal_id, actor, "approved", reason)


def reject(withdrawal_id: str, actor: Actor, reason: str | None) -> WithdrawalView:
    """``pending_review → rejected`` with a reason (audited); the amount is available again."""
    if not reason:
        raise ValidationFailed(
            details=[{"field": "reason", "in": "body", "code": "missing", "message": "required"}]
        )
    return _decide(withdrawal_id, actor, "rejected", reason)
