"""Refunds: what a cancelled order owes back, and money that arrived when nothing was owed.

Every refund follows the same three steps, each safe to repeat:

1. **Claim**: a :class:`RefundItem` ``ORDER#<id> / REFUND#<purpose>`` is put (condition: not
   exists) with status ``requested`` and the persisted idempotency key
   ``jz-rf-<order id>-<purpose>``. A second caller (a retried saga step, a redelivered event)
   finds the claim and continues it instead of starting another refund.
2. **Stripe**: the refund is created with that key, so a retry after a timeout or a crash gets
   Stripe's first answer back and never refunds twice. Its id and status (``pending`` for
   wallets that settle later, ``succeeded``) are written on the claim at once.
3. **Book**: the state change and its ledger lines in one transaction — for a cancellation,
   ``lifecycle.mark_refunded`` (``cancelled → refunded``, the ``refunded`` timeline event, the
   refund lines); for unowed money, the return lines with the claim's status.

:func:`refund_cancelled_order` is the cancellation saga's refund step. A transient provider
failure raises :class:`~chalicelib.payments.provider.ProviderUnavailable` (retry the step); a
refusal raises :class:`RefundFailed` (someone must look: the claim is ``failed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import RefundItem
from chalicelib.observability import logger, metrics
from chalicelib.orders import payment_port
from chalicelib.orders.access import load_order
from chalicelib.orders.views import effective_status
from chalicelib.payments import gateway, intents, ledger
from chalicelib.payments.messages import tell_customer, yuan
from chalicelib.payments.provider import ProviderRejected, RefundRequest

__all__ = [
    "CANCELLATION",
    "EARLY_END",
    "RefundFailed",
    "RefundOutcome",
    "refund_cancelled_order",
    "refund_early_end",
    "refund_key",
    "refunds_of",
    "return_unowed",
    "split_refund",
]

CANCELLATION = "cancellation"
EARLY_END = "early_end"
ACCEPTED = frozenset({"pending", "succeeded"})


class RefundFailed(Exception):
    """The provider refused a refund (its code in ``reason``): the claim is ``failed``; a person must look."""

    def __init__(self, order_id: str, reason: str) -> None:
        super().__init__(f"refund of {order_id} refused: {reason}")
        self.order_id = order_id
        self.reason = reason


@dataclass(frozen=True)
class RefundOutcome:
    """What the refund step did: ``refunded``, ``already_refunded``, ``nothing_owed`` or ``intent_cancelled``."""

    order_id: str
    outcome: str
    refund_id: str | None = None
    amount: int = 0
    status: str | None = None  # the refund's: pending | succeeded

    def __bool__(self) -> bool:
        """True when the order's money went back (now or before): what the saga asks."""
        return self.outcome in {"refunded", "already_refunded"}

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def refund_key(order_id: str, purpose: str) -> str:
    """The idempotency key of the refund of ``order_id`` for ``purpose`` (the same on every retry)."""
    return f"jz-rf-{order_id}-{purpose.replace('#', '-')}"


def _load(order_id: str, purpose: str) -> RefundItem | None:
    try:
        return RefundItem.get(*RefundItem.key(order_id, purpose), consistent_read=True)
    except RefundItem.DoesNotExist:
        return None


def refunds_of(order_id: str) -> list[RefundItem]:
    """Every refund of an order (one Query of its partition), oldest first."""
    items = RefundItem.query(
        RefundItem.key(order_id, "")[0], RefundItem.sk.startswith("REFUND#"), consistent_read=True
    )
    return sorted(items, key=lambda item: item.created_at)


def _new_claim(order_id: str, purpose: str, intent_id: str, amount: int, reason: str) -> RefundItem:
    now_iso = clock.iso()
    return RefundItem(
        *RefundItem.key(order_id, purpose),
        refund_id=new_id("rfd"),
        order_id=order_id,
        purpose=purpose,
        intent_id=intent_id,
        amount=amount,
        idempotency_key=refund_key(order_id, purpose),
        status="requested",
        reason=reason,
        created_at=now_iso,
        updated_at=now_iso,
    )


def _at_stripe(
    claim: RefundItem, also: Callable[[TransactWrite, RefundItem], None] | None = None
) -> RefundItem:
    """Step 2: create the refund at the provider with the claim's key; record its answer on the claim.

    ``also`` adds writes (ledger lines) to the transaction that records the answer.
    """
    if claim.status in ACCEPTED:
        return claim
    if claim.status == "failed":
        raise RefundFailed(claim.order_id, str(claim.failure_code or "failed"))
    request = RefundRequest(
        intent_id=claim.intent_id,
        amount=int(claim.amount),
        idempotency_key=claim.idempotency_key,
        metadata={"order_id": claim.order_id, "refund_id": claim.refund_id, "purpose": claim.purpose},
    )
    try:
        refund = gateway.provider().refund(request)
    except ProviderRejected as refused:
        _fail(claim, refused.reason)
        raise RefundFailed(claim.order_id, refused.reason) from refused
    if refund.status not in ACCEPTED:
        _fail(claim, refund.failure_code or refund.status)
        raise RefundFailed(claim.order_id, refund.failure_code or refund.status)
    try:
        with transact_write() as tx:
            tx.update(
                claim,
                actions=[
                    RefundItem.status.set(refund.status),
                    RefundItem.provider_refund_id.set(refund.refund_id),
                    RefundItem.updated_at.set(clock.iso()),
                ],
                condition=RefundItem.status == "requested",
            )
            if also:
                also(tx, claim)
    except TransactWriteError:
        pass  # recorded by a concurrent step
    claim.refresh(consistent_read=True)
    return claim


def _fail(claim: RefundItem, reason: str) -> None:
    logger.error("refund refused by the provider", order_id=claim.order_id, reason=reason)
    metrics.add_metric(name="RefundsRefused", unit="Count", value=1)
    try:
        claim.update(
            actions=[
                RefundItem.status.set("failed"),
                RefundItem.failure_code.set(reason),
                RefundItem.updated_at.set(clock.iso()),
            ],
            condition=RefundItem.status == "requested",
        )
    except UpdateError:
        claim.refresh(consistent_read=True)


# -- the cancellation refund (the saga's step) -------------------------------------------------


def refund_cancelled_order(order_id: str) -> RefundOutcome:
    """Refund what a cancelled order owes (its ``refund_amount``) and make it ``refunded``.

    The cancellation saga's refund step (its ``notify_customer`` step tells the customer); safe to
    call again after any failure or success. An order that was never paid owes nothing: its open
    PaymentIntent, if any, is cancelled instead. 404 for an unknown order, 409 ``invalid_status``
    for one that is not cancelled.
    """
    order = load_order(order_id, consistent=True)
    if order is None:
        raise NotFound()
    if order.status == "refunded":
        done = _load(order_id, CANCELLATION) or _load(order_id, f"{CANCELLATION}#balance")
        return RefundOutcome(
            order_id,
            "already_refunded",
            refund_id=done.refund_id if done else None,
            amount=int(done.amount) if done else 0,
            status=done.status if done else None,
        )
    status = effective_status(order, clock.now())
    if status != "cancelled":
        raise Conflict(
            "invalid_status", status=status, details=[{"code": "invalid_status", "status": status}]
        )
    if not order.payment_ref:
        cancelled = intents.cancel_for_expired_order(order_id)
        return RefundOutcome(order_id, "intent_cancelled" if cancelled else "nothing_owed")
    amount = int(order.refund_amount or 0)
    if amount <= 0:
        return RefundOutcome(order_id, "nothing_owed")
    claims = [
        _at_stripe(_claim_cancellation(order, part, purpose, intent_id))
        for purpose, intent_id, part in split_refund(order, amount, CANCELLATION)
    ]
    payment_port.mark_refunded(order_id, claims[0].refund_id)
    metrics.add_metric(name="OrdersRefunded", unit="Count", value=1)
    return RefundOutcome(
        order_id, "refunded", refund_id=claims[0].refund_id, amount=amount, status=claims[0].status
    )


def split_refund(order: OrderItem, amount: int, purpose: str) -> list[tuple[str, str, int]]:
    """``(purpose, intent, amount)`` of each refund ``amount`` takes: one per payment it comes back
    from, the balance (尾款) of a live-in order first, then its deposit (or the whole price)."""
    sources: list[tuple[str, str, int]] = []
    if order.balance_ref:
        sources.append((f"{purpose}#balance", str(order.balance_ref), int(order.balance_amount or 0)))
    if order.payment_ref:
        sources.append((purpose, str(order.payment_ref), int(order.deposit_amount or order.price_amount)))
    parts, left = [], amount
    for part_purpose, intent_id, paid in sources:
        take = min(left, paid)
        if take > 0:
            parts.append((part_purpose, intent_id, take))
            left -= take
    return parts


def _claim_cancellation(order: OrderItem, amount: int, purpose: str, intent_id: str) -> RefundItem:
    """A cancellation refund claim, put while the order is ``cancelled`` (or the existing one)."""
    existing = _load(order.order_id, purpose)
    if existing is not None:
        return existing
    claim = _new_claim(order.order_id, purpose, intent_id, amount, "cancellation")
    try:
        with transact_write() as tx:
            tx.save(claim, condition=RefundItem.pk.does_not_exist())
            tx.condition_check(
                OrderItem, *OrderItem.key(order.order_id), condition=OrderItem.status == "cancelled"
            )
    except TransactWriteError:
        existing = _load(order.order_id, purpose)
        if existing is None:
            raise Conflict("invalid_status", status="unknown") from None
        return existing
    return claim


# -- a live-in term ended early ---------------------------------------------------------------


def refund_early_end(order_id: str) -> RefundOutcome:
    """Return what a live-in order ended early owes (its ``early_end_refund``), once.

    The same three steps as a cancellation's refund (claim with a persisted key, Stripe, book):
    the claim is put only while the order owes exactly that amount, and its ledger lines are
    booked with Stripe's answer. Safe to call again (the ``term_ended_early`` event's consumer
    does, on every delivery).
    """
    order = load_order(order_id, consistent=True)
    if order is None:
        raise NotFound()
    amount = int(order.early_end_refund or 0)
    if not order.payment_ref or amount <= 0:
        return RefundOutcome(order_id, "nothing_owed")
    claims = []
    for purpose, intent_id, part in split_refund(order, amount, EARLY_END):
        claim = _load(order_id, purpose)
        if claim is None:
            claim = _new_claim(order_id, purpose, intent_id, part, "term_ended_early")
            try:
                with transact_write() as tx:
                    tx.save(claim, condition=RefundItem.pk.does_not_exist())
                    tx.condition_check(
                        OrderItem, *OrderItem.key(order_id), condition=OrderItem.early_end_refund == amount
                    )
            except TransactWriteError:
                claim = _load(order_id, purpose)
                if claim is None:
                    raise Conflict("invalid_status", status="unknown") from None
        claims.append(claim)
    if all(claim.status in ACCEPTED for claim in claims):
        return RefundOutcome(
            order_id,
            "already_refunded",
            refund_id=claims[0].refund_id,
            amount=amount,
            status=claims[0].status,
        )
    claims = [_at_stripe(claim, also=_book_early_end) for claim in claims]
    first = claims[0]
    tell_customer(
        order, "payment_returned", cause=first.refund_id, at=_at(first.created_at), amount=yuan(amount)
    )
    metrics.add_metric(name="TermsRefundedEarly", unit="Count", value=1)
    return RefundOutcome(order_id, "refunded", refund_id=first.refund_id, amount=amount, status=first.status)


def _book_early_end(tx: TransactWrite, claim: RefundItem) -> None:
    ledger.record(
        tx,
        order_id=claim.order_id,
        txn_id=f"early-end-{claim.refund_id}",
        kind="early_end_refund",
        lines=ledger.prepayment_refund_lines(int(claim.amount)),
        at=clock.iso(),
        ref=claim.refund_id,
    )


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


# -- money nobody owed -------------------------------------------------------------------------


def return_unowed(order_id: str, intent_id: str, amount: int, reason: str) -> RefundOutcome:
    """Refund in full a payment the order could not take (``late_payment``, ``duplicate_payment``, …).

    The money's arrival is booked (``unowed-<intent>``) with the claim, its return
    (``return-<intent>``) with Stripe's answer; the order's timeline gets a
    ``payment_returned`` line and the customer is told. Repeats do nothing more.
    """
    purpose = f"unowed#{intent_id}"
    claim = _load(order_id, purpose)
    if claim is None:
        claim = _new_claim(order_id, purpose, intent_id, amount, reason)
        try:
            with transact_write() as tx:
                tx.save(claim, condition=RefundItem.pk.does_not_exist())
                ledger.record(
                    tx,
                    order_id=order_id,
                    txn_id=f"unowed-{intent_id}",
                    kind="unowed_charge",
                    lines=ledger.unowed_lines(amount),
                    at=claim.created_at,
                    ref=intent_id,
                )
        except TransactWriteError:
            claim = _load(order_id, purpose)
            if claim is None:
                raise
    claim = _at_stripe(claim, also=_book_return)
    order = load_order(order_id)
    from chalicelib.orders.lifecycle import note

    note(
        order_id,
        "payment_returned",
        at=_at(claim.created_at),
        details={"refund_id": claim.refund_id, "amount": int(claim.amount), "reason": claim.reason},
    )
    if order is not None:
        tell_customer(
            order, "payment_returned", cause=claim.refund_id, at=_at(claim.created_at), amount=yuan(amount)
        )
    metrics.add_metric(name=f"PaymentsReturned_{reason}", unit="Count", value=1)
    return RefundOutcome(order_id, "refunded", refund_id=claim.refund_id, amount=amount, status=claim.status)


def _book_return(tx: TransactWrite, claim: RefundItem) -> None:
    """The return's ledger lines, with the claim's "accepted by Stripe" (their keys are the condition)."""
    ledger.record(
        tx,
        order_id=claim.order_id,
        txn_id=f"return-{claim.intent_id}",
        kind="unowed_return",
        lines=ledger.return_lines(int(claim.amount)),
        at=clock.iso(),
        ref=claim.refund_id,
    )
