"""The order workflow: what follows each order event, and what each timer does when it fires.

Events come from the timeline through the outbox relay (``order.<event>`` on the bus, then the
``order-events`` queue); timers from EventBridge Scheduler (the ``order-timers`` queue). Both
consumers are idempotent on the message id, and every step here is safe to repeat: timers and
notices have ids derived from their cause, offers are conditional writes, and every change of the
order goes through the lifecycle's guarded transactions (which refuse what no longer applies).

Timers re-read the order and act only if it still is where the timer expects it (the same start
for a reminder, the same matching round for an acceptance timeout), so a rescheduled, cancelled or
accepted order simply outgrows its old timers.

| event            | what follows                                                                      |
|------------------|-----------------------------------------------------------------------------------|
| created          | payment expiry timer at ``pay_by``                                                |
| paid             | chosen worker: asked to accept (timer); none: matching round 0 + timeout timer    |
| declined         | the customer is told; matching round 0 + timeout timer                            |
| accepted         | the customer is told; reminders (24 h, 2 h before) and a not-arrived alert timer  |
| rescheduled      | reminders and not-arrived alert for the new start                                 |
| reassigned       | reminders and not-arrived alert (for the new worker, read when they fire)        |
| departed/arrived/started | the customer's inbox                                                      |
| finished         | the customer is asked to confirm; auto-complete timer                            |
| completed        | review request timer                                                              |
| cancelled        | the other party is told; the cancellation saga refunds what is owed               |
| expired          | the customer is told                                                              |
| paid (live-in with a deposit) | also the balance reminder (24 h before due) and the balance expiry (cancel) |
| balance_paid     | nothing more: the balance timers find it paid                                     |
| term_ended_early | a live-in term ended early: the days not served are refunded (``refund_early_end``) |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.events.contracts import OrderEvent, OrderTimer
from chalicelib.models.orders import OrderItem
from chalicelib.observability import logger, metrics
from chalicelib.orders import lifecycle, matching
from chalicelib.orders.access import load_order
from chalicelib.orders.notices import notify
from chalicelib.orders.timers import set_timer
from chalicelib.settings.current import current_settings

__all__ = ["SETTINGS", "WorkflowSettings", "on_event", "on_timer", "timers_after"]


@dataclass(frozen=True)
class WorkflowSettings:
    """The workflow's fixed timings (reminder offsets and the acceptance timeout are admin settings)."""

    not_arrived_minutes: int = 15  # after the start, without ``arrived``
    accept_lead_minutes: int = 60  # acceptance must be settled this long before the start
    auto_complete_hours: int = 24  # after ``finished`` without confirmation or dispute
    review_request_hours: int = 2  # after completion
    balance_reminder_hours: int = 24  # before a live-in order's balance is due


SETTINGS = WorkflowSettings()

WAITING_FOR_WORKER = frozenset({"assigned", "en_route"})


def _start(order: OrderItem) -> datetime:
    return datetime.fromisoformat(order.start_at)


def _acceptance_due(order: OrderItem, now: datetime, minutes: int) -> datetime:
    """``minutes`` from now, but never later than the lead before the start (nor before now)."""
    latest = _start(order) - timedelta(minutes=SETTINGS.accept_lead_minutes)
    return max(now, min(now + timedelta(minutes=minutes), latest))


def _job_timers(order: OrderItem) -> list[OrderTimer]:
    """Reminders before the start and the not-arrived alert after it, keyed on the start."""
    start = _start(order)
    timers = [
        OrderTimer(
            order_id=order.order_id,
            kind="reminder",
            due=start - timedelta(hours=hours),
            basis=f"{order.start_at}|{hours}",
        )
        for hours in current_settings().reminder_offsets_hours
        if start - timedelta(hours=hours) > clock.now()
    ]
    timers.append(
        OrderTimer(
            order_id=order.order_id,
            kind="not_arrived",
            due=start + timedelta(minutes=SETTINGS.not_arrived_minutes),
            basis=order.start_at,
        )
    )
    return timers


def _balance_timers(order: OrderItem, now: datetime) -> list[OrderTimer]:
    """A live-in order paid by deposit: remind of the balance before it is due, expire it when due."""
    if not order.balance_due_at or order.balance_ref:
        return []
    due = datetime.fromisoformat(order.balance_due_at)
    remind = due - timedelta(hours=SETTINGS.balance_reminder_hours)
    timers = [OrderTimer(order_id=order.order_id, kind="balance_expiry", due=due, basis=order.balance_due_at)]
    if remind > now:
        timers.insert(
            0,
            OrderTimer(
                order_id=order.order_id, kind="balance_reminder", due=remind, basis=order.balance_due_at
            ),
        )
    return timers


def timers_after(event: OrderEvent, order: OrderItem, now: datetime) -> list[OrderTimer]:
    """The timers ``event`` sets on ``order`` (pure: the table above, for timers)."""
    order_id = order.order_id
    match event.event:
        case "created" if order.status == "pending_payment" and order.pay_by:
            return [
                OrderTimer(order_id=order_id, kind="payment_expiry", due=datetime.fromisoformat(order.pay_by))
            ]
        case "paid" if order.status == "paid" and order.worker_id:
            due = _acceptance_due(order, now, current_settings().acceptance_timeout_minutes)
            accept = OrderTimer(order_id=order_id, kind="acceptance_timeout", due=due, basis="chosen")
            return [accept, *_balance_timers(order, now)]
        case "paid" | "declined" if order.status == "paid" and not order.worker_id:
            due = _acceptance_due(order, now, matching.rounds()[0].minutes)
            return [OrderTimer(order_id=order_id, kind="acceptance_timeout", due=due, basis="round-0")]
        case "accepted" | "rescheduled" | "reassigned" if order.status in WAITING_FOR_WORKER:
            return _job_timers(order)
        case "finished" if order.status == "finished":
            due = event.at + timedelta(hours=SETTINGS.auto_complete_hours)
            return [OrderTimer(order_id=order_id, kind="auto_complete", due=due, basis=clock.iso(event.at))]
        case "completed":
            due = event.at + timedelta(hours=SETTINGS.review_request_hours)
            return [OrderTimer(order_id=order_id, kind="review_request", due=due)]
    return []


# -- events ------------------------------------------------------------------------------------


def _tell(event: OrderEvent, event_id: str, order: OrderItem) -> None:
    """The notices an event sends (inbox always; SMS for the ones that matter)."""
    cause, at = event_id, event.at

    def customer(template: str, *, text: bool = True, **params: object) -> None:
        notify(order.customer_id, template, order, cause=cause, at=at, text=text, **params)

    match event.event:
        case "paid" if order.worker_id and order.status == "paid":
            deadline = _acceptance_due(order, event.at, current_settings().acceptance_timeout_minutes)
            notify(
                order.worker_id,
                "order_chosen",
                order,
                cause=cause,
                at=at,
                deadline=deadline.astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M"),
            )
        case "declined":
            customer("order_declined")
        case "accepted" if order.worker_id:
            from chalicelib.workers.profile import load_profile

            profile = load_profile(order.worker_id)
            customer("order_accepted", worker=(profile.name if profile else "") or "")
        case "departed" | "arrived" | "started":
            customer(f"order_{event.event}", text=False)
        case "finished":
            customer("order_finished", hours=SETTINGS.auto_complete_hours)
        case "expired":
            customer("order_expired")
        case "cancelled":
            reason = str((event.details or {}).get("reason", ""))
            if event.by != order.customer_id:
                customer("order_cancelled", reason=reason)
            worker = order.worker_id or str((event.details or {}).get("worker_id") or "")
            if worker and event.by != worker:
                notify(worker, "order_cancelled", order, cause=cause, at=at, reason=reason)


def _settle_cancellation(order: OrderItem) -> None:
    """Refund what a cancelled paid order owes (the cancellation saga, Step Functions); for an
    unpaid one, cancel its open payment so the customer's wallet cannot complete it later."""
    if not order.payment_ref:
        from chalicelib.payments.intents import cancel_for_expired_order

        cancel_for_expired_order(order.order_id)
        return
    from chalicelib.workflows.cancellation import start

    start(order.order_id)


def on_event(event: OrderEvent, event_id: str) -> None:
    """React to one order event (the ``order-events`` consumer calls this once per event id)."""
    order = load_order(event.order_id, consistent=True)
    if order is None:
        logger.warning("event for an unknown order", order_id=event.order_id, order_event=event.event)
        return
    now = clock.now()
    for timer in timers_after(event, order, now):
        set_timer(timer)
    _tell(event, event_id, order)
    if event.event in {"paid", "declined"} and order.status == "paid" and not order.worker_id:
        matching.offer(order, 0, cause=event_id, at=event.at)
    if event.event == "cancelled":
        _settle_cancellation(order)
    if event.event == "term_ended_early":
        from chalicelib.payments.refunds import refund_early_end

        refund_early_end(order.order_id)  # the days not served go back (once, whatever the deliveries)
    metrics.add_metric(name=f"OrderEvent_{event.event}", unit="Count", value=1)


# -- timers ------------------------------------------------------------------------------------


def _payment_expiry(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    from chalicelib.payments.intents import cancel_for_expired_order

    lifecycle.expire_unpaid(order.order_id)
    cancel_for_expired_order(order.order_id)  # a wallet that pays late is refunded, but better not at all


def _acceptance_timeout(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    if order.status != "paid":
        return  # accepted or cancelled meanwhile
    if timer.basis == "chosen":
        if order.worker_id:
            # the chosen worker let the time run out: the job goes to the pool (event ``declined``)
            from chalicelib.orders.worker_side import decline

            decline(order.order_id, order.worker_id, "acceptance_timeout", by="system")
        return
    if order.worker_id or not timer.basis.startswith("round-"):
        return
    following = int(timer.basis.removeprefix("round-")) + 1
    rounds = matching.rounds()
    if following < len(rounds) and _start(order) - timer.due > timedelta(
        minutes=SETTINGS.accept_lead_minutes
    ):
        matching.offer(order, following, cause=timer_id, at=timer.due)
        due = _acceptance_due(order, timer.due, rounds[following].minutes)
        set_timer(
            OrderTimer(
                order_id=order.order_id, kind="acceptance_timeout", due=due, basis=f"round-{following}"
            )
        )
        return
    lifecycle.cancel_unaccepted(order.order_id)  # ``cancelled`` by system, refunded in full


def _reminder(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    start_at, _, hours = timer.basis.partition("|")
    if order.status != "assigned" or order.start_at != start_at or not order.worker_id:
        return
    for user_id in (order.customer_id, order.worker_id):
        notify(user_id, "order_reminder", order, cause=timer_id, at=timer.due, hours=hours)


def _not_arrived(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    if order.status not in WAITING_FOR_WORKER or order.start_at != timer.basis or not order.worker_id:
        return
    notify(order.customer_id, "order_not_arrived_customer", order, cause=timer_id, at=timer.due)
    notify(order.worker_id, "order_not_arrived_worker", order, cause=timer_id, at=timer.due)
    lifecycle.note(order.order_id, "worker_late", at=timer.due, details={"status": order.status})


def _auto_complete(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    if order.status == "finished":
        lifecycle.auto_complete(order.order_id)


def _review_request(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    from chalicelib.models.orders import ReviewItem

    if order.status != "completed" or ReviewItem.count(order.pk, ReviewItem.sk == "REVIEW") > 0:
        return
    notify(order.customer_id, "order_review_request", order, cause=timer_id, at=timer.due)


def _balance_reminder(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    if order.balance_ref or order.balance_due_at != timer.basis or order.status not in ("paid", "assigned"):
        return
    due = datetime.fromisoformat(timer.basis).astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M")
    amount = f"{int(order.balance_amount or 0) / 100:.2f}"
    notify(
        order.customer_id, "order_balance_due", order, cause=timer_id, at=timer.due, amount=amount, due=due
    )


def _balance_expiry(order: OrderItem, timer: OrderTimer, timer_id: str) -> None:
    if order.balance_ref or order.balance_due_at != timer.basis:
        return
    lifecycle.cancel_for_unpaid_balance(order.order_id)  # the ``cancelled`` event then refunds per policy


_TIMERS: dict[str, Callable[[OrderItem, OrderTimer, str], None]] = {
    "payment_expiry": _payment_expiry,
    "acceptance_timeout": _acceptance_timeout,
    "reminder": _reminder,
    "not_arrived": _not_arrived,
    "auto_complete": _auto_complete,
    "review_request": _review_request,
    "balance_reminder": _balance_reminder,
    "balance_expiry": _balance_expiry,
}


def on_timer(timer: OrderTimer, timer_id: str) -> None:
    """Do what a due timer asks, if the order still needs it (the ``order-timers`` consumer)."""
    if timer.kind == "ticket_first_response":  # support's timer rides the same rails
        from chalicelib.support.sla import on_first_response_timer

        on_first_response_timer(timer)
        return
    order = load_order(timer.order_id, consistent=True)
    if order is None:
        return
    _TIMERS[timer.kind](order, timer, timer_id)
    metrics.add_metric(name=f"OrderTimer_{timer.kind}", unit="Count", value=1)
