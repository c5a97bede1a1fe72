"""Support tickets for customers and workers; staff use the same routes to read and reply.

The owner sees her tickets; admins and support agents any ticket; anyone else gets 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.handlers.admin_users import actor_of
from chalicelib.lazy import lazy_import
from chalicelib.schemas.common import ListQuery
from chalicelib.schemas.support import (
    AttachmentIn,
    AttachmentOut,
    AttachmentSlotOut,
    RatingIn,
    TicketIn,
    TicketMessageIn,
    TicketMessageOut,
    TicketOut,
)
from chalicelib.web import ANY_ROLE, Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.support import tickets
else:
    tickets = lazy_import("chalicelib.support.tickets")

api = Api("support")

OWNERS = ("customer", "worker")
TICKET_PATH = "/v1/support/tickets/{ticket_id}"


def ticket_out(view: Any) -> TicketOut:
    return TicketOut.model_validate(asdict(view))


@api.post(
    "/v1/support/tickets", roles=OWNERS, body=TicketIn, response=TicketOut, status=201, errors=(404, 422)
)
def open_ticket(request: Request[TicketIn]) -> TicketOut:
    """A complaint, suggestion or question, optionally about one of the caller's orders."""
    body, principal = request.body, request.principal
    view = tickets.open_ticket(
        principal.user_id, principal.role, body.type, body.subject, body.body, body.order_id
    )
    return ticket_out(view)


@api.get("/v1/support/tickets", roles=OWNERS, query=ListQuery, response=Page[TicketOut])
def list_tickets(request: Request[Any]) -> Page[TicketOut]:
    """The caller's tickets, newest first."""
    views, cursor = tickets.list_own(
        request.principal.user_id, limit=request.query.limit, cursor=request.query.cursor
    )
    return Page[TicketOut](items=[ticket_out(view) for view in views], next_cursor=cursor)


@api.get(TICKET_PATH, roles=ANY_ROLE, response=TicketOut, errors=(404,))
def get_ticket(request: Request[Any]) -> TicketOut:
    """One ticket with its attachments."""
    principal = request.principal
    return ticket_out(tickets.get_ticket(request.path["ticket_id"], principal.user_id, principal.role))


@api.get(
    f"{TICKET_PATH}/messages", roles=ANY_ROLE, query=ListQuery, response=Page[TicketMessageOut], errors=(404,)
)
def list_messages(request: Request[Any]) -> Page[TicketMessageOut]:
    """The conversation, oldest first."""
    principal = request.principal
    views, cursor = tickets.list_messages(
        request.path["ticket_id"],
        principal.user_id,
        principal.role,
        limit=request.query.limit,
        cursor=request.query.cursor,
    )
    return Page[TicketMessageOut](
        items=[TicketMessageOut.model_validate(asdict(view)) for view in views], next_cursor=cursor
    )


@api.post(
    f"{TICKET_PATH}/messages",
    roles=ANY_ROLE,
    body=TicketMessageIn,
    response=TicketMessageOut,
    status=201,
    errors=(404, 409),
)
def post_message(request: Request[TicketMessageIn]) -> TicketMessageOut:
    """Write on the ticket; a staff reply is its first response and tells the owner (audited)."""
    view = tickets.post_message(request.path["ticket_id"], actor_of(request), request.body.text)
    return TicketMessageOut.model_validate(asdict(view))


@api.post(f"{TICKET_PATH}/rating", roles=OWNERS, body=RatingIn, response=TicketOut, errors=(404, 409))
def rate_ticket(request: Request[RatingIn]) -> TicketOut:
    """The owner's satisfaction (1-5) with a resolved ticket, once."""
    body = request.body
    return ticket_out(
        tickets.rate(request.path["ticket_id"], request.principal.user_id, body.score, body.comment)
    )


@api.post(
    f"{TICKET_PATH}/attachments",
    roles=ANY_ROLE,
    body=AttachmentIn,
    response=AttachmentSlotOut,
    status=201,
    errors=(404, 409),
)
def add_attachment(request: Request[AttachmentIn]) -> AttachmentSlotOut:
    """A presigned upload for one file (JPEG, PNG or PDF, up to 10 MB); PUT it with ``headers_to_send``."""
    body, principal = request.body, request.principal
    view, upload = tickets.add_attachment(
        request.path["ticket_id"],
        principal.user_id,
        principal.role,
        file_name=body.file_name,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
    )
    return AttachmentSlotOut(
        attachment=AttachmentOut.model_validate(asdict(view)),
        upload_url=upload.url,
        headers_to_send=upload.headers,
        expires_in=upload.expires_in,
    )
