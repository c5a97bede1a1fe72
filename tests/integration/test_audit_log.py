"""The audit log over HTTP: every filter answered by a Query, paging across months, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import audit, clock
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import NOW, account

pytestmark = pytest.mark.usefixtures("aws")


def _record(actor: str, action: str, target: str, **extra: object) -> str:
    return audit.record(
        actor_id=actor, actor_role="admin", action=action, target_type="user", target_id=target, **extra
    )


@pytest.fixture
def log() -> dict[str, str]:
    """Six entries over three months by two admins."""
    clock.freeze(NOW - timedelta(days=62))  # November 2026
    ann, _ = account("admin", "安")
    bob, _ = account("admin", "博")
    _record(ann, "user.suspend", "usr_a", before={"status": "active"}, after={"status": "suspended"})
    clock.freeze(NOW - timedelta(days=31))  # December 2026
    _record(bob, "user.reactivate", "usr_a")
    _record(ann, "settings.update", "settings")
    clock.freeze(NOW)  # January 2027
    _record(bob, "user.suspend", "usr_b")
    _record(ann, "user.suspend", "usr_b")
    _record(ann, "user.update", "usr_c")
    return {"ann": ann, "bob": bob, "token": account("admin")[1]}


def _actions(http: Http, token: str, query: str) -> list[str]:
    response = http.call("GET", f"/v1/admin/audit-log{query}", token=token)
    assert response.status_code == 200, response.json
    return [f"{item['action']}:{item['target_id']}" for item in response.json["items"]]


def test_filters_each_answered_newest_first(http: Http, log: dict[str, str]) -> None:
    token = log["token"]
    assert _actions(http, token, f"?actor_id={log['ann']}") == [
        "user.update:usr_c",
        "user.suspend:usr_b",
        "settings.update:settings",
        "user.suspend:usr_a",
    ]
    assert _actions(http, token, "?target_id=usr_b") == ["user.suspend:usr_b"] * 2
    assert _actions(http, token, "?action=user.suspend") == [
        "user.suspend:usr_b",
        "user.suspend:usr_b",
        "user.suspend:usr_a",
    ]
    both = _actions(http, token, f"?action=user.suspend&actor_id={log['bob']}")
    assert both == ["user.suspend:usr_b"]
    december = _actions(http, token, "?from=2026-12-01&to=2026-12-31")
    assert december == ["settings.update:settings", "user.reactivate:usr_a"]
    since = _actions(http, token, "?action=user.suspend&from=2027-01-01T00:00:00%2B08:00")
    assert since == ["user.suspend:usr_b"] * 2


def test_entry_carries_the_contract_fields(http: Http, log: dict[str, str]) -> None:
    response = http.call("GET", "/v1/admin/audit-log?target_id=usr_a&action=user.suspend", token=log["token"])
    (item,) = response.json["items"]
    assert item["actor_id"] == log["ann"] and item["actor_role"] == "admin"
    assert item["before"] == {"status": "active"} and item["after"] == {"status": "suspended"}
    assert item["at"].startswith("2026-11-17T09:00:00") and item["at"].endswith("+08:00")
    assert {"request_id", "ip"} <= set(item)


def test_time_listing_pages_across_months(http: Http, log: dict[str, str]) -> None:
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        response = http.call("GET", f"/v1/admin/audit-log?limit=2{cursor}", token=log["token"])
        assert response.status_code == 200, response.json
        seen += [item["action"] for item in response.json["items"]]
        pages += 1
        if not response.json["next_cursor"]:
            break
        cursor = f"&cursor={response.json['next_cursor']}"
    assert len(seen) == 6 and pages >= 3
    assert seen[-1] == "user.suspend" and seen[0] == "user.update"


def test_a_staff_request_records_its_request_id_and_address(http: Http, log: dict[str, str]) -> None:
    """An entry written while serving a request names that request (the admin's own action)."""
    admin_id, token = account("admin")
    customer_id, _ = account("customer")
    response = http.call("PATCH", f"/v1/admin/users/{customer_id}", {"groups": ["vip"]}, token=token)
    assert response.status_code == 200, response.json
    request_id = response.headers["X-Request-Id"]
    (item,) = http.call("GET", f"/v1/admin/audit-log?target_id={customer_id}", token=token).json["items"]
    assert item["request_id"] == request_id and item["actor_id"] == admin_id
    assert item["ip"]


@pytest.mark.parametrize("role", ["customer", "worker", "support"])
def test_only_admins_read_the_log(http: Http, role: str) -> None:
    _, token = account(role)
    assert http.call("GET", "/v1/admin/audit-log", token=token).status_code == 403
    assert http.call("GET", "/v1/admin/audit-log").status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "?action=DROP%20TABLE",
        "?from=yesterday",
        "?from=2027-01-10&to=2027-01-01",
        "?limit=0",
        "?cursor=forged.x",
    ],
)
def test_bad_filters_are_422(http: Http, log: dict[str, str], query: str) -> None:
    response = http.call("GET", f"/v1/admin/audit-log{query}", token=log["token"])
    assert response.status_code == 422, response.json
