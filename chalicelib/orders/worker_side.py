"""The worker side of an order: the pool, accept, decline, progress and job photos.

Every change is one guarded transaction, like booking's (docs/orders.md "Worker side"):

- **accept** of a pool order (no worker): Update the order (condition: ``status = paid``,
  ``attribute_not_exists(worker_id)`` and the version read) to ``assigned`` with her id and her
  jobs key on gsi2 (which takes it out of the pool), Put the ``accepted`` event, Put her
  reservation as ``confirmed`` (not exists) and Update her worker-day guard with the version read
  *before* ``calendar.check_booking`` (exactly booking's rule). Of many workers accepting at once
  exactly one order update can pass its condition; the others answer 409 ``already_taken``.
- **accept** by the chosen worker: her time was reserved at booking and confirmed on payment, so
  only the status moves (condition: ``status = paid``, ``worker_id`` = her, version).
- **decline** by the chosen worker: the order goes to the pool (worker removed, pool key on
  gsi2) and her reservation is released (Delete + guard ``ADD 1``), in one transaction.
- **progress**: ``departed|arrived|started|finished`` through ``states.transition``; ``arrived``
  with a position must be near the address, ``started`` needs the customer's check-in code; each
  goes to the timeline (same transaction as the status); the order workflow tells the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, uploads
from chalicelib.errors import AppError, Conflict, NotFound, ValidationFailed
from chalicelib.geo import haversine_km
from chalicelib.ids import new_id
from chalicelib.models.orders import CalendarGuardItem, OrderEventItem, OrderItem
from chalicelib.models.workers import ReservationItem
from chalicelib.orders import live_in, term_hold
from chalicelib.orders.access import load_order, order_for
from chalicelib.orders.booking import SETTINGS, pool_key, worker_jobs_key
from chalicelib.orders.queries import order_with_timeline
from chalicelib.orders.states import Event, transition
from chalicelib.orders.transactions import commit
from chalicelib.orders.views import OrderView, effective_status, event_sk, order_view
from chalicelib.scheduling import calendar
from chalicelib.workers.profile import load_profile, require_verified

__all__ = [
    "ARRIVAL_RADIUS_KM",
    "MAX_PHOTO_BYTES",
    "PHOTO_TYPES",
    "POOL_PAGE",
    "PhotoUpload",
    "ProgressEvent",
    "ProgressReport",
    "accept",
    "available",
    "decline",
    "new_photo",
    "progress",
]

ARRIVAL_RADIUS_KM = 0.5
"""``arrived`` with a position further than this from the address is refused (422 ``too_far``)."""

POOL_PAGE = 25
"""Pool orders read per (skill, district) partition; the listing is bounded by skills × areas × this."""

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024

ProgressEvent = Literal["departed", "arrived", "started", "finished"]

_EVENTS: dict[str, Event] = {
    "departed": "depart",
    "arrived": "arrive",
    "started": "start",
    "finished": "finish",
}
_PHOTO_ID = re.compile(r"^pho_[A-Za-z0-9_-]{1,120}\.(jpg|png)$")

# -- the pool --------------------------------------------------------------------------------


def available(worker_id: str) -> list[OrderView]:
    """Paid orders without a worker that fit her skills, her districts and her free time.

    One gsi2 Query per (skill, district) of her profile (``POOL#<category>#<city>#<district>``,
    starts still ahead, earliest first), then ``calendar.check_booking`` on each candidate so the
    list only shows what she could accept right now. Soonest first.
    """
    require_verified(worker_id)
    profile = load_profile(worker_id)
    assert profile is not None
    now_iso = clock.iso()
    found: list[OrderItem] = []
    for category in profile.skills or []:
        for area in profile.service_areas or []:
            found += OrderItem.gsi2.query(
                pool_key(str(category), area["city"], area["district"]),
                OrderItem.gsi2sk > now_iso,
                filter_condition=(OrderItem.status == "paid") & OrderItem.worker_id.does_not_exist(),
                limit=POOL_PAGE,
            )
    free: list[OrderView] = []
    for order in sorted(found, key=lambda item: item.start_at):
        try:
            refusal = calendar.check_booking(
                worker_id,
                category=order.category,
                duration_minutes=int(order.duration_minutes),
                start=datetime.fromisoformat(order.start_at),
                place=calendar.place_of_snapshot(order.address),
            )
        except AppError:
            continue  # her profile changed since the index was read
        if refusal is None:
            free.append(order_view(order, show_check_in_code=False))
    return free


# -- accept ----------------------------------------------------------------------------------


def _taken() -> Conflict:
    return Conflict("already_taken")


def _was_pooled(order_id: str) -> bool:
    """Whether the order was offered to the pool: taken from it by a worker, or given out by an admin."""
    view = order_with_timeline(order_id, show_check_in_code=False)
    return any(
        (entry.event == "accepted" and (entry.details or {}).get("from_pool"))
        or (entry.event == "reassigned" and not (entry.details or {}).get("from_worker"))
        for entry in view.timeline
    )


def _offered_to(order: OrderItem, worker_id: str) -> None:
    """404 unless the order is (or was) offered to ``worker_id``; 409 ``already_taken`` if it went."""
    if order.worker_id == worker_id:
        return
    if order.worker_id is None and order.status != "pending_payment":
        return
    if order.worker_id is not None and _was_pooled(order.order_id):
        raise _taken()
    raise NotFound()


def _guard_version(worker_id: str, day: str) -> int | None:
    try:
        return int(
            CalendarGuardItem.get(*CalendarGuardItem.key(worker_id, day), consistent_read=True).version
        )
    except CalendarGuardItem.DoesNotExist:
        return None


def _event(
    order: OrderItem, event: str, by: str, now_iso: str, details: dict[str, Any] | None
) -> OrderEventItem:
    return OrderEventItem(
        order.pk,
        event_sk(now_iso, int(order.version) + 1),
        order_id=order.order_id,
        event=event,
        at=now_iso,
        by=by,
        details=details,
    )


def accept(order_id: str, worker_id: str) -> OrderView:
    """She takes the job: 200 with the order, 409 ``already_taken`` when another worker was first."""
    require_verified(worker_id)
    for _ in range(SETTINGS.attempts):
        order = load_order(order_id, consistent=True)
        if order is None:
            raise NotFound()
        _offered_to(order, worker_id)
        now = clock.now()
        current = effective_status(order, now)
        if order.worker_id is None and current != "paid":
            raise _invalid(current)
        target = transition(current, "accept", "worker")
        try:
            holds_time = bool(order.reservation_sk) or int(order.held_days or 0) > 0
            if order.worker_id == worker_id and holds_time:
                _accept_chosen(order, worker_id, target, now)
            elif live_in.is_live_in(order):
                _accept_term(order, worker_id, target, now)
            else:
                _accept_with_reservation(order, worker_id, target, now)
        except TransactWriteError:
            latest = load_order(order_id, consistent=True)
            if latest is None:
                raise NotFound() from None
            if latest.worker_id not in (None, worker_id):
                raise _taken() from None
            if latest.status != "paid":
                raise (_invalid(latest.status) if latest.worker_id == worker_id else _taken()) from None
            continue  # her own day moved (a booking of hers): check again
        return order_with_timeline(order_id, show_check_in_code=False)
    raise Conflict("slot_unavailable")


def _invalid(status: str) -> Conflict:
    return Conflict("invalid_status", status=status, details=[{"code": "invalid_status", "status": status}])


def _accept_chosen(order: OrderItem, worker_id: str, target: str, now: datetime) -> None:
    now_iso, version = clock.iso(now), int(order.version)

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order.order_id)),
            [
                OrderItem.status.set(target),
                OrderItem.gsi2pk.set(worker_jobs_key(worker_id)),
                OrderItem.gsi2sk.set(f"{order.start_at}#{order.order_id}"),
                OrderItem.version.set(version + 1),
                OrderItem.updated_at.set(now_iso),
            ],
            condition=(OrderItem.status == "paid")
            & (OrderItem.worker_id == worker_id)
            & (OrderItem.version == version),
        )
        tx.save(_event(order, "accepted", worker_id, now_iso, {"from_pool": False}))

    commit(build)


def _accept_with_reservation(order: OrderItem, worker_id: str, target: str, now: datetime) -> None:
    """The pool path: take the order and her time in one transaction (booking's guard rule)."""
    start = datetime.fromisoformat(order.start_at)
    day = order.start_at[:10]
    place = calendar.place_of_snapshot(order.address)
    read = _guard_version(worker_id, day)  # before the check: any booking after it moves the guard
    refusal = calendar.check_booking(
        worker_id,
        category=order.category,
        duration_minutes=int(order.duration_minutes),
        start=start,
        place=place,
    )
    if refusal:
        raise Conflict("slot_unavailable", details=[{"field": "start_at", "code": refusal}])
    now_iso, version = clock.iso(now), int(order.version)
    reservation_sk = f"{order.start_at}#{order.order_id}"
    pooled = order.worker_id is None
    condition = (OrderItem.status == "paid") & (OrderItem.version == version)
    condition &= OrderItem.worker_id.does_not_exist() if pooled else OrderItem.worker_id == worker_id

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order.order_id)),
            [
                OrderItem.status.set(target),
                OrderItem.worker_id.set(worker_id),
                OrderItem.reservation_sk.set(reservation_sk),
                OrderItem.gsi2pk.set(worker_jobs_key(worker_id)),
                OrderItem.gsi2sk.set(f"{order.start_at}#{order.order_id}"),
                OrderItem.version.set(version + 1),
                OrderItem.updated_at.set(now_iso),
            ],
            condition=condition,
        )
        tx.save(_event(order, "accepted", worker_id, now_iso, {"from_pool": pooled}))
        tx.save(
            ReservationItem(
                ReservationItem.partition(worker_id, day),
                reservation_sk,
                worker_id=worker_id,
                order_id=order.order_id,
                start=order.start_at,
                end=order.end_at,
                lat=place.at.lat if place.at else None,
                lng=place.at.lng if place.at else None,
                status="confirmed",
            ),
            condition=ReservationItem.pk.does_not_exist(),
        )
        tx.update(
            CalendarGuardItem(*CalendarGuardItem.key(worker_id, day)),
            [CalendarGuardItem.version.set((read or 0) + 1)],
            condition=CalendarGuardItem.pk.does_not_exist()
            if read is None
            else CalendarGuardItem.version == read,
        )

    commit(build)


def _accept_term(order: OrderItem, worker_id: str, target: str, now: datetime) -> None:
    """The pool path of a live-in order: take the order and every day of its term in one
    transaction (``calendar.check_term``'s guards, the rule every booking of those days meets)."""
    wanted = live_in.wanted_span(order)
    held = calendar.check_term(
        worker_id,
        category=order.category,
        dates=wanted.dates(),
        place=calendar.place_of_snapshot(order.address),
    )
    now_iso, version = clock.iso(now), int(order.version)
    pooled = order.worker_id is None
    condition = (OrderItem.status == "paid") & (OrderItem.version == version)
    condition &= OrderItem.worker_id.does_not_exist() if pooled else OrderItem.worker_id == worker_id

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order.order_id)),
            [
                OrderItem.status.set(target),
                OrderItem.worker_id.set(worker_id),
                OrderItem.held_from.set(wanted.first.isoformat()),
                OrderItem.held_days.set(wanted.days),
                OrderItem.gsi2pk.set(worker_jobs_key(worker_id)),
                OrderItem.gsi2sk.set(f"{order.start_at}#{order.order_id}"),
                OrderItem.version.set(version + 1),
                OrderItem.updated_at.set(now_iso),
            ],
            condition=condition,
        )
        tx.save(_event(order, "accepted", worker_id, now_iso, {"from_pool": pooled}))
        term_hold.take(tx, worker_id, order.order_id, held.versions, hold_until=None)

    commit(build)


# -- decline ---------------------------------------------------------------------------------


def decline(order_id: str, worker_id: str, reason: str, *, by: str | None = None) -> None:
    """The chosen worker turns the paid job down: it goes to the pool and her time is released.

    ``by="system"`` when the order workflow does it for her (she let the acceptance time run out).
    """
    order = order_for(order_id, worker_id, "worker", consistent=True).order
    now = clock.now()
    current = effective_status(order, now)
    if current != "paid":
        raise _invalid(current)
    now_iso, version = clock.iso(now), int(order.version)
    where = order.address or {}
    term_days = (
        term_hold.held_by(worker_id, order_id, live_in.held_dates(order)) if live_in.is_live_in(order) else []
    )

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order_id)),
            [
                *([OrderItem.held_days.set(0)] if live_in.is_live_in(order) else []),
                OrderItem.worker_id.remove(),
                OrderItem.reservation_sk.remove(),
                OrderItem.gsi2pk.set(
                    pool_key(order.category, where.get("city", ""), where.get("district", ""))
                ),
                OrderItem.gsi2sk.set(f"{order.start_at}#{order_id}"),
                OrderItem.version.set(version + 1),
                OrderItem.updated_at.set(now_iso),
            ],
            condition=(OrderItem.status == "paid")
            & (OrderItem.worker_id == worker_id)
            & (OrderItem.version == version),
        )
        tx.save(
            _event(order, "declined", by or worker_id, now_iso, {"reason": reason, "worker_id": worker_id})
        )
        if order.reservation_sk:
            day = order.reservation_sk[:10]
            tx.delete(ReservationItem(ReservationItem.partition(worker_id, day), order.reservation_sk))
            tx.update(
                CalendarGuardItem(*CalendarGuardItem.key(worker_id, day)), [CalendarGuardItem.version.add(1)]
            )
        term_hold.release(tx, worker_id, order_id, term_days)

    try:
        commit(build)
    except TransactWriteError:
        latest = load_order(order_id, consistent=True)
        raise _invalid(effective_status(latest, now) if latest else "unknown") from None


# -- progress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressReport:
    """What the worker posts with a progress event."""

    event: ProgressEvent
    note: str | None = None
    photo_ids: tuple[str, ...] = ()
    lat: float | None = None
    lng: float | None = None
    check_in_code: str | None = None


def _check_report(order: OrderItem, report: ProgressReport) -> None:
    """Refuse a report that does not prove what it claims (position, check-in code, photos)."""
    if (report.lat is None) != (report.lng is None):
        raise ValidationFailed(
            details=[
                {"field": "lng" if report.lng is None else "lat", "code": "missing", "message": "lat and lng"}
            ]
        )
    if report.event == "arrived" and report.lat is not None and report.lng is not None:
        where = order.address or {}
        if where.get("lat") is not None and where.get("lng") is not None:
            distance = haversine_km(report.lat, report.lng, float(where["lat"]), float(where["lng"]))
            if distance > ARRIVAL_RADIUS_KM:
                raise ValidationFailed(
                    "too_far",
                    details=[
                        {"field": "lat", "code": "too_far", "message": f"{distance:.2f} km from the address"}
                    ],
                )
    if report.event == "started" and order.check_in_code and report.check_in_code != order.check_in_code:
        raise ValidationFailed(
            "wrong_check_in_code",
            details=[
                {"field": "check_in_code", "code": "wrong_check_in_code", "message": "wrong_check_in_code"}
            ],
        )
    prefix = f"pho_{order.order_id}_"
    for photo_id in report.photo_ids:
        if not (_PHOTO_ID.match(photo_id) and photo_id.startswith(prefix)):
            raise ValidationFailed(
                details=[{"field": "photo_ids", "code": "unknown_photo", "message": photo_id}]
            )


def progress(order_id: str, worker_id: str, report: ProgressReport) -> OrderView:
    """The assigned worker moves the job on; the customer hears of it in her inbox.

    The inbox entry follows from the timeline event (the order workflow consumes it), so it is
    written if and only if the step was.
    """
    order = order_for(order_id, worker_id, "worker", consistent=True).order
    now = clock.now()
    target = transition(effective_status(order, now), _EVENTS[report.event], "worker")
    _check_report(order, report)
    now_iso, version = clock.iso(now), int(order.version)
    details: dict[str, Any] = {
        key: value
        for key, value in {
            "note": report.note,
            "photo_ids": list(report.photo_ids) or None,
            "lat": report.lat,
            "lng": report.lng,
        }.items()
        if value is not None
    }

    def build(tx: TransactWrite) -> None:
        tx.update(
            OrderItem(*OrderItem.key(order_id)),
            [
                OrderItem.status.set(target),
                OrderItem.version.set(version + 1),
                OrderItem.updated_at.set(now_iso),
            ],
            condition=(OrderItem.status == order.status) & (OrderItem.version == version),
        )
        tx.save(_event(order, report.event, worker_id, now_iso, details or None))

    try:
        commit(build)
    except TransactWriteError:
        latest = load_order(order_id, consistent=True)
        raise _invalid(effective_status(latest, now) if latest else "unknown") from None
    return order_with_timeline(order_id, show_check_in_code=False)


# -- photos ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoUpload:
    photo_id: str
    upload_url: str
    headers: dict[str, str]
    expires_in: int


def new_photo(order_id: str, worker_id: str, content_type: str, size_bytes: int) -> PhotoUpload:
    """A presigned upload of one before/after photo of the assigned worker's job.

    The key is scoped to the order (``orders/<id>/photos/<photo id>``) and the photo id carries
    the order id, so a progress report can only cite photos issued for its own order.
    """
    order_for(order_id, worker_id, "worker")
    extension = PHOTO_TYPES.get(content_type)
    if extension is None:
        raise ValidationFailed(
            details=[{"field": "content_type", "code": "unsupported_type", "message": content_type}]
        )
    if not 0 < size_bytes <= MAX_PHOTO_BYTES:
        raise ValidationFailed(
            details=[{"field": "size_bytes", "code": "too_large", "message": str(size_bytes)}]
        )
    photo_id = f"pho_{order_id}_{new_id('p')}.{extension}"
    signed = uploads.presign_upload(
        f"orders/{order_id}/photos/{photo_id}", content_type=content_type, size_bytes=size_bytes
    )
    return PhotoUpload(photo_id, signed.url, signed.headers, signed.expires_in)
