"""The audit log: an append-only record of every admin and support action.

One item per action, written with a "must not exist" condition so nothing is ever overwritten,
in the same transaction as the change it records (callers add :func:`entry` to their own
transaction; :func:`record` is for actions that change nothing else, such as a reveal).
Deployed, the app's IAM policy denies UpdateItem/DeleteItem on ``AUDIT#`` keys, so not even the
app can change an entry (``infra/cdk/capabilities/audit_guard.py``).

Keys, so the admin endpoint answers every filter with a Query (``chalicelib.admin.audit_log``):

- table: ``AUDIT#<yyyy-mm>`` / ``<at>#<audit id>`` (by period, month by month);
- gsi1: ``AUDIT#ACTOR#<actor id>`` / ``<at>#<audit id>`` (by who);
- gsi2: ``AUDIT#TARGET#<target id>`` / ``<at>#<audit id>`` (by what it touched);
- gsi3: ``AUDIT#ACTION#<action>`` / ``<at>#<audit id>`` (by kind of action).

The request id and the client's address come from the request being served
(``chalicelib.request_context``) unless given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib import clock, request_context
from chalicelib.ids import new_id
from chalicelib.models.base import MainItem

__all__ = ["AUDIT_PREFIX", "Actor", "AuditItem", "entry", "record"]

AUDIT_PREFIX = "AUDIT#"
"""Every audit key starts with it: the IAM deny on changes is conditioned on this prefix."""


@dataclass(frozen=True)
class Actor:
    """Who performs an admin or support action, as the audit log records it."""

    user_id: str
    role: str
    request_id: str | None = None
    ip: str | None = None


class AuditItem(MainItem):
    """One audit entry (see the module docstring for its keys)."""

    audit_id = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    target_type = UnicodeAttribute()
    target_id = UnicodeAttribute()
    details = JSONAttribute(null=True)
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    request_id = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


def entry(
    *,
    actor_id: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request_id: str | None = None,
    ip: str | None = None,
) -> AuditItem:
    """A new audit item, to save alone (:func:`record`) or inside the transaction it describes.

    Save it with ``condition=AuditItem.pk.does_not_exist()``.
    """
    now = clock.now()
    at = clock.iso(now)
    audit_id = new_id("aud")
    sort = f"{at}#{audit_id}"
    context = request_context.current()
    request_context.mark_audited()
    return AuditItem(
        f"{AUDIT_PREFIX}{now:%Y-%m}",
        sort,
        audit_id=audit_id,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        before=before,
        after=after,
        request_id=request_id or (context.request_id if context else None),
        ip=ip or (context.client_ip if context else None),
        at=at,
        gsi1pk=f"{AUDIT_PREFIX}ACTOR#{actor_id}",
        gsi1sk=sort,
        gsi2pk=f"{AUDIT_PREFIX}TARGET#{target_id}",
        gsi2sk=sort,
        gsi3pk=f"{AUDIT_PREFIX}ACTION#{action}",
        gsi3sk=sort,
    )


def record(**fields: Any) -> str:
    """Append one entry (e.g. ``action="worker.approve"``) on its own; returns its id."""
    item = entry(**fields)
    item.save(condition=AuditItem.pk.does_not_exist())
    return str(item.audit_id)
