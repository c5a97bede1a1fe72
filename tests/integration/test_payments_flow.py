"""Paying an order over HTTP against moto, with the real Stripe library talking to its fake.

Card, Alipay and WeChat Pay intents; one intent per attempt however often the app asks; who may
pay; which orders cannot be paid; ``Idempotency-Key``; switching methods; the webhook that makes
the order ``paid`` with its charge in the ledger, in the timeline and on ``GET …/payment``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import IntentItem, PaymentItem
from chalicelib.payments.intents import intent_key
from tests.integration.conftest import Http
from tests.integration.payment_steps import (
    PRICE,
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
from tests.integration.scheduling_steps import account
from tests.integration.stripe_fake import StripeFake


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


def _paid(http: Http, urls: dict[str, str], api: Client, fake: StripeFake, order_id: str) -> None:
    payload, header = signed("payment_intent.succeeded", fake.succeed(intent_of(fake, order_id)["id"]))
    assert post_webhook(http, payload, header).status_code == 200
    deliver_payment_events(api, urls)


def test_card_intent_is_created_once_and_the_webhook_pays_the_order(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    first = pay(http, shop, order_id, "card")
    assert first.status_code == 201, first.json
    body = first.json
    assert body["provider"] == "stripe" and body["method"] == "card"
    assert body["status"] == "requires_payment_method"
    assert body["client_secret"].startswith("pi_") and body["next_action"] is None
    assert body["amount"] == {"amount": PRICE, "currency": "CNY"}
    [intent] = stripe_fake.intents.values()
    assert (intent["amount"], intent["currency"]) == (PRICE, "cny")
    assert intent["metadata"] == {
        "order_id": order_id,
        "payment_id": body["payment_id"],
        "attempt": "1",
        "customer_id": shop.customer_id,
    }
    # a second call (the app retrying) returns the same intent: the same key, replayed by Stripe
    second = pay(http, shop, order_id, "card")
    assert second.status_code == 201
    assert (second.json["payment_id"], second.json["client_secret"]) == (
        body["payment_id"],
        body["client_secret"],
    )
    assert len(stripe_fake.intents) == 1
    assert {key for _, _, key in stripe_fake.posts("/v1/payment_intents")} == {intent_key(order_id, 1)}

    _paid(http, aws, api, stripe_fake, order_id)
    order = http.call("GET", f"/v1/orders/{order_id}", token=shop.token).json
    assert order["status"] == "paid"
    paid_event = [entry for entry in order["timeline"] if entry["event"] == "paid"]
    assert paid_event and paid_event[0]["details"] == {"payment_ref": intent["id"]}
    seen = http.call("GET", f"/v1/orders/{order_id}/payment", token=shop.token)
    assert seen.status_code == 200
    assert seen.json["payment"]["status"] == "succeeded" and seen.json["payment"]["client_secret"] is None
    assert seen.json["refunds"] == []
    balances = assert_ledger_balanced()
    assert balances[order_id] == {"stripe_balance": PRICE, "customer_prepayments": -PRICE}
    # paid: a third call is refused, and nothing new is created at Stripe
    again = pay(http, shop, order_id, "card")
    assert (again.status_code, again.json["error"]["code"]) == (409, "already_paid")
    assert len(stripe_fake.intents) == 1


def test_alipay_and_wechat_pay_answer_with_the_next_action(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    alipay_order = book(http, shop)
    alipay = pay(http, shop, alipay_order, "alipay")
    assert alipay.status_code == 201, alipay.json
    assert alipay.json["status"] == "requires_action"
    assert alipay.json["next_action"]["type"] == "alipay_handle_redirect"
    assert alipay.json["next_action"]["alipay_handle_redirect"]["url"].startswith("https://")
    sent = intent_of(stripe_fake, alipay_order)
    assert sent["payment_method_types"] == ["alipay"]

    wechat_order = book(http, shop, clock.now() + timedelta(days=4, hours=2))
    wechat = pay(http, shop, wechat_order, "wechat_pay")
    assert wechat.status_code == 201, wechat.json
    qr = wechat.json["next_action"]["wechat_pay_display_qr_code"]
    assert qr["data"].startswith("weixin://")
    assert intent_of(stripe_fake, wechat_order)["payment_method_options"] == {"wechat_pay": {"client": "web"}}


def test_only_the_orders_customer_may_pay_it(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    _, stranger = account("customer", "张先生")
    other = http.call("POST", f"/v1/orders/{order_id}/pay", {"method": "card"}, token=stranger)
    assert other.status_code == 404
    _, worker_token = account("worker", "李阿姨")
    assert (
        http.call("POST", f"/v1/orders/{order_id}/pay", {"method": "card"}, token=worker_token).status_code
        == 403
    )
    assert http.call("POST", f"/v1/orders/{order_id}/pay", {"method": "card"}).status_code == 401
    assert (
        http.call("POST", "/v1/orders/ord_NOPE/pay", {"method": "card"}, token=shop.token).status_code == 404
    )
    bad = http.call("POST", f"/v1/orders/{order_id}/pay", {"method": "paypal"}, token=shop.token)
    assert bad.status_code == 422
    assert http.call("GET", f"/v1/orders/{order_id}/payment", token=stranger).status_code == 404
    assert stripe_fake.intents == {}


def test_cancelled_and_expired_orders_cannot_be_paid(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    cancelled = book(http, shop)
    assert (
        http.call(
            "POST", f"/v1/orders/{cancelled}/cancel", {"reason": "不需要了"}, token=shop.token
        ).status_code
        == 200
    )
    refused = pay(http, shop, cancelled)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "invalid_status")

    expiring = book(http, shop, clock.now() + timedelta(days=4, hours=4))
    clock.advance(timedelta(minutes=16))
    from chalicelib.accounts.sessions import open_session

    shop.token = open_session(shop.customer_id, "customer").access_token
    late = pay(http, shop, expiring)
    assert (late.status_code, late.json["error"]["code"]) == (409, "payment_window_closed")
    assert stripe_fake.intents == {}


def test_idempotency_key_replays_the_first_answer(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    first = pay(http, shop, order_id, "card", **{"Idempotency-Key": "pay-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    replay = pay(http, shop, order_id, "card", **{"Idempotency-Key": "pay-1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == first.json
    assert len(stripe_fake.posts("/v1/payment_intents")) == 1  # the replay did not even ask Stripe
    other_body = pay(http, shop, order_id, "alipay", **{"Idempotency-Key": "pay-1"})
    assert (other_body.status_code, other_body.json["error"]["code"]) == (422, "idempotency_key_reused")
    bad_key = pay(http, shop, order_id, "card", **{"Idempotency-Key": "no spaces allowed"})
    assert bad_key.status_code == 422


def test_switching_method_cancels_the_first_intent(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    card = pay(http, shop, order_id, "card").json
    wechat = pay(http, shop, order_id, "wechat_pay")
    assert wechat.status_code == 201, wechat.json
    assert wechat.json["payment_id"] != card["payment_id"]
    statuses = sorted((i["payment_method_types"][0], i["status"]) for i in stripe_fake.intents.values())
    assert statuses == [("card", "canceled"), ("wechat_pay", "requires_action")]
    payment = PaymentItem.get(*PaymentItem.key(order_id))
    assert (payment.attempt, payment.method) == (2, "wechat_pay")
    assert [a["status"] for a in payment.attempts] == ["canceled"]
    # the old payment id no longer reaches a payment; the new one does
    assert pay(http, shop, order_id, "wechat_pay").json["payment_id"] == wechat.json["payment_id"]
    _paid(http, aws, api, stripe_fake, order_id)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "paid"
    assert IntentItem.get(*IntentItem.key(intent_of(stripe_fake, order_id)["id"])).attempt == 2


def test_switching_method_while_the_first_is_being_paid_is_refused(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id, "card")
    intent = intent_of(stripe_fake, order_id)
    succeeded = stripe_fake.succeed(intent["id"])  # the card went through; its webhook is on its way
    switched = pay(http, shop, order_id, "alipay")
    assert (switched.status_code, switched.json["error"]["code"]) == (409, "payment_in_progress")
    assert len(stripe_fake.intents) == 1
    payload, header = signed("payment_intent.succeeded", succeeded)
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "paid"


def test_a_failed_payment_can_be_tried_again_with_a_new_intent(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    first = pay(http, shop, order_id, "card").json
    payload, header = signed(
        "payment_intent.payment_failed", stripe_fake.fail(intent_of(stripe_fake, order_id)["id"])
    )
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    payment = PaymentItem.get(*PaymentItem.key(order_id))
    assert (payment.status, payment.failure_code) == ("failed", "card_declined")
    assert OrderItem.get(*OrderItem.key(order_id)).status == "pending_payment"
    retry = pay(http, shop, order_id, "card")
    assert retry.status_code == 201 and retry.json["payment_id"] != first["payment_id"]
    assert sorted(i["status"] for i in stripe_fake.intents.values()) == [
        "canceled",
        "requires_payment_method",
    ]
    from chalicelib.accounts.inbox import list_inbox

    kinds = [entry.kind for entry in list_inbox(shop.customer_id, limit=10, cursor=None)[0]]
    assert "payment_failed" in kinds
