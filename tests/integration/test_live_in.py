"""Live-in orders (issue 12): a term holds every day of its worker's calendar, atomically."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.events.contracts import OrderEvent
from chalicelib.models.orders import CalendarGuardItem, OrderItem
from chalicelib.orders import payment_port, workflow
from chalicelib.scheduling import calendar
from tests.integration.conftest import Http
from tests.integration.live_in_steps import (
    TERM_START,
    book,
    code,
    customer,
    detail,
    expected_calendar,
    live_in_service,
    live_in_worker,
    term_days_held,
    visit_service,
    visits_on,
)
from tests.integration.scheduling_steps import NOW, at


@pytest.fixture
def scene(aws: dict[str, str]) -> dict[str, Any]:
    clock.freeze(NOW)
    return {
        "term": live_in_service(),
        "month": live_in_service("nanny", "per_month", 800_000),
        "visit": visit_service(),
        "worker": live_in_worker(),
        "alice": customer("王女士"),
        "bob": customer("张先生"),
    }


def slots(http: Http, worker_id: str, service_id: str, day: Any) -> list[Any]:
    answer = http.call("GET", f"/v1/workers/{worker_id}/slots?service_id={service_id}&date={day}")
    assert answer.status_code == 200, answer.json
    return list(answer.json["slots"])


def test_a_term_holds_every_day_and_only_those(http: Http, scene: dict[str, Any]) -> None:
    made = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00"))
    assert made.status_code == 201, made.json
    order = made.json
    assert order["price"]["amount"] == 1_300_000
    assert order["term"]["days"] == 26
    assert order["term"]["start_date"] == TERM_START.isoformat()
    assert order["term"]["last_date"] == (TERM_START + timedelta(days=25)).isoformat()
    assert order["end_at"].startswith((TERM_START + timedelta(days=26)).isoformat() + "T00:00:00")
    held = term_days_held(scene["worker"], TERM_START - timedelta(days=1), 28)
    assert list(held.values()) == [None] + [order["order_id"]] * 26 + [None]
    # another customer: no visit slot on any day of the term, slots again the day after
    for offset in (0, 12, 25):
        day = TERM_START + timedelta(days=offset)
        assert slots(http, scene["worker"], scene["visit"], day) == []
    assert slots(http, scene["worker"], scene["visit"], TERM_START + timedelta(days=26))
    clash = book(
        http, scene["bob"], scene["visit"], scene["worker"], at(TERM_START + timedelta(days=9), "10:00")
    )
    assert (clash.status_code, code(clash), detail(clash)) == (409, "slot_unavailable", "overlaps_job")
    after = book(
        http, scene["bob"], scene["visit"], scene["worker"], at(TERM_START + timedelta(days=26), "10:00")
    )
    assert after.status_code == 201, after.json
    # an overlapping term is refused, naming the first day taken
    overlap = book(
        http, scene["bob"], scene["term"], scene["worker"], at(TERM_START - timedelta(days=5), "09:00")
    )
    assert (overlap.status_code, code(overlap)) == (409, "slot_unavailable")
    assert overlap.json["error"]["details"][0]["date"] == TERM_START.isoformat()
    # a term over a visit is refused too
    over_visit = book(
        http, scene["bob"], scene["month"], scene["worker"], at(TERM_START + timedelta(days=26), "09:00")
    )
    assert (over_visit.status_code, detail(over_visit)) == (409, "overlaps_job")


def test_paid_terms_stay_unpaid_ones_lapse(http: Http, scene: dict[str, Any]) -> None:
    paid = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00")).json
    payment_port.mark_paid(paid["order_id"], "pi_term")
    guard = CalendarGuardItem.get(*CalendarGuardItem.key(scene["worker"], TERM_START.isoformat()))
    assert (guard.term_order, guard.term_hold_until) == (paid["order_id"], None)
    later = TERM_START + timedelta(days=40)
    unpaid = book(http, scene["bob"], scene["month"], scene["worker"], at(later, "09:00")).json
    assert (unpaid["term"]["days"], unpaid["term"]["rest_days"]) == (31, 4)  # 9 Mar to 8 Apr
    clock.advance(timedelta(minutes=16))  # Bob never pays: the hold lapses with no write
    carol = customer("赵女士")
    retaken = book(http, carol, scene["term"], scene["worker"], at(later + timedelta(days=3), "09:00"))
    assert retaken.status_code == 201, retaken.json
    assert payment_port.expire_unpaid(unpaid["order_id"]) is True  # frees only its days still its own
    held = term_days_held(scene["worker"], later, 40)
    assert held == expected_calendar(scene["worker"], later, 40)
    assert held[later.isoformat()] is None
    assert held[(later + timedelta(days=3)).isoformat()] == retaken.json["order_id"]


def test_cancel_frees_exactly_the_term(http: Http, scene: dict[str, Any]) -> None:
    order = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00")).json
    payment_port.mark_paid(order["order_id"], "pi_c")
    cancelled = http.call(
        "POST", f"/v1/orders/{order['order_id']}/cancel", {"reason": "改期"}, token=scene["alice"].token
    )
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["term"]["held_from"] is None
    assert set(term_days_held(scene["worker"], TERM_START, 26).values()) == {None}
    again = book(http, scene["bob"], scene["term"], scene["worker"], at(TERM_START, "09:00"))
    assert again.status_code == 201, again.json


def test_bad_terms_are_422(http: Http, scene: dict[str, Any]) -> None:
    start = at(TERM_START, "09:00")
    too_long = book(http, scene["alice"], scene["month"], scene["worker"], start, months=3)
    assert (too_long.status_code, code(too_long)) == (422, "term_too_long")
    too_wide = book(http, scene["alice"], scene["term"], scene["worker"], start, start_window_days=8)
    assert (too_wide.status_code, code(too_wide)) == (422, "term_too_long")
    months_on_term = book(http, scene["alice"], scene["term"], scene["worker"], start, months=1)
    assert months_on_term.status_code == 422
    window_on_visit = book(
        http, scene["alice"], scene["visit"], scene["worker"], at(TERM_START, "10:00"), months=1
    )
    assert window_on_visit.status_code == 422
    no_worker = book(http, scene["alice"], scene["term"], None, start)
    assert no_worker.status_code == 422
    today = book(http, scene["alice"], scene["term"], scene["worker"], at(NOW.date(), "18:00"))
    assert today.status_code == 422
    assert set(term_days_held(scene["worker"], TERM_START, 26).values()) == {None}


def test_moves_of_a_term_are_refused(http: Http, scene: dict[str, Any]) -> None:
    order = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00")).json
    moved = http.call(
        "POST",
        f"/v1/orders/{order['order_id']}/reschedule",
        {"start_at": at(TERM_START + timedelta(days=2), "09:00").isoformat()},
        token=scene["alice"].token,
    )
    assert (moved.status_code, code(moved)) == (409, "live_in_term")


def _race_inside_check_term(monkeypatch: pytest.MonkeyPatch, rival: Any) -> None:
    """Run ``rival`` once right after the first term check has read the calendar (the race window)."""
    real = calendar.check_term
    fired: list[bool] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        answer = real(*args, **kwargs)
        if not fired:
            fired.append(True)
            rival()
        return answer

    monkeypatch.setattr(calendar, "check_term", racing)


def test_overlapping_terms_raced_one_wins(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rival: list[Any] = []
    _race_inside_check_term(
        monkeypatch,
        lambda: rival.append(
            book(
                http,
                scene["bob"],
                scene["month"],
                scene["worker"],
                at(TERM_START + timedelta(days=20), "09:00"),
            )
        ),
    )
    mine = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00"))
    [theirs] = rival
    assert theirs.status_code == 201, theirs.json  # the rival committed inside the window
    assert (mine.status_code, code(mine)) == (409, "slot_unavailable")  # the guard moved: re-checked
    first = TERM_START - timedelta(days=2)
    assert term_days_held(scene["worker"], first, 60) == expected_calendar(scene["worker"], first, 60)


def test_a_term_raced_by_a_visit_one_wins(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rival: list[Any] = []
    visit_day = TERM_START + timedelta(days=7)
    _race_inside_check_term(
        monkeypatch,
        lambda: rival.append(
            book(http, scene["bob"], scene["visit"], scene["worker"], at(visit_day, "10:00"))
        ),
    )
    mine = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00"))
    [theirs] = rival
    assert theirs.status_code == 201, theirs.json
    assert (mine.status_code, detail(mine)) == (409, "overlaps_job")
    assert visits_on(scene["worker"], visit_day) == [theirs.json["order_id"]]
    assert set(term_days_held(scene["worker"], TERM_START, 26).values()) == {None}


def test_a_visit_raced_by_a_term_one_wins(
    http: Http, scene: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = calendar.check_booking
    rival: list[Any] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        answer = real(*args, **kwargs)
        if not rival:
            rival.append(book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00")))
        return answer

    monkeypatch.setattr(calendar, "check_booking", racing)
    visit_day = TERM_START + timedelta(days=7)
    mine = book(http, scene["bob"], scene["visit"], scene["worker"], at(visit_day, "10:00"))
    [theirs] = rival
    assert theirs.status_code == 201, theirs.json
    assert (mine.status_code, detail(mine)) == (409, "overlaps_job")
    assert visits_on(scene["worker"], visit_day) == []
    assert term_days_held(scene["worker"], TERM_START, 26) == expected_calendar(
        scene["worker"], TERM_START, 26
    )


def test_search_by_date_shows_a_live_in_worker_busy_for_the_whole_term(
    http: Http, scene: dict[str, Any]
) -> None:
    made = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00"))
    assert made.status_code == 201

    def found(day: Any) -> list[str]:
        answer = http.call("GET", f"/v1/workers?category=cleaning&city=上海市&district=浦东新区&date={day}")
        assert answer.status_code == 200, answer.json
        return [item["worker_id"] for item in answer.json["items"]]

    assert scene["worker"] in found(TERM_START - timedelta(days=1))
    assert scene["worker"] not in found(TERM_START)
    assert scene["worker"] not in found(TERM_START + timedelta(days=25))
    assert scene["worker"] in found(TERM_START + timedelta(days=26))


def test_a_deposit_then_the_balance_before_it_is_due_else_cancelled(
    http: Http, scene: dict[str, Any]
) -> None:
    made = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00")).json
    order_id = made["order_id"]
    assert made["deposit"]["deposit"]["amount"] == 390_000  # 30 % of 13,000 CNY
    assert made["deposit"]["balance"]["amount"] == 910_000
    payment_port.mark_paid(order_id, "pi_deposit")
    order = OrderItem.get(*OrderItem.key(order_id))
    event = OrderEvent(order_id=order_id, event="paid", at=clock.now(), by="system")
    kinds = [(timer.kind, timer.due) for timer in workflow.timers_after(event, order, clock.now())]
    due = at(TERM_START - timedelta(days=3), "09:00")
    assert ("balance_reminder", due - timedelta(hours=24)) in kinds and ("balance_expiry", due) in kinds
    # nobody pays the balance: at its due time the order is cancelled under the customer's policy
    clock.advance(due - clock.now())
    [expiry] = [t for t in workflow.timers_after(event, order, NOW) if t.kind == "balance_expiry"]
    workflow.on_timer(expiry, "timer-1")
    token = open_session(scene["alice"].customer_id, "customer").access_token
    cancelled = http.call("GET", f"/v1/orders/{order_id}", token=token).json
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation"]["reason"] == "balance_unpaid"
    # 72 h before a 月嫂 start: inside 168 h, 10 % of what was paid (the deposit) is kept
    assert cancelled["cancellation"]["fee"]["amount"] == 39_000
    assert cancelled["cancellation"]["refund"]["amount"] == 351_000
    assert set(term_days_held(scene["worker"], TERM_START, 26).values()) == {None}
    # a late balance can no longer be paid
    with pytest.raises(Exception) as closed:
        payment_port.mark_balance_paid(order_id, "pi_late_balance")
    assert getattr(closed.value, "code", None) == "invalid_status"


def test_a_declined_term_goes_to_the_pool_and_its_taker_holds_every_day(
    http: Http, scene: dict[str, Any]
) -> None:
    from chalicelib.orders import worker_side

    order_id = book(http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00")).json[
        "order_id"
    ]
    payment_port.mark_paid(order_id, "pi_pool")
    worker_side.decline(order_id, scene["worker"], "家里有事")
    assert set(term_days_held(scene["worker"], TERM_START, 26).values()) == {None}
    other = live_in_worker("周阿姨")
    busy = live_in_worker("吴阿姨")
    visit = book(http, scene["bob"], scene["visit"], busy, at(TERM_START + timedelta(days=3), "10:00"))
    assert visit.status_code == 201
    with pytest.raises(Exception) as refused:
        worker_side.accept(order_id, busy)  # a visit on day 4: she cannot live in
    assert getattr(refused.value, "code", None) == "slot_unavailable"
    taken = worker_side.accept(order_id, other)
    assert (taken.status, taken.worker_id) == ("assigned", other)
    assert term_days_held(other, TERM_START, 26) == expected_calendar(other, TERM_START, 26)
    assert set(term_days_held(other, TERM_START, 26).values()) == {order_id}
    assert set(term_days_held(busy, TERM_START, 26).values()) == {None}
