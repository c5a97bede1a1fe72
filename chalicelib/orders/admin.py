"""An admin changes an order (``PATCH /v1/admin/orders/{id}``): reassign it, move it, edit its notes.

Reassignment gives the job to another worker through the same guarded write as booking
(``lifecycle.move``): her worker-day guard is read before ``calendar.check_booking`` (the shared
slot rule, the job's own old time left out) and the transaction is conditioned on it, so an
admin and customers booking her at the same moment cannot both win; the old worker's
reservation is deleted and her day's guard bumped in the same transaction, with the order
update (condition: status and version as read), the ``reassigned`` timeline event and the
audit entry. Afterwards the customer and both workers find it in their inbox.

Status: ``assigned`` stays ``assigned`` (with the new worker); a ``paid`` order still waiting
for its chosen worker or in the pool becomes ``assigned`` (the admin's assignment is the
acceptance: ``paid --accept--> assigned`` by ``admin`` in the state machine); an unpaid order
stays ``pending_payment`` and the new worker's time is held until ``pay_by``. Once the worker
has set off (``en_route`` and later) the job no longer moves: 409 ``invalid_status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.audit import Actor, AuditItem
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.orders import OrderItem
from chalicelib.observability import logger, metrics
from chalicelib.orders import lifecycle
from chalicelib.orders.access import load_order
from chalicelib.orders.booking import SETTINGS
from chalicelib.orders.queries import order_with_timeline
from chalicelib.orders.states import transition
from chalicelib.orders.views import OrderView, effective_status

__all__ = ["CLOSED", "UNCHANGED", "Actor", "OrderChange", "update_order"]


class _Unchanged:
    """The marker of a field the PATCH did not send (``notes: null`` clears the notes)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()

CLOSED = frozenset({"completed", "cancelled", "refunded"})
"""Nothing about these changes any more, not even the notes."""


@dataclass(frozen=True)
class OrderChange:
    """What an admin changes: a worker, a start, the notes (each optional), and why."""

    worker_id: str | None = None
    start_at: datetime | None = None
    notes: str | _Unchanged | None = UNCHANGED
    reason: str | None = None


@dataclass(frozen=True)
class _Plan:
    """What the change does to one reading of the order."""

    worker_id: str | None
    start: datetime
    event: str
    action: str
    actions: list[Any]
    details: dict[str, Any]

    @property
    def reassigned(self) -> bool:
        return self.event == "reassigned"


def _invalid_status(status: str) -> Conflict:
    return Conflict("invalid_status", status=status, details=[{"code": "invalid_status", "status": status}])


def _plan(order: OrderItem, change: OrderChange, now: datetime) -> _Plan | None:
    """The writes of ``change`` on ``order`` as read, or None when it changes nothing."""
    current = effective_status(order, now)
    worker_id = change.worker_id or order.worker_id
    start = (change.start_at or datetime.fromisoformat(order.start_at)).astimezone(clock.SHANGHAI)
    reassigned = worker_id != order.worker_id
    retimed = clock.iso(start) != order.start_at
    notes = order.notes if isinstance(change.notes, _Unchanged) else change.notes
    notes_changed = notes != order.notes
    if not (reassigned or retimed or notes_changed):
        return None
    if current in CLOSED or ((reassigned or retimed) and current not in lifecycle.RESCHEDULABLE):
        raise _invalid_status(current)
    if retimed and start <= now:
        raise ValidationFailed(
            "start_in_past",
            details=[{"field": "start_at", "code": "start_in_past", "message": "start_in_past"}],
        )
    actions: list[Any] = []
    details: dict[str, Any] = {"reason": change.reason} if change.reason else {}
    if notes_changed:
        actions.append(OrderItem.notes.set(notes) if notes else OrderItem.notes.remove())
        details["notes_changed"] = True
    if retimed:
        details.update({"from": order.start_at, "to": clock.iso(start)})
    if reassigned:
        details.update({"from_worker": order.worker_id, "to_worker": worker_id})
        if current == "paid":
            target = transition(current, "accept", "admin")
            actions.append(OrderItem.status.set(target))
            details["status"] = target
        event, action = "reassigned", "order.reassign"
    elif retimed:
        event, action = "rescheduled", "order.reschedule"
    else:
        event, action = "notes_changed", "order.update"
    return _Plan(worker_id, start, event, action, actions, details)


def _refusal(unfit: lifecycle.UnfitWorker, plan: _Plan) -> ValidationFailed | Conflict:
    """A new worker who cannot take the job is a bad ``worker_id`` (422); the current one, a 409."""
    if plan.reassigned:
        return ValidationFailed(
            details=[{"field": "worker_id", "code": unfit.reason, "message": unfit.reason}]
        )
    return Conflict("slot_unavailable", details=[{"field": "start_at", "code": unfit.reason}])


def _saving(entry: AuditItem) -> lifecycle.Build:
    """Writes the audit entry in the change's own transaction (never overwriting one)."""

    def save(tx: TransactWrite) -> None:
        tx.save(entry, condition=AuditItem.pk.does_not_exist())

    return save


def update_order(order_id: str, change: OrderChange, actor: Actor) -> OrderView:
    """Apply an admin's change in one guarded transaction with its audit entry; the order as it now is.

    404 unknown order; 422 a worker who is not verified, lacks the skill or the area, a start in
    the past; 409 ``slot_unavailable`` (the worker is not free then) or ``invalid_status``.
    """
    for _ in range(SETTINGS.attempts):
        order = load_order(order_id, consistent=True)
        if order is None:
            raise NotFound()
        now = clock.now()
        plan = _plan(order, change, now)
        if plan is None:
            return order_with_timeline(order_id, show_check_in_code=False)
        entry = audit.entry(
            actor_id=actor.user_id,
            actor_role=actor.role,
            action=plan.action,
            target_type="order",
            target_id=order_id,
            details=plan.details,
            request_id=actor.request_id,
        )
        try:
            lifecycle.move(
                order,
                plan.start,
                now,
                worker_id=plan.worker_id,
                by=actor.user_id,
                event=plan.event,
                actions=plan.actions,
                details=plan.details,
                also=_saving(entry),
            )
        except lifecycle.UnfitWorker as unfit:
            raise _refusal(unfit, plan) from None
        except lifecycle.GuardMoved:
            continue  # a booking of the new worker-day won meanwhile: read and check again
        _notify(order, plan)
        return order_with_timeline(order_id, show_check_in_code=False)
    raise Conflict("slot_unavailable")


def _when(start: datetime) -> str:
    return start.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _notify(order: OrderItem, plan: _Plan) -> None:
    """Tell the customer and the workers concerned (in-app inbox).

    The change is committed whatever happens here, so a failure is logged and counted for
    operators rather than turned into an error the admin would retry (and get 409 for).
    """
    when = _when(plan.start)
    messages: list[tuple[str | None, str, str, str]] = []
    if plan.reassigned:
        messages += [
            (
                order.customer_id,
                "order.reassigned",
                "订单已改派",
                f"平台已为您的订单更换服务人员，服务时间 {when}。",
            ),
            (
                order.worker_id,
                "order.reassigned",
                "订单已改派",
                "平台已将该订单改派给其他服务人员，您无需前往。",
            ),
            (
                plan.worker_id,
                "order.assigned",
                "新的派单",
                f"平台为您指派了一个订单，服务时间 {when}，请查看地址与要求。",
            ),
        ]
    elif plan.event == "rescheduled":
        body = f"订单服务时间已由平台调整为 {when}。"
        messages += [
            (order.customer_id, "order.rescheduled", "服务时间已调整", body),
            (order.worker_id, "order.rescheduled", "服务时间已调整", body),
        ]
    try:
        for user_id, kind, title, body in messages:
            if user_id:
                post_to_inbox(user_id, kind, title, body, order_id=order.order_id)
    except Exception:
        logger.exception("admin order change: inbox entry failed", order_id=order.order_id)
        metrics.add_metric(name="PostChangeNotifyFailures", unit="Count", value=1)
