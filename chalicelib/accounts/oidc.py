"""Verifying third-party (OIDC) id_tokens against the provider's published keys.

Providers (WeChat, Alipay, Apple, ...) are settings, not code: ``OIDC_PROVIDERS`` maps a name
to ``{"issuer", "audience", "jwks_uri"}``. Signature, issuer, audience and expiry are all
checked; the key set is fetched over HTTPS and cached per provider.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import NotFound, Unauthorized
from chalicelib.observability import logger

if TYPE_CHECKING:
    from jwt import PyJWKClient

__all__ = ["verify_id_token"]

_ALGORITHMS = ["RS256", "ES256", "PS256"]
_LEEWAY_SECONDS = 60


@cache
def _keys(jwks_uri: str) -> PyJWKClient:
    from jwt import PyJWKClient

    return PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=5)


def verify_id_token(provider: str, id_token: str) -> dict[str, Any]:
    """The verified claims of ``id_token``; 404 for an unknown provider, 401 for a bad token."""
    import jwt

    config = settings().oidc_providers.get(provider)
    if not config:
        raise NotFound("unknown_provider")
    try:
        key = _keys(config["jwks_uri"]).get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=_ALGORITHMS,
            audience=config["audience"],
            issuer=config["issuer"],
            options={
                "require": ["exp", "iat", "sub", "iss", "aud"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except (jwt.PyJWTError, KeyError) as error:
        logger.info("id_token rejected", provider=provider, reason=type(error).__name__)
        raise Unauthorized("invalid_id_token") from error
    # Expiry by the platform clock (the local stage can move it ahead).
    if int(claims["exp"]) + _LEEWAY_SECONDS <= clock.now().timestamp():
        raise Unauthorized("invalid_id_token")
    return claims
