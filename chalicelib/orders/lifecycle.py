"""The customer side of an order's life after booking: cancel, reschedule, confirm; payment and expiry.

Every change is one transaction: the order update (condition: the status and version it was
read in, and for an unpaid order ``pay_by`` still ahead) with its timeline event, plus whatever
the change does to the worker's calendar and the customer's unpaid slots:

- **cancel**: delete the reservation and bump the worker-day guard (so a booking that read the
  day before the release re-checks); free the unpaid slot; record the fee and refund owed under
  the policy snapshot (the payment step pays the refund and sets ``refunded``).
- **reschedule**: delete the old reservation, put the new one, guard the new day with the
  version read before the check (as booking does) and bump the old day's guard.
- **mark_paid** (the payment step's port): ``paid``, the hold becomes ``confirmed``, the unpaid
  slot is freed; idempotent for the same payment reference.
- **expire_unpaid** (the expiry timer's task): records the cancellation ``pay_by`` already made
  effective and removes the lapsed reservation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.models.orders import CalendarGuardItem, OrderEventItem, OrderItem, UnpaidHoldsItem
from chalicelib.models.workers import AvailabilityItem, ReservationItem
from chalicelib.orders.access import OrderAccess, load_order, order_for
from chalicelib.orders.booking import SETTINGS, pool_key, worker_jobs_key
from chalicelib.orders.policy import Policy, cancel_terms, policy_for, reschedule_allowed
from chalicelib.orders.states import Actor, Event, transition
from chalicelib.orders.transactions import commit, reasons
from chalicelib.orders.views import OrderView, effective_status, event_sk
from chalicelib.scheduling.slots import DayPlan, Job, check_start, local_day, windows_on
from chalicelib.scheduling.travel import Point

__all__ = ["RESCHEDULABLE", "cancel", "confirm", "expire_unpaid", "mark_paid", "reschedule"]

RESCHEDULABLE = frozenset({"pending_payment", "paid", "assigned"})
"""A job can move until the worker sets off."""

Build = Callable[[TransactWrite], None]


def _actor(access: OrderAccess) -> Actor:
    if access.party == "customer":
        return "customer"
    if access.party == "worker":
        return "worker"
    return "admin" if access.role == "admin" else "support"


def _policy(order: OrderItem) -> Policy:
    snapshot = order.cancellation_policy
    return Policy.from_snapshot(snapshot) if snapshot else policy_for(order.category)


def _day(iso: str) -> str:
    return iso[:10]  # local ISO date of a clock.iso() value


def _release_reservation(tx: TransactWrite, order: OrderItem) -> None:
    """Delete the order's reservation and bump its day's guard (a release never needs the version)."""
    if not (order.worker_id and order.reservation_sk):
        return
    day = _day(order.reservation_sk)
    tx.delete(ReservationItem(ReservationItem.partition(order.worker_id, day), order.reservation_sk))
    tx.update(
        CalendarGuardItem(*CalendarGuardItem.key(order.worker_id, day)), [CalendarGuardItem.version.add(1)]
    )


def _free_unpaid_slot(tx: TransactWrite, order: OrderItem) -> None:
    """Free the unpaid slot this order holds (condition: it still is this order's)."""
    if order.status != "pending_payment" or order.unpaid_slot is None:
        return
    slot = int(order.unpaid_slot)
    held_by = getattr(UnpaidHoldsItem, f"hold{slot}_order")
    tx.update(
        UnpaidHoldsItem(*UnpaidHoldsItem.key(order.customer_id)),
        [getattr(UnpaidHoldsItem, f"hold{slot}_until").remove(), held_by.remove()],
        condition=held_by == order.order_id,
    )


def _write(
    order: OrderItem,
    *,
    event: str,
    by: str,
    actions: list[Any],
    details: dict[str, Any] | None = None,
    extra: Build | None = None,
    now: datetime,
) -> None:
    """The order update (guarded by status, version and, if unpaid, ``pay_by``), its event and ``extra``."""
    now_iso = clock.iso(now)
    version = int(order.version)
    condition = (OrderItem.status == order.status) & (OrderItem.version == version)
    if order.status == "pending_payment":
        condition &= OrderItem.pay_by > now_iso

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order.order_id)),
            [*actions, OrderItem.version.set(version + 1), OrderItem.updated_at.set(now_iso)],
            condition=condition,
        )
        tx.save(
            OrderEventItem(
                order.pk,
                event_sk(now_iso, version + 1),
                order_id=order.order_id,
                event=event,
                at=now_iso,
                by=by,
                details=details,
            )
        )
        if extra:
            extra(tx)

    commit(build)


def _moved_on(order_id: str, now: datetime) -> Conflict:
    """Why a guarded write failed: the order changed under us (its current status named)."""
    current = load_order(order_id, consistent=True)
    status = effective_status(current, now) if current else "unknown"
    return Conflict("invalid_status", status=status, details=[{"code": "invalid_status", "status": status}])


def _view(order_id: str, *, customer: bool) -> OrderView:
    from chalicelib.orders.queries import order_with_timeline

    return order_with_timeline(order_id, show_check_in_code=customer)


# -- cancel ----------------------------------------------------------------------------------


def cancel(order_id: str, user_id: str, role: str, reason: str) -> OrderView:
    """Cancel under the policy snapshot; releases the worker's time and records the refund owed."""
    access = order_for(order_id, user_id, role, consistent=True)
    order, actor, now = access.order, _actor(access), clock.now()
    current = effective_status(order, now)
    transition(current, "cancel", actor)
    paid = current != "pending_payment"
    terms = cancel_terms(
        _policy(order),
        start=datetime.fromisoformat(order.start_at),
        now=now,
        price=int(order.price_amount),
        paid=paid,
        actor=actor,
    )
    if terms.locked:
        raise Conflict("cancellation_locked", hours=_policy(order).locked_within_hours)
    now_iso = clock.iso(now)
    actions = [
        OrderItem.status.set("cancelled"),
        OrderItem.cancelled_at.set(now_iso),
        OrderItem.cancelled_by.set(actor),
        OrderItem.cancel_reason.set(reason),
        OrderItem.cancellation_fee.set(terms.fee),
        OrderItem.refund_amount.set(terms.refund),
        OrderItem.reservation_sk.remove(),
        OrderItem.unpaid_slot.remove(),
    ]
    if not order.worker_id and order.gsi2pk:
        actions += [OrderItem.gsi2pk.remove(), OrderItem.gsi2sk.remove()]  # leaves the pool

    def extra(tx: TransactWrite) -> None:
        _release_reservation(tx, order)
        _free_unpaid_slot(tx, order)

    details = {
        "reason": reason,
        "fee": terms.fee,
        "refund": terms.refund,
        "worker_penalty": terms.worker_penalty,
    }
    try:
        _write(order, event="cancelled", by=user_id, actions=actions, details=details, extra=extra, now=now)
    except TransactWriteError:
        raise _moved_on(order_id, now) from None
    return _view(order_id, customer=access.party == "customer")


# -- reschedule ------------------------------------------------------------------------------


def _job(item: ReservationItem) -> Job:
    at = Point(float(item.lat), float(item.lng)) if item.lat is not None and item.lng is not None else None
    hold = (
        datetime.fromtimestamp(float(item.hold_until), clock.SHANGHAI)
        if item.status == "held" and item.hold_until is not None
        else None
    )
    return Job(datetime.fromisoformat(item.start), datetime.fromisoformat(item.end), at, hold)


def _check_new_start(order: OrderItem, worker_id: str, start: datetime, now: datetime) -> str | None:
    """The slot rule for the new start, counting every job of that day except this order's own.

    (``calendar.check_booking`` cannot leave one order out; the worker was checked for the
    service and the area at booking, and the address does not change.)
    """
    day: date = local_day(start)
    try:
        availability = AvailabilityItem.get(*AvailabilityItem.key(worker_id), consistent_read=True)
        weekly, exceptions = dict(availability.weekly or {}), list(availability.exceptions or [])
    except AvailabilityItem.DoesNotExist:
        weekly, exceptions = {}, []
    windows = windows_on(day, weekly, exceptions)
    jobs = tuple(
        _job(item)
        for item in ReservationItem.query(
            ReservationItem.partition(worker_id, day.isoformat()),
            ReservationItem.sk.startswith(day.isoformat()),
            consistent_read=True,
        )
        if item.order_id != order.order_id
    )
    address = order.address or {}
    at = Point(float(address["lat"]), float(address["lng"])) if address.get("lat") is not None else None
    refusal = check_start(DayPlan(day, windows, jobs), start, int(order.duration_minutes), at=at, now=now)
    return refusal


def _guard_version(worker_id: str, day: str) -> int | None:
    try:
        return int(
            CalendarGuardItem.get(*CalendarGuardItem.key(worker_id, day), consistent_read=True).version
        )
    except CalendarGuardItem.DoesNotExist:
        return None


def reschedule(order_id: str, user_id: str, role: str, start_at: datetime) -> OrderView:
    """Move the job to ``start_at``: release the old time and take the new in one transaction."""
    access = order_for(order_id, user_id, role, consistent=True)
    actor = _actor(access)
    if actor not in ("customer", "admin"):
        raise Forbidden()
    for _ in range(SETTINGS.attempts):
        order, now = access.order, clock.now()
        current = effective_status(order, now)
        if current not in RESCHEDULABLE:
            raise Conflict(
                "invalid_status", status=current, details=[{"code": "invalid_status", "status": current}]
            )
        policy = _policy(order)
        if actor == "customer" and not reschedule_allowed(
            policy, start=datetime.fromisoformat(order.start_at), now=now
        ):
            raise Conflict("reschedule_locked", hours=policy.locked_within_hours)
        start = start_at.astimezone(clock.SHANGHAI)
        if start <= now:
            raise ValidationFailed(
                "start_in_past",
                details=[{"field": "start_at", "code": "start_in_past", "message": "start_in_past"}],
            )
        try:
            _move(order, start, now, by=user_id)
            return _view(order_id, customer=access.party == "customer")
        except _GuardMoved:
            access = order_for(order_id, user_id, role, consistent=True)
    raise Conflict("slot_unavailable")


class _GuardMoved(Exception):
    """Another booking changed the new day after it was checked: check again."""


def _move(order: OrderItem, start: datetime, now: datetime, *, by: str) -> None:
    end = start + timedelta(minutes=int(order.duration_minutes))
    start_iso, end_iso = clock.iso(start), clock.iso(end)
    worker_id = order.worker_id
    if not worker_id:
        from chalicelib.orders.booking import _check_start_without_worker

        _check_start_without_worker(start, now)
    actions: list[Any] = [OrderItem.start_at.set(start_iso), OrderItem.end_at.set(end_iso)]
    if order.gsi2pk:
        actions.append(OrderItem.gsi2sk.set(f"{start_iso}#{order.order_id}"))
    details = {"from": order.start_at, "to": start_iso}
    extra: Build | None = None
    if worker_id:
        new_day = start_iso[:10]
        version = _guard_version(worker_id, new_day)
        refusal = _check_new_start(order, worker_id, start, now)
        if refusal == "start_in_past":
            raise ValidationFailed(
                "start_in_past", details=[{"field": "start_at", "code": "start_in_past", "message": refusal}]
            )
        if refusal:
            raise Conflict("slot_unavailable", details=[{"field": "start_at", "code": refusal}])
        new_sk = f"{start_iso}#{order.order_id}"
        actions.append(OrderItem.reservation_sk.set(new_sk))
        old = _old_reservation(order)

        def extra(tx: TransactWrite) -> None:
            assert worker_id is not None
            if old is not None:
                tx.delete(old, condition=ReservationItem.pk.exists())
            paid = order.status != "pending_payment"
            tx.save(
                ReservationItem(
                    ReservationItem.partition(worker_id, new_day),
                    new_sk,
                    worker_id=worker_id,
                    order_id=order.order_id,
                    start=start_iso,
                    end=end_iso,
                    lat=(order.address or {}).get("lat"),
                    lng=(order.address or {}).get("lng"),
                    status="confirmed" if paid else "held",
                    hold_until=None
                    if paid
                    else int(datetime.fromisoformat(order.pay_by or start_iso).timestamp()),
                ),
                condition=ReservationItem.pk.does_not_exist(),
            )
            guard = CalendarGuardItem(*CalendarGuardItem.key(worker_id, new_day))
            tx.update(
                guard,
                [CalendarGuardItem.version.set((version or 0) + 1)],
                condition=CalendarGuardItem.pk.does_not_exist()
                if version is None
                else CalendarGuardItem.version == version,
            )
            if old is not None and _day(old.sk) != new_day:
                tx.update(
                    CalendarGuardItem(*CalendarGuardItem.key(worker_id, _day(old.sk))),
                    [CalendarGuardItem.version.add(1)],
                )

    try:
        _write(order, event="rescheduled", by=by, actions=actions, details=details, extra=extra, now=now)
    except TransactWriteError as error:
        current = load_order(order.order_id, consistent=True)
        if current is None or int(current.version) != int(order.version):
            raise _moved_on(order.order_id, now) from None
        if "ConditionalCheckFailed" in reasons(error) or "TransactionConflict" in reasons(error):
            raise _GuardMoved() from None
        raise


def _old_reservation(order: OrderItem) -> ReservationItem | None:
    if not (order.worker_id and order.reservation_sk):
        return None
    return ReservationItem(
        ReservationItem.partition(order.worker_id, _day(order.reservation_sk)), order.reservation_sk
    )


# -- confirm, pay, expire --------------------------------------------------------------------


def _simple(
    access: OrderAccess, event: Event, actor: Actor, *, by: str, extra_actions: list[Any] | None = None
) -> None:
    order, now = access.order, clock.now()
    target = transition(effective_status(order, now), event, actor)
    try:
        _write(
            order, event=event, by=by, actions=[OrderItem.status.set(target), *(extra_actions or [])], now=now
        )
    except TransactWriteError:
        raise _moved_on(order.order_id, now) from None


def confirm(order_id: str, user_id: str, role: str) -> OrderView:
    """The customer accepts the finished work: ``finished → completed``."""
    access = order_for(order_id, user_id, role, consistent=True)
    if access.party != "customer":
        raise Forbidden()
    _simple(access, "confirm", "customer", by=user_id)
    return _view(order_id, customer=True)


def mark_paid(order_id: str, payment_ref: str) -> OrderView:
    """``pending_payment → paid`` before ``pay_by``; the hold becomes a confirmed reservation.

    Idempotent: paying an order already paid with the same ``payment_ref`` returns it unchanged.
    409 ``payment_window_closed`` after ``pay_by``; 409 ``invalid_status`` from other statuses.
    """
    for _ in range(2):
        order = load_order(order_id, consistent=True)
        if order is None:
            from chalicelib.errors import NotFound

            raise NotFound()
        if order.payment_ref == payment_ref and order.status != "pending_payment":
            return _view(order_id, customer=False)
        now = clock.now()
        if order.status == "pending_payment" and effective_status(order, now) != "pending_payment":
            raise Conflict("payment_window_closed")
        target = transition(order.status, "pay", "system")
        now_iso = clock.iso(now)
        actions: list[Any] = [
            OrderItem.status.set(target),
            OrderItem.paid_at.set(now_iso),
            OrderItem.payment_ref.set(payment_ref),
            OrderItem.unpaid_slot.remove(),
        ]
        if order.worker_id:
            # she sees the job among her jobs from now on, to accept it
            actions += [
                OrderItem.gsi2pk.set(worker_jobs_key(order.worker_id)),
                OrderItem.gsi2sk.set(f"{order.start_at}#{order_id}"),
            ]
        else:
            # no worker: the order enters the pool of its skill and district (worker_side.available)
            where = order.address or {}
            actions += [
                OrderItem.gsi2pk.set(
                    pool_key(order.category, where.get("city", ""), where.get("district", ""))
                ),
                OrderItem.gsi2sk.set(f"{order.start_at}#{order_id}"),
            ]

        def extra(tx: TransactWrite, paid_order: OrderItem = order) -> None:
            _free_unpaid_slot(tx, paid_order)
            old = _old_reservation(paid_order)
            if old is not None:
                tx.update(
                    old,
                    [ReservationItem.status.set("confirmed"), ReservationItem.hold_until.remove()],
                    condition=ReservationItem.pk.exists(),
                )

        try:
            _write(
                order,
                event="paid",
                by="system",
                actions=actions,
                details={"payment_ref": payment_ref},
                extra=extra,
                now=now,
            )
            return _view(order_id, customer=False)
        except TransactWriteError:
            continue  # re-read: a concurrent mark_paid with the same reference is a success
    raise _moved_on(order_id, clock.now())


def expire_unpaid(order_id: str) -> bool:
    """Record the expiry of an order left unpaid past ``pay_by`` (the expiry timer calls this).

    Returns False when there is nothing to do (paid, cancelled, or not yet due). The unpaid
    slot needs no write: a lapsed slot already counts as free.
    """
    order = load_order(order_id, consistent=True)
    now = clock.now()
    if (
        order is None
        or order.status != "pending_payment"
        or effective_status(order, now) == "pending_payment"
    ):
        return False
    version = int(order.version)
    now_iso = clock.iso(now)

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order_id)),
            [
                OrderItem.status.set(transition("pending_payment", "expire", "system")),
                OrderItem.cancelled_at.set(order.pay_by or now_iso),
                OrderItem.cancelled_by.set("system"),
                OrderItem.cancel_reason.set("payment_timeout"),
                OrderItem.refund_amount.set(0),
                OrderItem.reservation_sk.remove(),
                OrderItem.unpaid_slot.remove(),
                OrderItem.version.set(version + 1),
                OrderItem.updated_at.set(now_iso),
            ],
            condition=(OrderItem.status == "pending_payment") & (OrderItem.version == version),
        )
        tx.save(
            OrderEventItem(
                order.pk,
                event_sk(now_iso, version + 1),
                order_id=order_id,
                event="expired",
                at=now_iso,
                by="system",
            )
        )
        _release_reservation(tx, order)

    try:
        commit(build)
    except TransactWriteError:
        return False
    return True
