"""Excessive data exposure and PII (OWASP API3:2023 data side): a run leaves no full PII behind.

One run walks the flows that handle personal data (sign-up by phone and by e-mail, sign-in, a
worker's profile with her ID number, a bank card, a withdrawal, an address, a paid order, chat and
support texts carrying a phone number, staff reads of users and workers), recording every answer,
every log line (at DEBUG) and every message sent to EventBridge, SQS, SNS, Step Functions and the
Scheduler. None may carry a full phone number, e-mail address, ID number, card number or token,
except where the contract hands it over on purpose (:data:`ALLOWED`).
"""

from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib import clock
from tests.integration.conftest import Http, deliver_notifications
from tests.integration.helpers import register
from tests.integration.payment_steps import faked_stripe, open_shop, paid_order
from tests.integration.payout_steps import add_card, available_worker, withdraw
from tests.integration.scheduling_steps import account
from tests.integration.security.pii import Capture, captured, findings
from tests.integration.worker_steps import ID_XUHUI, submitted_worker

PHONE = "13698765432"
EMAIL = "zhang.wei@example.com"
CARD = "6222021234567890128"
# (where, path or operation, kind) handed over on purpose, and why.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("response", "/v1/auth/register", "token"): "the new session's tokens, to their owner",
    ("response", "/v1/auth/login", "token"): "the session's tokens, to their owner",
    ("response", "/v1/auth/refresh", "token"): "the rotated tokens, to their owner",
    ("response", "/v1/auth/register", "phone"): "the caller's own account (API.md: user)",
    ("response", "/v1/auth/register", "e-mail"): "the caller's own account",
    ("response", "/v1/auth/login", "phone"): "the caller's own account",
    ("response", "/v1/auth/login", "e-mail"): "the caller's own account",
    ("response", "/v1/me", "phone"): "the caller's own profile (API.md: GET /v1/me)",
    ("response", "/v1/me", "e-mail"): "the caller's own profile",
    ("response", "/v1/me/addresses", "phone"): "the caller's own address book",
    ("response", "/v1/support/tickets", "phone"): "the author's own words, echoed to her",
    ("response", "/v1/support/tickets", "e-mail"): "the author's own words, echoed to her",
    ("response", "/v1/admin/tickets", "phone"): "what the author wrote to staff, for staff",
    ("response", "/v1/admin/tickets", "e-mail"): "what the author wrote to staff, for staff",
    ("message", "Publish", "phone"): "an SMS goes to its phone number",
    ("message", "SendEmail", "e-mail"): "an e-mail goes to its address",
}


def test_the_scanner_finds_each_kind_and_passes_masked_forms() -> None:
    text = f"{PHONE} {EMAIL} {ID_XUHUI} {CARD} eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2ln rt_ses_0123456789.secret"
    assert {kind for kind, _ in findings(text)} == {"phone", "e-mail", "id number", "card number", "token"}
    masked = "136****5432 z***@example.com 3101**********1234 **** **** **** 0128 eyJ*** rt_***"
    assert findings(masked) == []
    # Digits inside ids are not PII (a request id once held "13588505257"); in Chinese text they are.
    ids = "f611e42b-9401-422e-ab2f-13588505257d ord_01MCK4XQM0RS14GH51WCRVPJQC ab4111111111111111c"
    assert findings(ids) == []
    assert [kind for kind, _ in findings("请联系13588505257谢谢")] == ["phone"]


def _scan(capture: Capture) -> list[str]:
    leaks = []
    for method, path, status, body in capture.responses:
        for kind, value in findings(body):
            if ("response", path, kind) not in ALLOWED:
                leaks.append(f"response {method} {path} {status}: {kind} {value}")
    for line in capture.logs.getvalue().splitlines():
        for kind, value in findings(line):
            leaks.append(f"log: {kind} {value} in {line[:300]}")
    for operation, body in capture.messages:
        for kind, value in findings(body):
            if ("message", operation, kind) not in ALLOWED:
                leaks.append(f"message {operation}: {kind} {value} in {body[:300]}")
    return leaks


def test_a_run_leaves_no_full_pii_in_logs_answers_or_events(
    http: Http, api: Client, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stripe = next(faked_stripe(monkeypatch))
    with captured(http, monkeypatch) as capture:
        customer = register(http, api, aws, phone=PHONE, password="secret123")
        register(http, api, aws, email=EMAIL, password="secret123")
        token = customer["access_token"]
        http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "secret123"})
        http.call("POST", "/v1/auth/login", {"email": EMAIL, "password": "wrong-pass1"})
        http.call("GET", "/v1/me", token=token)
        http.call(
            "POST",
            "/v1/me/addresses",
            {
                "label": "家",
                "contact_name": "王女士",
                "contact_phone": PHONE,
                "city": "上海市",
                "district": "浦东新区",
                "detail": "世纪大道100号",
            },
            token=token,
        )
        http.call("GET", "/v1/me/addresses", token=token)
        worker_id, _ = submitted_worker(http, phone="13955551234", id_number=ID_XUHUI)
        _, worker_token = available_worker(http)
        add_card(http, worker_token, CARD)
        http.call("GET", "/v1/worker/payout-account", token=worker_token)
        withdraw(http, worker_token, 10_000)
        shop = open_shop()
        order_id, _ = paid_order(http, api, aws, stripe, shop)
        http.call("GET", f"/v1/orders/{order_id}", token=shop.token)
        http.call("POST", f"/v1/orders/{order_id}/messages", {"text": f"我的电话 {PHONE}"}, token=shop.token)
        http.call("GET", f"/v1/orders/{order_id}/messages", token=shop.token)
        ticket = {"type": "question", "subject": "退款", "body": f"请回电 {PHONE} 或 {EMAIL}"}
        http.call("POST", "/v1/support/tickets", ticket, token=shop.token)
        _, admin = account("admin", "管理员")
        http.call("GET", "/v1/admin/users", token=admin)
        http.call("GET", f"/v1/admin/users/{customer['user']['user_id']}", token=admin)
        http.call("GET", f"/v1/admin/workers/{worker_id}", token=admin)
        http.call("GET", "/v1/admin/withdrawals", token=admin)
        http.call("GET", "/v1/admin/tickets", token=admin)
        deliver_notifications(api, aws)
    clock.reset()
    assert len(capture.responses) > 20 and capture.logs.getvalue() and capture.messages
    leaks = _scan(capture)
    assert not leaks, "\n".join(leaks)
