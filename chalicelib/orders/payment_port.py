"""The port the payment step calls: an order is paid (and, later, refunded) through here only.

Payments (the next issue) confirm money with Stripe and then call :func:`mark_paid`; it owns
the order side of that fact (status, reservation, unpaid limit, timeline) so the payment code
never writes order items itself.
"""

from __future__ import annotations

from chalicelib.orders.lifecycle import expire_unpaid, mark_paid

__all__ = ["expire_unpaid", "mark_paid"]
