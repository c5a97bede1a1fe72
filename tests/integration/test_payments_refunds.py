"""Refunds and the ledger against moto, with the real Stripe library talking to its fake.

The cancellation refund (the saga's step) under the policy — in full early, less the fee late, in
full when the worker cancels — and its ledger lines; completion's commission and the worker's
pending share; money that arrives after expiry, for a cancelled order or twice, returned at
once; ``charge.refunded`` settling a pending wallet refund; every case ending with a ledger that
sums to zero per order and in total.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.accounts.sessions import open_session
from chalicelib.errors import Conflict
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import LedgerEntryItem, PaymentItem, RefundItem
from chalicelib.orders import lifecycle
from chalicelib.orders.queries import order_with_timeline
from chalicelib.payments import intents, refunds
from tests.integration.conftest import Http
from tests.integration.order_steps import set_status
from tests.integration.payment_steps import (
    PRICE,
    START,
    Shop,
    assert_ledger_balanced,
    book,
    deliver_payment_events,
    faked_stripe,
    intent_of,
    open_shop,
    paid_order,
    pay,
    post_webhook,
    signed,
)
from tests.integration.stripe_fake import StripeFake


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


def _renew(shop: Shop) -> None:
    shop.token = open_session(shop.customer_id, "customer").access_token


def _cancel(http: Http, order_id: str, token: str, reason: str = "行程有变") -> dict[str, Any]:
    answer = http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": reason}, token=token)
    assert answer.status_code == 200, answer.json
    return dict(answer.json)


def test_an_early_cancellation_is_refunded_in_full(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id, intent_id = paid_order(http, api, aws, stripe_fake, shop)
    cancelled = _cancel(http, order_id, shop.token)
    assert cancelled["cancellation"]["refund"] == {"amount": PRICE, "currency": "CNY"}
    outcome = refunds.refund_cancelled_order(order_id)
    assert outcome and (outcome.outcome, outcome.amount, outcome.status) == ("refunded", PRICE, "succeeded")
    [refund] = stripe_fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent_id, PRICE)
    assert stripe_fake.posts("/v1/refunds")[0][2] == f"jz-rf-{order_id}-cancellation"
    order = http.call("GET", f"/v1/orders/{order_id}", token=shop.token).json
    assert order["status"] == "refunded"
    assert order["timeline"][-1]["event"] == "refunded"
    assert order["timeline"][-1]["details"] == {"refund_id": outcome.refund_id, "amount": PRICE, "fee": 0}
    seen = http.call("GET", f"/v1/orders/{order_id}/payment", token=shop.token).json
    assert [(r["amount"]["amount"], r["status"], r["reason"]) for r in seen["refunds"]] == [
        (PRICE, "succeeded", "cancellation")
    ]
    balances = assert_ledger_balanced()[order_id]
    assert balances == {"stripe_balance": 0, "customer_prepayments": 0}
    # the saga's step again (a retry): nothing more happens
    again = refunds.refund_cancelled_order(order_id)
    assert again and again.outcome == "already_refunded" and again.refund_id == outcome.refund_id
    assert len(stripe_fake.refunds) == 1 and len(stripe_fake.posts("/v1/refunds")) == 1


def test_a_late_cancellation_keeps_the_fee(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    clock.freeze(START - timedelta(hours=10))  # inside 24 h: cleaning keeps 20 %
    _renew(shop)
    _cancel(http, order_id, shop.token)
    outcome = refunds.refund_cancelled_order(order_id)
    fee = PRICE * 20 // 100
    assert outcome.amount == PRICE - fee
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [PRICE - fee]
    balances = assert_ledger_balanced()[order_id]
    assert balances["cancellation_fees"] == -fee and balances["stripe_balance"] == fee
    assert balances["customer_prepayments"] == 0


def test_a_workers_cancellation_is_refunded_in_full(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    worker_token = open_session(shop.worker_id, "worker").access_token
    accepted = http.call("POST", f"/v1/worker/orders/{order_id}/accept", token=worker_token)
    assert accepted.status_code == 200, accepted.json
    clock.freeze(START - timedelta(hours=3))
    worker_token = open_session(shop.worker_id, "worker").access_token
    _cancel(http, order_id, worker_token, "生病了")
    assert refunds.refund_cancelled_order(order_id).amount == PRICE
    assert assert_ledger_balanced()[order_id] == {"stripe_balance": 0, "customer_prepayments": 0}


def test_cancelling_an_unpaid_order_cancels_its_intent(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id, "wechat_pay")
    _cancel(http, order_id, shop.token)
    outcome = refunds.refund_cancelled_order(order_id)
    assert not outcome and outcome.outcome == "intent_cancelled"
    assert [i["status"] for i in stripe_fake.intents.values()] == ["canceled"]
    assert stripe_fake.refunds == {}
    assert refunds.refund_cancelled_order(order_id).outcome == "nothing_owed"
    with pytest.raises(Conflict):
        refunds.refund_cancelled_order(book(http, shop, START + timedelta(hours=4)))  # not cancelled


def test_completion_books_commission_and_the_workers_pending_share(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    confirmed, _ = paid_order(http, api, aws, stripe_fake, shop)
    automatic, _ = paid_order(http, api, aws, stripe_fake, shop, start=START + timedelta(hours=4))
    for order_id in (confirmed, automatic):
        set_status(order_id, "finished")  # the worker's side of the job is another area's
    done = http.call("POST", f"/v1/orders/{confirmed}/confirm", token=shop.token)
    assert done.status_code == 200 and done.json["status"] == "completed"
    assert done.json["timeline"][-1]["event"] == "completed"
    assert lifecycle.auto_complete(automatic) is True
    assert lifecycle.auto_complete(automatic) is False  # already completed: nothing to do
    balances = assert_ledger_balanced()
    commission = PRICE * 20 // 100
    for order_id in (confirmed, automatic):
        assert balances[order_id] == {
            "stripe_balance": PRICE,
            "customer_prepayments": 0,
            "platform_commission": -commission,
            "worker_payable": -(PRICE - commission),
        }
    shares = list(LedgerEntryItem.gsi1.query(f"WORKER#{shop.worker_id}#EARNINGS"))
    assert sorted((s.order_id, int(s.amount), s.earning_status) for s in shares) == sorted(
        (order_id, -(PRICE - commission), "pending") for order_id in (confirmed, automatic)
    )
    assert OrderItem.get(*OrderItem.key(automatic)).status == "completed"


def test_a_payment_after_expiry_is_refunded_automatically(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id, "alipay")
    intent_id = intent_of(stripe_fake, order_id)["id"]
    clock.advance(timedelta(minutes=16))  # pay_by passed; the customer pays in Alipay anyway
    payload, header = signed("payment_intent.succeeded", stripe_fake.succeed(intent_id))
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    order = order_with_timeline(order_id, show_check_in_code=False)
    assert order.status == "cancelled" and order.cancel_reason == "payment_timeout"
    returned = [entry for entry in order.timeline if entry.event == "payment_returned"]
    assert returned and (returned[0].details or {})["reason"] == "late_payment"
    [refund] = stripe_fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent_id, PRICE)
    claim = RefundItem.get(*RefundItem.key(order_id, f"unowed#{intent_id}"))
    assert (claim.reason, claim.status) == ("late_payment", "pending")  # Alipay refunds settle later
    assert assert_ledger_balanced()[order_id] == {"stripe_balance": 0, "unowed_payments": 0}
    # Stripe says the refund settled
    payload, header = signed("charge.refunded", stripe_fake.charge_of(intent_id))
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    claim.refresh()
    assert claim.status == "succeeded"
    # the expiry timer's step afterwards: the intent succeeded, there is nothing to cancel
    assert lifecycle.expire_unpaid(order_id) is True
    assert intents.cancel_for_expired_order(order_id) is False
    assert len(stripe_fake.refunds) == 1


def test_expiry_cancels_the_open_intent(http: Http, aws: dict[str, str], stripe_fake: StripeFake) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    assert intents.cancel_for_expired_order(order_id) is False  # nothing to cancel yet
    pay(http, shop, order_id, "wechat_pay")
    assert intents.cancel_for_expired_order(order_id) is False  # still payable
    clock.advance(timedelta(minutes=15))
    assert lifecycle.expire_unpaid(order_id) is True
    assert intents.cancel_for_expired_order(order_id) is True
    assert [i["status"] for i in stripe_fake.intents.values()] == ["canceled"]
    assert PaymentItem.get(*PaymentItem.key(order_id)).status == "canceled"
    assert intents.cancel_for_expired_order(order_id) is False  # a repeated timer does nothing


def test_a_second_payment_for_a_paid_order_is_returned(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    """The card intent went through at Stripe just as the customer switched to WeChat Pay and paid again."""
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id, "card")
    card_intent = intent_of(stripe_fake, order_id)["id"]
    pay(http, shop, order_id, "wechat_pay")  # cancels the card intent...
    wechat_paid = stripe_fake.succeed(intent_of(stripe_fake, order_id)["id"])
    stripe_fake.intents[card_intent]["status"] = "requires_payment_method"  # ...which Stripe confirmed anyway
    card_paid = stripe_fake.succeed(card_intent)
    for intent in (wechat_paid, card_paid):
        payload, header = signed("payment_intent.succeeded", intent)
        post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    order = OrderItem.get(*OrderItem.key(order_id))
    assert (order.status, order.payment_ref) == ("paid", wechat_paid["id"])
    [refund] = stripe_fake.refunds.values()
    assert refund["payment_intent"] == card_intent
    assert RefundItem.get(*RefundItem.key(order_id, f"unowed#{card_intent}")).reason == "duplicate_payment"
    balances = assert_ledger_balanced()[order_id]
    assert balances == {"stripe_balance": PRICE, "customer_prepayments": -PRICE, "unowed_payments": 0}


def test_a_payment_for_a_cancelled_order_is_returned(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    pay(http, shop, order_id, "wechat_pay")
    intent_id = intent_of(stripe_fake, order_id)["id"]
    _cancel(http, order_id, shop.token)  # cancelled unpaid while the customer scanned the QR code
    payload, header = signed("payment_intent.succeeded", stripe_fake.succeed(intent_id))
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "cancelled"
    claim = RefundItem.get(*RefundItem.key(order_id, f"unowed#{intent_id}"))
    assert claim.reason == "order_not_payable"
    assert refunds.refund_cancelled_order(order_id).outcome in {"nothing_owed", "intent_cancelled"}
    assert len(stripe_fake.refunds) == 1
    assert_ledger_balanced()


def test_a_pending_wallet_refund_is_settled_by_charge_refunded(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id, intent_id = paid_order(http, api, aws, stripe_fake, shop, method="alipay")
    _cancel(http, order_id, shop.token)
    outcome = refunds.refund_cancelled_order(order_id)
    assert outcome.status == "pending"
    assert OrderItem.get(*OrderItem.key(order_id)).status == "refunded"  # Stripe accepted it
    payload, header = signed("charge.refunded", stripe_fake.charge_of(intent_id))
    post_webhook(http, payload, header)
    deliver_payment_events(api, aws)
    assert RefundItem.get(*RefundItem.key(order_id, "cancellation")).status == "succeeded"
    assert_ledger_balanced()
