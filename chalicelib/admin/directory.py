"""The admin user directory (``GET /v1/admin/users``): every filter a Query, never a Scan.

- ``q`` that reads as a phone number or an e-mail address: the keyed-hash identity index
  (``IDENT#<kind>#<blind>``, one GetItem) gives the one user it belongs to, or nobody;
- any other ``q``: a name prefix on gsi3 ``USERS#BYNAME`` / ``<case-folded name>#<user id>``;
- ``role``: gsi2 ``ROLE#<role>`` newest first;
- otherwise gsi1 ``USERS#<status>`` newest first (both statuses in turn when none is asked).

The filters the chosen index does not key on are a filter expression, so a page may hold fewer
than ``limit`` users while ``next_cursor`` is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.accounts.identifiers import normalize_email, normalize_phone
from chalicelib.accounts.users import USERS_BY_NAME, name_key
from chalicelib.crypto import blind_index
from chalicelib.models.accounts import IdentityItem, UserItem
from chalicelib.pagination import decode_cursor, encode_cursor

__all__ = [
    "STATUSES",
    "UserFilter",
    "UserSummary",
    "backfill_directory_keys",
    "contact_kind",
    "list_users",
    "summary",
]

STATUSES = ("active", "suspended")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()]{7,20}$")


@dataclass(frozen=True)
class UserFilter:
    role: str | None = None
    status: str | None = None
    group: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class UserSummary:
    user_id: str
    role: str
    status: str
    name: str
    phone: str | None  # masked
    email: str | None  # masked
    groups: list[str]
    level: str | None
    created_at: str


def summary(item: UserItem) -> UserSummary:
    return UserSummary(
        user_id=item.user_id,
        role=item.role,
        status=item.status,
        name=item.name,
        phone=item.phone_masked,
        email=item.email_masked,
        groups=[str(group) for group in item.groups or []],
        level=item.level,
        created_at=item.created_at,
    )


def contact_kind(q: str) -> tuple[str, str] | None:
    """``(kind, normalised value)`` when ``q`` is a full phone number or e-mail address."""
    text = q.strip()
    try:
        if "@" in text:
            return "email", normalize_email(text)
        if _PHONE_LIKE.fullmatch(text):
            return "phone", normalize_phone(text)
    except ValueError:
        return None
    return None


def _matches(item: UserItem, wanted: UserFilter) -> bool:
    return (
        (wanted.role is None or item.role == wanted.role)
        and (wanted.status is None or item.status == wanted.status)
        and (wanted.group is None or wanted.group in (item.groups or []))
    )


def _filters(wanted: UserFilter, *, skip: str) -> Any:
    condition: Any = None
    clauses: list[Any] = []
    if wanted.role is not None and skip != "role":
        clauses.append(UserItem.role == wanted.role)
    if wanted.status is not None and skip != "status":
        clauses.append(UserItem.status == wanted.status)
    if wanted.group is not None:
        clauses.append(UserItem.groups.contains(wanted.group))
    for clause in clauses:
        condition = clause if condition is None else condition & clause
    return condition


def list_users(wanted: UserFilter, *, limit: int, cursor: str | None) -> tuple[list[UserSummary], str | None]:
    """One page of the directory (see the module docstring for which index answers)."""
    if wanted.q:
        contact = contact_kind(wanted.q)
        if contact is not None:
            return _by_contact(*contact, wanted), None
        return _query(
            UserItem.gsi3,
            USERS_BY_NAME,
            UserItem.gsi3sk.startswith(name_key(wanted.q)),
            _filters(wanted, skip=""),
            forward=True,
            limit=limit,
            cursor=cursor,
        )
    if wanted.role:
        return _query(
            UserItem.gsi2,
            f"ROLE#{wanted.role}",
            None,
            _filters(wanted, skip="role"),
            limit=limit,
            cursor=cursor,
        )
    statuses = [wanted.status] if wanted.status else list(STATUSES)
    return _walk_statuses(statuses, wanted, limit=limit, cursor=cursor)


def _by_contact(kind: str, value: str, wanted: UserFilter) -> list[UserSummary]:
    try:
        identity = IdentityItem.get(*IdentityItem.key(kind, blind_index(kind, value)))
        user = UserItem.get(*UserItem.key(identity.user_id))
    except (IdentityItem.DoesNotExist, UserItem.DoesNotExist):
        return []
    return [summary(user)] if _matches(user, wanted) else []


def _query(
    index: Any,
    key: str,
    range_condition: Any,
    filters: Any,
    *,
    limit: int,
    cursor: str | None,
    forward: bool = False,
) -> tuple[list[UserSummary], str | None]:
    scope = f"users:{key}"
    results = index.query(
        key,
        range_condition,
        filter_condition=filters,
        scan_index_forward=forward,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    items = [summary(item) for item in results]
    return items, encode_cursor(scope, results.last_evaluated_key)


def _walk_statuses(
    statuses: list[str], wanted: UserFilter, *, limit: int, cursor: str | None
) -> tuple[list[UserSummary], str | None]:
    scope = "users:statuses"
    resume = decode_cursor(scope, cursor) or {}
    if resume.get("status") in statuses:
        statuses = statuses[statuses.index(resume["status"]) :]
    last_key: dict[str, Any] | None = resume.get("key")
    found: list[UserSummary] = []
    for position, status in enumerate(statuses):
        results = UserItem.gsi1.query(
            f"USERS#{status}",
            filter_condition=_filters(wanted, skip="status"),
            scan_index_forward=False,
            limit=limit - len(found),
            last_evaluated_key=last_key,
        )
        found += [summary(item) for item in results]
        last_key = results.last_evaluated_key
        if last_key:
            return found, encode_cursor(scope, {"status": status, "key": last_key})
        if len(found) >= limit:
            rest = statuses[position + 1 :]
            return found, encode_cursor(scope, {"status": rest[0], "key": None}) if rest else None
    return found, None


def backfill_directory_keys() -> int:
    """Give accounts made before the directory existed its keys (by role, one Query each); idempotent.

    Run by the local seed on every ``make run``; on a deployed stage, once after deploying.
    """
    from chalicelib.accounts.users import directory_keys

    fixed = 0
    for role in ("customer", "worker", "admin", "support"):
        for item in UserItem.gsi2.query(f"ROLE#{role}", filter_condition=UserItem.gsi3pk.does_not_exist()):
            keys = directory_keys(item.user_id, item.status, item.name, item.created_at)
            item.update(actions=[getattr(UserItem, name).set(value) for name, value in keys.items()])
            fixed += 1
    return fixed
