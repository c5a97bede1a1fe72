"""Twenty verified workers accept one pool order at once, over HTTP on the local stack.

Exactly one wins (200, the order ``assigned`` to her); every other gets 409 ``already_taken``;
afterwards only the winner holds a reservation for it. The state (twenty verified workers with
hours in the order's district, a service, a customer whose order is booked without a worker and
paid) is written straight into the stack's DynamoDB by a subprocess using the app's own code
against ``stack.env``, as in ``test_booking_race``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import bearer, error_code
from tests.e2e.scenes import connect, run_scene

WORKERS = 20

_SCENE = r"""
from chalicelib.orders import payment_port
from chalicelib.orders.booking import BookOrder, book_order

workers = []
for index in range(count):
    worker = verified_worker(f"阿姨{index}")
    workers.append({"worker_id": worker.user_id, "token": open_session(worker.user_id, "worker").access_token})
service = cleaning_service()
customer, address = customer_at_home("客户")
day = (clock.now() + timedelta(days=2)).date()
start = datetime.combine(day, time(10, 0), tzinfo=clock.SHANGHAI)
order, _ = book_order(BookOrder(customer_id=customer.user_id, service_id=service, address_id=address, start_at=start))
payment_port.mark_paid(order.order_id, "pi_race")
print(json.dumps({"workers": workers, "order_id": order.order_id, "day": str(day)}))
"""


def test_twenty_concurrent_accepts_of_one_pool_order_have_one_winner(stack: LocalStack) -> None:
    state = run_scene(stack, _SCENE, WORKERS)
    workers = list(state["workers"])  # type: ignore[call-overload]
    order_id, day = str(state["order_id"]), str(state["day"])
    barrier = threading.Barrier(WORKERS)

    def attempt(index: int) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)  # connect first, so the barrier releases requests, not handshakes
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
