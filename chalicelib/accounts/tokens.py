"""Access tokens (signed JWT, 15 minutes) and refresh tokens (opaque, rotating, 30 days).

An access token names its session (``sid``), so logging out or changing the password, which
revoke sessions, ends the access tokens of those sessions too (see ``accounts.auth``). A refresh
token is ``rt_<session id>.<secret>``; only a keyed hash of the secret is stored.
"""

from __future__ import annotations

import base64
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.crypto import random_token
from chalicelib.errors import Unauthorized
from chalicelib.secrets import app_secrets

__all__ = [
    "AccessClaims",
    "issue_access_token",
    "make_refresh_token",
    "read_access_token",
    "split_refresh_token",
]

_ISSUER = "jiazheng"
_AUDIENCE = "jiazheng-api"
_REFRESH_PREFIX = "rt_"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    session_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')
"""The one JOSE header our access tokens carry: anything else is not ours."""


def _signature(signing_input: str) -> str:
    key = app_secrets().token_signing_key.encode()
    return _b64(hmac.digest(key, signing_input.encode("ascii"), "sha256"))


def issue_access_token(user_id: str, role: str, session_id: str) -> tuple[str, int]:
    """A signed access token (a compact HS256 JWT) and its lifetime in seconds."""
    lifetime = settings().access_token_minutes * 60
    issued = clock.now()
    claims: dict[str, Any] = {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "sub": user_id,
        "role": role,
        "sid": session_id,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=lifetime)).timestamp()),
    }
    signing_input = f"{_HEADER}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signing_input}.{_signature(signing_input)}", lifetime


def read_access_token(token: str) -> AccessClaims:
    """Verify signature, issuer, audience and expiry (by the platform clock).

    Written out rather than through a general JWT library: we issue one shape of token, so the
    header must be exactly ours (no ``alg`` to choose, so no ``none`` and no algorithm
    confusion) and the signature is one HMAC compared in constant time. A library decode took a
    quarter of a millisecond of every authenticated request, on checks that cannot apply to a
    token we issued (``tests/integration/security/test_jwt_table.py`` is the forgery table;
    pyjwt still reads third-party id_tokens in ``accounts.oidc``).
    """
    header, _, rest = token.partition(".")
    payload, dot, signature = rest.partition(".")
    if header != _HEADER or not dot or not token.isascii():
        raise Unauthorized()
    if not hmac.compare_digest(signature.encode(), _signature(f"{header}.{payload}").encode()):
        raise Unauthorized()
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        subject, role, session_id = str(claims["sub"]), str(claims["role"]), str(claims["sid"])
        expires, _issued = int(claims["exp"]), int(claims["iat"])
        ours = claims["iss"] == _ISSUER and claims["aud"] == _AUDIENCE
    except (ValueError, TypeError, KeyError) as error:
        raise Unauthorized() from error
    if not ours:
        raise Unauthorized()
    # Expiry by the platform clock, which the local stage can move ahead.
    if expires <= int(clock.now().timestamp()):
        raise Unauthorized("token_expired")
    return AccessClaims(user_id=subject, role=role, session_id=session_id)


def make_refresh_token(session_id: str) -> tuple[str, str]:
    """A new refresh token for ``session_id`` and the secret part to hash and store."""
    secret = random_token(32)
    return f"{_REFRESH_PREFIX}{session_id}.{secret}", secret


def split_refresh_token(token: str) -> tuple[str, str]:
    """``(session id, secret)``; 401 for anything not shaped like our refresh tokens."""
    if not token.startswith(_REFRESH_PREFIX):
        raise Unauthorized("invalid_refresh_token")
    session_id, dot, secret = token[len(_REFRESH_PREFIX) :].partition(".")
    if not dot or not session_id or not secret:
        raise Unauthorized("invalid_refresh_token")
    return session_id, secret
