"""Platform settings over HTTP against moto: versions, validation, overrides, and the code using them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.audit import AuditItem
from chalicelib.models.orders import OrderItem
from chalicelib.orders import matching
from chalicelib.orders.policy import policy_for
from chalicelib.settings.current import current_settings, forget
from chalicelib.settings.store import SettingsItem
from tests.integration.conftest import Http
from tests.integration.order_steps import set_status
from tests.integration.payment_steps import (
    PRICE,
    START,
    assert_ledger_balanced,
    faked_stripe,
    open_shop,
    paid_order,
)
from tests.integration.scheduling_steps import account
from tests.integration.stripe_fake import StripeFake

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def admin() -> str:
    return account("admin")[1]


def _read(http: Http, token: str, query: str = "") -> Any:
    response = http.call("GET", f"/v1/admin/settings{query}", token=token)
    assert response.status_code == 200, response.json
    return response.json


def _put(
    http: Http, token: str, version: int, reason: str = "调整", overrides: Any = None, **changes: Any
) -> Any:
    settings = _read(http, token)["settings"]
    settings.update(changes)
    body: dict[str, Any] = {"version": version, "reason": reason, "settings": settings}
    if overrides is not None:
        body["city_overrides"] = overrides
    return http.call("PUT", "/v1/admin/settings", body, token=token)


def test_defaults_then_versions_with_who_and_why(http: Http, admin: str) -> None:
    first = _read(http, admin)
    assert first["version"] == 0 and first["settings"]["commission_basis_points"] == 2000
    assert first["settings"]["cancellation"]["cleaning"] == {
        "free_until_hours": 24,
        "fee_percent": 20,
        "locked_within_hours": 2,
    }
    saved = _put(http, admin, 0, "春节促销", commission_basis_points=1500)
    assert saved.status_code == 200, saved.json
    assert saved.json["version"] == 1 and saved.json["reason"] == "春节促销"
    assert _put(http, admin, 1, "恢复", commission_basis_points=2000).json["version"] == 2
    history = http.call("GET", "/v1/admin/settings/history", token=admin).json["items"]
    assert [
        (item["version"], item["settings"]["commission_basis_points"], item["reason"]) for item in history
    ] == [
        (2, 2000, "恢复"),
        (1, 1500, "春节促销"),
    ]
    entries = list(AuditItem.gsi3.query("AUDIT#ACTION#settings.update"))
    assert len(entries) == 2
    assert {(e.before["version"], e.after["version"]) for e in entries} == {(0, 1), (1, 2)}


def test_stale_version_is_409_and_changes_nothing(http: Http, admin: str) -> None:
    assert _put(http, admin, 0, commission_basis_points=1800).status_code == 200
    stale = _put(http, admin, 0, commission_basis_points=1000)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_version"
    assert stale.json["error"]["details"] == [{"current_version": 1}]
    assert _read(http, admin)["settings"]["commission_basis_points"] == 1800


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"commission_basis_points": 9000}, "settings.commission_basis_points"),
        ({"commission_basis_points": -1}, "settings.commission_basis_points"),
        ({"dispute_window_days": 0}, "settings.dispute_window_days"),
        ({"acceptance_timeout_minutes": "soon"}, "settings.acceptance_timeout_minutes"),
        ({"reminder_offsets_hours": [24, 24]}, "settings.reminder_offsets_hours"),
        ({"reminder_offsets_hours": []}, "settings.reminder_offsets_hours"),
        ({"matching_rounds": [{"workers": 0, "minutes": 10}]}, "settings.matching_rounds.0.workers"),
        (
            {
                "cancellation": {
                    "spaceflight": {"free_until_hours": 1, "fee_percent": 1, "locked_within_hours": 0}
                }
            },
            "settings.cancellation",
        ),
        (
            {
                "cancellation": {
                    "cleaning": {"free_until_hours": 2, "fee_percent": 10, "locked_within_hours": 5}
                }
            },
            "settings.cancellation.cleaning",
        ),
        ({"withdrawal": {"minimum_fen": 10000, "daily_cap_fen": 5000, "fee_fen": 0}}, "settings.withdrawal"),
        ({"surprise": 1}, "settings.surprise"),
    ],
)
def test_out_of_range_is_422_and_nothing_changes(
    http: Http, admin: str, changes: dict[str, Any], field: str
) -> None:
    response = _put(http, admin, 0, **changes)
    assert response.status_code == 422, response.json
    assert any(detail["field"] == field for detail in response.json["error"]["details"]), response.json
    assert _read(http, admin)["version"] == 0
    assert list(SettingsItem.query("SETTINGS")) == []
    assert list(AuditItem.gsi3.query("AUDIT#ACTION#settings.update")) == []


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "x", "settings": {}},
        {"version": -1, "reason": "x", "settings": {}},
        {"version": 0, "settings": {}},
    ],
)
def test_version_and_reason_are_required(http: Http, admin: str, body: dict[str, Any]) -> None:
    assert http.call("PUT", "/v1/admin/settings", body, token=admin).status_code == 422


def test_city_overrides_apply_there_only_and_are_validated(http: Http, admin: str) -> None:
    bad = _put(http, admin, 0, overrides={"上海市": {"commission_basis_points": 99999}})
    assert bad.status_code == 422
    assert bad.json["error"]["details"][0]["field"] == "city_overrides.上海市.commission_basis_points"
    unknown = _put(http, admin, 0, overrides={"上海市": {"tax": 1}})
    assert unknown.status_code == 422
    saved = _put(http, admin, 0, overrides={"上海市": {"commission_basis_points": 1800}})
    assert saved.status_code == 200, saved.json
    there = _read(http, admin, "?city=上海市")
    assert there["effective"]["commission_basis_points"] == 1800
    assert there["settings"]["commission_basis_points"] == 2000
    assert current_settings("上海市").commission_basis_points == 1800
    assert current_settings("北京市").commission_basis_points == 2000


@pytest.mark.parametrize("role", ["support", "customer", "worker"])
def test_only_admins_change_settings(http: Http, role: str) -> None:
    _, token = account(role)
    body = {"version": 0, "reason": "x", "settings": {}}
    assert http.call("PUT", "/v1/admin/settings", body, token=token).status_code == 403
    expected = 200 if role == "support" else 403
    assert http.call("GET", "/v1/admin/settings", token=token).status_code == expected


def test_consumers_read_the_saved_rules(http: Http, admin: str) -> None:
    rounds = [{"workers": 5, "minutes": 15}, {"workers": 20, "minutes": 25}]
    cleaning = {"free_until_hours": 48, "fee_percent": 30, "locked_within_hours": 6}
    settings = _read(http, admin)["settings"]
    settings["cancellation"]["cleaning"] = cleaning
    body = {
        "version": 0,
        "reason": "新规则",
        "settings": {
            **settings,
            "matching_rounds": rounds,
            "acceptance_timeout_minutes": 30,
            "reminder_offsets_hours": [2, 48],
        },
    }
    assert http.call("PUT", "/v1/admin/settings", body, token=admin).status_code == 200
    assert [(r.workers, r.minutes) for r in matching.rounds()] == [(5, 15), (20, 25)]
    assert policy_for("cleaning").snapshot() == cleaning
    assert current_settings().reminder_offsets_hours == [48, 2]
    assert current_settings().acceptance_timeout_minutes == 30


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


def test_a_new_commission_rate_is_used_by_the_next_completed_order(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    _, admin = account("admin")
    before, _ = paid_order(http, api, aws, stripe_fake, shop)
    after, _ = paid_order(http, api, aws, stripe_fake, shop, start=START.replace(hour=15))
    set_status(before, "finished")
    assert http.call("POST", f"/v1/orders/{before}/confirm", token=shop.token).status_code == 200
    assert _put(http, admin, 0, commission_basis_points=1250).status_code == 200
    forget()  # another container: it would see the change within max_age
    set_status(after, "finished")
    assert http.call("POST", f"/v1/orders/{after}/confirm", token=shop.token).status_code == 200
    balances = assert_ledger_balanced()
    assert balances[before]["platform_commission"] == -PRICE * 2000 // 10000
    assert balances[after]["platform_commission"] == -PRICE * 1250 // 10000
    assert OrderItem.get(*OrderItem.key(after)).status == "completed"
