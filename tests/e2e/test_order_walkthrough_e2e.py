"""One order through every status over HTTP, as the README's curl walk-through does it.

Book → pay through the local payment provider (signed webhook) → the chosen worker accepts →
reminders fire as the local clock moves → departed / arrived / started (check-in code) /
finished → auto-complete fires a day later → a review request, then the review. Along the way
the timeline, both inboxes and the order chat show what happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from chalicelib.orders.workflow import SETTINGS
from local.stack import LocalStack
from tests.e2e.accounts import bearer, clock_restored, login
from tests.e2e.scenes import run_scene
from tests.e2e.test_order_workflow_e2e import eventually

_SCENE = r"""
worker = verified_worker("李阿姨")
service = cleaning_service()
customer, address = customer_at_home("王女士")
start = (clock.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
print(json.dumps({"service_id": service, "address_id": address, "start": start.isoformat(),
    "worker_id": worker.user_id, "worker_phone": worker.phone, "customer_phone": customer.phone}))
"""


class Walk:
    """The two apps of the walk-through: fresh sign-ins whenever the clock has moved."""

    def __init__(self, http: httpx.Client, scene: dict[str, Any]) -> None:
        self.http, self.scene = http, scene

    def customer(self) -> dict[str, str]:
        return bearer(login(self.http, password="secret123", phone=self.scene["customer_phone"]).access_token)

    def worker(self) -> dict[str, str]:
        return bearer(login(self.http, password="secret123", phone=self.scene["worker_phone"]).access_token)

    def advance_to(self, when: datetime) -> None:
        now = datetime.fromisoformat(self.http.get("/v1/dev/clock").json()["now"])
        minutes = int((when - now).total_seconds() // 60) + 1
        assert self.http.post("/v1/dev/clock", json={"advance_minutes": max(minutes, 0)}).status_code == 200

    def order(self, order_id: str) -> dict[str, Any]:
        got = self.http.get(f"/v1/orders/{order_id}", headers=self.customer())
        assert got.status_code == 200, got.text
        return dict(got.json())

    def wait_for_status(self, order_id: str, status: str) -> dict[str, Any]:
        return eventually(lambda: found if (found := self.order(order_id))["status"] == status else None)

    def wait_for_notice(self, headers: dict[str, str], kind: str) -> None:
        def arrived() -> bool | None:
            items = self.http.get("/v1/me/notifications", headers=headers).json()["items"]
            return True if any(item["kind"] == kind for item in items) else None

        eventually(arrived)

    def work(self, order_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        done = self.http.post(f"/v1/worker/orders/{order_id}/{action}", json=body, headers=self.worker())
        assert done.status_code == 200, done.text
        return dict(done.json())


def test_one_order_through_every_status(stack: LocalStack, http: httpx.Client) -> None:
    scene = run_scene(stack, _SCENE, 0)
    walk = Walk(http, scene)
    start = datetime.fromisoformat(scene["start"])
    booked = http.post(
        "/v1/orders",
        json={k: scene[k] for k in ("service_id", "address_id", "worker_id")} | {"start_at": scene["start"]},
        headers=walk.customer(),
    )
    assert booked.status_code == 201, booked.text
    order_id = booked.json()["order_id"]

    paying = http.post(f"/v1/orders/{order_id}/pay", json={"method": "wechat_pay"}, headers=walk.customer())
    assert paying.status_code == 201, paying.text
    completed = http.post(
        f"/v1/dev/payments/{paying.json()['payment_id']}/complete", json={"outcome": "succeeded"}
    )
    assert completed.status_code == 202, completed.text
    walk.wait_for_status(order_id, "paid")
    walk.wait_for_notice(walk.worker(), "order_chosen")

    assert walk.work(order_id, "accept")["status"] == "assigned"
    walk.wait_for_notice(walk.customer(), "order_accepted")
    said = http.post(
        f"/v1/orders/{order_id}/messages", json={"text": "门口有快递柜，请直接敲门"}, headers=walk.customer()
    )
    assert said.status_code == 201, said.text

    with clock_restored(stack):
        walk.advance_to(start - timedelta(hours=2))
        walk.wait_for_notice(walk.customer(), "order_reminder")
        walk.wait_for_notice(walk.worker(), "order_reminder")

        walk.advance_to(start - timedelta(minutes=30))
        code = walk.order(order_id)["check_in_code"]
        chat = http.get(f"/v1/orders/{order_id}/messages", headers=walk.worker()).json()["items"]
        assert [message["text"] for message in chat] == ["门口有快递柜，请直接敲门"]
        walk.work(order_id, "progress", {"event": "departed"})
        walk.work(order_id, "progress", {"event": "arrived", "lat": 31.2304, "lng": 121.4737})
        walk.work(order_id, "progress", {"event": "started", "check_in_code": code})
        walk.work(order_id, "progress", {"event": "finished", "note": "全屋清洁完成"})
        walk.wait_for_notice(walk.customer(), "order_finished")

        walk.advance_to(
            datetime.fromisoformat(http.get("/v1/dev/clock").json()["now"])
            + timedelta(hours=SETTINGS.auto_complete_hours)
        )
        order = walk.wait_for_status(order_id, "completed")
        walk.advance_to(
            datetime.fromisoformat(http.get("/v1/dev/clock").json()["now"])
            + timedelta(hours=SETTINGS.review_request_hours)
        )
        walk.wait_for_notice(walk.customer(), "order_review_request")
        review = {"quality": 5, "attitude": 5, "skill": 5, "comment": "准时、细致"}
        assert (
            http.post(f"/v1/orders/{order_id}/review", json=review, headers=walk.customer()).status_code
            == 201
        )

    events = [entry["event"] for entry in order["timeline"]]
    assert [e for e in events if e != "worker_late"] == [
        "created", "paid", "accepted", "departed", "arrived", "started", "finished", "completed",
    ]  # fmt: skip
    kinds = {
        item["kind"] for item in http.get("/v1/me/notifications", headers=walk.customer()).json()["items"]
    }
    assert {"order_accepted", "order_reminder", "order_departed", "order_arrived", "order_started"} <= kinds
