"""Prefixed, time-ordered identifiers (``usr_01J...``), Stripe style.

ULIDs sort by creation time, so an id doubles as a sort key for "newest first" listings.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from ulid import ULID

from chalicelib import clock

__all__ = ["new_id", "stable_id"]


def new_id(prefix: str) -> str:
    """A new id such as ``usr_01JD8X...``, time-ordered by the platform clock."""
    return f"{prefix}_{ULID.from_datetime(clock.now())!s}"


def stable_id(prefix: str, at: datetime, key: str) -> str:
    """The same time-ordered id every time for (``at``, ``key``).

    For writes a retried consumer repeats (an inbox entry, an SMS for one event): the id sorts
    like a ULID made at ``at``, and its random part is a hash of ``key``, so a repeat hits the same
    item and a conditional write or an idempotency record recognises it.
    """
    millis = int(at.timestamp() * 1000).to_bytes(6, "big")
    return f"{prefix}_{ULID.from_bytes(millis + hashlib.sha256(key.encode()).digest()[:10])!s}"
