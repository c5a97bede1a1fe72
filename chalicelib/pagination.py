"""Opaque, signed cursors over DynamoDB's LastEvaluatedKey.

A cursor is the key to resume from, bound to the partition it belongs to and signed, so a
client can neither read it as a key nor forge one that jumps into another user's items.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.secrets import app_secrets

__all__ = ["decode_cursor", "encode_cursor"]


def _sign(scope: str, payload: bytes) -> str:
    key = app_secrets().hash_pepper.encode()
    return hmac.new(key, scope.encode() + b"|" + payload, hashlib.sha256).hexdigest()[:24]


def encode_cursor(scope: str, last_key: dict[str, Any] | None) -> str | None:
    """A cursor for ``last_key`` (``None`` when the listing is done)."""
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{token}.{_sign(scope, payload)}"


def decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    """The key to resume from; 422 on the ``cursor`` field for anything not issued for ``scope``."""
    if not cursor:
        return None
    token, _, signature = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        valid = hmac.compare_digest(signature, _sign(scope, payload))
        key = json.loads(payload) if valid else None
    except (ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, dict):
        raise ValidationFailed(
            details=[{"field": "cursor", "code": "invalid_cursor", "message": "invalid cursor"}]
        )
    return key
