"""Sessions: one refresh-token family each, rotated by a conditional write.

Rotation replaces the stored hash only if the presented token is the current one, so of two
concurrent refreshes with the same token exactly one wins. A token that is well-formed but no
longer current has been used before: that is a replay, and the whole family is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import clock
from chalicelib.accounts.tokens import issue_access_token, make_refresh_token, split_refresh_token
from chalicelib.config import settings
from chalicelib.crypto import digest, same
from chalicelib.errors import Unauthorized
from chalicelib.ids import new_id
from chalicelib.models.accounts import SessionItem
from chalicelib.models.base import connection
from chalicelib.observability import logger, metrics

__all__ = ["TokenPair", "open_session", "revoke_all_sessions", "revoke_session", "rotate_session"]


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _is_conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def open_session(user_id: str, role: str) -> TokenPair:
    """Start a new session (a new refresh family) and hand out its first tokens."""
    now = clock.now()
    session_id = new_id("ses")
    refresh, secret = make_refresh_token(session_id)
    expires = now + timedelta(days=settings().refresh_token_days)
    pk, sk = SessionItem.key(session_id)
    item = SessionItem(
        pk,
        sk,
        session_id=session_id,
        user_id=user_id,
        role=role,
        token_hash=digest(secret),
        expires_at=int(expires.timestamp()),
        created_at=clock.iso(now),
        gsi1pk=f"USER#{user_id}#SESSIONS",
        gsi1sk=clock.iso(now),
        ttl=int(expires.timestamp()) + 86_400,
    )
    try:
        item.save(condition=SessionItem.pk.does_not_exist())
    except PutError as error:  # a ULID collision; never expected
        raise RuntimeError("session id collision") from error
    access, lifetime = issue_access_token(user_id, role, session_id)
    return TokenPair(access, refresh, lifetime)


def rotate_session(refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; a replayed token revokes its family."""
    session_id, secret = split_refresh_token(refresh_token)
    presented = digest(secret)
    now = int(clock.now().timestamp())
    pk, sk = SessionItem.key(session_id)
    new_refresh, new_secret = make_refresh_token(session_id)
    item = SessionItem(pk, sk)
    try:
        item.update(
            actions=[SessionItem.token_hash.set(digest(new_secret)), SessionItem.rotated_at.set(clock.iso())],
            condition=(SessionItem.pk.exists())
            & (SessionItem.token_hash == presented)
            & (SessionItem.revoked == False)  # noqa: E712 (pynamodb condition, not a bool test)
            & (SessionItem.expires_at > now),
        )
    except UpdateError as error:
        if not _is_conditional_failure(error):
            raise
        _revoke_if_replayed(session_id, presented)
        raise Unauthorized("invalid_refresh_token") from error
    access, lifetime = issue_access_token(item.user_id, item.role, session_id)
    return TokenPair(access, new_refresh, lifetime)


def _revoke_if_replayed(session_id: str, presented: str) -> None:
    try:
        current = SessionItem.get(*SessionItem.key(session_id), consistent_read=True)
    except SessionItem.DoesNotExist:
        return
    if not current.revoked and not same(current.token_hash, presented):
        revoke_session(session_id)
        metrics.add_metric(name="RefreshTokenReuse", unit="Count", value=1)
        logger.warning("refresh token reused; session family revoked", session_id=session_id)


def revoke_session(session_id: str) -> None:
    """Revoke one session; idempotent, and a no-op for an unknown id."""
    try:
        SessionItem(*SessionItem.key(session_id)).update(
            actions=[SessionItem.revoked.set(True)], condition=SessionItem.pk.exists()
        )
    except UpdateError as error:
        if not _is_conditional_failure(error):
            raise


def revoke_all_sessions(user_id: str, *, keep: str | None = None) -> int:
    """Revoke every live session of a user except ``keep``; returns how many were revoked."""
    revoked = 0
    for session in SessionItem.gsi1.query(f"USER#{user_id}#SESSIONS"):
        if session.session_id != keep and not session.revoked:
            revoke_session(session.session_id)
            revoked += 1
    return revoked


def session_is_live(session_id: str, user_id: str) -> bool:
    """True when the session exists, belongs to ``user_id`` and is not revoked.

    Every authenticated request asks, so the GetItem of three attributes is written out rather
    than made through the item class, which would build all of its attributes to read three.
    """
    pk, sk = SessionItem.key(session_id)
    found = (
        connection()
        .client.get_item(
            TableName=SessionItem.Meta.table_name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ProjectionExpression="#u, #r, #e",
            ExpressionAttributeNames={"#u": "user_id", "#r": "revoked", "#e": "expires_at"},
        )
        .get("Item")
    )
    if not found:
        return False
    return (
        found["user_id"]["S"] == user_id
        and not found.get("revoked", {}).get("BOOL", False)
        and float(found["expires_at"]["N"]) > clock.now().timestamp()
    )
