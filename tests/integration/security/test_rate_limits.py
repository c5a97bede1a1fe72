"""Unrestricted resource consumption and sensitive flows (OWASP API4:2023 and API6:2023).

OTP guessing is bounded per code (``code_max_tries``) and per target (``codes_per_target_per_day``
codes a day, whatever the purpose): at most 50 guesses a day against one phone, so a 6-digit code
falls to a day of guessing with probability 5e-5. Sign-in locks an identifier after five
failures; booking and withdrawal requests are limited per caller (429 with ``Retry-After``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.policy import POLICY
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import create_user
from tests.integration.conftest import Http, deliver_notifications
from tests.integration.payout_steps import available_worker, withdraw
from tests.integration.test_admin_orders import Scene
from tests.integration.test_admin_orders import scene as scene

PHONE = "13712345678"


def _ask_code(http: Http) -> Any:
    return http.call("POST", "/v1/auth/codes", {"channel": "sms", "target": PHONE, "purpose": "login"})


def test_a_day_of_code_guessing_gets_at_most_fifty_guesses(
    http: Http, api: Client, aws: dict[str, str]
) -> None:
    create_user(target_from(phone=PHONE), "secret123", "王女士", "customer")
    clock.freeze(clock.now().replace(hour=0, minute=5))
    checked = 0
    try:
        while (asked := _ask_code(http)).status_code == 202:
            deliver_notifications(api, aws)
            for guess in range(POLICY.code_max_tries + 2):
                answer = http.call("POST", "/v1/auth/login", {"phone": PHONE, "code": f"{guess:06d}"})
                assert answer.status_code in (401, 429), answer.json
                checked += answer.status_code == 401
            clock.advance(timedelta(minutes=POLICY.login_lock_seconds // 60 + 1))
        assert asked.status_code == 429 and asked.json["error"]["code"] == "code_daily_limit"
    finally:
        clock.reset()
    bound = POLICY.code_max_tries * POLICY.codes_per_target_per_day
    assert checked <= bound == 50


def test_a_code_is_void_after_its_tries(http: Http, api: Client, aws: dict[str, str]) -> None:
    from tests.integration.helpers import code_for

    create_user(target_from(phone=PHONE), "secret123", "王女士", "customer")
    code = code_for(http, api, aws, "sms", PHONE, "login")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(POLICY.code_max_tries):
        http.call("POST", "/v1/auth/login", {"phone": PHONE, "code": wrong})
    clock.freeze(clock.now() + timedelta(seconds=POLICY.login_lock_seconds + 1))  # past any lock
    try:
        right = http.call("POST", "/v1/auth/login", {"phone": PHONE, "code": code})
    finally:
        clock.reset()
    assert right.status_code == 401, right.json


def test_sign_in_locks_after_five_failures(http: Http, aws: dict[str, str]) -> None:
    create_user(target_from(phone=PHONE), "secret123", "王女士", "customer")
    answers = [
        http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "wrong-pass1"}).status_code
        for _ in range(POLICY.login_max_failures + 1)
    ]
    assert answers == [401] * POLICY.login_max_failures + [429]
    locked = http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "secret123"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_booking_attempts_are_limited_per_customer(http: Http, scene: Scene) -> None:
    token = scene.token(scene.customer_id)
    body = {
        "service_id": scene.service_id,
        "address_id": scene.address_id,
        "start_at": "2020-01-01T10:00:00+08:00",
    }
    answers = [
        http.call("POST", "/v1/orders", body, token=token)
        for _ in range(POLICY.bookings_per_customer_per_minute + 1)
    ]
    assert {a.status_code for a in answers[:-1]} == {422}  # refused for the past start, but counted
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) <= 60
    clock.advance(timedelta(seconds=61))
    assert http.call("POST", "/v1/orders", body, token=token).status_code == 422  # a new minute


def test_withdrawal_requests_are_limited_per_worker(http: Http, aws: dict[str, str]) -> None:
    _, token = available_worker(http)
    answers = [
        withdraw(http, token, 1).status_code for _ in range(POLICY.withdrawals_per_worker_per_hour + 1)
    ]
    assert answers[:-1] == [422] * POLICY.withdrawals_per_worker_per_hour  # below the minimum
    assert answers[-1] == 429
