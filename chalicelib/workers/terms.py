"""The vocabulary of worker onboarding that request models share with the use cases.

Kept free of the data layer, so the API schemas can use it without importing pynamodb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_SIZE_BYTES", "CertificateKind", "ContentType", "ProfileFields"]

CertificateKind = Literal[
    "id_card_front",
    "id_card_back",
    "health_certificate",
    "housekeeping_cert",
    "maternity_nurse_cert",
    "infant_care_cert",
    "childcare_cert",
    "elder_care_cert",
    "dietitian_cert",
    "electrician_licence",
    "other_qualification",
]
ContentType = Literal["image/jpeg", "image/png", "application/pdf"]

MAX_SIZE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ProfileFields:
    """What the worker edits; ``id_number`` is normalised and valid, ``None`` keeps the stored one."""

    real_name: str | None
    id_number: str | None
    skills: list[str]
    experience_years: int | None
    bio: str | None
    service_areas: list[dict[str, str]]
    home_location: dict[str, float] | None
