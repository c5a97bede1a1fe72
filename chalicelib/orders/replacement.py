"""Replacing the worker of a live-in term (换人): the customer asks, support or an admin approves.

Approval is one transaction: the order passes to the new worker (condition: the status and
version read), the old worker's remaining days are freed (each conditioned on still being this
order's) and the new worker takes them, each day guarded by the version read before
``calendar.check_term`` (the rule every booking of those days meets), with the audit entry.
So an early end, another replacement or a booking of those days racing it: one wins.

Money follows the days: ``worker_shares`` records the days each replaced worker served, and the
completion splits the worker's share of the price by days (``payments.ledger.split_completion_lines``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.audit import AuditItem
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.models.orders import OrderItem
from chalicelib.observability import logger, metrics
from chalicelib.orders import live_in, term_hold
from chalicelib.orders.access import order_for
from chalicelib.orders.booking import worker_jobs_key
from chalicelib.orders.lifecycle import _moved_on, _view, _write
from chalicelib.orders.states import transition
from chalicelib.orders.views import OrderView, effective_status
from chalicelib.scheduling import calendar
from chalicelib.scheduling.slots import local_day

__all__ = ["REPLACEABLE", "approve", "request"]

REPLACEABLE = frozenset({"assigned", "en_route", "arrived", "in_service"})


def _invalid(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field_name, "code": code, "message": message}])


def request(order_id: str, customer_id: str, reason: str) -> OrderView:
    """The customer asks for another worker; support sees the request on the order."""
    access = order_for(order_id, customer_id, "customer", consistent=True)
    order, now = access.order, clock.now()
    status = effective_status(order, now)
    if not live_in.is_live_in(order):
        raise Conflict("not_live_in", details=[{"code": "not_live_in"}])
    if status not in REPLACEABLE:
        raise Conflict(
            "invalid_status", status=status, details=[{"code": "invalid_status", "status": status}]
        )
    if order.replacement_request:
        return _view(order_id, customer=True)  # already asked: nothing more
    asked = {"at": clock.iso(now), "reason": reason}
    try:
        _write(
            order,
            event="replacement_requested",
            by=customer_id,
            actions=[OrderItem.replacement_request.set(asked)],
            details={"reason": reason},
            now=now,
        )
    except TransactWriteError:
        raise _moved_on(order_id, now) from None
    return _view(order_id, customer=True)


def approve(
    order_id: str,
    staff_id: str,
    role: str,
    worker_id: str,
    reason: str,
    *,
    from_date: date | None = None,
    request_id: str | None = None,
) -> OrderView:
    """Give the rest of the term (from ``from_date``, default tomorrow) to ``worker_id``.

    404 unknown order; 409 ``no_replacement_request``, ``invalid_status``, ``slot_unavailable``
    (the new worker is not free on one of those days, named); 422 a worker who cannot take the
    job, ``from_date`` outside the rest of the term.
    """
    access = order_for(order_id, staff_id, role, consistent=True)
    if not access.is_staff:
        raise Forbidden()
    order, now = access.order, clock.now()
    if not live_in.is_live_in(order):
        raise Conflict("not_live_in", details=[{"code": "not_live_in"}])
    status = effective_status(order, now)
    target = transition(status, "replace", "admin" if role == "admin" else "support")
    if not order.replacement_request:
        raise Conflict("no_replacement_request", details=[{"code": "no_replacement_request"}])
    old_worker = str(order.worker_id)
    if worker_id == old_worker:
        raise _invalid("worker_id", "same_worker", "choose another worker")
    term = live_in.term_of(order)
    today = local_day(now)
    first = from_date or max(today + timedelta(days=1), term.first)
    if not (max(term.first, today + timedelta(days=1)) <= first <= term.last):
        raise _invalid("from_date", "outside_term", f"from tomorrow to {term.last}")
    moving = [day for day in live_in.held_dates(order) if date.fromisoformat(day) >= first]
    served_by_old = (first - term.first).days
    try:
        held = calendar.check_term(
            worker_id, category=order.category, dates=moving, place=calendar.place_of_snapshot(order.address)
        )
    except NotFound:
        raise _invalid("worker_id", "worker_not_verified", "not a verified worker") from None
    shares = [*(order.worker_shares or []), {"worker_id": old_worker, "days": served_by_old}]
    details = {
        "from_worker": old_worker,
        "to_worker": worker_id,
        "from_date": first.isoformat(),
        "old_worker_days": served_by_old,
        "reason": reason,
    }
    entry = audit.entry(
        actor_id=staff_id,
        actor_role=role,
        action="order.replace_worker",
        target_type="order",
        target_id=order_id,
        details=details,
        request_id=request_id,
    )
    actions: list[Any] = [
        OrderItem.status.set(target),
        OrderItem.worker_id.set(worker_id),
        OrderItem.worker_shares.set(shares),
        OrderItem.held_from.set(first.isoformat()),  # the new worker's days; the old keeps her served ones
        OrderItem.held_days.set(len(moving)),
        OrderItem.replacement_request.remove(),
        OrderItem.gsi2pk.set(worker_jobs_key(worker_id)),
        OrderItem.gsi2sk.set(f"{order.start_at}#{order_id}"),
    ]

    def extra(tx: TransactWrite) -> None:
        term_hold.release(tx, old_worker, order_id, moving)
        term_hold.take(tx, worker_id, order_id, held.versions, hold_until=None)
        tx.save(entry, condition=AuditItem.pk.does_not_exist())

    try:
        _write(order, event="replaced", by=staff_id, actions=actions, details=details, extra=extra, now=now)
    except TransactWriteError:
        raise _moved_on(order_id, now) from None
    _tell(order, old_worker, worker_id, first)
    return _view(order_id, customer=False)


def _tell(order: OrderItem, old_worker: str, new_worker: str, first: date) -> None:
    """Both workers and the customer hear of it (in-app inbox); the change stands whatever happens here."""
    messages = [
        (order.customer_id, "order.reassigned", "已为您更换服务人员", f"新的服务人员将于 {first} 上户。"),
        (old_worker, "order.reassigned", "订单已换人", f"该订单自 {first} 起由其他服务人员接替。"),
        (
            new_worker,
            "order.assigned",
            "新的住家订单",
            f"平台为您指派了一个住家订单，{first} 上户，请查看地址与要求。",
        ),
    ]
    try:
        for user_id, kind, title, body in messages:
            post_to_inbox(user_id, kind, title, body, order_id=order.order_id)
    except Exception:
        logger.exception("replacement: inbox entry failed", order_id=order.order_id)
        metrics.add_metric(name="PostChangeNotifyFailures", unit="Count", value=1)
