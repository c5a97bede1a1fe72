"""How long a worker needs to get from one job to the next.

A fixed gap between jobs is wrong both ways: next door it wastes the worker's day, across the
city it makes her late. So the gap is estimated from where the two jobs are: the great-circle
distance, stretched by a detour factor for real streets, covered at an average door-to-door
urban speed (metro, bus, e-bike and walking alike), and never less than a minimum buffer for
packing up, finding the next door and waiting for lifts:

    minutes = max(min_buffer, ceil(distance_km * detour_factor / city_speed_kmh * 60))

With the defaults a job 2 km away needs the 30-minute buffer and one 12 km away 51 minutes.
When either place is unknown (no address given, or an address without coordinates) only the
minimum buffer applies. The constants are one settings object, passed in explicitly, so an
admin setting can replace the defaults later without touching the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from chalicelib.geo import haversine_km

__all__ = ["TRAVEL", "Point", "TravelSettings", "travel_minutes"]


class Point(NamedTuple):
    """A place, in degrees (WGS-84 as the apps send it)."""

    lat: float
    lng: float


@dataclass(frozen=True)
class TravelSettings:
    """The travel model's constants.

    ``min_buffer_minutes``: the least time between two jobs, whatever the distance.
    ``detour_factor``: road distance over straight-line distance (1.3-1.5 in Chinese cities).
    ``city_speed_kmh``: average door-to-door speed across town, waiting included.
    """

    min_buffer_minutes: int = 30
    detour_factor: float = 1.4
    city_speed_kmh: float = 20.0


TRAVEL = TravelSettings()
"""The defaults in force until admin settings exist."""


def travel_minutes(origin: Point | None, destination: Point | None, settings: TravelSettings = TRAVEL) -> int:
    """Minutes to allow between leaving ``origin`` and starting work at ``destination``."""
    if origin is None or destination is None:
        return settings.min_buffer_minutes
    distance = haversine_km(origin.lat, origin.lng, destination.lat, destination.lng)
    riding = math.ceil(distance * settings.detour_factor / settings.city_speed_kmh * 60)
    return max(settings.min_buffer_minutes, riding)
