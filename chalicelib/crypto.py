"""Keyed hashes and field encryption for personal data.

- :func:`blind_index` turns a phone number or e-mail into a keyed HMAC, so uniqueness can be
  enforced by a DynamoDB key without the key revealing the value.
- :func:`encrypt` / :func:`decrypt` protect stored phone numbers and e-mails with AES-256-GCM
  under the PII key (``cryptography`` is imported only when first needed).
- :func:`digest` hashes secrets we only compare (refresh tokens, verification codes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as _random
from functools import lru_cache
from typing import Any

from chalicelib.secrets import app_secrets

__all__ = ["blind_index", "decrypt", "digest", "encrypt", "random_token", "same"]

_NONCE_BYTES = 12


def blind_index(kind: str, value: str) -> str:
    """A stable, keyed, non-reversible index of ``value`` (already normalised)."""
    pepper = app_secrets().hash_pepper.encode()
    return hmac.new(pepper, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def digest(value: str) -> str:
    """Keyed hash of a short secret (a code or a token) for storage and comparison."""
    pepper = app_secrets().hash_pepper.encode()
    return hmac.new(pepper, f"secret:{value}".encode(), hashlib.sha256).hexdigest()


def same(left: str, right: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(left.encode(), right.encode())


def random_token(nbytes: int = 32) -> str:
    """URL-safe random text for refresh tokens and ids of secrets."""
    return _random.token_urlsafe(nbytes)


@lru_cache(maxsize=2)
def _cipher(secret: str) -> Any:
    """AES-256-GCM keyed with SHA-256 of the PII secret (any high-entropy text).

    Kept per secret, so a booking does not derive the key and build the cipher twice per
    request; a rotated secret gets its own entry.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(hashlib.sha256(secret.encode()).digest())


def encrypt(plaintext: str, *, context: str) -> str:
    """AES-256-GCM; ``context`` (e.g. ``"user:phone"``) is bound as associated data."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(app_secrets().pii_key).encrypt(nonce, plaintext.encode(), context.encode())
    return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str, *, context: str) -> str:
    """The inverse of :func:`encrypt`; fails loudly on tampering or a wrong context."""
    version, _, body = token.partition(".")
    if version != "v1":
        raise ValueError("unknown ciphertext version")
    raw = base64.urlsafe_b64decode(body.encode())
    plain = _cipher(app_secrets().pii_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
    return str(plain.decode())
