"""Shared steps of the account tests: ask for a code, read it from the outbox, register."""

from __future__ import annotations

import re
from typing import Any

from chalice.test import Client

from tests.integration.conftest import Http, deliver_notifications

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def code_for(http: Http, api: Client, urls: dict[str, str], channel: str, target: str, purpose: str) -> str:
    sent = http.call("POST", "/v1/auth/codes", {"channel": channel, "target": target, "purpose": purpose})
    assert sent.status_code == 202, sent.json
    outbox = deliver_notifications(api, urls)
    for entry in outbox:
        match = _CODE.search(entry["body"])
        if match and (entry["target"].endswith(target[-8:]) or entry["target"] == target.lower()):
            return match.group(1)
    raise AssertionError(f"no code sent to {target}: {outbox}")


def register(
    http: Http,
    api: Client,
    urls: dict[str, str],
    *,
    phone: str | None = None,
    email: str | None = None,
    role: str = "customer",
    password: str = "secret123",
    name: str = "测试用户",
) -> dict[str, Any]:
    channel, target = ("sms", phone) if phone else ("email", email)
    assert target
    code = code_for(http, api, urls, channel, target, "register")
    body: dict[str, Any] = {"code": code, "password": password, "name": name, "role": role}
    body["phone" if phone else "email"] = target
    response = http.call("POST", "/v1/auth/register", body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def sqs_record(message: dict[str, Any], queue: str) -> dict[str, Any]:
    """The Lambda event record of ``message`` as ``ReceiveMessage`` gave it (attributes and all)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:ap-southeast-1:123456789012:{queue}",
        "awsRegion": "ap-southeast-1",
    }
