"""Live-in terms after booking: confirm the start, end early, extend (docs/live-in.md).

Contract extensions of API.md "Orders"; the rules live in ``chalicelib.orders.term_changes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers.orders import _idempotency_key, order_out
from chalicelib.lazy import lazy_import
from chalicelib.schemas.order_terms import (
    ReplaceIn,
    ReplacementRequestIn,
    TermEndIn,
    TermExtendIn,
    TermStartIn,
)
from chalicelib.schemas.orders import OrderOut
from chalicelib.web import Api, Reply, Request

if TYPE_CHECKING:
    from chalicelib.orders import replacement, term_changes
else:
    replacement = lazy_import("chalicelib.orders.replacement")
    term_changes = lazy_import("chalicelib.orders.term_changes")

api = Api("order_terms")


@api.post(
    "/v1/orders/{order_id}/term/start",
    roles=("customer", "admin"),
    body=TermStartIn,
    response=OrderOut,
    errors=(404, 409, 422),
)
def confirm_term_start(request: Request[TermStartIn]) -> OrderOut:
    """Fix a live-in term's first day inside the booked window; the window's other days are freed."""
    principal = request.principal
    return order_out(
        term_changes.confirm_start(
            request.path["order_id"],
            principal.user_id,
            principal.role,
            request.body.start_date,
            request_id=request.request_id,
        )
    )


@api.post(
    "/v1/orders/{order_id}/term/end",
    roles=("customer", "admin"),
    body=TermEndIn,
    response=OrderOut,
    errors=(404, 409, 422),
)
def end_term_early(request: Request[TermEndIn]) -> OrderOut:
    """End a live-in term after ``last_date``: later days are freed, the days not served refunded pro rata."""
    principal = request.principal
    return order_out(
        term_changes.end_early(
            request.path["order_id"],
            principal.user_id,
            principal.role,
            request.body.last_date,
            request.body.reason,
            request_id=request.request_id,
        )
    )


@api.post(
    "/v1/orders/{order_id}/term/extend",
    roles=("customer",),
    body=TermExtendIn,
    response=OrderOut,
    status=201,
    errors=(404, 409, 422),
)
def extend_term(request: Request[TermExtendIn]) -> Reply:
    """Book the follow-on term with the same worker from the day after the last (a new order to pay).

    409 ``slot_unavailable`` when another order holds any of those days. ``Idempotency-Key`` as
    for ``POST /v1/orders``.
    """
    body: Any = request.body
    view, replayed = term_changes.extend(
        request.path["order_id"],
        request.principal.user_id,
        days=body.days,
        months=body.months,
        idempotency_key=_idempotency_key(request),
    )
    return Reply(order_out(view), 201, {"Idempotent-Replayed": "true"} if replayed else {})


@api.post(
    "/v1/orders/{order_id}/term/replacement",
    roles=("customer",),
    body=ReplacementRequestIn,
    response=OrderOut,
    errors=(404, 409),
)
def request_replacement(request: Request[ReplacementRequestIn]) -> OrderOut:
    """Ask for another worker for the rest of a live-in term (换人); support approves it."""
    return order_out(
        replacement.request(request.path["order_id"], request.principal.user_id, request.body.reason)
    )


@api.post(
    "/v1/admin/orders/{order_id}/replace",
    roles=("admin", "support"),
    body=ReplaceIn,
    response=OrderOut,
    errors=(404, 409, 422),
)
def approve_replacement(request: Request[ReplaceIn]) -> OrderOut:
    """Approve a replacement: the new worker takes the remaining days in one transaction (audited)."""
    principal, body = request.principal, request.body
    return order_out(
        replacement.approve(
            request.path["order_id"],
            principal.user_id,
            principal.role,
            body.worker_id,
            body.reason,
            from_date=body.from_date,
            request_id=request.request_id,
        )
    )
