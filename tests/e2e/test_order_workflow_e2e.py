"""The order workflow on the local stack: DynamoDB Local's stream → outbox relay → moto's bus and
queues → consumers, and Scheduler timers fired by the local clock (``POST /v1/dev/clock``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx

from local.stack import LocalStack
from tests.e2e.accounts import bearer, clock_restored, login
from tests.e2e.scenes import run_scene

T = TypeVar("T")

_SCENE = r"""
worker = verified_worker("李阿姨")
service = cleaning_service()
customer, address = customer_at_home("王女士")
print(json.dumps({"worker_id": worker.user_id, "service_id": service, "address_id": address,
    "phone": customer.phone, "start": (clock.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0,
    microsecond=0).isoformat()}))
"""


def eventually(probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something (the runner works asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("the event side did not get there in time")
        time.sleep(0.25)


def _kinds(http: httpx.Client, token: str) -> list[str]:
    listed = http.get("/v1/me/notifications", headers=bearer(token))
    assert listed.status_code == 200, listed.text
    return [entry["kind"] for entry in listed.json()["items"]]


def test_an_unpaid_order_expires_when_the_local_clock_passes_pay_by(
    stack: LocalStack, http: httpx.Client
) -> None:
    scene: dict[str, Any] = run_scene(stack, _SCENE, 0)
    customer = login(http, password="secret123", phone=scene["phone"])
    booked = http.post(
        "/v1/orders",
        json={
            "service_id": scene["service_id"],
            "address_id": scene["address_id"],
            "start_at": scene["start"],
            "worker_id": scene["worker_id"],
        },
        headers=bearer(customer.access_token),
    )
    assert booked.status_code == 201, booked.text
    order_id, pay_by = booked.json()["order_id"], datetime.fromisoformat(booked.json()["pay_by"])

    with clock_restored(stack):
        now = datetime.fromisoformat(http.get("/v1/dev/clock").json()["now"])
        minutes = int((pay_by - now).total_seconds() // 60) + 1
        assert http.post("/v1/dev/clock", json={"advance_minutes": minutes}).status_code == 200
        customer = login(http, password="secret123", phone=scene["phone"])  # tokens last 15 minutes

        def expired() -> dict[str, Any] | None:
            order = http.get(f"/v1/orders/{order_id}", headers=bearer(customer.access_token)).json()
            return order if [e["event"] for e in order["timeline"]][-1:] == ["expired"] else None

        order = eventually(expired)
        assert order["status"] == "cancelled"
        assert eventually(lambda: _kinds(http, customer.access_token) or None) == ["order_expired"]
