"""The order workflow end to end in process: outbox relay → bus → queues → consumers → timers.

The API acts as the apps do; :class:`Pump` then runs what Lambda, EventBridge and Scheduler run
(on moto), and the clock is advanced instead of waiting, as ``POST /v1/dev/clock`` does locally.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.models.accounts import OutboxItem
from chalicelib.models.orders import OfferItem, OrderItem
from chalicelib.orders import matching, payment_port
from chalicelib.orders.workflow import SETTINGS
from chalicelib.scheduling.availability import set_availability
from chalicelib.settings.current import current_settings
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import (
    NOW,
    PEOPLES_SQUARE,
    account,
    address,
    at,
    every_day,
    service,
    worker,
)
from tests.integration.workflow_pump import Pump

TOMORROW = NOW.date() + timedelta(days=1)
START = at(TOMORROW, "10:00")
MINHANG = {"city": "上海市", "district": "闵行区"}


@pytest.fixture
def pump(aws: dict[str, str]) -> Pump:
    clock.freeze(NOW)
    return Pump(aws)


def _worker(name: str, rating: float = 4.5, **options: Any) -> tuple[str, str]:
    worker_id = worker(name=name, ratings=(10, rating), **options)
    set_availability(worker_id, every_day([["08:00", "18:00"]]), [])
    return worker_id, open_session(worker_id, "worker").access_token


def _book(http: Http, token: str, customer_id: str, worker_id: str | None = None) -> str:
    body = {
        "service_id": service(),
        "address_id": address(customer_id, *PEOPLES_SQUARE),
        "start_at": START.isoformat(),
    }
    if worker_id:
        body["worker_id"] = worker_id
    made = http.call("POST", "/v1/orders", body, token=token)
    assert made.status_code == 201, made.json
    return str(made.json["order_id"])


def _fresh(user_id: str, role: str = "customer") -> str:
    """A token valid at the (moved) clock: access tokens last 15 minutes."""
    return open_session(user_id, role).access_token


def _inbox(http: Http, user_id: str, role: str = "customer") -> list[str]:
    listed = http.call("GET", "/v1/me/notifications?limit=50", token=_fresh(user_id, role))
    assert listed.status_code == 200, listed.json
    return [entry["kind"] for entry in listed.json["items"]]


def _timeline(http: Http, customer_id: str, order_id: str) -> list[str]:
    got = http.call("GET", f"/v1/orders/{order_id}", token=_fresh(customer_id))
    assert got.status_code == 200, got.json
    return [entry["event"] for entry in got.json["timeline"]]


def _kinds(pump: Pump) -> list[str]:
    """The kinds of the schedules waiting (names are ``<order id>-<kind>-<hash>``)."""
    return sorted(schedule["Name"].split("-", 1)[1].rsplit("-", 1)[0] for schedule in pump.schedules())


def test_an_unpaid_order_expires_at_pay_by_and_the_customer_is_told(http: Http, pump: Pump) -> None:
    customer_id, token = account("customer")
    alice, _ = _worker("李阿姨")
    order_id = _book(http, token, customer_id, alice)
    pump.run()
    [expiry] = pump.schedules()
    assert expiry["ScheduleExpression"] == "at(2027-01-18T09:15:00)"
    assert expiry["ScheduleExpressionTimezone"] == "Asia/Shanghai"

    clock.advance(timedelta(minutes=14))
    assert pump.fire_due_timers() == []
    clock.advance(timedelta(minutes=2))
    assert len(pump.fire_due_timers()) == 1
    order = OrderItem.get(*OrderItem.key(order_id))
    assert (order.status, order.cancel_reason, order.reservation_sk) == ("cancelled", "payment_timeout", None)
    assert _timeline(http, customer_id, order_id) == ["created", "expired"]
    assert _inbox(http, customer_id) == ["order_expired"]
    assert pump.schedules() == []  # the schedule deleted itself after firing


def test_a_pool_order_is_offered_to_the_best_rated_free_workers_then_wider_then_refunded(
    http: Http, pump: Pump
) -> None:
    customer_id, token = account("customer")
    district = [_worker(f"浦东{n}", rating=4.0 + n / 10) for n in range(5)]  # best: 浦东4, 浦东3, 浦东2
    busy, _ = _worker("忙阿姨", rating=5.0)
    city, _ = _worker("闵行阿姨", rating=4.9, areas=(MINHANG,))
    from tests.integration.scheduling_steps import reserve

    reserve(busy, START, 120)
    order_id = _book(http, token, customer_id)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    pump.run()

    offered = {
        item.worker_id: int(item.round)
        for item in OfferItem.query(f"ORDER#{order_id}", OfferItem.sk.startswith("OFFER#"))
    }
    best = [worker_id for worker_id, _ in reversed(district[2:])]
    assert offered == dict.fromkeys(best, 0)  # the busy 5-star worker is not asked
    for worker_id in best:
        assert _inbox(http, worker_id, "worker") == ["order_offered"]
    texts = _texts()
    assert sum("附近有新的" in text for text in texts) == 3

    clock.advance(timedelta(minutes=matching.rounds()[0].minutes))
    pump.fire_due_timers()
    offered = {
        item.worker_id: int(item.round)
        for item in OfferItem.query(f"ORDER#{order_id}", OfferItem.sk.startswith("OFFER#"))
    }
    assert {w for w, r in offered.items() if r == 1} == {district[0][0], district[1][0]}
    assert city not in offered  # she does not serve the order's district

    for following in matching.rounds()[1:]:  # nobody left to ask: the last round runs out
        clock.advance(timedelta(minutes=following.minutes))
        pump.fire_due_timers()
    order = OrderItem.get(*OrderItem.key(order_id))
    assert (order.status, order.cancelled_by, order.refund_amount) == (
        "cancelled",
        "system",
        order.price_amount,
    )
    assert "order_cancelled" in _inbox(http, customer_id)


def _texts() -> list[str]:
    """The bodies of the SMS/e-mails the notifications consumer sent (the pump runs it)."""
    return [str(item.body) for item in OutboxItem.query("OUTBOX")]


def _sent() -> int:
    return len(_texts())


def test_an_accepted_job_gets_reminders_and_a_not_arrived_alert(http: Http, pump: Pump) -> None:
    customer_id, token = account("customer")
    alice, alice_token = _worker("李阿姨")
    order_id = _book(http, token, customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    pump.run()
    assert _inbox(http, alice, "worker") == ["order_chosen"]
    accepted = http.call("POST", f"/v1/worker/orders/{order_id}/accept", token=alice_token)
    assert accepted.status_code == 200, accepted.json
    pump.run()
    assert _inbox(http, customer_id) == ["order_accepted"]
    # no payment expiry (the order was paid when ``created`` was handled), the outgrown acceptance
    # timeout, and the job's: reminders 24 h (today 10:00) and 2 h before, the not-arrived alert
    assert _kinds(pump) == ["acceptance-timeout", "not-arrived", "reminder", "reminder"]

    clock.freeze(START - timedelta(hours=2))
    pump.fire_due_timers()
    assert (
        _inbox(http, customer_id)[0] == "order_reminder"
        and _inbox(http, alice, "worker")[0] == "order_reminder"
    )

    clock.freeze(START + timedelta(minutes=SETTINGS.not_arrived_minutes))
    pump.fire_due_timers()
    assert _inbox(http, customer_id)[0] == "order_not_arrived_customer"
    assert _inbox(http, alice, "worker")[0] == "order_not_arrived_worker"
    assert _timeline(http, customer_id, order_id)[-1] == "worker_late"
    assert OrderItem.get(*OrderItem.key(order_id)).status == "assigned"  # an alert, not a change


def test_a_reminder_for_a_moved_start_stays_silent(http: Http, pump: Pump) -> None:
    customer_id, token = account("customer")
    alice, alice_token = _worker("李阿姨")
    order_id = _book(http, token, customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    assert http.call("POST", f"/v1/worker/orders/{order_id}/accept", token=alice_token).status_code == 200
    pump.run()
    moved = http.call(
        "POST",
        f"/v1/orders/{order_id}/reschedule",
        {"start_at": (START + timedelta(hours=4)).isoformat()},
        token=token,
    )
    assert moved.status_code == 200, moved.json
    pump.run()
    clock.freeze(START - timedelta(hours=2))
    # due by now: both reminders of the old start (silent: the order moved on) and the new
    # start's 24 h one
    pump.fire_due_timers()
    assert _inbox(http, customer_id).count("order_reminder") == 1
    clock.freeze(START + timedelta(hours=2))
    pump.fire_due_timers()  # the new start's 2 h reminder
    assert _inbox(http, customer_id).count("order_reminder") == 2


def test_a_chosen_worker_who_lets_the_time_run_out_sends_the_order_to_the_pool(
    http: Http, pump: Pump
) -> None:
    customer_id, token = account("customer")
    alice, _ = _worker("李阿姨")
    bella, _ = _worker("王阿姨")
    order_id = _book(http, token, customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    pump.run()
    clock.advance(timedelta(minutes=current_settings().acceptance_timeout_minutes))
    pump.fire_due_timers()
    order = OrderItem.get(*OrderItem.key(order_id))
    assert (order.status, order.worker_id, order.reservation_sk) == ("paid", None, None)
    assert _timeline(http, customer_id, order_id)[-1] == "declined"
    assert "order_declined" in _inbox(http, customer_id)
    assert _inbox(http, bella, "worker") == ["order_offered"]


def test_progress_reaches_the_customers_inbox_through_the_events(http: Http, pump: Pump) -> None:
    customer_id, token = account("customer")
    alice, alice_token = _worker("李阿姨")
    order_id = _book(http, token, customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    assert http.call("POST", f"/v1/worker/orders/{order_id}/accept", token=alice_token).status_code == 200
    clock.advance(timedelta(minutes=1))
    departed = http.call(
        "POST", f"/v1/worker/orders/{order_id}/progress", {"event": "departed"}, token=alice_token
    )
    assert departed.status_code == 200, departed.json
    assert "order_departed" not in _inbox(http, customer_id)  # not before the event is consumed
    pump.run()
    assert _inbox(http, customer_id)[0] == "order_departed"


def test_relaying_the_same_events_again_changes_nothing(http: Http, pump: Pump, aws: dict[str, str]) -> None:
    customer_id, token = account("customer")
    alice, _alice_token = _worker("李阿姨")
    order_id = _book(http, token, customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    pump.run()
    before = (_inbox(http, alice, "worker"), _kinds(pump), _sent())
    assert before[2] == 1  # the SMS asking her to accept
    replay = Pump(aws)  # a fresh relay reads the stream from its start: every event again
    assert replay.run() > 0
    assert (_inbox(http, alice, "worker"), _kinds(pump), _sent()) == before


def _work_through(http: Http, order_id: str, customer_id: str, worker_token: str) -> None:
    """Accept, go, arrive, start with the check-in code, finish: as the worker's app does."""
    code = http.call("GET", f"/v1/orders/{order_id}", token=_fresh(customer_id)).json["check_in_code"]
    steps: list[tuple[str, dict[str, Any] | None]] = [
        ("accept", None),
        ("progress", {"event": "departed"}),
        ("progress", {"event": "arrived", "lat": PEOPLES_SQUARE[0], "lng": PEOPLES_SQUARE[1]}),
        ("progress", {"event": "started", "check_in_code": code}),
        ("progress", {"event": "finished", "note": "厨房和卫生间已清洁"}),
    ]
    for action, body in steps:
        done = http.call("POST", f"/v1/worker/orders/{order_id}/{action}", body, token=worker_token)
        assert done.status_code == 200, done.json


def test_a_finished_job_completes_by_itself_then_the_customer_is_asked_for_a_review(
    http: Http, pump: Pump
) -> None:
    customer_id, _ = account("customer")
    alice, _alice_token = _worker("李阿姨")
    order_id = _book(http, _fresh(customer_id), customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    clock.freeze(START)
    _work_through(http, order_id, customer_id, _fresh(alice, "worker"))
    pump.run()
    assert "order_finished" in _inbox(http, customer_id)

    clock.advance(timedelta(hours=SETTINGS.auto_complete_hours) - timedelta(minutes=1))
    pump.fire_due_timers()
    assert OrderItem.get(*OrderItem.key(order_id)).status == "finished"
    clock.advance(timedelta(minutes=1))
    pump.fire_due_timers()
    assert OrderItem.get(*OrderItem.key(order_id)).status == "completed"
    assert _timeline(http, customer_id, order_id)[-2:] == ["finished", "completed"]

    clock.advance(timedelta(hours=SETTINGS.review_request_hours))
    pump.fire_due_timers()
    assert _inbox(http, customer_id)[0] == "order_review_request"


def test_a_confirmed_job_outgrows_its_auto_complete_and_a_reviewed_one_gets_no_request(
    http: Http, pump: Pump
) -> None:
    customer_id, _ = account("customer")
    alice, _ = _worker("李阿姨")
    order_id = _book(http, _fresh(customer_id), customer_id, alice)
    payment_port.mark_paid(order_id, f"pi_{order_id}")
    clock.freeze(START)
    _work_through(http, order_id, customer_id, _fresh(alice, "worker"))
    pump.run()
    confirmed = http.call("POST", f"/v1/orders/{order_id}/confirm", token=_fresh(customer_id))
    assert confirmed.status_code == 200, confirmed.json
    review = {"quality": 5, "attitude": 5, "skill": 4, "comment": "很仔细"}
    assert (
        http.call("POST", f"/v1/orders/{order_id}/review", review, token=_fresh(customer_id)).status_code
        == 201
    )
    pump.run()
    clock.advance(timedelta(hours=SETTINGS.auto_complete_hours + SETTINGS.review_request_hours))
    pump.fire_due_timers()
    assert _timeline(http, customer_id, order_id).count("completed") == 1
    assert "order_review_request" not in _inbox(http, customer_id)
