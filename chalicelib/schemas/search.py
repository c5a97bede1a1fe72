"""Query and response shapes of the worker search and the public worker profile."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from chalicelib.basemodel import Model
from chalicelib.catalog.categories import CATEGORY_CODES, is_category
from chalicelib.schemas.common import ListQuery

__all__ = ["RatingOut", "ServiceAreaOut", "WorkerCardOut", "WorkerProfilePublicOut", "WorkerSearchQuery"]


class WorkerSearchQuery(ListQuery):
    """Category and city are required; without a district the whole city is searched.

    ``sort=distance`` needs the customer's place: ``address_id`` (one of the signed-in caller's
    addresses) or ``lat`` and ``lng``. With a place, every result carries ``distance_km``.
    """

    category: str = Field(description=f"One of {', '.join(sorted(CATEGORY_CODES))}.")
    city: str = Field(min_length=1, max_length=40)
    district: str | None = Field(None, min_length=1, max_length=40)
    date: dt.date | None = Field(None, description="Only workers who work that local date.")
    sort: Literal["rating", "distance", "recommended"] = "rating"
    address_id: str | None = Field(None, min_length=1, max_length=64)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)

    @field_validator("category")
    @classmethod
    def _known(cls, code: str) -> str:
        if not is_category(code):
            raise ValueError(f"unknown category; use one of {', '.join(sorted(CATEGORY_CODES))}")
        return code


class RatingOut(Model):
    overall: float = Field(description="Mean of quality, attitude and skill, 1-5 (0 when unrated).")
    quality: float
    attitude: float
    skill: float
    count: int


class WorkerCardOut(Model):
    worker_id: str
    name: str
    skills: list[str]
    rating: RatingOut
    experience_years: int
    level: str = Field(description="junior | intermediate | senior | gold")
    distance_km: float | None = Field(
        None, description="From the search's place to the worker's area of residence (about 1 km cells)."
    )


class ServiceAreaOut(Model):
    city: str
    district: str


class WorkerProfilePublicOut(Model):
    """What anyone may see of a verified worker: no ID number or phone, the real name masked."""

    worker_id: str
    name: str
    real_name: str | None = Field(description="Family name only, e.g. `王**`.")
    bio: str | None
    skills: list[str]
    service_areas: list[ServiceAreaOut]
    experience_years: int
    level: str
    rating: RatingOut
    certificates: list[str] = Field(description="Kinds of the certificates a reviewer verified.")
    completed_orders: int
