"""Catalog rules that need no table: categories, filters, request schemas and the demo specs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.catalog.categories import CATEGORIES, CATEGORY_CODES, category, is_category, localized
from chalicelib.catalog.services import ServiceFilter, ServiceView, is_bookable
from chalicelib.schemas.catalog import ServiceIn, ServicePatch, ServiceQuery
from local.seed_catalog import catalog_specs


def _service(price_min: int, price_max: int, duration: int = 120, status: str = "active") -> ServiceView:
    return ServiceView(
        service_id="svc_x",
        category="cleaning",
        sub_type=None,
        name={"zh-CN": "保洁", "en": "Cleaning"},
        description={"zh-CN": "描述", "en": "About"},
        includes=[],
        price_min=price_min,
        price_max=price_max,
        price_unit="per_visit",
        term_days=None,
        duration_minutes=duration,
        currency="CNY",
        status=status,
        rating=0.0,
        rating_count=0,
        order_count=0,
        created_at="2027-01-20T09:00:00.000000+08:00",
        updated_at="2027-01-20T09:00:00.000000+08:00",
        retired_at=None,
    )


def _errors(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(part) for part in item["loc"]) for item in error.value.errors()}


# -- categories ------------------------------------------------------------------------------


def test_category_codes_are_the_contracts() -> None:
    assert {
        "cleaning",
        "nanny",
        "maternity_nurse",
        "infant_care",
        "elder_care",
        "home_repair",
    } <= CATEGORY_CODES
    assert is_category("nanny")
    assert not is_category("Nanny")
    assert not is_category("")
    assert category("gardening") is None


def test_every_category_speaks_both_languages_and_has_a_unit() -> None:
    for item in CATEGORIES:
        assert item.name("zh-CN") and item.name("en") and item.name("zh-CN") != item.name("en")
        assert item.description("en")
        assert item.price_units
        assert all(sub.name("zh-CN") != sub.name("en") for sub in item.sub_types)
    # The 26-day term is the 月嫂 convention only.
    assert [item.code for item in CATEGORIES if "per_term" in item.price_units] == ["maternity_nurse"]
    cleaning = category("cleaning")
    assert cleaning is not None
    assert [sub.name("zh-CN") for sub in cleaning.sub_types] == ["日常保洁", "深度保洁", "开荒保洁"]
    assert cleaning.sub_type("deep") is not None
    assert cleaning.sub_type("locks") is None


def test_localized_falls_back_to_chinese() -> None:
    assert localized({"zh-CN": "保洁", "en": "Cleaning"}, "en") == "Cleaning"
    assert localized({"zh-CN": "保洁"}, "en") == "保洁"
    assert localized({"zh-CN": "保洁", "en": ""}, "en") == "保洁"


# -- filters and bookability -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "kept"),
    [
        (None, None, True),
        (10_000, 20_000, True),  # inside
        (5_000, 10_000, True),  # touches price_min
        (20_000, 30_000, True),  # touches price_max
        (12_000, 13_000, True),  # within the range
        (5_000, 9_999, False),  # entirely below
        (20_001, None, False),  # entirely above
        (None, 9_999, False),
        (1_000, 99_000, True),  # covers it
    ],
)
def test_price_filter_keeps_overlapping_ranges(low: int | None, high: int | None, kept: bool) -> None:
    assert ServiceFilter(min_price=low, max_price=high).keeps(_service(10_000, 20_000)) is kept


def test_duration_filter_is_inclusive() -> None:
    service = _service(1, 2, duration=120)
    assert ServiceFilter(min_duration=120, max_duration=120).keeps(service)
    assert not ServiceFilter(min_duration=121).keeps(service)
    assert not ServiceFilter(max_duration=119).keeps(service)


def test_cursor_scope_names_every_filter_and_the_sort() -> None:
    base = ServiceFilter(category="cleaning", min_price=1, max_price=2, sort="price")
    others = [
        ServiceFilter(category="nanny", min_price=1, max_price=2, sort="price"),
        ServiceFilter(category="cleaning", min_price=1, max_price=3, sort="price"),
        ServiceFilter(category="cleaning", min_price=1, max_price=2, sort="-price"),
        ServiceFilter(category="cleaning", min_price=1, max_price=2, min_duration=60, sort="price"),
    ]
    assert all(other.scope != base.scope for other in others)


def test_only_active_services_are_bookable() -> None:
    assert is_bookable(_service(1, 2))
    assert not is_bookable(_service(1, 2, status="retired"))


# -- request schemas -------------------------------------------------------------------------

_VALID: dict[str, Any] = {
    "category": "home_repair",
    "sub_type": "locks",
    "name": {"zh-CN": "开锁", "en": "Lockout"},
    "description": {"zh-CN": "上门开锁", "en": "Locksmith visit"},
    "price_min": 10_000,
    "price_max": 25_000,
    "price_unit": "per_visit",
    "duration_minutes": 30,
}


def test_service_in_refuses_money_that_is_not_integer_fen() -> None:
    assert ServiceIn.model_validate(_VALID).includes == []
    with pytest.raises(ValidationError) as error:
        ServiceIn.model_validate(
            {**_VALID, "price_min": 100.0, "price_max": "25000", "duration_minutes": True}
        )
    assert _errors(error) == {"price_min", "price_max", "duration_minutes"}


def test_service_in_texts_need_both_languages_and_dump_with_the_locale_key() -> None:
    with pytest.raises(ValidationError) as error:
        ServiceIn.model_validate({**_VALID, "name": {"zh-CN": " "}, "includes": [{"en": "x"}]})
    assert _errors(error) == {"name.zh-CN", "name.en", "includes.0.zh-CN"}
    dumped = ServiceIn.model_validate(_VALID).model_dump(mode="json", by_alias=True)
    assert dumped["name"] == {"zh-CN": "开锁", "en": "Lockout"}


def test_service_patch_may_clear_only_the_sub_type() -> None:
    patch = ServicePatch.model_validate({"sub_type": None, "price_max": 30_000})
    assert patch.model_dump(exclude_unset=True) == {"sub_type": None, "price_max": 30_000}
    with pytest.raises(ValidationError) as error:
        ServicePatch.model_validate({"price_min": None, "category": None, "includes": None})
    assert _errors(error) == {"price_min", "category", "includes"}
    with pytest.raises(ValidationError) as unknown:
        ServicePatch.model_validate({"category": "gardening", "order_count": 9})
    assert _errors(unknown) == {"category", "order_count"}


def test_service_query_checks_ranges_and_names_the_upper_bound() -> None:
    query = ServiceQuery.model_validate({"min_price": "100", "max_price": "100", "limit": "5"})
    assert (query.min_price, query.max_price, query.limit, query.sort) == (100, 100, 5, "popular")
    with pytest.raises(ValidationError) as error:
        ServiceQuery.model_validate(
            {"min_price": "200", "max_price": "100", "min_duration": "9", "max_duration": "8"}
        )
    assert _errors(error) == {"max_price", "max_duration"}
    with pytest.raises(ValidationError) as bad:
        ServiceQuery.model_validate({"category": "x", "sort": "name", "limit": "101", "min_price": "-1"})
    assert _errors(bad) == {"category", "sort", "limit", "min_price"}


# -- the demo catalog ------------------------------------------------------------------------


def test_demo_specs_are_valid_requests_with_stable_ids() -> None:
    specs = catalog_specs()
    assert len(specs) >= 30
    ids = [spec.service_id for spec in specs]
    assert len(set(ids)) == len(ids)
    assert ids == [spec.service_id for spec in catalog_specs()]
    for spec in specs:
        request = spec.request()
        found = category(request["category"])
        assert found is not None, spec.slug
        assert request["sub_type"] is None or found.sub_type(request["sub_type"]), spec.slug
        assert request["price_unit"] in found.price_units, spec.slug
        assert request["price_min"] <= request["price_max"], spec.slug
    assert {spec.category for spec in specs} == CATEGORY_CODES
