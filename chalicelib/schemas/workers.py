"""Request and response bodies of the worker onboarding and worker review endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from chalicelib import clock
from chalicelib.basemodel import Model
from chalicelib.catalog.categories import is_category
from chalicelib.schemas.common import ListQuery
from chalicelib.schemas.search import RatingOut
from chalicelib.web.schemas import StrictModel
from chalicelib.workers.id_number import IdNumberError, parse_id_number
from chalicelib.workers.levels import LevelCode
from chalicelib.workers.terms import MAX_SIZE_BYTES, CertificateKind, ContentType, ProfileFields

__all__ = [
    "AdminWorkerItem",
    "AdminWorkerOut",
    "AdminWorkerPatch",
    "AdminWorkerQuery",
    "CertificateIn",
    "CertificateOut",
    "CertificateUpload",
    "GeoPoint",
    "RatingOut",
    "ReasonIn",
    "ServiceArea",
    "WorkerProfileIn",
    "WorkerProfileOut",
]

WorkerStatus = Literal["draft", "pending_review", "verified", "rejected", "suspended"]


class ServiceArea(StrictModel):
    city: str = Field(min_length=1, max_length=30, description="e.g. 上海市")
    district: str = Field(min_length=1, max_length=30, description="e.g. 浦东新区")


class GeoPoint(StrictModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class WorkerProfileIn(StrictModel):
    """The whole editable profile (``PUT``): a field left out is cleared, except ``id_number``.

    The ID number is never shown again after it is saved, so leaving it out keeps the stored
    one. A draft may be incomplete; submitting needs every field but ``bio``.
    """

    real_name: str | None = Field(None, min_length=2, max_length=30, description="As on the ID card.")
    id_number: str | None = Field(
        None,
        max_length=32,
        description="Resident ID number (GB 11643, 18 characters); comes back masked.",
    )
    skills: list[str] = Field(
        default_factory=list, max_length=6, description="Category codes, e.g. cleaning."
    )
    experience_years: int | None = Field(None, ge=0, le=50)
    bio: str | None = Field(None, max_length=500)
    service_areas: list[ServiceArea] = Field(default_factory=list, max_length=10)
    home_location: GeoPoint | None = None

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_id_number(value, today=clock.now().date()).value
        except IdNumberError as error:
            raise PydanticCustomError(error.code, error.message) from None

    @field_validator("skills")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if not is_category(code)]
        if unknown:
            raise PydanticCustomError(
                "unknown_category", "not a category code: {codes}", {"codes": ", ".join(unknown)}
            )
        return list(dict.fromkeys(value))

    @field_validator("service_areas")
    @classmethod
    def _distinct_areas(cls, value: list[ServiceArea]) -> list[ServiceArea]:
        seen = {(area.city, area.district) for area in value}
        if len(seen) != len(value):
            raise PydanticCustomError("duplicate_area", "each service area may appear once")
        return value

    def fields(self) -> ProfileFields:
        return ProfileFields(
            real_name=self.real_name,
            id_number=self.id_number,
            skills=list(self.skills),
            experience_years=self.experience_years,
            bio=self.bio or None,
            service_areas=[area.model_dump() for area in self.service_areas],
            home_location=self.home_location.model_dump() if self.home_location else None,
        )


class CertificateIn(StrictModel):
    kind: CertificateKind
    file_name: str = Field(min_length=1, max_length=120, description="The file's name on the device.")
    content_type: ContentType
    size_bytes: int = Field(ge=1, le=MAX_SIZE_BYTES, description="Exact size; the upload must match it.")


class CertificateOut(Model):
    certificate_id: str
    kind: str
    kind_name: str
    file_name: str
    content_type: str
    size_bytes: int
    status: Literal["awaiting_upload", "uploaded", "verified", "rejected"]
    created_at: datetime
    uploaded_at: datetime | None
    reviewed_at: datetime | None
    reject_reason: str | None
    download_url: str | None = Field(None, description="Reviewers only: a link valid for 5 minutes.")


class CertificateUpload(Model):
    """Upload the file with ``PUT upload_url``, sending exactly ``headers_to_send``."""

    certificate_id: str
    upload_url: str
    method: Literal["PUT"] = "PUT"
    expires_in: int = Field(description="Seconds the upload URL stays valid.")
    headers_to_send: dict[str, str]
    certificate: CertificateOut


class WorkerProfileOut(Model):
    worker_id: str
    name: str
    status: WorkerStatus
    real_name: str | None
    id_number: str | None = Field(description="Masked, e.g. 1101**********1234.")
    skills: list[str]
    experience_years: int | None
    bio: str | None
    service_areas: list[ServiceArea]
    home_location: GeoPoint | None
    level: LevelCode
    level_name: str
    level_pinned: bool = Field(description="An admin set the level by hand.")
    groups: list[str]
    rating: RatingOut
    submitted_at: datetime | None
    reviewed_at: datetime | None
    reject_reason: str | None
    created_at: datetime | None
    updated_at: datetime | None
    certificates: list[CertificateOut]


class AdminWorkerQuery(ListQuery):
    status: WorkerStatus = "pending_review"


class AdminWorkerItem(Model):
    worker_id: str
    name: str
    real_name: str | None
    status: WorkerStatus
    skills: list[str]
    level: LevelCode | None
    groups: list[str]
    submitted_at: datetime | None


class AdminWorkerOut(WorkerProfileOut):
    phone: str | None = Field(description="Masked.")
    email: str | None = Field(description="Masked.")
    account_status: str
    reviewed_by: str | None


class ReasonIn(StrictModel):
    reason: str = Field(min_length=2, max_length=500, description="Shown to the worker.")


class AdminWorkerPatch(StrictModel):
    """Send ``groups`` to replace them; ``level`` pins a level, ``null`` unpins it."""

    groups: list[str] | None = Field(None, max_length=10)
    level: LevelCode | None = None

    @field_validator("groups")
    @classmethod
    def _group_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip() for name in value]
        if any(not name or len(name) > 30 for name in names):
            raise PydanticCustomError("invalid_group", "group names have 1 to 30 characters")
        return list(dict.fromkeys(names))
