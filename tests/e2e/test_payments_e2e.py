"""Payments on the local stack, over HTTP: the local provider, its signed webhooks, the queue, the ledger.

A customer books and pays with each method (``POST …/pay``, then the local wallet
``POST /v1/dev/payments/{id}/complete``, whose signed webhook the API verifies, stores and queues,
and the event runner processes); the order becomes ``paid`` by itself. Cancelling a paid order
refunds it (the cancellation saga); the admin ledger balances. Races over real HTTP against
DynamoDB Local: concurrent pay calls get one intent; an admin's cancellation racing the worker's
finish leaves each order either refunded or completed, never both, with a balanced ledger.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from local.stack import LocalStack
from tests.e2e.accounts import Account, bearer, new_admin
from tests.e2e.scenes import connect, run_scene

T = TypeVar("T")

_SCENE = r"""
worker = verified_worker("李阿姨")
service = cleaning_service()
customer, address = customer_at_home("王女士")
day = (clock.now() + timedelta(days=3)).date()
starts = [datetime.combine(day, time(8 + 3 * i, 0), tzinfo=clock.SHANGHAI).isoformat() for i in range(max(count, 1))]
print(json.dumps({
    "worker_id": worker.user_id, "worker_token": open_session(worker.user_id, "worker").access_token,
    "service_id": service, "address_id": address,
    "token": open_session(customer.user_id, "customer").access_token, "starts": starts,
}))
"""
HOME = {"lat": 31.2304, "lng": 121.4737}  # the scene's customer address


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll ``probe`` until it returns something: webhooks, the queue and the saga run asynchronously."""
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return found


class Scene:
    def __init__(self, stack: LocalStack, orders: int) -> None:
        state = run_scene(stack, _SCENE, orders)
        self.worker_id, self.service_id, self.address_id = (
            state["worker_id"],
            state["service_id"],
            state["address_id"],
        )
        self.customer, self.worker = bearer(state["token"]), bearer(state["worker_token"])
        self.starts: list[str] = list(state["starts"])

    def book(self, http: httpx.Client, index: int) -> str:
        booked = http.post(
            "/v1/orders",
            json={
                "service_id": self.service_id,
                "address_id": self.address_id,
                "worker_id": self.worker_id,
                "start_at": self.starts[index],
            },
            headers=self.customer,
        )
        assert booked.status_code == 201, booked.text
        return str(booked.json()["order_id"])

    def order(self, http: httpx.Client, order_id: str, status: str) -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"/v1/orders/{order_id}", headers=self.customer).json()
        return body if body["status"] == status else None

    def pay(self, http: httpx.Client, order_id: str, method: str = "card") -> dict[str, Any]:
        paying = http.post(f"/v1/orders/{order_id}/pay", json={"method": method}, headers=self.customer)
        assert paying.status_code == 201, paying.text
        payment: dict[str, Any] = paying.json()
        done = http.post(f"/v1/dev/payments/{payment['payment_id']}/complete", json={"outcome": "succeeded"})
        assert done.status_code == 202, done.text
        eventually(lambda: self.order(http, order_id, "paid"), f"{order_id} to be paid ({method})")
        return payment


def _ledger(http: httpx.Client, admin: Account, order_id: str) -> dict[str, Any]:
    answer = http.get(f"/v1/admin/orders/{order_id}/ledger", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    ledger: dict[str, Any] = answer.json()
    assert ledger["balance"] == 0 == sum(entry["amount"] for entry in ledger["entries"])
    return ledger


def test_each_method_pays_and_a_cancelled_order_is_refunded(stack: LocalStack, http: httpx.Client) -> None:
    scene = Scene(stack, 4)
    admin = new_admin(stack, http)
    paid: dict[str, str] = {}
    for index, method in enumerate(("card", "alipay", "wechat_pay")):
        order_id = scene.book(http, index)
        payment = scene.pay(http, order_id, method)
        assert payment["client_secret"] and payment["provider"] == "stripe"
        if method != "card":
            assert payment["next_action"]["type"] in {"alipay_handle_redirect", "wechat_pay_display_qr_code"}
        seen = http.get(f"/v1/orders/{order_id}/payment", headers=scene.customer).json()
        assert (seen["payment"]["method"], seen["payment"]["status"]) == (method, "succeeded")
        paid[method] = order_id
    for order_id in paid.values():
        ledger = _ledger(http, admin, order_id)
        assert {entry["kind"] for entry in ledger["entries"]} == {"charge"}
        assert ledger["accounts"]["stripe_balance"] == 10000

    order_id = paid["wechat_pay"]
    cancelled = http.post(
        f"/v1/orders/{order_id}/cancel", json={"reason": "临时有事"}, headers=scene.customer
    )
    assert cancelled.status_code == 200, cancelled.text
    refunded = eventually(lambda: scene.order(http, order_id, "refunded"), "the refund")
    assert [event["event"] for event in refunded["timeline"]][-2:] == ["cancelled", "refunded"]
    refunds = http.get(f"/v1/orders/{order_id}/payment", headers=scene.customer).json()["refunds"]
    assert [(r["amount"]["amount"], r["reason"]) for r in refunds] == [(10000, "cancellation")]
    ledger = _ledger(http, admin, order_id)
    assert ledger["accounts"] == {"stripe_balance": 0, "customer_prepayments": 0}


def test_concurrent_pay_calls_get_one_intent(stack: LocalStack, http: httpx.Client) -> None:
    scene = Scene(stack, 1)
    order_id = scene.book(http, 0)
    racers = 8
    barrier = threading.Barrier(racers)

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)
            barrier.wait(timeout=60)
            return own.post(f"/v1/orders/{order_id}/pay", json={"method": "alipay"}, headers=scene.customer)

    with ThreadPoolExecutor(max_workers=racers) as pool:
        answers = list(pool.map(attempt, range(racers)))
    assert [a.status_code for a in answers] == [201] * racers, [a.text[:200] for a in answers]
    assert len({(a.json()["payment_id"], a.json()["client_secret"]) for a in answers}) == 1
    payment = answers[0].json()
    http.post(f"/v1/dev/payments/{payment['payment_id']}/complete", json={"outcome": "succeeded"})
    eventually(lambda: scene.order(http, order_id, "paid"), "the payment")


def _in_service(http: httpx.Client, scene: Scene, order_id: str) -> None:
    assert http.post(f"/v1/worker/orders/{order_id}/accept", headers=scene.worker).status_code == 200
    code = http.get(f"/v1/orders/{order_id}", headers=scene.customer).json()["check_in_code"]
    for body in (
        {"event": "departed"},
        {"event": "arrived", **HOME},
        {"event": "started", "check_in_code": code},
    ):
        progressed = http.post(f"/v1/worker/orders/{order_id}/progress", json=body, headers=scene.worker)
        assert progressed.status_code == 200, progressed.text


def test_a_refund_racing_completion_leaves_each_order_refunded_or_completed(
    stack: LocalStack, http: httpx.Client
) -> None:
    orders = 4
    scene = Scene(stack, orders)
    admin = new_admin(stack, http)
    order_ids = []
    for index in range(orders):  # a customer holds at most 3 unpaid orders: one at a time
        order_ids.append(scene.book(http, index))
        scene.pay(http, order_ids[-1])
        _in_service(http, scene, order_ids[-1])
    barrier = threading.Barrier(2 * orders)

    def race(job: tuple[str, str]) -> tuple[str, str, int]:
        side, order_id = job
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)
            barrier.wait(timeout=60)
            if side == "cancel":
                answer = own.post(
                    f"/v1/orders/{order_id}/cancel", json={"reason": "客户投诉"}, headers=admin.headers
                )
            else:
                answer = own.post(
                    f"/v1/worker/orders/{order_id}/progress", json={"event": "finished"}, headers=scene.worker
                )
                if answer.status_code == 200:
                    answer = own.post(f"/v1/orders/{order_id}/confirm", headers=scene.customer)
            return side, order_id, answer.status_code

    jobs = [(side, order_id) for order_id in order_ids for side in ("cancel", "finish")]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(race, jobs))
    for order_id in order_ids:
        outcome = {side: status for side, oid, status in results if oid == order_id}
        assert sorted(outcome.values()) == [200, 409], outcome  # exactly one side won
        final = "refunded" if outcome["cancel"] == 200 else "completed"
        eventually(lambda oid=order_id, status=final: scene.order(http, oid, status), f"{order_id} {final}")
        ledger = _ledger(http, admin, order_id)
        kinds = {entry["kind"] for entry in ledger["entries"]}
        if final == "refunded":
            assert kinds == {"charge", "refund"}
            assert ledger["accounts"] == {"stripe_balance": 0, "customer_prepayments": 0}
        else:
            assert kinds == {"charge", "completion"}
            assert ledger["accounts"]["platform_commission"] == -2000
            assert ledger["accounts"]["worker_payable"] == -8000
