"""Report exports: one item per requested (or nightly) export and where it stands.

``EXPORT#<id> / EXPORT``; gsi1 ``EXPORTS#<kind>`` / ``<created_at>#<id>`` (one kind, newest
first); gsi2 ``EXPORTS`` / ``<created_at>#<id>`` (every export, newest first).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import MainItem

__all__ = ["ExportItem"]


class ExportItem(MainItem):
    """``status``: queued → running → ready, or failed (with ``reason``) after the last attempt."""

    export_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # on_demand | nightly
    report = UnicodeAttribute()
    format = UnicodeAttribute()
    date_from = UnicodeAttribute()
    date_to = UnicodeAttribute()
    status = UnicodeAttribute(default="queued")
    attempts = NumberAttribute(default=0)
    s3_key = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(export_id: str) -> tuple[str, str]:
        return f"EXPORT#{export_id}", "EXPORT"
