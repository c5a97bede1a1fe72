"""The catalog over HTTP on the local stack: an operator's admin adds a service, customers find it
in the filtered list, retiring it takes it off the list while its page stays readable.
"""

from __future__ import annotations

import random
from typing import Any

import httpx

from local.stack import LocalStack
from tests.e2e.accounts import new_admin


def _listed(http: httpx.Client, params: dict[str, Any]) -> list[str]:
    response = http.get("/v1/services", params=params)
    assert response.status_code == 200, response.text
    return [item["service_id"] for item in response.json()["items"]]


def test_admin_adds_a_service_customers_find_it_and_retiring_unlists_it(
    stack: LocalStack, http: httpx.Client
) -> None:
    headers = new_admin(stack, http, "目录管理员").headers
    # A price no other test uses, so the filtered list holds this service alone.
    price = random.randrange(1_000_000, 9_000_000)
    body = {
        "category": "home_repair",
        "sub_type": "locks",
        "name": {"zh-CN": "智能锁安装", "en": "Smart lock fitting"},
        "description": {"zh-CN": "指纹锁、密码锁上门安装", "en": "Fingerprint and keypad locks fitted"},
        "includes": [{"zh-CN": "拆旧锁", "en": "Old lock removed"}],
        "price_min": price,
        "price_max": price + 10_000,
        "price_unit": "per_visit",
        "duration_minutes": 90,
    }
    created = http.post("/v1/admin/services", json=body, headers=headers)
    assert created.status_code == 201, created.text
    service_id = created.json()["service_id"]

    wanted = {"category": "home_repair", "min_price": price + 5_000, "max_price": price + 5_000}
    assert _listed(http, wanted) == [service_id]
    assert _listed(http, {**wanted, "category": "cleaning"}) == []
    found = http.get(f"/v1/services/{service_id}", headers={"Accept-Language": "en"}).json()
    assert (found["name"], found["price_min"], found["currency"]) == ("Smart lock fitting", price, "CNY")

    customer_refused = http.delete(f"/v1/admin/services/{service_id}")
    assert customer_refused.status_code == 401
    retired = http.delete(f"/v1/admin/services/{service_id}", headers=headers)
    assert retired.status_code == 204, retired.text

    assert _listed(http, wanted) == []
    still_there = http.get(f"/v1/services/{service_id}")
    assert still_there.status_code == 200
    assert (still_there.json()["status"], still_there.json()["name"]) == ("retired", "智能锁安装")
    edit = http.patch(f"/v1/admin/services/{service_id}", json={"price_max": price + 1}, headers=headers)
    assert edit.status_code == 409
    assert edit.json()["error"]["code"] == "service_retired"
