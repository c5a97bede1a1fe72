"""The audit log: an append-only record of every admin and support action.

One item per action, written with a "must not exist" condition so nothing is ever overwritten;
partitioned by month (``AUDIT#<yyyy-mm>``) with a time-ordered sort key, and by actor on gsi1,
so the admin audit-log endpoint can list by period or by actor without a Scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib import clock
from chalicelib.ids import new_id
from chalicelib.models.base import MainItem

__all__ = ["Actor", "AuditItem", "entry", "record"]


@dataclass(frozen=True)
class Actor:
    """Who performs an admin or support action, as the audit log records it."""

    user_id: str
    role: str
    request_id: str | None = None


class AuditItem(MainItem):
    """``AUDIT#<yyyy-mm> / <at>#<audit id>``; gsi1 ``AUDIT#ACTOR#<actor id>`` / ``<at>``."""

    audit_id = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    target_type = UnicodeAttribute()
    target_id = UnicodeAttribute()
    details = JSONAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


def entry(
    *,
    actor_id: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditItem:
    """A new audit item, to save alone (:func:`record`) or inside the transaction it describes."""
    now = clock.now()
    at = clock.iso(now)
    audit_id = new_id("aud")
    return AuditItem(
        f"AUDIT#{now:%Y-%m}",
        f"{at}#{audit_id}",
        audit_id=audit_id,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        request_id=request_id,
        at=at,
        gsi1pk=f"AUDIT#ACTOR#{actor_id}",
        gsi1sk=at,
    )


def record(**fields: Any) -> str:
    """Append one entry (e.g. ``action="worker.approve"``) on its own; returns its id."""
    item = entry(**fields)
    item.save(condition=AuditItem.pk.does_not_exist())
    return str(item.audit_id)
