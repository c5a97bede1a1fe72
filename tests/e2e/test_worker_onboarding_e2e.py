"""Worker onboarding over HTTP on the local stack, as the worker app and the admin console do it.

A worker signs up by e-mail code, fills in the profile, uploads a certificate straight to the
(moto) S3 bucket with the presigned URL, and submits; an operator creates an admin with the CLI;
the admin finds the worker in the review queue, downloads the file and approves; the worker is
verified, told so in the app's inbox and by e-mail.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

import httpx

from chalicelib.workers.id_number import check_digit
from local.stack import LocalStack
from tests.e2e.accounts import bearer, error_code, new_admin, register, unique_email, unique_phone

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _id_number() -> str:
    """A valid, made-up Shanghai (Xuhui) ID number, different in every run."""
    body = f"310104{random.randint(1960, 2000)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}"
    body += f"{random.randint(0, 999):03d}"
    return body + check_digit(body)


def _wait_for_mail(http: httpx.Client, target: str, text: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        items = http.get("/v1/dev/outbox", params={"target": target}).json()["items"]
        found = [item for item in items if text in item["body"]]
        if found:
            return dict(found[0])
        assert time.monotonic() < deadline, f"no message containing {text!r} reached {target}: {items}"
        time.sleep(0.1)


def test_worker_onboarding_and_approval(stack: LocalStack, http: httpx.Client) -> None:
    email = unique_email("ayi")
    worker = register(http, email=email, role="worker", name="李阿姨")
    headers = worker.headers
    id_number = _id_number()

    saved = http.put(
        "/v1/worker/profile",
        headers=headers,
        json={
            "real_name": "李秀英",
            "id_number": id_number,
            "skills": ["cleaning", "elder_care"],
            "experience_years": 5,
            "bio": "五年保洁与老人陪护经验。",
            "service_areas": [{"city": "上海市", "district": "徐汇区"}],
            "home_location": {"lat": 31.1880, "lng": 121.4370},
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["id_number"] == f"{id_number[:4]}**********{id_number[-4:]}"
    assert id_number not in saved.text

    refused = http.post("/v1/worker/profile/submit", headers=headers)
    assert refused.status_code == 409, refused.text
    assert error_code(refused) == "certificate_required"

    slot = http.post(
        "/v1/worker/certificates",
        headers=headers,
        json={
            "kind": "health_certificate",
            "file_name": "健康证.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(PDF),
        },
    )
    assert slot.status_code == 201, slot.text
    upload = slot.json()
    assert upload["upload_url"].startswith(stack.moto_url)
    put = httpx.put(upload["upload_url"], content=PDF, headers=upload["headers_to_send"], timeout=10)
    assert put.status_code == 200, put.text

    submitted = http.post("/v1/worker/profile/submit", headers=headers)
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["status"] == "pending_review"
    assert [c["status"] for c in submitted.json()["certificates"]] == ["uploaded"]

    admin = new_admin(stack, http, "审核员").headers
    queue = http.get("/v1/admin/workers", params={"status": "pending_review", "limit": 100}, headers=admin)
    assert queue.status_code == 200, queue.text
    assert worker.user_id in [item["worker_id"] for item in queue.json()["items"]]
    detail = http.get(f"/v1/admin/workers/{worker.user_id}", headers=admin)
    assert detail.status_code == 200, detail.text
    assert id_number not in detail.text
    downloaded = httpx.get(detail.json()["certificates"][0]["download_url"], timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF

    approved = http.post(f"/v1/admin/workers/{worker.user_id}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "verified"
    again = http.post(f"/v1/admin/workers/{worker.user_id}/approve", headers=admin)
    assert again.status_code == 409
    assert error_code(again) == "invalid_worker_status"

    mine = http.get("/v1/worker/profile", headers=headers).json()
    assert (mine["status"], mine["level"]) == (
        "verified",
        "junior",
    )  # the health certificate is no qualification
    inbox = http.get("/v1/me/notifications", headers=bearer(worker.access_token)).json()["items"]
    assert [entry["kind"] for entry in inbox] == ["worker.approved"]
    assert "认证已通过" in _wait_for_mail(http, email.lower(), "认证已通过")["body"]

    # The worker opens her week; a customer then finds her and books-to-be slots show live.
    week = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    hours = http.put("/v1/worker/availability", headers=headers, json={"weekly": week, "exceptions": []})
    assert hours.status_code == 200, hours.text
    _find_and_see_slots(http, admin, worker.user_id)


def _find_and_see_slots(http: httpx.Client, admin: dict[str, str], worker_id: str) -> None:
    service = http.post(
        "/v1/admin/services",
        headers=admin,
        json={
            "category": "cleaning",
            "sub_type": "routine",
            "name": {"zh-CN": "日常保洁 3 小时", "en": "Regular cleaning, 3 hours"},
            "description": {"zh-CN": "客厅卧室厨房卫生间", "en": "Living room, bedrooms, kitchen, bathroom"},
            "includes": [{"zh-CN": "地面清洁", "en": "Floors"}],
            "price_min": 15_000,
            "price_max": 15_000,
            "price_unit": "per_visit",
            "duration_minutes": 180,
        },
    )
    assert service.status_code == 201, service.text
    service_id = service.json()["service_id"]

    customer = register(http, phone=unique_phone(), role="customer", name="王女士")
    address = http.post(
        "/v1/me/addresses",
        headers=customer.headers,
        json={
            "contact_name": "王女士",
            "contact_phone": "13800001111",
            "city": "上海市",
            "district": "徐汇区",
            "detail": "漕溪北路 88 号",
            "lat": 31.1920,
            "lng": 121.4400,
        },
    )
    assert address.status_code == 201, address.text

    found = http.get(
        "/v1/workers",
        params={
            "category": "cleaning",
            "city": "上海市",
            "district": "徐汇区",
            "sort": "rating",
            "limit": 100,
        },
    )
    assert found.status_code == 200, found.text
    assert worker_id in [item["worker_id"] for item in found.json()["items"]]
    nearby = http.get(
        "/v1/workers",
        headers=customer.headers,
        params={
            "category": "cleaning",
            "city": "上海市",
            "district": "徐汇区",
            "sort": "distance",
            "address_id": address.json()["address_id"],
        },
    )
    assert nearby.status_code == 200, nearby.text
    assert worker_id in [item["worker_id"] for item in nearby.json()["items"]]

    public = http.get(f"/v1/workers/{worker_id}")
    assert public.status_code == 200, public.text
    profile = public.json()
    assert profile["level"] == "junior"
    assert profile["rating"]["count"] == 0
    assert "id_number" not in profile

    day = (clock_today(http) + dt.timedelta(days=2)).isoformat()
    slots = http.get(
        f"/v1/workers/{worker_id}/slots",
        headers=customer.headers,
        params={"service_id": service_id, "date": day, "address_id": address.json()["address_id"]},
    )
    assert slots.status_code == 200, slots.text
    starts = [slot["start_at"] for slot in slots.json()["slots"]]
    assert starts, slots.text
    assert starts[0].startswith(f"{day}T08:00")
    assert starts[-1].startswith(f"{day}T15:00")  # 3 hours of work must end by 18:00


def clock_today(http: httpx.Client) -> dt.date:
    """Today on the platform's (local, movable) clock."""
    return dt.datetime.fromisoformat(http.get("/v1/dev/clock").json()["now"]).date()
