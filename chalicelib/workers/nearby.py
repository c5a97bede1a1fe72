"""Which geohash cells to read to find the workers nearest a point, in a few Queries.

The search index keeps a district's workers in geohash order (gsi2), so one Query reads one
cell: every worker whose home cell starts with a prefix. Reading only the point's own cell, and
widening it, is not enough: a worker just across an edge can be nearer than one in the cell's
far corner, and edges run everywhere (People's Square's 4-character cell ends 6.5 km north of
it, in the middle of the city). So the search follows :func:`next_cell`:

1. read the point's cell at precision 5 (about 4.2 x 4.9 km in Shanghai); if it holds more
   workers than one Query returns (a crowded cell), look closer: its cell at precision 6
   (about 1.0 x 0.6 km);
2. estimate how far the page reaches: the distance of the ``wanted``-th nearest worker found
   so far or, with fewer found, the radius that would hold ``wanted`` workers at the density
   seen so far;
3. if that disc lies inside the 3 x 3 block of cells around the point, read the nearest
   neighbouring cell the disc touches that is not read yet; otherwise widen: from precision 6
   to 5, from 5 to the whole partition (a district, or a city), never to a cell holding a
   crowded one;
4. stop as soon as the answer is certain: the ``wanted`` nearest found lie within the radius the
   cells read so far cover completely (:func:`covered_km`), or the whole partition was read.

Everything here is arithmetic on cell names; the caller does the reading, says which cells it
read whole and which only in part, and stops when its round trips run out: the answer is then
the nearest among those read. Starting at precision 5 rather than 6 wastes the first read in
very crowded places rather than in the far more common sparse ones (docs/scheduling.md).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

from chalicelib.geo import encode_geohash, geohash_box, geohash_neighbours, haversine_km
from chalicelib.scheduling.travel import Point

__all__ = [
    "FINEST_PRECISION",
    "START_PRECISION",
    "WHOLE_PARTITION",
    "covered_km",
    "distance_to_cell_km",
    "next_cell",
]

START_PRECISION = 5
"""The precision of the first cell read: the point's own."""
FINEST_PRECISION = 6
"""The finest cells read (the precision of the workers' stored home cells)."""
WHOLE_PARTITION = ""
"""The "cell" that is every worker of the partition (the empty prefix)."""


def _is_covered(cell: str, complete: Collection[str]) -> bool:
    return any(cell.startswith(read) for read in complete)


def distance_to_cell_km(point: Point, cell: str) -> float:
    """How far ``point`` is from the nearest place in ``cell`` (0 inside it)."""
    min_lat, max_lat, min_lng, max_lng = geohash_box(cell)
    nearest_lat = min(max(point.lat, min_lat), max_lat)
    nearest_lng = min(max(point.lng, min_lng), max_lng)
    return haversine_km(point.lat, point.lng, nearest_lat, nearest_lng)


def _block_km(point: Point, cell: str) -> float:
    """How far ``point`` is from the outer edge of the 3 x 3 cells around ``cell``."""
    min_lat, max_lat, min_lng, max_lng = geohash_box(cell)
    height, width = max_lat - min_lat, max_lng - min_lng
    return min(
        haversine_km(point.lat, point.lng, min_lat - height, point.lng),
        haversine_km(point.lat, point.lng, max_lat + height, point.lng),
        haversine_km(point.lat, point.lng, point.lat, min_lng - width),
        haversine_km(point.lat, point.lng, point.lat, max_lng + width),
    )


def covered_km(point: Point, complete: Collection[str]) -> float:
    """A radius around ``point`` inside which every place lies in a cell read whole.

    Conservative: per precision read, the distance to the nearest unread cell of the 3 x 3 block
    around the point's own cell (or to the block's edge); the best precision counts.
    """
    if WHOLE_PARTITION in complete:
        return math.inf
    best = 0.0
    for precision in sorted({len(cell) for cell in complete}):
        own = encode_geohash(point.lat, point.lng, precision)
        if not _is_covered(own, complete):
            continue
        reach = _block_km(point, own)
        for cell in geohash_neighbours(own):
            if not _is_covered(cell, complete):
                reach = min(reach, distance_to_cell_km(point, cell))
        best = max(best, reach)
    return best


def _area_km2(cell: str) -> float:
    min_lat, max_lat, min_lng, max_lng = geohash_box(cell)
    return haversine_km(min_lat, min_lng, max_lat, min_lng) * haversine_km(min_lat, min_lng, min_lat, max_lng)


def _density_radius(complete: Collection[str], found: int, wanted: int) -> float:
    """The radius that would hold ``wanted`` workers at the density of the cells read so far."""
    if not found:
        return math.inf
    outermost = [
        cell for cell in complete if not any(cell != other and cell.startswith(other) for other in complete)
    ]
    area = sum(_area_km2(cell) for cell in outermost)
    return math.sqrt(wanted * area / (math.pi * found))


def next_cell(
    point: Point,
    precision: int,
    complete: Collection[str],
    crowded: Collection[str],
    distances: Sequence[float],
    wanted: int,
) -> tuple[str, int] | None:
    """The next cell to read and the precision the search is then at; None when done.

    ``precision`` is where the search is (its last own cell's; 0 for the whole partition),
    ``complete`` the cells read whole, ``crowded`` those read only in part, ``distances`` the
    distances of the workers found so far, sorted, and ``wanted`` how many nearest workers the
    page needs.
    """
    if WHOLE_PARTITION in complete or WHOLE_PARTITION in crowded:
        return None
    own = encode_geohash(point.lat, point.lng, precision)
    if own in crowded:
        finer = precision + 1
        return (encode_geohash(point.lat, point.lng, finer), finer) if finer <= FINEST_PRECISION else None
    if len(distances) >= wanted and distances[wanted - 1] <= covered_km(point, complete):
        return None
    reach = (
        distances[wanted - 1]
        if len(distances) >= wanted
        else _density_radius(complete, len(distances), wanted)
    )
    if reach <= _block_km(point, own):
        touched = [
            cell
            for cell in geohash_neighbours(own)
            if not _is_covered(cell, complete)
            and cell not in crowded
            and distance_to_cell_km(point, cell) < reach
        ]
        if touched:
            return min(touched, key=lambda cell: distance_to_cell_km(point, cell)), precision
    wider = (own[:-1], precision - 1) if precision > START_PRECISION else (WHOLE_PARTITION, 0)
    if any(cell.startswith(wider[0]) for cell in crowded):
        return None  # it holds a cell already too crowded to read whole
    return wider
