"""Browsing workers over HTTP: live free slots (travel-aware), search and public profiles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from botocore.client import BaseClient

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.geo import haversine_km
from chalicelib.models.workers import CertificateItem, WorkerProfileItem
from chalicelib.scheduling import calendar
from chalicelib.scheduling.travel import Point
from chalicelib.workers import search
from chalicelib.workers.certificates import certificate_items
from chalicelib.workers.profile import verified_kinds
from chalicelib.workers.search_index import refresh_search_entries
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import (
    NOW,
    PEOPLES_SQUARE,
    PUDONG,
    XUHUI,
    account,
    address,
    at,
    errors,
    every_day,
    reserve,
    service,
    worker,
)

TOMORROW = NOW.date() + timedelta(days=1)  # a Tuesday
KM = 1 / haversine_km(0, 0, 1, 0)  # degrees of latitude per km


def north(km: float) -> tuple[float, float]:
    return PEOPLES_SQUARE[0] + km * KM, PEOPLES_SQUARE[1]


@pytest.fixture(autouse=True)
def frozen(aws: dict[str, str]) -> None:
    clock.freeze(NOW)


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The DynamoDB operations made while the test runs, in order."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    yield calls


def set_hours(worker_id: str, weekly: dict[str, Any], exceptions: list[dict[str, Any]] | None = None) -> None:
    from chalicelib.scheduling.availability import set_availability

    set_availability(worker_id, weekly, exceptions or [])


def slots(http: Http, worker_id: str, service_id: str, day: Any = TOMORROW, **params: str) -> Any:
    token = params.pop("token", None)
    query = "&".join(
        f"{key}={value}" for key, value in {"service_id": service_id, "date": day, **params}.items()
    )
    return http.call("GET", f"/v1/workers/{worker_id}/slots?{query}", token=token)


def starts(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [slot["start_at"][11:16] for slot in response.json["slots"]]


# -- slots ---------------------------------------------------------------------------------


def test_slots_follow_hours_grid_and_reservations(http: Http) -> None:
    worker_id, two_hours = worker(), service(duration_minutes=120)
    set_hours(worker_id, {"tue": [["08:00", "12:00"], ["14:00", "18:00"]]})
    answer = slots(http, worker_id, two_hours)
    assert answer.json["duration_minutes"] == 120
    assert answer.json["slots"][0] == {
        "start_at": "2027-01-19T08:00:00+08:00",
        "end_at": "2027-01-19T10:00:00+08:00",
    }
    assert starts(answer) == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
    ]
    reserve(worker_id, at(TOMORROW, "09:00"), 60)
    # before it a 2-hour job must end by 08:30, after it start at 10:30 and so end by 12:00: neither fits
    assert starts(slots(http, worker_id, two_hours)) == ["14:00", "14:30", "15:00", "15:30", "16:00"]
    assert starts(slots(http, worker_id, service(duration_minutes=90))) == [
        "10:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
    ]
    # another day's reservations do not count
    reserve(worker_id, at(TOMORROW + timedelta(days=7), "14:00"), 240)
    assert len(starts(slots(http, worker_id, two_hours))) == 5


def test_exceptions_replace_the_weekday(http: Http) -> None:
    worker_id, two_hours = worker(), service()
    next_tuesday = TOMORROW + timedelta(days=7)
    set_hours(
        worker_id,
        {"tue": [["08:00", "12:00"]]},
        [{"date": str(TOMORROW), "off": True}, {"date": str(next_tuesday), "hours": [["15:00", "17:00"]]}],
    )
    assert starts(slots(http, worker_id, two_hours)) == []
    assert starts(slots(http, worker_id, two_hours, next_tuesday)) == ["15:00"]
    assert starts(slots(http, worker_id, two_hours, TOMORROW + timedelta(days=14))) == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
    ]


def test_no_slot_in_the_past_or_within_the_lead_time(http: Http) -> None:
    worker_id, one_hour = worker(), service(duration_minutes=60)
    set_hours(worker_id, every_day([["08:00", "13:00"]]))
    # now is 09:00 today: the first start is 11:00 (two hours' notice)
    assert starts(slots(http, worker_id, one_hour, NOW.date())) == ["11:00", "11:30", "12:00"]
    clock.freeze(at(NOW.date(), "23:15"))
    assert starts(slots(http, worker_id, one_hour, NOW.date())) == []
    assert starts(slots(http, worker_id, one_hour, TOMORROW))[0] == "08:00"


def test_an_expired_hold_frees_its_time(http: Http) -> None:
    worker_id, two_hours = worker(), service()
    set_hours(worker_id, {"tue": [["08:00", "12:00"]]})
    reserve(worker_id, at(TOMORROW, "08:00"), 120, status="held", hold_until=NOW + timedelta(minutes=15))
    assert starts(slots(http, worker_id, two_hours)) == []
    clock.advance(timedelta(minutes=16))
    assert starts(slots(http, worker_id, two_hours)) == ["08:00", "08:30", "09:00", "09:30", "10:00"]


def test_travel_from_a_far_job_removes_slots_a_near_one_keeps(http: Http) -> None:
    worker_id, one_hour = worker(), service(duration_minutes=60)
    set_hours(worker_id, {"tue": [["08:00", "18:00"]]})
    customer_id, token = account("customer")
    here = address(customer_id, *PEOPLES_SQUARE)
    reserve(worker_id, at(TOMORROW, "08:00"), 120, place=north(12))  # 51 minutes' ride
    without_place = starts(slots(http, worker_id, one_hour))
    assert without_place[0] == "10:30"
    with_place = starts(slots(http, worker_id, one_hour, address_id=here, token=token))
    assert with_place[0] == "11:00"  # 10:00 + 51 min
    near_id = worker("张阿姨")
    set_hours(near_id, {"tue": [["08:00", "18:00"]]})
    reserve(near_id, at(TOMORROW, "08:00"), 120, place=north(1))
    assert starts(slots(http, near_id, one_hour, address_id=here, token=token))[0] == "10:30"
    # an address without coordinates gets the minimum buffer only
    unplaced = address(customer_id, None, None)
    assert starts(slots(http, worker_id, one_hour, address_id=unplaced, token=token))[0] == "10:30"


def test_address_needs_the_signed_in_owner(http: Http) -> None:
    worker_id, one_hour = worker(), service(duration_minutes=60)
    set_hours(worker_id, {"tue": [["08:00", "18:00"]]})
    owner, owner_token = account("customer")
    _, stranger = account("customer")
    theirs = address(owner, *PEOPLES_SQUARE)
    assert slots(http, worker_id, one_hour, address_id=theirs).status_code == 401
    assert slots(http, worker_id, one_hour, address_id=theirs, token="not-a-token").status_code == 401
    assert slots(http, worker_id, one_hour, address_id=theirs, token=stranger).status_code == 404
    elsewhere = address(owner, 31.19, 121.44, {"city": "上海市", "district": "黄浦区"})
    assert errors(slots(http, worker_id, one_hour, address_id=elsewhere, token=owner_token)) == {
        "address_id": "outside_service_area"
    }


def test_slots_refusals(http: Http) -> None:
    verified, pending = worker(), worker(status="pending_review")
    set_hours(verified, every_day([["08:00", "18:00"]]))
    set_hours(pending, every_day([["08:00", "18:00"]]))
    cleaning, nanny = service(), service("nanny", 480)
    assert slots(http, pending, cleaning).status_code == 404
    assert slots(http, "usr_nobody", cleaning).status_code == 404
    assert errors(slots(http, verified, nanny)) == {"service_id": "service_not_offered"}
    assert errors(slots(http, verified, "svc_unknown")) == {"service_id": "unknown_service"}
    assert errors(slots(http, verified, cleaning, NOW.date() - timedelta(days=1))) == {"date": "date_in_past"}
    assert errors(slots(http, verified, cleaning, NOW.date() + timedelta(days=181))) == {
        "date": "date_too_far"
    }
    assert errors(slots(http, verified, cleaning, "2027-02-30"))["date"] == "date_from_datetime_parsing"
    missing = http.call("GET", f"/v1/workers/{verified}/slots?date={TOMORROW}")
    assert errors(missing) == {"service_id": "missing"}


def test_slots_take_two_round_trips(http: Http, dynamodb_calls: list[str]) -> None:
    worker_id, two_hours = worker(), service()
    set_hours(worker_id, every_day([["08:00", "18:00"]]))
    customer_id, _ = account("customer")
    here = address(customer_id, *PEOPLES_SQUARE)
    for day in range(1, 4):
        for hour in ("09:00", "13:00", "16:00"):
            reserve(worker_id, at(NOW.date() + timedelta(days=day), hour), 60, place=north(2))
    calendar.free_slots(worker_id, two_hours, TOMORROW)  # warms the service cache
    dynamodb_calls.clear()
    _, found = calendar.free_slots(worker_id, two_hours, TOMORROW, caller_id=customer_id, address_id=here)
    assert dynamodb_calls == ["BatchGetItem", "Query"]
    assert [slot.start_at.strftime("%H:%M") for slot in found] == ["10:30"]  # 10:00+30 .. 13:00-30
    dynamodb_calls.clear()
    calendar.free_slots(worker_id, two_hours, TOMORROW + timedelta(days=10))  # no reservations
    assert dynamodb_calls == ["BatchGetItem", "Query"]


def test_check_booking_agrees_with_the_slots(http: Http) -> None:
    worker_id, one_hour = worker(), service(duration_minutes=60)
    set_hours(worker_id, {"tue": [["08:00", "18:00"]]})
    customer_id, token = account("customer")
    here = address(customer_id, *PEOPLES_SQUARE)
    reserve(worker_id, at(TOMORROW, "08:00"), 120, place=north(12))
    reserve(worker_id, at(TOMORROW, "14:00"), 60, status="held", hold_until=NOW + timedelta(minutes=5))
    shown = set(starts(slots(http, worker_id, one_hour, address_id=here, token=token)))
    place = calendar.Place(city=PUDONG["city"], district=PUDONG["district"], at=Point(*PEOPLES_SQUARE))
    for minute in range(0, 24 * 60, 30):
        start = at(TOMORROW, f"{minute // 60:02d}:{minute % 60:02d}")
        refusal = calendar.check_booking(
            worker_id, category="cleaning", duration_minutes=60, start=start, place=place
        )
        assert (refusal is None) == (start.strftime("%H:%M") in shown), (start, refusal)
    assert (
        calendar.check_booking(
            worker_id, category="cleaning", duration_minutes=60, start=at(NOW.date(), "08:00"), place=place
        )
        == "start_in_past"
    )
    with pytest.raises(ValidationFailed):
        calendar.check_booking(
            worker_id, category="nanny", duration_minutes=60, start=at(TOMORROW, "12:00"), place=None
        )


# -- search --------------------------------------------------------------------------------


def find(http: Http, token: str | None = None, /, **params: Any) -> Any:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return http.call("GET", f"/v1/workers?{query}", token=token)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["worker_id"] for item in response.json["items"]]


def test_search_filters_by_category_and_area_and_hides_unverified(http: Http) -> None:
    both = worker("甲", skills=("cleaning", "nanny"), areas=(PUDONG, XUHUI), ratings=(10, 4.8))
    pudong_cleaner = worker("乙", areas=(PUDONG,), ratings=(5, 4.5))
    xuhui_cleaner = worker("丙", areas=(XUHUI,), ratings=(3, 4.0))
    worker("丁", status="pending_review", areas=(PUDONG,), ratings=(50, 5.0))
    worker("戊", status="suspended", areas=(PUDONG,), ratings=(50, 5.0))
    city = {"category": "cleaning", "city": "上海市"}
    assert ids(find(http, **city, district="浦东新区")) == [both, pudong_cleaner]
    assert ids(find(http, **city, district="徐汇区")) == [both, xuhui_cleaner]
    assert ids(find(http, **city)) == [both, pudong_cleaner, xuhui_cleaner]  # the whole city, each once
    assert ids(find(http, category="nanny", city="上海市")) == [both]
    assert ids(find(http, category="elder_care", city="上海市")) == []
    assert ids(find(http, category="cleaning", city="北京市")) == []
    row = find(http, **city, district="浦东新区").json["items"][0]
    assert row == {
        "worker_id": both,
        "name": "甲",
        "skills": ["cleaning", "nanny"],
        "rating": {"overall": 4.8, "quality": 4.8, "attitude": 4.8, "skill": 4.8, "count": 10},
        "experience_years": 3,
        "level": "junior",
        "distance_km": None,
    }


def test_a_worker_leaves_the_index_when_no_longer_verified(http: Http) -> None:
    worker_id = worker()
    assert ids(find(http, category="cleaning", city="上海市")) == [worker_id]
    profile = WorkerProfileItem.get(*WorkerProfileItem.key(worker_id))
    profile.update(actions=[WorkerProfileItem.status.set("suspended")])
    refresh_search_entries(worker_id)
    assert ids(find(http, category="cleaning", city="上海市")) == []


def test_search_by_date_uses_working_days_and_days_off(http: Http) -> None:
    weekdays_only = worker("甲", ratings=(9, 4.9))
    every = worker("乙", ratings=(5, 4.5))
    unset = worker("丙", ratings=(1, 4.0))
    set_hours(weekdays_only, {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})
    saturday = NOW.date() + timedelta(days=5)
    sunday = saturday + timedelta(days=1)
    set_hours(
        every,
        every_day([["09:00", "17:00"]]),
        [{"date": str(TOMORROW), "off": True}],
    )
    set_hours(unset, {}, [{"date": str(sunday), "hours": [["10:00", "12:00"]]}])
    search_on = {"category": "cleaning", "city": "上海市", "district": "浦东新区"}
    assert ids(find(http, **search_on, date=TOMORROW)) == [weekdays_only]
    assert ids(find(http, **search_on, date=saturday)) == [every]
    assert ids(find(http, **search_on, date=sunday)) == [every, unset]
    assert ids(find(http, **search_on)) == [weekdays_only, every, unset]
    assert errors(find(http, **search_on, date=NOW.date() - timedelta(days=1))) == {"date": "date_in_past"}
    assert errors(find(http, **search_on, date=NOW.date() + timedelta(days=181))) == {"date": "date_too_far"}


def test_rating_order_and_pagination(http: Http) -> None:
    made = [worker(f"工{index}", ratings=(index + 1, 3.0 + index * 0.1)) for index in range(7)]
    expected = list(reversed(made))  # higher rating first
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        extra: dict[str, Any] = {"cursor": cursor} if cursor else {}
        page = find(http, category="cleaning", city="上海市", district="浦东新区", limit=3, **extra)
        seen += ids(page)
        pages += 1
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3
    # equal ratings: more ratings first
    tie_many, tie_few = worker("多", ratings=(40, 4.95)), worker("少", ratings=(2, 4.95))
    assert ids(find(http, category="cleaning", city="上海市", limit=2)) == [tie_many, tie_few]


def test_date_filter_pages_stay_complete(http: Http) -> None:
    working = []
    for index in range(8):
        worker_id = worker(f"工{index}", ratings=(index + 1, 4.0 + index * 0.1))
        if index % 2:
            set_hours(worker_id, {"tue": [["08:00", "18:00"]]})
            working.append(worker_id)
        else:
            set_hours(worker_id, {"wed": [["08:00", "18:00"]]})
    seen: list[str] = []
    cursor = None
    while True:
        extra: dict[str, Any] = {"cursor": cursor} if cursor else {}
        page = find(http, category="cleaning", city="上海市", date=TOMORROW, limit=2, **extra)
        seen += ids(page)
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(working))


def test_distance_sort_and_pagination(http: Http) -> None:
    far, near, middle = (
        worker("远", home=north(9), ratings=(50, 5.0)),
        worker("近", home=north(0.2)),
        worker("中", home=north(3.5)),
    )
    very_far = worker("很远", home=north(60))
    homeless = worker("无", home=None)
    point: dict[str, Any] = {"lat": PEOPLES_SQUARE[0], "lng": PEOPLES_SQUARE[1]}
    found = find(http, category="cleaning", city="上海市", sort="distance", **point)
    assert ids(found) == [near, middle, far, very_far]  # a worker without a home location is not placed
    distances = [item["distance_km"] for item in found.json["items"]]
    assert distances == sorted(distances)
    assert distances[0] < 1.0 and 8 < distances[2] < 10
    first = find(http, category="cleaning", city="上海市", sort="distance", limit=2, **point)
    assert ids(first) == [near, middle]
    second = find(
        http,
        category="cleaning",
        city="上海市",
        sort="distance",
        limit=2,
        cursor=first.json["next_cursor"],
        **point,
    )
    assert ids(second) == [far, very_far]
    assert second.json["next_cursor"] is None
    # rating order with a point also tells the distance
    rated = find(http, category="cleaning", city="上海市", **point).json["items"]
    assert rated[0]["worker_id"] == far and rated[0]["distance_km"] > 8
    assert homeless in [item["worker_id"] for item in rated]


def test_distance_from_a_saved_address(http: Http) -> None:
    near, far = worker("近", home=north(1)), worker("远", home=north(20))
    customer_id, token = account("customer")
    here = address(customer_id, *north(19))
    assert ids(find(http, token, category="cleaning", city="上海市", sort="distance", address_id=here)) == [
        far,
        near,
    ]
    assert find(http, category="cleaning", city="上海市", sort="distance", address_id=here).status_code == 401
    _, stranger = account("customer")
    assert (
        find(http, stranger, category="cleaning", city="上海市", sort="distance", address_id=here).status_code
        == 404
    )
    unplaced = address(customer_id, None, None)
    assert errors(
        find(http, token, category="cleaning", city="上海市", sort="distance", address_id=unplaced)
    ) == {"address_id": "address_without_location"}


def test_recommended_weighs_rating_experience_and_distance(http: Http) -> None:
    seasoned_near = worker("甲", home=north(0.5), ratings=(80, 4.9), experience_years=10, level="gold")
    lucky_newcomer = worker("乙", home=north(0.5), ratings=(1, 5.0), experience_years=1)
    seasoned_far = worker("丙", home=north(25), ratings=(80, 4.9), experience_years=10, level="gold")
    point: dict[str, Any] = {"lat": PEOPLES_SQUARE[0], "lng": PEOPLES_SQUARE[1]}
    assert ids(find(http, category="cleaning", city="上海市", sort="recommended", **point)) == [
        seasoned_near,
        seasoned_far,
        lucky_newcomer,
    ]
    # without a place distance does not count: the two seasoned workers tie on every part
    assert ids(find(http, category="cleaning", city="上海市", sort="recommended"))[2] == lucky_newcomer


def test_recommendation_score_parts() -> None:
    def card(**changes: Any) -> search.WorkerCard:
        fields: dict[str, Any] = {
            "worker_id": "w",
            "name": "n",
            "skills": ["cleaning"],
            "rating": search.Rating(4.5, 4.5, 4.5, 4.5, 20),
            "experience_years": 5,
            "level": "intermediate",
            "distance_km": 2.0,
        } | changes
        return search.WorkerCard(**fields)

    base = search.recommendation_score(card())
    assert 0 < base < 1
    assert search.recommendation_score(card(distance_km=0.5)) > base
    assert search.recommendation_score(card(experience_years=9)) > base
    assert search.recommendation_score(card(level="gold")) > base
    assert search.recommendation_score(card(rating=search.Rating(4.9, 4.9, 4.9, 4.9, 20))) > base
    # one 5-star rating counts for less than twenty 4.8s
    one_lucky = card(rating=search.Rating(5.0, 5.0, 5.0, 5.0, 1))
    long_record = card(rating=search.Rating(4.8, 4.8, 4.8, 4.8, 20))
    assert search.recommendation_score(one_lucky) < search.recommendation_score(long_record)
    perfect = card(
        rating=search.Rating(5, 5, 5, 5, 10_000), experience_years=30, level="gold", distance_km=0.0
    )
    assert search.recommendation_score(perfect) == pytest.approx(1.0, abs=0.01)


def test_search_validation(http: Http) -> None:
    assert errors(find(http, city="上海市")) == {"category": "missing"}
    assert errors(find(http, category="cleaning")) == {"city": "missing"}
    assert errors(find(http, category="massage", city="上海市")) == {"category": "value_error"}
    assert errors(find(http, category="cleaning", city="上海市", sort="distance")) == {
        "sort": "point_required"
    }
    assert errors(find(http, category="cleaning", city="上海市", sort="nearest"))["sort"] == "literal_error"
    assert errors(find(http, category="cleaning", city="上海市", lat=31.2)) == {"lng": "missing"}
    assert errors(find(http, category="cleaning", city="上海市", lat=91, lng=121))["lat"] == "less_than_equal"
    assert errors(find(http, category="cleaning", city="上海市", limit=0))["limit"] == "greater_than_equal"
    assert errors(find(http, category="cleaning", city="上海市", cursor="forged.abc")) == {
        "cursor": "invalid_cursor"
    }
    for index in range(3):
        worker(f"工{index}")
    other = find(http, category="cleaning", city="上海市", district="浦东新区", limit=1).json["next_cursor"]
    assert errors(find(http, category="cleaning", city="上海市", limit=1, cursor=other)) == {
        "cursor": "invalid_cursor"
    }
    _, token = account("customer")
    mixed = find(http, token, category="cleaning", city="上海市", address_id="adr_x", lat=31.2, lng=121.4)
    assert errors(mixed) == {"address_id": "conflict"}


def test_search_round_trips_stay_bounded(http: Http, dynamodb_calls: list[str]) -> None:
    for index in range(12):
        worker_id = worker(f"工{index}", home=north(index * 0.7), ratings=(index + 1, 4.0))
        set_hours(worker_id, {"tue" if index % 4 == 0 else "wed": [["08:00", "18:00"]]})
    base = search.SearchRequest(category="cleaning", city="上海市", district="浦东新区", limit=5)
    point = Point(*PEOPLES_SQUARE)
    for request in (
        base,
        replace(base, day=TOMORROW),  # 3 of 12 match: reads on, bounded
        replace(base, sort="distance", point=point),
        replace(base, sort="recommended", point=point),
        replace(base, sort="recommended"),
    ):
        dynamodb_calls.clear()
        search.search_workers(request)
        assert 1 <= len(dynamodb_calls) <= search.ROUND_TRIPS, (request, dynamodb_calls)
        # a date search also reads the page's worker-day guards (live-in terms hold whole days)
        extra = ["BatchGetItem"] if request.day is not None else []
        assert [call for call in dynamodb_calls if call != "Query"] == extra, (request, dynamodb_calls)


# -- public profile ------------------------------------------------------------------------


def test_public_profile_masks_and_hides(http: Http) -> None:
    worker_id = worker(
        "李阿姨", skills=("cleaning", "nanny"), areas=(PUDONG, XUHUI), ratings=(4, 4.5), real_name="李秀英"
    )
    for kind, status in (
        ("housekeeping_cert", "verified"),
        ("nanny_cert", "rejected"),
        ("health_cert", "uploaded"),
    ):
        CertificateItem(
            *CertificateItem.key(worker_id, f"cer_{kind}"),
            certificate_id=f"cer_{kind}",
            worker_id=worker_id,
            kind=kind,
            file_name="a.pdf",
            content_type="application/pdf",
            size_bytes=100,
            s3_key=f"certificates/{worker_id}/{kind}.pdf",
            status=status,
            created_at=clock.iso(),
        ).save()
    # A profile reviewed before the kinds were kept on it: its certificates are queried.
    WorkerProfileItem(*WorkerProfileItem.key(worker_id)).update(
        actions=[WorkerProfileItem.certificate_kinds.remove()]
    )
    assert http.call("GET", f"/v1/workers/{worker_id}").json["certificates"] == ["housekeeping_cert"]
    WorkerProfileItem(*WorkerProfileItem.key(worker_id)).update(  # as review keeps them
        actions=[WorkerProfileItem.certificate_kinds.set(verified_kinds(certificate_items(worker_id)))]
    )
    profile = http.call("GET", f"/v1/workers/{worker_id}")
    assert profile.status_code == 200, profile.json
    body = profile.json
    assert body["real_name"] == "李**"
    assert body["certificates"] == ["housekeeping_cert"]
    assert body["service_areas"] == [PUDONG, XUHUI]
    assert body["rating"] == {"overall": 4.5, "quality": 4.5, "attitude": 4.5, "skill": 4.5, "count": 4}
    text = profile.body if isinstance(profile.body, str) else profile.body.decode()
    for secret in ("李秀英", "3101", "id_number", "phone", "home", "31.23"):
        assert secret not in text
    pending = worker(status="pending_review")
    assert http.call("GET", f"/v1/workers/{pending}").status_code == 404
    assert http.call("GET", "/v1/workers/usr_nobody").status_code == 404
