"""A worker's own working hours: weekly hours and dated exceptions, in Asia/Shanghai time."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import lazy_import
from chalicelib.schemas.scheduling import AvailabilityIn, AvailabilityOut
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.scheduling import availability
else:
    availability = lazy_import("chalicelib.scheduling.availability")

api = Api("availability")


def _out(view: availability.AvailabilityView) -> AvailabilityOut:
    return AvailabilityOut.model_validate(asdict(view))


@api.get("/v1/worker/availability", roles=("worker",), response=AvailabilityOut)
def get_availability(request: Request[Any]) -> AvailabilityOut:
    """The caller's working hours; exceptions whose date has passed are left out."""
    return _out(availability.get_availability(request.principal.user_id))


@api.put("/v1/worker/availability", roles=("worker",), body=AvailabilityIn, response=AvailabilityOut)
def put_availability(request: Request[AvailabilityIn]) -> AvailabilityOut:
    """Replace the caller's working hours.

    Each day's ranges must end after they start and not overlap; exception dates must be
    unique, from today up to 180 days ahead. Booked jobs are not affected.
    """
    body = request.body.model_dump(mode="json")
    return _out(availability.set_availability(request.principal.user_id, body["weekly"], body["exceptions"]))
