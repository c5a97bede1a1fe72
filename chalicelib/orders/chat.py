"""Order chat: the customer and the assigned worker talk on the order; staff may read it.

Messages live in the order's partition (``ORDER#<id> / MSG#<ulid>``), so a page is one Query
and a message can never be read through another order. Rules:

- **Who.** The order's customer and its assigned worker read and post; admin and support read
  only (for disputes), and each of their reads is written to the audit log. Anyone else gets
  404, as if the order did not exist (:mod:`chalicelib.orders.access`).
- **When.** Posting is open while somebody is doing the job: :data:`CHAT_OPEN` (from
  ``assigned`` to ``finished``, and ``disputed``). Before a worker is assigned there is nobody
  to talk to; after ``completed``, ``cancelled`` or ``refunded`` the chat is a read-only record.
  The status is checked inside the write (a condition on the order item), so a message cannot
  slip in after a concurrent cancellation.
- **Order of pages.** Default: newest first, ``next_cursor`` walks back in time (what a chat
  screen shows on opening). ``?after=<message_id>``: only messages newer than that one, oldest
  first (what the app polls for); its ``next_cursor`` continues forward.
- **Notifications.** The other party gets one in-app inbox entry (kind ``order.message``) per
  order while it is unread: a burst of messages raises one entry; once the recipient has read
  it, the next message raises a new one. The state is one small item per recipient and order
  (``ORDER#<id> / CHAT#NOTICE#<user id>``) claimed with a conditional write, so two messages
  posted at once still raise one entry. Notifying never fails the post (logged, counted).
- The text is kept as sent (plain text, nothing masked) and never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import audit, clock, i18n
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.models.accounts import NotificationItem
from chalicelib.models.base import MainItem
from chalicelib.models.orders import MessageItem, OrderItem
from chalicelib.observability import logger, metrics
from chalicelib.orders.access import OrderAccess, order_for
from chalicelib.orders.transactions import commit, reasons
from chalicelib.pagination import decode_cursor, encode_cursor

__all__ = [
    "CHAT_OPEN",
    "NOTICE_KIND",
    "ChatNoticeItem",
    "MessageView",
    "list_messages",
    "post_message",
]

CHAT_OPEN = frozenset({"assigned", "en_route", "arrived", "in_service", "finished", "disputed"})
NOTICE_KIND = "order.message"
NOTICE_RETENTION_DAYS = 180
# A claim whose inbox entry never got written (the process died in between) blocks at most this long.
CLAIM_TIMEOUT = timedelta(seconds=60)
_MESSAGE_ID = re.compile(r"msg_([0-9A-HJKMNP-TV-Z]{26})")
_PREFIX = "MSG#"
_AFTER_ALL = "MSG#~"  # sorts after every MSG#<ulid> (ULIDs are Crockford base32: 0-9, A-Z)

i18n.register(
    {
        "order_chat_closed": {
            "zh-CN": "订单当前状态（{status}）不能发送消息",
            "en": "Messages cannot be sent while the order is {status}.",
        },
    }
)

_NOTICE_TEXT = {
    "title": "订单有新消息",
    "body": "您的订单 {order_id} 有新的聊天消息，请打开订单查看。",
}


class ChatNoticeItem(MainItem):
    """``ORDER#<id> / CHAT#NOTICE#<recipient id>``: the recipient's latest chat notification.

    ``claim`` changes with every new notification (the condition of the next claim);
    ``notification_id`` is the inbox entry, empty while it is being written. The sort key sorts
    before ``EVENT#`` and outside ``MSG#``, so neither the timeline nor chat reads see it.
    """

    order_id = UnicodeAttribute()
    recipient_id = UnicodeAttribute()
    claim = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    notification_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(order_id: str, recipient_id: str) -> tuple[str, str]:
        return f"ORDER#{order_id}", f"CHAT#NOTICE#{recipient_id}"


@dataclass(frozen=True)
class MessageView:
    message_id: str
    order_id: str
    sender_id: str
    sender_role: str
    text: str
    created_at: str


def _view(item: MessageItem) -> MessageView:
    return MessageView(
        message_id=item.message_id,
        order_id=item.order_id,
        sender_id=item.sender_id,
        sender_role=item.sender_role,
        text=item.text,
        created_at=item.created_at,
    )


def _sort_key(message_id: str) -> str:
    """``msg_<ulid>`` → ``MSG#<ulid>``; the ULID orders messages by time."""
    return _PREFIX + message_id.removeprefix("msg_")


def _after_key(after: str) -> str:
    """The lowest sort key strictly after message ``after``: equal-length ULIDs that sort after
    ``<ulid>`` also sort after ``<ulid>0``, and ``<ulid>`` itself sorts before it."""
    match = _MESSAGE_ID.fullmatch(after)
    if match is None:
        raise ValidationFailed(
            details=[
                {"field": "after", "in": "query", "code": "invalid_message_id", "message": "not a message id"}
            ]
        )
    return f"{_PREFIX}{match.group(1)}0"


def post_message(order_id: str, user_id: str, role: str, text: str) -> MessageView:
    """Post ``text`` as the order's customer or worker; 404 for anyone else, 409 when closed."""
    access = order_for(order_id, user_id, role)
    if access.is_staff:
        raise NotFound()  # staff read chats for disputes; they never speak in one
    order = access.order
    if order.status not in CHAT_OPEN:
        raise Conflict("order_chat_closed", status=order.status)
    now = clock.now()
    message_id = new_id("msg")
    pk, _ = OrderItem.key(order_id)
    item = MessageItem(
        pk,
        _sort_key(message_id),
        order_id=order_id,
        message_id=message_id,
        sender_id=user_id,
        sender_role=access.party,
        text=text,
        created_at=clock.iso(now),
    )
    party_field = OrderItem.customer_id if access.party == "customer" else OrderItem.worker_id
    still_open = OrderItem.status.is_in(*CHAT_OPEN) & (party_field == user_id)

    def build(transaction: TransactWrite) -> None:
        transaction.condition_check(OrderItem, *OrderItem.key(order_id), condition=still_open)
        transaction.save(item, condition=MessageItem.pk.does_not_exist())

    try:
        commit(build)
    except TransactWriteError as error:
        if reasons(error)[:1] == ["ConditionalCheckFailed"]:
            _raise_for_changed_order(order_id, user_id, role)
        raise
    logger.info("chat message posted", order_id=order_id, message_id=message_id, sender_role=access.party)
    recipient = order.worker_id if access.party == "customer" else order.customer_id
    if recipient:
        _notify(order_id, recipient, now)
    return _view(item)


def _raise_for_changed_order(order_id: str, user_id: str, role: str) -> None:
    """The order changed between the read and the write: say how, as the first check would have."""
    current = order_for(order_id, user_id, role, consistent=True)  # 404 if no longer theirs
    raise Conflict("order_chat_closed", status=current.order.status)


def list_messages(
    order_id: str,
    user_id: str,
    role: str,
    *,
    limit: int,
    cursor: str | None,
    after: str | None,
    request_id: str | None = None,
) -> tuple[list[MessageView], str | None]:
    """A page of the order's chat: newest first, or (``after``) the newer ones oldest first.

    A staff read is audited before anything is returned, so no read goes unrecorded.
    """
    access = order_for(order_id, user_id, role)
    if access.is_staff:
        _audit_read(access, after=after, cursor=cursor, request_id=request_id)
    pk, _ = OrderItem.key(order_id)
    if after is None:
        scope = f"chat:{order_id}:back"
        results = MessageItem.query(
            pk,
            MessageItem.sk.startswith(_PREFIX),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(scope, cursor),
        )
    else:
        scope = f"chat:{order_id}:after"
        results = MessageItem.query(
            pk,
            MessageItem.sk.between(_after_key(after), _AFTER_ALL),
            scan_index_forward=True,
            limit=limit,
            last_evaluated_key=decode_cursor(scope, cursor),
        )
    views = [_view(item) for item in results]
    return views, encode_cursor(scope, results.last_evaluated_key)


def _audit_read(
    access: OrderAccess, *, after: str | None, cursor: str | None, request_id: str | None
) -> None:
    audit.record(
        actor_id=access.user_id,
        actor_role=access.role,
        action="order.messages.read",
        target_type="order",
        target_id=access.order.order_id,
        details={"after": after, "next_page": cursor is not None},
        request_id=request_id,
    )


def _notify(order_id: str, recipient_id: str, now: datetime) -> None:
    """Tell the recipient there is news, unless an earlier notice of this chat is still unread."""
    try:
        if _claim_notice(order_id, recipient_id, now) is None:
            metrics.add_metric(name="ChatNoticesThrottled", unit="Count", value=1)
    except Exception:
        logger.exception("chat notification failed", order_id=order_id)
        metrics.add_metric(name="ChatNoticeFailures", unit="Count", value=1)


def _claim_notice(order_id: str, recipient_id: str, now: datetime) -> str | None:
    """Post one inbox entry if none is pending; returns its id, or ``None`` when throttled."""
    key = ChatNoticeItem.key(order_id, recipient_id)
    try:
        notice: ChatNoticeItem | None = ChatNoticeItem.get(*key, consistent_read=True)
    except ChatNoticeItem.DoesNotExist:
        notice = None
    if notice is not None and _pending(notice, now):
        return None
    claim = new_id("cln")
    condition = ChatNoticeItem.pk.does_not_exist() if notice is None else ChatNoticeItem.claim == notice.claim
    claimed = ChatNoticeItem(
        *key,
        order_id=order_id,
        recipient_id=recipient_id,
        claim=claim,
        claimed_at=clock.iso(now),
        notification_id=None,
        ttl=int((now + timedelta(days=NOTICE_RETENTION_DAYS)).timestamp()),
    )
    try:
        claimed.save(condition=condition)
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return None  # a message posted at the same moment claimed it: one entry is enough
        raise
    entry = post_to_inbox(
        recipient_id,
        NOTICE_KIND,
        _NOTICE_TEXT["title"],
        _NOTICE_TEXT["body"].format(order_id=order_id),
        order_id=order_id,
    )
    try:
        claimed.update(
            actions=[ChatNoticeItem.notification_id.set(entry.notification_id)],
            condition=ChatNoticeItem.claim == claim,
        )
    except UpdateError:
        logger.warning("chat notice claim moved on", order_id=order_id)
    return entry.notification_id


def _pending(notice: ChatNoticeItem, now: datetime) -> bool:
    """Whether the recipient still has an unread notice of this chat (or one is being written)."""
    if notice.notification_id is None:
        return datetime.fromisoformat(notice.claimed_at) > now - CLAIM_TIMEOUT
    try:
        entry = NotificationItem.get(f"USER#{notice.recipient_id}", f"NOTIF#{notice.notification_id}")
    except NotificationItem.DoesNotExist:
        return False  # expired or gone: notify again
    return not entry.read
