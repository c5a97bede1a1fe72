"""Orders, the worker side: the pool, accept, decline, progress and job photos (API.md "Orders").

Handlers only parse, call one use case of ``chalicelib.orders.worker_side`` and map its view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers.orders import order_out
from chalicelib.lazy import lazy_import
from chalicelib.schemas.orders import MoneyOut, OrderOut
from chalicelib.schemas.worker_orders import (
    DeclineIn,
    PhotoIn,
    PhotoOut,
    PoolAreaOut,
    PoolOrderOut,
    ProgressIn,
)
from chalicelib.web import Api, Reply, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.orders import worker_side
    from chalicelib.orders.views import OrderView
else:
    worker_side = lazy_import("chalicelib.orders.worker_side")

api = Api("worker_orders")

WORKER = ("worker",)


def _pool_out(view: OrderView) -> PoolOrderOut:
    return PoolOrderOut(
        order_id=view.order_id,
        service_id=view.service_id,
        category=view.category,
        area=PoolAreaOut(city=view.address.get("city", ""), district=view.address.get("district", "")),
        price=MoneyOut(amount=view.price_amount, currency=view.currency),
        start_at=view.start_at,
        end_at=view.end_at,
        duration_minutes=view.duration_minutes,
    )


@api.get("/v1/worker/orders/available", roles=WORKER, response=Page[PoolOrderOut], errors=(403,))
def available_orders(request: Request[Any]) -> Page[PoolOrderOut]:
    """Paid orders without a worker that match the caller's skills, districts and free time."""
    views = worker_side.available(request.principal.user_id)
    return Page[PoolOrderOut](items=[_pool_out(view) for view in views], next_cursor=None)


@api.post("/v1/worker/orders/{order_id}/accept", roles=WORKER, response=OrderOut, errors=(403, 404, 409, 422))
def accept_order(request: Request[Any]) -> OrderOut:
    """Take the job (first come, first served): 409 ``already_taken`` when another worker was first."""
    return order_out(worker_side.accept(request.path["order_id"], request.principal.user_id))


@api.post(
    "/v1/worker/orders/{order_id}/decline",
    roles=WORKER,
    body=DeclineIn,
    status=204,
    errors=(404, 409),
)
def decline_order(request: Request[DeclineIn]) -> None:
    """The chosen worker turns a paid job down: it goes to the pool and her time is released."""
    worker_side.decline(request.path["order_id"], request.principal.user_id, request.body.reason)


@api.post(
    "/v1/worker/orders/{order_id}/progress",
    roles=WORKER,
    body=ProgressIn,
    response=OrderOut,
    errors=(404, 409, 422),
)
def post_progress(request: Request[ProgressIn]) -> OrderOut:
    """``departed`` → ``arrived`` (near the address) → ``started`` (check-in code) → ``finished``."""
    body = request.body
    report = worker_side.ProgressReport(
        event=body.event,
        note=body.note,
        photo_ids=tuple(body.photo_ids),
        lat=body.lat,
        lng=body.lng,
        check_in_code=body.check_in_code,
    )
    return order_out(worker_side.progress(request.path["order_id"], request.principal.user_id, report))


@api.post(
    "/v1/worker/orders/{order_id}/photos",
    roles=WORKER,
    body=PhotoIn,
    response=PhotoOut,
    status=201,
    errors=(404, 422),
)
def new_photo(request: Request[PhotoIn]) -> Reply:
    """A presigned upload of one before/after photo; cite its ``photo_id`` in a progress event."""
    body = request.body
    upload = worker_side.new_photo(
        request.path["order_id"], request.principal.user_id, body.content_type, body.size_bytes
    )
    return Reply(
        PhotoOut(
            photo_id=upload.photo_id,
            upload_url=upload.upload_url,
            headers=upload.headers,
            expires_in=upload.expires_in,
        ),
        201,
    )
