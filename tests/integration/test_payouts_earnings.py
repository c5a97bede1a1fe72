"""Earnings from the ledger: pending inside the dispute window, then available; series, items, reversals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.errors import Conflict
from chalicelib.payouts.balance import balance_of, reverse_pending
from tests.integration.conftest import Http
from tests.integration.payout_steps import (
    NET,
    NOW,
    PRICE,
    assert_balances_match_ledger,
    completed_order,
    earnings,
    token_of,
    worker_with_token,
)


@pytest.fixture(autouse=True)
def frozen(aws: dict[str, str]) -> None:
    clock.freeze(NOW)


def test_a_completed_share_is_pending_for_the_window_then_available(http: Http) -> None:
    worker_id, token = worker_with_token()
    order_id = completed_order(worker_id)

    body = earnings(http, token)
    assert (body["pending"], body["available"], body["withdrawn"], body["currency"]) == (NET, 0, 0, "CNY")
    assert body["items"] == [
        {
            "order_id": order_id,
            "service_name": "日常保洁",
            "date": NOW.date().isoformat(),
            "gross": PRICE,
            "commission": PRICE - NET,
            "net": NET,
            "status": "pending",
        }
    ]

    clock.freeze(NOW + timedelta(days=2) - timedelta(minutes=1))
    token = token_of(worker_id)
    assert earnings(http, token)["pending"] == NET  # still inside the window

    clock.freeze(NOW + timedelta(days=2, minutes=1))
    token = token_of(worker_id)
    body = earnings(http, token, f"?from={NOW.date()}&to={NOW.date()}")
    assert (body["pending"], body["available"]) == (0, NET)
    assert body["items"][0]["status"] == "available"
    assert earnings(http, token)["available"] == NET  # released once, not twice
    assert assert_balances_match_ledger()[worker_id]["available"] == NET


def test_series_by_day_week_and_month_and_items_paged_with_cursors(http: Http) -> None:
    worker_id, token = worker_with_token()
    # Monday 18 Jan 2027 (NOW) and the days before: 4, 5 and 11 January
    for day in (4, 5, 11, 18):
        completed_order(worker_id, at=NOW.replace(day=day))
    query = "?from=2027-01-01&to=2027-01-18"

    by_day = earnings(http, token, query)
    assert len(by_day["series"]) == 18
    assert {p["date"]: (p["amount"], p["orders"]) for p in by_day["series"] if p["orders"]} == {
        "2027-01-04": (NET, 1),
        "2027-01-05": (NET, 1),
        "2027-01-11": (NET, 1),
        "2027-01-18": (NET, 1),
    }
    by_week = earnings(http, token, query + "&granularity=week")["series"]
    assert [(p["date"], p["orders"]) for p in by_week] == [
        ("2026-12-28", 0),
        ("2027-01-04", 2),
        ("2027-01-11", 1),
        ("2027-01-18", 1),
    ]
    by_month = earnings(http, token, query + "&granularity=month")["series"]
    assert by_month == [{"date": "2027-01-01", "amount": 4 * NET, "orders": 4}]

    first = earnings(http, token, query + "&limit=3")
    assert [item["date"] for item in first["items"]] == ["2027-01-18", "2027-01-11", "2027-01-05"]
    assert [item["status"] for item in first["items"]] == ["pending", "available", "available"]
    second = earnings(http, token, query + f"&limit=3&cursor={first['next_cursor']}")
    assert [item["date"] for item in second["items"]] == ["2027-01-04"]
    assert second["next_cursor"] is None
    assert (first["pending"], first["available"]) == (NET, 3 * NET)


def test_bad_queries_and_roles(http: Http) -> None:
    _, token = worker_with_token()
    assert http.call("GET", "/v1/worker/earnings?granularity=year", token=token).status_code == 422
    assert http.call("GET", "/v1/worker/earnings?from=2027-13-01", token=token).status_code == 422
    assert http.call("GET", "/v1/worker/earnings?cursor=forged.abc", token=token).status_code == 422
    from tests.integration.scheduling_steps import account

    _, customer = account("customer")
    assert http.call("GET", "/v1/worker/earnings", token=customer).status_code == 403
    assert http.call("GET", "/v1/worker/earnings").status_code == 401


def test_a_refund_inside_the_window_reduces_pending_with_balanced_entries(http: Http) -> None:
    worker_id, _token = worker_with_token()
    order_id = completed_order(worker_id)

    taken = reverse_pending(order_id, 5000, "dispute-1")  # a quarter of the price back to the customer
    assert taken == 4000
    assert balance_of(worker_id).pending == NET - 4000
    with pytest.raises(Conflict):
        reverse_pending(order_id, 5000, "dispute-1")  # the same reversal twice books nothing
    assert reverse_pending(order_id, PRICE - 5000, "dispute-2") == NET - 4000  # the rest: all of it
    assert balance_of(worker_id).pending == 0
    assert_balances_match_ledger()

    clock.freeze(NOW + timedelta(days=3))
    assert earnings(http, token_of(worker_id))["available"] == 0  # nothing left to release


def test_no_reversal_once_the_share_is_available(http: Http) -> None:
    worker_id, token = worker_with_token()
    order_id = completed_order(worker_id, at=NOW - timedelta(days=3))
    assert earnings(http, token)["available"] == NET
    with pytest.raises(Conflict) as refused:
        reverse_pending(order_id, 1000, "late")
    assert refused.value.code == "earning_released"
    assert_balances_match_ledger()


def test_the_demo_worker_is_seeded_with_pending_earnings_once(http: Http) -> None:
    from chalicelib.accounts.sessions import open_session
    from chalicelib.accounts.targets import target_from
    from chalicelib.accounts.users import create_user
    from local.seed_earnings import seed_earnings
    from tests.integration.scheduling_steps import service

    worker = create_user(target_from(phone="13900000001"), "Worker-pass-2026", "李阿姨", "worker")
    create_user(target_from(phone="13800000001"), "Customer-pass-2026", "王女士", "customer")
    assert "2 jobs" in seed_earnings(service())
    assert "already" in seed_earnings(service())
    token = open_session(worker.user_id, "worker").access_token
    body = earnings(http, token)
    assert (body["pending"], body["available"], len(body["items"])) == (44_800, 0, 2)
    assert_balances_match_ledger()
