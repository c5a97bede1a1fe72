"""Admin management of accounts over HTTP against moto: directory, details, suspension, staff, blacklist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.accounts.sessions import open_session
from chalicelib.audit import AuditItem
from chalicelib.models.workers import WorkerSearchItem
from tests.integration.conftest import Http, deliver_notifications
from tests.integration.worker_steps import ID_PUDONG, ID_XUHUI, account, profile_body, submitted_worker

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def admin() -> tuple[str, str]:
    return account("admin", email="boss@jiazheng.example", name="管理员")


def _verified_worker(
    http: Http, admin_token: str, phone: str = "13922220001", id_number: str = ID_PUDONG
) -> tuple[str, str]:
    worker_id, token = submitted_worker(http, phone=phone, id_number=id_number)
    approved = http.call("POST", f"/v1/admin/workers/{worker_id}/approve", token=admin_token)
    assert approved.status_code == 200, approved.json
    return worker_id, token


def _audit(target_id: str) -> list[AuditItem]:
    return sorted(AuditItem.gsi2.query(f"AUDIT#TARGET#{target_id}"), key=lambda item: item.at)


def test_directory_by_role_status_group_contact_and_name(http: Http, admin: tuple[str, str]) -> None:
    _, token = admin
    wang, _ = account("customer", phone="13812345678", name="王小丽")
    wu, _ = account("customer", email="wu@example.com", name="吴伟")
    worker_id, _ = account("worker", phone="13700001111", name="王阿姨")
    http.call("PATCH", f"/v1/admin/users/{wang}", {"groups": ["vip"]}, token=token)

    def ids(query: str) -> list[str]:
        response = http.call("GET", f"/v1/admin/users{query}", token=token)
        assert response.status_code == 200, response.json
        return [item["user_id"] for item in response.json["items"]]

    assert ids("?role=customer") == [wu, wang]
    assert ids("?role=worker") == [worker_id]
    assert ids("?group=vip") == [wang]
    assert ids("?q=138-1234-5678") == [wang]  # full phone: the keyed-hash index
    assert ids("?q=WU@example.com") == [wu]
    assert ids("?q=13812345679") == []  # one digit off: nobody, no partial match on phones
    assert sorted(ids("?q=王")) == sorted([wang, worker_id])  # name prefix
    assert ids("?q=王&role=worker") == [worker_id]
    listed = http.call("GET", "/v1/admin/users?q=13812345678", token=token).json["items"][0]
    assert listed["phone"] == "138****5678" and listed["groups"] == ["vip"]


def test_details_mask_pii_and_reveal_is_audited(http: Http, admin: tuple[str, str]) -> None:
    admin_id, token = admin
    worker_id, _ = _verified_worker(http, token)
    detail = http.call("GET", f"/v1/admin/users/{worker_id}", token=token).json
    assert detail["id_number"] == "3101**********1234" and detail["phone"] == "139****0001"
    assert detail["worker_status"] == "verified"
    _, support = account("support", email="cs@jiazheng.example")
    assert http.call("GET", f"/v1/admin/users/{worker_id}", token=support).status_code == 200
    denied = http.call(
        "POST", f"/v1/admin/users/{worker_id}/reveal-id-number", {"reason": "x"}, token=support
    )
    assert denied.status_code == 403
    revealed = http.call(
        "POST", f"/v1/admin/users/{worker_id}/reveal-id-number", {"reason": "police request #12"}, token=token
    )
    assert revealed.status_code == 200 and revealed.json["id_number"] == ID_PUDONG
    reveal = [item for item in _audit(worker_id) if item.action == "user.reveal_id_number"]
    assert len(reveal) == 1 and reveal[0].actor_id == admin_id
    assert reveal[0].details == {"reason": "police request #12"}
    missing = http.call("POST", "/v1/admin/users/usr_nobody/reveal-id-number", {"reason": "x"}, token=token)
    assert missing.status_code == 404


def test_suspension_signs_out_at_once_leaves_search_and_reactivation_restores(
    http: Http, admin: tuple[str, str]
) -> None:
    _, token = admin
    worker_id, worker_token = _verified_worker(http, token)
    refresh = open_session(worker_id, "worker").refresh_token
    assert list(WorkerSearchItem.query(f"WSEARCH#{worker_id}"))
    suspended = http.call(
        "PATCH", f"/v1/admin/users/{worker_id}", {"status": "suspended", "reason": "投诉核实中"}, token=token
    )
    assert suspended.status_code == 200, suspended.json
    assert suspended.json["status"] == "suspended" and suspended.json["worker_status"] == "suspended"
    assert http.call("GET", "/v1/me", token=worker_token).status_code == 401
    assert http.call("POST", "/v1/auth/refresh", {"refresh_token": refresh}).status_code == 401
    login = http.call("POST", "/v1/auth/login", {"phone": "13922220001", "password": "secret123"})
    assert login.status_code == 403 and login.json["error"]["code"] == "account_suspended"
    assert list(WorkerSearchItem.query(f"WSEARCH#{worker_id}")) == []
    listed = http.call("GET", "/v1/admin/users?status=suspended", token=token).json["items"]
    assert [item["user_id"] for item in listed] == [worker_id]

    back = http.call("PATCH", f"/v1/admin/users/{worker_id}", {"status": "active"}, token=token)
    assert back.status_code == 200 and back.json["worker_status"] == "verified"
    assert list(WorkerSearchItem.query(f"WSEARCH#{worker_id}"))
    assert (
        http.call("POST", "/v1/auth/login", {"phone": "13922220001", "password": "secret123"}).status_code
        == 200
    )
    actions = [
        (item.action, item.before["status"], item.after["status"])
        for item in _audit(worker_id)
        if item.action.startswith("user.")
    ]
    assert ("user.suspend", "active", "suspended") in actions
    assert ("user.reactivate", "suspended", "active") in actions


def test_a_change_made_on_a_stale_reading_is_applied_again_and_both_are_audited(
    http: Http, admin: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Admin B reactivates from a reading taken before admin A's suspension committed.

    (moto is not safe under concurrent transactions, so the interleaving is made deterministic
    here; ``tests/e2e/test_admin_races_e2e.py`` runs real concurrent requests on DynamoDB Local.)
    """
    from chalicelib.admin import users
    from chalicelib.audit import Actor

    first_id, _ = admin
    second_id, _ = account("admin", email="boss2@jiazheng.example")
    customer_id, _ = account("customer", phone="13812340000")
    stale = users._load(customer_id)  # B reads "active"
    users.update_user(
        customer_id, users.UserChange(status="suspended"), Actor(first_id, "admin")
    )  # A commits
    reads = iter([stale])
    real_load = users._load
    monkeypatch.setattr(users, "_load", lambda user_id: next(reads, None) or real_load(user_id))
    final = users.update_user(customer_id, users.UserChange(status="active"), Actor(second_id, "admin"))
    assert final.user.status == "active"
    entries = _audit(customer_id)
    assert [(e.actor_id, e.before["status"], e.after["status"]) for e in entries] == [
        (first_id, "active", "suspended"),
        (second_id, "suspended", "active"),  # what B really replaced, read again after the conflict
    ]


def test_staff_invited_by_email_code_sets_password(
    http: Http, api: Client, aws: dict[str, str], admin: tuple[str, str]
) -> None:
    _, token = admin
    created = http.call(
        "POST",
        "/v1/admin/users",
        {"role": "support", "email": "Agent@Jiazheng.example", "name": "小客服"},
        token=token,
    )
    assert created.status_code == 201, created.json
    assert created.json["role"] == "support" and created.json["email"] != "agent@jiazheng.example"
    again = http.call(
        "POST",
        "/v1/admin/users",
        {"role": "admin", "email": "agent@jiazheng.example", "name": "x"},
        token=token,
    )
    assert again.status_code == 409
    mail = [m for m in deliver_notifications(api, aws) if m["target"] == "agent@jiazheng.example"]
    code = re.search(r"(\d{6})", mail[0]["body"]).group(1)  # type: ignore[union-attr]
    reset = http.call(
        "POST",
        "/v1/auth/password/reset",
        {"email": "agent@jiazheng.example", "code": code, "new_password": "Support-2027"},
    )
    assert reset.status_code == 204, reset.json
    login = http.call(
        "POST", "/v1/auth/login", {"email": "agent@jiazheng.example", "password": "Support-2027"}
    )
    assert login.status_code == 200
    support = login.json["access_token"]
    assert http.call("GET", "/v1/admin/users", token=support).status_code == 200
    assert (
        http.call(
            "POST",
            "/v1/admin/users",
            {"role": "admin", "email": "x@jiazheng.example", "name": "x"},
            token=support,
        ).status_code
        == 403
    )
    assert [item.action for item in _audit(created.json["user_id"])] == ["staff.create"]


def test_blacklisted_id_number_cannot_onboard_again(http: Http, admin: tuple[str, str]) -> None:
    _, token = admin
    worker_id, _ = _verified_worker(http, token)
    barred = http.call("POST", f"/v1/admin/users/{worker_id}/blacklist", {"reason": "盗窃"}, token=token)
    assert barred.status_code == 200, barred.json
    assert barred.json["blacklisted"] and barred.json["status"] == "suspended"
    assert (
        http.call("POST", f"/v1/admin/users/{worker_id}/blacklist", {"reason": "x"}, token=token).status_code
        == 409
    )
    _, newcomer = account("worker", phone="13922229999")
    saved = http.call("PUT", "/v1/worker/profile", profile_body(id_number=ID_PUDONG), token=newcomer)
    assert saved.status_code == 403 and saved.json["error"]["code"] == "id_number_blacklisted"
    other = http.call("PUT", "/v1/worker/profile", profile_body(id_number=ID_XUHUI), token=newcomer)
    assert other.status_code == 200
    assert {item.action for item in _audit(worker_id)} >= {"worker.blacklist", "user.suspend"}


def test_mass_assignment_on_me_is_refused(http: Http) -> None:
    _user_id, token = account("customer", phone="13812349999")
    for field, value in (("role", "admin"), ("status", "active")):
        response = http.call("PATCH", "/v1/me", {"name": "新名字", field: value}, token=token)
        assert response.status_code == 422, response.json
    me = http.call("GET", "/v1/me", token=token).json
    assert me["role"] == "customer" and me["name"] != "新名字"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/v1/admin/users/{id}", {"status": "suspended"}),
        ("POST", "/v1/admin/users", {"role": "support", "email": "a@b.example", "name": "x"}),
        ("POST", "/v1/admin/users/{id}/blacklist", {"reason": "x"}),
        ("POST", "/v1/admin/users/{id}/reveal-id-number", {"reason": "x"}),
        ("GET", "/v1/admin/users", None),
        ("GET", "/v1/admin/users/{id}", None),
    ],
)
@pytest.mark.parametrize("role", ["customer", "worker", "support"])
def test_wrong_roles_are_403(http: Http, method: str, path: str, body: Any, role: str) -> None:
    target, _ = account("customer", phone="13812348888")
    _, token = account(role, phone="13812347777")
    response = http.call(method, path.format(id=target), body, token=token)
    expected = 200 if (role == "support" and method == "GET") else 403
    assert response.status_code == expected, response.json


@pytest.mark.parametrize(
    "body",
    [
        {"status": "banned"},
        {"status": None},
        {"role": "admin"},
        {},
        {"reason": "only a reason"},
        {"groups": ["bad group!"]},
    ],
)
def test_bad_patches_are_422(http: Http, admin: tuple[str, str], body: dict[str, Any]) -> None:
    target, _ = account("customer", phone="13812346666")
    response = http.call("PATCH", f"/v1/admin/users/{target}", body, token=admin[1])
    assert response.status_code == 422, response.json


@pytest.mark.parametrize("query", ["?role=superuser", "?status=deleted", "?limit=500", "?q="])
def test_bad_directory_filters_are_422(http: Http, admin: tuple[str, str], query: str) -> None:
    assert http.call("GET", f"/v1/admin/users{query}", token=admin[1]).status_code == 422


def test_an_admin_cannot_suspend_herself_and_unknown_users_are_404(
    http: Http, admin: tuple[str, str]
) -> None:
    admin_id, token = admin
    assert (
        http.call("PATCH", f"/v1/admin/users/{admin_id}", {"status": "suspended"}, token=token).status_code
        == 409
    )
    assert (
        http.call("PATCH", "/v1/admin/users/usr_nobody", {"status": "suspended"}, token=token).status_code
        == 404
    )
    assert http.call("GET", "/v1/admin/users/usr_nobody", token=token).status_code == 404


def test_accounts_made_before_the_directory_are_backfilled(http: Http, admin: tuple[str, str]) -> None:
    from chalicelib.admin.directory import backfill_directory_keys
    from chalicelib.models.accounts import UserItem

    old_id, _ = account("customer", phone="13812345000", name="老用户")
    UserItem(*UserItem.key(old_id)).update(
        actions=[UserItem.gsi1pk.remove(), UserItem.gsi3pk.remove(), UserItem.gsi3sk.remove()]
    )
    found = http.call("GET", "/v1/admin/users?q=老", token=admin[1]).json["items"]
    assert found == []
    assert backfill_directory_keys() == 1
    assert backfill_directory_keys() == 0
    found = http.call("GET", "/v1/admin/users?q=老", token=admin[1]).json["items"]
    assert [item["user_id"] for item in found] == [old_id]
