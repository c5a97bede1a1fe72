"""Orders, the customer side: book, list, read, cancel, reschedule, confirm (API.md "Orders").

Handlers only parse, call one use case and map its view; the rules live in ``chalicelib.orders``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.errors import ValidationFailed
from chalicelib.lazy import lazy_import
from chalicelib.schemas.orders import (
    CancelIn,
    OrderIn,
    OrderOut,
    OrdersQuery,
    RescheduleIn,
)
from chalicelib.web import ANY_ROLE, Api, Reply, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.orders import booking, lifecycle, queries
    from chalicelib.orders.views import OrderView
else:
    booking = lazy_import("chalicelib.orders.booking")
    lifecycle = lazy_import("chalicelib.orders.lifecycle")
    queries = lazy_import("chalicelib.orders.queries")

api = Api("orders")

_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:.")


def order_out(view: OrderView) -> OrderOut:
    """The order as the apps see it, validated in one pass (a plain dict into ``OrderOut``: one
    call into pydantic-core instead of one per nested model, on every order response)."""

    def money(amount: int | None) -> dict[str, Any] | None:
        return None if amount is None else {"amount": amount, "currency": view.currency}

    cancellation = None
    if view.cancelled_at:
        cancellation = {
            "at": view.cancelled_at,
            "by": view.cancelled_by or "system",
            "reason": view.cancel_reason,
            "fee": money(view.cancellation_fee),
            "refund": money(view.refund_amount),
        }
    deposit = view.deposit
    return OrderOut.model_validate(
        {
            "order_id": view.order_id,
            "status": view.status,
            "customer_id": view.customer_id,
            "worker_id": view.worker_id,
            "service_id": view.service_id,
            "category": view.category,
            "address": view.address,
            "price": money(view.price_amount),
            "start_at": view.start_at,
            "end_at": view.end_at,
            "duration_minutes": view.duration_minutes,
            "pay_by": view.pay_by,
            "cancellation_policy": view.cancellation_policy or None,
            "check_in_code": view.check_in_code,
            "notes": view.notes,
            "created_at": view.created_at,
            "updated_at": view.updated_at,
            "paid_at": view.paid_at,
            "cancellation": cancellation,
            "term": view.term or None,
            "deposit": {
                "deposit": money(deposit["deposit_amount"]),
                "deposit_paid": deposit["deposit_paid"],
                "balance": money(deposit["balance_amount"]),
                "balance_due_at": deposit["balance_due_at"],
                "balance_paid_at": deposit["balance_paid_at"],
            }
            if deposit
            else None,
            "timeline": [
                {"event": e.event, "at": e.at, "by": e.by, "details": e.details} for e in view.timeline
            ],
        }
    )


def _idempotency_key(request: Request[Any]) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= 128 or not set(key) <= _KEY_CHARS:
        raise ValidationFailed(
            details=[
                {
                    "field": "Idempotency-Key",
                    "in": "header",
                    "code": "invalid",
                    "message": "1-128 of [A-Za-z0-9-_:.]",
                }
            ]
        )
    return key


@api.post(
    "/v1/orders",
    roles=("customer",),
    body=OrderIn,
    response=OrderOut,
    status=201,
    errors=(404, 409, 422, 429),
)
def create_order(request: Request[OrderIn]) -> Reply:
    """Book a service (with a chosen worker: her time is held until ``pay_by``).

    Send an ``Idempotency-Key`` header to retry safely: the same key and body return the first
    response (header ``Idempotent-Replayed: true``); the same key with another body is 422.
    429 past ``bookings_per_customer_per_minute`` attempts (a script holding workers' time).
    """
    from chalicelib.accounts.policy import POLICY
    from chalicelib.ratelimit import hit_window

    hit_window("book", request.principal.user_id, limit=POLICY.bookings_per_customer_per_minute, seconds=60)
    body = request.body
    view, replayed = booking.book_order(
        booking.BookOrder(
            customer_id=request.principal.user_id,
            service_id=body.service_id,
            address_id=body.address_id,
            start_at=body.start_at,
            duration_minutes=body.duration_minutes,
            worker_id=body.worker_id,
            notes=body.notes,
            idempotency_key=_idempotency_key(request),
            months=body.months,
            start_window_days=body.start_window_days,
        )
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Reply(order_out(view), 201, headers)


@api.get("/v1/orders", roles=("customer", "worker"), query=OrdersQuery, response=Page[OrderOut])
def list_orders(request: Request[Any]) -> Page[OrderOut]:
    """The caller's orders (a customer) or jobs (a worker), newest first; ``?status=`` filters."""
    query: OrdersQuery = request.query
    views, cursor = queries.list_orders(
        request.principal.user_id,
        request.principal.role,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page[OrderOut](items=[order_out(view) for view in views], next_cursor=cursor)


@api.get("/v1/orders/{order_id}", roles=ANY_ROLE, response=OrderOut, errors=(404,))
def get_order(request: Request[Any]) -> OrderOut:
    """One order with its timeline; the check-in code only for its customer."""
    principal = request.principal
    return order_out(queries.get_order(request.path["order_id"], principal.user_id, principal.role))


@api.post(
    "/v1/orders/{order_id}/cancel",
    roles=("customer", "worker", "admin"),
    body=CancelIn,
    response=OrderOut,
    errors=(404, 409),
)
def cancel_order(request: Request[CancelIn]) -> OrderOut:
    """Cancel under the order's cancellation policy; the worker's time is released at once."""
    principal = request.principal
    return order_out(
        lifecycle.cancel(request.path["order_id"], principal.user_id, principal.role, request.body.reason)
    )


@api.post(
    "/v1/orders/{order_id}/reschedule",
    roles=("customer", "admin"),
    body=RescheduleIn,
    response=OrderOut,
    errors=(404, 409, 422),
)
def reschedule_order(request: Request[RescheduleIn]) -> OrderOut:
    """Move the job to another start (the worker must be free then; not inside the locked window)."""
    principal = request.principal
    return order_out(
        lifecycle.reschedule(
            request.path["order_id"], principal.user_id, principal.role, request.body.start_at
        )
    )


@api.post("/v1/orders/{order_id}/confirm", roles=("customer",), response=OrderOut, errors=(404, 409))
def confirm_order(request: Request[Any]) -> OrderOut:
    """The customer confirms the finished work: ``completed``."""
    principal = request.principal
    return order_out(lifecycle.confirm(request.path["order_id"], principal.user_id, principal.role))
