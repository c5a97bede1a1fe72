"""Reviews over HTTP (moto): once per finished order, by its customer, with the ratings in step.

Concurrent reviews of one worker are proven against DynamoDB Local in
``tests/e2e/test_reviews_e2e.py`` (moto is not safe to drive from several threads).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.models.catalog import ServiceItem
from chalicelib.models.orders import ReviewItem
from chalicelib.models.workers import WorkerProfileItem, WorkerSearchItem
from tests.integration.conftest import Http
from tests.integration.order_steps import order
from tests.integration.scheduling_steps import NOW, account, service, worker
from tests.integration.security.pii import findings

STARS = {"quality": 5, "attitude": 4, "skill": 4}


@pytest.fixture
def scene(aws: dict[str, str]) -> dict[str, Any]:
    clock.freeze(NOW)
    customer_id, customer = account("customer", "王小红")
    worker_id = worker("李阿姨", real_name="李秀英")
    service_id = service()
    return {
        "customer_id": customer_id,
        "customer": customer,
        "worker_id": worker_id,
        "service_id": service_id,
        "order_id": order(customer_id, worker_id, service_id, status="finished"),
    }


def _review(http: Http, order_id: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return http.call("POST", f"/v1/orders/{order_id}/review", STARS if body is None else body, token=token)


def _profile(worker_id: str) -> WorkerProfileItem:
    return WorkerProfileItem.get(*WorkerProfileItem.key(worker_id), consistent_read=True)


def _service(service_id: str) -> ServiceItem:
    return ServiceItem.get(*ServiceItem.key(service_id), consistent_read=True)


def test_a_review_counts_for_the_worker_and_the_service(http: Http, scene: dict[str, Any]) -> None:
    body = {**STARS, "comment": "打扫得很干净，准时。"}
    created = _review(http, scene["order_id"], scene["customer"], body)
    assert created.status_code == 201, created.json
    review = created.json
    assert review["reviewer"] == "王**"
    assert (review["order_id"], review["worker_id"], review["comment"]) == (
        scene["order_id"],
        scene["worker_id"],
        "打扫得很干净，准时。",
    )
    assert (review["quality"], review["attitude"], review["skill"]) == (5, 4, 4)
    assert review["review_id"].startswith("rev_")

    profile = _profile(scene["worker_id"])
    assert (
        profile.rating_count,
        profile.rating_quality_sum,
        profile.rating_attitude_sum,
        profile.rating_skill_sum,
    ) == (1, 5, 4, 4)
    stored = _service(scene["service_id"])
    assert (stored.rating_count, stored.rating_sum) == (1, pytest.approx(4.3333))
    assert stored.rating_points_sum == 13  # exact: the service's rating is 13 / (3 * 1)

    shown = http.call("GET", f"/v1/services/{scene['service_id']}")
    assert (shown.json["rating"], shown.json["rating_count"]) == (4.33, 1)
    card = http.call("GET", f"/v1/workers/{scene['worker_id']}")
    assert card.json["rating"]["count"] == 1
    entries = list(WorkerSearchItem.query(f"WSEARCH#{scene['worker_id']}", consistent_read=True))
    assert entries and all(entry.rating_count == 1 for entry in entries)  # search follows at once


def test_once_per_order(http: Http, scene: dict[str, Any]) -> None:
    assert _review(http, scene["order_id"], scene["customer"]).status_code == 201
    again = _review(http, scene["order_id"], scene["customer"], {"quality": 1, "attitude": 1, "skill": 1})
    assert again.status_code == 409, again.json
    assert again.json["error"]["code"] == "already_reviewed"
    assert _profile(scene["worker_id"]).rating_count == 1
    assert _service(scene["service_id"]).rating_count == 1


def test_completed_orders_can_be_reviewed_too(http: Http, scene: dict[str, Any]) -> None:
    done = order(scene["customer_id"], scene["worker_id"], scene["service_id"], status="completed")
    assert _review(http, done, scene["customer"]).status_code == 201


@pytest.mark.parametrize(
    "status",
    ["pending_payment", "paid", "assigned", "en_route", "arrived", "in_service", "cancelled", "disputed"],
)
def test_only_finished_work_is_reviewed(http: Http, scene: dict[str, Any], status: str) -> None:
    early = order(scene["customer_id"], scene["worker_id"], scene["service_id"], status=status)
    refused = _review(http, early, scene["customer"])
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["code"] == "order_not_reviewable"
    assert status in refused.json["error"]["message"]
    assert _profile(scene["worker_id"]).rating_count == 0


def test_only_the_orders_customer_reviews(http: Http, scene: dict[str, Any]) -> None:
    _, stranger = account("customer", "张先生")
    assert _review(http, scene["order_id"], stranger).status_code == 404
    assert _review(http, "ord_01JNOSUCHORDER0000000000000", scene["customer"]).status_code == 404
    worker_token = open_session(scene["worker_id"], "worker").access_token
    assert _review(http, scene["order_id"], worker_token).status_code == 403
    _, admin = account("admin", "管理员")
    assert _review(http, scene["order_id"], admin).status_code == 403
    assert _profile(scene["worker_id"]).rating_count == 0


@pytest.mark.parametrize(
    "body",
    [
        {"quality": 0, "attitude": 4, "skill": 4},
        {"quality": 6, "attitude": 4, "skill": 4},
        {"quality": "5", "attitude": 4, "skill": 4},
        {"quality": 4.5, "attitude": 4, "skill": 4},
        {"quality": True, "attitude": 4, "skill": 4},
        {"attitude": 4, "skill": 4},
        {**STARS, "comment": "字" * 501},
        {**STARS, "rating": 5},
    ],
)
def test_bad_reviews_are_refused(http: Http, scene: dict[str, Any], body: dict[str, Any]) -> None:
    refused = _review(http, scene["order_id"], scene["customer"], body)
    assert refused.status_code == 422, refused.json
    assert _profile(scene["worker_id"]).rating_count == 0


def test_a_worker_s_reviews_page_newest_first_without_the_reviewer(http: Http, scene: dict[str, Any]) -> None:
    orders = [scene["order_id"]] + [
        order(scene["customer_id"], scene["worker_id"], scene["service_id"], status="completed")
        for _ in range(2)
    ]
    for order_id in orders:
        clock.advance(timedelta(minutes=1))
        assert _review(http, order_id, scene["customer"], {**STARS, "comment": "好"}).status_code == 201

    seen: list[str] = []
    cursor = ""
    while True:
        page = http.call("GET", f"/v1/workers/{scene['worker_id']}/reviews?limit=2{cursor}")  # public
        assert page.status_code == 200, page.json
        seen += [item["order_id"] for item in page.json["items"]]
        assert "王小红" not in str(page.json) and findings(str(page.json)) == []
        for item in page.json["items"]:
            assert set(item) == {
                "review_id",
                "order_id",
                "worker_id",
                "quality",
                "attitude",
                "skill",
                "comment",
                "created_at",
                "reviewer",
            }
            assert item["reviewer"] == "王**"
        if not page.json["next_cursor"]:
            break
        cursor = f"&cursor={page.json['next_cursor']}"
    assert seen == orders[::-1]
    assert _profile(scene["worker_id"]).rating_count == 3

    other = worker("赵阿姨")
    assert http.call("GET", f"/v1/workers/{other}/reviews").json == {"items": [], "next_cursor": None}
    replayed = http.call("GET", f"/v1/workers/{other}/reviews?limit=2{cursor or '&cursor=x.y'}")
    assert replayed.status_code == 422
    assert http.call("GET", "/v1/workers/usr_nobody/reviews").status_code == 404
    assert (
        http.call("GET", f"/v1/workers/{worker('孙阿姨', status='pending_review')}/reviews").status_code
        == 404
    )


def test_the_level_and_search_follow_the_ratings(http: Http, scene: dict[str, Any]) -> None:
    """A stored level that no longer fits (senior without certificates or ratings) is re-derived."""
    worker_id = worker("周阿姨", experience_years=6, level="senior")
    job = order(scene["customer_id"], worker_id, scene["service_id"], status="completed")
    assert _review(http, job, scene["customer"], {"quality": 5, "attitude": 5, "skill": 5}).status_code == 201
    assert _profile(worker_id).level == "junior"
    entries = list(WorkerSearchItem.query(f"WSEARCH#{worker_id}", consistent_read=True))
    assert entries and {(entry.level, entry.rating_count, entry.rating_overall) for entry in entries} == {
        ("junior", 1, 5)
    }


def test_the_review_stands_when_refreshing_the_worker_fails(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.orders import reviews

    def broken(worker_id: str) -> Any:
        raise RuntimeError("index down")

    monkeypatch.setattr(reviews, "refresh_level", broken)
    monkeypatch.setattr(reviews, "refresh_search_entries", broken)
    assert _review(http, scene["order_id"], scene["customer"]).status_code == 201
    assert _profile(scene["worker_id"]).rating_count == 1
    assert ReviewItem.get(f"ORDER#{scene['order_id']}", "REVIEW").reviewer_name == "王**"
