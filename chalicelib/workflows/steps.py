"""The steps the workflows' Lambda tasks run, and the handler that dispatches to them.

Every task of every state machine invokes one function, ``workflow_steps``, with ``{"step":
<name>, ...arguments}``; :func:`handler` calls the step registered under that name in
:data:`STEPS` with the other fields as keyword arguments and hands its result (a JSON object)
back to the state machine. The local stack's moto server calls :func:`handler` the same way.

Every step is safe to run again: the state machine retries a failed attempt, and an attempt may
have done its work before it failed. What a step cannot change by trying again (a refusal of the
domain: a 4xx :class:`~chalicelib.errors.AppError` other than 429, or arguments that do not fit)
is raised as :class:`StepRejected`, which the ASL never retries; anything else (a provider
outage, throttling, a timeout) keeps its own type and is retried with backoff.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.accounts.users import user_view
from chalicelib.errors import AppError, NotFound
from chalicelib.i18n import DEFAULT_LOCALE
from chalicelib.ids import stable_id
from chalicelib.models.accounts import UserItem
from chalicelib.models.orders import OrderEventItem, OrderItem
from chalicelib.notifications.outgoing import queue_message
from chalicelib.notifications.templates import render
from chalicelib.observability import logger, metrics
from chalicelib.orders.access import load_order
from chalicelib.orders.notices import notify
from chalicelib.orders.views import effective_status, event_sk
from chalicelib.payments.messages import yuan
from chalicelib.workflows import messages
from chalicelib.workflows.alerts import Alert, open_alert

__all__ = ["STEPS", "StepRejected", "escalate_refund", "handler", "notify_customer", "refund"]

REFUND_ALERT = "refund_failed"
MAX_ADMINS = 50
"""Admins told about an escalation (the first of the role's listing; there are a handful)."""
_CAUSE_LENGTH = 500

assert messages.TEMPLATES  # imported for its registration


class StepRejected(Exception):
    """The step cannot succeed by being tried again; the state machine goes to its Catch at once."""


# -- order cancellation saga -----------------------------------------------------------------


def _cancelled_order(order_id: str) -> OrderItem:
    order = load_order(order_id, consistent=True)
    if order is None:
        raise NotFound()
    if effective_status(order) not in ("cancelled", "refunded"):
        raise StepRejected(f"order {order_id} is {order.status}, not cancelled")
    return order


def refund(order_id: str) -> dict[str, Any]:
    """Return the money the cancellation of ``order_id`` owes: ``{"refunded": bool}``.

    ``chalicelib.payments.refunds.refund_cancelled_order`` does it: idempotent, it says whether the
    order's money went back and raises on a provider error (``ProviderUnavailable``: retried by
    the state machine; ``RefundFailed``, a refusal: escalated at once). Imported here rather than
    at the top, so only this step pays for the payment provider's SDK.
    """
    from chalicelib.payments.refunds import refund_cancelled_order

    return {"refunded": bool(refund_cancelled_order(order_id))}


def notify_customer(order_id: str) -> dict[str, Any]:
    """Tell the customer the cancellation is settled: inbox always, SMS or e-mail when money comes back.

    The ids of the inbox entry and the message derive from the order's cancellation, so a retry
    leaves one entry and sends one text.
    """
    order = _cancelled_order(order_id)
    owed = int(order.refund_amount or 0)
    template = "cancellation_refunded" if owed else "cancellation_no_refund"
    cancelled_at = order.cancelled_at or order.pay_by  # an unpaid order lapses at pay_by
    if cancelled_at is None:
        raise StepRejected(f"order {order_id} has no cancellation time")
    notify(
        order.customer_id,
        template,
        order,
        cause=f"order_cancellation:{order_id}",
        at=datetime.fromisoformat(cancelled_at),
        text=owed > 0,
        amount=yuan(owed),
    )
    return {"template": template}


def _cause(failure: dict[str, Any]) -> str:
    """The message of a Lambda failure's ``Cause`` (JSON from the runtime, else the text), shortened."""
    raw = str(failure.get("Cause") or "")
    try:
        parsed = json.loads(raw)
        message = str(parsed.get("errorMessage", raw)) if isinstance(parsed, dict) else raw
    except ValueError:
        message = raw
    return message[:_CAUSE_LENGTH]


def escalate_refund(order_id: str, failure: dict[str, Any]) -> dict[str, Any]:
    """A refund kept failing: open the ops alert with an order timeline event, and tell the admins.

    The alert and the event are written once (one transaction, the alert's key is the order);
    the admins' inbox entries and e-mails have ids derived from the alert, so a retry repeats
    nothing.
    """
    order = load_order(order_id, consistent=True)
    owed = int(order.refund_amount or 0) if order else 0
    error = str(failure.get("Error") or "unknown")
    at = clock.iso()
    timeline = []
    if order is not None:
        timeline.append(
            OrderEventItem(
                order.pk,
                event_sk(at, int(order.version)),
                order_id=order_id,
                event="refund_escalated",
                at=at,
                by="system",
                details={"amount": owed, "error": error},
            )
        )
    details = {"order_id": order_id, "amount": owed, "error": error, "cause": _cause(failure)}
    alert = open_alert(REFUND_ALERT, order_id, details, at=at, together_with=timeline)
    if alert.new:
        metrics.add_metric(name="RefundEscalations", unit="Count", value=1)
    told = _tell_admins(alert, order_id=order_id, amount=yuan(owed), error=error)
    logger.warning("refund escalated", order_id=order_id, error=error, admins=told, new=alert.new)
    return {"alert": f"{alert.kind}:{alert.subject}", "admins": told}


def _tell_admins(alert: Alert, *, order_id: str, amount: str, error: str) -> int:
    """Inbox entry and e-mail to every active admin; returns how many were told."""
    at = datetime.fromisoformat(alert.created_at)
    params = {"order": order_id, "amount": amount, "error": error}
    rendered = render("refund_escalated", DEFAULT_LOCALE, **params)
    told = 0
    for admin in UserItem.gsi2.query("ROLE#admin", limit=MAX_ADMINS):
        if admin.status != "active":
            continue
        key = f"alert:{alert.kind}:{alert.subject}:{admin.user_id}"
        post_to_inbox(
            admin.user_id,
            "refund_escalated",
            rendered.subject,
            rendered.body,
            order_id=order_id,
            notification_id=stable_id("ntf", at, key),
        )
        email = user_view(admin).email
        if email:
            queue_message(
                "email",
                email,
                "refund_escalated",
                DEFAULT_LOCALE,
                correlation_id=order_id,
                message_id=stable_id("msg", at, key),
                **params,
            )
        told += 1
    if not told:
        logger.error("no active admin to tell about an escalation", alert=f"{alert.kind}:{alert.subject}")
    return told


# -- payout run (chalicelib.payouts.run; imported on first use) --------------------------------


def payout_begin(run_date: str) -> dict[str, Any]:
    """Open the run of ``run_date`` once and cut its approved withdrawals into batches."""
    from chalicelib.payouts import run

    return run.begin(run_date)


def payout_pay_batch(run_id: str, run_date: str, bounds: list[str]) -> dict[str, Any]:
    """Pay one batch; raises ``PayoutRetryLater`` (retried with backoff) for transient failures."""
    from chalicelib.payouts import run

    return run.pay_batch(run_id, run_date, bounds)


def payout_fail_batch(
    run_id: str, run_date: str, bounds: list[str], failure: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The batch's retries are spent: what is still unpaid ends ``failed`` (money available again)."""
    from chalicelib.payouts import run

    return run.fail_batch(run_id, run_date, bounds, failure)


def payout_finish(run_id: str, run_date: str) -> dict[str, Any]:
    """Report (and bank file) to S3; the run is ``completed``."""
    from chalicelib.payouts import run

    return run.finish(run_id, run_date)


# -- export split (chalicelib.analytics.export_split; imported on first use) -------------------


def export_plan(export_id: str) -> dict[str, Any]:
    """Take the export and list its days, or say it is settled already."""
    from chalicelib.analytics import export_split

    return export_split.plan(export_id)


def export_write_part(export_id: str, day: str) -> dict[str, Any]:
    """Write one day's rows of the export as a part in the exports bucket."""
    from chalicelib.analytics import export_split

    return export_split.write_part(export_id, day)


def export_assemble(export_id: str) -> dict[str, Any]:
    """Stream the parts in day order into the export's file; the export is ``ready``."""
    from chalicelib.analytics import export_split

    return export_split.assemble(export_id)


def export_fail(export_id: str, failure: dict[str, Any]) -> dict[str, Any]:
    """A step spent its retries: the export is ``failed`` with the failure as its reason, alert opened."""
    from chalicelib.analytics import export_split

    reason = f"{failure.get('Error') or 'unknown'}: {_cause(failure)}"[:300]
    return export_split.fail(export_id, reason)


# -- dispatch --------------------------------------------------------------------------------

Step = Callable[..., dict[str, Any]]

STEPS: dict[str, Step] = {
    "order_cancellation.refund": refund,
    "order_cancellation.notify_customer": notify_customer,
    "order_cancellation.escalate_refund": escalate_refund,
    "payout_run.begin": payout_begin,
    "payout_run.pay_batch": payout_pay_batch,
    "payout_run.fail_batch": payout_fail_batch,
    "payout_run.finish": payout_finish,
    "export_split.plan": export_plan,
    "export_split.write_part": export_write_part,
    "export_split.assemble": export_assemble,
    "export_split.fail": export_fail,
}


def _retryable(error: AppError) -> bool:
    return error.status == 429 or error.status >= 500


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``workflow_steps``): run ``event["step"]`` with the other fields."""
    name = str(event.get("step"))
    step = STEPS.get(name)
    if step is None:
        raise StepRejected(f"unknown step {name!r}")
    arguments = {key: value for key, value in event.items() if key != "step"}
    try:
        inspect.signature(step).bind(**arguments)
    except TypeError as error:
        raise StepRejected(f"{name}: {error}") from None
    try:
        return step(**arguments)
    except AppError as error:
        logger.warning("workflow step refused", step=name, code=error.code, arguments=arguments)
        if _retryable(error):
            raise
        raise StepRejected(f"{name}: {type(error).__name__} {error.code}") from error
    except StepRejected:
        logger.warning("workflow step rejected", step=name, arguments=arguments)
        raise
    except Exception:
        logger.exception("workflow step failed", step=name, arguments=arguments)
        raise
