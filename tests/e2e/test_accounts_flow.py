"""The accounts walkthrough over HTTP, as the apps and an operator would do it on the local stack.

A customer signs up by SMS code, signs in, edits the profile and addresses, refreshes and signs
out; a worker signs up by e-mail code; an operator creates an admin with the CLI; the local clock
moves and access tokens expire by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from local.stack import LocalStack
from tests.e2e.accounts import (
    PASSWORD,
    admin_cli,
    bearer,
    clock_restored,
    error_code,
    login,
    register,
    request_code,
    unique_email,
    unique_phone,
)

_HOME = {
    "label": "家",
    "contact_name": "王女士",
    "contact_phone": "13812345678",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道100号",
    "lat": 31.2304,
    "lng": 121.4737,
}
_PARENTS = {
    "label": "父母家",
    "contact_name": "王先生",
    "contact_phone": "+86 139-0000-2222",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "漕溪北路1号",
}


def _addresses(http: httpx.Client, token: str) -> list[dict[str, Any]]:
    response = http.get("/v1/me/addresses", headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


def _defaults(items: list[dict[str, Any]]) -> list[str]:
    return [item["address_id"] for item in items if item["is_default"]]


# -- customer --------------------------------------------------------------------------------


def test_customer_signs_up_by_sms_code_and_signs_in(http: httpx.Client) -> None:
    phone = unique_phone()
    code = request_code(http, phone)
    too_soon = http.post("/v1/auth/codes", json={"channel": "sms", "target": phone, "purpose": "register"})
    assert too_soon.status_code == 429, too_soon.text
    assert error_code(too_soon) == "code_resend_too_soon"
    assert 0 < int(too_soon.headers["Retry-After"]) <= 60

    registered = http.post(
        "/v1/auth/register",
        json={"phone": phone, "code": code, "password": PASSWORD, "name": "王女士", "role": "customer"},
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert body["user"]["role"] == "customer"
    assert body["user"]["phone"] == f"+86{phone}"
    assert body["user"]["email"] is None
    user_id = body["user"]["user_id"]

    # The code is used up: it cannot register the number a second time.
    again = http.post(
        "/v1/auth/register",
        json={"phone": phone, "code": code, "password": PASSWORD, "name": "冒名", "role": "customer"},
    )
    assert again.status_code in (409, 422), again.text

    signed_in = http.post("/v1/auth/login", json={"phone": f"+86 {phone}", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["user_id"] == user_id
    assert signed_in.json()["refresh_token"] != body["refresh_token"]

    me = http.get("/v1/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user_id"] == user_id
    assert me.json()["role"] == "customer"
    assert me.json()["name"] == "王女士"
    assert me.json()["emergency_contact"] is None


def test_bad_credentials_get_the_same_401_whether_or_not_the_account_exists(http: httpx.Client) -> None:
    account = register(http)
    wrong = http.post("/v1/auth/login", json={"phone": account.phone, "password": "wrong-pass1"})
    unknown = http.post("/v1/auth/login", json={"phone": unique_phone(), "password": "wrong-pass1"})
    assert wrong.status_code == unknown.status_code == 401
    assert error_code(wrong) == error_code(unknown) == "invalid_credentials"
    assert http.get("/v1/me").status_code == 401
    assert http.get("/v1/me", headers=bearer("not-a-token")).status_code == 401


def test_a_code_is_void_after_five_wrong_tries(http: httpx.Client) -> None:
    phone = unique_phone()
    code = request_code(http, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    body = {"phone": phone, "password": PASSWORD, "name": "王女士", "role": "customer"}
    for _ in range(5):
        refused = http.post("/v1/auth/register", json={**body, "code": wrong})
        assert refused.status_code == 422, refused.text
        assert error_code(refused) == "invalid_code"
    too_late = http.post("/v1/auth/register", json={**body, "code": code})
    assert too_late.status_code == 422, too_late.text
    assert error_code(too_late) == "invalid_code"


def test_sign_in_by_code_reset_and_change_password(http: httpx.Client) -> None:
    account = register(http)
    phone = account.phone or ""

    code = request_code(http, phone, "login")
    by_code = http.post("/v1/auth/login", json={"phone": phone, "code": code})
    assert by_code.status_code == 200, by_code.text
    assert by_code.json()["user"]["user_id"] == account.user_id
    again = http.post("/v1/auth/login", json={"phone": phone, "code": code})
    assert again.status_code == 401, again.text  # a code works once

    # Reset: the new password works, the old one does not, every session is signed out.
    reset_code = request_code(http, phone, "reset_password")
    reset = http.post(
        "/v1/auth/password/reset", json={"phone": phone, "code": reset_code, "new_password": "reset-pass-2"}
    )
    assert reset.status_code == 204, reset.text
    assert http.get("/v1/me", headers=account.headers).status_code == 401
    assert http.get("/v1/me", headers=bearer(by_code.json()["access_token"])).status_code == 401
    assert http.post("/v1/auth/login", json={"phone": phone, "password": PASSWORD}).status_code == 401

    # Change: this session stays, the others end.
    kept = login(http, "reset-pass-2", phone=phone)
    other = login(http, "reset-pass-2", phone=phone)
    wrong_old = http.put(
        "/v1/me/password",
        headers=kept.headers,
        json={"old_password": "not-it-1", "new_password": "changed-pass-3"},
    )
    assert wrong_old.status_code == 422, wrong_old.text
    changed = http.put(
        "/v1/me/password",
        headers=kept.headers,
        json={"old_password": "reset-pass-2", "new_password": "changed-pass-3"},
    )
    assert changed.status_code == 204, changed.text
    assert http.get("/v1/me", headers=kept.headers).status_code == 200
    assert http.get("/v1/me", headers=other.headers).status_code == 401
    assert login(http, "changed-pass-3", phone=phone).user_id == account.user_id


def test_customer_edits_profile_and_emergency_contact(http: httpx.Client) -> None:
    account = register(http, name="王女士")
    patched = http.patch(
        "/v1/me",
        headers=account.headers,
        json={
            "name": "王丽",
            "emergency_contact": {"name": "王先生", "phone": "13900002222", "relation": "配偶"},
        },
    )
    assert patched.status_code == 200, patched.text
    expected_contact = {"name": "王先生", "phone": "+8613900002222", "relation": "配偶"}
    assert patched.json()["name"] == "王丽"
    assert patched.json()["emergency_contact"] == expected_contact

    me = http.get("/v1/me", headers=account.headers).json()
    assert me["name"] == "王丽"
    assert me["emergency_contact"] == expected_contact
    assert me["phone"] == account.phone

    invalid = http.patch(
        "/v1/me",
        headers=account.headers,
        json={"emergency_contact": {"name": "王先生", "phone": "12345", "relation": "配偶"}},
    )
    assert invalid.status_code == 422, invalid.text
    assert [detail["field"] for detail in invalid.json()["error"]["details"]] == ["emergency_contact.phone"]

    cleared = http.patch("/v1/me", headers=account.headers, json={"emergency_contact": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["emergency_contact"] is None
    assert cleared.json()["name"] == "王丽"


def test_customer_adds_two_addresses_and_the_default_moves(http: httpx.Client) -> None:
    account = register(http)
    token = account.access_token

    first = http.post("/v1/me/addresses", headers=bearer(token), json=_HOME)
    assert first.status_code == 201, first.text
    home = first.json()
    assert home["is_default"] is True  # the first address becomes the default
    assert home["contact_phone"] == "+8613812345678"
    assert (home["lat"], home["lng"]) == (_HOME["lat"], _HOME["lng"])

    second = http.post("/v1/me/addresses", headers=bearer(token), json={**_PARENTS, "is_default": True})
    assert second.status_code == 201, second.text
    parents = second.json()
    assert parents["is_default"] is True
    assert parents["contact_phone"] == "+8613900002222"

    items = _addresses(http, token)
    assert [item["address_id"] for item in items] == [parents["address_id"], home["address_id"]]
    assert _defaults(items) == [parents["address_id"]]

    moved = http.patch(
        f"/v1/me/addresses/{home['address_id']}", headers=bearer(token), json={"is_default": True}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["is_default"] is True
    items = _addresses(http, token)
    assert [item["address_id"] for item in items] == [home["address_id"], parents["address_id"]]
    assert _defaults(items) == [home["address_id"]]

    edited = http.patch(
        f"/v1/me/addresses/{parents['address_id']}", headers=bearer(token), json={"detail": "漕溪北路2号"}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["detail"] == "漕溪北路2号"
    assert edited.json()["is_default"] is False

    # Deleting the default hands it to the one left.
    deleted = http.delete(f"/v1/me/addresses/{home['address_id']}", headers=bearer(token))
    assert deleted.status_code == 204, deleted.text
    items = _addresses(http, token)
    assert [item["address_id"] for item in items] == [parents["address_id"]]
    assert _defaults(items) == [parents["address_id"]]

    # Another user's address is "not found", never "forbidden".
    other = register(http)
    foreign = http.patch(
        f"/v1/me/addresses/{parents['address_id']}", headers=other.headers, json={"detail": "x"}
    )
    assert foreign.status_code == 404, foreign.text
    assert _addresses(http, other.access_token) == []


@pytest.mark.parametrize("field", ["contact_name", "city", "district", "detail"])
def test_clearing_a_required_address_field_is_refused_and_breaks_nothing(
    http: httpx.Client, field: str
) -> None:
    """``null`` for a field every address must have is a 422, and the address stays readable.

    Found by this suite: the PATCH removes the attribute, answers 500, and from then on
    ``GET /v1/me/addresses`` answers 500 for the owner (see the report).
    """
    account = register(http)
    created = http.post("/v1/me/addresses", headers=account.headers, json=_HOME)
    assert created.status_code == 201, created.text
    address_id = created.json()["address_id"]

    cleared = http.patch(f"/v1/me/addresses/{address_id}", headers=account.headers, json={field: None})
    listed = http.get("/v1/me/addresses", headers=account.headers)
    assert cleared.status_code == 422, cleared.text
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"][0][field] == _HOME[field]


def test_refresh_rotates_and_logout_ends_access_and_refresh(http: httpx.Client) -> None:
    account = register(http)

    rotated = http.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert rotated.status_code == 200, rotated.text
    pair = rotated.json()
    assert pair["refresh_token"] != account.refresh_token
    assert pair["token_type"] == "Bearer" and pair["expires_in"] > 0
    me = http.get("/v1/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json()["user_id"] == account.user_id

    rotated_again = http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated_again.status_code == 200, rotated_again.text
    latest = rotated_again.json()

    # Another session of the same user is not affected by this one's logout.
    other_session = login(http, phone=account.phone or "")

    logged_out = http.post("/v1/auth/logout", headers=bearer(latest["access_token"]))
    assert logged_out.status_code == 204, logged_out.text
    assert logged_out.content == b""

    for token in (latest["access_token"], pair["access_token"], account.access_token):
        assert http.get("/v1/me", headers=bearer(token)).status_code == 401
    refused = http.post("/v1/auth/refresh", json={"refresh_token": latest["refresh_token"]})
    assert refused.status_code == 401, refused.text
    assert error_code(refused) == "invalid_refresh_token"
    assert http.post("/v1/auth/logout", headers=bearer(latest["access_token"])).status_code == 401

    assert http.get("/v1/me", headers=other_session.headers).status_code == 200


def test_a_replayed_refresh_token_revokes_its_family(http: httpx.Client) -> None:
    account = register(http)
    first = http.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200, first.text
    current = first.json()

    replayed = http.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert replayed.status_code == 401, replayed.text
    assert error_code(replayed) == "invalid_refresh_token"

    # The thief's replay signed the whole session out, the legitimate holder included.
    assert http.post("/v1/auth/refresh", json={"refresh_token": current["refresh_token"]}).status_code == 401
    assert http.get("/v1/me", headers=bearer(current["access_token"])).status_code == 401


# -- worker and admin ------------------------------------------------------------------------


def test_worker_signs_up_by_email_code(http: httpx.Client) -> None:
    email = unique_email("Worker")
    code = request_code(http, email)
    registered = http.post(
        "/v1/auth/register",
        json={"email": email, "code": code, "password": PASSWORD, "name": "李阿姨", "role": "worker"},
    )
    assert registered.status_code == 201, registered.text
    user = registered.json()["user"]
    assert user["role"] == "worker"
    assert user["email"] == email.lower()
    assert user["phone"] is None

    signed_in = login(http, email=email.lower())
    assert signed_in.user_id == user["user_id"]
    assert signed_in.role == "worker"
    me = http.get("/v1/me", headers=signed_in.headers)
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["email"], me.json()["name"]) == ("worker", email.lower(), "李阿姨")


def test_admin_cannot_self_register(http: httpx.Client) -> None:
    phone = unique_phone()
    code = request_code(http, phone)
    refused = http.post(
        "/v1/auth/register",
        json={"phone": phone, "code": code, "password": PASSWORD, "name": "管理员", "role": "admin"},
    )
    assert refused.status_code == 422, refused.text
    assert "role" in [detail["field"] for detail in refused.json()["error"]["details"]]


def test_admin_created_with_the_cli_signs_in(stack: LocalStack, http: httpx.Client) -> None:
    email = unique_email("admin")
    password = "Admin-pass-2026"
    created = admin_cli(
        stack, "create-user", "--role", "admin", "--email", email, "--name", "管理员", "--password", password
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created admin usr_"), created.stdout

    admin = login(http, password, email=email)
    assert admin.role == "admin"
    me = http.get("/v1/me", headers=admin.headers)
    assert me.status_code == 200, me.text
    assert (me.json()["role"], me.json()["email"], me.json()["name"]) == ("admin", email, "管理员")
    assert created.stdout.split()[2] == me.json()["user_id"]

    duplicate = admin_cli(
        stack, "create-user", "--role", "admin", "--email", email, "--name", "又一个", "--password", password
    )
    assert duplicate.returncode == 1
    assert "already_registered" in duplicate.stderr


# -- the local clock -------------------------------------------------------------------------


@pytest.fixture
def restore_clock(stack: LocalStack) -> Iterator[None]:
    with clock_restored(stack):
        yield


def _now(http: httpx.Client) -> datetime:
    response = http.get("/v1/dev/clock")
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["now"])


@pytest.mark.usefixtures("restore_clock")
def test_the_dev_clock_moves_forward(http: httpx.Client) -> None:
    before = _now(http)
    assert before.utcoffset() == timedelta(hours=8)  # Asia/Shanghai

    moved = http.post("/v1/dev/clock", json={"advance_minutes": 30})
    assert moved.status_code == 200, moved.text
    reported = datetime.fromisoformat(moved.json()["now"])
    after = _now(http)
    assert timedelta(minutes=30) <= reported - before < timedelta(minutes=31)
    assert timedelta(0) <= after - reported < timedelta(minutes=1)

    assert http.post("/v1/dev/clock", json={"advance_minutes": -5}).status_code == 422
    assert _now(http) - after < timedelta(minutes=1)  # never backwards


@pytest.mark.usefixtures("restore_clock")
def test_an_access_token_expires_when_the_clock_moves_16_minutes(http: httpx.Client) -> None:
    account = register(http)
    assert http.get("/v1/me", headers=account.headers).status_code == 200

    assert http.post("/v1/dev/clock", json={"advance_minutes": 14}).status_code == 200
    assert http.get("/v1/me", headers=account.headers).status_code == 200  # still within 15 minutes

    assert http.post("/v1/dev/clock", json={"advance_minutes": 2}).status_code == 200
    expired = http.get("/v1/me", headers=account.headers)
    assert expired.status_code == 401, expired.text
    assert error_code(expired) == "token_expired"

    refreshed = http.post("/v1/auth/refresh", json={"refresh_token": account.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    me = http.get("/v1/me", headers=bearer(refreshed.json()["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user_id"] == account.user_id


@pytest.mark.usefixtures("restore_clock")
def test_a_code_expires_when_the_clock_moves_past_five_minutes(http: httpx.Client) -> None:
    phone = unique_phone()
    code = request_code(http, phone)
    assert http.post("/v1/dev/clock", json={"advance_minutes": 6}).status_code == 200
    expired = http.post(
        "/v1/auth/register",
        json={"phone": phone, "code": code, "password": PASSWORD, "name": "王女士", "role": "customer"},
    )
    assert expired.status_code == 422, expired.text
    assert error_code(expired) == "invalid_code"
