"""The worker side of orders over HTTP, against moto: the pool, accept, decline, progress, photos."""

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
    reserve,
    service,
    worker,
)
from tests.integration.workflow_pump import Pump

TOMORROW = NOW.date() + timedelta(days=1)
START = at(TOMORROW, "10:00")


@dataclass
class Scene:
    customer_id: str
    customer: str  # token
    address_id: str
    service_id: str
    alice: str  # worker ids
    bella: str
    tokens: dict[str, str]


def _worker(**options: Any) -> tuple[str, str]:
    worker_id = worker(**options)
    set_availability(worker_id, every_day([["08:00", "18:00"]]), [])
    return worker_id, open_session(worker_id, "worker").access_token


@pytest.fixture
def scene(aws: dict[str, str]) -> Scene:
    clock.freeze(NOW)
    customer_id, token = account("customer")
    alice, alice_token = _worker(name="李阿姨")
    bella, bella_token = _worker(name="王阿姨")
    return Scene(
        customer_id,
        token,
        address(customer_id, *PEOPLES_SQUARE),
        service(),
        alice,
        bella,
        {alice: alice_token, bella: bella_token},
    )


def paid_order(http: Http, s: Scene, worker_id: str | None = None, start: Any = START) -> str:
    body = {"service_id": s.service_id, "address_id": s.address_id, "start_at": start.isoformat()}
    if worker_id:
        body["worker_id"] = worker_id
    made = http.call("POST", "/v1/orders", body, token=s.customer)
    assert made.status_code == 201, made.json
    payment_port.mark_paid(made.json["order_id"], f"pi_{made.json['order_id']}")
    return str(made.json["order_id"])


def reservations(worker_id: str) -> list[ReservationItem]:
    day = str(TOMORROW)
    return list(
        ReservationItem.query(ReservationItem.partition(worker_id, day), ReservationItem.sk.startswith(day))
    )


def code(response: Any) -> str:
    return str(response.json["error"]["code"])


def post(http: Http, token: str, order_id: str, action: str, body: Any = None) -> Any:
    return http.call("POST", f"/v1/worker/orders/{order_id}/{action}", body, token=token)


def available(http: Http, token: str) -> list[str]:
    listed = http.call("GET", "/v1/worker/orders/available", token=token)
    assert listed.status_code == 200, listed.json
    return [item["order_id"] for item in listed.json["items"]]


def test_pool_order_is_listed_to_matching_workers_and_the_first_accept_wins(http: Http, scene: Scene) -> None:
    order_id = paid_order(http, scene)
    _, elsewhere = _worker(name="赵阿姨", areas=(XUHUI,))
    _, repairer = _worker(name="钱师傅", skills=("home_repair",))
    assert available(http, scene.tokens[scene.alice]) == [order_id]
    [item] = http.call("GET", "/v1/worker/orders/available", token=scene.tokens[scene.bella]).json["items"]
    assert item["area"] == {"city": "上海市", "district": "浦东新区"} and "customer_id" not in item
    assert available(http, elsewhere) == [] and available(http, repairer) == []

    won = post(http, scene.tokens[scene.alice], order_id, "accept")
    assert won.status_code == 200, won.json
    assert (won.json["status"], won.json["worker_id"]) == ("assigned", scene.alice)
    assert won.json["check_in_code"] is None  # only the customer sees it
    assert [e["event"] for e in won.json["timeline"]] == ["created", "paid", "accepted"]
    [held] = reservations(scene.alice)
    assert (held.order_id, held.status) == (order_id, "confirmed")

    lost = post(http, scene.tokens[scene.bella], order_id, "accept")
    assert (lost.status_code, code(lost)) == (409, "already_taken")
    assert reservations(scene.bella) == []
    assert (
        available(http, scene.tokens[scene.alice]) == [] and available(http, scene.tokens[scene.bella]) == []
    )
    jobs = http.call("GET", "/v1/orders", token=scene.tokens[scene.alice]).json["items"]
    assert [job["order_id"] for job in jobs] == [order_id]


def test_busy_workers_neither_see_nor_take_the_order(http: Http, scene: Scene) -> None:
    order_id = paid_order(http, scene)
    reserve(scene.bella, at(TOMORROW, "11:00"), 60)
    assert available(http, scene.tokens[scene.bella]) == []
    busy = post(http, scene.tokens[scene.bella], order_id, "accept")
    assert (busy.status_code, code(busy)) == (409, "slot_unavailable")
    assert available(http, scene.tokens[scene.alice]) == [order_id]


def test_who_may_accept(http: Http, scene: Scene) -> None:
    chosen = paid_order(http, scene, scene.alice)
    pooled = paid_order(http, scene, start=at(TOMORROW, "14:00"))
    assert post(http, scene.customer, pooled, "accept").status_code == 403
    unverified = worker(name="孙阿姨", status="pending_review")
    refused = post(http, open_session(unverified, "worker").access_token, pooled, "accept")
    assert (refused.status_code, code(refused)) == (403, "worker_not_verified")
    assert post(http, scene.tokens[scene.bella], chosen, "accept").status_code == 404
    assert post(http, scene.tokens[scene.bella], "ord_missing", "accept").status_code == 404
    unpaid = http.call(
        "POST",
        "/v1/orders",
        {
            "service_id": scene.service_id,
            "address_id": scene.address_id,
            "start_at": at(TOMORROW, "16:00").isoformat(),
        },
        token=scene.customer,
    ).json["order_id"]
    assert post(http, scene.tokens[scene.bella], unpaid, "accept").status_code == 404
    # the chosen worker accepts her own job: her time was already reserved at booking
    mine = post(http, scene.tokens[scene.alice], chosen, "accept")
    assert mine.status_code == 200 and mine.json["status"] == "assigned"
    assert [r.order_id for r in reservations(scene.alice)] == [chosen]
    again = post(http, scene.tokens[scene.alice], chosen, "accept")
    assert (again.status_code, code(again)) == (409, "invalid_status")


def test_decline_sends_the_order_to_the_pool_and_frees_her_time(http: Http, scene: Scene) -> None:
    order_id = paid_order(http, scene, scene.alice)
    assert post(http, scene.tokens[scene.bella], order_id, "decline", {"reason": "x"}).status_code == 404
    declined = post(http, scene.tokens[scene.alice], order_id, "decline", {"reason": "生病"})
    assert declined.status_code == 204, declined.json
    assert reservations(scene.alice) == []
    order = OrderItem.get(*OrderItem.key(order_id))
    assert order.worker_id is None and order.status == "paid"
    assert available(http, scene.tokens[scene.bella]) == [order_id]
    taken = post(http, scene.tokens[scene.bella], order_id, "accept")
    assert taken.status_code == 200 and taken.json["worker_id"] == scene.bella
    events = [e["event"] for e in taken.json["timeline"]]
    assert events == ["created", "paid", "declined", "accepted"]
    assert [r.order_id for r in reservations(scene.bella)] == [order_id]


def test_a_cancelled_pool_order_leaves_the_pool(http: Http, scene: Scene) -> None:
    order_id = paid_order(http, scene)
    cancelled = http.call(
        "POST", f"/v1/orders/{order_id}/cancel", {"reason": "不需要了"}, token=scene.customer
    )
    assert cancelled.status_code == 200, cancelled.json
    assert available(http, scene.tokens[scene.alice]) == []
    late = post(http, scene.tokens[scene.alice], order_id, "accept")
    assert (late.status_code, code(late)) == (409, "invalid_status")


def _inbox(http: Http, token: str) -> list[dict[str, Any]]:
    response = http.call("GET", "/v1/me/notifications", token=token)
    assert response.status_code == 200, response.json
    progress = {"order_departed", "order_arrived", "order_started", "order_finished"}
    return [entry for entry in response.json["items"] if entry["kind"] in progress]


def test_progress_through_the_job(http: Http, scene: Scene, aws: dict[str, str]) -> None:
    order_id = paid_order(http, scene, scene.alice)
    token = scene.tokens[scene.alice]
    assert post(http, token, order_id, "accept").status_code == 200
    check_in = http.call("GET", f"/v1/orders/{order_id}", token=scene.customer).json["check_in_code"]

    early = post(http, token, order_id, "progress", {"event": "started", "check_in_code": check_in})
    assert (early.status_code, code(early)) == (409, "invalid_status")
    assert (
        post(http, scene.tokens[scene.bella], order_id, "progress", {"event": "departed"}).status_code == 404
    )
    assert post(http, scene.customer, order_id, "progress", {"event": "departed"}).status_code == 403

    departed = post(http, token, order_id, "progress", {"event": "departed", "note": "路上"})
    assert departed.status_code == 200 and departed.json["status"] == "en_route"
    far = post(http, token, order_id, "progress", {"event": "arrived", "lat": 31.30, "lng": 121.60})
    assert (far.status_code, code(far)) == (422, "too_far")
    assert post(http, token, order_id, "progress", {"event": "arrived", "lat": 31.2320}).status_code == 422
    near = post(http, token, order_id, "progress", {"event": "arrived", "lat": 31.2320, "lng": 121.4740})
    assert near.status_code == 200 and near.json["status"] == "arrived"
    wrong = "0000" if check_in != "0000" else "1111"
    bad = post(http, token, order_id, "progress", {"event": "started", "check_in_code": wrong})
    assert (bad.status_code, code(bad)) == (422, "wrong_check_in_code")
    started = post(http, token, order_id, "progress", {"event": "started", "check_in_code": check_in})
    assert started.status_code == 200 and started.json["status"] == "in_service"

    photo = post(http, token, order_id, "photos", {"content_type": "image/jpeg", "size_bytes": 2048})
    assert photo.status_code == 201, photo.json
    assert photo.json["photo_id"].endswith(".jpg") and photo.json["upload_url"].startswith("http")
    bad_type = post(http, token, order_id, "photos", {"content_type": "image/gif", "size_bytes": 2048})
    assert bad_type.status_code == 422
    too_big = post(http, token, order_id, "photos", {"content_type": "image/png", "size_bytes": 11 * 2**20})
    assert too_big.status_code == 422
    assert (
        post(
            http,
            scene.tokens[scene.bella],
            order_id,
            "photos",
            {"content_type": "image/png", "size_bytes": 9},
        ).status_code
        == 404
    )
    foreign = post(
        http, token, order_id, "progress", {"event": "finished", "photo_ids": ["pho_ord_other_p_1.jpg"]}
    )
    assert foreign.status_code == 422
    finished = post(
        http,
        token,
        order_id,
        "progress",
        {"event": "finished", "note": "已完成", "photo_ids": [photo.json["photo_id"]]},
    )
    assert finished.status_code == 200 and finished.json["status"] == "finished"
    last = finished.json["timeline"][-1]
    assert last["event"] == "finished" and last["details"]["photo_ids"] == [photo.json["photo_id"]]
    events = [e["event"] for e in finished.json["timeline"]]
    assert events[-4:] == ["departed", "arrived", "started", "finished"]
    Pump(aws).run()  # the order workflow tells the customer of each step
    assert len(_inbox(http, scene.customer)) == 4
