"""Admin review of workers: queue, decisions with audit and notifications, search, groups, levels."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.audit import AuditItem
from chalicelib.config import settings
from chalicelib.errors import Forbidden
from chalicelib.models.workers import WorkerProfileItem, WorkerSearchItem
from chalicelib.workers.profile import is_verified, refresh_level, require_verified
from tests.integration.conftest import Http, deliver_notifications
from tests.integration.worker_steps import (
    ID_JINGAN,
    ID_PUDONG,
    ID_XUHUI,
    account,
    new_certificate,
    profile_body,
    submitted_worker,
    upload,
)

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def admin() -> str:
    return account("admin", email="reviewer@jiazheng.example", name="审核员")[1]


def _audit(action: str) -> list[AuditItem]:
    entries = AuditItem.query(f"AUDIT#{clock.now():%Y-%m}")
    return [entry for entry in entries if entry.action == action]


def _search_entries(worker_id: str) -> list[WorkerSearchItem]:
    return list(WorkerSearchItem.query(f"WSEARCH#{worker_id}", consistent_read=True))


def _decide(http: Http, token: str, worker_id: str, action: str, reason: str | None = None) -> Any:
    body = {"reason": reason} if reason is not None else None
    return http.call("POST", f"/v1/admin/workers/{worker_id}/{action}", body, token=token)


def test_review_queue_oldest_first_paged_and_readable_by_support(http: Http, admin: str) -> None:
    ids = []
    for number, (phone, id_number) in enumerate(
        [("13922220001", ID_PUDONG), ("13922220002", ID_XUHUI), ("13922220003", ID_JINGAN)]
    ):
        ids.append(submitted_worker(http, phone=phone, id_number=id_number, name=f"阿姨{number}")[0])
        clock.freeze(clock.now() + timedelta(minutes=1))
    first = http.call("GET", "/v1/admin/workers?status=pending_review&limit=2", token=admin)
    assert first.status_code == 200, first.json
    assert [item["worker_id"] for item in first.json["items"]] == ids[:2]
    assert first.json["items"][0] == {
        "worker_id": ids[0],
        "name": "阿姨0",
        "real_name": "李秀英",
        "status": "pending_review",
        "skills": ["cleaning", "nanny"],
        "level": "junior",
        "groups": [],
        "submitted_at": first.json["items"][0]["submitted_at"],
    }
    rest = http.call("GET", f"/v1/admin/workers?limit=2&cursor={first.json['next_cursor']}", token=admin).json
    assert [item["worker_id"] for item in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None
    assert http.call("GET", "/v1/admin/workers?status=verified", token=admin).json["items"] == []
    assert http.call("GET", "/v1/admin/workers?status=sleeping", token=admin).status_code == 422

    _, support = account("support", email="help@jiazheng.example", name="客服")
    assert http.call("GET", "/v1/admin/workers", token=support).status_code == 200
    seen = http.call("GET", f"/v1/admin/workers/{ids[0]}", token=support)
    assert seen.status_code == 200
    assert [c["download_url"] for c in seen.json["certificates"]] == [None]
    assert _decide(http, support, ids[0], "approve").status_code == 403
    _, customer = account("customer", phone="13822220001", name="王女士")
    assert http.call("GET", "/v1/admin/workers", token=customer).status_code == 403
    _, worker = account("worker", phone="13922220009")
    assert http.call("GET", f"/v1/admin/workers/{ids[0]}", token=worker).status_code == 403
    assert _decide(http, worker, ids[0], "approve").status_code == 403


def test_reviewer_sees_documents_but_never_the_id_number(http: Http, admin: str) -> None:
    worker_id, _ = submitted_worker(http, phone="13922220010", id_number=ID_PUDONG)
    detail = http.call("GET", f"/v1/admin/workers/{worker_id}", token=admin)
    assert detail.status_code == 200
    body = detail.json
    assert body["id_number"] == "3101**********1234"
    assert ID_PUDONG not in json.dumps(body)
    assert body["phone"] == "139****0010"
    assert body["account_status"] == "active"
    (certificate,) = body["certificates"]
    link = urlsplit(certificate["download_url"])
    assert settings().buckets["uploads"] in link.netloc + link.path
    assert link.path.endswith(f"workers/{worker_id}/certificates/{certificate['certificate_id']}/file.pdf")
    assert "response-content-disposition=attachment" in link.query


def test_approve_verifies_records_notifies_and_indexes(
    http: Http, api: Client, aws: dict[str, str], admin: str
) -> None:
    worker_id, token = submitted_worker(http, phone="13922220020", id_number=ID_PUDONG, name="李阿姨")
    assert not is_verified(worker_id)
    with pytest.raises(Forbidden):
        require_verified(worker_id)
    assert _search_entries(worker_id) == []

    approved = _decide(http, admin, worker_id, "approve")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "verified"
    assert approved.json["reviewed_at"]
    assert [c["status"] for c in approved.json["certificates"]] == ["verified"]
    # 6 years and one verified professional certificate, no ratings yet.
    assert approved.json["level"] == "intermediate"
    assert is_verified(worker_id)
    require_verified(worker_id)

    item = WorkerProfileItem.get(*WorkerProfileItem.key(worker_id))
    assert item.gsi2pk == "WORKERS#verified"
    entries = _search_entries(worker_id)
    assert {(e.category, e.district) for e in entries} >= {
        ("cleaning", "浦东新区"),
        ("cleaning", "徐汇区"),
        ("nanny", "浦东新区"),
        ("nanny", "徐汇区"),
    }
    assert {e.level for e in entries} == {"intermediate"}

    (entry,) = _audit("worker.approve")
    assert (entry.target_type, entry.target_id) == ("worker", worker_id)
    assert entry.actor_role == "admin"
    assert entry.details == {
        "from": "pending_review",
        "to": "verified",
        "verified_certificates": [c["certificate_id"] for c in approved.json["certificates"]],
    }

    inbox = http.call("GET", "/v1/me/notifications", token=token).json["items"]
    assert [n["kind"] for n in inbox] == ["worker.approved"]
    assert "认证已通过" in inbox[0]["title"]
    outbox = deliver_notifications(api, aws)
    sms = [m for m in outbox if m["target"].endswith("13922220020")]
    assert len(sms) == 1
    assert "李阿姨" in sms[0]["body"]
    assert "认证已通过" in sms[0]["body"]

    listed = http.call("GET", "/v1/admin/workers?status=verified", token=admin).json["items"]
    assert [w["worker_id"] for w in listed] == [worker_id]
    assert http.call("GET", "/v1/admin/workers", token=admin).json["items"] == []
    mine = http.call("GET", "/v1/worker/profile", token=token).json
    assert (mine["status"], mine["level_name"]) == ("verified", "中级")

    twice = _decide(http, admin, worker_id, "approve")
    assert twice.status_code == 409
    assert twice.json["error"]["code"] == "invalid_worker_status"
    assert twice.json["error"]["details"] == [{"current_status": "verified"}]
    assert "verified" in twice.json["error"]["message"]
    assert len(_audit("worker.approve")) == 1


def test_reject_then_fix_and_resubmit(http: Http, api: Client, aws: dict[str, str], admin: str) -> None:
    email_worker, email_token = account("worker", email="chen@example.com", name="陈阿姨")
    http.call("PUT", "/v1/worker/profile", profile_body(id_number=ID_XUHUI), token=email_token)
    upload(new_certificate(http, email_token).json)
    assert http.call("POST", "/v1/worker/profile/submit", token=email_token).status_code == 202

    assert _decide(http, admin, email_worker, "reject", reason="x" * 501).status_code == 422
    assert _decide(http, admin, email_worker, "reject").status_code == 422  # a reason is required
    rejected = _decide(http, admin, email_worker, "reject", reason="证书照片模糊，请重新上传")
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected"
    (entry,) = _audit("worker.reject")
    assert entry.details == {"from": "pending_review", "to": "rejected", "reason": "证书照片模糊，请重新上传"}
    assert _search_entries(email_worker) == []

    mine = http.call("GET", "/v1/worker/profile", token=email_token).json
    assert (mine["status"], mine["reject_reason"]) == ("rejected", "证书照片模糊，请重新上传")
    inbox = http.call("GET", "/v1/me/notifications", token=email_token).json["items"]
    assert [n["kind"] for n in inbox] == ["worker.rejected"]
    assert "证书照片模糊" in inbox[0]["body"]
    mails = [m for m in deliver_notifications(api, aws) if m["target"] == "chen@example.com"]
    assert len(mails) == 1
    assert "证书照片模糊" in mails[0]["body"]

    # The worker replaces the file and submits again; the reason is gone once under review.
    old = mine["certificates"][0]["certificate_id"]
    assert http.call("DELETE", f"/v1/worker/certificates/{old}", token=email_token).status_code == 204
    upload(new_certificate(http, email_token).json)
    again = http.call("POST", "/v1/worker/profile/submit", token=email_token)
    assert again.status_code == 202
    assert (again.json["status"], again.json["reject_reason"]) == ("pending_review", None)
    assert _decide(http, admin, email_worker, "approve").status_code == 200


def test_suspend_and_reinstate(http: Http, admin: str) -> None:
    worker_id, token = submitted_worker(http, phone="13922220030", id_number=ID_PUDONG)
    early = _decide(http, admin, worker_id, "suspend", reason="多次投诉")
    assert early.status_code == 409
    assert early.json["error"]["details"] == [{"current_status": "pending_review"}]
    assert _decide(http, admin, worker_id, "reinstate").status_code == 409
    _decide(http, admin, worker_id, "approve")
    assert _search_entries(worker_id)

    suspended = _decide(http, admin, worker_id, "suspend", reason="多次投诉")
    assert suspended.status_code == 200
    assert suspended.json["status"] == "suspended"
    assert _search_entries(worker_id) == []
    assert not is_verified(worker_id)
    locked = http.call("PUT", "/v1/worker/profile", profile_body(bio="新简介"), token=token)
    assert (locked.status_code, locked.json["error"]["code"]) == (409, "profile_locked")
    inbox = http.call("GET", "/v1/me/notifications", token=token).json["items"]
    assert inbox[0]["kind"] == "worker.suspended"

    reinstated = _decide(http, admin, worker_id, "reinstate")
    assert reinstated.status_code == 200
    assert reinstated.json["status"] == "verified"
    assert _search_entries(worker_id)
    assert _decide(http, admin, worker_id, "reinstate").status_code == 409
    assert [e.details["to"] for e in _audit("worker.suspend") + _audit("worker.reinstate")] == [
        "suspended",
        "verified",
    ]


def test_unknown_workers_are_404(http: Http, admin: str) -> None:
    customer_id, _ = account("customer", phone="13822220002", name="王女士")
    for worker_id in ("usr_nobody", customer_id):
        assert http.call("GET", f"/v1/admin/workers/{worker_id}", token=admin).status_code == 404
        assert _decide(http, admin, worker_id, "approve").status_code == 404
        assert (
            http.call("PATCH", f"/v1/admin/workers/{worker_id}", {"groups": ["a"]}, token=admin).status_code
            == 404
        )


def test_verified_worker_edits(http: Http, admin: str) -> None:
    worker_id, token = submitted_worker(http, phone="13922220040", id_number=ID_PUDONG)
    _decide(http, admin, worker_id, "approve")

    # Bio, areas, home and dropping a skill apply at once; search follows.
    moved = profile_body(
        bio="新简介",
        skills=["cleaning"],
        service_areas=[{"city": "上海市", "district": "静安区"}],
        home_location={"lat": 31.2286, "lng": 121.447},
    )
    saved = http.call("PUT", "/v1/worker/profile", moved, token=token)
    assert saved.status_code == 200, saved.json
    assert saved.json["status"] == "verified"
    assert {(e.category, e.district) for e in _search_entries(worker_id)} >= {("cleaning", "静安区")}
    assert {e.category for e in _search_entries(worker_id)} == {"cleaning"}
    assert "浦东新区" not in {e.district for e in _search_entries(worker_id)}

    # A verified profile stays complete.
    emptied = http.call("PUT", "/v1/worker/profile", {**moved, "service_areas": []}, token=token)
    assert emptied.status_code == 422
    assert emptied.json["error"]["details"][0]["field"] == "service_areas"

    # Adding a skill is checked by a reviewer again: back to the queue, out of search.
    grown = http.call(
        "PUT", "/v1/worker/profile", {**moved, "skills": ["cleaning", "elder_care"]}, token=token
    )
    assert grown.status_code == 200
    assert grown.json["status"] == "pending_review"
    assert _search_entries(worker_id) == []
    queue = http.call("GET", "/v1/admin/workers", token=admin).json["items"]
    assert [w["worker_id"] for w in queue] == [worker_id]
    _decide(http, admin, worker_id, "approve")

    renamed = http.call("PUT", "/v1/worker/profile", {**moved, "real_name": "李秀兰"}, token=token)
    assert renamed.json["status"] == "pending_review"


def test_groups_and_pinned_levels(http: Http, admin: str) -> None:
    worker_id, _ = submitted_worker(http, phone="13922220050", id_number=ID_PUDONG)
    _decide(http, admin, worker_id, "approve")
    patched = http.call(
        "PATCH",
        f"/v1/admin/workers/{worker_id}",
        {"groups": ["浦东一组", "金牌候选", "浦东一组"], "level": "gold"},
        token=admin,
        **{"Accept-Language": "en"},
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["groups"] == ["浦东一组", "金牌候选"]
    assert (patched.json["level"], patched.json["level_name"], patched.json["level_pinned"]) == (
        "gold",
        "Gold",
        True,
    )
    assert {e.level for e in _search_entries(worker_id)} == {"gold"}
    (entry,) = _audit("worker.update")
    assert entry.details == {"groups": ["浦东一组", "金牌候选"], "level": "gold"}

    groups_only = http.call("PATCH", f"/v1/admin/workers/{worker_id}", {"groups": []}, token=admin).json
    assert (groups_only["groups"], groups_only["level"]) == ([], "gold")
    unpinned = http.call("PATCH", f"/v1/admin/workers/{worker_id}", {"level": None}, token=admin).json
    assert (unpinned["level"], unpinned["level_pinned"]) == ("intermediate", False)
    assert {e.level for e in _search_entries(worker_id)} == {"intermediate"}
    bad = http.call("PATCH", f"/v1/admin/workers/{worker_id}", {"level": "platinum"}, token=admin)
    assert bad.status_code == 422
    _, support = account("support", email="help2@jiazheng.example", name="客服")
    assert (
        http.call("PATCH", f"/v1/admin/workers/{worker_id}", {"groups": []}, token=support).status_code == 403
    )


def _public_certificates(http: Http, worker_id: str) -> tuple[list[str], int]:
    """The certificate kinds anyone sees on the worker's page, and the DynamoDB calls it took."""
    from chalicelib.models.base import connection

    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = connection().client.meta.events
    events.register("before-call.dynamodb", count)
    try:
        page = http.call("GET", f"/v1/workers/{worker_id}")
    finally:
        events.unregister("before-call.dynamodb", count)
    assert page.status_code == 200, page.json
    return page.json["certificates"], len(calls)


def test_levels_follow_certificates_and_ratings(http: Http, admin: str) -> None:
    worker_id, token = submitted_worker(http, phone="13922220060", id_number=ID_PUDONG, experience_years=9)
    assert _decide(http, admin, worker_id, "approve").json["level"] == "intermediate"

    # A certificate added after approval counts once a reviewer verifies it.
    slot = new_certificate(http, token, kind="maternity_nurse_cert").json
    upload(slot)
    path = f"/v1/admin/workers/{worker_id}/certificates/{slot['certificate_id']}"
    verified = http.call("POST", f"{path}/verify", token=admin)
    assert verified.status_code == 200, verified.json
    assert [c["status"] for c in verified.json["certificates"]] == ["verified", "verified"]
    assert http.call("POST", f"{path}/verify", token=admin).status_code == 409
    assert (
        http.call("DELETE", f"/v1/worker/certificates/{slot['certificate_id']}", token=token).status_code
        == 409
    )
    assert _audit("worker.certificate.verify")[0].target_id == slot["certificate_id"]
    kinds = sorted(c["kind"] for c in verified.json["certificates"])
    assert "maternity_nurse_cert" in kinds
    assert _public_certificates(http, worker_id) == (kinds, 1)  # kept on the profile: one GetItem

    # Ratings arrive (the review flow keeps these sums): 30 ratings averaging 4.9 make gold.
    WorkerProfileItem(*WorkerProfileItem.key(worker_id)).update(
        actions=[
            WorkerProfileItem.rating_count.set(30),
            WorkerProfileItem.rating_quality_sum.set(147),
            WorkerProfileItem.rating_attitude_sum.set(147),
            WorkerProfileItem.rating_skill_sum.set(147),
        ]
    )
    assert refresh_level(worker_id) == "gold"
    assert {e.level for e in _search_entries(worker_id)} == {"gold"}
    mine = http.call("GET", "/v1/worker/profile", token=token).json
    assert (mine["level"], mine["level_name"], mine["rating"]["overall"]) == ("gold", "金牌", 4.9)

    # A certificate found forged stops counting: one professional certificate left, senior at most.
    rejected = http.call("POST", f"{path}/reject", {"reason": "证书编号查无此证"}, token=admin)
    assert rejected.status_code == 200
    assert rejected.json["level"] == "senior"
    assert rejected.json["certificates"][1]["reject_reason"] == "证书编号查无此证"
    assert _public_certificates(http, worker_id) == ([k for k in kinds if k != "maternity_nurse_cert"], 1)
    assert (
        http.call(
            "POST", f"/v1/admin/workers/{worker_id}/certificates/cert_nope/verify", token=admin
        ).status_code
        == 404
    )


def test_seed_verifies_the_demo_workers_once(http: Http) -> None:
    from local.seed_workers import DEMO_WORKERS, seed_workers

    for demo in DEMO_WORKERS:
        account("worker", phone=demo.phone, name=demo.profile["real_name"])
    first = seed_workers()
    assert [line.endswith("(verified)") for line in first] == [True, True, True]
    assert [line.endswith("(exists)") for line in seed_workers()] == [True, True, True]
    admin_view = account("admin", email="seed-check@jiazheng.example", name="管理员")[1]
    verified = http.call("GET", "/v1/admin/workers?status=verified", token=admin_view).json["items"]
    assert {w["real_name"] for w in verified} == {"李桂芳", "张建国", "陈美华"}
    for worker in verified:
        assert is_verified(worker["worker_id"])
        assert _search_entries(worker["worker_id"])
        detail = http.call("GET", f"/v1/admin/workers/{worker['worker_id']}", token=admin_view).json
        assert {c["status"] for c in detail["certificates"]} == {"verified"}
        assert detail["level"] == "intermediate"
    (seeded,) = [w for w in verified if w["real_name"] == "陈美华"]
    districts = {e.district for e in _search_entries(seeded["worker_id"]) if e.category == "maternity_nurse"}
    assert {"徐汇区", "浦东新区", "闵行区"} <= districts
    assert {entry.actor_id for entry in _audit("worker.approve")} == {"system:seed"}


def test_mangled_ids_are_404(http: Http, admin: str) -> None:
    worker_id, token = submitted_worker(http, phone="13922220070", id_number=ID_PUDONG)
    long_id = "usr_" + "x" * 3000
    assert http.call("GET", f"/v1/admin/workers/{long_id}", token=admin).status_code == 404
    assert _decide(http, admin, long_id, "approve").status_code == 404
    assert http.call("DELETE", f"/v1/worker/certificates/{'c' * 3000}", token=token).status_code == 404
    path = f"/v1/admin/workers/{worker_id}/certificates/{'c' * 3000}/verify"
    assert http.call("POST", path, token=admin).status_code == 404
    assert not is_verified(long_id)


def test_a_failed_notification_does_not_undo_or_fail_the_decision(
    http: Http, admin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.workers import review

    worker_id, _ = submitted_worker(http, phone="13922220050", id_number=ID_PUDONG)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("SMS provider down")

    monkeypatch.setattr(review, "_notify", broken)
    approved = http.call("POST", f"/v1/admin/workers/{worker_id}/approve", token=admin)
    assert approved.status_code == 200
    assert is_verified(worker_id)
    assert WorkerSearchItem.query(f"WSEARCH#{worker_id}").next() is not None


def test_seed_gives_the_demo_customer_one_home_in_the_demo_workers_area(http: Http) -> None:
    from local.seed import DEMO_HOME, seed
    from local.seed_workers import DEMO_WORKERS

    seed()
    seed()  # a restart adds nothing
    login = http.call("POST", "/v1/auth/login", {"phone": "13800000001", "password": "Customer-pass-2026"})
    assert login.status_code == 200, login.json
    homes = http.call("GET", "/v1/me/addresses", token=login.json["access_token"]).json["items"]
    assert [(home["district"], home["is_default"]) for home in homes] == [(DEMO_HOME["district"], True)]
    served = {area["district"] for demo in DEMO_WORKERS for area in demo.profile["service_areas"]}
    assert DEMO_HOME["district"] in served
