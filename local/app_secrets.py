"""The app's secrets on the local stage, generated once and kept in the data folder.

Deployed, they live in one Secrets Manager secret; locally ``APP_SECRETS_JSON`` carries them. They
must survive a restart: tokens signed before it stay valid, and blind indexes (keyed hashes of
PII) computed with the old pepper still match, because DynamoDB Local kept the data.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

__all__ = ["SECRET_KEYS", "load_or_create"]

SECRET_KEYS = ("token_signing_key", "pii_key", "hash_pepper")


def _urlsafe(size: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode("ascii")


def _generate() -> dict[str, str]:
    # pii_key is exactly 32 bytes (an AES-256 / Fernet-style key); the others only need to be long.
    return {"token_signing_key": _urlsafe(48), "pii_key": _urlsafe(32), "hash_pepper": _urlsafe(32)}


def load_or_create(path: Path) -> dict[str, str]:
    """Read the secrets at ``path``; create (0600) or complete the file when keys are missing."""
    current: dict[str, str] = {}
    if path.exists():
        current = json.loads(path.read_text(encoding="utf-8"))
    if all(current.get(key) for key in SECRET_KEYS):
        return current
    fresh = _generate()
    merged = {**fresh, **{key: value for key, value in current.items() if value}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(merged, handle, indent=2)
    os.replace(tmp, path)
    return merged
