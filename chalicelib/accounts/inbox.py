"""The in-app notification inbox: written by the platform, read by its owner, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.ids import new_id
from chalicelib.models.accounts import NotificationItem
from chalicelib.pagination import decode_cursor, encode_cursor

__all__ = ["InboxEntry", "list_inbox", "mark_read", "post_to_inbox"]

RETENTION_DAYS = 180


@dataclass(frozen=True)
class InboxEntry:
    notification_id: str
    kind: str
    title: str
    body: str
    order_id: str | None
    read: bool
    created_at: str


def _entry(item: NotificationItem) -> InboxEntry:
    return InboxEntry(
        notification_id=item.notification_id,
        kind=item.kind,
        title=item.title,
        body=item.body,
        order_id=item.order_id,
        read=item.read,
        created_at=item.created_at,
    )


def post_to_inbox(
    user_id: str,
    kind: str,
    title: str,
    body: str,
    *,
    order_id: str | None = None,
    notification_id: str | None = None,
) -> InboxEntry:
    """Add an entry to ``user_id``'s inbox (used by the order and review flows).

    With a ``notification_id`` (``ids.stable_id`` of what caused it) a repeat is a no-op, so a
    consumer that handles an event twice still leaves one entry.
    """
    now = clock.now()
    given = notification_id is not None
    notification_id = notification_id or new_id("ntf")
    item = NotificationItem(
        f"USER#{user_id}",
        f"NOTIF#{notification_id}",
        notification_id=notification_id,
        kind=kind,
        title=title,
        body=body,
        order_id=order_id,
        read=False,
        created_at=clock.iso(now),
        ttl=int((now + timedelta(days=RETENTION_DAYS)).timestamp()),
    )
    try:
        item.save(condition=NotificationItem.sk.does_not_exist() if given else None)
    except PutError as error:
        if not given or error.cause_response_code != "ConditionalCheckFailedException":
            raise
    return _entry(item)


def list_inbox(
    user_id: str, *, limit: int, cursor: str | None, unread_only: bool = False
) -> tuple[list[InboxEntry], str | None]:
    """One page of the inbox, newest first."""
    scope = f"inbox:{user_id}"
    results = NotificationItem.query(
        f"USER#{user_id}",
        NotificationItem.sk.startswith("NOTIF#"),
        filter_condition=(NotificationItem.read == False) if unread_only else None,  # noqa: E712
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    entries = [_entry(item) for item in results]
    return entries, encode_cursor(scope, results.last_evaluated_key)


def mark_read(user_id: str, notification_id: str) -> None:
    """Mark one entry read; 404 when it is not this user's."""
    try:
        NotificationItem(f"USER#{user_id}", f"NOTIF#{notification_id}").update(
            actions=[NotificationItem.read.set(True)], condition=NotificationItem.pk.exists()
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound() from error
        raise
