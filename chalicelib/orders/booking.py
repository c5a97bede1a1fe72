"""Booking: ``POST /v1/orders`` as one guarded DynamoDB transaction.

The reads (one strongly consistent BatchGetItem of the service's terms, the customer's address,
the worker-day guard and the customer's unpaid slots; the calendar check's two reads) decide; the
one TransactWriteItems makes it so, or nothing. Both are written in DynamoDB's wire form
(``chalicelib.models.wire``): booking is the hottest write, and pynamodb's expression objects
were a quarter of its own time.

- Put the order (condition: not exists) and its ``created`` timeline event;
- Put the reservation ``CAL#<worker>#<date> / <start>#<order>`` as ``held`` until ``pay_by``;
- Update the worker-day guard ``CAL#<worker>#<date> / GUARD``: ``version`` + 1, condition
  "still the version read before the calendar check". Two bookings that checked the same
  state of the day cannot both commit; the loser re-reads and re-checks, and then sees the
  winner's job (409 ``slot_unavailable``) or, if they did not overlap, books;
- Update one of the customer's three unpaid slots (condition: empty or lapsed), so at most
  three unpaid orders hold time at once (409 ``too_many_unpaid_orders``);
- Put the ``Idempotency-Key`` record (condition: not exists) with the body hash and the
  response, so a replay returns the first answer and a reused key with another body is 422.

The service is read, not condition-checked in the transaction: a ConditionCheck on the service
item would put one item into every booking of a popular service, and DynamoDB cancels
transactions that touch the same item at the same moment (``TransactionConflict``), which would
serialise the Spring Festival rush on its busiest services. Read in the same batch as the
address, it costs no round trip; a reprice landing in the milliseconds between that read and
the commit books at the price the customer was shown. The unpaid slots stay a read too: which
slot is free is only known from the item, and guessing a slot in the condition instead would
cost a whole extra transaction per wrong guess.

A live-in service (docs/live-in.md) holds every whole day of its term instead: no reservation,
but each day's guard updated with the version read before ``calendar.check_term`` and carrying
the order (``term_hold.take``), all in the same one transaction (at most 90 days).

Without a worker there is no reservation and no guard: the order waits for payment and then
goes to the pool. Expiry at ``pay_by`` needs no write: the slot rule ignores a lapsed hold, the
unpaid slot counts as free once lapsed, and paying checks ``pay_by`` in its condition.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from chalicelib import clock
from chalicelib.accounts.addresses import SavedAddress
from chalicelib.catalog.services import TERMS_ATTRIBUTES, ServiceTerms, bookable_terms
from chalicelib.errors import AppError, Conflict, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models import wire
from chalicelib.models.accounts import AddressItem
from chalicelib.models.base import MainItem, connection
from chalicelib.models.catalog import ServiceItem
from chalicelib.models.orders import (
    CalendarGuardItem,
    IdempotencyItem,
    OrderEventItem,
    OrderItem,
    UnpaidHoldsItem,
)
from chalicelib.models.workers import ReservationItem
from chalicelib.orders import contact, live_in, term_hold
from chalicelib.orders.day_index import day_key, start_sort_key
from chalicelib.orders.policy import policy_for
from chalicelib.orders.pricing import Price, quote
from chalicelib.orders.transactions import Cancelled, commit_items
from chalicelib.orders.views import OrderView, event_sk, order_view, view_from_dict
from chalicelib.scheduling import calendar
from chalicelib.scheduling.slots import RULES

__all__ = [
    "SETTINGS",
    "BookOrder",
    "OrderSettings",
    "book_order",
    "customer_orders_key",
    "pool_key",
    "worker_jobs_key",
]


@dataclass(frozen=True)
class OrderSettings:
    """Booking settings: how long an unpaid order holds time, and how long a key is remembered."""

    pay_minutes: int = 15
    idempotency_hours: int = 24
    attempts: int = 4  # re-checks after losing a race on the guard or an unpaid slot


SETTINGS = OrderSettings()
MAX_UNPAID = 3


@dataclass(frozen=True)
class BookOrder:
    """The command: a customer books a service at an address, maybe with a chosen worker."""

    customer_id: str
    service_id: str
    address_id: str
    start_at: datetime
    duration_minutes: int | None = None
    worker_id: str | None = None
    notes: str | None = None
    idempotency_key: str | None = None
    months: int | None = None  # live-in per_month services: how many months (default 1)
    start_window_days: int | None = None  # live-in: the start may still move ± this many days
    term_days: int | None = None  # an extension of a 月嫂 term by days (term_changes.extend)
    extends_order_id: str | None = None  # the order this follow-on term extends

    def body_hash(self) -> str:
        body: dict[str, Any] = {
            "service_id": self.service_id,
            "address_id": self.address_id,
            "start_at": clock.iso(self.start_at),
            "duration_minutes": self.duration_minutes,
            "worker_id": self.worker_id,
            "notes": self.notes,
        }
        if self.months is not None:
            body["months"] = self.months
        if self.start_window_days is not None:
            body["start_window_days"] = self.start_window_days
        if self.extends_order_id is not None:
            body["extends"] = [self.extends_order_id, self.term_days]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def customer_orders_key(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}#ORDERS"


def worker_jobs_key(worker_id: str) -> str:
    return f"WORKER#{worker_id}#JOBS"


def pool_key(category: str, city: str, district: str) -> str:
    """gsi2 partition of the paid orders without a worker of one skill in one district (the pool).

    An order without a worker never has a jobs key, so gsi2 is free for it until a worker
    accepts (which replaces this key with hers).
    """
    return f"POOL#{category}#{city}#{district}"


def _field_error(code: str, field_name: str, detail: str, message: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        code, details=[{"field": field_name, "code": detail, "message": message or detail}]
    )


def _refused(reason: str) -> AppError:
    if reason == "start_in_past":
        return _field_error("start_in_past", "start_at", "start_in_past", "start_in_past")
    return Conflict("slot_unavailable", details=[{"field": "start_at", "code": reason}])


def _check_start_without_worker(start: datetime, now: datetime) -> None:
    """The time rules that apply before any worker is known (grid, lead time, horizon)."""
    if start <= now:
        raise _refused("start_in_past")
    problem = None
    if (start.hour * 60 + start.minute) % RULES.grid_minutes or start.second or start.microsecond:
        problem = "off_grid"
    elif start < now + timedelta(minutes=RULES.lead_minutes):
        problem = "too_soon"
    elif start > now + timedelta(days=RULES.horizon_days):
        problem = "too_far_ahead"
    if problem:
        raise ValidationFailed(
            "invalid_start", details=[{"field": "start_at", "code": problem, "message": problem}]
        )


@cache
def _projection() -> dict[str, Any]:
    """The attributes the batched read returns: the service's terms (not its texts in every
    locale), the whole address, the unpaid slots and the guard's version."""
    names = {"pk", "sk", "version", *TERMS_ATTRIBUTES}
    names |= {attribute.attr_name for attribute in AddressItem.get_attributes().values()}
    names |= {attribute.attr_name for attribute in UnpaidHoldsItem.get_attributes().values()}
    placeholders = {f"#a{n}": name for n, name in enumerate(sorted(names))}
    return {"ProjectionExpression": ", ".join(placeholders), "ExpressionAttributeNames": placeholders}


def _batch_get(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Raw items of ``keys`` in one strongly consistent BatchGetItem (absent ones left out)."""
    table = MainItem.Meta.table_name
    client = connection().client
    pending: list[dict[str, Any]] = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for attempt in range(4):
        if attempt:
            time.sleep(0.05 * 2**attempt)
        request = {"Keys": pending, "ConsistentRead": True, **_projection()}
        answer = client.batch_get_item(RequestItems={table: request})
        for raw in answer.get("Responses", {}).get(table, []):
            found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        pending = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not pending:
            return found
    raise RuntimeError("BatchGetItem left keys unprocessed")


def _number(raw: dict[str, Any] | None, name: str) -> int | None:
    """A number attribute of a raw item (the guard's version, an unpaid slot's expiry)."""
    held = (raw or {}).get(name)
    return int(held["N"]) if held else None


@dataclass(frozen=True)
class _State:
    """What one attempt read: what, where, the guard version, which unpaid slot is free."""

    service: ServiceTerms
    address: SavedAddress
    guard_version: int | None
    free_slot: int


def _read_state(command: BookOrder, day: str, now_epoch: float) -> _State:
    service_key = ServiceItem.key(command.service_id)
    address_key = AddressItem.key(command.customer_id, command.address_id)
    unpaid_key = UnpaidHoldsItem.key(command.customer_id)
    keys = [service_key, address_key, unpaid_key]
    guard_key = CalendarGuardItem.key(command.worker_id, day) if command.worker_id else None
    if guard_key:
        keys.append(guard_key)
    found = _batch_get(keys)
    if service_key not in found:
        raise _field_error("validation_failed", "service_id", "unknown_service")
    service = bookable_terms(found[service_key])
    if address_key not in found:
        raise _field_error("validation_failed", "address_id", "unknown_address")
    address = SavedAddress.from_raw(found[address_key])
    guard = found.get(guard_key) if guard_key else None
    holds = found.get(unpaid_key)
    free = [slot for slot in range(MAX_UNPAID) if (_number(holds, f"hold{slot}_until") or 0) <= now_epoch]
    if not free:
        raise Conflict("too_many_unpaid_orders", limit=MAX_UNPAID)
    return _State(service, address, (_number(guard, "version") or 0) if guard else None, free[0])


def _snapshot(address: SavedAddress) -> dict[str, Any]:
    """The address as the order keeps it: later edits of the saved address do not move the job."""
    return {
        "address_id": address.address_id,
        "label": address.label,
        "contact_name": address.contact_name,
        "contact_phone": address.contact_phone_masked,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
        "lat": address.lat,
        "lng": address.lng,
    }


def _attempt(command: BookOrder, start: datetime) -> OrderView:
    now = clock.now()
    now_iso, now_epoch = clock.iso(now), now.timestamp()
    day = start.date().isoformat()
    state = _read_state(command, day, now_epoch)
    service = state.service
    place = calendar.place_of(state.address)
    term = (
        live_in.plan_term(
            service,
            start,
            months=command.months,
            window_days=command.start_window_days,
            duration_minutes=command.duration_minutes,
            now=now,
            days=command.term_days,
        )
        if service.live_in
        else None
    )
    if term is None and (command.months is not None or command.start_window_days is not None):
        field_name = "months" if command.months is not None else "start_window_days"
        raise _field_error("validation_failed", field_name, "not_live_in", "only live-in services have terms")
    price = (
        Price(term.amount, service.currency, service.duration_minutes)
        if term
        else quote(
            price_unit=service.price_unit,
            price_min=service.price_min,
            service_minutes=service.duration_minutes,
            currency=service.currency,
            duration_minutes=command.duration_minutes,
        )
    )
    held: calendar.TermDays | None = None
    if term and not command.worker_id:
        raise _field_error("validation_failed", "worker_id", "worker_required", "choose the live-in worker")
    if not command.worker_id:
        _check_start_without_worker(start, now)
    if term and command.worker_id:
        held = calendar.check_term(
            command.worker_id, category=service.category, dates=term.held.dates(), place=place
        )
    elif command.worker_id:
        refusal = calendar.check_booking(
            command.worker_id,
            category=service.category,
            duration_minutes=price.duration_minutes,
            start=start,
            place=place,
        )
        if refusal:
            raise _refused(refusal)
    order_id = new_id("ord")
    pay_by = now + timedelta(minutes=SETTINGS.pay_minutes)
    end = live_in.end_of(term.term) if term else start + timedelta(minutes=price.duration_minutes)
    reservation_sk = f"{clock.iso(start)}#{order_id}" if command.worker_id and not term else None
    pk, sk = OrderItem.key(order_id)
    order = wire.built(
        OrderItem,
        dict(
            pk=pk,
            sk=sk,
            order_id=order_id,
            customer_id=command.customer_id,
            worker_id=command.worker_id,
            service_id=service.service_id,
            category=service.category,
            status="pending_payment",
            address=_snapshot(state.address),
            price_amount=price.amount,
            currency=price.currency,
            start_at=clock.iso(start),
            end_at=clock.iso(end),
            duration_minutes=price.duration_minutes,
            pay_by=clock.iso(pay_by),
            check_in_code=f"{secrets.randbelow(10_000):04d}",
            cancellation_policy=policy_for(service.category, state.address.city).snapshot(),
            notes=command.notes,
            version=1,
            created_at=now_iso,
            updated_at=now_iso,
            reservation_sk=reservation_sk,
            unpaid_slot=state.free_slot,
            gsi1pk=customer_orders_key(command.customer_id),
            gsi1sk=f"{now_iso}#{order_id}",
            gsi3pk=day_key(day, order_id),  # gsi3: the admin listing by start day
            gsi3sk=start_sort_key(clock.iso(start), order_id),
        ),
    )
    if term:
        order.occupancy = "live_in"
        order.price_unit = service.price_unit
        order.term_start = term.term.first.isoformat()
        order.term_days = term.term.days
        order.window_days = term.window_days
        order.held_from = term.held.first.isoformat()
        order.held_days = term.held.days
        order.rest_days = term.rest_days
        order.extends_order_id = command.extends_order_id
        if term.deposit and term.balance_due:
            order.deposit_amount = term.deposit
            order.balance_amount = term.amount - term.deposit
            order.balance_due_at = clock.iso(term.balance_due)
    created = wire.built(
        OrderEventItem,
        dict(
            pk=pk,
            sk=event_sk(now_iso, 1),
            order_id=order_id,
            event="created",
            at=now_iso,
            by=command.customer_id,
            details={"price_amount": price.amount, "worker_id": command.worker_id},
        ),
    )
    order.contact_phone_enc = contact.seal(order_id, state.address)
    view = order_view(order, [created], show_check_in_code=True, now=now)
    hold_until = int(pay_by.timestamp())
    entries: dict[str, dict[str, Any]] = {  # name -> entry, in the order they are sent
        "order": wire.put(order, new=True),
        "event": wire.put(created),
    }
    if command.worker_id and reservation_sk:
        reservation = ReservationItem(
            ReservationItem.partition(command.worker_id, day),
            reservation_sk,
            worker_id=command.worker_id,
            order_id=order_id,
            start=clock.iso(start),
            end=clock.iso(end),
            lat=place.at.lat if place.at else None,
            lng=place.at.lng if place.at else None,
            status="held",
            hold_until=hold_until,
        )
        entries["reservation"] = wire.put(reservation, new=True)
    if command.idempotency_key:
        remembered = IdempotencyItem(
            *IdempotencyItem.key(command.customer_id, command.idempotency_key),
            order_id=order_id,
            body_hash=command.body_hash(),
            response=view.to_dict(),
            created_at=now_iso,
            ttl=int(now_epoch) + SETTINGS.idempotency_hours * 3600,
        )
        entries["idempotency"] = wire.put(remembered, new=True)
    if command.worker_id and held is not None:
        days = term_hold.take_entries(command.worker_id, order_id, held.versions, hold_until=hold_until)
        entries.update({f"guard {n}": entry for n, entry in enumerate(days)})
    elif command.worker_id:
        entries["guard"] = term_hold.guard_entry(command.worker_id, day, state.guard_version)
    slot = state.free_slot
    entries["unpaid"] = wire.update(
        UnpaidHoldsItem,
        UnpaidHoldsItem.key(command.customer_id),
        set_values={f"hold{slot}_until": hold_until, f"hold{slot}_order": order_id},
        condition=f"attribute_not_exists(#hold{slot}_until) OR #hold{slot}_until <= :now",
        condition_values={":now": int(now_epoch)},
    )

    try:
        commit_items(list(entries.values()))
    except Cancelled as cancelled:
        failed = {
            name.split()[0]
            for name, code in zip(entries, cancelled.codes, strict=False)
            if code == "ConditionalCheckFailed"
        }
        if "idempotency" in failed:
            raise _Replay() from cancelled
        raise _LostRace("unpaid" if failed == {"unpaid"} else "guard") from cancelled
    return view


class _Replay(Exception):
    """The Idempotency-Key was written by an earlier request."""


class _LostRace(Exception):
    """A condition another writer broke since the reads: ``guard`` or ``unpaid``."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _replay(command: BookOrder) -> OrderView | None:
    """The first response for this key, or None when the key was never used; 422 for another body."""
    if not command.idempotency_key:
        return None
    try:
        item = IdempotencyItem.get(
            *IdempotencyItem.key(command.customer_id, command.idempotency_key), consistent_read=True
        )
    except IdempotencyItem.DoesNotExist:
        return None
    if item.body_hash != command.body_hash():
        raise ValidationFailed(
            "idempotency_key_reused",
            details=[{"field": "Idempotency-Key", "code": "idempotency_key_reused", "message": "reused"}],
        )
    return view_from_dict(dict(item.response))


def book_order(command: BookOrder) -> tuple[OrderView, bool]:
    """Book; returns the order and whether it is a replay of an earlier request with the same key.

    Any refusal is first checked against the ``Idempotency-Key``: a replay of a request that
    succeeded (whose slot is now, of course, taken by itself) returns the first response.
    """
    try:
        return _book(command), False
    except (AppError, _Replay):
        replayed = _replay(command)
        if replayed is not None:
            return replayed, True
        raise


def _book(command: BookOrder) -> OrderView:
    now = clock.now()
    start = command.start_at.astimezone(clock.SHANGHAI)
    if start <= now:
        raise _refused("start_in_past")
    lost = "guard"
    for _ in range(SETTINGS.attempts):
        try:
            return _attempt(command, start)
        except _LostRace as race:
            lost = race.what
    if lost == "unpaid":
        raise Conflict("too_many_unpaid_orders", limit=MAX_UNPAID)
    if lost == "guard" and command.worker_id:
        raise Conflict("slot_unavailable")
    raise Conflict("booking_busy")
