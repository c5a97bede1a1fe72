"""An admin refunds part or all of a finished job's price (``POST /v1/admin/orders/{id}/refund``).

The dispute path: a customer complains about a job (a support ticket, or the ``disputed``
status) and an admin gives money back. It follows the three steps of every refund
(``chalicelib.payments.refunds``): claim, Stripe with the claim's persisted key, book.

- **Never more than was paid**: the order's ``REFUNDED`` counter item holds the total of its
  admin refunds; the claim is put in one transaction with the counter's update, conditioned on
  the total as read, with ``total + amount <= paid`` checked on that reading: two admins
  refunding at once cannot both pass (409 ``refund_exceeds_paid``, ``refund_changed``).
- **Idempotent**: the claim's purpose is ``admin#<hash of the Idempotency-Key>``: the same key
  and body finds the claim and answers it again (replayed); the same key with another amount or
  reason is 422 ``idempotency_key_reused``.
- **Ledger**: where the money comes from is decided in the claim's transaction and kept on the
  claim (``ledger_source``): before completion, from the customer's ``prepayment`` (completion
  then books only what is left, :func:`refunded_before_completion`); inside the dispute window,
  a ``reversal`` of the completion in the same transaction (the workers' pending shares and the
  commission give it back, conditional on the share not being released meanwhile); after it,
  the platform's ``expense`` (``dispute_refunds``). Stripe's answer is booked with
  ``customer_prepayments`` (or ``dispute_refunds``) / ``stripe_balance``, so every transaction
  sums to zero.
- **Audit**: the audit entry is in the claim's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock, i18n
from chalicelib.audit import Actor, AuditItem
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.base import MainItem, cancellation_reasons, transact_write
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import LedgerEntryItem, PaymentItem, RefundItem
from chalicelib.observability import metrics
from chalicelib.orders.access import load_order
from chalicelib.payments import ledger
from chalicelib.payments.messages import tell_customer, yuan
from chalicelib.payments.refunds import _at_stripe, _new_claim
from chalicelib.payouts.balance import book_reversal

__all__ = ["REFUNDABLE", "AdminRefund", "RefundedTotalItem", "refund_order", "refunded_before_completion"]

REFUNDABLE = frozenset({"finished", "completed", "disputed"})
"""The job was done (or contested): earlier, a cancellation refunds under the policy instead."""

i18n.register(
    {
        "refund_exceeds_paid": {
            "zh-CN": "退款金额超过可退金额（还可退 {refundable} 分）",
            "en": "More than is left to refund ({refundable} fen).",
        },
        "refund_changed": {
            "zh-CN": "该订单刚刚发生了另一笔退款，请刷新后重试",
            "en": "Another refund just happened; reload.",
        },
        "not_paid": {"zh-CN": "订单未支付", "en": "The order was not paid."},
    }
)


class RefundedTotalItem(MainItem):
    """``ORDER#<id> / REFUNDED``: the total of the order's admin refunds, the guard of the cap."""

    total = NumberAttribute(default=0)

    @staticmethod
    def key(order_id: str) -> tuple[str, str]:
        return f"ORDER#{order_id}", "REFUNDED"


@dataclass(frozen=True)
class AdminRefund:
    refund_id: str
    order_id: str
    amount: int
    reason: str
    status: str
    refunded_total: int
    paid: int
    replayed: bool


def _purpose(idempotency_key: str) -> str:
    return "admin#" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def _refunded(order_id: str) -> tuple[int, bool]:
    try:
        item = RefundedTotalItem.get(*RefundedTotalItem.key(order_id), consistent_read=True)
    except RefundedTotalItem.DoesNotExist:
        return 0, False
    return int(item.total), True


def refunded_before_completion(order_id: str) -> tuple[int, Any]:
    """(fen of admin refunds taken from the prepayment, the condition that keeps it so): the
    completion books the price less this, in a transaction with the condition, so a refund
    claimed meanwhile makes the completion read again."""
    total, counted = _refunded(order_id)
    pk, sk = RefundedTotalItem.key(order_id)
    if not counted:
        return 0, (RefundedTotalItem, pk, sk, RefundedTotalItem.pk.does_not_exist())
    return total, (RefundedTotalItem, pk, sk, RefundedTotalItem.total == total)


def _source(order_id: str, amount: int) -> tuple[str, list[ledger.Line] | None]:
    """Where an admin refund's money comes from (see the module docstring) and the reversal lines."""
    from chalicelib.payouts.balance import reversal_lines

    view = ledger.entries_of(order_id)
    if not any(entry.kind == "completion" for entry in view.entries):
        return "prepayment", None
    lines = reversal_lines(view, amount)
    return ("reversal", lines) if lines else ("expense", None)


def _paid(order: OrderItem) -> tuple[int, str]:
    try:
        payment = PaymentItem.get(*PaymentItem.key(order.order_id), consistent_read=True)
    except PaymentItem.DoesNotExist:
        payment = None
    if payment is None or payment.status != "succeeded" or not (payment.paid_intent_id or order.payment_ref):
        raise Conflict("not_paid")
    return int(payment.amount), str(payment.paid_intent_id or order.payment_ref)


def _answer(claim: RefundItem, paid: int, *, replayed: bool) -> AdminRefund:
    total, _ = _refunded(claim.order_id)
    return AdminRefund(
        refund_id=claim.refund_id,
        order_id=claim.order_id,
        amount=int(claim.amount),
        reason=claim.reason,
        status=claim.status,
        refunded_total=total,
        paid=paid,
        replayed=replayed,
    )


def refund_order(order_id: str, amount: int, reason: str, actor: Actor, idempotency_key: str) -> AdminRefund:
    """Refund ``amount`` fen of a done job's payment (see the module docstring)."""
    order = load_order(order_id, consistent=True)
    if order is None:
        raise NotFound()
    paid, intent_id = _paid(order)
    purpose = _purpose(idempotency_key)
    try:
        existing: RefundItem | None = RefundItem.get(*RefundItem.key(order_id, purpose), consistent_read=True)
    except RefundItem.DoesNotExist:
        existing = None
    if existing is not None:
        if int(existing.amount) != amount or existing.reason != reason:
            raise ValidationFailed("idempotency_key_reused")
        return _answer(_at_stripe(existing, also=_book), paid, replayed=True)
    if order.status not in REFUNDABLE:
        raise Conflict(
            "invalid_status",
            status=order.status,
            details=[{"code": "invalid_status", "status": order.status}],
        )
    total, counted = _refunded(order_id)
    if total + amount > paid:
        raise Conflict("refund_exceeds_paid", refundable=paid - total, details=[{"refundable": paid - total}])
    claim = _new_claim(order_id, purpose, intent_id, amount, reason)
    source, reversal = _source(order_id, amount)
    claim.ledger_source = source
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="order.refund",
        target_type="order",
        target_id=order_id,
        before={"refunded_total": total},
        after={"refunded_total": total + amount},
        details={"amount": amount, "reason": reason, "refund_id": claim.refund_id, "paid": paid},
        request_id=actor.request_id,
        ip=actor.ip,
    )
    guard = RefundedTotalItem(*RefundedTotalItem.key(order_id))
    try:
        with transact_write() as tx:
            tx.save(claim, condition=RefundItem.pk.does_not_exist())
            tx.update(
                guard,
                actions=[RefundedTotalItem.total.set(total + amount)],
                condition=(RefundedTotalItem.total == total)
                if counted
                else RefundedTotalItem.pk.does_not_exist(),
            )
            tx.save(entry, condition=AuditItem.pk.does_not_exist())
            completion_pk, completion_sk = LedgerEntryItem.key(order_id, f"complete-{order_id}", 0)
            if source == "prepayment":  # completion reads the total: not completed meanwhile
                tx.condition_check(
                    LedgerEntryItem,
                    completion_pk,
                    completion_sk,
                    condition=LedgerEntryItem.pk.does_not_exist(),
                )
            elif reversal:
                book_reversal(tx, order_id, claim.refund_id, reversal)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_reasons(error)[:1]:  # the same key, a moment ago
            return refund_order(order_id, amount, reason, actor, idempotency_key)
        raise Conflict("refund_changed") from error
    claim = _at_stripe(claim, also=_book)
    from chalicelib.orders.lifecycle import note

    at = clock.now()
    note(
        order_id,
        "refund_issued",
        at=at,
        details={"refund_id": claim.refund_id, "amount": amount, "reason": reason},
    )
    tell_customer(order, "admin_refund", cause=claim.refund_id, at=at, amount=yuan(amount))
    metrics.add_metric(name="AdminRefunds", unit="Count", value=1)
    return _answer(claim, paid, replayed=False)


def _book(tx: TransactWrite, claim: RefundItem) -> None:
    """The refund's ledger lines, with Stripe's answer on the claim."""
    amount = int(claim.amount)
    ledger.record(
        tx,
        order_id=claim.order_id,
        txn_id=f"refund-{claim.refund_id}",
        kind="dispute_refund",
        lines=(
            ledger.dispute_refund_lines(amount)
            if claim.ledger_source in (None, "expense")
            else ledger.prepayment_refund_lines(amount)
        ),
        at=clock.iso(),
        ref=claim.refund_id,
    )
