"""A worker-day read from the table, and the two questions asked of it.

:func:`free_slots` (the slots endpoint: which starts are free) and :func:`check_booking`
(booking: is this start free) read the same things the same way and hand them to the same
rule, :func:`chalicelib.scheduling.slots.check_start`. Every path that puts a job on a worker's
day asks :func:`check_booking`: booking, accepting from the pool, and moving a job (a reschedule
or an admin's reassignment, which leave the job's own reservation out with ``ignore_order_id``).

A live-in term holds whole days on the worker-day guard itself (``term_order``): the guard is read
in the same BatchGetItem and a held day is one job from midnight to midnight. :func:`check_term`
is the rule for a term (every day free of other terms and of blocking visits), used by live-in
booking, pool acceptance, extension and replacement (docs/live-in.md).

Reads, at most two round trips whatever the worker's history:

1. one BatchGetItem for the worker's profile (verified? which skills and areas?), her
   availability and, when the customer names one, the customer's address (where the job is);
2. one Query of the worker-day partition ``CAL#<worker id>#<date>`` for that day's
   reservations, skipped when the day has no working hours.

Jobs never cross midnight (working hours end at 24:00 at the latest, and a job must fit inside
them), so the neighbouring days' partitions are never needed. The service (for its duration and
category) is cached in-process for :data:`SERVICE_CACHE_SECONDS`; the slots endpoint tolerates a
duration a few minutes stale, and booking re-reads the service itself.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from chalicelib import clock
from chalicelib.catalog.services import ServiceView, get_service, is_bookable
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.accounts import AddressItem
from chalicelib.models.base import MainItem
from chalicelib.models.orders import CalendarGuardItem
from chalicelib.models.workers import AvailabilityItem, ReservationItem, WorkerProfileItem
from chalicelib.scheduling.slots import (
    RULES,
    DayPlan,
    Job,
    Refusal,
    check_start,
    free_starts,
    local_day,
    windows_on,
)
from chalicelib.scheduling.travel import Point

__all__ = [
    "SERVICE_CACHE_SECONDS",
    "Place",
    "Slot",
    "TermDays",
    "check_booking",
    "check_term",
    "free_slots",
    "guards",
    "live_in_busy",
    "place_of",
    "place_of_snapshot",
]

SERVICE_CACHE_SECONDS = 300.0
_BATCH_GET_ATTEMPTS = 4

_services: dict[str, tuple[float, ServiceView]] = {}


@dataclass(frozen=True)
class Place:
    """Where a job is: the area it must be in and, when known, its coordinates."""

    city: str
    district: str
    at: Point | None


@dataclass(frozen=True)
class Slot:
    """A free start and the end of the job that would start then."""

    start_at: datetime
    end_at: datetime


class _Located(Protocol):
    """A saved address, as its item or as booking reads it (``accounts.addresses.SavedAddress``)."""

    @property
    def city(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lng(self) -> float | None: ...


def place_of(address: _Located) -> Place:
    """The place of a customer's saved address."""
    at = (
        Point(float(address.lat), float(address.lng))
        if address.lat is not None and address.lng is not None
        else None
    )
    return Place(city=address.city, district=address.district, at=at)


def place_of_snapshot(address: Mapping[str, Any] | None) -> Place:
    """The place of an order's address snapshot (the order keeps the address as it was at booking)."""
    where = address or {}
    at = (
        Point(float(where["lat"]), float(where["lng"]))
        if where.get("lat") is not None and where.get("lng") is not None
        else None
    )
    return Place(city=str(where.get("city", "")), district=str(where.get("district", "")), at=at)


def _invalid(field_name: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": field_name, "code": code, "message": message}])


def _service(service_id: str) -> ServiceView:
    """The service, from the in-process cache when fresh; 422 unknown, 409 retired."""
    cached = _services.get(service_id)
    if cached is None or time.monotonic() - cached[0] > SERVICE_CACHE_SECONDS:
        try:
            cached = (time.monotonic(), get_service(service_id))
        except NotFound:
            raise _invalid("service_id", "unknown_service", "no such service") from None
        _services[service_id] = cached
    service = cached[1]
    if not is_bookable(service):
        raise Conflict("service_retired")
    return service


def _batch_get(
    wanted: Sequence[tuple[type[MainItem], tuple[str, str]]], *, consistent: bool
) -> dict[tuple[str, str], Any]:
    """Items of different kinds in one BatchGetItem, each as its own model; absent ones left out."""
    kinds = {key: model for model, key in wanted}
    table = MainItem.Meta.table_name
    pending: list[dict[str, Any]] = [{"pk": pk, "sk": sk} for pk, sk in kinds]
    found: dict[tuple[str, str], Any] = {}
    for attempt in range(_BATCH_GET_ATTEMPTS):
        if attempt:
            time.sleep(0.05 * 2**attempt)  # unprocessed keys mean throttling: back off a little
        # pynamodb annotates ``keys`` as strings, but it takes (and needs) the key dicts.
        answer = MainItem._get_connection().batch_get_item(pending, consistent_read=consistent)  # type: ignore[arg-type]
        for raw in answer.get("Responses", {}).get(table, []):
            key = (raw["pk"]["S"], raw["sk"]["S"])
            found[key] = kinds[key].from_raw_data(raw)
        pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not pending:
            return found
    raise RuntimeError(f"BatchGetItem left {len(pending)} keys unprocessed")


def _verified_worker(
    profile: WorkerProfileItem | None, category: str, place: Place | None
) -> WorkerProfileItem:
    """The worker if she can take this kind of job there: 404 unless verified, 422 otherwise."""
    if profile is None or profile.status != "verified":
        raise NotFound()
    if category not in (profile.skills or []):
        raise _invalid("service_id", "service_not_offered", f"this worker does not offer {category}")
    areas = {(area["city"], area["district"]) for area in profile.service_areas or []}
    if place is not None and (place.city, place.district) not in areas:
        raise _invalid("address_id", "outside_service_area", "this worker does not serve that district")
    return profile


def _job(item: ReservationItem) -> Job:
    at = Point(float(item.lat), float(item.lng)) if item.lat is not None and item.lng is not None else None
    hold_until = (
        datetime.fromtimestamp(float(item.hold_until), clock.SHANGHAI)
        if item.status == "held" and item.hold_until is not None
        else None
    )
    return Job(datetime.fromisoformat(item.start), datetime.fromisoformat(item.end), at, hold_until)


def _term_job(day: date, guard: CalendarGuardItem | None, ignore_order_id: str | None) -> Job | None:
    """The whole day as one job when a live-in order holds it (docs/live-in.md), else None."""
    if guard is None or not guard.term_order or guard.term_order == ignore_order_id:
        return None
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=clock.SHANGHAI)
    hold_until = (
        datetime.fromtimestamp(float(guard.term_hold_until), clock.SHANGHAI)
        if guard.term_hold_until is not None
        else None
    )
    return Job(midnight, midnight + timedelta(days=1), None, hold_until)


def _plan(
    worker_id: str,
    day: date,
    availability: AvailabilityItem | None,
    *,
    consistent: bool,
    ignore_order_id: str | None = None,
    guard: CalendarGuardItem | None = None,
) -> DayPlan:
    """The day's windows and, if there are any, its reservations (the one Query).

    ``ignore_order_id``'s own reservation is left out: a job being moved does not block itself.
    A live-in term holding the day (on its ``guard``) is one job from midnight to midnight.
    """
    weekly = dict(availability.weekly or {}) if availability else {}
    exceptions = list(availability.exceptions or []) if availability else []
    windows = windows_on(day, weekly, exceptions)
    if not windows:
        return DayPlan(day, (), ())
    reservations = ReservationItem.query(
        ReservationItem.partition(worker_id, day.isoformat()),
        ReservationItem.sk.startswith(day.isoformat()),
        consistent_read=consistent,
    )
    jobs = tuple(_job(item) for item in reservations if item.order_id != ignore_order_id)
    term = _term_job(day, guard, ignore_order_id)
    return DayPlan(day, windows, (*jobs, term) if term else jobs)


def _check_day(day: date, today: date) -> None:
    if day < today:
        raise _invalid("date", "date_in_past", f"{day} has passed")
    if (day - today).days > RULES.horizon_days:
        raise _invalid("date", "date_too_far", f"bookings open {RULES.horizon_days} days ahead")


def free_slots(
    worker_id: str,
    service_id: str,
    day: date,
    *,
    caller_id: str | None = None,
    address_id: str | None = None,
) -> tuple[ServiceView, list[Slot]]:
    """The free starts of ``day`` for ``service_id``, live, and the service they are for.

    With ``address_id`` (one of ``caller_id``'s addresses: 404 otherwise) travel from the job
    before and on to the job after is estimated from where they are; without, only the minimum
    buffer separates jobs. 404 for a worker who is not verified; 422 for a day already past or
    beyond the booking horizon, a service the worker does not offer or an area she does not serve.
    """
    now = clock.now()
    _check_day(day, local_day(now))
    service = _service(service_id)
    profile_key = WorkerProfileItem.key(worker_id)
    availability_key = AvailabilityItem.key(worker_id)
    guard_key = CalendarGuardItem.key(worker_id, day.isoformat())
    wanted: list[tuple[type[MainItem], tuple[str, str]]] = [
        (WorkerProfileItem, profile_key),
        (AvailabilityItem, availability_key),
        (CalendarGuardItem, guard_key),
    ]
    address_key = AddressItem.key(caller_id, address_id) if caller_id and address_id else None
    if address_key:
        wanted.append((AddressItem, address_key))
    found = _batch_get(wanted, consistent=False)
    place = None
    if address_key:
        if address_key not in found:
            raise NotFound()
        place = place_of(found[address_key])
    _verified_worker(found.get(profile_key), service.category, place)
    plan = _plan(worker_id, day, found.get(availability_key), consistent=False, guard=found.get(guard_key))
    length = timedelta(minutes=service.duration_minutes)
    starts = free_starts(plan, service.duration_minutes, at=place.at if place else None, now=now)
    return service, [Slot(start, start + length) for start in starts]


def check_booking(
    worker_id: str,
    *,
    category: str,
    duration_minutes: int,
    start: datetime,
    place: Place | None,
    ignore_order_id: str | None = None,
) -> Refusal | None:
    """Why ``worker_id`` cannot take this job at ``start``, or None when she can.

    The check booking makes before it writes the reservation (strongly consistent reads, the
    same rule the slots endpoint applies). 404 for a worker who is not verified; 422 for a
    category she does not offer or a place outside her areas. ``ignore_order_id`` leaves that
    order's own reservation out of the day (moving a job: its old time does not block the new
    one). The caller still has to guard the write itself against a concurrent booking of the
    same day: read the worker-day guard *before* this check and condition the write on it.
    """
    profile_key, availability_key = WorkerProfileItem.key(worker_id), AvailabilityItem.key(worker_id)
    day = local_day(start)
    guard_key = CalendarGuardItem.key(worker_id, day.isoformat())
    found = _batch_get(
        [
            (WorkerProfileItem, profile_key),
            (AvailabilityItem, availability_key),
            (CalendarGuardItem, guard_key),
        ],
        consistent=True,
    )
    _verified_worker(found.get(profile_key), category, place)
    plan = _plan(
        worker_id,
        day,
        found.get(availability_key),
        consistent=True,
        ignore_order_id=ignore_order_id,
        guard=found.get(guard_key),
    )
    return check_start(plan, start, duration_minutes, at=place.at if place else None, now=clock.now())


def guards(worker_id: str, days: Sequence[str]) -> dict[str, CalendarGuardItem]:
    """The worker-day guards of ``days`` that exist (strongly consistent BatchGetItems of 100)."""
    found: dict[str, CalendarGuardItem] = {}
    for offset in range(0, len(days), 100):
        chunk = {CalendarGuardItem.key(worker_id, day): day for day in days[offset : offset + 100]}
        items = _batch_get([(CalendarGuardItem, key) for key in chunk], consistent=True)
        found.update({chunk[key]: item for key, item in items.items()})
    return found


def live_in_busy(worker_ids: Sequence[str], day: date) -> set[str]:
    """Which of ``worker_ids`` a live-in term holds on ``day`` (one BatchGetItem of their guards).

    Search by date drops them: the index knows working days, not the calendar.
    """
    text, now = day.isoformat(), clock.now()
    keys = {CalendarGuardItem.key(worker_id, text): worker_id for worker_id in dict.fromkeys(worker_ids)}
    found = _batch_get([(CalendarGuardItem, key) for key in keys], consistent=False) if keys else {}
    return {
        keys[key]
        for key, guard in found.items()
        if (term := _term_job(day, guard, None)) is not None and term.blocks(now)
    }


@dataclass(frozen=True)
class TermDays:
    """What :func:`check_term` read: each day's guard version (None: no guard yet), to condition on."""

    versions: dict[str, int | None]


def check_term(
    worker_id: str,
    *,
    category: str,
    dates: Sequence[str],
    place: Place | None,
    ignore_order_id: str | None = None,
) -> TermDays:
    """Whether ``worker_id`` can live in for every day of ``dates`` (ISO dates): the guards read.

    The rule of a live-in term (docs/live-in.md): no other order may hold any part of any of
    its days: no visit reservation that still blocks (a lapsed unpaid hold does not) and no
    other term. Her weekly hours do not apply (she lives in). Reads, strongly consistent: one
    BatchGetItem of the profile, the availability and every day's guard, *then* one Query per
    day of its reservations; so any booking that commits after the guards were read moves a
    version the caller's transaction is conditioned on. 404 for a worker not verified, 422 for
    a category or place she does not take, 409 ``slot_unavailable`` naming the first day taken.
    """
    profile_key = WorkerProfileItem.key(worker_id)
    guard_keys = {day: CalendarGuardItem.key(worker_id, day) for day in dates}
    wanted: list[tuple[type[MainItem], tuple[str, str]]] = [(WorkerProfileItem, profile_key)]
    wanted += [(CalendarGuardItem, key) for key in guard_keys.values()]
    found = _batch_get(wanted, consistent=True)
    _verified_worker(found.get(profile_key), category, place)
    now = clock.now()
    versions: dict[str, int | None] = {}
    for text, key in guard_keys.items():
        day = date.fromisoformat(text)
        guard = found.get(key)
        versions[text] = int(guard.version) if guard is not None else None
        term = _term_job(day, guard, ignore_order_id)
        refusal = "overlaps_term" if term and term.blocks(now) else None
        if refusal is None:
            reservations = ReservationItem.query(
                ReservationItem.partition(worker_id, text),
                ReservationItem.sk.startswith(text),
                consistent_read=True,
            )
            if any(_job(item).blocks(now) for item in reservations if item.order_id != ignore_order_id):
                refusal = "overlaps_job"
        if refusal:
            raise Conflict("slot_unavailable", details=[{"field": "start_at", "code": refusal, "date": text}])
    return TermDays(versions)
