"""Admin management of orders over HTTP, against moto: the listing, reassignment, changes, cancel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.audit import AuditItem
from chalicelib.errors import Conflict
from chalicelib.models.orders import CalendarGuardItem, OrderItem
from chalicelib.models.workers import ReservationItem
from chalicelib.orders import lifecycle, payment_port
from chalicelib.orders.access import load_order
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
class Scene:
    customer_id: str
    address_id: str
    service_id: str
    alice: str  # verified cleaners in Pudong, free 08:00-18:00
    bella: str
    admin_id: str
    roles: dict[str, str] = field(default_factory=dict)

    def token(self, user_id: str) -> str:
        """A fresh access token (they live 15 minutes; some tests move the clock)."""
        return open_session(user_id, self.roles[user_id]).access_token

    @property
    def admin(self) -> str:
        return self.token(self.admin_id)


def _worker(s: Scene | None = None, **options: Any) -> str:
    worker_id = worker(**options)
    set_availability(worker_id, every_day([["08:00", "18:00"]]), [])
    if s is not None:
        s.roles[worker_id] = "worker"
    return worker_id


@pytest.fixture
def scene(aws: dict[str, str]) -> Scene:
    clock.freeze(NOW)
    customer_id, _ = account("customer")
    admin_id, _ = account("admin", "管理员")
    alice, bella = _worker(name="李阿姨"), _worker(name="王阿姨")
    return Scene(
        customer_id,
        address(customer_id, *PEOPLES_SQUARE),
        service(),
        alice,
        bella,
        admin_id,
        {customer_id: "customer", admin_id: "admin", alice: "worker", bella: "worker"},
    )


def book(
    http: Http, s: Scene, start: datetime = START, worker_id: str | None = None, customer: str | None = None
) -> str:
    customer = customer or s.customer_id
    address_id = s.address_id if customer == s.customer_id else address(customer, *PEOPLES_SQUARE)
    body = {"service_id": s.service_id, "address_id": address_id, "start_at": start.isoformat()}
    if worker_id:
        body["worker_id"] = worker_id
    made = http.call("POST", "/v1/orders", body, token=s.token(customer))
    assert made.status_code == 201, made.json
    return str(made.json["order_id"])


def paid(http: Http, s: Scene, start: datetime = START, worker_id: str | None = None) -> str:
    order_id = book(http, s, start, worker_id)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    return order_id


def assigned(http: Http, s: Scene, worker_id: str, start: datetime = START) -> str:
    order_id = paid(http, s, start, worker_id)
    accepted = http.call("POST", f"/v1/worker/orders/{order_id}/accept", token=s.token(worker_id))
    assert accepted.status_code == 200, accepted.json
    return order_id


def patch(http: Http, s: Scene, order_id: str, body: Any, token: str | None = None) -> Any:
    return http.call("PATCH", f"/v1/admin/orders/{order_id}", body, token=token or s.admin)


def listing(http: Http, s: Scene, query: str = "", token: str | None = None) -> Any:
    return http.call("GET", f"/v1/admin/orders{query}", token=token or s.admin)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["order_id"] for item in response.json["items"]]


def all_pages(http: Http, s: Scene, query: str) -> list[str]:
    found, cursor = [], None
    for _ in range(20):
        page = listing(http, s, query + (f"&cursor={cursor}" if cursor else ""))
        found += ids(page)
        cursor = page.json["next_cursor"]
        if not cursor:
            return found
    raise AssertionError("the listing never ended")


def calendar(worker_id: str, day: date = TOMORROW) -> dict[str, tuple[str, str]]:
    """Reservation start (HH:MM) -> (order id, status) of a worker-day."""
    items = ReservationItem.query(
        ReservationItem.partition(worker_id, str(day)), ReservationItem.sk.startswith(str(day))
    )
    return {item.start[11:16]: (item.order_id, item.status) for item in items}


def guard(worker_id: str, day: date = TOMORROW) -> int:
    try:
        return int(CalendarGuardItem.get(*CalendarGuardItem.key(worker_id, str(day))).version)
    except CalendarGuardItem.DoesNotExist:
        return 0


def audit_log(actor_id: str) -> list[AuditItem]:
    return list(AuditItem.gsi1.query(f"AUDIT#ACTOR#{actor_id}"))


def inbox(http: Http, s: Scene, user_id: str) -> list[tuple[str, str | None]]:
    answer = http.call("GET", "/v1/me/notifications", token=s.token(user_id))
    assert answer.status_code == 200, answer.json
    return [(entry["kind"], entry["order_id"]) for entry in answer.json["items"]]


def code(response: Any) -> str:
    return str(response.json["error"]["code"])


def field_codes(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.json
    return {detail["field"]: detail["code"] for detail in response.json["error"]["details"]}


# -- the listing ---------------------------------------------------------------------------------


def test_listing_by_start_day_filters_sorts_and_pages(http: Http, scene: Scene) -> None:
    day2, day3 = TOMORROW + timedelta(days=1), TOMORROW + timedelta(days=2)
    first = paid(http, scene, at(TOMORROW, "10:00"), scene.alice)
    pool = paid(http, scene, at(TOMORROW, "14:00"))
    unpaid = book(http, scene, at(day2, "09:00"), scene.bella)
    later = paid(http, scene, at(day3, "16:00"), scene.alice)
    query = f"?from={TOMORROW}&to={day3}"

    assert ids(listing(http, scene, query)) == [later, unpaid, pool, first]  # newest start first
    assert ids(listing(http, scene, query + "&sort=start_at")) == [first, pool, unpaid, later]
    assert ids(listing(http, scene)) == [later, unpaid, pool, first]  # today ± 14 days by default
    assert ids(listing(http, scene, f"?from={day2}&to={day2}")) == [unpaid]
    assert ids(listing(http, scene, query + "&status=paid")) == [later, pool, first]
    assert ids(listing(http, scene, query + "&status=pending_payment")) == [unpaid]
    assert ids(listing(http, scene, query + "&category=cleaning&sort=start_at")) == [
        first,
        pool,
        unpaid,
        later,
    ]
    assert ids(listing(http, scene, query + "&category=nanny")) == []
    # one order a page, across days and the empty day between: the same orders, once each
    assert all_pages(http, scene, query + "&limit=1&sort=start_at") == [first, pool, unpaid, later]
    assert all_pages(http, scene, query + "&limit=3") == [later, unpaid, pool, first]

    clock.advance(timedelta(minutes=16))  # the unpaid hold lapses: it shows (and filters) as cancelled
    assert ids(listing(http, scene, query + "&status=cancelled")) == [unpaid]
    assert ids(listing(http, scene, query + "&status=pending_payment")) == []
    [shown] = listing(http, scene, f"?from={day2}&to={day2}").json["items"]
    assert shown["status"] == "cancelled" and shown["check_in_code"] is None


def test_listing_refuses_what_it_cannot_answer(http: Http, scene: Scene) -> None:
    order_id = paid(http, scene, START, scene.alice)
    page = listing(http, scene, f"?from={TOMORROW}&to={TOMORROW}&limit=1&sort=start_at&status=paid")
    assert ids(page) == [order_id]
    far = TOMORROW + timedelta(days=92)
    assert field_codes(listing(http, scene, f"?from={TOMORROW}&to={far}")) == {"to": "range_too_long"}
    assert field_codes(listing(http, scene, f"?from={TOMORROW}&to={NOW.date()}")) == {"to": "before_from"}
    assert field_codes(listing(http, scene, "?sort=created_at")) == {"sort": "unsupported_sort"}
    assert field_codes(listing(http, scene, f"?worker_id={scene.alice}&sort=-created_at")) == {
        "sort": "unsupported_sort"
    }
    assert field_codes(listing(http, scene, f"?customer_id={scene.customer_id}&sort=start_at")) == {
        "sort": "unsupported_sort"
    }
    assert field_codes(listing(http, scene, "?category=gardening")) == {"category": "unknown_category"}
    assert field_codes(listing(http, scene, "?status=lost")) == {"status": "literal_error"}
    assert field_codes(listing(http, scene, "?from=tomorrow")) == {"from": "date_from_datetime_parsing"}
    forged = "eyJwYXJ0aXRpb24iOiJPUkRFUlMjMjAyNy0wMS0xOSJ9.0000"
    assert field_codes(listing(http, scene, f"?cursor={forged}")) == {"cursor": "invalid_cursor"}


def test_a_cursor_only_continues_its_own_listing(http: Http, scene: Scene) -> None:
    paid(http, scene, at(TOMORROW, "10:00"), scene.alice)
    paid(http, scene, at(TOMORROW, "14:00"), scene.alice)
    page = listing(http, scene, f"?from={TOMORROW}&to={TOMORROW}&limit=1")
    cursor = page.json["next_cursor"]
    assert cursor
    assert listing(http, scene, f"?from={TOMORROW}&to={TOMORROW}&limit=1&cursor={cursor}").status_code == 200
    other = listing(http, scene, f"?from={TOMORROW}&to={TOMORROW}&status=paid&limit=1&cursor={cursor}")
    assert field_codes(other) == {"cursor": "invalid_cursor"}


def test_listing_by_worker_and_by_customer(http: Http, scene: Scene) -> None:
    day2 = TOMORROW + timedelta(days=1)
    first = paid(http, scene, at(TOMORROW, "10:00"), scene.alice)
    clock.advance(timedelta(minutes=1))
    second = paid(http, scene, at(day2, "10:00"), scene.alice)
    clock.advance(timedelta(minutes=1))
    unpaid = book(http, scene, at(TOMORROW, "14:00"), scene.alice)  # not her job until paid
    other_customer, _ = account("customer", "张先生")
    scene.roles[other_customer] = "customer"
    theirs = book(http, scene, at(TOMORROW, "10:00"), scene.bella, customer=other_customer)

    assert ids(listing(http, scene, f"?worker_id={scene.alice}")) == [second, first]
    assert ids(listing(http, scene, f"?worker_id={scene.alice}&sort=start_at")) == [first, second]
    assert ids(listing(http, scene, f"?worker_id={scene.alice}&from={day2}")) == [second]
    assert ids(listing(http, scene, f"?worker_id={scene.alice}&to={TOMORROW}")) == [first]
    assert ids(listing(http, scene, f"?worker_id={scene.bella}")) == []
    assert ids(listing(http, scene, f"?customer_id={scene.customer_id}")) == [unpaid, second, first]
    assert ids(listing(http, scene, f"?customer_id={scene.customer_id}&sort=created_at")) == [
        first,
        second,
        unpaid,
    ]
    assert ids(listing(http, scene, f"?customer_id={scene.customer_id}&from={day2}&to={day2}")) == [second]
    assert ids(listing(http, scene, f"?customer_id={scene.customer_id}&status=pending_payment")) == [unpaid]
    assert ids(listing(http, scene, f"?customer_id={other_customer}")) == [theirs]
    both = f"?worker_id={scene.alice}&customer_id={other_customer}"
    assert ids(listing(http, scene, both)) == []
    assert all_pages(http, scene, f"?customer_id={scene.customer_id}&limit=1") == [unpaid, second, first]


def test_only_staff_read_and_only_admins_change(http: Http, scene: Scene) -> None:
    order_id = paid(http, scene, START, scene.alice)
    support_id, support = account("support", "客服")
    for token in (scene.token(scene.customer_id), scene.token(scene.alice)):
        assert listing(http, scene, token=token).status_code == 403
        assert patch(http, scene, order_id, {"notes": "x"}, token=token).status_code == 403
        cancel = http.call("POST", f"/v1/admin/orders/{order_id}/cancel", {"reason": "x"}, token=token)
        assert cancel.status_code == 403
    assert ids(listing(http, scene, token=support)) == [order_id]
    assert patch(http, scene, order_id, {"worker_id": scene.bella}, token=support).status_code == 403
    refused = http.call("POST", f"/v1/admin/orders/{order_id}/cancel", {"reason": "x"}, token=support)
    assert refused.status_code == 403
    assert http.call("GET", "/v1/admin/orders").status_code == 401
    assert calendar(scene.alice) == {"10:00": (order_id, "confirmed")}
    assert audit_log(support_id) == [] and audit_log(scene.admin_id) == []


# -- reassignment --------------------------------------------------------------------------------


def test_reassigning_an_assigned_job_moves_the_time_and_tells_everyone(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    alice_guard, bella_guard = guard(scene.alice), guard(scene.bella)

    moved = patch(http, scene, order_id, {"worker_id": scene.bella, "reason": "李阿姨请病假"})
    assert moved.status_code == 200, moved.json
    assert (moved.json["status"], moved.json["worker_id"]) == ("assigned", scene.bella)
    last = moved.json["timeline"][-1]
    assert (last["event"], last["by"]) == ("reassigned", scene.admin_id)
    assert last["details"] == {
        "reason": "李阿姨请病假",
        "from_worker": scene.alice,
        "to_worker": scene.bella,
    }
    assert calendar(scene.alice) == {}
    assert calendar(scene.bella) == {"10:00": (order_id, "confirmed")}
    assert (guard(scene.alice), guard(scene.bella)) == (alice_guard + 1, bella_guard + 1)
    item = OrderItem.get(*OrderItem.key(order_id))
    assert (
        item.gsi2pk == f"WORKER#{scene.bella}#JOBS" and item.reservation_sk == f"{item.start_at}#{order_id}"
    )
    assert ids(listing(http, scene, f"?worker_id={scene.bella}")) == [order_id]
    assert ids(listing(http, scene, f"?worker_id={scene.alice}")) == []

    [entry] = audit_log(scene.admin_id)
    assert (entry.action, entry.target_type, entry.target_id, entry.actor_role) == (
        "order.reassign",
        "order",
        order_id,
        "admin",
    )
    assert entry.details == last["details"] and entry.request_id
    assert ("order.reassigned", order_id) in inbox(http, scene, scene.customer_id)
    assert ("order.reassigned", order_id) in inbox(http, scene, scene.alice)
    assert ("order.assigned", order_id) in inbox(http, scene, scene.bella)
    # the new worker does the job now; the old one no longer sees it
    assert http.call("GET", f"/v1/orders/{order_id}", token=scene.token(scene.alice)).status_code == 404
    departed = http.call(
        "POST",
        f"/v1/worker/orders/{order_id}/progress",
        {"event": "departed"},
        token=scene.token(scene.bella),
    )
    assert departed.status_code == 200, departed.json
    # alice's time is free again: a customer can book it
    assert book(http, scene, START, scene.alice)


def test_a_paid_order_waiting_for_a_worker_becomes_assigned(http: Http, scene: Scene) -> None:
    pool = paid(http, scene, START)
    chosen = paid(http, scene, at(TOMORROW, "14:00"), scene.alice)  # not yet accepted by alice

    from_pool = patch(http, scene, pool, {"worker_id": scene.bella})
    assert from_pool.status_code == 200, from_pool.json
    assert (from_pool.json["status"], from_pool.json["worker_id"]) == ("assigned", scene.bella)
    assert from_pool.json["timeline"][-1]["details"] == {
        "from_worker": None,
        "to_worker": scene.bella,
        "status": "assigned",
    }
    assert OrderItem.get(*OrderItem.key(pool)).gsi2pk == f"WORKER#{scene.bella}#JOBS"  # out of the pool
    pooled = http.call("GET", "/v1/worker/orders/available", token=scene.token(scene.alice)).json["items"]
    assert pooled == []
    late = http.call("POST", f"/v1/worker/orders/{pool}/accept", token=scene.token(scene.alice))
    assert (late.status_code, late.json["error"]["code"]) == (409, "already_taken")  # it was in the pool

    switched = patch(http, scene, chosen, {"worker_id": scene.bella})
    assert switched.status_code == 200, switched.json
    assert (switched.json["status"], switched.json["worker_id"]) == ("assigned", scene.bella)
    assert calendar(scene.alice) == {}
    assert calendar(scene.bella) == {"10:00": (pool, "confirmed"), "14:00": (chosen, "confirmed")}


def test_an_unpaid_order_keeps_its_status_and_its_hold(http: Http, scene: Scene) -> None:
    order_id = book(http, scene, START, scene.alice)
    moved = patch(http, scene, order_id, {"worker_id": scene.bella})
    assert moved.status_code == 200, moved.json
    assert (moved.json["status"], moved.json["worker_id"]) == ("pending_payment", scene.bella)
    [hold] = ReservationItem.query(
        ReservationItem.partition(scene.bella, str(TOMORROW)), ReservationItem.sk.startswith(str(TOMORROW))
    )
    assert hold.status == "held"
    assert hold.hold_until == int(datetime.fromisoformat(moved.json["pay_by"]).timestamp())
    assert calendar(scene.alice) == {}
    payment_port.mark_paid(order_id, "pi_after_move")
    item = OrderItem.get(*OrderItem.key(order_id))
    assert (item.status, item.gsi2pk) == ("paid", f"WORKER#{scene.bella}#JOBS")
    assert calendar(scene.bella) == {"10:00": (order_id, "confirmed")}


def test_reassignment_refusals_change_nothing(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    nanny = _worker(scene, name="赵阿姨", skills=("nanny",))
    elsewhere = _worker(scene, name="钱阿姨", areas=(XUHUI,))
    waiting = _worker(scene, name="孙阿姨", status="pending_review")
    busy = _worker(scene, name="周阿姨")
    other_customer, _ = account("customer", "张先生")
    scene.roles[other_customer] = "customer"
    book(http, scene, at(TOMORROW, "11:00"), busy, customer=other_customer)

    assert field_codes(patch(http, scene, order_id, {"worker_id": nanny})) == {
        "worker_id": "service_not_offered"
    }
    assert field_codes(patch(http, scene, order_id, {"worker_id": elsewhere})) == {
        "worker_id": "outside_service_area"
    }
    assert field_codes(patch(http, scene, order_id, {"worker_id": waiting})) == {
        "worker_id": "worker_not_verified"
    }
    assert field_codes(patch(http, scene, order_id, {"worker_id": "usr_nobody"})) == {
        "worker_id": "worker_not_verified"
    }
    clash = patch(http, scene, order_id, {"worker_id": busy})
    assert (clash.status_code, code(clash)) == (409, "slot_unavailable")
    assert clash.json["error"]["details"][0]["code"] == "overlaps_job"
    assert field_codes(patch(http, scene, order_id, {})) == {"body": "empty_patch"}
    assert field_codes(patch(http, scene, order_id, {"start_at": "2027-01-19T12:00:00"})) == {
        "start_at": "timezone_aware"
    }
    assert field_codes(patch(http, scene, order_id, {"worker_id": scene.bella, "status": "paid"})) == {
        "status": "extra_forbidden"
    }
    assert patch(http, scene, "ord_missing", {"worker_id": scene.bella}).status_code == 404

    assert calendar(scene.alice) == {"10:00": (order_id, "confirmed")}
    assert calendar(scene.bella) == {}
    assert OrderItem.get(*OrderItem.key(order_id)).worker_id == scene.alice
    assert audit_log(scene.admin_id) == []


def test_once_the_worker_has_set_off_the_job_stays_hers(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    departed = http.call(
        "POST",
        f"/v1/worker/orders/{order_id}/progress",
        {"event": "departed"},
        token=scene.token(scene.alice),
    )
    assert departed.status_code == 200, departed.json
    refused = patch(http, scene, order_id, {"worker_id": scene.bella})
    assert (refused.status_code, code(refused)) == (409, "invalid_status")
    assert refused.json["error"]["details"][0]["status"] == "en_route"
    cancelled = paid(http, scene, at(TOMORROW, "15:00"), scene.bella)
    assert lifecycle.cancel(cancelled, scene.customer_id, "customer", "不需要了").status == "cancelled"
    for body in ({"worker_id": scene.alice}, {"notes": "来之前打电话"}):
        refused = patch(http, scene, cancelled, body)
        assert (refused.status_code, code(refused)) == (409, "invalid_status")
    assert calendar(scene.alice) == {"10:00": (order_id, "confirmed")}


def test_a_change_made_on_a_stale_reading_fails_on_the_version(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    stale = load_order(order_id, consistent=True)
    assert stale is not None
    assert patch(http, scene, order_id, {"notes": "带上吸尘器"}).status_code == 200
    with pytest.raises(Conflict) as refused:
        lifecycle.move(
            stale, START, clock.now(), worker_id=scene.bella, by=scene.admin_id, event="reassigned"
        )
    assert refused.value.code == "invalid_status"
    assert calendar(scene.alice) == {"10:00": (order_id, "confirmed")} and calendar(scene.bella) == {}


# -- other changes and cancellation --------------------------------------------------------------


def test_an_admin_moves_a_job_and_edits_its_notes(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    later = patch(http, scene, order_id, {"start_at": at(TOMORROW, "15:00").isoformat()})
    assert later.status_code == 200, later.json
    assert later.json["start_at"].startswith(f"{TOMORROW}T15:00")
    assert later.json["timeline"][-1]["event"] == "rescheduled"
    assert calendar(scene.alice) == {"15:00": (order_id, "confirmed")}
    assert ("order.rescheduled", order_id) in inbox(http, scene, scene.customer_id)

    next_day = TOMORROW + timedelta(days=1)
    both = patch(
        http, scene, order_id, {"worker_id": scene.bella, "start_at": at(next_day, "09:00").isoformat()}
    )
    assert both.status_code == 200, both.json
    details = both.json["timeline"][-1]["details"]
    assert details["to_worker"] == scene.bella and details["to"].startswith(f"{next_day}T09:00")
    assert calendar(scene.alice) == {} and calendar(scene.bella, next_day) == {
        "09:00": (order_id, "confirmed")
    }
    assert ids(listing(http, scene, f"?from={next_day}&to={next_day}")) == [order_id]
    assert ids(listing(http, scene, f"?from={TOMORROW}&to={TOMORROW}")) == []

    noted = patch(http, scene, order_id, {"notes": "家里有猫"})
    assert (noted.status_code, noted.json["notes"]) == (200, "家里有猫")
    assert noted.json["timeline"][-1]["event"] == "notes_changed"
    cleared = patch(http, scene, order_id, {"notes": None})
    assert (cleared.status_code, cleared.json["notes"]) == (200, None)
    same = patch(http, scene, order_id, {"worker_id": scene.bella})  # nothing to change: nothing written
    assert same.status_code == 200 and len(same.json["timeline"]) == len(cleared.json["timeline"])
    actions = [entry.action for entry in audit_log(scene.admin_id)]
    assert sorted(actions) == ["order.reassign", "order.reschedule", "order.update", "order.update"]


def test_an_admin_reschedule_through_the_order_route_is_audited_too(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    moved = http.call(
        "POST",
        f"/v1/orders/{order_id}/reschedule",
        {"start_at": at(TOMORROW, "13:00").isoformat()},
        token=scene.admin,
    )
    assert moved.status_code == 200, moved.json
    [entry] = audit_log(scene.admin_id)
    assert (entry.action, entry.target_id) == ("order.reschedule", order_id)
    assert calendar(scene.alice) == {"13:00": (order_id, "confirmed")}


def test_an_admin_cancels_with_a_full_refund_even_inside_the_locked_window(http: Http, scene: Scene) -> None:
    order_id = assigned(http, scene, scene.alice)
    clock.advance(START - NOW - timedelta(hours=1))  # one hour before the start
    locked = http.call(
        "POST", f"/v1/orders/{order_id}/cancel", {"reason": "临时有事"}, token=scene.token(scene.customer_id)
    )
    assert (locked.status_code, code(locked)) == (409, "cancellation_locked")
    assert field_codes(
        http.call("POST", f"/v1/admin/orders/{order_id}/cancel", {"reason": ""}, token=scene.admin)
    ) == {"reason": "string_too_short"}

    done = http.call(
        "POST", f"/v1/admin/orders/{order_id}/cancel", {"reason": "客户投诉，平台取消"}, token=scene.admin
    )
    assert done.status_code == 200, done.json
    assert done.json["status"] == "cancelled"
    assert done.json["cancellation"]["by"] == "admin"
    assert done.json["cancellation"]["refund"]["amount"] == done.json["price"]["amount"]
    assert done.json["cancellation"]["fee"]["amount"] == 0
    assert calendar(scene.alice) == {}
    [entry] = audit_log(scene.admin_id)
    assert (entry.action, entry.target_id, entry.details) == (
        "order.cancel",
        order_id,
        {"reason": "客户投诉，平台取消"},
    )
    again = http.call("POST", f"/v1/admin/orders/{order_id}/cancel", {"reason": "再取消"}, token=scene.admin)
    assert (again.status_code, code(again)) == (409, "invalid_status")
    assert len(audit_log(scene.admin_id)) == 1
    missing = http.call("POST", "/v1/admin/orders/ord_missing/cancel", {"reason": "x"}, token=scene.admin)
    assert missing.status_code == 404
