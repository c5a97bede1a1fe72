"""Geohash cells as boxes and their neighbours (what the nearest-workers search is built on)."""

from __future__ import annotations

import pytest

from chalicelib.geo import encode_geohash, geohash_box, geohash_neighbours, haversine_km

PEOPLES_SQUARE = (31.2304, 121.4737)


@pytest.mark.parametrize("precision", [4, 5, 6, 7])
def test_box_contains_the_point_and_only_its_cell(precision: int) -> None:
    cell = encode_geohash(*PEOPLES_SQUARE, precision)
    min_lat, max_lat, min_lng, max_lng = geohash_box(cell)
    assert min_lat <= PEOPLES_SQUARE[0] < max_lat
    assert min_lng <= PEOPLES_SQUARE[1] < max_lng
    assert encode_geohash((min_lat + max_lat) / 2, (min_lng + max_lng) / 2, precision) == cell
    assert encode_geohash(max_lat + 1e-9, PEOPLES_SQUARE[1], precision) != cell


def test_box_sizes_at_the_precisions_search_uses() -> None:
    sizes = {}
    for precision in (4, 5, 6):
        min_lat, max_lat, min_lng, max_lng = geohash_box(encode_geohash(*PEOPLES_SQUARE, precision))
        sizes[precision] = (
            haversine_km(min_lat, min_lng, max_lat, min_lng),
            haversine_km(min_lat, min_lng, min_lat, max_lng),
        )
    assert sizes[4] == (pytest.approx(19.5, abs=0.2), pytest.approx(33.5, abs=0.5))
    assert sizes[5] == (pytest.approx(4.9, abs=0.1), pytest.approx(4.2, abs=0.1))
    assert sizes[6] == (pytest.approx(0.61, abs=0.01), pytest.approx(1.05, abs=0.02))


def test_neighbours_surround_the_cell() -> None:
    cell = encode_geohash(*PEOPLES_SQUARE, 5)
    around = geohash_neighbours(cell)
    assert len(set(around)) == 8 and cell not in around
    assert all(len(neighbour) == 5 for neighbour in around)
    min_lat, max_lat, min_lng, max_lng = geohash_box(cell)
    height, width = max_lat - min_lat, max_lng - min_lng
    corners = set()
    for neighbour in around:
        n_min_lat, _, n_min_lng, _ = geohash_box(neighbour)
        steps = (round((n_min_lat - min_lat) / height), round((n_min_lng - min_lng) / width))
        assert steps in {(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)}
        corners.add(steps)
    assert len(corners) == 8
    # the cells north of People's Square's 4-character cell start where it ends
    top = geohash_box("wtw3")[1]
    assert len([n for n in geohash_neighbours("wtw3") if geohash_box(n)[0] == top]) == 3


def test_neighbours_wrap_at_the_antimeridian() -> None:
    east_edge = encode_geohash(0.1, 179.99, 3)
    assert any(geohash_box(cell)[2] < 0 for cell in geohash_neighbours(east_edge))
