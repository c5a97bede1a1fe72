"""The audit log for admins: every admin and support action, filtered without a Scan."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.admin import AuditEntryOut, AuditLogQuery, as_period_end, as_period_start
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.admin import audit_log
else:
    audit_log = lazy_import("chalicelib.admin.audit_log")

api = Api("admin_audit")


@api.get(
    "/v1/admin/audit-log", roles=("admin",), query=AuditLogQuery, response=Page[AuditEntryOut], errors=(422,)
)
def list_audit_log(request: Request[Any]) -> Page[AuditEntryOut]:
    """Entries by actor, action, target and time (any combination), newest first; nobody can change one."""
    query: AuditLogQuery = request.query
    entries, cursor = audit_log.list_entries(
        audit_log.AuditQuery(
            actor_id=query.actor_id,
            action=query.action,
            target_id=query.target_id,
            date_from=as_period_start(query.date_from),
            date_to=as_period_end(query.to),
        ),
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(asdict(entry)) for entry in entries], next_cursor=cursor
    )
