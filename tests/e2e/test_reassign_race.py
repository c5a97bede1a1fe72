"""An admin's reassignment racing customers' bookings for the same time of the same worker.

The side path cal.com's double bookings came from (reassign, cal.com #21710): an admin gives a
job to worker W at time T while sixteen customers book W at T, all at once over HTTP on the
local stack (DynamoDB Local). Exactly one of them may win; afterwards W's calendar holds exactly
one job at T, the old worker's calendar holds the job only if the reassignment lost, and every
reservation belongs to an order that names it. The other side of the same write: customers
booking the old worker's time at the moment the reassignment frees it get it at most once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from threading import Barrier
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import bearer, error_code
from tests.e2e.scenes import connect, run_scene

SHANGHAI = ZoneInfo("Asia/Shanghai")
RACERS = 16

_SCENE = r"""
from chalicelib.orders.booking import BookOrder, book_order
from chalicelib.orders.payment_port import mark_paid
from chalicelib.orders.worker_side import accept

first_worker = verified_worker("李阿姨")
target = verified_worker("王阿姨")
service = cleaning_service()
day = (clock.now() + timedelta(days=3)).date()
owner, owner_address = customer_at_home("改派客户")
job, _ = book_order(BookOrder(customer_id=owner.user_id, service_id=service, address_id=owner_address,
    start_at=datetime.combine(day, time(10, 0), tzinfo=clock.SHANGHAI), worker_id=first_worker.user_id))
mark_paid(job.order_id, f"pi_{job.order_id}")
accept(job.order_id, first_worker.user_id)
admin = user("admin", "调度员")
customers = []
for index in range(count):
    customer, address = customer_at_home(f"客户{index}")
    customers.append({"token": open_session(customer.user_id, "customer").access_token, "address_id": address})
print(json.dumps({"first_worker": first_worker.user_id, "target": target.user_id, "service_id": service,
    "day": str(day), "order_id": job.order_id, "admin": open_session(admin.user_id, "admin").access_token,
    "customers": customers}))
"""


def _race(stack: LocalStack, calls: list[Any]) -> list[httpx.Response]:
    barrier = Barrier(len(calls))

    def run(call: Any) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)  # connect first, so the barrier releases requests, not handshakes
            barrier.wait(timeout=60)
            response: httpx.Response = call(own)
            return response

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _calendar(stack: LocalStack, worker_id: str, day: str) -> dict[str, str]:
    """Reservation start (HH:MM) -> order id, straight from the worker-day partition."""
    items = client("dynamodb", stack.env).query(
        TableName=stack.env["TABLE_NAME"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
        ExpressionAttributeValues={":pk": {"S": f"CAL#{worker_id}#{day}"}, ":day": {"S": day}},
        ConsistentRead=True,
    )["Items"]
    return {item["start"]["S"][11:16]: item["order_id"]["S"] for item in items}


def test_a_reassignment_and_bookings_racing_for_one_worker_time_have_one_winner(
    stack: LocalStack, http: httpx.Client
) -> None:
    state = run_scene(stack, _SCENE, RACERS)
    order_id, target, first_worker = state["order_id"], state["target"], state["first_worker"]
    wanted = datetime.combine(date.fromisoformat(state["day"]), time(10, 0), SHANGHAI).isoformat()

    def reassign(own: httpx.Client) -> httpx.Response:
        return own.patch(
            f"/v1/admin/orders/{order_id}",
            headers=bearer(state["admin"]),
            json={"worker_id": target, "reason": "原阿姨请假"},
        )

    def booking(customer: dict[str, str]) -> Any:
        body = {
            "service_id": state["service_id"],
            "address_id": customer["address_id"],
            "start_at": wanted,
            "worker_id": target,
        }
        return lambda own: own.post("/v1/orders", headers=bearer(customer["token"]), json=body)

    answers = _race(stack, [reassign] + [booking(customer) for customer in state["customers"]])

    winners = [index for index, answer in enumerate(answers) if answer.status_code in (200, 201)]
    assert len(winners) == 1, [(a.status_code, a.text[:160]) for a in answers]
    losers = [answer for index, answer in enumerate(answers) if index not in winners]
    assert all(answer.status_code == 409 for answer in losers), [
        (a.status_code, a.text[:160]) for a in losers
    ]
    assert {error_code(answer) for answer in losers} == {"slot_unavailable"}

    order = http.get(f"/v1/orders/{order_id}", headers=bearer(state["admin"])).json()
    targets_day = _calendar(stack, target, state["day"])
    first_workers_day = _calendar(stack, first_worker, state["day"])
    if winners == [0]:  # the reassignment won: the job moved to W, nobody else got her 10:00
        assert (order["worker_id"], order["status"]) == (target, "assigned")
        assert order["timeline"][-1]["event"] == "reassigned"
        assert targets_day == {"10:00": order_id}
        assert first_workers_day == {}
    else:  # a booking won: the job stayed with the first worker, W holds the winner's booking
        booked = answers[winners[0]].json()
        assert booked["worker_id"] == target
        assert (order["worker_id"], order["timeline"][-1]["event"]) == (first_worker, "accepted")
        assert targets_day == {"10:00": booked["order_id"]}
        assert first_workers_day == {"10:00": order_id}
    # every reservation belongs to an order that is that worker's at that time: no orphans
    for worker_id, day in ((target, targets_day), (first_worker, first_workers_day)):
        for start, held_by in day.items():
            held = http.get(f"/v1/orders/{held_by}", headers=bearer(state["admin"])).json()
            assert held["worker_id"] == worker_id and held["start_at"][11:16] == start


def test_a_reassignment_racing_bookings_of_the_time_it_frees_leaves_no_orphans(
    stack: LocalStack, http: httpx.Client
) -> None:
    state = run_scene(stack, _SCENE, RACERS)
    order_id, target, first_worker = state["order_id"], state["target"], state["first_worker"]
    freed = datetime.combine(date.fromisoformat(state["day"]), time(10, 0), SHANGHAI).isoformat()

    def reassign(own: httpx.Client) -> httpx.Response:
        return own.patch(
            f"/v1/admin/orders/{order_id}", headers=bearer(state["admin"]), json={"worker_id": target}
        )

    def booking(customer: dict[str, str]) -> Any:
        body = {
            "service_id": state["service_id"],
            "address_id": customer["address_id"],
            "start_at": freed,
            "worker_id": first_worker,
        }
        return lambda own: own.post("/v1/orders", headers=bearer(customer["token"]), json=body)

    answers = _race(stack, [reassign] + [booking(customer) for customer in state["customers"]])

    assert answers[0].status_code == 200, answers[0].text
    assert (answers[0].json()["worker_id"], answers[0].json()["status"]) == (target, "assigned")
    booked = [answer.json()["order_id"] for answer in answers[1:] if answer.status_code == 201]
    assert len(booked) <= 1
    assert all(answer.status_code in (201, 409) for answer in answers[1:])
    # the job holds the new worker's time only; the first worker's time is free or one booking's
    assert _calendar(stack, target, state["day"]) == {"10:00": order_id}
    assert _calendar(stack, first_worker, state["day"]) == ({"10:00": booked[0]} if booked else {})
