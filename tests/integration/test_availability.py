"""A worker's availability over HTTP: round trip, validation, roles, and the search index."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.models.workers import WorkerSearchItem
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import NOW, account, errors, every_day, worker

TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(aws: dict[str, str]) -> None:
    clock.freeze(NOW)


def _worker_token() -> tuple[str, str]:
    return account("worker", "李阿姨")


def test_put_then_get_round_trips(http: Http) -> None:
    worker_id, token = _worker_token()
    fresh = http.call("GET", "/v1/worker/availability", token=token)
    assert fresh.status_code == 200
    assert fresh.json == {
        "weekly": {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "exceptions": [],
        "updated_at": None,
    }
    body = {
        "weekly": {"mon": [["13:00", "18:00"], ["08:00", "12:00"]], "sat": [["09:00", "24:00"]]},
        "exceptions": [
            {"date": str(TODAY + timedelta(days=9)), "hours": [["10:00", "14:00"]]},
            {"date": str(TODAY), "off": True},
        ],
    }
    saved = http.call("PUT", "/v1/worker/availability", body, token=token)
    assert saved.status_code == 200, saved.json
    assert saved.json["weekly"]["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert saved.json["weekly"]["sat"] == [["09:00", "24:00"]]
    assert saved.json["weekly"]["tue"] == []
    assert saved.json["exceptions"] == [
        {"date": str(TODAY), "off": True, "hours": []},
        {"date": str(TODAY + timedelta(days=9)), "off": False, "hours": [["10:00", "14:00"]]},
    ]
    assert saved.json["updated_at"].startswith(str(TODAY))
    read = http.call("GET", "/v1/worker/availability", token=token).json
    assert read == saved.json
    # What GET returns can be PUT back as it is, also once an exception has passed (it is dropped).
    clock.advance(timedelta(days=1))
    token = open_session(worker_id, "worker").access_token  # the first one has expired
    later = http.call("GET", "/v1/worker/availability", token=token).json
    assert [entry["date"] for entry in later["exceptions"]] == [str(TODAY + timedelta(days=9))]
    again = http.call(
        "PUT",
        "/v1/worker/availability",
        {"weekly": later["weekly"], "exceptions": later["exceptions"]},
        token=token,
    )
    assert again.status_code == 200, again.json


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"weekly": {"mon": [["25:00", "26:00"]]}}, {"weekly.mon.0.0": "string_pattern_mismatch"}),
        ({"weekly": {"mon": [["08:00", "08:60"]]}}, {"weekly.mon.0.1": "string_pattern_mismatch"}),
        ({"weekly": {"tue": [["18:00", "08:00"]]}}, {"weekly.tue": "invalid_hours"}),
        ({"weekly": {"tue": [["08:00", "08:00"]]}}, {"weekly.tue": "invalid_hours"}),
        ({"weekly": {"wed": [["08:00", "12:00"], ["11:00", "14:00"]]}}, {"weekly.wed": "invalid_hours"}),
        ({"weekly": {"funday": [["08:00", "12:00"]]}}, {"weekly.funday": "extra_forbidden"}),
        ({"weekly": {"mon": [["08:00"]]}}, {"weekly.mon.0.1": "missing"}),
        ({}, {"weekly": "missing"}),
        ({"weekly": {}, "exceptions": [{"date": "2027-01-20"}]}, {"exceptions.0": "value_error"}),
        (
            {
                "weekly": {},
                "exceptions": [{"date": "2027-01-20", "off": True, "hours": [["08:00", "09:00"]]}],
            },
            {"exceptions.0": "value_error"},
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2027-02-30", "off": True}]},
            {"exceptions.0.date": "date_from_datetime_parsing"},
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2027-01-17", "off": True}]},
            {"exceptions.0.date": "date_in_past"},
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2027-07-18", "off": True}]},
            {"exceptions.0.date": "date_too_far"},
        ),
        (
            {
                "weekly": {},
                "exceptions": [{"date": "2027-01-20", "off": True}, {"date": "2027-01-20", "off": True}],
            },
            {"exceptions.1.date": "duplicate_date"},
        ),
        (
            {"weekly": {}, "exceptions": [{"date": "2027-01-20", "hours": [["12:00", "10:00"]]}]},
            {"exceptions.0.hours": "invalid_hours"},
        ),
    ],
)
def test_invalid_availability_is_422_naming_the_field(
    http: Http, body: dict[str, object], expected: dict[str, str]
) -> None:
    _, token = _worker_token()
    found = errors(http.call("PUT", "/v1/worker/availability", body, token=token))
    for field, code in expected.items():
        assert found.get(field) == code, found


def test_the_horizon_is_inclusive_and_several_problems_are_all_named(http: Http) -> None:
    _, token = _worker_token()
    last = str(TODAY + timedelta(days=180))
    ok = http.call(
        "PUT",
        "/v1/worker/availability",
        {"weekly": {}, "exceptions": [{"date": last, "off": True}]},
        token=token,
    )
    assert ok.status_code == 200, ok.json
    both = errors(
        http.call(
            "PUT",
            "/v1/worker/availability",
            {
                "weekly": {"mon": [["09:00", "08:00"]], "fri": [["08:00", "10:00"], ["09:00", "11:00"]]},
                "exceptions": [{"date": "2027-01-01", "off": True}],
            },
            token=token,
        )
    )
    assert both == {
        "weekly.mon": "invalid_hours",
        "weekly.fri": "invalid_hours",
        "exceptions.0.date": "date_in_past",
    }


def test_only_workers_set_availability(http: Http) -> None:
    _, customer = account("customer")
    assert http.call("GET", "/v1/worker/availability", token=customer).status_code == 403
    assert http.call("PUT", "/v1/worker/availability", {"weekly": {}}, token=customer).status_code == 403
    assert http.call("GET", "/v1/worker/availability").status_code == 401
    assert (
        http.call("PUT", "/v1/worker/availability", "{not json", token=_worker_token()[1]).status_code == 400
    )


def test_a_change_refreshes_the_search_entries(http: Http) -> None:
    worker_id = worker(areas=({"city": "上海市", "district": "浦东新区"},))
    token = open_session(worker_id, "worker").access_token
    off_day = str(TODAY + timedelta(days=3))
    extra_day = str(TODAY + timedelta(days=6))  # a Sunday, not in the weekly hours
    body = {
        "weekly": {"mon": [["08:00", "18:00"]], "thu": [["08:00", "12:00"]]},
        "exceptions": [{"date": off_day, "off": True}, {"date": extra_day, "hours": [["09:00", "12:00"]]}],
    }
    assert http.call("PUT", "/v1/worker/availability", body, token=token).status_code == 200
    entries = list(WorkerSearchItem.query(f"WSEARCH#{worker_id}"))
    assert len(entries) == 2  # the district and the whole city
    for entry in entries:
        assert entry.work_days == ["mon", "thu", extra_day]
        assert entry.days_off == [off_day]
    assert (
        http.call("PUT", "/v1/worker/availability", {"weekly": every_day([])}, token=token).status_code == 200
    )
    for entry in WorkerSearchItem.query(f"WSEARCH#{worker_id}"):
        assert entry.work_days == []
        assert entry.days_off == []
