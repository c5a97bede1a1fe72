"""The customer side of an order's life after booking: cancel, reschedule, confirm; payment and expiry.

Every change is one transaction: the order update (condition: the status and version it was
read in, and for an unpaid order ``pay_by`` still ahead) with its timeline event, plus whatever
the change does to the worker's calendar and the customer's unpaid slots:

- **cancel**: delete the reservation and bump the worker-day guard (so a booking that read the
  day before the release re-checks); free the unpaid slot; record the fee and refund owed under
  the policy snapshot (the payment step pays the refund and sets ``refunded``).
- **reschedule**: delete the old reservation, put the new one, guard the new day with the
  version read before the check (as booking does) and bump the old day's guard. The check is the
  shared rule, ``calendar.check_booking`` with the job's own time left out, and :func:`move`
  does it for an admin's reassignment to another worker too. Staff changes are audited in the
  same transaction.
- **mark_paid** (the payment step's port): ``paid``, the hold becomes ``confirmed``, the unpaid
  slot is freed; idempotent for the same payment reference.
- **expire_unpaid** (the expiry timer's task): records the cancellation ``pay_by`` already made
  effective and removes the lapsed reservation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock
from chalicelib.audit import AuditItem
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.models.orders import CalendarGuardItem, OrderEventItem, OrderItem, UnpaidHoldsItem
from chalicelib.models.workers import ReservationItem
from chalicelib.orders import live_in, term_hold
from chalicelib.orders.access import OrderAccess, load_order, order_for
from chalicelib.orders.booking import SETTINGS, pool_key, worker_jobs_key
from chalicelib.orders.day_index import day_index_actions
from chalicelib.orders.policy import Policy, cancel_terms, policy_for, reschedule_allowed
from chalicelib.orders.states import Actor, Event, transition
from chalicelib.orders.transactions import commit, reasons
from chalicelib.orders.views import OrderView, effective_status, event_sk
from chalicelib.payments import ledger
from chalicelib.scheduling import calendar

__all__ = [
    "RESCHEDULABLE",
    "GuardMoved",
    "UnfitWorker",
    "auto_complete",
    "cancel",
    "cancel_for_unpaid_balance",
    "cancel_unaccepted",
    "confirm",
    "expire_unpaid",
    "mark_balance_paid",
    "mark_paid",
    "mark_refunded",
    "move",
    "note",
    "paid_total",
    "reschedule",
]

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


def paid_total(order: OrderItem) -> int:
    """What the customer has paid for the order: the price, or for a live-in order booked with a
    deposit, the deposit and (once paid) the balance."""
    if not order.payment_ref:
        return 0
    if not order.deposit_amount:
        return int(order.price_amount)
    return int(order.deposit_amount) + (int(order.balance_amount or 0) if order.balance_ref else 0)


def _release_reservation(tx: TransactWrite, order: OrderItem) -> None:
    """Delete the order's reservation and bump its day's guard (a release never needs the version)."""
    if not (order.worker_id and order.reservation_sk):
        return
    day = _day(order.reservation_sk)
    tx.delete(ReservationItem(ReservationItem.partition(order.worker_id, day), order.reservation_sk))
    tx.update(
        CalendarGuardItem(*CalendarGuardItem.key(order.worker_id, day)), [CalendarGuardItem.version.add(1)]
    )


def _term_release(order: OrderItem) -> Build | None:
    """For a live-in order: the writes that free the days the calendar still holds for it.

    Read before the transaction: a lapsed unpaid hold's days may belong to another order by now,
    and only the order's own days are freed (each conditioned on still being its own).
    """
    worker_id = order.worker_id
    if not (live_in.is_live_in(order) and worker_id):
        return None
    days = term_hold.held_by(worker_id, order.order_id, live_in.held_dates(order))
    return lambda tx: term_hold.release(tx, worker_id, order.order_id, days)


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


def cancel(
    order_id: str, user_id: str, role: str, reason: str, *, request_id: str | None = None
) -> OrderView:
    """Cancel under the policy snapshot; releases the worker's time and records the refund owed.

    An admin's cancellation refunds in full and is audited in the same transaction.
    """
    access = order_for(order_id, user_id, role, consistent=True)
    audited = _staff_audit(access, "order.cancel", {"reason": reason}, request_id)
    _cancel(access.order, _actor(access), by=user_id, reason=reason, also=audited)
    return _view(order_id, customer=access.party == "customer")


def cancel_for_unpaid_balance(order_id: str) -> bool:
    """The balance timer: a live-in order whose balance was not paid by its due time is cancelled
    by ``system`` under the customer's cancellation terms (the policy decides what the deposit
    keeps). False when there is nothing to do (paid meanwhile, cancelled, or gone)."""
    order = load_order(order_id, consistent=True)
    if order is None or not order.balance_amount or order.balance_ref or not order.payment_ref:
        return False
    try:
        _cancel(order, "system", by="system", reason="balance_unpaid", terms_as="customer")
    except Conflict:
        return False
    return True


def cancel_unaccepted(order_id: str, reason: str = "no_worker_available") -> bool:
    """The order workflow gives up on a paid order nobody accepted: cancelled by ``system``, in full.

    Returns False when there is nothing to do any more (accepted, cancelled or gone meanwhile).
    """
    order = load_order(order_id, consistent=True)
    if order is None or order.status != "paid" or order.worker_id:
        return False
    try:
        _cancel(order, "system", by="system", reason=reason)
    except Conflict:
        return False
    return True


def _cancel(
    order: OrderItem,
    actor: Actor,
    *,
    by: str,
    reason: str,
    also: Build | None = None,
    terms_as: Actor | None = None,
) -> None:
    """``terms_as``: whose cancellation the policy applies (the system cancelling for the customer)."""
    order_id, now = order.order_id, clock.now()
    current = effective_status(order, now)
    transition(current, "cancel", actor)
    paid = current != "pending_payment"
    terms = cancel_terms(
        _policy(order),
        start=datetime.fromisoformat(order.start_at),
        now=now,
        price=paid_total(order) if paid else int(order.price_amount),
        paid=paid,
        actor=terms_as or actor,
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
    release_term = _term_release(order)
    if release_term:
        actions.append(OrderItem.held_days.set(0))

    def extra(tx: TransactWrite) -> None:
        _release_reservation(tx, order)
        if release_term:
            release_term(tx)
        _free_unpaid_slot(tx, order)
        if also:
            also(tx)

    details = {
        "reason": reason,
        "fee": terms.fee,
        "refund": terms.refund,
        "worker_penalty": terms.worker_penalty,
    }
    try:
        _write(order, event="cancelled", by=by, actions=actions, details=details, extra=extra, now=now)
    except TransactWriteError:
        raise _moved_on(order_id, now) from None


# -- reschedule and moves --------------------------------------------------------------------


class UnfitWorker(Exception):
    """The worker cannot do this job at all: not verified, without the skill, or not in the area.

    ``reason`` is ``worker_not_verified``, ``service_not_offered`` or ``outside_service_area``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GuardMoved(Exception):
    """Another booking changed the new worker-day after it was checked: read and check again."""


def _check_new_start(order: OrderItem, worker_id: str, start: datetime) -> None:
    """The shared slot rule (``calendar.check_booking``) for the job at ``start``, its own time left out.

    422 ``start_in_past``; 409 ``slot_unavailable`` naming the rule that refused; raises
    :class:`UnfitWorker` when ``worker_id`` cannot take the job at all.
    """
    try:
        refusal = calendar.check_booking(
            worker_id,
            category=order.category,
            duration_minutes=int(order.duration_minutes),
            start=start,
            place=calendar.place_of_snapshot(order.address),
            ignore_order_id=order.order_id,
        )
    except NotFound:
        raise UnfitWorker("worker_not_verified") from None
    except ValidationFailed as error:  # service_not_offered / outside_service_area
        raise UnfitWorker(str(error.details[0]["code"])) from None
    if refusal == "start_in_past":
        raise ValidationFailed(
            "start_in_past", details=[{"field": "start_at", "code": refusal, "message": refusal}]
        )
    if refusal:
        raise Conflict("slot_unavailable", details=[{"field": "start_at", "code": refusal}])


def _guard_version(worker_id: str, day: str) -> int | None:
    try:
        return int(
            CalendarGuardItem.get(*CalendarGuardItem.key(worker_id, day), consistent_read=True).version
        )
    except CalendarGuardItem.DoesNotExist:
        return None


def _staff_audit(
    access: OrderAccess, action: str, details: dict[str, Any], request_id: str | None
) -> Build | None:
    """A staff member's change is audited in its own transaction; nothing for customers and workers."""
    if not access.is_staff:
        return None
    item = audit.entry(
        actor_id=access.user_id,
        actor_role=access.role,
        action=action,
        target_type="order",
        target_id=access.order.order_id,
        details=details,
        request_id=request_id,
    )
    return lambda tx: tx.save(item, condition=AuditItem.pk.does_not_exist())


def reschedule(
    order_id: str, user_id: str, role: str, start_at: datetime, *, request_id: str | None = None
) -> OrderView:
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
        audited = _staff_audit(
            access, "order.reschedule", {"from": order.start_at, "to": clock.iso(start)}, request_id
        )
        try:
            move(order, start, now, worker_id=order.worker_id, by=user_id, also=audited)
            return _view(order_id, customer=access.party == "customer")
        except UnfitWorker as unfit:  # her profile changed since booking: she cannot take it now
            raise Conflict(
                "slot_unavailable", details=[{"field": "start_at", "code": unfit.reason}]
            ) from None
        except GuardMoved:
            access = order_for(order_id, user_id, role, consistent=True)
    raise Conflict("slot_unavailable")


def move(
    order: OrderItem,
    start: datetime,
    now: datetime,
    *,
    worker_id: str | None,
    by: str,
    event: str = "rescheduled",
    actions: Sequence[Any] = (),
    details: dict[str, Any] | None = None,
    also: Build | None = None,
) -> None:
    """Give the job to ``worker_id`` at ``start`` (either may be the order's own) in one transaction.

    The transaction holds the order update (guarded by status and version, plus ``actions``),
    its timeline ``event`` (``details`` default to ``{from, to}``), the calendar writes and
    ``also`` (e.g. an admin's audit entry). The time moves through booking's guarded write:
    the new worker-day guard is read *before* ``calendar.check_booking`` (which leaves the job's
    own reservation out) and conditioned on; the old reservation is deleted (condition: it is
    there) and its day's guard bumped, so a booking that read that day before the release
    checks again. Raises :class:`GuardMoved` when a booking of the new day won meanwhile (check
    again), :class:`UnfitWorker`, 409 ``slot_unavailable`` / ``invalid_status``, 422.
    """
    if live_in.is_live_in(order):
        # a term holds whole days: it moves by confirming its start or by a replacement
        raise Conflict("live_in_term", details=[{"code": "live_in_term"}])
    start_iso = clock.iso(start)
    retimed = start_iso != order.start_at
    reassigned = worker_id != order.worker_id
    changes: list[Any] = list(actions)
    if retimed:
        end = start + timedelta(minutes=int(order.duration_minutes))
        changes += [
            OrderItem.start_at.set(start_iso),
            OrderItem.end_at.set(clock.iso(end)),
            *day_index_actions(start_iso, order.order_id),
        ]
    if order.gsi2pk and (retimed or reassigned):
        # a paid order is listed among its worker's jobs (without a worker: in its pool)
        changes += [
            OrderItem.gsi2pk.set(worker_jobs_key(worker_id) if worker_id else order.gsi2pk),
            OrderItem.gsi2sk.set(f"{start_iso}#{order.order_id}"),
        ]
    take: Build | None = None
    if worker_id and (retimed or reassigned):
        take = _take_time(order, worker_id, start)
        changes.append(OrderItem.reservation_sk.set(f"{start_iso}#{order.order_id}"))
        if reassigned:
            changes.append(OrderItem.worker_id.set(worker_id))
    elif retimed:
        from chalicelib.orders.booking import _check_start_without_worker

        _check_start_without_worker(start, now)

    def extra(tx: TransactWrite) -> None:
        if take:
            take(tx)
        if also:
            also(tx)

    try:
        _write(
            order,
            event=event,
            by=by,
            actions=changes,
            details=details if details is not None else {"from": order.start_at, "to": start_iso},
            extra=extra,
            now=now,
        )
    except TransactWriteError as error:
        current = load_order(order.order_id, consistent=True)
        if current is None or int(current.version) != int(order.version):
            raise _moved_on(order.order_id, now) from None
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons(error)):
            raise GuardMoved() from None
        raise


def _take_time(order: OrderItem, worker_id: str, start: datetime) -> Build:
    """Check ``worker_id`` is free for the job at ``start``; return the writes that move its time there."""
    start_iso = clock.iso(start)
    new_day = start_iso[:10]
    version = _guard_version(worker_id, new_day)  # before the check: any booking after it moves it
    _check_new_start(order, worker_id, start)
    new_guard = CalendarGuardItem.key(worker_id, new_day)
    old = _old_reservation(order)
    paid = order.status != "pending_payment"
    place = calendar.place_of_snapshot(order.address)
    reservation = ReservationItem(
        ReservationItem.partition(worker_id, new_day),
        f"{start_iso}#{order.order_id}",
        worker_id=worker_id,
        order_id=order.order_id,
        start=start_iso,
        end=clock.iso(start + timedelta(minutes=int(order.duration_minutes))),
        lat=place.at.lat if place.at else None,
        lng=place.at.lng if place.at else None,
        status="confirmed" if paid else "held",
        hold_until=None if paid else int(datetime.fromisoformat(order.pay_by or start_iso).timestamp()),
    )

    def build(tx: TransactWrite) -> None:
        if old is not None:
            tx.delete(old, condition=ReservationItem.pk.exists())
            old_guard = CalendarGuardItem.key(str(order.worker_id), _day(old.sk))
            if old_guard != new_guard:  # one item, one operation: the new day's guard moves anyway
                tx.update(CalendarGuardItem(*old_guard), [CalendarGuardItem.version.add(1)])
        tx.save(reservation, condition=ReservationItem.pk.does_not_exist())
        tx.update(
            CalendarGuardItem(*new_guard),
            [CalendarGuardItem.version.set((version or 0) + 1)],
            condition=CalendarGuardItem.pk.does_not_exist()
            if version is None
            else CalendarGuardItem.version == version,
        )

    return build


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
    completing = target == "completed"
    try:
        _write(
            order,
            event="completed" if completing else event,
            by=by,
            actions=[OrderItem.status.set(target), *(extra_actions or [])],
            extra=_book_completion(order, now) if completing else None,
            now=now,
        )
    except TransactWriteError:
        raise _moved_on(order.order_id, now) from None


def _book_completion(order: OrderItem, now: datetime) -> Build | None:
    """The ledger lines of a completion (commission, the worker's pending share), for a charged order."""
    worker_id = order.worker_id
    if not (order.payment_ref and worker_id):
        return None

    shares = None
    if order.worker_shares:  # a replaced live-in term: the share is split by days served
        before = [(str(part["worker_id"]), int(part["days"])) for part in order.worker_shares]
        rest = int(order.term_days or 0) - sum(days for _, days in before)
        shares = [*before, (worker_id, max(rest, 0))]

    from chalicelib.payments.dispute_refunds import refunded_before_completion

    refunded, (guard, guard_pk, guard_sk, unchanged) = refunded_before_completion(order.order_id)

    def book(tx: TransactWrite) -> None:
        tx.condition_check(guard, guard_pk, guard_sk, condition=unchanged)
        ledger.record_completion(
            tx,
            order_id=order.order_id,
            worker_id=worker_id,
            # the days served only, less what an admin gave back before completion
            amount=int(order.price_amount) - int(order.early_end_refund or 0) - refunded,
            at=clock.iso(now),
            city=(order.address or {}).get("city"),
            shares=shares,
        )

    return book


def confirm(order_id: str, user_id: str, role: str) -> OrderView:
    """The customer accepts the finished work: ``finished → completed``."""
    access = order_for(order_id, user_id, role, consistent=True)
    if access.party != "customer":
        raise Forbidden()
    _simple(access, "confirm", "customer", by=user_id)
    return _view(order_id, customer=True)


def auto_complete(order_id: str) -> bool:
    """The auto-complete timer: ``finished → completed`` by ``system``, the same path as ``confirm``.

    Returns False when the order is not finished any more (confirmed, disputed or gone meanwhile).
    """
    order = load_order(order_id, consistent=True)
    if order is None or order.status != "finished":
        return False
    system = OrderAccess(order=order, party="staff", user_id="system", role="system")
    try:
        _simple(system, "confirm", "system", by="system")
    except Conflict:
        return False
    return True


def mark_paid(order_id: str, payment_ref: str, *, also: Build | None = None) -> OrderView:
    """``pending_payment → paid`` before ``pay_by``; the hold becomes a confirmed reservation.

    The charge is booked in the ledger in the same transaction, with the payment step's own
    writes (``also``).

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

        def extra(tx: TransactWrite, paid_order: OrderItem = order, at: str = now_iso) -> None:
            amount = int(paid_order.deposit_amount or paid_order.price_amount)  # a deposit, or the price
            ledger.record_charge(tx, order_id=order_id, intent_id=payment_ref, amount=amount, at=at)
            if also:
                also(tx)
            _free_unpaid_slot(tx, paid_order)
            if paid_order.worker_id and live_in.is_live_in(paid_order):
                term_hold.confirm(
                    tx, paid_order.worker_id, order_id, live_in.held_dates(paid_order)
                )  # the term's days stop lapsing
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


def mark_balance_paid(order_id: str, payment_ref: str, *, also: Build | None = None) -> OrderView:
    """The balance (尾款) of a live-in order arrived: recorded with its ledger charge, once.

    No status changes (the order is ``paid`` since its deposit). Idempotent for the same
    reference; 409 ``payment_window_closed`` after ``balance_due_at``, ``invalid_status`` when the
    order takes no balance (cancelled meanwhile, or already paid by another payment).
    """
    for _ in range(2):
        order = load_order(order_id, consistent=True)
        if order is None:
            raise NotFound()
        if order.balance_ref == payment_ref:
            return _view(order_id, customer=False)
        now = clock.now()
        status = effective_status(order, now)
        if not order.balance_amount or order.balance_ref or status not in ("paid", "assigned"):
            raise Conflict(
                "invalid_status", status=status, details=[{"code": "invalid_status", "status": status}]
            )
        if clock.iso(now) >= str(order.balance_due_at):
            raise Conflict("payment_window_closed")
        now_iso = clock.iso(now)

        def extra(tx: TransactWrite, amount: int = int(order.balance_amount), at: str = now_iso) -> None:
            ledger.record_charge(tx, order_id=order_id, intent_id=payment_ref, amount=amount, at=at)
            if also:
                also(tx)

        try:
            _write(
                order,
                event="balance_paid",
                by="system",
                actions=[OrderItem.balance_ref.set(payment_ref), OrderItem.balance_paid_at.set(now_iso)],
                details={"payment_ref": payment_ref, "amount": int(order.balance_amount)},
                extra=extra,
                now=now,
            )
            return _view(order_id, customer=False)
        except TransactWriteError:
            continue  # re-read: a concurrent delivery of the same payment is a success
    raise _moved_on(order_id, clock.now())


def mark_refunded(order_id: str, refund_id: str, *, also: Build | None = None) -> OrderView:
    """``cancelled → refunded`` once the payment step has returned ``refund_amount``.

    The refund is booked in the ledger (the prepayment released, the refund and the fee kept) in
    the same transaction, with the payment step's own writes (``also``). Idempotent: an order
    already ``refunded`` is returned unchanged; 409 ``invalid_status`` from any other status.
    """
    for _ in range(2):
        order = load_order(order_id, consistent=True)
        if order is None:
            raise NotFound()
        if order.status == "refunded":
            return _view(order_id, customer=False)
        now = clock.now()
        target = transition(order.status, "refund", "system")
        paid, refund = paid_total(order), int(order.refund_amount or 0)

        def extra(
            tx: TransactWrite, at: str = clock.iso(now), paid: int = paid, refund: int = refund
        ) -> None:
            ledger.record_refund(tx, order_id=order_id, refund_id=refund_id, paid=paid, refund=refund, at=at)
            if also:
                also(tx)

        try:
            _write(
                order,
                event="refunded",
                by="system",
                actions=[OrderItem.status.set(target)],
                details={"refund_id": refund_id, "amount": refund, "fee": paid - refund},
                extra=extra,
                now=now,
            )
            return _view(order_id, customer=False)
        except TransactWriteError:
            continue  # re-read: a concurrent refund of the same order is a success
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
    release_term = _term_release(order)

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order_id)),
            [
                *([OrderItem.held_days.set(0)] if release_term else []),
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
        if release_term:
            release_term(tx)

    try:
        commit(build)
    except TransactWriteError:
        return False
    return True


def note(order_id: str, event: str, *, at: datetime, details: dict[str, Any] | None = None) -> None:
    """Add a line to the timeline that changes no status (e.g. ``worker_late``), once per (event, at)."""
    at_iso = clock.iso(at)
    item = OrderEventItem(
        OrderItem.key(order_id)[0],
        f"{event_sk(at_iso, 0)[:-6]}{event}",
        order_id=order_id,
        event=event,
        at=at_iso,
        by="system",
        details=details,
    )
    try:
        item.save(condition=OrderEventItem.sk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
