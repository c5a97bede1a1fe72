"""Access and refresh tokens: expiry, rotation, replay, logout, password change and reset."""

from __future__ import annotations

from datetime import timedelta

from chalice.test import Client

from chalicelib import clock
from tests.integration.conftest import Http
from tests.integration.helpers import code_for, register

PHONE = "13833334444"


def _refresh(http: Http, token: str) -> object:
    return http.call("POST", "/v1/auth/refresh", {"refresh_token": token})


def test_access_token_expires_after_fifteen_minutes(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now())
    account = register(http, api, aws, phone=PHONE)
    assert http.call("GET", "/v1/me", token=account["access_token"]).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=1))
    expired = http.call("GET", "/v1/me", token=account["access_token"])
    assert expired.status_code == 401
    assert expired.json["error"]["code"] == "token_expired"
    renewed = _refresh(http, account["refresh_token"])
    assert renewed.status_code == 200
    assert http.call("GET", "/v1/me", token=renewed.json["access_token"]).status_code == 200


def test_refresh_rotates_and_a_replay_revokes_the_family(
    http: Http, api: Client, aws: dict[str, str]
) -> None:
    account = register(http, api, aws, phone=PHONE)
    first = _refresh(http, account["refresh_token"])
    assert first.status_code == 200
    assert first.json["refresh_token"] != account["refresh_token"]
    replay = _refresh(http, account["refresh_token"])
    assert replay.status_code == 401
    assert replay.json["error"]["code"] == "invalid_refresh_token"
    # The thief's replay ended the session for the rightful holder too.
    assert _refresh(http, first.json["refresh_token"]).status_code == 401
    assert http.call("GET", "/v1/me", token=first.json["access_token"]).status_code == 401


def test_refresh_tokens_expire_after_thirty_days(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now())
    account = register(http, api, aws, phone=PHONE)
    clock.advance(timedelta(days=30, seconds=1))
    assert _refresh(http, account["refresh_token"]).status_code == 401


def test_forged_tokens_are_401(http: Http, api: Client, aws: dict[str, str]) -> None:
    account = register(http, api, aws, phone=PHONE)
    header, payload, signature = account["access_token"].split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    for token in (forged, "not-a-jwt", ""):
        answer = http.call("GET", "/v1/me", token=token or None)
        assert answer.status_code == 401
    assert http.call("GET", "/v1/me", Authorization="Basic abc").status_code == 401
    for refresh in ("rt_nothing", "rt_ses_x.y", account["refresh_token"] + "x", "garbage-token"):
        assert _refresh(http, refresh).status_code == 401


def test_logout_ends_access_and_refresh(http: Http, api: Client, aws: dict[str, str]) -> None:
    account = register(http, api, aws, phone=PHONE)
    other = http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "secret123"}).json
    assert http.call("POST", "/v1/auth/logout", token=account["access_token"]).status_code == 204
    assert http.call("GET", "/v1/me", token=account["access_token"]).status_code == 401
    assert _refresh(http, account["refresh_token"]).status_code == 401
    # Another device's session is untouched.
    assert http.call("GET", "/v1/me", token=other["access_token"]).status_code == 200


def test_password_change_signs_out_other_sessions(http: Http, api: Client, aws: dict[str, str]) -> None:
    account = register(http, api, aws, phone=PHONE)
    other = http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "secret123"}).json

    def change(old: str) -> object:
        body = {"old_password": old, "new_password": "better456"}
        return http.call("PUT", "/v1/me/password", body, token=account["access_token"])

    wrong = change("nope")
    assert wrong.status_code == 422
    assert wrong.json["error"]["details"][0]["field"] == "old_password"
    changed = change("secret123")
    assert changed.status_code == 204
    assert http.call("GET", "/v1/me", token=account["access_token"]).status_code == 200
    assert http.call("GET", "/v1/me", token=other["access_token"]).status_code == 401
    assert _refresh(http, other["refresh_token"]).status_code == 401
    assert http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "secret123"}).status_code == 401
    assert http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "better456"}).status_code == 200


def test_password_reset_by_code(http: Http, api: Client, aws: dict[str, str]) -> None:
    account = register(http, api, aws, phone=PHONE)
    code = code_for(http, api, aws, "sms", PHONE, "reset_password")
    bad = http.call(
        "POST", "/v1/auth/password/reset", {"phone": PHONE, "code": "000000", "new_password": "fresh789x"}
    )
    assert bad.status_code == 422
    reset = http.call(
        "POST", "/v1/auth/password/reset", {"phone": PHONE, "code": code, "new_password": "fresh789x"}
    )
    assert reset.status_code == 204
    assert http.call("GET", "/v1/me", token=account["access_token"]).status_code == 401
    assert http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "fresh789x"}).status_code == 200
    again = http.call(
        "POST", "/v1/auth/password/reset", {"phone": PHONE, "code": code, "new_password": "other789x"}
    )
    assert again.status_code == 422
