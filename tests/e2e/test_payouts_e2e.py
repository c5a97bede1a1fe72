"""Earnings to payout over HTTP on the local stack, as the README's walk-through does it.

A worker's completed order shows as pending earnings; moving the clock past the dispute window
makes them available; she adds a bank card and withdraws; an admin approves; moving the clock
past 02:00 (Asia/Shanghai) lets the local runner fire the daily schedule, which starts the
payout-run state machine in moto with our step code; the run is listed with its report in S3;
moving the clock again pays nothing twice. And eight concurrent withdrawals of a whole balance:
exactly one succeeds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx

from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import bearer, clock_restored, error_code, new_admin
from tests.e2e.scenes import connect, run_scene
from tests.e2e.test_order_walkthrough_e2e import Walk
from tests.e2e.test_order_workflow_e2e import eventually

CARD = "6222021234567890128"
PRICE = 20_000  # 100 CNY an hour, two hours
NET = 16_000  # after the 20 % commission

_SCENE = r"""
from chalicelib.catalog.services import create_service
worker = verified_worker("李阿姨")
service = create_service(
    {"category": "cleaning", "sub_type": None, "name": {"zh-CN": "日常保洁", "en": "Cleaning"},
     "description": {"zh-CN": "保洁", "en": "Cleaning"}, "includes": [], "price_min": 10000, "price_max": 10000,
     "price_unit": "per_hour", "duration_minutes": 120},
    actor=Actor(user_id="usr_admin", role="admin"),
).service_id
customer, address = customer_at_home("王女士")
start = (clock.now() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
print(json.dumps({"service_id": service, "address_id": address, "start": start.isoformat(),
    "worker_id": worker.user_id, "worker_phone": worker.phone, "customer_phone": customer.phone}))
"""

_RICH_WORKERS = r"""
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.orders import OrderItem
from chalicelib.payments import ledger
from chalicelib.payouts.accounts import set_bank_account
workers = []
for index in range(count):
    worker = verified_worker(f"阿姨{index}")
    order_id = new_id("ord")
    done = clock.now() - timedelta(days=3)
    OrderItem(*OrderItem.key(order_id), order_id=order_id, customer_id="usr_x", worker_id=worker.user_id,
        service_id="svc_x", category="cleaning", status="completed", address={}, price_amount=20000,
        start_at=clock.iso(done), end_at=clock.iso(done), duration_minutes=120, created_at=clock.iso(done)).save()
    with transact_write() as tx:
        ledger.record_completion(tx, order_id=order_id, worker_id=worker.user_id, amount=20000, at=clock.iso(done))
    set_bank_account(worker.user_id, "招商银行", "李秀英", "6222021234567890128")
    workers.append({"worker_id": worker.user_id, "token": open_session(worker.user_id, "worker").access_token})
print(json.dumps({"workers": workers}))
"""


def completed_order(http: httpx.Client, walk: Walk, scene: dict[str, Any]) -> str:
    """Book, pay (local provider), accept, do and confirm the job: the order is ``completed``."""
    booked = http.post(
        "/v1/orders",
        json={k: scene[k] for k in ("service_id", "address_id", "worker_id")} | {"start_at": scene["start"]},
        headers=walk.customer(),
    )
    assert booked.status_code == 201, booked.text
    order_id = str(booked.json()["order_id"])
    paying = http.post(f"/v1/orders/{order_id}/pay", json={"method": "wechat_pay"}, headers=walk.customer())
    assert paying.status_code == 201, paying.text
    paid = http.post(
        f"/v1/dev/payments/{paying.json()['payment_id']}/complete", json={"outcome": "succeeded"}
    )
    assert paid.status_code == 202, paid.text
    walk.wait_for_status(order_id, "paid")
    walk.work(order_id, "accept")
    walk.advance_to(datetime.fromisoformat(scene["start"]) - timedelta(minutes=30))
    code = walk.order(order_id)["check_in_code"]
    walk.work(order_id, "progress", {"event": "departed"})
    walk.work(order_id, "progress", {"event": "arrived", "lat": 31.2304, "lng": 121.4737})
    walk.work(order_id, "progress", {"event": "started", "check_in_code": code})
    walk.work(order_id, "progress", {"event": "finished"})
    confirmed = http.post(f"/v1/orders/{order_id}/confirm", headers=walk.customer())
    assert confirmed.status_code == 200, confirmed.text
    return order_id


def now_of(http: httpx.Client) -> datetime:
    return datetime.fromisoformat(http.get("/v1/dev/clock").json()["now"])


def next_two_oclock(after: datetime) -> datetime:
    at = after.replace(hour=2, minute=5, second=0, microsecond=0)
    return at if at > after else at + timedelta(days=1)


def test_earnings_to_a_paid_withdrawal_and_nothing_paid_twice(stack: LocalStack, http: httpx.Client) -> None:
    scene = run_scene(stack, _SCENE, 0)
    walk = Walk(http, scene)
    with clock_restored(stack):
        order_id = completed_order(http, walk, scene)
        earned = http.get("/v1/worker/earnings", headers=walk.worker()).json()
        assert (earned["pending"], earned["available"], earned["withdrawn"]) == (NET, 0, 0)
        assert [(i["order_id"], i["gross"], i["net"], i["status"]) for i in earned["items"]] == [
            (order_id, PRICE, NET, "pending")
        ]

        walk.advance_to(now_of(http) + timedelta(days=2, minutes=5))  # past the dispute window
        earned = http.get("/v1/worker/earnings", headers=walk.worker()).json()
        assert (earned["pending"], earned["available"]) == (0, NET)

        card = {
            "type": "bank_account",
            "bank_name": "招商银行",
            "account_name": "李秀英",
            "account_number": CARD,
        }
        added = http.put("/v1/worker/payout-account", json=card, headers=walk.worker())
        assert (added.status_code, added.json()["account_number"]) == (200, "**** 0128"), added.text
        asked = http.post("/v1/worker/withdrawals", json={"amount": 15_000}, headers=walk.worker())
        assert asked.status_code == 201, asked.text
        withdrawal_id = asked.json()["withdrawal_id"]
        admin = new_admin(stack, http)
        approved = http.post(f"/v1/admin/withdrawals/{withdrawal_id}/approve", json={}, headers=admin.headers)
        assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text

        # Past 02:00 forty days on: a run date no other test of the session reaches (execution names
        # are per date, and the session's other tests move the clock a few days at most).
        due = next_two_oclock(now_of(http) + timedelta(days=40))
        walk.advance_to(due)

        def paid() -> dict[str, Any] | None:
            mine = http.get("/v1/worker/withdrawals", headers=walk.worker()).json()["items"][0]
            return mine if mine["status"] == "paid" else None

        run_id = eventually(paid, timeout=60)["run_id"]
        earned = http.get("/v1/worker/earnings", headers=walk.worker()).json()
        assert (earned["available"], earned["withdrawn"]) == (NET - 15_000, 15_000)
        admin = new_admin(stack, http)

        def finished(run_date: str) -> Callable[[], dict[str, Any] | None]:
            def probe() -> dict[str, Any] | None:
                runs = http.get("/v1/admin/payout-runs?limit=100", headers=admin.headers).json()["items"]
                mine = [r for r in runs if r["run_date"] == run_date and r["status"] == "completed"]
                return mine[0] if mine else None

            return probe

        run_date = f"{run_id[3:7]}-{run_id[7:9]}-{run_id[9:]}"
        listed = eventually(finished(run_date), timeout=60)
        assert listed["totals"]["paid_count"] == 1 and listed["totals"]["paid_amount"] == 15_000
        detail = http.get(f"/v1/admin/payout-runs/{run_id}", headers=admin.headers).json()
        assert detail["paid"] == [{"withdrawal_id": withdrawal_id, "amount": 15_000, "fee": 0}]
        report = client("s3", stack.env).get_object(
            Bucket=stack.env["EXPORTS_BUCKET"], Key=f"payouts/{run_date}/report.json"
        )
        assert json.loads(report["Body"].read())["paid"][0]["withdrawal_id"] == withdrawal_id

        walk.advance_to(next_two_oclock(now_of(http)))  # the next night's run
        next_date = (due + timedelta(days=1)).date().isoformat()
        admin = new_admin(stack, http)
        assert eventually(finished(next_date), timeout=60)["totals"]["paid_count"] == 0
        earned = http.get("/v1/worker/earnings", headers=walk.worker()).json()
        assert (earned["available"], earned["withdrawn"]) == (NET - 15_000, 15_000)


def test_eight_concurrent_withdrawals_of_the_whole_balance_have_one_winner(stack: LocalStack) -> None:
    [worker] = run_scene(stack, _RICH_WORKERS, 1)["workers"]
    barrier = threading.Barrier(8)

    def attempt(index: int) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as own:
            connect(own)
            barrier.wait(timeout=60)
            return own.post("/v1/worker/withdrawals", json={"amount": NET}, headers=bearer(worker["token"]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(201) == 1, [(a.status_code, a.text[:200]) for a in answers]
    assert statuses.count(409) == 7
    assert {error_code(a) for a in answers if a.status_code == 409} == {"insufficient_balance"}
    with httpx.Client(base_url=stack.base_url, timeout=10) as http:
        earned = http.get("/v1/worker/earnings", headers=bearer(worker["token"])).json()
    assert (earned["available"], earned["in_withdrawal"]) == (0, NET)
