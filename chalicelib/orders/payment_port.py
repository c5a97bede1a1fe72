"""The port the payment step calls: an order is paid (and, later, refunded) through here only.

Payments confirm money with Stripe and then call :func:`mark_paid` (or, once a cancelled
order's refund went through, :func:`mark_refunded`); each owns the order side of that fact
(status, reservation, unpaid limit, timeline, ledger lines) so the payment code never writes
order items itself.
"""

from __future__ import annotations

from chalicelib.orders.lifecycle import expire_unpaid, mark_balance_paid, mark_paid, mark_refunded

__all__ = ["expire_unpaid", "mark_balance_paid", "mark_paid", "mark_refunded"]
