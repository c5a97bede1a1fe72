"""Small geography helpers: geohash encoding and great-circle distance.

Both are a dozen lines of arithmetic, so they live here rather than in a dependency. A geohash
turns a point into a string whose prefixes are ever smaller boxes: stored as a sort key it lets a
Query find workers near a place (precision 7 is a box of about 153 m x 153 m; 5 is ~4.9 km).
Distances use the haversine formula on a spherical Earth, which is within 0.5 % of the real
distance: plenty to rank workers or estimate travel between two jobs in one city.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_KM", "encode_geohash", "geohash_box", "geohash_neighbours", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"


def encode_geohash(lat: float, lng: float, precision: int = 7) -> str:
    """The geohash of ``(lat, lng)`` with ``precision`` characters (1-12)."""
    if not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise ValueError("latitude must be within [-90, 90] and longitude within [-180, 180]")
    if not 1 <= precision <= 12:
        raise ValueError("precision must be between 1 and 12")
    lat_range, lng_range = [-90.0, 90.0], [-180.0, 180.0]
    chars: list[str] = []
    bits, value, even = 0, 0, True
    while len(chars) < precision:
        # Bits alternate longitude, latitude, each halving its range; five bits make a character.
        span, coordinate = (lng_range, lng) if even else (lat_range, lat)
        middle = (span[0] + span[1]) / 2
        if coordinate >= middle:
            value = (value << 1) | 1
            span[0] = middle
        else:
            value <<= 1
            span[1] = middle
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def geohash_box(geohash: str) -> tuple[float, float, float, float]:
    """The box a geohash stands for: ``(min_lat, max_lat, min_lng, max_lng)``.

    Search needs the box to know how far from a point its cell is guaranteed complete (the
    distance to the nearest edge), and the index snaps a worker's home to the box's centre.
    """
    lat_range, lng_range = [-90.0, 90.0], [-180.0, 180.0]
    even = True
    for char in geohash:
        value = _BASE32.index(char)
        for shift in range(4, -1, -1):
            span = lng_range if even else lat_range
            middle = (span[0] + span[1]) / 2
            if (value >> shift) & 1:
                span[0] = middle
            else:
                span[1] = middle
            even = not even
    return lat_range[0], lat_range[1], lng_range[0], lng_range[1]


def geohash_neighbours(geohash: str) -> list[str]:
    """The (up to) eight cells around ``geohash`` at its precision, wrapping at 180° longitude.

    A place near the edge of its cell can be closer to workers in the next cell than to some in
    its own, so a search around a point reads neighbouring cells as well as its own.
    """
    min_lat, max_lat, min_lng, max_lng = geohash_box(geohash)
    height, width = max_lat - min_lat, max_lng - min_lng
    centre_lat, centre_lng = (min_lat + max_lat) / 2, (min_lng + max_lng) / 2
    cells = []
    for step_lat in (1, 0, -1):
        for step_lng in (-1, 0, 1):
            lat = centre_lat + step_lat * height
            if (step_lat, step_lng) == (0, 0) or not -90 < lat < 90:
                continue
            lng = (centre_lng + step_lng * width + 180) % 360 - 180
            cells.append(encode_geohash(lat, lng, len(geohash)))
    return cells


def haversine_km(a_lat: float, a_lng: float, b_lat: float, b_lng: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(a_lat), math.radians(b_lat)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b_lng - a_lng)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
