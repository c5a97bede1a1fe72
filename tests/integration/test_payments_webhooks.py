"""Stripe's webhook over HTTP against moto: forged, stale, future, replayed, duplicate, reordered, unknown.

Payloads are signed with Stripe's own scheme (``stripe.WebhookSignature.generate_signature_header``).
A bad signature is 400 and leaves no trace (no stored event, nothing queued, the order as it was);
a good one is stored, queued and processed once however often and in whatever order it arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import PaymentItem, StripeEventItem
from chalicelib.orders.queries import order_with_timeline
from tests.integration.conftest import Http
from tests.integration.payment_steps import (
    PRICE,
    WEBHOOK_SECRET,
    assert_ledger_balanced,
    book,
    deliver_payment_events,
    faked_stripe,
    intent_of,
    open_shop,
    pay,
    post_webhook,
    signed,
)
from tests.integration.stripe_fake import StripeFake


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


def _queued(urls: dict[str, str]) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=urls["payment-events"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _stored_events() -> list[StripeEventItem]:
    return list(StripeEventItem.scan(StripeEventItem.sk == "EVENT"))


@pytest.fixture
def unpaid(http: Http, aws: dict[str, str], stripe_fake: StripeFake) -> tuple[str, dict[str, Any]]:
    """An order with a card intent that Stripe has just charged (its webhook not yet delivered)."""
    shop = open_shop()
    order_id = book(http, shop)
    assert pay(http, shop, order_id).status_code == 201
    return order_id, stripe_fake.succeed(intent_of(stripe_fake, order_id)["id"])


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong_secret",
        "missing_header",
        "garbled_header",
        "body_changed",
        "stale",
        "future",
        "no_v1_signature",
        "not_utf8",
    ],
)
def test_a_bad_signature_is_refused_and_changes_nothing(
    http: Http, aws: dict[str, str], unpaid: tuple[str, dict[str, Any]], tamper: str
) -> None:
    order_id, intent = unpaid
    payload, header = signed("payment_intent.succeeded", intent)
    sent: str | None = header
    if tamper == "wrong_secret":
        payload, sent = signed("payment_intent.succeeded", intent, secret="whsec_attacker_" + "x" * 24)
    elif tamper == "missing_header":
        sent = None
    elif tamper == "garbled_header":
        sent = "t=soon,v1=abc"
    elif tamper == "body_changed":
        payload = payload.replace(str(PRICE), "1")
    elif tamper == "stale":
        payload, sent = signed(
            "payment_intent.succeeded", intent, at_time=clock.now() - timedelta(seconds=301)
        )
    elif tamper == "future":
        payload, sent = signed(
            "payment_intent.succeeded", intent, at_time=clock.now() + timedelta(seconds=301)
        )
    elif tamper == "no_v1_signature":
        sent = header.replace("v1=", "v0=")
    elif tamper == "not_utf8":
        answer = http.client.http.post(
            "/v1/payments/stripe/webhook",
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
            body=b"\xff\xfe" + payload.encode(),
        )
        assert answer.status_code == 400
        sent = "skip"
    if sent != "skip":
        answer = post_webhook(http, payload, sent)
        assert answer.status_code == 400, answer.json
        assert answer.json["error"]["code"] == "invalid_signature"
    assert _stored_events() == []
    assert _queued(aws) == 0
    assert OrderItem.get(*OrderItem.key(order_id)).status == "pending_payment"


def test_the_signature_window_is_five_minutes_either_way(
    http: Http, api: Client, aws: dict[str, str], unpaid: tuple[str, dict[str, Any]]
) -> None:
    order_id, intent = unpaid
    payload, header = signed("payment_intent.succeeded", intent, at_time=clock.now() + timedelta(seconds=290))
    assert post_webhook(http, payload, header).status_code == 200
    payload, header = signed("payment_intent.succeeded", intent, at_time=clock.now() - timedelta(seconds=290))
    assert post_webhook(http, payload, header).status_code == 200
    deliver_payment_events(api, aws)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "paid"


def test_a_malformed_event_with_a_good_signature_is_refused(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    import stripe

    for body in ("[1, 2]", '{"type": "payment_intent.succeeded"}', "not json", '{"id": "evt_1", "type": 5}'):
        header = stripe.WebhookSignature.generate_signature_header(
            body, WEBHOOK_SECRET, timestamp=int(clock.now().timestamp())
        )
        answer = post_webhook(http, body, header)
        assert (answer.status_code, answer.json["error"]["code"]) == (400, "malformed_event"), body
    assert _stored_events() == []


def test_duplicate_and_replayed_deliveries_are_processed_once(
    http: Http, api: Client, aws: dict[str, str], unpaid: tuple[str, dict[str, Any]]
) -> None:
    order_id, intent = unpaid
    payload, header = signed("payment_intent.succeeded", intent)
    # Stripe retries before our answer reached it: the same delivery twice, both queued
    assert post_webhook(http, payload, header).status_code == 200
    assert post_webhook(http, payload, header).status_code == 200
    deliver_payment_events(api, aws)
    [stored] = _stored_events()
    assert (stored.deliveries, stored.outcome) == (2, "paid")
    # a replay of the processed delivery inside the window is acknowledged but not queued again
    replay = post_webhook(http, payload, header)
    assert replay.status_code == 200 and replay.json["event_id"] == stored.event_id
    assert _queued(aws) == 0
    # the same event signed anew later (Stripe's retry after a day) is still processed only once
    clock.advance(timedelta(days=1))
    resent, resent_header = signed("payment_intent.succeeded", intent, event_id=stored.event_id)
    assert post_webhook(http, resent, resent_header).status_code == 200
    # and an old signature replayed after the window is refused
    assert post_webhook(http, payload, header).status_code == 400
    deliver_payment_events(api, aws)
    order = OrderItem.get(*OrderItem.key(order_id))
    assert order.status == "paid" and order.version == 2  # paid exactly once
    balances = assert_ledger_balanced()
    assert balances[order_id] == {"stripe_balance": PRICE, "customer_prepayments": -PRICE}


def test_the_same_event_in_two_messages_is_processed_once(
    http: Http, api: Client, aws: dict[str, str], unpaid: tuple[str, dict[str, Any]]
) -> None:
    """Two deliveries queued before either is processed, handed to the consumer in one batch."""
    order_id, intent = unpaid
    payload, header = signed("payment_intent.succeeded", intent)
    post_webhook(http, payload, header)
    post_webhook(http, payload, header)
    assert _queued(aws) == 2
    handled = deliver_payment_events(api, aws)
    assert len(handled) == 2
    assert OrderItem.get(*OrderItem.key(order_id)).version == 2
    timeline = order_with_timeline(order_id, show_check_in_code=False).timeline
    assert [entry.event for entry in timeline] == ["created", "paid"]


def test_a_failure_delivered_after_the_success_changes_nothing(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id)
    intent_id = intent_of(stripe_fake, order_id)["id"]
    failed = stripe_fake.fail(intent_id)  # the first try failed...
    succeeded = stripe_fake.succeed(intent_id)  # ...the second went through
    early = clock.now()
    clock.advance(timedelta(seconds=30))
    payload, header = signed("payment_intent.succeeded", succeeded)
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    payload, header = signed("payment_intent.payment_failed", failed, at_time=early)  # arrives late
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "paid"
    assert PaymentItem.get(*PaymentItem.key(order_id)).status == "succeeded"
    outcomes = sorted(str(e.outcome) for e in _stored_events())
    assert outcomes == ["paid", "stale_failure"]


def test_events_for_unknown_intents_and_unknown_types_are_acknowledged_and_ignored(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id)
    stranger = {
        "id": "pi_not_ours",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": PRICE,
        "amount_received": PRICE,
        "currency": "cny",
        "metadata": {},
    }
    forged_metadata = {
        **stranger,
        "id": "pi_other",
        "metadata": {"order_id": order_id, "payment_id": "pay_X"},
    }
    for kind, obj in (
        ("payment_intent.succeeded", stranger),
        ("payment_intent.succeeded", forged_metadata),
        ("payment_intent.payment_failed", stranger),
        ("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_not_ours"}),
        ("customer.created", {"id": "cus_1", "object": "customer"}),
    ):
        payload, header = signed(kind, obj)
        assert post_webhook(http, payload, header).status_code == 200
    deliver_payment_events(api, aws)
    outcomes = sorted(str(e.outcome) for e in _stored_events())
    assert outcomes == ["ignored", "unknown_intent", "unknown_intent", "unknown_intent", "unknown_intent"]
    assert OrderItem.get(*OrderItem.key(order_id)).status == "pending_payment"
    assert assert_ledger_balanced() == {}
    assert all(json.loads(e.payload)["id"] == e.event_id for e in _stored_events())  # stored raw
