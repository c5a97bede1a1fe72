"""Fifty customers book overlapping times of one worker at once, over HTTP on the local stack.

Exactly one wins (201); every other gets 409 ``slot_unavailable``; afterwards the worker's
calendar holds exactly the winner's reservation (no orphans). The state (a verified worker
with hours, a service, fifty customers with addresses and sessions) is written straight into
the stack's DynamoDB by a subprocess using the app's own code against ``stack.env``: onboarding
fifty accounts over HTTP would take minutes and is tested elsewhere.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import bearer, error_code
from tests.e2e.scenes import connect, run_scene

CUSTOMERS = 50

_SCENE = r"""
worker = verified_worker("李阿姨")
service = cleaning_service()
customers = []
for index in range(count):
    customer, address = customer_at_home(f"客户{index}")
    customers.append({"token": open_session(customer.user_id, "customer").access_token, "address_id": address})
print(json.dumps({"worker_id": worker.user_id, "service_id": service, "customers": customers}))
"""


def test_fifty_concurrent_bookings_of_one_worker_have_one_winner(
    stack: LocalStack, http: httpx.Client
) -> None:
    state = run_scene(stack, _SCENE, CUSTOMERS)
    worker_id, service_id = str(state["worker_id"]), str(state["service_id"])
    customers = list(state["customers"])  # type: ignore[call-overload]
    day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).date()
    # every pair of these starts overlaps: 2 h jobs with a 30 min buffer, starts 90 min apart at most
    starts = [
        datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
        + timedelta(hours=10, minutes=30 * (i % 4))
        for i in range(CUSTOMERS)
    ]

    barrier = threading.Barrier(CUSTOMERS)

    def attempt(index: int) -> httpx.Response:
        customer = customers[index]
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)  # connect first, so the barrier releases requests, not handshakes
            barrier.wait(timeout=60)
            return own.post(
                "/v1/orders",
                headers=bearer(customer["token"]),
                json={
                    "service_id": service_id,
                    "address_id": customer["address_id"],
                    "start_at": starts[index].isoformat(),
                    "worker_id": worker_id,
                },
            )

    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        answers = list(pool.map(attempt, range(CUSTOMERS)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 1, [(a.status_code, a.text[:200]) for a in answers if a.status_code != 409]
    assert statuses.count(409) == CUSTOMERS - 1
    assert {error_code(a) for a in answers if a.status_code == 409} == {"slot_unavailable"}
    [winner] = [a.json() for a in answers if a.status_code == 201]

    ddb = client("dynamodb", stack.env)
    table = stack.env["TABLE_NAME"]
    items = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
        ExpressionAttributeValues={":pk": {"S": f"CAL#{worker_id}#{day}"}, ":day": {"S": str(day)}},
        ConsistentRead=True,
    )["Items"]
    assert [item["order_id"]["S"] for item in items] == [winner["order_id"]]
    winner_token = customers[[a.status_code for a in answers].index(201)]["token"]
    order = http.get(f"/v1/orders/{winner['order_id']}", headers=bearer(winner_token))
    assert order.status_code == 200 and order.json()["worker_id"] == worker_id
