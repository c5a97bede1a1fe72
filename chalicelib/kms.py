"""Field encryption with AWS KMS, bound to the record it belongs to.

Identity numbers are encrypted by KMS itself (``Encrypt``, not a data key cached in the process)
so that every decryption is a separate, CloudTrail-logged KMS call that IAM can deny. The
encryption context names the owner (``{"worker_id": ...}``): a ciphertext copied onto another
worker's record does not decrypt there. Ciphertexts are stored as base64 text.
"""

from __future__ import annotations

import base64

from chalicelib.aws import client
from chalicelib.config import settings

__all__ = ["decrypt", "encrypt"]


def encrypt(plaintext: str, *, context: dict[str, str], key: str = "pii") -> str:
    """Base64 ciphertext of ``plaintext`` under the configured key ``key`` (a name in ``KEYS``)."""
    blob = client("kms").encrypt(
        KeyId=settings().kms_keys[key],
        Plaintext=plaintext.encode(),
        EncryptionContext=context,
    )["CiphertextBlob"]
    return base64.b64encode(blob).decode()


def decrypt(ciphertext: str, *, context: dict[str, str]) -> str:
    """The plaintext of :func:`encrypt`'s output; KMS refuses it under any other context."""
    answer = client("kms").decrypt(CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=context)
    return str(answer["Plaintext"].decode())
