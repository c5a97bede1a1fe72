"""Staff side of support: the ticket queue, assignment and status, and an admin's refund of an order.

Admins and support agents work tickets; only admins move money (support: 403). Linked orders'
chat and timeline are read through the order routes (``GET /v1/orders/{id}``,
``GET /v1/orders/{id}/messages``), where a staff read is audited.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ValidationFailed
from chalicelib.handlers.admin_users import actor_of
from chalicelib.handlers.support import ticket_out
from chalicelib.lazy import lazy_import
from chalicelib.schemas.support import (
    AdminRefundIn,
    AdminRefundOut,
    AdminTicketPatch,
    AdminTicketsQuery,
    TicketOut,
)
from chalicelib.web import Api, Reply, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.payments import dispute_refunds
    from chalicelib.support import tickets
else:
    dispute_refunds = lazy_import("chalicelib.payments.dispute_refunds")
    tickets = lazy_import("chalicelib.support.tickets")

api = Api("admin_support")

STAFF = ("admin", "support")
_KEY = re.compile(r"[A-Za-z0-9_:.-]{1,128}")


@api.get("/v1/admin/tickets", roles=STAFF, query=AdminTicketsQuery, response=Page[TicketOut], errors=(422,))
def list_tickets(request: Request[Any]) -> Page[TicketOut]:
    """The queue by status (default ``open``), type and assignee, oldest first."""
    query: AdminTicketsQuery = request.query
    views, cursor = tickets.list_staff(
        status=query.status,
        ticket_type=query.type,
        assignee_id=query.assignee_id,
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page[TicketOut](items=[ticket_out(view) for view in views], next_cursor=cursor)


@api.patch(
    "/v1/admin/tickets/{ticket_id}",
    roles=STAFF,
    body=AdminTicketPatch,
    response=TicketOut,
    errors=(404, 409, 422),
)
def update_ticket(request: Request[AdminTicketPatch]) -> TicketOut:
    """Assign a ticket to a staff member and/or move it (``open → in_progress → resolved → closed``); audited."""
    body = request.body
    if body.status is None and body.assignee_id is None:
        raise ValidationFailed(
            details=[{"field": "status|assignee_id", "code": "one_required", "message": "nothing to change"}]
        )
    view = tickets.staff_update(
        request.path["ticket_id"], actor_of(request), status=body.status, assignee_id=body.assignee_id
    )
    return ticket_out(view)


@api.post(
    "/v1/admin/orders/{order_id}/refund",
    roles=("admin",),
    body=AdminRefundIn,
    response=AdminRefundOut,
    status=201,
    errors=(404, 409, 422),
)
def refund_order(request: Request[AdminRefundIn]) -> Reply:
    """Give back part or all of a done job's payment (at most what was paid, all refunds together).

    Needs an ``Idempotency-Key``: the same key and body answer the first refund again
    (``Idempotent-Replayed: true``) and refund nothing more.
    """
    key = request.headers.get("idempotency-key")
    if key is None or not _KEY.fullmatch(key):
        raise ValidationFailed(
            details=[
                {
                    "field": "Idempotency-Key",
                    "in": "header",
                    "code": "required",
                    "message": "1-128 of [A-Za-z0-9-_:.]",
                }
            ]
        )
    body = request.body
    done = dispute_refunds.refund_order(
        request.path["order_id"], body.amount, body.reason, actor_of(request), key
    )
    out = AdminRefundOut(
        refund_id=done.refund_id,
        order_id=done.order_id,
        amount=done.amount,
        reason=done.reason,
        status=done.status,
        refunded_total=done.refunded_total,
        paid=done.paid,
    )
    return Reply(out, 201, {"Idempotent-Replayed": "true"} if done.replayed else {})
