"""Reviews: the customer rates a finished order once; anyone reads a worker's reviews."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.common import ListQuery
from chalicelib.schemas.reviews import ReviewIn, ReviewOut
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.orders import reviews
else:
    reviews = lazy_import("chalicelib.orders.reviews")

api = Api("reviews")


@api.post(
    "/v1/orders/{order_id}/review",
    roles=("customer",),
    body=ReviewIn,
    response=ReviewOut,
    status=201,
    errors=(404, 409, 422),
)
def post_review(request: Request[ReviewIn]) -> ReviewOut:
    """Rate a ``finished`` or ``completed`` order once (409 ``already_reviewed`` the second time)."""
    body = request.body
    view = reviews.submit_review(
        request.path["order_id"],
        request.principal.user_id,
        request.principal.role,
        quality=body.quality,
        attitude=body.attitude,
        skill=body.skill,
        comment=body.comment,
    )
    return ReviewOut.model_validate(asdict(view))


@api.get("/v1/workers/{worker_id}/reviews", query=ListQuery, response=Page[ReviewOut], errors=(404, 422))
def list_reviews(request: Request[Any]) -> Page[ReviewOut]:
    """A verified worker's reviews, newest first; reviewers appear only as masked names."""
    query: ListQuery = request.query
    views, cursor = reviews.list_reviews(request.path["worker_id"], limit=query.limit, cursor=query.cursor)
    return Page[ReviewOut](
        items=[ReviewOut.model_validate(asdict(view)) for view in views], next_cursor=cursor
    )
