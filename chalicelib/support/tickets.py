"""Support tickets: opened by customers and workers, answered by staff (``docs/support.md``).

Access: the owner sees her own tickets; admins and support agents see every ticket; anyone
else gets 404. A ticket may name one of the owner's own orders (404 otherwise), so staff can
read that order's chat and timeline through the order routes (their reads are audited there).

Writes: each staff change (status, assignee, a reply) is one transaction with its audit entry,
conditioned on the ticket's ``version`` as read (409 ``ticket_changed`` if another write came
first). The owner is told of every staff reply and of the resolution in her inbox (ids derived
from the message, so a retry does not tell her twice). Opening a ticket sets its first-response
timer (``chalicelib.support.sla``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock, i18n, uploads
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.audit import Actor, AuditItem
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.accounts import UserItem
from chalicelib.models.base import transact_write
from chalicelib.observability import logger, metrics
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.support import rules
from chalicelib.support.items import TicketAttachmentItem, TicketItem, TicketMessageItem

__all__ = [
    "MAX_ATTACHMENTS",
    "AttachmentView",
    "MessageView",
    "TicketView",
    "add_attachment",
    "get_ticket",
    "list_messages",
    "list_own",
    "list_staff",
    "open_ticket",
    "post_message",
    "rate",
    "staff_update",
]

STAFF = frozenset({"admin", "support"})
MAX_ATTACHMENTS = 10

i18n.register(
    {
        "ticket_closed": {"zh-CN": "工单已关闭", "en": "The ticket is closed."},
        "ticket_changed": {
            "zh-CN": "工单已被他人修改，请刷新后重试",
            "en": "The ticket changed meanwhile; reload it.",
        },
        "invalid_ticket_status": {
            "zh-CN": "工单当前状态（{status}）不允许此操作",
            "en": "Not allowed while the ticket is {status}.",
        },
        "too_many_attachments": {
            "zh-CN": "附件数量已达上限",
            "en": "This ticket has all the attachments it may have.",
        },
    }
)


@dataclass(frozen=True)
class AttachmentView:
    attachment_id: str
    file_name: str
    content_type: str
    size_bytes: int
    uploaded: bool
    download_url: str | None


@dataclass(frozen=True)
class TicketView:
    ticket_id: str
    type: str
    subject: str
    body: str
    order_id: str | None
    status: str
    owner_id: str
    owner_role: str
    assignee_id: str | None
    rating: int | None
    rating_comment: str | None
    first_response_at: str | None
    resolved_at: str | None
    sla_due_at: str | None
    created_at: str
    updated_at: str
    attachments: list[AttachmentView] = field(default_factory=list)


@dataclass(frozen=True)
class MessageView:
    message_id: str
    author_id: str
    author_role: str
    from_staff: bool
    text: str
    created_at: str


def _view(item: TicketItem, attachments: list[AttachmentView] | None = None) -> TicketView:
    return TicketView(
        ticket_id=item.ticket_id,
        type=item.type,
        subject=item.subject,
        body=item.body,
        order_id=item.order_id,
        status=item.status,
        owner_id=item.owner_id,
        owner_role=item.owner_role,
        assignee_id=item.assignee_id,
        rating=int(item.rating) if item.rating is not None else None,
        rating_comment=item.rating_comment,
        first_response_at=item.first_response_at,
        resolved_at=item.resolved_at,
        sla_due_at=item.sla_due_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
        attachments=attachments or [],
    )


def _load(ticket_id: str) -> TicketItem | None:
    try:
        return TicketItem.get(*TicketItem.key(ticket_id), consistent_read=True)
    except TicketItem.DoesNotExist:
        return None


def _accessible(ticket_id: str, user_id: str, role: str) -> TicketItem:
    ticket = _load(ticket_id)
    if ticket is None or (role not in STAFF and ticket.owner_id != user_id):
        raise NotFound()
    return ticket


def _keys(ticket: TicketItem) -> None:
    ticket.gsi1pk, ticket.gsi1sk = (
        f"USER#{ticket.owner_id}#TICKETS",
        f"{ticket.created_at}#{ticket.ticket_id}",
    )
    ticket.gsi2pk, ticket.gsi2sk = f"TICKETS#{ticket.status}", f"{ticket.created_at}#{ticket.ticket_id}"
    if ticket.assignee_id:
        ticket.gsi3pk = f"TICKETS#ASSIGNEE#{ticket.assignee_id}"
        ticket.gsi3sk = f"{ticket.created_at}#{ticket.ticket_id}"


def open_ticket(
    owner_id: str, role: str, ticket_type: str, subject: str, body: str, order_id: str | None
) -> TicketView:
    """A new ``open`` ticket (404 when ``order_id`` is not one of the owner's orders)."""
    from chalicelib.settings.current import current_settings
    from chalicelib.support.sla import start_first_response_timer

    city = None
    if order_id:
        from chalicelib.orders.access import order_for

        city = (order_for(order_id, owner_id, role).order.address or {}).get("city")
    now = clock.now()
    due = now + timedelta(hours=current_settings(city).support_first_response_hours)
    ticket_id = new_id("tkt")
    ticket = TicketItem(
        *TicketItem.key(ticket_id),
        ticket_id=ticket_id,
        owner_id=owner_id,
        owner_role=role,
        type=ticket_type,
        subject=subject,
        body=body,
        order_id=order_id,
        status="open",
        sla_due_at=clock.iso(due),
        version=1,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
    )
    _keys(ticket)
    ticket.save(condition=TicketItem.pk.does_not_exist())
    start_first_response_timer(ticket_id, due)
    metrics.add_metric(name=f"TicketsOpened_{ticket_type}", unit="Count", value=1)
    return _view(ticket)


def _page(results: Any, scope: str) -> tuple[list[TicketView], str | None]:
    return [_view(item) for item in results], encode_cursor(scope, results.last_evaluated_key)


def list_own(owner_id: str, *, limit: int, cursor: str | None) -> tuple[list[TicketView], str | None]:
    """The owner's tickets, newest first."""
    scope = f"tickets:{owner_id}"
    results = TicketItem.gsi1.query(
        f"USER#{owner_id}#TICKETS",
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    return _page(results, scope)


def list_staff(
    *, status: str | None, ticket_type: str | None, assignee_id: str | None, limit: int, cursor: str | None
) -> tuple[list[TicketView], str | None]:
    """The staff queue: by assignee (gsi3) or by status (gsi2), oldest first; other filters narrow it.

    Without either, the open tickets (the queue to work on).
    """
    condition: Any = None
    if ticket_type:
        condition = TicketItem.type == ticket_type
    if assignee_id:
        key = f"TICKETS#ASSIGNEE#{assignee_id}"
        if status:
            clause = TicketItem.status == status
            condition = clause if condition is None else condition & clause
        index: Any = TicketItem.gsi3
    else:
        key, index = f"TICKETS#{status or 'open'}", TicketItem.gsi2
    scope = f"tickets:{key}"
    results = index.query(
        key, filter_condition=condition, limit=limit, last_evaluated_key=decode_cursor(scope, cursor)
    )
    return _page(results, scope)


def _attachments(ticket_id: str) -> list[AttachmentView]:
    views = []
    for item in TicketAttachmentItem.query(f"TICKET#{ticket_id}", TicketAttachmentItem.sk.startswith("ATT#")):
        stored = uploads.head(item.s3_key)
        views.append(
            AttachmentView(
                attachment_id=item.attachment_id,
                file_name=item.file_name,
                content_type=item.content_type,
                size_bytes=int(item.size_bytes),
                uploaded=stored is not None,
                download_url=uploads.presign_download(item.s3_key, file_name=item.file_name)
                if stored
                else None,
            )
        )
    return views


def get_ticket(ticket_id: str, user_id: str, role: str) -> TicketView:
    """One ticket with its attachments (5-minute download links for those uploaded)."""
    ticket = _accessible(ticket_id, user_id, role)
    return _view(ticket, _attachments(ticket_id))


def _message_view(item: TicketMessageItem) -> MessageView:
    return MessageView(
        message_id=item.message_id,
        author_id=item.author_id,
        author_role=item.author_role,
        from_staff=item.author_role in STAFF,
        text=item.text,
        created_at=item.created_at,
    )


def list_messages(
    ticket_id: str, user_id: str, role: str, *, limit: int, cursor: str | None
) -> tuple[list[MessageView], str | None]:
    """The conversation, oldest first."""
    _accessible(ticket_id, user_id, role)
    scope = f"ticket-messages:{ticket_id}"
    results = TicketMessageItem.query(
        f"TICKET#{ticket_id}",
        TicketMessageItem.sk.startswith("MSG#"),
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    return [_message_view(item) for item in results], encode_cursor(scope, results.last_evaluated_key)


def _changed() -> Conflict:
    return Conflict("ticket_changed")


def post_message(ticket_id: str, actor: Actor, text: str) -> MessageView:
    """Add a message; a staff reply counts as the first response and tells the owner."""
    ticket = _accessible(ticket_id, actor.user_id, actor.role)
    if not rules.can_message(ticket.status):
        raise Conflict("ticket_closed")
    now = clock.iso()
    message_id = new_id("tmsg")
    message = TicketMessageItem(
        f"TICKET#{ticket_id}",
        f"MSG#{message_id}",
        message_id=message_id,
        ticket_id=ticket_id,
        author_id=actor.user_id,
        author_role=actor.role,
        text=text,
        created_at=now,
    )
    staff = actor.role in STAFF
    actions: list[Any] = [TicketItem.updated_at.set(now), TicketItem.version.add(1)]
    before = {"status": ticket.status}
    if staff and ticket.first_response_at is None:
        actions.append(TicketItem.first_response_at.set(now))
    if staff and ticket.status == "open":
        actions += [TicketItem.status.set("in_progress"), TicketItem.gsi2pk.set("TICKETS#in_progress")]
    try:
        with transact_write() as transaction:
            transaction.save(message, condition=TicketMessageItem.pk.does_not_exist())
            transaction.update(ticket, actions=actions, condition=TicketItem.version == ticket.version)
            if staff:
                entry = audit.entry(
                    actor_id=actor.user_id,
                    actor_role=actor.role,
                    action="ticket.reply",
                    target_type="ticket",
                    target_id=ticket_id,
                    before=before,
                    after={"status": "in_progress" if ticket.status == "open" else ticket.status},
                    details={"message_id": message_id},
                    request_id=actor.request_id,
                    ip=actor.ip,
                )
                transaction.save(entry, condition=AuditItem.pk.does_not_exist())
    except TransactWriteError as error:
        raise _changed() from error
    if staff:
        _tell_owner(
            ticket, "support.reply", "客服已回复您的工单", f"「{ticket.subject}」：{text[:80]}", message_id
        )
    return _message_view(message)


def _tell_owner(ticket: TicketItem, kind: str, title: str, body: str, cause: str) -> None:
    """The owner's inbox; the change stands whatever happens here (logged and counted)."""
    from chalicelib.ids import stable_id

    try:
        post_to_inbox(
            ticket.owner_id,
            kind,
            title,
            body,
            order_id=ticket.order_id,
            notification_id=stable_id("ntf", clock.now(), f"{ticket.ticket_id}|{cause}"),
        )
    except Exception:
        logger.exception("ticket notice failed", ticket_id=ticket.ticket_id)
        metrics.add_metric(name="TicketNoticeFailures", unit="Count", value=1)


def rate(ticket_id: str, owner_id: str, score: int, comment: str | None) -> TicketView:
    """The owner's satisfaction score (1-5) on a resolved ticket, once (409 otherwise)."""
    ticket = _accessible(ticket_id, owner_id, "owner")
    rating = int(ticket.rating) if ticket.rating is not None else None
    if not rules.can_rate(ticket.status, rating):
        raise Conflict("invalid_ticket_status", status=ticket.status if rating is None else "rated")
    actions: list[Any] = [TicketItem.rating.set(score), TicketItem.updated_at.set(clock.iso())]
    if comment:
        actions.append(TicketItem.rating_comment.set(comment))
    try:
        ticket.update(
            actions=actions,
            condition=TicketItem.rating.does_not_exist() & TicketItem.status.is_in("resolved", "closed"),
        )
    except Exception as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise Conflict("invalid_ticket_status", status="rated") from error
        raise
    metrics.add_metric(name="TicketRatings", unit="Count", value=score)
    return _view(ticket)


def _require_staff(user_id: str) -> None:
    try:
        user = UserItem.get(*UserItem.key(user_id))
    except UserItem.DoesNotExist:
        user = None
    if user is None or user.role not in STAFF or user.status != "active":
        raise ValidationFailed(
            details=[{"field": "assignee_id", "code": "not_staff", "message": "not an active staff member"}]
        )


def staff_update(ticket_id: str, actor: Actor, *, status: str | None, assignee_id: str | None) -> TicketView:
    """Move and/or assign a ticket (audited); 409 for a move the rules do not allow."""
    ticket = _accessible(ticket_id, actor.user_id, actor.role)
    if assignee_id:
        _require_staff(assignee_id)
    target = status or ticket.status
    if not rules.allowed(ticket.status, target):
        raise Conflict(
            "invalid_ticket_status", status=ticket.status, details=[{"current_status": ticket.status}]
        )
    now = clock.iso()
    before = {"status": ticket.status, "assignee_id": ticket.assignee_id}
    after = {"status": target, "assignee_id": assignee_id or ticket.assignee_id}
    actions: list[Any] = [
        TicketItem.status.set(target),
        TicketItem.gsi2pk.set(f"TICKETS#{target}"),
        TicketItem.updated_at.set(now),
        TicketItem.version.add(1),
    ]
    if target == "resolved" and ticket.status != "resolved":
        actions.append(TicketItem.resolved_at.set(now))
    if assignee_id and assignee_id != ticket.assignee_id:
        actions += [
            TicketItem.assignee_id.set(assignee_id),
            TicketItem.gsi3pk.set(f"TICKETS#ASSIGNEE#{assignee_id}"),
            TicketItem.gsi3sk.set(f"{ticket.created_at}#{ticket_id}"),
        ]
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="ticket.update",
        target_type="ticket",
        target_id=ticket_id,
        before=before,
        after=after,
        request_id=actor.request_id,
        ip=actor.ip,
    )
    try:
        with transact_write() as transaction:
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
            transaction.update(ticket, actions=actions, condition=TicketItem.version == ticket.version)
    except TransactWriteError as error:
        raise _changed() from error
    if target == "resolved" and before["status"] != "resolved":
        _tell_owner(
            ticket,
            "support.resolved",
            "您的工单已解决",
            f"「{ticket.subject}」已处理完毕，欢迎为本次服务评分。",
            f"resolved|{now}",
        )
    return _view(_accessible(ticket_id, actor.user_id, actor.role))


def add_attachment(
    ticket_id: str, user_id: str, role: str, *, file_name: str, content_type: str, size_bytes: int
) -> tuple[AttachmentView, uploads.PresignedUpload]:
    """A slot for one file: the client PUTs it to the presigned URL (15 minutes)."""
    ticket = _accessible(ticket_id, user_id, role)
    if not rules.can_message(ticket.status):
        raise Conflict("ticket_closed")
    existing = TicketAttachmentItem.count(f"TICKET#{ticket_id}", TicketAttachmentItem.sk.startswith("ATT#"))
    if existing >= MAX_ATTACHMENTS:
        raise Conflict("too_many_attachments")
    attachment_id = new_id("tatt")
    display = re.split(r"[\\/]", file_name)[-1].strip() or "file"
    safe = re.sub(r"[^\w.\-]", "_", display)[-80:]
    key = f"support/{ticket_id}/{attachment_id}/{safe}"
    item = TicketAttachmentItem(
        *TicketAttachmentItem.key(ticket_id, attachment_id),
        attachment_id=attachment_id,
        ticket_id=ticket_id,
        uploaded_by=user_id,
        file_name=display,
        content_type=content_type,
        size_bytes=size_bytes,
        s3_key=key,
        created_at=clock.iso(),
    )
    item.save(condition=TicketAttachmentItem.pk.does_not_exist())
    upload = uploads.presign_upload(key, content_type=content_type, size_bytes=size_bytes)
    view = AttachmentView(attachment_id, display, content_type, size_bytes, uploaded=False, download_url=None)
    return view, upload
