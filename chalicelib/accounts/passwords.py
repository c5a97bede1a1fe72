"""argon2id password hashes.

Parameters follow OWASP's password storage guidance for argon2id (19 MiB, 2 passes, 1 lane):
about 50 ms per hash on one Lambda vCPU, so sign-ins stay cheap in the Spring Festival rush
while guessing stays expensive. Hashes made with other parameters are upgraded at sign-in.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["check_password", "dummy_check", "hash_password", "needs_rehash"]


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong password or a broken hash."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def dummy_check(password: str) -> None:
    """Spend the time of a real check, so an unknown account answers as slowly as a known one."""
    check_password(_dummy_hash(), password)
