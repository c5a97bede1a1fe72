"""Authenticating a bearer token for the web layer."""

from __future__ import annotations

from chalicelib.accounts.sessions import session_is_live
from chalicelib.accounts.tokens import read_access_token
from chalicelib.errors import Unauthorized
from chalicelib.web.routing import Principal

__all__ = ["authenticate"]


def authenticate(token: str) -> Principal:
    """A verified, live principal, or 401.

    The signature proves who issued the token; one key read of its session proves it was not
    signed out since (logout, password change, suspension and refresh-token replay revoke it).
    """
    claims = read_access_token(token)
    if not session_is_live(claims.session_id, claims.user_id):
        raise Unauthorized()
    return Principal(user_id=claims.user_id, role=claims.role, session_id=claims.session_id)
