"""Shared steps of the worker onboarding and review tests.

Accounts are created directly (``create_user`` + ``open_session``) rather than by the code flow,
which the account tests cover: these tests are about what happens after sign-up.
"""

from __future__ import annotations

from typing import Any

import requests

from chalicelib.accounts.sessions import open_session
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from tests.integration.conftest import Http

# Valid GB 11643 numbers (checksums verified): Pudong-born 1985, Xuhui-born 1990, Jing'an 1978.
ID_PUDONG = "310115198503121234"
ID_XUHUI = "310104199007081232"
ID_JINGAN = "310106197809211231"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def account(
    role: str, *, phone: str | None = None, email: str | None = None, name: str = "李阿姨"
) -> tuple[str, str]:
    """A new account and an access token of its first session: ``(user_id, token)``."""
    user = create_user(target_from(phone=phone, email=email), "secret123", name, role)
    return user.user_id, open_session(user.user_id, role).access_token


def profile_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "real_name": "李秀英",
        "id_number": ID_PUDONG,
        "skills": ["cleaning", "nanny"],
        "experience_years": 6,
        "bio": "六年家政经验，擅长收纳与做饭。",
        "service_areas": [
            {"city": "上海市", "district": "浦东新区"},
            {"city": "上海市", "district": "徐汇区"},
        ],
        "home_location": {"lat": 31.2222, "lng": 121.5444},
    }
    body.update(changes)
    return body


def new_certificate(http: Http, token: str, *, kind: str = "housekeeping_cert", content: bytes = PDF) -> Any:
    """Ask for an upload slot for ``content`` as a PDF; returns the 201 response."""
    response = http.call(
        "POST",
        "/v1/worker/certificates",
        {
            "kind": kind,
            "file_name": "家政服务员证.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(content),
        },
        token=token,
    )
    assert response.status_code == 201, response.json
    return response


def upload(slot: dict[str, Any], content: bytes = PDF) -> None:
    """PUT the file to the presigned URL as the app would (moto intercepts the request)."""
    answer = requests.put(slot["upload_url"], data=content, headers=slot["headers_to_send"], timeout=10)
    assert answer.status_code == 200, answer.text


def submitted_worker(
    http: Http, *, phone: str, id_number: str, name: str = "李阿姨", **changes: Any
) -> tuple[str, str]:
    """A worker with a complete profile and one uploaded certificate, under review."""
    worker_id, token = account("worker", phone=phone, name=name)
    saved = http.call("PUT", "/v1/worker/profile", profile_body(id_number=id_number, **changes), token=token)
    assert saved.status_code == 200, saved.json
    upload(new_certificate(http, token).json)
    submitted = http.call("POST", "/v1/worker/profile/submit", token=token)
    assert submitted.status_code == 202, submitted.json
    return worker_id, token
