"""The double-entry ledger: every movement of money as balanced lines, booked with the change it belongs to.

Amounts are signed fen: a debit is positive, a credit negative, and the lines of one transaction
sum to zero (:func:`balanced` refuses anything else before it is written). Accounts:

| account                 | kind      | moves                                                             |
|-------------------------|-----------|-------------------------------------------------------------------|
| ``stripe_balance``      | asset     | + a charge, − a refund                                            |
| ``customer_prepayments``| liability | − a charge (we owe the service or the money), + completion/refund |
| ``platform_commission`` | revenue   | − the platform's share at completion                              |
| ``worker_payable``      | liability | − the worker's share at completion (``earning_status`` pending)   |
| ``cancellation_fees``   | revenue   | − the fee a customer's late cancellation keeps                    |
| ``unowed_payments``     | liability | − money that arrived when nothing was owed, + its return          |
| ``dispute_refunds``     | expense   | + what an admin gave back on a done job (a dispute)               |
| ``payouts_sent``        | asset     | − what a payout provider sent to a worker (``chalicelib.payouts``)  |
| ``withdrawal_fees``     | revenue   | − the fee kept from a worker's withdrawal                         |

Transactions, each written in the same DynamoDB transaction as the state change it records:

- ``charge-<intent>``: ``mark_paid`` (the order becomes ``paid``);
- ``complete-<order>``: completion (``confirm`` / ``auto_complete``), splitting the price into
  commission (the admin settings' ``commission_basis_points``) and the worker's ``pending`` share;
- ``refund-<refund id>``: ``mark_refunded`` (``cancelled → refunded``): the prepayment is
  released, the refund leaves the Stripe balance, the fee (if any) is revenue;
- ``early-end-<refund id>``: a live-in term ended early returns the days not served (the
  prepayment of those days released, the refund leaving the Stripe balance; completion then
  books only the price of the days served);
- ``unowed-<intent>`` / ``return-<intent>``: a payment for an order that could not take it (paid
  after expiry, a second payment, a cancelled order) and its automatic refund;
- ``refund-<refund id>`` of kind ``dispute_refund``: an admin's refund of a done job
  (``chalicelib.payments.dispute_refunds``), recorded with Stripe's answer;
- ``release-<order>``, ``reverse-<order>-<ref>``, ``withdraw-<id>``, ``unwithdraw-<id>``,
  ``payout-<id>``: the worker's share moving ``pending → available → in_withdrawal → paid``
  (``chalicelib.payouts.postings``; withdrawals book in their own ``WITHDRAWAL#<id>`` partition).

Every line naming a worker also moves that worker's balance item (``WORKER#<id> / BALANCE``, a
projection of her lines by ``earning_status``) in the same transaction, so the conditional write
that keeps a withdrawal within ``available`` reads exactly what the ledger says.

Each line's key is derived from its transaction (``LEDGER#<txn id>#<line>``) and written with
a "not exists" condition, so a repeated transaction fails whole instead of booking twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.models.payments import LedgerEntryItem

__all__ = [
    "ACCOUNTS",
    "LedgerEntry",
    "LedgerView",
    "Line",
    "UnbalancedTransaction",
    "balanced",
    "charge_lines",
    "completion_lines",
    "entries_of",
    "prepayment_refund_lines",
    "record",
    "record_charge",
    "record_completion",
    "record_refund",
    "refund_lines",
    "return_lines",
    "split_completion_lines",
    "unowed_lines",
    "worker_earnings_key",
]

ACCOUNTS = (
    "stripe_balance",
    "customer_prepayments",
    "platform_commission",
    "worker_payable",
    "cancellation_fees",
    "unowed_payments",
    "dispute_refunds",
    "payouts_sent",
    "withdrawal_fees",
)


class UnbalancedTransaction(ValueError):
    """A transaction whose lines do not sum to zero: a bug, never written."""


@dataclass(frozen=True)
class Line:
    account: str
    amount: int  # fen: debit positive, credit negative
    worker_id: str | None = None
    earning_status: str | None = None


def balanced(lines: list[Line]) -> list[Line]:
    """``lines`` if they sum to zero and name known accounts; raises :class:`UnbalancedTransaction`."""
    if sum(line.amount for line in lines) != 0 or any(line.account not in ACCOUNTS for line in lines):
        raise UnbalancedTransaction(repr(lines))
    return [line for line in lines if line.amount != 0]


def charge_lines(amount: int) -> list[Line]:
    """The customer paid ``amount`` for an order: the platform owes the service (or the money)."""
    return balanced([Line("stripe_balance", amount), Line("customer_prepayments", -amount)])


def completion_lines(
    amount: int, worker_id: str, commission: int | None = None, *, city: str | None = None
) -> list[Line]:
    """The work is done: the prepayment becomes commission and the worker's pending earnings.

    The commission rate is the one in force now (admin settings, the city's override if any).
    """
    if commission is None:
        from chalicelib.settings.current import current_settings

        commission = current_settings(city).commission(amount)
    take = commission
    return balanced(
        [
            Line("customer_prepayments", amount),
            Line("platform_commission", -take),
            Line("worker_payable", -(amount - take), worker_id=worker_id, earning_status="pending"),
        ]
    )


def refund_lines(paid: int, refund: int) -> list[Line]:
    """A cancelled order returns ``refund`` of the ``paid`` amount; the rest is the cancellation fee."""
    if not 0 <= refund <= paid:
        raise UnbalancedTransaction(f"refund {refund} of {paid}")
    return balanced(
        [
            Line("customer_prepayments", paid),
            Line("stripe_balance", -refund),
            Line("cancellation_fees", -(paid - refund)),
        ]
    )


def split_completion_lines(
    amount: int, shares: list[tuple[str, int]], *, city: str | None = None
) -> list[Line]:
    """:func:`completion_lines` of a live-in term served by several workers (a replacement):
    the workers' share is split by the days each served (``shares``: ``(worker_id, days)``, the
    last worker taking the remainder of the rounding, so not a fen is lost)."""
    from chalicelib.settings.current import current_settings

    take = current_settings(city).commission(amount)
    net = amount - take
    total_days = sum(days for _, days in shares) or 1
    lines = [Line("customer_prepayments", amount), Line("platform_commission", -take)]
    paid = 0
    for index, (worker_id, days) in enumerate(shares):
        part = net - paid if index == len(shares) - 1 else net * days // total_days
        paid += part
        lines.append(Line("worker_payable", -part, worker_id=worker_id, earning_status="pending"))
    return balanced(lines)


def prepayment_refund_lines(refund: int) -> list[Line]:
    """Money held for the customer goes back to her: a live-in term's days not served, or an
    admin refund taken from the prepayment (before completion, or from a reversed completion)."""
    return balanced([Line("customer_prepayments", refund), Line("stripe_balance", -refund)])


def unowed_lines(amount: int) -> list[Line]:
    """Money arrived that no order could take: held as owed back."""
    return balanced([Line("stripe_balance", amount), Line("unowed_payments", -amount)])


def return_lines(amount: int) -> list[Line]:
    """Money nobody owed went back."""
    return balanced([Line("unowed_payments", amount), Line("stripe_balance", -amount)])


def dispute_refund_lines(amount: int) -> list[Line]:
    """An admin gave ``amount`` back on a done job: the platform's expense (``dispute_refunds``)."""
    return balanced([Line("dispute_refunds", amount), Line("stripe_balance", -amount)])


def worker_earnings_key(worker_id: str) -> str:
    """gsi1 partition of a worker's earnings lines (the payouts issue reads them)."""
    return f"WORKER#{worker_id}#EARNINGS"


def record(
    tx: TransactWrite,
    *,
    order_id: str,
    txn_id: str,
    kind: str,
    lines: list[Line],
    at: str,
    currency: str = "CNY",
    ref: str | None = None,
    partition: str | None = None,
    balance_condition: Any = None,
) -> None:
    """Add the lines of one transaction to ``tx``, each only if it was never written.

    ``partition`` books them under another pk than the order's (``WITHDRAWAL#<id>``); the lines
    naming a worker move her balance item too (:func:`chalicelib.payouts.balance.project`), under
    ``balance_condition`` when given (a withdrawal: ``available >= amount``).
    """
    kept = balanced(lines)
    for number, line in enumerate(kept):
        pk, sk = LedgerEntryItem.key(order_id, txn_id, number)
        item = LedgerEntryItem(
            partition or pk,
            sk,
            entry_id=f"{txn_id}#{number:02d}",
            txn_id=txn_id,
            kind=kind,
            order_id=order_id,
            account=line.account,
            amount=line.amount,
            currency=currency,
            at=at,
            ref=ref,
            worker_id=line.worker_id,
            earning_status=line.earning_status,
            gsi2pk=f"JOURNAL#{at[:10]}",
            gsi2sk=f"{at}#{txn_id}#{number:02d}",
        )
        if line.worker_id:
            item.gsi1pk, item.gsi1sk = worker_earnings_key(line.worker_id), f"{at}#{order_id}"
        tx.save(item, condition=LedgerEntryItem.pk.does_not_exist())
    from chalicelib.payouts.balance import project

    project(tx, kept, kind=kind, condition=balance_condition)


def record_charge(tx: TransactWrite, *, order_id: str, intent_id: str, amount: int, at: str) -> None:
    """Book a payment that made an order ``paid`` (inside ``mark_paid``'s transaction)."""
    record(
        tx,
        order_id=order_id,
        txn_id=f"charge-{intent_id}",
        kind="charge",
        lines=charge_lines(amount),
        at=at,
        ref=intent_id,
    )


def record_completion(
    tx: TransactWrite,
    *,
    order_id: str,
    worker_id: str,
    amount: int,
    at: str,
    city: str | None = None,
    shares: list[tuple[str, int]] | None = None,
) -> None:
    """Book a completed order: commission and the worker's pending share (inside the completion).

    ``shares`` (a live-in term several workers served): the share split by days served.
    """
    record(
        tx,
        order_id=order_id,
        txn_id=f"complete-{order_id}",
        kind="completion",
        lines=(
            split_completion_lines(amount, shares, city=city)
            if shares
            else completion_lines(amount, worker_id, city=city)
        ),
        at=at,
    )


def record_refund(
    tx: TransactWrite, *, order_id: str, refund_id: str, paid: int, refund: int, at: str
) -> None:
    """Book a cancelled order's refund (inside ``mark_refunded``'s transaction)."""
    record(
        tx,
        order_id=order_id,
        txn_id=f"refund-{refund_id}",
        kind="refund",
        lines=refund_lines(paid, refund),
        at=at,
        ref=refund_id,
    )


@dataclass(frozen=True)
class LedgerEntry:
    entry_id: str
    txn_id: str
    kind: str
    account: str
    amount: int
    currency: str
    at: str
    ref: str | None
    worker_id: str | None
    earning_status: str | None


@dataclass(frozen=True)
class LedgerView:
    """An order's ledger: its lines in time order, the balance of each account, and their sum (0)."""

    order_id: str
    entries: list[LedgerEntry]
    accounts: dict[str, int]
    balance: int


def entries_of(order_id: str) -> LedgerView:
    """One Query of the order's partition (``begins_with(sk, "LEDGER#")``), consistent."""
    items = LedgerEntryItem.query(
        LedgerEntryItem.key(order_id, "", 0)[0],
        LedgerEntryItem.sk.startswith("LEDGER#"),
        consistent_read=True,
    )
    entries = sorted(
        (
            LedgerEntry(
                entry_id=item.entry_id,
                txn_id=item.txn_id,
                kind=item.kind,
                account=item.account,
                amount=int(item.amount),
                currency=item.currency,
                at=item.at,
                ref=item.ref,
                worker_id=item.worker_id,
                earning_status=item.earning_status,
            )
            for item in items
        ),
        key=lambda entry: (entry.at, entry.entry_id),
    )
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        totals[entry.account] += entry.amount
    return LedgerView(
        order_id=order_id,
        entries=entries,
        accounts=dict(totals),
        balance=sum(entry.amount for entry in entries),
    )
