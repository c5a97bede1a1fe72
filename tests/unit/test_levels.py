"""Worker levels: the table in ``chalicelib.workers.levels`` at and around every boundary."""

from __future__ import annotations

import pytest

from chalicelib.workers.levels import LEVELS, LevelInputs, derive_level, level_name


def _level(years: int, certificates: int, average: float = 0.0, count: int = 0) -> str:
    return derive_level(
        LevelInputs(
            experience_years=years,
            verified_certificates=certificates,
            rating_average=average,
            rating_count=count,
        )
    )


def test_newcomers_are_junior() -> None:
    assert _level(0, 0) == "junior"
    assert _level(20, 0) == "junior"  # experience without a verified qualification
    assert _level(1, 3) == "junior"  # a qualification without two years of practice


def test_intermediate_on_credentials_alone() -> None:
    assert _level(2, 1) == "intermediate"
    assert _level(30, 5) == "intermediate"  # the top levels need a track record here
    assert _level(2, 1, average=3.0, count=4) == "intermediate"  # too few ratings to judge


def test_poor_ratings_demote() -> None:
    assert _level(2, 1, average=3.99, count=5) == "junior"
    assert _level(2, 1, average=4.0, count=5) == "intermediate"
    assert _level(10, 3, average=4.4, count=100) == "intermediate"


@pytest.mark.parametrize(
    ("years", "certificates", "average", "count", "expected"),
    [
        (5, 1, 4.5, 10, "senior"),
        (4, 1, 4.5, 10, "intermediate"),
        (5, 0, 4.9, 50, "junior"),
        (5, 1, 4.49, 10, "intermediate"),
        (5, 1, 4.5, 9, "intermediate"),
        (8, 2, 4.8, 30, "gold"),
        (7, 2, 4.8, 30, "senior"),
        (8, 1, 4.8, 30, "senior"),
        (8, 2, 4.79, 30, "senior"),
        (8, 2, 4.8, 29, "senior"),
        (8, 2, 4.5, 300, "senior"),
    ],
)
def test_senior_and_gold_boundaries(
    years: int, certificates: int, average: float, count: int, expected: str
) -> None:
    assert _level(years, certificates, average, count) == expected


def test_names_are_localised() -> None:
    assert [level_name(code, "zh-CN") for code in LEVELS] == ["初级", "中级", "高级", "金牌"]
    assert [level_name(code, "en") for code in LEVELS] == ["Junior", "Intermediate", "Senior", "Gold"]
    assert level_name("gold", "fr") == "金牌"
