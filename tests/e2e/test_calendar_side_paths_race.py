"""Races on the side paths that change a worker's calendar (cal.com's double bookings came from
exactly these): a reschedule into a time others are booking, and a cancellation racing
bookings of the time it frees. Afterwards the worker's calendar must match the orders exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from threading import Barrier
from zoneinfo import ZoneInfo

import httpx

from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import bearer
from tests.e2e.scenes import connect, run_scene

SHANGHAI = ZoneInfo("Asia/Shanghai")
RACERS = 16

_SCENE = r"""
from chalicelib.orders.booking import BookOrder, book_order

worker = verified_worker("李阿姨")
service = cleaning_service()
day = (clock.now() + timedelta(days=3)).date()
owner, owner_address = customer_at_home("改期客户")
first, _ = book_order(BookOrder(customer_id=owner.user_id, service_id=service, address_id=owner_address,
    start_at=datetime.combine(day, time(9, 0), tzinfo=clock.SHANGHAI), worker_id=worker.user_id))
customers = []
for index in range(count):
    customer, address = customer_at_home(f"客户{index}")
    customers.append({"token": open_session(customer.user_id, "customer").access_token, "address_id": address})
print(json.dumps({"worker_id": worker.user_id, "service_id": service, "day": str(day),
    "order_id": first.order_id, "owner": open_session(owner.user_id, "customer").access_token,
    "customers": customers}))
"""


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour, 0), SHANGHAI).isoformat()


def _race(stack: LocalStack, calls: list) -> list[httpx.Response]:  # type: ignore[type-arg]
    barrier = Barrier(len(calls))

    def run(call) -> httpx.Response:  # type: ignore[no-untyped-def]
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)
            barrier.wait(timeout=60)
            return call(own)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _calendar(stack: LocalStack, worker_id: str, day: str) -> dict[str, str]:
    """Reservation start -> order id, straight from the worker-day partition."""
    items = client("dynamodb", stack.env).query(
        TableName=stack.env["TABLE_NAME"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
        ExpressionAttributeValues={":pk": {"S": f"CAL#{worker_id}#{day}"}, ":day": {"S": day}},
        ConsistentRead=True,
    )["Items"]
    return {item["start"]["S"][:16]: item["order_id"]["S"] for item in items}


def _book(customer: dict[str, str], state: dict, start: str):  # type: ignore[no-untyped-def,type-arg]
    body = {
        "service_id": state["service_id"],
        "address_id": customer["address_id"],
        "start_at": start,
        "worker_id": state["worker_id"],
    }
    return lambda own: own.post("/v1/orders", headers=bearer(customer["token"]), json=body)


def test_a_reschedule_and_bookings_racing_for_one_time_have_one_winner(stack: LocalStack) -> None:
    state = run_scene(stack, _SCENE, RACERS)
    day = date.fromisoformat(state["day"])
    wanted = _at(day, 14)
    move = lambda own: own.post(  # noqa: E731
        f"/v1/orders/{state['order_id']}/reschedule",
        headers=bearer(state["owner"]),
        json={"start_at": wanted},
    )
    answers = _race(stack, [move] + [_book(customer, state, wanted) for customer in state["customers"]])

    winners = [index for index, answer in enumerate(answers) if answer.status_code in (200, 201)]
    assert len(winners) == 1, [(a.status_code, a.text[:120]) for a in answers]
    assert all(answers[i].status_code == 409 for i in range(len(answers)) if i not in winners)
    calendar = _calendar(stack, state["worker_id"], state["day"])
    if winners == [0]:  # the reschedule won: the job moved, 09:00 is free
        assert calendar == {f"{state['day']}T14:00": state["order_id"]}
    else:  # a booking won: the job stayed at 09:00
        assert calendar == {
            f"{state['day']}T09:00": state["order_id"],
            f"{state['day']}T14:00": answers[winners[0]].json()["order_id"],
        }


def test_a_cancellation_racing_bookings_of_the_time_it_frees_leaves_no_orphans(stack: LocalStack) -> None:
    state = run_scene(stack, _SCENE, RACERS)
    day = date.fromisoformat(state["day"])
    freed = _at(day, 9)
    cancel = lambda own: own.post(  # noqa: E731
        f"/v1/orders/{state['order_id']}/cancel", headers=bearer(state["owner"]), json={"reason": "改主意了"}
    )
    answers = _race(stack, [cancel] + [_book(customer, state, freed) for customer in state["customers"]])

    assert answers[0].status_code == 200, answers[0].text
    booked = [answer.json()["order_id"] for answer in answers[1:] if answer.status_code == 201]
    assert len(booked) <= 1
    assert all(answer.status_code in (201, 409) for answer in answers[1:])
    calendar = _calendar(stack, state["worker_id"], state["day"])
    # the cancelled order holds nothing; a booking that won holds exactly its own time
    assert calendar == ({f"{state['day']}T09:00": booked[0]} if booked else {})
