"""A worker's balance: the projection of her ledger lines, and the postings that move her share.

Statuses of the worker's share (``earning_status`` of her ``worker_payable`` lines):
``pending`` (inside the dispute window) → ``available`` (may be withdrawn) → ``in_withdrawal``
(asked for, not yet paid) → paid out (the ``payout`` transaction, counted as ``withdrawn``).
Each move is a balanced ledger transaction whose key derives from its cause, booked together
with the same move of the balance item (:func:`project`), so the item never disagrees with the
ledger and a repeated move fails whole.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.models.payouts import WorkerBalanceItem
from chalicelib.orders.transactions import commit
from chalicelib.payments import ledger
from chalicelib.payments.ledger import Line
from chalicelib.payouts.rules import payout_rules

__all__ = [
    "Balance",
    "balance_of",
    "book_reversal",
    "project",
    "release_matured",
    "reversal_lines",
    "reverse_pending",
    "withdrawal_partition",
]

WORKER_ACCOUNT = "worker_payable"
_STATUS_FIELDS = {"pending": "pending", "available": "available", "in_withdrawal": "in_withdrawal"}
_RELEASE_ATTEMPTS = 5


@dataclass(frozen=True)
class Balance:
    """What the platform owes a worker, by status, in fen."""

    pending: int
    available: int
    in_withdrawal: int
    withdrawn: int


def withdrawal_partition(withdrawal_id: str) -> str:
    """The pk under which a withdrawal's ledger lines are booked."""
    return f"WITHDRAWAL#{withdrawal_id}"


def project(tx: TransactWrite, lines: Iterable[Line], *, kind: str, condition: Any = None) -> None:
    """Add to ``tx`` the move of each named worker's balance item that ``lines`` make.

    A credit (negative) line in status ``s`` adds to ``s``; a debit takes from it. The debit of
    a ``payout`` is money that left: it also adds to ``withdrawn``. One update per worker (a
    transaction may touch an item once), under ``condition`` when given.
    """
    deltas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        if not line.worker_id or line.earning_status not in _STATUS_FIELDS:
            continue
        deltas[line.worker_id][line.earning_status] -= line.amount
        if kind == "payout" and line.amount > 0:
            deltas[line.worker_id]["withdrawn"] += line.amount
    for worker_id, moves in deltas.items():
        actions = [getattr(WorkerBalanceItem, field).add(amount) for field, amount in moves.items() if amount]
        actions.append(WorkerBalanceItem.version.add(1))
        tx.update(WorkerBalanceItem(*WorkerBalanceItem.key(worker_id)), actions, condition=condition)


def _item(worker_id: str) -> WorkerBalanceItem | None:
    try:
        return WorkerBalanceItem.get(*WorkerBalanceItem.key(worker_id), consistent_read=True)
    except WorkerBalanceItem.DoesNotExist:
        return None


def balance_of(worker_id: str) -> Balance:
    """The worker's balance as the projection holds it (consistent read)."""
    item = _item(worker_id)
    if item is None:
        return Balance(0, 0, 0, 0)
    return Balance(
        pending=int(item.pending or 0),
        available=int(item.available or 0),
        in_withdrawal=int(item.in_withdrawal or 0),
        withdrawn=int(item.withdrawn or 0),
    )


def _pending_share(order_id: str, worker_id: str) -> tuple[int, bool]:
    """(the worker's share of ``order_id`` still pending, whether it was released already)."""
    view = ledger.entries_of(order_id)
    released = any(entry.kind == "release" for entry in view.entries)
    pending = -sum(
        entry.amount
        for entry in view.entries
        if entry.worker_id == worker_id and entry.earning_status == "pending"
    )
    return pending, released


def release_matured(worker_id: str) -> int:
    """Move the worker's shares whose dispute window has ended from ``pending`` to ``available``.

    Completions after the item's ``released_through`` and before now minus the window are read
    from the worker's earnings index; each order's still-pending share is released in one
    transaction with the balance move, conditional on the item's ``version`` (a reversal or
    another release in between makes it read again). Idempotent; returns the fen released.
    """
    cutoff = clock.iso(clock.now() - _window())
    released = 0
    for _ in range(_RELEASE_ATTEMPTS):
        item = _item(worker_id)
        since = (item.released_through if item else None) or ""
        if since and since >= cutoff:
            return released  # nothing new has matured (or the clock was set back, locally)
        lines = LedgerEntryItem.gsi1.query(
            ledger.worker_earnings_key(worker_id),
            LedgerEntryItem.gsi1sk.between(f"{since}#~", f"{cutoff}#~")
            if since
            else LedgerEntryItem.gsi1sk <= f"{cutoff}#~",
        )
        completions = sorted((line.at, line.order_id) for line in lines if line.kind == "completion")
        if not completions:
            return released
        try:
            for at, order_id in completions:
                released += _release_one(worker_id, order_id, at)
            return released
        except TransactWriteError:
            continue  # the balance moved meanwhile: read again
    raise Conflict("balance_busy")


def _release_one(worker_id: str, order_id: str, at: str) -> int:
    pending, done = _pending_share(order_id, worker_id)
    item = _item(worker_id)
    version = int(item.version) if item else None
    condition = (
        WorkerBalanceItem.pk.does_not_exist() if version is None else WorkerBalanceItem.version == version
    )
    if done or pending <= 0:
        _advance_watermark(worker_id, at)
        return 0
    lines = [
        Line(WORKER_ACCOUNT, pending, worker_id=worker_id, earning_status="pending"),
        Line(WORKER_ACCOUNT, -pending, worker_id=worker_id, earning_status="available"),
    ]

    def build(tx: TransactWrite) -> None:
        ledger.record(
            tx,
            order_id=order_id,
            txn_id=f"release-{order_id}",
            kind="release",
            lines=lines,
            at=clock.iso(),
            balance_condition=condition,
        )

    # the watermark moves in a second, plain update: an item is touched once per transaction
    commit(build)
    _advance_watermark(worker_id, at)
    return pending


def _advance_watermark(worker_id: str, at: str) -> None:
    """Remember that completions up to ``at`` are done (an optimisation: losing a race is harmless)."""
    with contextlib.suppress(UpdateError):
        WorkerBalanceItem(*WorkerBalanceItem.key(worker_id)).update(
            actions=[WorkerBalanceItem.released_through.set(at)],
            condition=WorkerBalanceItem.pk.exists()
            & (
                WorkerBalanceItem.released_through.does_not_exist()
                | (WorkerBalanceItem.released_through < at)
            ),
        )


def _window() -> Any:
    from datetime import timedelta

    return timedelta(days=payout_rules().dispute_window_days)


def reversal_lines(view: ledger.LedgerView, amount: int) -> list[Line] | None:
    """The lines that take ``amount`` fen of a completed order's price (its ledger: ``view``) back into
    ``customer_prepayments`` while the workers' shares are pending, or None when there is nothing
    to reverse: no completion yet, the dispute window over, or the share released already.

    The completion is reversed in proportion: each worker's pending share and the commission.
    409 ``reversal_too_large`` above what is left of the price.
    """
    completion = [entry for entry in view.entries if entry.kind == "completion"]
    if not completion or any(entry.kind == "release" for entry in view.entries):
        return None
    if clock.now() >= datetime.fromisoformat(completion[0].at) + _window():
        return None
    gross = next(entry.amount for entry in completion if entry.account == "customer_prepayments")
    reversed_gross = -sum(
        entry.amount
        for entry in view.entries
        if entry.kind == "reversal" and entry.account == "customer_prepayments"
    )
    left_gross = gross - reversed_gross
    if not 0 < amount <= left_gross:
        raise Conflict("reversal_too_large")
    lines = []
    for share in (entry for entry in completion if entry.account == WORKER_ACCOUNT):
        worker_id = str(share.worker_id)
        pending = -sum(
            entry.amount
            for entry in view.entries
            if entry.worker_id == worker_id and entry.earning_status == "pending"
        )
        part = pending if amount == left_gross else min(pending, amount * -share.amount // gross)
        if part:
            lines.append(Line(WORKER_ACCOUNT, part, worker_id=worker_id, earning_status="pending"))
    taken = sum(line.amount for line in lines)
    return [*lines, Line("platform_commission", amount - taken), Line("customer_prepayments", -amount)]


def book_reversal(tx: TransactWrite, order_id: str, ref: str, lines: list[Line]) -> None:
    """Add the reversal to ``tx``, conditional on the share not being released meanwhile."""
    release_pk, release_sk = LedgerEntryItem.key(order_id, f"release-{order_id}", 0)
    tx.condition_check(LedgerEntryItem, release_pk, release_sk, condition=LedgerEntryItem.pk.does_not_exist())
    ledger.record(
        tx,
        order_id=order_id,
        txn_id=f"reverse-{order_id}-{ref}",
        kind="reversal",
        lines=lines,
        at=clock.iso(),
        ref=ref,
    )


def reverse_pending(order_id: str, amount: int, ref: str) -> int:
    """Take back ``amount`` fen of a completed order's price while the worker's share is pending.

    For a refund or a dispute decided inside the dispute window (:func:`reversal_lines`), from
    where the refund pays the customer. Booked once per ``ref``; 404 without a completion, 409
    ``earning_released`` once the window is over or the share available, ``reversal_too_large``
    above what is left. Returns the fen taken from the workers' pending shares.
    """
    view = ledger.entries_of(order_id)
    if not any(entry.kind == "completion" for entry in view.entries):
        raise NotFound()
    lines = reversal_lines(view, amount)
    if lines is None:
        raise Conflict("earning_released")

    try:
        commit(lambda tx: book_reversal(tx, order_id, ref, lines))
    except TransactWriteError as error:
        from chalicelib.models.base import cancellation_reasons

        if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
            raise Conflict("earning_released") from None
        raise Conflict("reversal_recorded") from None
    return sum(line.amount for line in lines if line.account == WORKER_ACCOUNT)
