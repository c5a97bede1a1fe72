"""Sign-in by password and by code, lockout, and answers that reveal nothing."""

from __future__ import annotations

from datetime import timedelta

from chalice.test import Client

from chalicelib import clock
from tests.integration.conftest import Http
from tests.integration.helpers import code_for, register

PHONE = "13822223333"


def _login(http: Http, password: str, phone: str = PHONE) -> object:
    return http.call("POST", "/v1/auth/login", {"phone": phone, "password": password})


def test_register_then_login_with_password(http: Http, api: Client, aws: dict[str, str]) -> None:
    created = register(http, api, aws, phone=PHONE, role="worker", name="李阿姨")
    assert created["user"]["role"] == "worker"
    assert created["user"]["phone"] == "+8613822223333"
    assert created["token_type"] == "Bearer"
    assert created["expires_in"] == 900
    signed_in = _login(http, "secret123", phone="+86 138-2222-3333")
    assert signed_in.status_code == 200
    assert signed_in.json["user"]["user_id"] == created["user"]["user_id"]


def test_wrong_password_and_unknown_account_answer_alike(
    http: Http, api: Client, aws: dict[str, str]
) -> None:
    register(http, api, aws, phone=PHONE)
    wrong = _login(http, "wrong-password1")
    unknown = _login(http, "secret123", phone="13899998888")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json
        == unknown.json
        == {"error": {"code": "invalid_credentials", "message": "账号或密码错误", "details": []}}
    )


def test_five_failures_lock_for_fifteen_minutes(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now())
    register(http, api, aws, phone=PHONE)
    for _ in range(5):
        assert _login(http, "wrong-password1").status_code == 401
    locked = _login(http, "secret123")
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "account_locked"
    assert 800 < int(locked.headers["Retry-After"]) <= 900
    clock.advance(timedelta(minutes=15, seconds=1))
    assert _login(http, "secret123").status_code == 200


def test_unknown_accounts_lock_the_same_way(http: Http, api: Client, aws: dict[str, str]) -> None:
    for _ in range(5):
        assert _login(http, "whatever123", phone="13877776666").status_code == 401
    assert _login(http, "whatever123", phone="13877776666").status_code == 429


def test_failures_spread_over_time_do_not_lock(http: Http, api: Client, aws: dict[str, str]) -> None:
    clock.freeze(clock.now())
    register(http, api, aws, phone=PHONE)
    for _ in range(8):
        assert _login(http, "wrong-password1").status_code == 401
        clock.advance(timedelta(minutes=4))
    assert _login(http, "secret123").status_code == 200


def test_login_with_code(http: Http, api: Client, aws: dict[str, str]) -> None:
    created = register(http, api, aws, email="worker@example.com", role="worker")
    clock.freeze(clock.now() + timedelta(minutes=2))
    code = code_for(http, api, aws, "email", "worker@example.com", "login")
    signed_in = http.call("POST", "/v1/auth/login", {"email": "WORKER@example.com", "code": code})
    assert signed_in.status_code == 200
    assert signed_in.json["user"]["user_id"] == created["user"]["user_id"]
    reused = http.call("POST", "/v1/auth/login", {"email": "worker@example.com", "code": code})
    assert reused.status_code == 401


def test_login_needs_exactly_one_secret(http: Http) -> None:
    both = http.call("POST", "/v1/auth/login", {"phone": PHONE, "password": "a", "code": "123456"})
    assert both.status_code == 422
    neither = http.call("POST", "/v1/auth/login", {"phone": PHONE})
    assert neither.status_code == 422
    no_identifier = http.call("POST", "/v1/auth/login", {"password": "secret123"})
    assert no_identifier.status_code == 422


def test_register_twice_is_409(http: Http, api: Client, aws: dict[str, str]) -> None:
    register(http, api, aws, phone=PHONE)
    clock.freeze(clock.now() + timedelta(minutes=2))
    # The code request answers as for a new number; registering with any code cannot succeed.
    http.call("POST", "/v1/auth/codes", {"channel": "sms", "target": PHONE, "purpose": "register"})
    from chalicelib.accounts.targets import target_from
    from chalicelib.accounts.users import create_user
    from chalicelib.errors import Conflict

    try:
        create_user(target_from(phone=PHONE), "secret123", "x", "customer")
    except Conflict as error:
        assert error.code == "already_registered"
    else:
        raise AssertionError("a second account with the same phone was created")


def test_weak_passwords_are_refused(http: Http, api: Client, aws: dict[str, str]) -> None:
    code = code_for(http, api, aws, "sms", PHONE, "register")
    for password in ("short1", "lettersonly", "1234567890"):
        refused = http.call(
            "POST",
            "/v1/auth/register",
            {"phone": PHONE, "code": code, "password": password, "name": "x", "role": "customer"},
        )
        assert refused.status_code == 422
        assert refused.json["error"]["details"][0]["field"] == "password"


def test_admin_cannot_self_register(http: Http, api: Client, aws: dict[str, str]) -> None:
    code = code_for(http, api, aws, "sms", PHONE, "register")
    refused = http.call(
        "POST",
        "/v1/auth/register",
        {"phone": PHONE, "code": code, "password": "secret123", "name": "x", "role": "admin"},
    )
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["field"] == "role"


def test_admin_created_by_cli_can_sign_in(http: Http, aws: dict[str, str]) -> None:
    from chalicelib.admin_cli import main

    command = ["create-user", "--role", "admin", "--email", "ops@jiazheng.example", "--name", "运营"]
    assert main([*command, "--password", "Ops-pass-2026"]) == 0
    login = {"email": "ops@jiazheng.example", "password": "Ops-pass-2026"}
    signed_in = http.call("POST", "/v1/auth/login", login)
    assert signed_in.status_code == 200
    assert signed_in.json["user"]["role"] == "admin"
    # The same e-mail cannot be taken twice, not even by the CLI.
    assert main([*command, "--password", "Other-pass-2026"]) == 1
