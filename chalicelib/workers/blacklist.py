"""The worker blacklist: an ID number an admin barred, with the reason, never usable again.

``BLACKLIST#id_number#<blind index> / BLACKLIST`` (gsi1 ``BLACKLIST`` / ``<at>#<worker id>``
lists them). The key is the same keyed hash the ID-number claim uses, so saving a worker
profile checks it with one key read (and conditions its transaction on it), whichever account
tries: the barred person cannot onboard again under a new phone or e-mail.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = ["BlacklistItem", "is_blacklisted"]


class BlacklistItem(MainItem):
    """One barred ID number (by its blind index)."""

    worker_id = UnicodeAttribute()
    id_number_masked = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UnicodeAttribute()

    @staticmethod
    def key(id_hash: str) -> tuple[str, str]:
        return f"BLACKLIST#id_number#{id_hash}", "BLACKLIST"


def is_blacklisted(id_hash: str) -> bool:
    """True when the ID number of this blind index is barred."""
    try:
        BlacklistItem.get(*BlacklistItem.key(id_hash), consistent_read=True, attributes_to_get=["pk"])
    except BlacklistItem.DoesNotExist:
        return False
    return True
