"""Concurrent reviews of one worker against DynamoDB Local over HTTP: no rating update is lost.

Twelve finished orders of one worker are written straight into the table (booking is another
area's), then each is reviewed twice at the same moment: 24 requests on 24 threads after a
barrier. Exactly one review per order wins (the rest get 409 ``already_reviewed``), and the
worker's and the service's counts and sums equal exactly what the winners sent.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from chalicelib import clock
from local.aws import client
from local.stack import LocalStack
from tests.e2e.accounts import error_code, register

ORDERS = 12


def _put(stack: LocalStack, item: dict[str, Any]) -> None:
    typed = {
        key: {"N": str(value)}
        if isinstance(value, int)
        else {"S": value}
        if isinstance(value, str)
        else value
        for key, value in item.items()
    }
    client("dynamodb", stack.env).put_item(TableName=stack.env["TABLE_NAME"], Item=typed)


def _get(stack: LocalStack, pk: str, sk: str) -> dict[str, Any]:
    item = client("dynamodb", stack.env).get_item(
        TableName=stack.env["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )["Item"]
    return {key: Decimal(value["N"]) if "N" in value else value.get("S") for key, value in item.items()}


def _scene(stack: LocalStack, customer_id: str) -> tuple[str, str, list[str]]:
    """A verified worker, a service and ``ORDERS`` finished orders of ``customer_id`` with her."""
    tag = uuid.uuid4().hex[:10].upper()
    worker_id, service_id, now = f"usr_E2E{tag}", f"svc_E2E{tag}", clock.iso()
    _put(
        stack,
        {
            "pk": f"WORKER#{worker_id}",
            "sk": "PROFILE",
            "worker_id": worker_id,
            "name": "李阿姨",
            "status": "verified",
            "skills": {"L": [{"S": "cleaning"}]},
            "service_areas": '[{"city": "上海市", "district": "浦东新区"}]',
            "experience_years": 3,
            "level": "junior",
            "rating_count": 0,
            "rating_quality_sum": 0,
            "rating_attitude_sum": 0,
            "rating_skill_sum": 0,
            "created_at": now,
        },
    )
    _put(
        stack,
        {
            "pk": f"SERVICE#{service_id}",
            "sk": "SERVICE",
            "service_id": service_id,
            "category": "cleaning",
            "names": '{"zh-CN": "日常保洁", "en": "Routine cleaning"}',
            "descriptions": '{"zh-CN": "保洁", "en": "Cleaning"}',
            "includes": "[]",
            "price_min": 10000,
            "price_max": 10000,
            "price_unit": "per_hour",
            "duration_minutes": 120,
            "status": "active",
            "rating_sum": 0,
            "rating_count": 0,
            "order_count": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    orders = [f"ord_E2E{tag}{index:03d}" for index in range(ORDERS)]
    for order_id in orders:
        _put(
            stack,
            {
                "pk": f"ORDER#{order_id}",
                "sk": "ORDER",
                "order_id": order_id,
                "customer_id": customer_id,
                "worker_id": worker_id,
                "service_id": service_id,
                "category": "cleaning",
                "status": "finished",
                "address": '{"city": "上海市", "district": "浦东新区"}',
                "price_amount": 20000,
                "start_at": now,
                "end_at": now,
                "duration_minutes": 120,
                "created_at": now,
            },
        )
    return worker_id, service_id, orders


def test_concurrent_reviews_of_one_worker_lose_no_update(stack: LocalStack, http: httpx.Client) -> None:
    customer = register(http, name="王小红")
    worker_id, service_id, orders = _scene(stack, customer.user_id)
    # two tries per order, with stars that differ per request, fired together
    attempts = [(order_id, copy) for order_id in orders for copy in range(2)]
    stars = [
        {"quality": 1 + index % 5, "attitude": 1 + (index * 2) % 5, "skill": 1 + (index * 3) % 5}
        for index in range(len(attempts))
    ]
    start = threading.Barrier(len(attempts))

    def one(index: int) -> httpx.Response:
        with httpx.Client(base_url=stack.base_url, timeout=60) as racer:
            racer.get("/v1/health")
            start.wait(timeout=30)
            order_id, _ = attempts[index]
            return racer.post(f"/v1/orders/{order_id}/review", json=stars[index], headers=customer.headers)

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        responses = list(pool.map(one, range(len(attempts))))

    described = "; ".join(f"{r.status_code} {r.text[:120]}" for r in responses)
    assert Counter(r.status_code for r in responses) == {201: ORDERS, 409: ORDERS}, described
    assert {error_code(r) for r in responses if r.status_code == 409} == {"already_reviewed"}
    winners = [stars[index] for index, r in enumerate(responses) if r.status_code == 201]
    assert sorted(r.json()["order_id"] for r in responses if r.status_code == 201) == sorted(orders)

    profile = _get(stack, f"WORKER#{worker_id}", "PROFILE")
    assert profile["rating_count"] == ORDERS
    for aspect in ("quality", "attitude", "skill"):
        assert profile[f"rating_{aspect}_sum"] == sum(s[aspect] for s in winners), aspect
    service = _get(stack, f"SERVICE#{service_id}", "SERVICE")
    assert service["rating_count"] == ORDERS
    assert service["rating_points_sum"] == sum(sum(s.values()) for s in winners)
    assert service["rating_sum"] == sum(Decimal(str(round(sum(s.values()) / 3, 4))) for s in winners)

    listed = http.get(f"/v1/workers/{worker_id}/reviews", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert sorted(item["order_id"] for item in items) == sorted(orders)
    assert [item["created_at"] for item in items] == sorted(
        (item["created_at"] for item in items), reverse=True
    )
    assert {item["reviewer"] for item in items} == {"王**"}
    assert customer.phone and customer.phone not in listed.text and "王小红" not in listed.text
