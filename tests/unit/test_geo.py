"""Geohash encoding and great-circle distances."""

from __future__ import annotations

import pytest

from chalicelib.geo import encode_geohash, haversine_km


def test_geohash_matches_the_reference_vectors() -> None:
    assert encode_geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"  # Wikipedia's example
    assert encode_geohash(42.6, -5.6, 5) == "ezs42"
    assert encode_geohash(31.2304, 121.4737, 7) == "wtw3sjq"  # People's Square, Shanghai


def test_geohash_prefixes_nest() -> None:
    full = encode_geohash(31.2222, 121.5444, 9)
    assert encode_geohash(31.2222, 121.5444, 7) == full[:7]


def test_geohash_refuses_impossible_input() -> None:
    with pytest.raises(ValueError):
        encode_geohash(91, 0)
    with pytest.raises(ValueError):
        encode_geohash(0, 0, 13)


def test_haversine_distances() -> None:
    assert haversine_km(31.2304, 121.4737, 31.2304, 121.4737) == 0
    assert haversine_km(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(
        1067, abs=5
    )  # Shanghai-Beijing
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)  # one degree on the equator
