"""The cancellation saga on the local stack, over HTTP: a customer cancels a paid order, money comes back.

Booking, paying (the local payment provider and its signed webhook) and cancelling are the
customer's HTTP calls. The rest happens by itself as on AWS: the ``cancelled`` timeline event
goes out through the outbox relay and the bus to the order-events consumer, which starts the
saga; moto's interpreter runs the deployed ASL and its Lambda tasks run the real step code in the
moto server process (``local.moto_server``): the refund through the payments code and the local
provider, then the customer's inbox entry and SMS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from chalicelib.resources import physical_name
from chalicelib.workflows.cancellation import WORKFLOW, execution_name_for
from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import bearer, login
from tests.e2e.scenes import run_scene

T = TypeVar("T")

_SCENE = r"""
worker = verified_worker("李阿姨")
service = cleaning_service()
customer, address = customer_at_home("王女士")
start = datetime.combine((clock.now() + timedelta(days=3)).date(), time(10, 0), tzinfo=clock.SHANGHAI)
print(json.dumps({"worker_id": worker.user_id, "service_id": service, "address_id": address,
    "phone": customer.phone, "start": start.isoformat()}))
"""


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll ``probe`` until it returns something: the event side and the saga run asynchronously."""
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return found


def test_a_cancelled_paid_order_is_refunded_and_the_customer_told(
    stack: LocalStack, http: httpx.Client
) -> None:
    scene: dict[str, Any] = run_scene(stack, _SCENE, 0)
    customer = login(http, phone=scene["phone"])
    headers = bearer(customer.access_token)
    booked = http.post(
        "/v1/orders",
        json={k: scene[k] for k in ("service_id", "address_id", "worker_id")} | {"start_at": scene["start"]},
        headers=headers,
    )
    assert booked.status_code == 201, booked.text
    order_id, price = booked.json()["order_id"], booked.json()["price"]["amount"]

    payment = http.post(f"/v1/orders/{order_id}/pay", json={"method": "card"}, headers=headers)
    assert payment.status_code == 201, payment.text
    completed = http.post(
        f"/v1/dev/payments/{payment.json()['payment_id']}/complete", json={"outcome": "succeeded"}
    )
    assert completed.status_code == 202, completed.text

    def order(status: str) -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"/v1/orders/{order_id}", headers=headers).json()
        return body if body["status"] == status else None

    eventually(lambda: order("paid"), "the payment webhook")
    cancelled = http.post(f"/v1/orders/{order_id}/cancel", json={"reason": "临时有事"}, headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancellation"]["refund"]["amount"] == price

    sfn = client("stepfunctions", stack.env)
    state_machine = stack.env[WORKFLOW.env_var]
    assert state_machine.endswith(f":stateMachine:{physical_name('local', WORKFLOW.name)}")
    execution_arn = f"{state_machine.replace(':stateMachine:', ':execution:')}:{execution_name_for(order_id)}"

    def finished() -> dict[str, Any] | None:
        executions = sfn.list_executions(stateMachineArn=state_machine)["executions"]
        if execution_arn not in [e["executionArn"] for e in executions]:
            return None
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return None if described["status"] == "RUNNING" else described

    execution = eventually(finished, "the saga to start and end")
    assert execution["status"] == "SUCCEEDED", execution
    refunded = eventually(lambda: order("refunded"), "the order to be refunded")
    assert [event["event"] for event in refunded["timeline"]][-2:] == ["cancelled", "refunded"]

    def inbox_entry() -> dict[str, Any] | None:
        items = http.get("/v1/me/notifications", headers=headers).json()["items"]
        return next((item for item in items if item["kind"] == "cancellation_refunded"), None)

    amount = f"¥{price // 100}.{price % 100:02d}"
    entry = eventually(inbox_entry, "the customer's inbox entry")
    assert entry["order_id"] == order_id
    assert amount in entry["body"]

    def sms() -> list[dict[str, Any]] | None:
        items = http.get("/v1/dev/outbox", params={"target": scene["phone"]}).json()["items"]
        return [item for item in items if amount in item["body"]] or None

    assert len(eventually(sms, "the customer's SMS")) == 1
    # moto's state dump still works with executions and the patched Lambda backend in it
    dump = httpx.get(f"{stack.moto_url}/moto-api/data.json", timeout=30)
    assert dump.status_code == 200 and "stepfunctions" in dump.json()
