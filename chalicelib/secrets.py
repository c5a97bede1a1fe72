"""The application's secrets: token signing key, PII encryption key and hashing pepper.

Deployed, they are one JSON Secrets Manager secret read through Powertools Parameters (cached
for five minutes, so a rotation reaches warm containers without a redeploy). On the local stage
and in tests they come from ``APP_SECRETS_JSON``. They never appear in code or in logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.config import settings

__all__ = ["AppSecrets", "app_secrets"]

_REQUIRED = ("token_signing_key", "pii_key", "hash_pepper")
_parsed: tuple[Any, AppSecrets] | None = None
"""The raw secret last read and its checked form: every request reads the secrets several times."""


@dataclass(frozen=True, repr=False)
class AppSecrets:
    token_signing_key: str
    pii_key: str
    hash_pepper: str


def app_secrets() -> AppSecrets:
    """The current secrets; raises ``RuntimeError`` when a key is missing (a deployment error)."""
    config = settings()
    raw: dict[str, Any]
    if config.app_secret_id:
        from aws_lambda_powertools.utilities import parameters

        raw = parameters.get_secret(config.app_secret_id, transform="json", max_age=300)
    else:
        raw = config.local_secrets
    global _parsed
    if _parsed is not None and _parsed[0] is raw:  # the cache hands out one object until it refreshes
        return _parsed[1]
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise RuntimeError(f"application secrets lack {', '.join(missing)}")
    _parsed = (raw, AppSecrets(**{key: str(raw[key]) for key in _REQUIRED}))
    return _parsed[1]
