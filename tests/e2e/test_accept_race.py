"""Twenty verified workers accept one pool order at once, over HTTP on the local stack.

Exactly one wins (200, the order ``assigned`` to her); every other gets 409 ``already_taken``;
afterwards only the winner holds a reservation for it. The state (twenty verified workers with
hours in the order's district, a service, a customer whose order is booked without a worker and
paid) is written straight into the stack's DynamoDB by a subprocess using the app's own code
against ``stack.env``, as in ``test_booking_race``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from local.aws import client
from local.stack import REPO_ROOT, LocalStack
from tests.e2e.accounts import bearer, error_code
from tests.e2e.test_booking_race import _connect

WORKERS = 20

_SETUP = r"""
import json, random, sys
from datetime import datetime, time, timedelta
from chalicelib import clock
from chalicelib.accounts.addresses import create_address
from chalicelib.accounts.sessions import open_session
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from chalicelib.catalog.services import Actor, create_service
from chalicelib.models.workers import WorkerProfileItem
from chalicelib.orders import payment_port
from chalicelib.orders.booking import BookOrder, book_order
from chalicelib.scheduling.availability import set_availability

count = int(sys.argv[1])
phones = iter(range(random.randrange(13000000000, 13800000000), 13999999999))
area = {"city": "上海市", "district": "浦东新区"}

def user(role, name):
    return create_user(target_from(phone=str(next(phones))), "secret123", name, role)

workers = []
for index in range(count):
    worker = user("worker", f"阿姨{index}")
    WorkerProfileItem(
        *WorkerProfileItem.key(worker.user_id), worker_id=worker.user_id, name=f"阿姨{index}", status="verified",
        real_name="李秀英", id_number_masked="3101**********1234", skills=["cleaning"], experience_years=3,
        bio="认真负责", service_areas=[area], home_lat=31.2304, home_lng=121.4737, level="junior",
        created_at=clock.iso(),
    ).save()
    set_availability(worker.user_id, {d: [["00:00", "24:00"]] for d in ("mon","tue","wed","thu","fri","sat","sun")}, [])
    workers.append({"worker_id": worker.user_id, "token": open_session(worker.user_id, "worker").access_token})
service = create_service(
    {"category": "cleaning", "sub_type": None, "name": {"zh-CN": "日常保洁", "en": "Cleaning"},
     "description": {"zh-CN": "保洁", "en": "Cleaning"}, "includes": [], "price_min": 5000, "price_max": 5000,
     "price_unit": "per_hour", "duration_minutes": 120},
    actor=Actor(user_id="usr_admin", role="admin"),
).service_id
customer = user("customer", "客户")
address = create_address(customer.user_id, {"label": "家", "contact_name": "王女士", "contact_phone": "13800001111",
    "detail": "世纪大道 100 号", "lat": 31.2304, "lng": 121.4737, **area}).address_id
day = (clock.now() + timedelta(days=2)).date()
start = datetime.combine(day, time(10, 0), tzinfo=clock.SHANGHAI)
order, _ = book_order(BookOrder(customer_id=customer.user_id, service_id=service, address_id=address, start_at=start))
payment_port.mark_paid(order.order_id, "pi_race")
print(json.dumps({"workers": workers, "order_id": order.order_id, "day": str(day)}))
"""


def _setup(stack: LocalStack) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SETUP, str(WORKERS)],
        cwd=REPO_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_twenty_concurrent_accepts_of_one_pool_order_have_one_winner(stack: LocalStack) -> None:
    state = _setup(stack)
    workers = list(state["workers"])  # type: ignore[call-overload]
    order_id, day = str(state["order_id"]), str(state["day"])
    barrier = threading.Barrier(WORKERS)

    def attempt(index: int) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            _connect(own)  # connect first, so the barrier releases requests, not handshakes
            barrier.wait(timeout=60)
            return own.post(f"/v1/worker/orders/{order_id}/accept", headers=bearer(workers[index]["token"]))

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        answers = list(pool.map(attempt, range(WORKERS)))

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, [(a.status_code, a.text[:200]) for a in answers if a.status_code != 409]
    assert statuses.count(409) == WORKERS - 1
    assert {error_code(a) for a in answers if a.status_code == 409} == {"already_taken"}
    winner = workers[statuses.index(200)]["worker_id"]
    assert answers[statuses.index(200)].json()["worker_id"] == winner

    ddb = client("dynamodb", stack.env)
    holders = []
    for candidate in workers:
        items = ddb.query(
            TableName=stack.env["TABLE_NAME"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
            ExpressionAttributeValues={
                ":pk": {"S": f"CAL#{candidate['worker_id']}#{day}"},
                ":day": {"S": day},
            },
            ConsistentRead=True,
        )["Items"]
        holders += [(candidate["worker_id"], item["order_id"]["S"], item["status"]["S"]) for item in items]
    assert holders == [(winner, order_id, "confirmed")]
