"""The first-response SLA of a ticket, on the order workflow's timer rails.

Opening a ticket sets a Scheduler one-time timer (``chalicelib.orders.timers``, kind
``ticket_first_response``, the ticket id in ``order_id``) for ``support_first_response_hours``
later; the ``order-timers`` consumer hands it here. If no staff member has answered by then and
the ticket is still open, an ops alert ``support_sla_breach`` opens for admins (once: the
alert's key is the ticket).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.events.contracts import OrderTimer
from chalicelib.observability import logger, metrics

__all__ = ["SLA_ALERT", "on_first_response_timer", "start_first_response_timer"]

SLA_ALERT = "support_sla_breach"


def start_first_response_timer(ticket_id: str, due: datetime) -> None:
    """Set the timer; a failure leaves the ticket open without it (logged and counted)."""
    from chalicelib.orders.timers import set_timer

    try:
        set_timer(OrderTimer(order_id=ticket_id, kind="ticket_first_response", due=due, basis=ticket_id))
    except Exception:
        logger.exception("ticket SLA timer not set", ticket_id=ticket_id)
        metrics.add_metric(name="TicketTimerFailures", unit="Count", value=1)


def on_first_response_timer(timer: OrderTimer) -> bool:
    """Escalate the ticket if it is still unanswered; True when an alert was opened now."""
    from chalicelib.support.items import TicketItem
    from chalicelib.workflows.alerts import open_alert

    try:
        ticket = TicketItem.get(*TicketItem.key(timer.order_id), consistent_read=True)
    except TicketItem.DoesNotExist:
        return False
    if ticket.first_response_at or ticket.status in ("resolved", "closed"):
        return False
    alert = open_alert(
        SLA_ALERT,
        ticket.ticket_id,
        {
            "ticket_id": ticket.ticket_id,
            "type": ticket.type,
            "subject": ticket.subject,
            "due": ticket.sla_due_at,
        },
    )
    if alert.new:
        metrics.add_metric(name="SupportSlaBreaches", unit="Count", value=1)
    return alert.new
