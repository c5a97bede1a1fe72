"""The chat of an order: its customer and assigned worker talk; admin and support may read."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.order_chat import ChatMessageIn, ChatMessageOut, MessagesQuery
from chalicelib.web import ANY_ROLE, Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.orders import chat
else:
    chat = lazy_import("chalicelib.orders.chat")

api = Api("order_chat")

PARTIES = ("customer", "worker")


@api.get(
    "/v1/orders/{order_id}/messages",
    roles=ANY_ROLE,
    query=MessagesQuery,
    response=Page[ChatMessageOut],
    errors=(404, 422),
)
def list_messages(request: Request[Any]) -> Page[ChatMessageOut]:
    """The order's messages, newest first; with ``?after=<message_id>`` the newer ones, oldest first.

    The customer and the assigned worker read their chat; admin and support read any (each read is
    audited); anyone else gets 404.
    """
    query: MessagesQuery = request.query
    principal = request.principal
    messages, cursor = chat.list_messages(
        request.path["order_id"],
        principal.user_id,
        principal.role,
        limit=query.limit,
        cursor=query.cursor,
        after=query.after,
        request_id=request.request_id,
    )
    return Page[ChatMessageOut](
        items=[ChatMessageOut.model_validate(asdict(message)) for message in messages], next_cursor=cursor
    )


@api.post(
    "/v1/orders/{order_id}/messages",
    roles=PARTIES,
    body=ChatMessageIn,
    response=ChatMessageOut,
    status=201,
    errors=(404, 409, 422),
)
def post_message(request: Request[ChatMessageIn]) -> ChatMessageOut:
    """Send a message to the other party while the order is in progress (409 otherwise)."""
    principal = request.principal
    message = chat.post_message(
        request.path["order_id"], principal.user_id, principal.role, request.body.text
    )
    return ChatMessageOut.model_validate(asdict(message))
