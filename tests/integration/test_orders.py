"""Booking and the customer side of the order lifecycle over HTTP, against moto."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.models.orders import OrderItem
from chalicelib.models.workers import ReservationItem
from chalicelib.orders import payment_port
from chalicelib.scheduling.availability import set_availability
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import (
    NOW,
    PEOPLES_SQUARE,
    XUHUI,
    account,
    address,
    at,
    every_day,
    service,
    worker,
)

TOMORROW = NOW.date() + timedelta(days=1)
START = at(TOMORROW, "10:00")


@dataclass
class World:
    customer_id: str
    token: str
    address_id: str
    worker_id: str
    service_id: str


@pytest.fixture
def world(aws: dict[str, str]) -> World:
    clock.freeze(NOW)
    customer_id, token = account("customer")
    worker_id = worker()
    set_availability(worker_id, every_day([["08:00", "18:00"]]), [])
    return World(customer_id, token, address(customer_id, *PEOPLES_SQUARE), worker_id, service())


def advance(delta: timedelta, *worlds: World) -> None:
    """Move the clock; access tokens live 15 minutes, so the customers sign in again."""
    clock.advance(delta)
    for w in worlds:
        w.token = open_session(w.customer_id, "customer").access_token


def book(http: Http, w: World, start: Any = START, token: str | None = None, **changes: Any) -> Any:
    body = {
        "service_id": w.service_id,
        "address_id": w.address_id,
        "start_at": start.isoformat() if hasattr(start, "isoformat") else start,
        "worker_id": w.worker_id,
        **changes,
    }
    headers = {}
    if "key" in body:
        headers["Idempotency-Key"] = body.pop("key")
    return http.call(
        "POST",
        "/v1/orders",
        {k: v for k, v in body.items() if v is not None},
        token=token or w.token,
        **headers,
    )


def reservations(worker_id: str, day: Any = TOMORROW) -> list[ReservationItem]:
    return list(
        ReservationItem.query(
            ReservationItem.partition(worker_id, str(day)), ReservationItem.sk.startswith(str(day))
        )
    )


def code(response: Any) -> str:
    return str(response.json["error"]["code"])


def test_booking_happy_path_holds_the_time_until_pay_by(http: Http, world: World) -> None:
    created = book(http, world, notes="有猫")
    assert created.status_code == 201, created.json
    order = created.json
    assert order["status"] == "pending_payment"
    assert order["price"] == {"amount": 20000, "currency": "CNY"}  # 100 CNY/h x 2 h
    assert order["worker_id"] == world.worker_id
    assert order["start_at"].startswith("2027-01-19T10:00:00")
    assert order["end_at"].startswith("2027-01-19T12:00:00")
    assert order["pay_by"].startswith("2027-01-18T09:15:00")
    assert order["cancellation_policy"] == {
        "free_until_hours": 24,
        "fee_percent": 20,
        "locked_within_hours": 2,
    }
    assert len(order["check_in_code"]) == 4 and order["check_in_code"].isdigit()
    assert order["address"]["city"] == "上海市" and "****" in order["address"]["contact_phone"]
    [held] = reservations(world.worker_id)
    assert (held.order_id, held.status) == (order["order_id"], "held")
    assert held.hold_until == int((NOW + timedelta(minutes=15)).timestamp())
    read = http.call("GET", f"/v1/orders/{order['order_id']}", token=world.token)
    assert read.status_code == 200
    assert [entry["event"] for entry in read.json["timeline"]] == ["created"]
    assert read.json["check_in_code"] == order["check_in_code"]
    # hourly services take a longer duration, priced by the hour
    longer = book(http, world, at(TOMORROW, "14:00"), duration_minutes=180)
    assert longer.status_code == 201, longer.json
    assert longer.json["price"]["amount"] == 30000


def test_refusals(http: Http, world: World) -> None:
    assert code(book(http, world, NOW - timedelta(hours=1))) == "start_in_past"
    assert book(http, world, NOW - timedelta(hours=1)).status_code == 422
    off_grid = book(http, world, at(TOMORROW, "10:15"))
    assert (off_grid.status_code, code(off_grid)) == (409, "slot_unavailable")
    assert off_grid.json["error"]["details"][0]["code"] == "off_grid"
    night = book(http, world, at(TOMORROW, "19:00"))
    assert night.json["error"]["details"][0]["code"] == "outside_hours"
    other_id, _ = account("customer", "张先生")
    foreign = book(http, world, address_id=address(other_id, None, None))
    assert foreign.status_code == 422
    assert (
        foreign.json["error"]["details"][0]
        == {"field": "address_id", "code": "unknown_address", "message": "unknown_address", "in": "body"}
        or foreign.json["error"]["details"][0]["code"] == "unknown_address"
    )
    repair = service("home_repair")
    lacks = book(http, world, service_id=repair)
    assert lacks.status_code == 422 and lacks.json["error"]["details"][0]["code"] == "service_not_offered"
    far = book(http, world, address_id=address(world.customer_id, 31.19, 121.44, XUHUI))
    assert far.json["error"]["details"][0]["code"] == "outside_service_area"
    unknown = book(http, world, service_id="svc_nope")
    assert unknown.status_code == 422
    bad_duration = book(http, world, duration_minutes=45)
    assert bad_duration.status_code == 422
    assert (
        http.call("POST", "/v1/orders", {"service_id": world.service_id}, token=world.token).status_code
        == 422
    )
    _, worker_token = account("worker")
    assert book(http, world, token=worker_token).status_code == 403
    assert reservations(world.worker_id) == []


def test_overlap_is_refused_and_a_lapsed_hold_frees_the_slot(http: Http, world: World) -> None:
    first = book(http, world)
    assert first.status_code == 201
    other_id, other_token = account("customer", "张先生")
    other = World(
        other_id, other_token, address(other_id, *PEOPLES_SQUARE), world.worker_id, world.service_id
    )
    clash = book(http, other, at(TOMORROW, "11:00"))
    assert (clash.status_code, code(clash)) == (409, "slot_unavailable")
    # the first customer does not pay: past pay_by the time is free again, with no clean-up
    advance(timedelta(minutes=16), world, other)
    again = book(http, other, at(TOMORROW, "11:00"))
    assert again.status_code == 201, again.json
    expired = http.call("GET", f"/v1/orders/{first.json['order_id']}", token=world.token).json
    assert expired["status"] == "cancelled" and expired["cancellation"]["reason"] == "payment_timeout"
    with pytest.raises(Exception) as closed:
        payment_port.mark_paid(first.json["order_id"], "pi_late")
    assert getattr(closed.value, "code", None) == "payment_window_closed"
    assert payment_port.expire_unpaid(first.json["order_id"]) is True
    assert [r.order_id for r in reservations(world.worker_id)] == [again.json["order_id"]]


def test_idempotency_replays_the_first_response(http: Http, world: World) -> None:
    first = book(http, world, key="k-123")
    assert first.status_code == 201
    replay = book(http, world, key="k-123")
    assert replay.status_code == 201
    assert replay.json == first.json
    assert replay.headers.get("Idempotent-Replayed") == "true"
    reused = book(http, world, at(TOMORROW, "14:00"), key="k-123")
    assert (reused.status_code, code(reused)) == (422, "idempotency_key_reused")
    assert len(reservations(world.worker_id)) == 1
    orders = http.call("GET", "/v1/orders", token=world.token).json["items"]
    assert [o["order_id"] for o in orders] == [first.json["order_id"]]


def test_at_most_three_unpaid_orders(http: Http, world: World) -> None:
    ids = []
    for hour in ("08:00", "11:00", "14:00"):
        made = book(http, world, at(TOMORROW, hour))
        assert made.status_code == 201, made.json
        ids.append(made.json["order_id"])
    fourth = book(http, world, at(TOMORROW, "17:00"), duration_minutes=None, worker_id=None)
    assert (fourth.status_code, code(fourth)) == (409, "too_many_unpaid_orders")
    # paying one frees its slot at once
    paid = payment_port.mark_paid(ids[0], "pi_1")
    assert paid.status == "paid"
    assert payment_port.mark_paid(ids[0], "pi_1").status == "paid"  # idempotent
    assert book(http, world, at(TOMORROW, "16:00"), worker_id=None).status_code == 201
    assert book(http, world, at(TOMORROW, "16:30"), worker_id=None).status_code == 409
    # cancelling one frees another
    assert (
        http.call("POST", f"/v1/orders/{ids[1]}/cancel", {"reason": "改主意"}, token=world.token).status_code
        == 200
    )
    assert book(http, world, at(TOMORROW, "16:30"), worker_id=None).status_code == 201


def test_pay_confirms_the_reservation(http: Http, world: World) -> None:
    order_id = book(http, world).json["order_id"]
    payment_port.mark_paid(order_id, "pi_9")
    [held] = reservations(world.worker_id)
    assert (held.status, held.hold_until) == ("confirmed", None)
    advance(timedelta(hours=1), world)  # a confirmed job does not lapse
    other_id, other_token = account("customer", "张先生")
    other = World(
        other_id, other_token, address(other_id, *PEOPLES_SQUARE), world.worker_id, world.service_id
    )
    assert code(book(http, other)) == "slot_unavailable"
    worker_token = account("worker")[1]
    jobs = http.call("GET", "/v1/orders", token=worker_token).json["items"]
    assert jobs == []  # another worker sees none of it
    timeline = http.call("GET", f"/v1/orders/{order_id}", token=world.token).json["timeline"]
    assert [e["event"] for e in timeline] == ["created", "paid"]


def test_cancel_releases_the_time_and_applies_the_policy(http: Http, world: World) -> None:
    order_id = book(http, world).json["order_id"]
    payment_port.mark_paid(order_id, "pi_2")
    cancelled = http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "临时有事"}, token=world.token)
    assert cancelled.status_code == 200, cancelled.json
    body = cancelled.json
    assert body["status"] == "cancelled"
    # 25 h ahead is inside... no: 2027-01-19 10:00 is 25 h after now, so free of charge
    assert body["cancellation"]["fee"]["amount"] == 0
    assert body["cancellation"]["refund"]["amount"] == 20000
    assert reservations(world.worker_id) == []
    again = http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "x"}, token=world.token)
    assert (again.status_code, code(again)) == (409, "invalid_status")
    assert "cancelled" in again.json["error"]["message"]
    assert book(http, world).status_code == 201  # the time is free again


def test_cancel_fee_and_locked_window(http: Http, world: World) -> None:
    order_id = book(http, world).json["order_id"]
    payment_port.mark_paid(order_id, "pi_3")
    advance(timedelta(hours=12), world)  # 13 h before the start: inside the 24 h free window
    fee = http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "r"}, token=world.token).json
    assert fee["cancellation"]["fee"]["amount"] == 4000
    assert fee["cancellation"]["refund"]["amount"] == 16000
    late_id = book(http, world, at(TOMORROW, "14:00")).json["order_id"]
    payment_port.mark_paid(late_id, "pi_4")
    advance(timedelta(hours=15, minutes=30), world)  # 1.5 h before 14:00
    locked = http.call("POST", f"/v1/orders/{late_id}/cancel", {"reason": "r"}, token=world.token)
    assert (locked.status_code, code(locked)) == (409, "cancellation_locked")
    rescheduled = http.call(
        "POST",
        f"/v1/orders/{late_id}/reschedule",
        {"start_at": at(TOMORROW, "16:00").isoformat()},
        token=world.token,
    )
    assert (rescheduled.status_code, code(rescheduled)) == (409, "reschedule_locked")


def test_reschedule_takes_the_new_time_and_releases_the_old(http: Http, world: World) -> None:
    order_id = book(http, world).json["order_id"]
    # an overlapping move within the same day is fine: its own old job does not count
    moved = http.call(
        "POST",
        f"/v1/orders/{order_id}/reschedule",
        {"start_at": at(TOMORROW, "11:00").isoformat()},
        token=world.token,
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["start_at"].startswith("2027-01-19T11:00")
    assert [r.start[:16] for r in reservations(world.worker_id)] == ["2027-01-19T11:00"]
    other_id, other_token = account("customer", "张先生")
    other = World(
        other_id, other_token, address(other_id, *PEOPLES_SQUARE), world.worker_id, world.service_id
    )
    assert book(http, other, at(TOMORROW, "16:00")).status_code == 201
    clash = http.call(
        "POST",
        f"/v1/orders/{order_id}/reschedule",
        {"start_at": at(TOMORROW, "15:00").isoformat()},
        token=world.token,
    )
    assert (clash.status_code, code(clash)) == (409, "slot_unavailable")
    next_day = TOMORROW + timedelta(days=1)
    later = http.call(
        "POST",
        f"/v1/orders/{order_id}/reschedule",
        {"start_at": at(next_day, "09:00").isoformat()},
        token=world.token,
    )
    assert later.status_code == 200, later.json
    assert [r.order_id for r in reservations(world.worker_id)] != [order_id]
    assert [r.order_id for r in reservations(world.worker_id, next_day)] == [order_id]
    assert book(http, world, at(TOMORROW, "10:00")).status_code == 201  # the old time is free
    item = OrderItem.get(*OrderItem.key(order_id))
    assert item.reservation_sk and item.reservation_sk.startswith(str(next_day))
    timeline = http.call("GET", f"/v1/orders/{order_id}", token=world.token).json["timeline"]
    assert [e["event"] for e in timeline] == ["created", "rescheduled", "rescheduled"]


def test_confirm_only_from_finished(http: Http, world: World) -> None:
    order_id = book(http, world).json["order_id"]
    early = http.call("POST", f"/v1/orders/{order_id}/confirm", token=world.token)
    assert (early.status_code, code(early)) == (409, "invalid_status")
    payment_port.mark_paid(order_id, "pi_5")
    item = OrderItem.get(*OrderItem.key(order_id))
    item.update(actions=[OrderItem.status.set("finished")])  # the worker's progress (later work)
    done = http.call("POST", f"/v1/orders/{order_id}/confirm", token=world.token)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "completed"


def test_others_orders_are_not_found(http: Http, world: World) -> None:
    order_id = book(http, world).json["order_id"]
    _, stranger = account("customer", "张先生")
    assert http.call("GET", f"/v1/orders/{order_id}", token=stranger).status_code == 404
    assert (
        http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "x"}, token=stranger).status_code == 404
    )
    assert http.call("GET", "/v1/orders/ord_missing", token=world.token).status_code == 404
    _, other_worker = account("worker")
    assert http.call("GET", f"/v1/orders/{order_id}", token=other_worker).status_code == 404
    _, admin = account("admin")
    seen = http.call("GET", f"/v1/orders/{order_id}", token=admin)
    assert seen.status_code == 200 and seen.json["check_in_code"] is None
    assert http.call("GET", "/v1/orders", token=stranger).json["items"] == []


def test_list_filters_by_status_and_pages(http: Http, world: World) -> None:
    first = book(http, world, worker_id=None).json["order_id"]
    second = book(http, world, at(TOMORROW, "14:00"), worker_id=None).json["order_id"]
    payment_port.mark_paid(first, "pi_6")
    page = http.call("GET", "/v1/orders?limit=1", token=world.token).json
    assert [o["order_id"] for o in page["items"]] == [second] and page["next_cursor"]
    rest = http.call("GET", f"/v1/orders?limit=1&cursor={page['next_cursor']}", token=world.token).json
    assert [o["order_id"] for o in rest["items"]] == [first]
    paid = http.call("GET", "/v1/orders?status=paid", token=world.token).json["items"]
    assert [o["order_id"] for o in paid] == [first]
    assert http.call("GET", "/v1/orders?status=nope", token=world.token).status_code == 422
