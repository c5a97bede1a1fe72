"""Reading the audit log (``GET /v1/admin/audit-log``) without a Scan.

The most selective filter picks the Query: a target (gsi2), else an actor (gsi1), else an
action (gsi3), else the period alone (the month partitions, newest month first). The time range
is the sort key condition of that Query (every sort key starts with the entry's time, in
Asia/Shanghai, fixed width, so text order is time order); the remaining filters are a filter
expression on it. Newest first. A page may hold fewer than ``limit`` entries while
``next_cursor`` is set (DynamoDB counts items before the filter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.audit import AUDIT_PREFIX, AuditItem
from chalicelib.errors import ValidationFailed
from chalicelib.pagination import decode_cursor, encode_cursor

__all__ = ["AuditEntry", "AuditQuery", "list_entries", "months_between"]

MAX_MONTHS = 24
"""The longest period a listing by time alone walks (the log is kept for ever; ask by month)."""


@dataclass(frozen=True)
class AuditQuery:
    actor_id: str | None = None
    action: str | None = None
    target_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    at: str
    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    details: dict[str, Any] | None
    request_id: str | None
    ip: str | None


def _entry(item: AuditItem) -> AuditEntry:
    return AuditEntry(
        audit_id=item.audit_id,
        at=item.at,
        actor_id=item.actor_id,
        actor_role=item.actor_role,
        action=item.action,
        target_type=item.target_type,
        target_id=item.target_id,
        before=dict(item.before) if item.before is not None else None,
        after=dict(item.after) if item.after is not None else None,
        details=dict(item.details) if item.details is not None else None,
        request_id=item.request_id,
        ip=item.ip,
    )


def months_between(start: datetime, end: datetime) -> list[str]:
    """``yyyy-mm`` of every month from ``end`` back to ``start`` (both local), newest first."""
    start, end = start.astimezone(clock.SHANGHAI), end.astimezone(clock.SHANGHAI)
    year, month = end.year, end.month
    months: list[str] = []
    while (year, month) >= (start.year, start.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _range(query: AuditQuery) -> tuple[str, str]:
    low = clock.iso(query.date_from) if query.date_from else "0"  # keys may not hold empty strings
    high = (clock.iso(query.date_to) if query.date_to else "9999") + "~"  # "~" sorts after "#<id>"
    return low, high


def _filters(query: AuditQuery, used: str) -> Any:
    condition: Any = None
    for name, value in (
        ("actor_id", query.actor_id),
        ("action", query.action),
        ("target_id", query.target_id),
    ):
        if value is None or name == used:
            continue
        clause = getattr(AuditItem, name) == value
        condition = clause if condition is None else condition & clause
    return condition


def list_entries(query: AuditQuery, *, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
    """One page of entries matching every filter, newest first."""
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise ValidationFailed(details=[{"field": "from", "code": "after_to", "message": "from is after to"}])
    low, high = _range(query)
    if query.target_id or query.actor_id or query.action:
        return _by_index(query, low, high, limit=limit, cursor=cursor)
    return _by_month(query, low, high, limit=limit, cursor=cursor)


def _by_index(
    query: AuditQuery, low: str, high: str, *, limit: int, cursor: str | None
) -> tuple[list[AuditEntry], str | None]:
    index: Any
    if query.target_id:
        index, used, key = AuditItem.gsi2, "target_id", f"{AUDIT_PREFIX}TARGET#{query.target_id}"
        sort = AuditItem.gsi2sk
    elif query.actor_id:
        index, used, key = AuditItem.gsi1, "actor_id", f"{AUDIT_PREFIX}ACTOR#{query.actor_id}"
        sort = AuditItem.gsi1sk
    else:
        index, used, key = AuditItem.gsi3, "action", f"{AUDIT_PREFIX}ACTION#{query.action}"
        sort = AuditItem.gsi3sk
    scope = f"audit:{key}"
    results = index.query(
        key,
        sort.between(low, high),
        filter_condition=_filters(query, used),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    items = [_entry(item) for item in results]
    return items, encode_cursor(scope, results.last_evaluated_key)


def _by_month(
    query: AuditQuery, low: str, high: str, *, limit: int, cursor: str | None
) -> tuple[list[AuditEntry], str | None]:
    """Walk the month partitions newest first; the cursor holds the month and the key within it."""
    end = query.date_to or clock.now()
    start = query.date_from or (end - timedelta(days=366))
    months = months_between(start, end)[:MAX_MONTHS]
    scope = "audit:months"
    resume = decode_cursor(scope, cursor) or {}
    if resume.get("month") in months:
        months = months[months.index(resume["month"]) :]
    last_key: dict[str, Any] | None = resume.get("key")
    items: list[AuditEntry] = []
    for position, month in enumerate(months):
        results = AuditItem.query(
            f"{AUDIT_PREFIX}{month}",
            AuditItem.sk.between(low, high),
            scan_index_forward=False,
            limit=limit - len(items),
            last_evaluated_key=last_key,
        )
        items += [_entry(item) for item in results]
        last_key = results.last_evaluated_key
        if last_key:
            return items, encode_cursor(scope, {"month": month, "key": last_key})
        if len(items) >= limit:
            following = months[position + 1 :]
            return items, encode_cursor(scope, {"month": following[0], "key": None}) if following else None
    return items, None
