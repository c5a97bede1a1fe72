"""The travel estimate between two jobs."""

from __future__ import annotations

from chalicelib.geo import haversine_km
from chalicelib.scheduling.travel import TRAVEL, Point, TravelSettings, travel_minutes

HOME = Point(31.2304, 121.4737)


def _north_of(point: Point, km: float) -> Point:
    """A point ``km`` due north of ``point`` (along a meridian the distance is exact)."""
    return Point(point.lat + km / haversine_km(0, 0, 1, 0), point.lng)


def test_near_jobs_get_the_minimum_buffer() -> None:
    assert travel_minutes(HOME, HOME) == TRAVEL.min_buffer_minutes
    assert travel_minutes(HOME, _north_of(HOME, 2)) == TRAVEL.min_buffer_minutes


def test_far_jobs_get_distance_times_detour_over_speed() -> None:
    # 12 km x 1.4 / 20 km/h = 50.4 min, rounded up.
    assert travel_minutes(HOME, _north_of(HOME, 12)) == 51
    assert travel_minutes(_north_of(HOME, 12), HOME) == 51
    assert travel_minutes(HOME, _north_of(HOME, 30.5)) == 129  # 128.1


def test_unknown_place_gets_the_minimum_buffer() -> None:
    assert travel_minutes(None, HOME) == TRAVEL.min_buffer_minutes
    assert travel_minutes(HOME, None) == TRAVEL.min_buffer_minutes
    assert travel_minutes(None, None) == TRAVEL.min_buffer_minutes


def test_settings_change_the_estimate() -> None:
    slow = TravelSettings(min_buffer_minutes=15, detour_factor=1.5, city_speed_kmh=10)
    assert travel_minutes(HOME, _north_of(HOME, 1), slow) == 15  # 9 min < buffer
    assert travel_minutes(HOME, _north_of(HOME, 10.5), slow) == 95  # 94.5
    assert travel_minutes(None, HOME, slow) == 15
