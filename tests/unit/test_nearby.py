"""Planning which geohash cells a nearest-workers search reads."""

from __future__ import annotations

import math
import random

from chalicelib.geo import encode_geohash, geohash_box, geohash_neighbours, haversine_km
from chalicelib.scheduling.travel import Point
from chalicelib.workers.nearby import (
    START_PRECISION,
    WHOLE_PARTITION,
    covered_km,
    distance_to_cell_km,
    next_cell,
)

CENTRE = Point(31.2304, 121.4737)  # People's Square
KM_LAT = 1 / haversine_km(0, 0, 1, 0)


def _box_edge_km(point: Point, box: tuple[float, float, float, float]) -> float:
    min_lat, max_lat, min_lng, max_lng = box
    return min(
        haversine_km(point.lat, point.lng, min_lat, point.lng),
        haversine_km(point.lat, point.lng, max_lat, point.lng),
        haversine_km(point.lat, point.lng, point.lat, min_lng),
        haversine_km(point.lat, point.lng, point.lat, max_lng),
    )


def test_distance_to_a_cell() -> None:
    own = encode_geohash(CENTRE.lat, CENTRE.lng, 6)
    assert distance_to_cell_km(CENTRE, own) == 0
    for cell in geohash_neighbours(own):
        assert 0 <= distance_to_cell_km(CENTRE, cell) < 1.1


def test_covered_radius() -> None:
    own = encode_geohash(CENTRE.lat, CENTRE.lng, 6)
    assert covered_km(CENTRE, set()) == 0
    assert covered_km(CENTRE, {own}) == _box_edge_km(CENTRE, geohash_box(own))
    with_block = {own, *geohash_neighbours(own)}
    assert covered_km(CENTRE, with_block) > covered_km(CENTRE, {own})
    # a coarser cell read covers its own edges' distance
    coarse = encode_geohash(CENTRE.lat, CENTRE.lng, 5)
    assert covered_km(CENTRE, {own, coarse}) >= _box_edge_km(CENTRE, geohash_box(coarse))
    assert covered_km(CENTRE, {WHOLE_PARTITION}) == math.inf
    # a neighbour read without the own cell covers nothing around the point
    assert covered_km(CENTRE, set(geohash_neighbours(own))) == 0


def test_steps() -> None:
    fine = encode_geohash(CENTRE.lat, CENTRE.lng, 6)
    own = fine[:5]
    # nothing found: widen, from 6 to 5 and from 5 to the whole partition
    assert next_cell(CENTRE, 6, {fine}, set(), [], 21) == (own, 5)
    assert next_cell(CENTRE, 5, {own}, set(), [], 21) == (WHOLE_PARTITION, 0)
    # a crowded own cell: look closer, and never widen past it
    assert next_cell(CENTRE, 5, set(), {own}, [0.5] * 400, 21) == (fine, 6)
    assert next_cell(CENTRE, 6, set(), {own, fine}, [0.5] * 400, 21) is None
    assert next_cell(CENTRE, 6, {fine}, {own}, [], 21) is None
    # enough found and all within the covered radius: certain
    assert next_cell(CENTRE, 5, {own}, set(), [0.01] * 21, 21) is None
    # enough found, some beyond the own cell's edge but within the block: the nearest neighbour
    reach = covered_km(CENTRE, {own})
    step = next_cell(CENTRE, 5, {own}, set(), [0.01] * 20 + [reach + 0.05], 21)
    assert step is not None and step[1] == 5 and step[0] in geohash_neighbours(own)
    nearest = min(distance_to_cell_km(CENTRE, cell) for cell in geohash_neighbours(own))
    assert distance_to_cell_km(CENTRE, step[0]) == nearest
    # the whole partition read: done
    assert next_cell(CENTRE, 0, {WHOLE_PARTITION}, set(), [], 21) is None


def _search(
    homes: dict[str, str], point: Point, wanted: int, budget: int, page_limit: int = 400
) -> tuple[list[str], bool]:
    """The planner run over in-memory workers as search runs it over the index; (nearest, certain)."""
    found: dict[str, float] = {}
    complete: set[str] = set()
    crowded: set[str] = set()
    step: tuple[str, int] | None = (encode_geohash(point.lat, point.lng, START_PRECISION), START_PRECISION)
    for _ in range(budget):
        if step is None:
            break
        cell, precision = step
        inside = sorted(worker for worker, home in homes.items() if home.startswith(cell))
        for worker in inside[:page_limit]:
            found[worker] = _distance(point, homes[worker])
        (crowded if len(inside) > page_limit else complete).add(cell)
        step = next_cell(point, precision, complete, crowded, sorted(found.values()), wanted)
    nearest = sorted(found, key=lambda worker: (found[worker], worker))[:wanted]
    distances = sorted(found.values())
    certain = WHOLE_PARTITION in complete or (
        len(distances) >= wanted and distances[wanted - 1] <= covered_km(point, complete)
    )
    return nearest, certain


def _distance(point: Point, home: str) -> float:
    min_lat, max_lat, min_lng, max_lng = geohash_box(home)
    return haversine_km(point.lat, point.lng, (min_lat + max_lat) / 2, (min_lng + max_lng) / 2)


def _homes(rng: random.Random, count: int, spread_km: float) -> dict[str, str]:
    homes = {}
    for index in range(count):
        lat = CENTRE.lat + rng.uniform(-spread_km, spread_km) * KM_LAT
        lng = CENTRE.lng + rng.uniform(-spread_km, spread_km) * KM_LAT / math.cos(math.radians(CENTRE.lat))
        homes[f"w{index:05d}"] = encode_geohash(lat, lng, 6)
    return homes


def test_a_certain_answer_is_the_true_nearest() -> None:
    rng = random.Random(7)
    for count, spread in ((40, 30.0), (400, 10.0), (3000, 8.0)):
        homes = _homes(rng, count, spread)
        for _ in range(20):
            point = Point(
                CENTRE.lat + rng.uniform(-spread, spread) * KM_LAT / 2,
                CENTRE.lng + rng.uniform(-spread, spread) * KM_LAT / 2,
            )
            nearest, certain = _search(homes, point, 21, budget=10)
            truth = sorted(homes, key=lambda worker: (_distance(point, homes[worker]), worker))[:21]
            if certain:
                assert nearest == truth, (count, point)


def test_three_round_trips_are_usually_certain_and_find_the_worker_across_the_edge() -> None:
    rng = random.Random(11)
    homes = _homes(rng, 2000, 8.0)
    certain_runs = 0
    for _ in range(50):
        point = Point(CENTRE.lat + rng.uniform(-4, 4) * KM_LAT, CENTRE.lng + rng.uniform(-4, 4) * KM_LAT)
        _, certain = _search(homes, point, 21, budget=3)
        certain_runs += certain
    assert certain_runs >= 40
    # just south of the 4-character cell edge north of People's Square, with the only nearby
    # worker just across it: own-cell widening would never see her
    edge = geohash_box("wtw3")[1]
    point = Point(edge - 0.1 * KM_LAT, CENTRE.lng)
    across = {
        "across": encode_geohash(edge + 0.2 * KM_LAT, CENTRE.lng, 6),
        "far": encode_geohash(31.15, 121.40, 6),
    }
    nearest, certain = _search(across, point, 2, budget=3)
    assert nearest == ["across", "far"] and certain
