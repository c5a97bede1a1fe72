"""Admin management of orders: the listing, an admin's change (reassign, move, notes), cancellation.

Admins and support agents read the listing; only admins change or cancel (support gets 403).
Every change is audited in the transaction that makes it; the rules live in
``chalicelib.orders.admin`` (changes), ``chalicelib.orders.admin_queries`` (the listing) and
``chalicelib.orders.lifecycle`` (cancellation, as for any party).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers.orders import order_out
from chalicelib.lazy import lazy_import
from chalicelib.schemas.admin_orders import AdminOrderPatch, AdminOrdersQuery
from chalicelib.schemas.orders import CancelIn, OrderOut
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.orders import admin, admin_queries, lifecycle
else:
    admin = lazy_import("chalicelib.orders.admin")
    admin_queries = lazy_import("chalicelib.orders.admin_queries")
    lifecycle = lazy_import("chalicelib.orders.lifecycle")

api = Api("admin_orders")

ADMIN = ("admin",)
READERS = ("admin", "support")
ORDER_PATH = "/v1/admin/orders/{order_id}"


@api.get("/v1/admin/orders", roles=READERS, query=AdminOrdersQuery, response=Page[OrderOut], errors=(422,))
def list_orders(request: Request[Any]) -> Page[OrderOut]:
    """Orders by status, category, worker, customer and start dates, newest first by default.

    Without ``worker_id``/``customer_id`` the listing reads the start dates ``from``..``to`` day
    by day; a page may hold fewer than ``limit`` orders (even none) while ``next_cursor`` is set.
    """
    query: AdminOrdersQuery = request.query
    views, cursor = admin_queries.list_orders(
        admin_queries.OrderQuery(
            status=query.status,
            category=query.category,
            worker_id=query.worker_id,
            customer_id=query.customer_id,
            date_from=query.date_from,
            date_to=query.to,
            sort=query.sort,
        ),
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page[OrderOut](items=[order_out(view) for view in views], next_cursor=cursor)


@api.patch(ORDER_PATH, roles=ADMIN, body=AdminOrderPatch, response=OrderOut, errors=(404, 409, 422))
def update_order(request: Request[AdminOrderPatch]) -> OrderOut:
    """Reassign the job to another worker, move it, or edit its notes; audited.

    The new worker must be verified, offer the category, serve the district (422 otherwise)
    and be free then (409 ``slot_unavailable``). A ``paid`` order becomes ``assigned``; once
    the worker has set off nothing moves (409 ``invalid_status``).
    """
    body, principal = request.body, request.principal
    change = admin.OrderChange(
        worker_id=body.worker_id,
        start_at=body.start_at,
        notes=body.notes if "notes" in body.model_fields_set else admin.UNCHANGED,
        reason=body.reason,
    )
    actor = admin.Actor(user_id=principal.user_id, role=principal.role, request_id=request.request_id)
    return order_out(admin.update_order(request.path["order_id"], change, actor))


@api.post(f"{ORDER_PATH}/cancel", roles=ADMIN, body=CancelIn, response=OrderOut, errors=(404, 409))
def cancel_order(request: Request[CancelIn]) -> OrderOut:
    """Cancel with a reason: the worker's time is released and the full price is owed back; audited."""
    principal = request.principal
    return order_out(
        lifecycle.cancel(
            request.path["order_id"],
            principal.user_id,
            principal.role,
            request.body.reason,
            request_id=request.request_id,
        )
    )
