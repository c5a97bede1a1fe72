"""Fifty customers book overlapping times of one worker at once, over HTTP on the local stack.

Exactly one wins (201); every other gets 409 ``slot_unavailable``; afterwards the worker's
calendar holds exactly the winner's reservation (no orphans). The state (a verified worker
with hours, a service, fifty customers with addresses and sessions) is written straight into
the stack's DynamoDB by a subprocess using the app's own code against ``stack.env``: onboarding
fifty accounts over HTTP would take minutes and is tested elsewhere.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from local.aws import client
from local.stack import REPO_ROOT, LocalStack
from tests.e2e.accounts import bearer, error_code

CUSTOMERS = 50

_SETUP = r"""
import json, random, sys
from chalicelib import clock
from chalicelib.accounts.addresses import create_address
from chalicelib.accounts.sessions import open_session
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from chalicelib.catalog.services import Actor, create_service
from chalicelib.models.workers import WorkerProfileItem
from chalicelib.scheduling.availability import set_availability

count = int(sys.argv[1])
phones = iter(range(random.randrange(13000000000, 13800000000), 13999999999))
area = {"city": "上海市", "district": "浦东新区"}

def user(role, name):
    return create_user(target_from(phone=str(next(phones))), "secret123", name, role)

worker = user("worker", "李阿姨")
WorkerProfileItem(
    *WorkerProfileItem.key(worker.user_id), worker_id=worker.user_id, name="李阿姨", status="verified",
    real_name="李秀英", id_number_masked="3101**********1234", skills=["cleaning"], experience_years=3,
    bio="认真负责", service_areas=[area], home_lat=31.2304, home_lng=121.4737, level="junior",
    created_at=clock.iso(),
).save()
set_availability(worker.user_id, {d: [["00:00", "24:00"]] for d in ("mon","tue","wed","thu","fri","sat","sun")}, [])
service = create_service(
    {"category": "cleaning", "sub_type": None, "name": {"zh-CN": "日常保洁", "en": "Cleaning"},
     "description": {"zh-CN": "保洁", "en": "Cleaning"}, "includes": [], "price_min": 5000, "price_max": 5000,
     "price_unit": "per_hour", "duration_minutes": 120},
    actor=Actor(user_id="usr_admin", role="admin"),
).service_id
customers = []
for index in range(count):
    customer = user("customer", f"客户{index}")
    address = create_address(customer.user_id, {"label": "家", "contact_name": "王女士", "contact_phone": "13800001111",
        "detail": "世纪大道 100 号", "lat": 31.2304, "lng": 121.4737, **area}).address_id
    customers.append({"token": open_session(customer.user_id, "customer").access_token, "address_id": address})
print(json.dumps({"worker_id": worker.user_id, "service_id": service, "customers": customers}))
"""


def _setup(stack: LocalStack) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SETUP, str(CUSTOMERS)],
        cwd=REPO_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_fifty_concurrent_bookings_of_one_worker_have_one_winner(
    stack: LocalStack, http: httpx.Client
) -> None:
    state = _setup(stack)
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
            _connect(own)  # connect first, so the barrier releases requests, not handshakes
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


def _connect(client: httpx.Client) -> None:
    """Open the keep-alive connection, retrying while the dev server's listen queue overflows."""
    for attempt in range(20):
        try:
            client.get("/v1/health")
            return
        except httpx.TransportError:
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("could not connect to the local API")
