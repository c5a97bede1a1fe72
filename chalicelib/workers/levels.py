"""Worker levels 初级 / 中级 / 高级 / 金牌, derived from experience, certificates and ratings.

A level tells customers how far a worker can be trusted with a job, so it rests on what the
platform has checked: years of experience (reviewed with the profile), professional certificates
a reviewer verified, and the ratings customers gave on this platform. The rules, highest first;
a worker gets the highest level whose every requirement holds:

====================  =======  ===========================  ==========================
level                 years    verified professional certs  customer ratings
====================  =======  ===========================  ==========================
gold (金牌)           >= 8     >= 2                         >= 30, average >= 4.8
senior (高级)         >= 5     >= 1                         >= 10, average >= 4.5
intermediate (中级)   >= 2     >= 1                         fewer than 5, or average >= 4.0
junior (初级)         anyone else
====================  =======  ===========================  ==========================

So a newcomer can reach intermediate on credentials alone, the two top levels need a track
record here, and a run of poor ratings moves a worker down again. The average is over the three
rated aspects (quality, attitude, skill) of every rating. Identity documents and the health
certificate are required of everyone and do not count as professional certificates (see
``chalicelib.workers.certificates.KINDS``). An admin may pin a level by hand, which then wins
over this derivation until the pin is cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.i18n import DEFAULT_LOCALE

__all__ = ["LEVELS", "LEVEL_NAMES", "LevelCode", "LevelInputs", "derive_level", "level_name"]

LevelCode = Literal["junior", "intermediate", "senior", "gold"]

LEVELS: tuple[LevelCode, ...] = ("junior", "intermediate", "senior", "gold")
"""Lowest first."""

LEVEL_NAMES: dict[str, dict[str, str]] = {
    "junior": {"zh-CN": "初级", "en": "Junior"},
    "intermediate": {"zh-CN": "中级", "en": "Intermediate"},
    "senior": {"zh-CN": "高级", "en": "Senior"},
    "gold": {"zh-CN": "金牌", "en": "Gold"},
}


@dataclass(frozen=True)
class LevelInputs:
    """What a level depends on; ``rating_average`` is on the 1-5 scale (0 without ratings)."""

    experience_years: int
    verified_certificates: int
    rating_average: float
    rating_count: int


def derive_level(inputs: LevelInputs) -> LevelCode:
    """The level the table in this module's docstring gives ``inputs``."""
    years, certificates = inputs.experience_years, inputs.verified_certificates

    def rated(at_least: int, average: float) -> bool:
        return inputs.rating_count >= at_least and inputs.rating_average >= average

    if years >= 8 and certificates >= 2 and rated(30, 4.8):
        return "gold"
    if years >= 5 and certificates >= 1 and rated(10, 4.5):
        return "senior"
    poorly_rated = inputs.rating_count >= 5 and inputs.rating_average < 4.0
    if years >= 2 and certificates >= 1 and not poorly_rated:
        return "intermediate"
    return "junior"


def level_name(code: str, locale: str) -> str:
    """The level's name in ``locale`` (zh-CN when unknown)."""
    names = LEVEL_NAMES[code]
    return names.get(locale) or names[DEFAULT_LOCALE]
