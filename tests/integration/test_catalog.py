"""The catalog over HTTP: categories, the filtered and paged service list, admin upkeep, retiring."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.targets import target_from
from chalicelib.accounts.users import Role, create_user
from chalicelib.audit import AuditItem
from chalicelib.catalog import services
from chalicelib.catalog.services import Actor
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.catalog import CatalogCounterItem, ServiceItem
from tests.integration.conftest import Http

PASSWORD = "secret123"
ACTOR = Actor(user_id="usr_test_admin", role="admin")


def _token(http: Http, role: Role, email: str) -> str:
    create_user(target_from(email=email), PASSWORD, f"{role} 用户", role)
    response = http.call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return str(response.json["access_token"])


@pytest.fixture
def admin(http: Http) -> str:
    return _token(http, "admin", "admin@jiazheng.example")


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "cleaning",
        "sub_type": "routine",
        "name": {"zh-CN": "日常保洁 3 小时", "en": "Routine cleaning, 3 hours"},
        "description": {"zh-CN": "两室一厅的日常打扫", "en": "Everyday cleaning for two bedrooms"},
        "includes": [
            {"zh-CN": "全屋除尘、拖地", "en": "Dusting and mopping"},
            {"zh-CN": "卫生间清洁", "en": "Bathroom"},
        ],
        "price_min": 15_000,
        "price_max": 19_000,
        "price_unit": "per_visit",
        "duration_minutes": 180,
    }
    body.update(overrides)
    return body


def _make(slug: str, **overrides: Any) -> str:
    """A service straight through the use case (faster than HTTP when a test needs many)."""
    fields = _body(name={"zh-CN": slug, "en": slug}, **overrides)
    return services.create_service(fields, actor=ACTOR, service_id=f"svc_{slug}").service_id


def _ids(http: Http, query: str) -> list[str]:
    response = http.call("GET", f"/v1/services?{query}")
    assert response.status_code == 200, response.json
    return [item["service_id"] for item in response.json["items"]]


def _fields(response: Any) -> set[str]:
    return {detail["field"] for detail in response.json["error"]["details"]}


def _audit_entries_of(service_id: str) -> list[AuditItem]:
    """Every audit entry about ``service_id``, oldest first (this month's partition)."""
    return [item for item in AuditItem.query(f"AUDIT#{clock.now():%Y-%m}") if item.target_id == service_id]


# -- categories ------------------------------------------------------------------------------


def test_categories_in_both_languages(http: Http) -> None:
    zh = http.call("GET", "/v1/categories")
    assert zh.status_code == 200
    assert zh.headers["Content-Language"] == "zh-CN"
    by_code = {item["code"]: item for item in zh.json["items"]}
    assert set(by_code) >= {
        "cleaning",
        "nanny",
        "maternity_nurse",
        "infant_care",
        "elder_care",
        "home_repair",
    }
    assert zh.json["next_cursor"] is None
    assert by_code["maternity_nurse"]["name"] == "月嫂"
    assert by_code["maternity_nurse"]["price_units"] == ["per_term", "per_day"]
    assert [sub["name"] for sub in by_code["cleaning"]["sub_types"]] == ["日常保洁", "深度保洁", "开荒保洁"]
    assert {sub["code"] for sub in by_code["home_repair"]["sub_types"]} == {
        "plumbing",
        "electrical",
        "appliance",
        "locks",
    }
    en = http.call("GET", "/v1/categories", **{"Accept-Language": "en-US,en;q=0.9"}).json
    names = {item["code"]: item["name"] for item in en["items"]}
    assert names["maternity_nurse"] == "Maternity nurse"
    assert names["nanny"] == "Nanny"


# -- admin create / read ---------------------------------------------------------------------


def test_admin_creates_a_service_everyone_can_read(http: Http, admin: str) -> None:
    created = http.call("POST", "/v1/admin/services", _body(), token=admin)
    assert created.status_code == 201, created.json
    service = created.json
    assert service["service_id"].startswith("svc_")
    assert service["texts"]["name"] == {"zh-CN": "日常保洁 3 小时", "en": "Routine cleaning, 3 hours"}
    assert (service["status"], service["currency"], service["rating"], service["order_count"]) == (
        "active",
        "CNY",
        0.0,
        0,
    )
    path = f"/v1/services/{service['service_id']}"
    zh = http.call("GET", path).json
    assert (zh["name"], zh["sub_type_name"], zh["includes"]) == (
        "日常保洁 3 小时",
        "日常保洁",
        ["全屋除尘、拖地", "卫生间清洁"],
    )
    assert "texts" not in zh
    expected = {
        "category": "cleaning",
        "sub_type": "routine",
        "price_min": 15_000,
        "price_max": 19_000,
        "price_unit": "per_visit",
        "term_days": None,
        "duration_minutes": 180,
        "rating_count": 0,
        "retired_at": None,
    }
    assert {key: zh[key] for key in expected} == expected
    en = http.call("GET", path, **{"Accept-Language": "en"}).json
    assert (en["name"], en["description"], en["sub_type_name"]) == (
        "Routine cleaning, 3 hours",
        "Everyday cleaning for two bedrooms",
        "Routine cleaning",
    )
    assert en["includes"] == ["Dusting and mopping", "Bathroom"]
    [entry] = _audit_entries_of(service["service_id"])
    assert (entry.action, entry.actor_role, entry.target_type) == ("service.create", "admin", "service")
    assert entry.details["price_min"] == 15_000
    assert entry.request_id


def test_maternity_nurse_priced_per_26_day_term(http: Http, admin: str) -> None:
    body = _body(category="maternity_nurse", sub_type=None, price_min=980_000, price_max=1_280_000)
    wrong_unit = http.call("POST", "/v1/admin/services", body, token=admin)
    assert wrong_unit.status_code == 422
    assert _fields(wrong_unit) == {"price_unit"}
    created = http.call(
        "POST",
        "/v1/admin/services",
        {**body, "price_unit": "per_term", "duration_minutes": 1440},
        token=admin,
    )
    assert created.status_code == 201, created.json
    assert (created.json["price_unit"], created.json["term_days"]) == ("per_term", 26)


def test_admin_routes_refuse_other_roles(http: Http, admin: str) -> None:
    service_id = http.call("POST", "/v1/admin/services", _body(), token=admin).json["service_id"]
    path = f"/v1/admin/services/{service_id}"
    others: tuple[tuple[Role, str], ...] = (
        ("customer", "c@example.com"),
        ("worker", "w@example.com"),
        ("support", "s@example.com"),
    )
    for role, email in others:
        token = _token(http, role, email)
        assert http.call("POST", "/v1/admin/services", _body(), token=token).status_code == 403
        assert http.call("PATCH", path, {"price_max": 20_000}, token=token).status_code == 403
        assert http.call("DELETE", path, token=token).status_code == 403
        assert http.call("GET", path, token=token).status_code == 403
    assert http.call("POST", "/v1/admin/services", _body()).status_code == 401
    assert http.call("DELETE", path).status_code == 401
    untouched = http.call("GET", f"/v1/services/{service_id}").json
    assert (untouched["status"], untouched["price_max"]) == ("active", 19_000)


def test_create_validation_names_each_field(http: Http, admin: str) -> None:
    def refused(body: dict[str, Any]) -> set[str]:
        response = http.call("POST", "/v1/admin/services", body, token=admin)
        assert response.status_code == 422, response.json
        assert response.json["error"]["code"] == "validation_failed"
        return _fields(response)

    assert refused(_body(price_min=20_000, price_max=19_000)) == {"price_max"}
    assert refused(_body(category="gardening")) == {"category"}
    assert refused(_body(sub_type="plumbing")) == {"sub_type"}
    assert refused(_body(duration_minutes=0, price_min=-1)) == {"duration_minutes", "price_min"}
    assert refused(_body(price_min=150.5, price_max="19000")) == {"price_min", "price_max"}
    assert refused(_body(name={"zh-CN": "保洁"}, price_unit="per_week")) == {"name.en", "price_unit"}
    assert refused(_body(status="retired")) == {"status"}
    missing = http.call("POST", "/v1/admin/services", {"category": "cleaning"}, token=admin)
    assert _fields(missing) == {
        "name",
        "description",
        "price_min",
        "price_max",
        "price_unit",
        "duration_minutes",
    }
    assert http.call("GET", "/v1/services", token=admin).json["items"] == []


# -- admin edit ------------------------------------------------------------------------------


def test_admin_edits_fields_and_the_edit_is_audited(http: Http, admin: str) -> None:
    service_id = http.call("POST", "/v1/admin/services", _body(), token=admin).json["service_id"]
    path = f"/v1/admin/services/{service_id}"
    patched = http.call(
        "PATCH",
        path,
        {"price_max": 21_000, "name": {"zh-CN": "日常保洁 3 小时（周末）", "en": "Weekend cleaning"}},
        token=admin,
    )
    assert patched.status_code == 200, patched.json
    assert (patched.json["price_max"], patched.json["name"]) == (21_000, "日常保洁 3 小时（周末）")
    assert patched.json["price_min"] == 15_000
    read = http.call("GET", path, token=admin, **{"Accept-Language": "en"}).json
    assert (read["name"], read["texts"]["name"]["zh-CN"]) == ("Weekend cleaning", "日常保洁 3 小时（周末）")

    cleared = http.call("PATCH", path, {"sub_type": None}, token=admin).json
    assert (cleared["sub_type"], cleared["sub_type_name"]) == (None, None)

    moved = http.call(
        "PATCH",
        path,
        {"category": "home_repair", "sub_type": "locks", "price_unit": "per_visit"},
        token=admin,
    )
    assert moved.status_code == 200, moved.json
    assert _ids(http, "category=home_repair") == [service_id]
    assert _ids(http, "category=cleaning") == []

    actions = [entry.action for entry in _audit_entries_of(service_id)]
    assert actions == ["service.create", "service.update", "service.update", "service.update"]
    first_edit = _audit_entries_of(service_id)[1].details
    assert first_edit["changes"]["price_max"] == 21_000
    assert first_edit["before"]["price_max"] == 19_000


def test_patch_validation_checks_the_result_of_the_edit(http: Http, admin: str) -> None:
    service_id = http.call("POST", "/v1/admin/services", _body(), token=admin).json["service_id"]
    path = f"/v1/admin/services/{service_id}"
    above_max = http.call("PATCH", path, {"price_min": 19_001}, token=admin)
    assert above_max.status_code == 422
    assert _fields(above_max) == {"price_max"}
    stale_sub_type = http.call("PATCH", path, {"category": "nanny", "price_unit": "per_month"}, token=admin)
    assert _fields(stale_sub_type) == {"sub_type"}
    nulls = http.call("PATCH", path, {"price_min": None, "name": None, "sub_type": None}, token=admin)
    assert _fields(nulls) == {"price_min", "name"}
    assert _fields(http.call("PATCH", path, {"rating": 5}, token=admin)) == {"rating"}
    unchanged = http.call("PATCH", path, {}, token=admin)
    assert unchanged.status_code == 200
    assert unchanged.json["price_min"] == 15_000
    assert [entry.action for entry in _audit_entries_of(service_id)] == ["service.create"]


def test_an_edit_made_from_a_stale_read_is_refused(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    service_id = _make("race")
    stale = ServiceItem.get(*ServiceItem.key(service_id))
    services.update_service(service_id, {"price_max": 20_000}, actor=ACTOR)
    # The second admin read the service before the first edit landed.
    with monkeypatch.context() as patched:
        patched.setattr(services, "_item", lambda *_args, **_kwargs: stale)
        with pytest.raises(Conflict) as lost:
            services.update_service(service_id, {"price_max": 16_000}, actor=ACTOR)
    assert lost.value.code == "conflict"
    assert services.get_service(service_id).price_max == 20_000
    assert [entry.action for entry in _audit_entries_of(service_id)] == ["service.create", "service.update"]


def test_unknown_services_are_404(http: Http, admin: str) -> None:
    assert http.call("GET", "/v1/services/svc_nope").status_code == 404
    assert http.call("GET", "/v1/admin/services/svc_nope", token=admin).status_code == 404
    assert http.call("PATCH", "/v1/admin/services/svc_nope", {"price_max": 1}, token=admin).status_code == 404
    response = http.call("DELETE", "/v1/admin/services/svc_nope", token=admin)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


# -- retire ----------------------------------------------------------------------------------


def test_retire_unlists_but_keeps_the_service_readable_and_unbookable(http: Http, admin: str) -> None:
    keep = http.call("POST", "/v1/admin/services", _body(), token=admin).json["service_id"]
    gone = http.call("POST", "/v1/admin/services", _body(price_min=9_000), token=admin).json["service_id"]
    assert set(_ids(http, "")) == {keep, gone}
    assert services.bookable_service(gone).price_min == 9_000

    assert http.call("DELETE", f"/v1/admin/services/{gone}", token=admin).status_code == 204
    assert _ids(http, "") == [keep]
    assert _ids(http, "category=cleaning&sort=price") == [keep]
    read = http.call("GET", f"/v1/services/{gone}")
    assert read.status_code == 200
    assert read.json["status"] == "retired"
    assert read.json["retired_at"] is not None
    assert services.is_bookable(services.get_service(gone)) is False
    with pytest.raises(Conflict) as refused:
        services.bookable_service(gone)
    assert refused.value.code == "service_retired"
    with pytest.raises(NotFound):
        services.bookable_service("svc_nope")

    edit = http.call("PATCH", f"/v1/admin/services/{gone}", {"price_max": 9_500}, token=admin)
    assert edit.status_code == 409
    assert edit.json["error"]["code"] == "service_retired"
    again = http.call("DELETE", f"/v1/admin/services/{gone}", token=admin)
    assert again.status_code == 204
    assert [entry.action for entry in _audit_entries_of(gone)] == ["service.create", "service.retire"]
    item = ServiceItem.get(*ServiceItem.key(gone))
    assert (item.gsi1pk, item.gsi1sk) == (None, None)
    assert CatalogCounterItem.get(*CatalogCounterItem.key()).active_count == 1


def test_the_active_catalog_is_capped(http: Http, admin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_ACTIVE_SERVICES", 2)
    first = http.call("POST", "/v1/admin/services", _body(), token=admin).json["service_id"]
    assert http.call("POST", "/v1/admin/services", _body(), token=admin).status_code == 201
    full = http.call("POST", "/v1/admin/services", _body(), token=admin)
    assert full.status_code == 409
    assert full.json["error"]["code"] == "catalog_full"
    assert "2" in full.json["error"]["message"]
    assert http.call("DELETE", f"/v1/admin/services/{first}", token=admin).status_code == 204
    assert http.call("POST", "/v1/admin/services", _body(), token=admin).status_code == 201
    assert len(_ids(http, "")) == 2


def test_a_fixed_id_is_created_once(aws: dict[str, str]) -> None:
    _make("fixed")
    with pytest.raises(Conflict) as twice:
        _make("fixed")
    assert twice.value.code == "service_exists"
    assert CatalogCounterItem.get(*CatalogCounterItem.key()).active_count == 1


# -- listing ---------------------------------------------------------------------------------


@pytest.fixture
def catalog(aws: dict[str, str]) -> None:
    """A small catalog with known prices, durations, ratings and order counts."""
    _make("a", price_min=5_000, price_max=8_000, duration_minutes=60)
    _make("b", price_min=10_000, price_max=20_000, duration_minutes=120)
    _make("c", price_min=20_000, price_max=30_000, duration_minutes=180)
    _make("d", price_min=35_000, price_max=40_000, duration_minutes=240)
    _make(
        "e",
        category="home_repair",
        sub_type="plumbing",
        price_min=8_000,
        price_max=30_000,
        duration_minutes=60,
    )
    for slug, stars, count, orders in (("a", 9, 2, 3), ("b", 14, 3, 40), ("c", 5, 1, 7), ("e", 12, 3, 0)):
        ServiceItem(*ServiceItem.key(f"svc_{slug}")).update(
            actions=[
                ServiceItem.rating_sum.add(stars),
                ServiceItem.rating_count.add(count),
                ServiceItem.order_count.add(orders),
            ]
        )


@pytest.mark.usefixtures("catalog")
def test_price_filters_keep_overlapping_ranges(http: Http) -> None:
    assert _ids(http, "min_price=20000&max_price=25000&sort=price") == ["svc_e", "svc_b", "svc_c"]
    assert _ids(http, "min_price=30001&sort=price") == ["svc_d"]
    assert _ids(http, "max_price=8000&sort=price") == ["svc_a", "svc_e"]
    assert _ids(http, "min_price=8000&max_price=8000&sort=price") == ["svc_a", "svc_e"]
    assert _ids(http, "min_price=30001&max_price=34999") == []
    assert _ids(http, "category=cleaning&min_price=20000&sort=price") == ["svc_b", "svc_c", "svc_d"]


@pytest.mark.usefixtures("catalog")
def test_duration_filters(http: Http) -> None:
    assert _ids(http, "min_duration=120&max_duration=180&sort=price") == ["svc_b", "svc_c"]
    assert _ids(http, "max_duration=60&sort=price") == ["svc_a", "svc_e"]


@pytest.mark.usefixtures("catalog")
def test_sorts(http: Http) -> None:
    assert _ids(http, "sort=price") == ["svc_a", "svc_e", "svc_b", "svc_c", "svc_d"]
    assert _ids(http, "sort=-price") == ["svc_d", "svc_c", "svc_b", "svc_e", "svc_a"]
    # Ratings: c 5.0, b 4.67, a 4.5, e 4.0, d unrated; popular: most ordered first.
    assert _ids(http, "sort=rating") == ["svc_c", "svc_b", "svc_a", "svc_e", "svc_d"]
    assert _ids(http, "sort=popular") == ["svc_b", "svc_c", "svc_a", "svc_d", "svc_e"]
    assert _ids(http, "") == _ids(http, "sort=popular")
    rated = http.call("GET", "/v1/services?sort=rating&limit=2").json["items"]
    assert [(item["rating"], item["rating_count"]) for item in rated] == [(5.0, 1), (4.67, 3)]


def test_pages_cover_the_list_once(http: Http, aws: dict[str, str]) -> None:
    for index in range(23):
        _make(f"p{index:02d}", price_min=1_000 * (index % 7 + 1), price_max=50_000)
    seen: list[str] = []
    prices: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "sort=price&limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = http.call("GET", f"/v1/services?{query}").json
        seen += [item["service_id"] for item in page["items"]]
        prices += [item["price_min"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        if pages == 1:
            # A service added mid-way that sorts before the cursor does not shift the next page.
            _make("late", price_min=500, price_max=50_000)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 23
    assert prices == sorted(prices)
    assert "svc_late" not in seen


def test_list_query_validation(http: Http, aws: dict[str, str]) -> None:
    def refused(query: str) -> set[str]:
        response = http.call("GET", f"/v1/services?{query}")
        assert response.status_code == 422, response.json
        return _fields(response)

    assert refused("category=gardening") == {"category"}
    assert refused("min_price=500&max_price=100") == {"max_price"}
    assert refused("min_duration=120&max_duration=60") == {"max_duration"}
    assert refused("sort=cheapest") == {"sort"}
    assert refused("limit=0") == {"limit"}
    assert refused("limit=101") == {"limit"}
    assert refused("min_price=abc") == {"min_price"}
    assert refused("cursor=forged.abc") == {"cursor"}


def test_a_cursor_belongs_to_its_listing(http: Http, aws: dict[str, str]) -> None:
    for index in range(3):
        _make(f"s{index}", price_min=1_000 + index)
    cursor = http.call("GET", "/v1/services?sort=price&limit=1").json["next_cursor"]
    assert cursor
    assert http.call("GET", f"/v1/services?sort=price&limit=1&cursor={cursor}").status_code == 200
    other = http.call("GET", f"/v1/services?sort=-price&limit=1&cursor={cursor}")
    assert other.status_code == 422
    assert _fields(other) == {"cursor"}


def test_listing_is_localized(http: Http, admin: str) -> None:
    http.call("POST", "/v1/admin/services", _body(), token=admin)
    [zh] = http.call("GET", "/v1/services").json["items"]
    [en] = http.call("GET", "/v1/services", **{"Accept-Language": "en"}).json["items"]
    assert (zh["name"], en["name"]) == ("日常保洁 3 小时", "Routine cleaning, 3 hours")
    assert (zh["sub_type_name"], en["sub_type_name"]) == ("日常保洁", "Routine cleaning")


# -- the demo seed ---------------------------------------------------------------------------


def test_seed_catalog_is_idempotent(http: Http, api: Client) -> None:
    from local.seed_catalog import seed_catalog

    ids = seed_catalog()
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert seed_catalog() == ids
    assert CatalogCounterItem.get(*CatalogCounterItem.key()).active_count == len(ids)
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = http.call("GET", "/v1/services?limit=100" + (f"&cursor={cursor}" if cursor else "")).json
        listed += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(item["service_id"] for item in listed) == sorted(ids)
    assert {item["category"] for item in listed} == {
        "cleaning",
        "nanny",
        "maternity_nurse",
        "infant_care",
        "elder_care",
        "home_repair",
    }
    units = {item["price_unit"] for item in listed}
    assert units == {"per_visit", "per_hour", "per_day", "per_month", "per_term"}
    nurse = http.call("GET", "/v1/services?category=maternity_nurse&sort=-price&limit=1").json["items"][0]
    assert (nurse["price_unit"], nurse["term_days"]) == ("per_term", 26)
