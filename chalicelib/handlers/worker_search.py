"""Browsing workers: search, public profiles and live free slots (public; sign in to use an address)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ValidationFailed
from chalicelib.lazy import lazy_import
from chalicelib.scheduling.travel import Point
from chalicelib.schemas.scheduling import SlotOut, SlotsOut, SlotsQuery
from chalicelib.schemas.search import WorkerCardOut, WorkerProfilePublicOut, WorkerSearchQuery
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.accounts import auth
    from chalicelib.scheduling import calendar
    from chalicelib.workers import search
else:
    auth = lazy_import("chalicelib.accounts.auth")
    calendar = lazy_import("chalicelib.scheduling.calendar")
    search = lazy_import("chalicelib.workers.search")

api = Api("worker_search")


def _point(query: WorkerSearchQuery) -> Point | None:
    """``lat`` and ``lng`` as a point: both or neither, and not beside ``address_id``."""
    if (query.lat is None) != (query.lng is None):
        missing = "lng" if query.lng is None else "lat"
        raise ValidationFailed(
            details=[{"field": missing, "code": "missing", "message": "lat and lng go together"}]
        )
    if query.lat is None or query.lng is None:
        return None
    if query.address_id:
        raise ValidationFailed(
            details=[
                {"field": "address_id", "code": "conflict", "message": "give address_id or lat/lng, not both"}
            ]
        )
    return Point(query.lat, query.lng)


@api.get(
    "/v1/workers", query=WorkerSearchQuery, response=Page[WorkerCardOut], errors=(404,), optional_auth=True
)
def search_workers(request: Request[Any]) -> Page[WorkerCardOut]:
    """Verified workers of a category in a city (and district), by rating, distance or recommended."""
    query: WorkerSearchQuery = request.query
    wanted = search.SearchRequest(
        category=query.category,
        city=query.city,
        district=query.district,
        day=query.date,
        sort=query.sort,
        point=_point(query),
        address=(request.principal.user_id, query.address_id) if query.address_id else None,
        limit=query.limit,
        cursor=query.cursor,
    )
    cards, cursor = search.search_workers(wanted)
    return Page[WorkerCardOut](
        items=[WorkerCardOut.model_validate(asdict(card)) for card in cards], next_cursor=cursor
    )


@api.get("/v1/workers/{worker_id}", response=WorkerProfilePublicOut, errors=(404,))
def get_worker(request: Request[Any]) -> WorkerProfilePublicOut:
    """A verified worker's public profile."""
    return WorkerProfilePublicOut.model_validate(asdict(search.public_profile(request.path["worker_id"])))


@api.get(
    "/v1/workers/{worker_id}/slots",
    query=SlotsQuery,
    response=SlotsOut,
    errors=(404, 409),
    optional_auth=True,
)
def get_slots(request: Request[Any]) -> SlotsOut:
    """The free start times of a day for a service, live; with ``address_id``, travel-aware."""
    query: SlotsQuery = request.query
    worker_id = request.path["worker_id"]
    service, slots = calendar.free_slots(
        worker_id,
        query.service_id,
        query.date,
        caller_id=request.principal.user_id if query.address_id else None,
        address_id=query.address_id,
    )
    return SlotsOut(
        worker_id=worker_id,
        service_id=service.service_id,
        date=query.date,
        duration_minutes=service.duration_minutes,
        slots=[SlotOut(start_at=slot.start_at, end_at=slot.end_at) for slot in slots],
    )
