"""Broken authentication (OWASP API2:2023): every forged, stale or revoked bearer token is 401.

One table of tokens against ``GET /v1/me``: the control (a fresh token, 200), then the ``none``
algorithm, a wrong key, another stage's key, a different HMAC algorithm with the right key, a
payload edited under the old signature (customer made admin), expiry by the platform clock, a
wrong audience or issuer, missing claims, another user's session, a revoked session (logout) and
a suspended account (its sessions revoked, sign-in refused with 403).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.secrets import app_secrets
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import account

ANOTHER_STAGE_KEY = "prod-signing-key-" + "z" * 32


def _claims(user_id: str, session_id: str, role: str = "customer", **changes: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": "jiazheng",
        "aud": "jiazheng-api",
        "sub": user_id,
        "role": role,
        "sid": session_id,
        "iat": now,
        "exp": now + 900,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def _sign(claims: dict[str, Any], key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or app_secrets().token_signing_key, algorithm=algorithm)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _edited(token: str, **changes: Any) -> str:
    """The token's payload changed, its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def _session(role: str = "customer") -> tuple[str, str, str]:
    """(user id, session id, a valid access token)."""
    user_id, _ = account(role, "令牌")
    pair = open_session(user_id, role)
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    return user_id, str(claims["sid"]), pair.access_token


FORGERIES: dict[str, Callable[[str, str, str], str]] = {
    "alg none": lambda u, s, t: _unsigned(_claims(u, s)),
    "wrong key": lambda u, s, t: _sign(_claims(u, s), "not-our-key-" + "q" * 32),
    "another stage's key": lambda u, s, t: _sign(_claims(u, s), ANOTHER_STAGE_KEY),
    "HS512 with our key": lambda u, s, t: _sign(_claims(u, s), algorithm="HS512"),
    "role edited to admin": lambda u, s, t: _edited(t, role="admin"),
    "subject edited": lambda u, s, t: _edited(t, sub="usr_someone_else"),
    "expired": lambda u, s, t: _sign(_claims(u, s, exp=int(clock.now().timestamp()) - 1)),
    "wrong audience": lambda u, s, t: _sign(_claims(u, s, aud="another-api")),
    "wrong issuer": lambda u, s, t: _sign(_claims(u, s, iss="someone")),
    "no session claim": lambda u, s, t: _sign(_claims(u, s, sid=None)),
    "no expiry": lambda u, s, t: _sign(_claims(u, s, exp=None)),
    "unknown session": lambda u, s, t: _sign(_claims(u, "ses_unknown")),
    "another user's session": lambda u, s, t: _sign(_claims("usr_other", s)),
    "not a JWT": lambda u, s, t: "garbage",
    "truncated": lambda u, s, t: t[:-5],
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_forged_or_stale_token_is_refused(http: Http, name: str) -> None:
    user_id, session_id, token = _session()
    assert http.call("GET", "/v1/me", token=token).status_code == 200  # the control
    forged = FORGERIES[name](user_id, session_id, token)
    response = http.call("GET", "/v1/me", token=forged)
    assert response.status_code == 401, (name, response.json)
    assert set(response.json) == {"error"}


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_a_missing_or_foreign_scheme_is_refused(http: Http, header: str) -> None:
    response = http.call("GET", "/v1/me", Authorization=header) if header else http.call("GET", "/v1/me")
    assert response.status_code == 401, response.json


def test_a_token_expires_by_the_platform_clock(http: Http) -> None:
    _, _, token = _session()
    clock.freeze(clock.now() + timedelta(minutes=16))
    try:
        response = http.call("GET", "/v1/me", token=token)
    finally:
        clock.reset()
    assert response.status_code == 401 and response.json["error"]["code"] == "token_expired"


def test_a_signed_out_session_is_refused(http: Http) -> None:
    _, _, token = _session()
    assert http.call("POST", "/v1/auth/logout", token=token).status_code == 204
    assert http.call("GET", "/v1/me", token=token).status_code == 401


def test_a_suspended_account_loses_its_tokens_and_cannot_sign_in(http: Http) -> None:
    user_id, _, token = _session()
    _, admin = account("admin", "管理员")
    suspended = http.call(
        "PATCH", f"/v1/admin/users/{user_id}", {"status": "suspended", "reason": "欺诈"}, token=admin
    )
    assert suspended.status_code == 200, suspended.json
    assert http.call("GET", "/v1/me", token=token).status_code == 401
    assert http.call("GET", "/v1/orders", token=token).status_code == 401
