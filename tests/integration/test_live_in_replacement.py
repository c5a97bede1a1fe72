"""Replacing the worker of a live-in term (换人, issue 12): the customer asks, staff approve, the
new worker takes the remaining days in one transaction, money is split by days served; and an
early end racing a replacement leaves exactly one of them done, calendars equal to the order."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.models.accounts import NotificationItem
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.orders import live_in, term_changes
from chalicelib.scheduling import calendar
from tests.integration.conftest import Http
from tests.integration.live_in_steps import (
    TERM_START,
    book,
    code,
    customer,
    expected_calendar,
    month_scene,
    running_month_order,
    term_days_held,
)
from tests.integration.order_steps import set_status
from tests.integration.scheduling_steps import account, at


@pytest.fixture
def scene(aws: dict[str, str]) -> dict[str, Any]:
    return month_scene()


def _admin() -> str:
    admin_id, _ = account("admin", "客服主管")
    return open_session(admin_id, "admin").access_token


def _days(worker_id: str) -> dict[str, str | None]:
    return term_days_held(worker_id, TERM_START, 31)


def test_replacement_halfway_moves_the_remaining_days_and_splits_the_money(
    http: Http, scene: dict[str, Any]
) -> None:
    order_id = running_month_order(http, scene)
    today = clock.now().date()
    assert today == date(2027, 2, 12)
    admin = _admin()
    path = f"/v1/admin/orders/{order_id}/replace"
    body = {"worker_id": scene["bella"], "reason": "客户要求换人"}
    unasked = http.call("POST", path, body, token=admin)
    assert (unasked.status_code, code(unasked)) == (409, "no_replacement_request")
    asked = http.call(
        "POST", f"/v1/orders/{order_id}/term/replacement", {"reason": "口味不合"}, token=scene["alice"].token
    )
    assert asked.status_code == 200, asked.json
    assert asked.json["timeline"][-1]["event"] == "replacement_requested"
    by_customer = http.call("POST", path, body, token=scene["alice"].token)
    assert by_customer.status_code == 403
    replaced = http.call("POST", path, body, token=admin)
    assert replaced.status_code == 200, replaced.json
    assert (replaced.json["worker_id"], replaced.json["status"]) == (scene["bella"], "assigned")
    split = date(2027, 2, 13)
    anna, bella = _days(scene["anna"]), _days(scene["bella"])
    assert [day for day, owner in anna.items() if owner] == [
        str(TERM_START + timedelta(days=offset)) for offset in range(16)
    ]
    assert [day for day, owner in bella.items() if owner] == [
        str(split + timedelta(days=offset)) for offset in range(15)
    ]
    assert bella == expected_calendar(scene["bella"], TERM_START, 31)
    # both workers and the customer are told
    kinds = {
        (user, item.kind)
        for user in (scene["anna"], scene["bella"], scene["alice"].customer_id)
        for item in NotificationItem.query(f"USER#{user}", NotificationItem.sk.startswith("NOTIF#"))
    }
    assert {(scene["anna"], "order.reassigned"), (scene["bella"], "order.assigned")} <= kinds
    assert (scene["alice"].customer_id, "order.reassigned") in kinds
    # Anna is free again from the 13th: a visit can be booked with her that day
    visit = book(http, customer("赵女士"), scene["visit"], scene["anna"], at(split, "10:00"))
    assert visit.status_code == 201, visit.json
    # completion splits the worker's share by days served: Anna 16 days, Bella 15
    set_status(order_id, "finished")
    done = http.call("POST", f"/v1/orders/{order_id}/confirm", token=scene["alice"].token)
    assert done.status_code == 200, done.json
    shares = {
        line.worker_id: -int(line.amount)
        for line in LedgerEntryItem.query(f"ORDER#{order_id}", LedgerEntryItem.sk.startswith("LEDGER#"))
        if line.account == "worker_payable"
    }
    net = sum(shares.values())
    assert shares[scene["anna"]] == net * 16 // 31
    assert shares[scene["bella"]] == net - net * 16 // 31


def test_the_new_worker_must_be_free_every_remaining_day(http: Http, scene: dict[str, Any]) -> None:
    order_id = running_month_order(http, scene)
    busy_day = date(2027, 2, 20)
    clash = book(http, customer("赵女士"), scene["visit"], scene["bella"], at(busy_day, "10:00"))
    assert clash.status_code == 201, clash.json
    http.call("POST", f"/v1/orders/{order_id}/term/replacement", {"reason": "x"}, token=scene["alice"].token)
    refused = http.call(
        "POST",
        f"/v1/admin/orders/{order_id}/replace",
        {"worker_id": scene["bella"], "reason": "x"},
        token=_admin(),
    )
    assert (refused.status_code, code(refused)) == (409, "slot_unavailable")
    assert refused.json["error"]["details"][0]["date"] == str(busy_day)
    assert set(_days(scene["bella"]).values()) == {None}
    assert all(owner == order_id for owner in _days(scene["anna"]).values())


def test_early_end_racing_a_replacement(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replacement has checked Bella's days when the customer ends the term: one of them wins."""
    order_id = running_month_order(http, scene)
    http.call("POST", f"/v1/orders/{order_id}/term/replacement", {"reason": "x"}, token=scene["alice"].token)
    real = calendar.check_term
    ended: list[Any] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        answer = real(*args, **kwargs)
        if not ended:
            ended.append(
                http.call(
                    "POST",
                    f"/v1/orders/{order_id}/term/end",
                    {"reason": "不用了"},
                    token=scene["alice"].token,
                )
            )
        return answer

    monkeypatch.setattr(calendar, "check_term", racing)
    replaced = http.call(
        "POST",
        f"/v1/admin/orders/{order_id}/replace",
        {"worker_id": scene["bella"], "reason": "x"},
        token=_admin(),
    )
    [end] = ended
    assert end.status_code == 200, end.json
    assert (replaced.status_code, code(replaced)) == (409, "invalid_status")
    assert set(_days(scene["bella"]).values()) == {None}
    assert _days(scene["anna"]) == expected_calendar(scene["anna"], TERM_START, 31)
    assert end.json["term"]["days"] == 16


def test_replacement_racing_an_early_end(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early end has read the term when staff approve the replacement: one of them wins."""
    order_id = running_month_order(http, scene)
    http.call("POST", f"/v1/orders/{order_id}/term/replacement", {"reason": "x"}, token=scene["alice"].token)
    admin = _admin()
    real = live_in.term_of
    replaced: list[Any] = []
    fired: list[bool] = []

    def racing(order: Any) -> Any:
        answer = real(order)
        if not fired:
            fired.append(True)  # the approval itself reads the term too: race once
            replaced.append(
                http.call(
                    "POST",
                    f"/v1/admin/orders/{order_id}/replace",
                    {"worker_id": scene["bella"], "reason": "x"},
                    token=admin,
                )
            )
        return answer

    monkeypatch.setattr(term_changes.live_in, "term_of", racing)
    end = http.call(
        "POST", f"/v1/orders/{order_id}/term/end", {"reason": "不用了"}, token=scene["alice"].token
    )
    [swap] = replaced
    assert swap.status_code == 200, swap.json
    assert end.status_code == 409
    monkeypatch.setattr(term_changes.live_in, "term_of", real)
    assert _days(scene["bella"]) == expected_calendar(scene["bella"], TERM_START, 31)
    assert [owner for owner in _days(scene["anna"]).values() if owner] == [order_id] * 16
