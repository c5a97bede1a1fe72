"""Prefixed, time-ordered identifiers (``usr_01J...``), Stripe style.

ULIDs sort by creation time, so an id doubles as a sort key for "newest first" listings.
"""

from __future__ import annotations

from ulid import ULID

from chalicelib import clock

__all__ = ["new_id"]


def new_id(prefix: str) -> str:
    """A new id such as ``usr_01JD8X...``, time-ordered by the platform clock."""
    return f"{prefix}_{ULID.from_datetime(clock.now())!s}"
