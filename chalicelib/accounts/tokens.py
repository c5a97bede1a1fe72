"""Access tokens (signed JWT, 15 minutes) and refresh tokens (opaque, rotating, 30 days).

An access token names its session (``sid``), so logging out or changing the password, which
revoke sessions, ends the access tokens of those sessions too (see ``accounts.auth``). A refresh
token is ``rt_<session id>.<secret>``; only a keyed hash of the secret is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache, lru_cache
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

_ALGORITHM = "HS256"
_ISSUER = "jiazheng"
_AUDIENCE = "jiazheng-api"
_REFRESH_PREFIX = "rt_"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    session_id: str


def issue_access_token(user_id: str, role: str, session_id: str) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    import jwt

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
    return jwt.encode(claims, app_secrets().token_signing_key, algorithm=_ALGORITHM), lifetime


@cache
def _verifier() -> Any:
    """A PyJWT whose HS256 keeps the prepared key between calls.

    pyjwt prepares the key on every decode, checking that it is not a PEM, SSH or DER public key
    (two failing ``cryptography`` parses): the same work for the same signing key on every
    request. The kept result is that of pyjwt's own ``prepare_key``, per key (a rotated key gets
    its own); signature, algorithm and claims checks are pyjwt's, unchanged.
    """
    import jwt
    from jwt.algorithms import HMACAlgorithm

    class KeptKeyHMAC(HMACAlgorithm):
        @lru_cache(maxsize=4)  # noqa: B019  (one instance for the process's life)
        def prepare_key(self, key: str | bytes) -> bytes:
            return super().prepare_key(key)

    verifier = jwt.PyJWT()
    verifier._jws.unregister_algorithm(_ALGORITHM)
    verifier._jws.register_algorithm(_ALGORITHM, KeptKeyHMAC(HMACAlgorithm.SHA256))
    return verifier


def read_access_token(token: str) -> AccessClaims:
    """Verify signature, issuer, audience and expiry (by the platform clock)."""
    import jwt

    try:
        claims = _verifier().decode(
            token,
            app_secrets().token_signing_key,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            issuer=_ISSUER,
            # Expiry is checked below by the platform clock, which the local stage can move ahead.
            options={"require": ["exp", "iat", "sub", "sid"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized() from error
    if int(claims["exp"]) <= int(clock.now().timestamp()):
        raise Unauthorized("token_expired")
    return AccessClaims(user_id=str(claims["sub"]), role=str(claims["role"]), session_id=str(claims["sid"]))


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
