"""The order cancellation saga: started once per cancelled order.

The cancel transaction (``chalicelib.orders.lifecycle``) has already released the worker's time
and recorded the refund owed; the saga (``order_cancellation.asl.json``) then refunds it, tells
the customer, and escalates a refund that keeps failing. The order-events consumer calls
:func:`start` when it sees ``order.cancelled``.
"""

from __future__ import annotations

from chalicelib.resources import WORKFLOWS, WorkflowSpec
from chalicelib.workflows.executions import execution_name, start_once

__all__ = ["WORKFLOW", "execution_name_for", "start"]

WORKFLOW: WorkflowSpec = next(spec for spec in WORKFLOWS if spec.name == "order-cancellation")


def execution_name_for(order_id: str) -> str:
    """The one execution name of ``order_id``'s saga."""
    return execution_name("cancel", order_id)


def start(order_id: str) -> None:
    """Start the saga of a cancelled order; a repeat for the same order starts nothing new."""
    start_once(WORKFLOW, execution_name_for(order_id), {"order_id": order_id})
