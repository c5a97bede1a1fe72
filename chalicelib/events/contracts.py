"""The bodies of the order events on the bus and of the order timers Scheduler delivers.

Both travel inside :class:`chalicelib.events.envelope.Envelope`. Plain pydantic, no AWS: the
producers (outbox relay, timer scheduling) and the consumers share these definitions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chalicelib.basemodel import Model

__all__ = ["ORDER_EVENT_SOURCE", "TIMER_COMMAND", "OrderEvent", "OrderTimer", "TimerKind"]

ORDER_EVENT_SOURCE = "jiazheng.orders"
"""EventBridge ``source`` of every order event; ``detail-type`` is ``order.<event>``."""

TIMER_COMMAND = "order.timer.fire"

TimerKind = Literal[
    "payment_expiry",  # pay_by passed: cancel the unpaid order and free its time
    "acceptance_timeout",  # nobody accepted in time: widen the offer, then cancel and refund
    "reminder",  # before the start (offsets from settings), to customer and worker
    "not_arrived",  # the start passed and the worker has not arrived: alert
    "auto_complete",  # hours after ``finished`` without a dispute: complete
    "review_request",  # after completion: ask the customer for a review
    "ticket_first_response",  # a support ticket's SLA (``order_id`` holds the ticket id): escalate
    "balance_reminder",  # a live-in order's balance (尾款) is due soon and unpaid: remind the customer
    "balance_expiry",  # the balance is due and unpaid: cancel under the policy
]


class OrderEvent(Model):
    """One line of an order's timeline, as published: what happened to which order, when, by whom."""

    order_id: str
    event: str
    at: datetime
    by: str
    details: dict[str, Any] | None = None


class OrderTimer(Model):
    """A timer of one order. ``due`` is when it was set for; ``basis`` what it was computed from.

    ``basis`` (the start time for reminders and alerts, the round for acceptance) lets the
    consumer ignore a timer the order has outgrown: a reminder for a start that was rescheduled,
    a timeout of a round that was already widened.
    """

    order_id: str
    kind: TimerKind
    due: datetime
    basis: str = ""
