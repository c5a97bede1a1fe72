"""Verification codes: sending, limits, expiry and tries."""

from __future__ import annotations

from datetime import timedelta

from chalice.test import Client

from chalicelib import clock
from tests.integration.conftest import Http, deliver_notifications
from tests.integration.helpers import code_for

PHONE = "13811112222"


def _ask(http: Http, target: str = PHONE, channel: str = "sms", purpose: str = "register") -> object:
    return http.call("POST", "/v1/auth/codes", {"channel": channel, "target": target, "purpose": purpose})


def _register(http: Http, code: str, phone: str = PHONE) -> object:
    return http.call(
        "POST",
        "/v1/auth/register",
        {"phone": phone, "code": code, "password": "secret123", "name": "王五", "role": "customer"},
    )


def test_code_is_sent_by_sms_and_stored_only_hashed(http: Http, api: Client, aws: dict[str, str]) -> None:
    sent = _ask(http)
    assert sent.status_code == 202
    assert sent.json == {"expires_in": 300}
    outbox = deliver_notifications(api, aws)
    assert [entry["target"] for entry in outbox] == ["+8613811112222"]
    code = outbox[0]["body"].split("验证码是 ")[1][:6]
    from chalicelib.models.accounts import CodeItem

    stored = [item.attribute_values for item in CodeItem.scan(CodeItem.pk.startswith("CODE#"))]
    assert stored and all(code not in str(values) for values in stored)


def test_email_code_goes_through_ses(http: Http, api: Client, aws: dict[str, str]) -> None:
    assert _ask(http, "Li.Na@Example.com", "email").status_code == 202
    outbox = deliver_notifications(api, aws)
    assert outbox[0]["target"] == "li.na@example.com"
    assert outbox[0]["channel"] == "email"
    assert outbox[0]["subject"]


def test_resend_is_limited_to_once_a_minute(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now())
    assert _ask(http).status_code == 202
    again = _ask(http)
    assert again.status_code == 429
    assert again.json["error"]["code"] == "code_resend_too_soon"
    assert 1 <= int(again.headers["Retry-After"]) <= 60
    clock.advance(timedelta(seconds=61))
    assert _ask(http).status_code == 202


def test_ten_codes_a_day_per_target(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now().replace(hour=9))
    for _ in range(10):
        assert _ask(http).status_code == 202
        clock.advance(timedelta(seconds=61))
    refused = _ask(http)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "code_daily_limit"
    assert int(refused.headers["Retry-After"]) > 3600
    clock.advance(timedelta(hours=16))
    assert _ask(http).status_code == 202


def test_code_expires_after_five_minutes(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now())
    code = code_for(http, api, aws, "sms", PHONE, "register")
    clock.advance(timedelta(minutes=5, seconds=1))
    expired = _register(http, code)
    assert expired.status_code == 422
    assert expired.json["error"]["code"] == "invalid_code"
    assert expired.json["error"]["details"][0]["field"] == "code"


def test_five_wrong_tries_void_the_code(http: Http, api: Client, aws: dict[str, str]) -> None:
    code = code_for(http, api, aws, "sms", PHONE, "register")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _register(http, wrong).status_code == 422
    assert _register(http, code).status_code == 422


def test_a_code_works_once(http: Http, api: Client, aws: dict[str, str]) -> None:
    code = code_for(http, api, aws, "sms", PHONE, "register")
    assert _register(http, code).status_code == 201
    second = _register(http, code)
    assert second.status_code in (409, 422)


def test_code_for_a_taken_phone_reveals_nothing(http: Http, api: Client, aws: dict[str, str]) -> None:
    code = code_for(http, api, aws, "sms", PHONE, "register")
    assert _register(http, code).status_code == 201
    clock.freeze(clock.now() + timedelta(minutes=2))
    again = _ask(http)
    assert again.status_code == 202
    assert again.json == {"expires_in": 300}
    latest = deliver_notifications(api, aws)[0]
    assert "已注册" in latest["body"]


def test_login_code_for_unknown_account_sends_nothing(http: Http, api: Client, aws: dict[str, str]) -> None:
    assert _ask(http, "13899990000", purpose="login").status_code == 202
    assert deliver_notifications(api, aws) == []


def test_invalid_targets_are_422(http: Http) -> None:
    bad_phone = _ask(http, "12345")
    assert bad_phone.status_code == 422
    assert bad_phone.json["error"]["details"][0]["field"] == "target"
    bad_email = _ask(http, "not-an-email", "email")
    assert bad_email.status_code == 422
    unknown_purpose = http.call("POST", "/v1/auth/codes", {"channel": "sms", "target": PHONE, "purpose": "x"})
    assert unknown_purpose.status_code == 422
    assert unknown_purpose.json["error"]["details"][0]["field"] == "purpose"


def test_a_burst_of_too_soon_requests_spends_no_daily_budget(
    http: Http, api: Client, aws: dict[str, str]
) -> None:
    clock.freeze(clock.now().replace(hour=9))
    assert _ask(http).status_code == 202
    for _ in range(15):
        assert _ask(http).json["error"]["code"] == "code_resend_too_soon"
    for _ in range(9):
        clock.advance(timedelta(seconds=61))
        assert _ask(http).status_code == 202
    clock.advance(timedelta(seconds=61))
    assert _ask(http).json["error"]["code"] == "code_daily_limit"
