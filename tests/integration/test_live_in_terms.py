"""Live-in terms after booking (issue 12): a start window confirmed later, an early end with its
pro-rata refund through the payments' refund path and ledger, and extensions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.events.contracts import OrderEvent
from chalicelib.orders import payment_port, workflow
from chalicelib.orders.terms import pro_rata_refund
from chalicelib.payments import ledger, refunds
from tests.integration.conftest import Http
from tests.integration.live_in_steps import (
    TERM_START,
    book,
    code,
    customer,
    expected_calendar,
    live_in_service,
    live_in_worker,
    term_days_held,
    visit_service,
)
from tests.integration.payment_steps import (
    Shop,
    assert_ledger_balanced,
    deliver_payment_events,
    faked_stripe,
    paid_order,
    pay,
    post_webhook,
    signed,
)
from tests.integration.scheduling_steps import NOW, at
from tests.integration.stripe_fake import StripeFake

PRICE = 1_300_000


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


@pytest.fixture
def scene(aws: dict[str, str]) -> dict[str, Any]:
    clock.freeze(NOW)
    return {
        "term": live_in_service(price=PRICE),
        "month": live_in_service("nanny", "per_month", 800_000),
        "visit": visit_service(),
        "worker": live_in_worker(),
        "alice": customer("王女士"),
        "bob": customer("张先生"),
    }


def test_a_window_holds_every_possible_day_until_the_start_is_confirmed(
    http: Http, scene: dict[str, Any]
) -> None:
    made = book(
        http, scene["alice"], scene["term"], scene["worker"], at(TERM_START, "09:00"), start_window_days=3
    )
    assert made.status_code == 201, made.json
    order = made.json
    assert order["term"]["earliest_start"] == (TERM_START - timedelta(days=3)).isoformat()
    assert order["term"]["held_to"] == (TERM_START + timedelta(days=28)).isoformat()
    first = TERM_START - timedelta(days=4)
    held = term_days_held(scene["worker"], first, 34)
    assert list(held.values()) == [None] + [order["order_id"]] * 32 + [None]
    path = f"/v1/orders/{order['order_id']}/term/start"
    outside = http.call(
        "POST", path, {"start_date": str(TERM_START + timedelta(days=4))}, token=scene["alice"].token
    )
    assert outside.status_code == 422 and outside.json["error"]["details"][0]["code"] == "outside_window"
    foreign = http.call("POST", path, {"start_date": str(TERM_START)}, token=scene["bob"].token)
    assert foreign.status_code == 404
    baby_late = TERM_START + timedelta(days=2)
    confirmed = http.call("POST", path, {"start_date": str(baby_late)}, token=scene["alice"].token)
    assert confirmed.status_code == 200, confirmed.json
    term = confirmed.json["term"]
    assert (term["start_date"], term["window_days"], term["days"]) == (str(baby_late), 0, 26)
    assert confirmed.json["start_at"].startswith(f"{baby_late}T09:00:00")
    held = term_days_held(scene["worker"], first, 34)
    assert held == expected_calendar(scene["worker"], first, 34)
    assert [day for day, owner in held.items() if owner] == [
        str(baby_late + timedelta(days=offset)) for offset in range(26)
    ]
    again = http.call("POST", path, {"start_date": str(baby_late)}, token=scene["alice"].token)
    assert (again.status_code, code(again)) == (409, "start_confirmed")
    # the freed days of the window can be booked by someone else at once
    freed_day = TERM_START - timedelta(days=3)
    visit = book(http, scene["bob"], scene["visit"], scene["worker"], at(freed_day, "10:00"))
    assert visit.status_code == 201, visit.json


def _renew(*people: Any) -> None:
    for person in people:
        person.token = open_session(person.customer_id, "customer").access_token


def test_end_early_refunds_the_days_not_served_pro_rata(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, scene: dict[str, Any]
) -> None:
    alice = scene["alice"]
    shop = Shop(alice.customer_id, alice.token, alice.address_id, scene["worker"], scene["term"])
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop, start=at(TERM_START, "09:00"))
    # the deposit paid the order; the balance is a second payment through the same path
    deposit = http.call("GET", f"/v1/orders/{order_id}", token=alice.token).json["deposit"]
    assert (deposit["deposit"]["amount"], deposit["balance"]["amount"]) == (390_000, 910_000)
    assert deposit["deposit_paid"] and deposit["balance_paid_at"] is None
    assert deposit["balance_due_at"].startswith(f"{TERM_START - timedelta(days=3)}T09:00:00")
    balance = pay(http, shop, order_id)
    assert balance.status_code == 201, balance.json
    assert balance.json["amount"]["amount"] == 910_000
    [intent_id] = [
        str(intent["id"])
        for intent in stripe_fake.intents.values()
        if intent["metadata"].get("order_id") == order_id and intent["status"] != "succeeded"
    ]
    payload, header = signed("payment_intent.succeeded", stripe_fake.succeed(intent_id))
    assert post_webhook(http, payload, header).status_code == 200
    deliver_payment_events(api, aws)
    paid = http.call("GET", f"/v1/orders/{order_id}", token=alice.token).json
    assert paid["deposit"]["balance_paid_at"] is not None
    assert assert_ledger_balanced()[order_id]["stripe_balance"] == PRICE
    clock.advance(timedelta(days=10 + 12))  # the 13th day of the term
    _renew(alice, scene["bob"])
    today = clock.now().date()
    assert today == TERM_START + timedelta(days=12)
    path = f"/v1/orders/{order_id}/term/end"
    past = http.call(
        "POST", path, {"last_date": str(today - timedelta(days=1)), "reason": "x"}, token=alice.token
    )
    assert past.status_code == 422
    ended = http.call("POST", path, {"reason": "宝宝由老人照看"}, token=alice.token)
    assert ended.status_code == 200, ended.json
    term = ended.json["term"]
    assert (term["days"], term["last_date"], term["held_to"]) == (13, str(today), str(today))
    refund = pro_rata_refund(PRICE, 26, 13)
    assert refund == 650_000
    held = term_days_held(scene["worker"], TERM_START, 26)
    assert list(held.values()) == [order_id] * 13 + [None] * 13
    # the event's consumer pays the refund once, however often it is delivered
    event = OrderEvent(order_id=order_id, event="term_ended_early", at=clock.now(), by=alice.customer_id)
    workflow.on_event(event, "evt-end-1")
    workflow.on_event(event, "evt-end-2")  # a redelivery under another id: nothing more
    again = refunds.refund_early_end(order_id)
    assert (again.outcome, again.amount) == ("already_refunded", refund)
    # it comes back from the balance's payment first (it alone covers it)
    [claim] = [item for item in refunds.refunds_of(order_id) if item.purpose.startswith("early_end")]
    assert (claim.purpose, claim.intent_id, int(claim.amount)) == ("early_end#balance", intent_id, refund)
    assert stripe_fake.refunds and sum(r["amount"] for r in stripe_fake.refunds.values()) == refund
    accounts = assert_ledger_balanced()[order_id]
    assert accounts["stripe_balance"] == PRICE - refund
    assert accounts["customer_prepayments"] == -(PRICE - refund)
    # ending again (or ending a term that is over) is refused; the freed days are bookable
    tomorrow = today + timedelta(days=1)
    assert book(http, scene["bob"], scene["visit"], scene["worker"], at(tomorrow, "10:00")).status_code == 201
    view = ledger.entries_of(order_id)
    assert view.balance == 0


def test_extend_takes_the_next_days_or_409(http: Http, scene: dict[str, Any]) -> None:
    alice, bob = scene["alice"], scene["bob"]
    order = book(http, alice, scene["term"], scene["worker"], at(TERM_START, "09:00")).json
    payment_port.mark_paid(order["order_id"], "pi_ext")
    # Bob books a visit on the 3rd day after the term: extending by 5 days runs into it
    after = TERM_START + timedelta(days=26)
    clash_day = after + timedelta(days=2)
    assert book(http, bob, scene["visit"], scene["worker"], at(clash_day, "10:00")).status_code == 201
    path = f"/v1/orders/{order['order_id']}/term/extend"
    into_held = http.call("POST", path, {"days": 5}, token=alice.token)
    assert (into_held.status_code, code(into_held)) == (409, "slot_unavailable")
    assert into_held.json["error"]["details"][0]["date"] == str(clash_day)
    too_long = http.call("POST", path, {"days": 100}, token=alice.token)
    assert (too_long.status_code, code(too_long)) == (422, "term_too_long")
    wrong_unit = http.call("POST", path, {"months": 1}, token=alice.token)
    assert wrong_unit.status_code == 422
    extended = http.call("POST", path, {"days": 2}, token=alice.token, **{"Idempotency-Key": "ext-1"})
    assert extended.status_code == 201, extended.json
    follow = extended.json
    assert (follow["term"]["start_date"], follow["term"]["days"]) == (str(after), 2)
    assert follow["price"]["amount"] == 100_000  # 2 of 26 days of 13,000 CNY
    assert follow["status"] == "pending_payment"
    replay = http.call("POST", path, {"days": 2}, token=alice.token, **{"Idempotency-Key": "ext-1"})
    assert replay.json["order_id"] == follow["order_id"]
    first = TERM_START
    assert term_days_held(scene["worker"], first, 30) == expected_calendar(scene["worker"], first, 30)
