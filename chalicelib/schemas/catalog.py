"""Request and response bodies of the Catalog endpoints.

Money is integer fen and refused as a float or a string in bodies (``strict``), so ``99.5``
never silently becomes a price. Texts a customer reads are written in both languages by the
admin and served in the caller's one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from chalicelib.basemodel import Model
from chalicelib.catalog.categories import (
    CATEGORY_CODES,
    DEFAULT_SORT,
    Occupancy,
    PriceUnit,
    Sort,
    is_category,
)
from chalicelib.schemas.common import ListQuery
from chalicelib.web.schemas import StrictModel

__all__ = [
    "AdminServiceOut",
    "CategoryOut",
    "DescriptionText",
    "IncludedText",
    "NameText",
    "ServiceIn",
    "ServiceOut",
    "ServicePatch",
    "ServiceQuery",
    "ServiceTexts",
    "SubTypeOut",
]

_CATEGORY_HELP = f"One of {', '.join(sorted(CATEGORY_CODES))} (`GET /v1/categories`)."
_UNIT_HELP = (
    "How the price is counted; `per_term` is one 26-day 月嫂 term. "
    "Each category allows its own units (`GET /v1/categories`)."
)
_DURATION_HELP = (
    "Minutes of one visit, or of one working day for services priced per day, month or term; "
    "for `per_hour` the shortest booking."
)
_OCCUPANCY_HELP = (
    "`visit`: one slot on one day; `live_in` (住家): every whole day of the term (`per_term`) or of "
    "the booked months (`per_month`). Left out: `live_in` for `per_term`, else `visit`."
)
_MAX_FEN = 100_000_000  # ¥1,000,000: far above any real price, low enough to catch a typo of 100x


def _known_category(code: str | None) -> str | None:
    if code is not None and not is_category(code):
        raise ValueError(f"unknown category; use one of {', '.join(sorted(CATEGORY_CODES))}")
    return code


class _Localized(StrictModel):
    """``{"zh-CN": ..., "en": ...}``: both languages, written by the admin."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, serialize_by_alias=True, defer_build=True
    )


class NameText(_Localized):
    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=80)


class DescriptionText(_Localized):
    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=1000)
    en: str = Field(min_length=1, max_length=2000)


class IncludedText(_Localized):
    zh_cn: str = Field(alias="zh-CN", min_length=1, max_length=60)
    en: str = Field(min_length=1, max_length=120)


class ServiceIn(StrictModel):
    """A new service; prices in fen, ``price_min <= price_max``."""

    category: str = Field(description=_CATEGORY_HELP)
    sub_type: str | None = Field(None, max_length=32, description="A sub-type code of the category.")
    name: NameText
    description: DescriptionText
    includes: list[IncludedText] = Field(
        default_factory=list, max_length=20, description="What the price includes, one line each."
    )
    price_min: int = Field(ge=1, le=_MAX_FEN, strict=True, description="Fen.")
    price_max: int = Field(ge=1, le=_MAX_FEN, strict=True, description="Fen, at least `price_min`.")
    price_unit: PriceUnit = Field(description=_UNIT_HELP)
    duration_minutes: int = Field(ge=1, le=1440, strict=True, description=_DURATION_HELP)
    occupancy: Occupancy | None = Field(None, description=_OCCUPANCY_HELP)

    _category = field_validator("category")(_known_category)


class ServicePatch(StrictModel):
    """The fields to change; only ``sub_type`` may be set to ``null`` (to clear it)."""

    category: str | None = Field(None, description=_CATEGORY_HELP)
    sub_type: str | None = Field(None, max_length=32)
    name: NameText | None = None
    description: DescriptionText | None = None
    includes: list[IncludedText] | None = Field(None, max_length=20)
    price_min: int | None = Field(None, ge=1, le=_MAX_FEN, strict=True)
    price_max: int | None = Field(None, ge=1, le=_MAX_FEN, strict=True)
    price_unit: PriceUnit | None = Field(None, description=_UNIT_HELP)
    duration_minutes: int | None = Field(None, ge=1, le=1440, strict=True)
    occupancy: Occupancy | None = Field(None, description=_OCCUPANCY_HELP)

    _category = field_validator("category")(_known_category)

    @field_validator(
        "category",
        "name",
        "description",
        "includes",
        "price_min",
        "price_max",
        "price_unit",
        "duration_minutes",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value


class ServiceQuery(ListQuery):
    """Filters of the service list; a price filter keeps services whose range overlaps it."""

    category: str | None = Field(None, description=_CATEGORY_HELP)
    min_price: int | None = Field(None, ge=0, le=_MAX_FEN, description="Fen.")
    max_price: int | None = Field(None, ge=0, le=_MAX_FEN, description="Fen, at least `min_price`.")
    min_duration: int | None = Field(None, ge=0, le=1440, description="Minutes.")
    max_duration: int | None = Field(None, ge=0, le=1440, description="Minutes, at least `min_duration`.")
    sort: Sort = Field(
        DEFAULT_SORT,
        description="`price` by `price_min` ascending, `-price` descending, `rating` best first, "
        "`popular` most ordered first.",
    )

    _category = field_validator("category")(_known_category)

    @field_validator("max_price", "max_duration")
    @classmethod
    def _not_below_min(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get(str(info.field_name).replace("max_", "min_"))
        if value is not None and low is not None and value < low:
            raise ValueError(f"must be at least {str(info.field_name).replace('max_', 'min_')}")
        return value


class SubTypeOut(Model):
    code: str
    name: str


class CategoryOut(Model):
    code: str
    name: str
    description: str
    sub_types: list[SubTypeOut]
    price_units: list[PriceUnit] = Field(description="The units this category's services are priced in.")
    live_in: bool = Field(False, description="Whether its services may be live-in (住家, whole days).")


class ServiceOut(Model):
    """A service in the caller's language."""

    service_id: str
    category: str
    sub_type: str | None
    sub_type_name: str | None
    name: str
    description: str
    includes: list[str] = Field(description="What the price includes.")
    price_min: int = Field(description="Fen.")
    price_max: int = Field(description="Fen.")
    currency: Literal["CNY"]
    price_unit: PriceUnit = Field(description=_UNIT_HELP)
    term_days: int | None = Field(description="Days in one term when `price_unit` is `per_term` (26).")
    duration_minutes: int = Field(description=_DURATION_HELP)
    occupancy: Occupancy = Field("visit", description=_OCCUPANCY_HELP)
    rating: float = Field(description="Average of 1-5 stars; 0 until rated (see `rating_count`).")
    rating_count: int
    order_count: int
    status: Literal["active", "retired"] = Field(description="A retired service can no longer be booked.")
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None


class ServiceTexts(Model):
    """Every language of a service's texts, as ``POST``/``PATCH`` take them."""

    name: NameText
    description: DescriptionText
    includes: list[IncludedText]


class AdminServiceOut(ServiceOut):
    """A service as the admin console edits it: the caller's language plus every language."""

    texts: ServiceTexts
