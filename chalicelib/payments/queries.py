"""Reading payments: an order's payment and refunds (its customer, staff) and its ledger (admins)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import NotFound
from chalicelib.models.payments import RefundItem
from chalicelib.orders.access import load_order, order_for
from chalicelib.payments.intents import PaymentView, load_payment, view_of
from chalicelib.payments.ledger import LedgerView, entries_of
from chalicelib.payments.refunds import refunds_of

__all__ = ["OrderPaymentView", "RefundView", "order_ledger", "order_payment"]


@dataclass(frozen=True)
class RefundView:
    refund_id: str
    amount: int
    currency: str
    status: str
    reason: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class OrderPaymentView:
    """How an order was paid and what went back; the client secret is never shown here."""

    order_id: str
    payment: PaymentView | None
    balance_payment: PaymentView | None  # a live-in order's 尾款
    refunds: list[RefundView]


def _refund(item: RefundItem) -> RefundView:
    return RefundView(
        refund_id=item.refund_id,
        amount=int(item.amount),
        currency=item.currency,
        status=item.status,
        reason=item.reason,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def order_payment(order_id: str, user_id: str, role: str) -> OrderPaymentView:
    """The payments and refunds of an order its caller may see (404 otherwise)."""
    access = order_for(order_id, user_id, role)
    payment = load_payment(order_id)
    balance = load_payment(order_id, "balance") if access.order.balance_due_at else None
    return OrderPaymentView(
        order_id=order_id,
        payment=view_of(payment) if payment else None,
        balance_payment=view_of(balance) if balance else None,
        refunds=[_refund(item) for item in refunds_of(order_id)],
    )


def order_ledger(order_id: str) -> LedgerView:
    """An order's ledger lines and balances (404 for an unknown order)."""
    if load_order(order_id) is None:
        raise NotFound()
    return entries_of(order_id)
