"""The order workflow's pure rules: which timers an event sets, and how timers are named."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.events.contracts import OrderEvent, OrderTimer
from chalicelib.models.orders import OrderItem
from chalicelib.orders import matching
from chalicelib.orders.timers import schedule_name, timer_id
from chalicelib.orders.workflow import SETTINGS, timers_after
from chalicelib.settings.current import current_settings

NOW = datetime(2027, 1, 18, 9, 0, tzinfo=clock.SHANGHAI)
START = datetime(2027, 1, 20, 10, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture(autouse=True)
def frozen() -> None:
    clock.freeze(NOW)
    yield
    clock.reset()


def _order(status: str, worker_id: str | None = "usr_w", start: datetime = START) -> OrderItem:
    return OrderItem(
        *OrderItem.key("ord_1"),
        order_id="ord_1",
        customer_id="usr_c",
        worker_id=worker_id,
        status=status,
        start_at=clock.iso(start),
        pay_by=clock.iso(NOW + timedelta(minutes=15)),
    )


def _event(name: str, at: datetime = NOW) -> OrderEvent:
    return OrderEvent(order_id="ord_1", event=name, at=at, by="usr_c")


def _plan(name: str, order: OrderItem, at: datetime = NOW) -> list[tuple[str, datetime, str]]:
    return [(t.kind, t.due, t.basis) for t in timers_after(_event(name, at), order, at)]


def test_an_unpaid_order_gets_its_expiry_at_pay_by() -> None:
    assert _plan("created", _order("pending_payment")) == [
        ("payment_expiry", NOW + timedelta(minutes=15), "")
    ]
    assert _plan("created", _order("paid")) == []  # paid before the event was handled


def test_a_chosen_worker_has_an_hour_to_accept_a_pool_order_a_round() -> None:
    assert _plan("paid", _order("paid")) == [
        (
            "acceptance_timeout",
            NOW + timedelta(minutes=current_settings().acceptance_timeout_minutes),
            "chosen",
        )
    ]
    assert _plan("paid", _order("paid", worker_id=None)) == [
        ("acceptance_timeout", NOW + timedelta(minutes=matching.rounds()[0].minutes), "round-0")
    ]
    assert _plan("declined", _order("paid", worker_id=None))[0][2] == "round-0"


def test_acceptance_is_settled_before_a_start_that_is_close() -> None:
    soon = NOW + timedelta(minutes=90)
    [(_, due, _)] = _plan("paid", _order("paid", start=soon))
    assert due == soon - timedelta(minutes=SETTINGS.accept_lead_minutes)
    [(_, due, _)] = _plan("paid", _order("paid", start=NOW + timedelta(minutes=30)))
    assert due == NOW  # already inside the lead: decide at once


def test_an_accepted_job_gets_reminders_still_ahead_and_the_not_arrived_alert() -> None:
    plan = _plan("accepted", _order("assigned"))
    assert [(kind, due) for kind, due, _ in plan] == [
        ("reminder", START - timedelta(hours=24)),
        ("reminder", START - timedelta(hours=2)),
        ("not_arrived", START + timedelta(minutes=SETTINGS.not_arrived_minutes)),
    ]
    tomorrow_early = NOW + timedelta(hours=20)
    kinds = [kind for kind, _, _ in _plan("accepted", _order("assigned", start=tomorrow_early))]
    assert kinds == ["reminder", "not_arrived"]  # 24 h before has passed


def test_a_moved_job_gets_timers_keyed_on_its_new_start() -> None:
    moved = START + timedelta(hours=3)
    plan = _plan("rescheduled", _order("assigned", start=moved))
    assert {basis.split("|")[0] for _, _, basis in plan} == {clock.iso(moved)}


def test_finished_and_completed_set_the_auto_complete_and_the_review_request() -> None:
    done = START + timedelta(hours=2)
    assert _plan("finished", _order("finished"), done) == [
        ("auto_complete", done + timedelta(hours=SETTINGS.auto_complete_hours), clock.iso(done))
    ]
    assert _plan("completed", _order("completed"), done) == [
        ("review_request", done + timedelta(hours=SETTINGS.review_request_hours), "")
    ]


@pytest.mark.parametrize("event", ["cancelled", "expired", "departed", "arrived", "started", "refunded"])
def test_other_events_set_no_timer(event: str) -> None:
    assert _plan(event, _order("assigned")) == []


def test_timer_names_fit_scheduler_and_tell_timers_apart() -> None:
    one = OrderTimer(
        order_id="ord_01JD8X0000000000000000000", kind="acceptance_timeout", due=NOW, basis="round-0"
    )
    other = one.model_copy(update={"basis": "round-1"})
    name = schedule_name(one)
    assert len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name)
    assert name.startswith("ord_01JD8X0000000000000000000-acceptance-timeout-")
    assert schedule_name(other) != name and timer_id(other) != timer_id(one)
    assert schedule_name(one.model_copy()) == name and timer_id(one.model_copy()) == timer_id(one)
