"""The service categories and their sub-types: static data in code.

Categories change with the business, not at run time, and every area validates codes against
them (a worker's skills, a service's category, an order filter), so they live here rather than
in the table: one import, no read, and the codes stay the same in every stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.i18n import DEFAULT_LOCALE

Sort = Literal["price", "-price", "rating", "popular"]
"""How service lists can be ordered (``price`` is by ``price_min``)."""
DEFAULT_SORT: Sort = "popular"

__all__ = [
    "CATEGORIES",
    "CATEGORY_CODES",
    "DEFAULT_SORT",
    "LIVE_IN_UNITS",
    "TERM_DAYS",
    "Category",
    "Occupancy",
    "PriceUnit",
    "Sort",
    "SubType",
    "category",
    "is_category",
    "localized",
]

PriceUnit = Literal["per_visit", "per_hour", "per_day", "per_month", "per_term"]
"""How a price is counted. ``per_term`` is the 月嫂 convention: one term of :data:`TERM_DAYS` days."""

TERM_DAYS = 26

Occupancy = Literal["visit", "live_in"]
"""How a service occupies its worker: ``visit``, one slot on one day; ``live_in``, every whole day
of a term (``per_term``: :data:`TERM_DAYS` days) or of the booked months (``per_month``)."""

LIVE_IN_UNITS: tuple[PriceUnit, ...] = ("per_term", "per_month")
"""The price units a live-in service may have (a term or months of whole days)."""


def localized(texts: dict[str, str], locale: str) -> str:
    """The text for ``locale``, falling back to zh-CN (every text has a zh-CN version)."""
    return texts.get(locale) or texts[DEFAULT_LOCALE]


@dataclass(frozen=True, slots=True)
class SubType:
    """A kind of service within a category (日常保洁 within cleaning)."""

    code: str
    names: dict[str, str]

    def name(self, locale: str) -> str:
        return localized(self.names, locale)


@dataclass(frozen=True, slots=True)
class Category:
    """A category as the apps show it: code, localized name and description, sub-types.

    ``price_units`` are the units its services may be priced in: the trade's own conventions
    (repairs per visit, nannies per month, 月嫂 per 26-day term), checked when a service is saved.
    """

    code: str
    names: dict[str, str]
    descriptions: dict[str, str]
    sub_types: tuple[SubType, ...]
    price_units: tuple[PriceUnit, ...]
    live_in: bool = False  # whether its services may be live-in (住家): 月嫂, 住家保姆, 住家育儿嫂, 住家护老

    def name(self, locale: str) -> str:
        return localized(self.names, locale)

    def description(self, locale: str) -> str:
        return localized(self.descriptions, locale)

    def sub_type(self, code: str) -> SubType | None:
        return next((sub for sub in self.sub_types if sub.code == code), None)


def _sub(code: str, zh: str, en: str) -> SubType:
    return SubType(code=code, names={"zh-CN": zh, "en": en})


CATEGORIES: tuple[Category, ...] = (
    Category(
        code="cleaning",
        names={"zh-CN": "保洁", "en": "Cleaning"},
        descriptions={
            "zh-CN": "日常保洁、深度保洁、开荒保洁，按次上门",
            "en": "Routine, deep and post-renovation cleaning, booked per visit",
        },
        sub_types=(
            _sub("routine", "日常保洁", "Routine cleaning"),
            _sub("deep", "深度保洁", "Deep cleaning"),
            _sub("post_renovation", "开荒保洁", "Post-renovation cleaning"),
        ),
        price_units=("per_visit", "per_hour"),
    ),
    Category(
        code="nanny",
        names={"zh-CN": "保姆", "en": "Nanny"},
        descriptions={
            "zh-CN": "住家保姆与白班保姆：做饭、家务、接送",
            "en": "Live-in and day nannies: cooking, housework, school runs",
        },
        sub_types=(
            _sub("live_in", "住家保姆", "Live-in nanny"),
            _sub("day", "白班保姆", "Day nanny"),
        ),
        price_units=("per_month", "per_day", "per_hour"),
        live_in=True,
    ),
    Category(
        code="maternity_nurse",
        names={"zh-CN": "月嫂", "en": "Maternity nurse"},
        descriptions={
            "zh-CN": "产后母婴护理，住家服务，以 26 天为一单",
            "en": "Live-in postpartum care for mother and newborn, booked in 26-day terms",
        },
        sub_types=(),
        price_units=("per_term", "per_day"),
        live_in=True,
    ),
    Category(
        code="infant_care",
        names={"zh-CN": "育婴师", "en": "Infant carer"},
        descriptions={
            "zh-CN": "0–3 岁婴幼儿照护与早期启蒙",
            "en": "Care and early learning for children aged 0 to 3",
        },
        sub_types=(),
        price_units=("per_month", "per_day", "per_hour"),
        live_in=True,
    ),
    Category(
        code="elder_care",
        names={"zh-CN": "老人陪护", "en": "Elder care"},
        descriptions={
            "zh-CN": "居家或医院陪护老人，按小时或按天",
            "en": "Companionship and care for the elderly at home or in hospital, by the hour or day",
        },
        sub_types=(
            _sub("home", "居家陪护", "Home care"),
            _sub("hospital", "医院陪护", "Hospital care"),
        ),
        price_units=("per_day", "per_hour", "per_month"),
        live_in=True,
    ),
    Category(
        code="home_repair",
        names={"zh-CN": "家庭维修", "en": "Home repair"},
        descriptions={
            "zh-CN": "水管、电路、家电维修与开锁换锁，上门服务",
            "en": "Plumbing, electrical, appliance repair and locksmith visits",
        },
        sub_types=(
            _sub("plumbing", "水管维修", "Plumbing"),
            _sub("electrical", "电路维修", "Electrical"),
            _sub("appliance", "家电维修", "Appliance repair"),
            _sub("locks", "开锁换锁", "Locks"),
        ),
        price_units=("per_visit", "per_hour"),
    ),
)

_BY_CODE: dict[str, Category] = {item.code: item for item in CATEGORIES}

CATEGORY_CODES: frozenset[str] = frozenset(_BY_CODE)
"""Every valid category code, for validating a worker's skills or a filter."""


def is_category(code: str) -> bool:
    """Whether ``code`` names a category."""
    return code in _BY_CODE


def category(code: str) -> Category | None:
    """The category named ``code``, or None."""
    return _BY_CODE.get(code)
