"""The local payment provider (``make run`` without a Stripe key) and which provider is used where.

The local provider plays Stripe behind the same interface: intents with a client secret and the
Alipay / WeChat Pay next action, ``POST /v1/dev/payments/{id}/complete`` as the customer's
wallet, and webhooks signed with Stripe's scheme that the API verifies like Stripe's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import config
from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import PaymentItem, RefundItem
from chalicelib.payments import gateway, refunds
from chalicelib.payments.local_provider import LocalProvider
from chalicelib.payments.provider import ProviderUnavailable
from chalicelib.payments.stripe_provider import StripeProvider
from tests.integration.conftest import Http
from tests.integration.payment_steps import (
    PRICE,
    assert_ledger_balanced,
    book,
    deliver_payment_events,
    open_shop,
    pay,
)

Sent = list[tuple[bytes, str]]


@pytest.fixture
def wallet(aws: dict[str, str]) -> Iterator[Sent]:
    """The local provider, its webhooks collected instead of sent over HTTP."""
    from chalicelib.events import consumer

    consumer.persistence.cache_clear()
    sent: Sent = []
    gateway.use_provider(LocalProvider(sender=lambda body, header: sent.append((body, header))))
    yield sent
    gateway.use_provider(None)


def _deliver(http: Http, api: Client, urls: dict[str, str], sent: Sent) -> None:
    while sent:
        body, header = sent.pop(0)
        answer = http.client.http.post(
            "/v1/payments/stripe/webhook",
            headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header},
            body=body,
        )
        assert answer.status_code == 200, answer.body
    deliver_payment_events(api, urls)


def _complete(http: Http, payment_id: str, outcome: str = "succeeded") -> Any:
    return http.call("POST", f"/v1/dev/payments/{payment_id}/complete", {"outcome": outcome})


@pytest.mark.parametrize("method", ["card", "alipay", "wechat_pay"])
def test_each_method_is_paid_through_the_local_wallet(
    http: Http, api: Client, aws: dict[str, str], wallet: Sent, method: str
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    started = pay(http, shop, order_id, method)
    assert started.status_code == 201, started.json
    body = started.json
    assert body["client_secret"].startswith("pi_local_") and "_secret_" in body["client_secret"]
    if method == "alipay":
        assert body["next_action"]["alipay_handle_redirect"]["url"].endswith(
            f"/v1/dev/payments/{body['payment_id']}/complete"
        )
    elif method == "wechat_pay":
        assert body["next_action"]["wechat_pay_display_qr_code"]["data"].startswith("weixin://")
    else:
        assert body["next_action"] is None
    assert pay(http, shop, order_id, method).json["client_secret"] == body["client_secret"]  # same intent

    done = _complete(http, body["payment_id"])
    assert done.status_code == 202, done.json
    assert len(wallet) == 1
    _deliver(http, api, aws, wallet)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "paid"
    again = _complete(http, body["payment_id"])
    assert again.status_code == 409
    assert assert_ledger_balanced()[order_id] == {"stripe_balance": PRICE, "customer_prepayments": -PRICE}


def test_a_declined_local_payment_and_the_refund_of_a_cancelled_order(
    http: Http, api: Client, aws: dict[str, str], wallet: Sent
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    first = pay(http, shop, order_id, "card").json
    assert _complete(http, first["payment_id"], "failed").status_code == 202
    _deliver(http, api, aws, wallet)
    assert PaymentItem.get(*PaymentItem.key(order_id)).status == "failed"
    second = pay(http, shop, order_id, "card").json
    assert second["payment_id"] != first["payment_id"]
    _complete(http, second["payment_id"])
    _deliver(http, api, aws, wallet)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "paid"

    assert (
        http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "改天"}, token=shop.token).status_code
        == 200
    )
    outcome = refunds.refund_cancelled_order(order_id)
    assert (outcome.outcome, outcome.amount) == ("refunded", PRICE)
    assert [
        entry for entry in wallet if b"charge.refunded" in entry[0]
    ]  # the local provider tells, as Stripe does
    _deliver(http, api, aws, wallet)
    assert RefundItem.get(*RefundItem.key(order_id, "cancellation")).status == "succeeded"
    assert OrderItem.get(*OrderItem.key(order_id)).status == "refunded"
    assert assert_ledger_balanced()[order_id] == {"stripe_balance": 0, "customer_prepayments": 0}


def test_the_dev_wallet_refuses_unknown_payments(http: Http, aws: dict[str, str], wallet: Sent) -> None:
    assert _complete(http, "pay_UNKNOWN").status_code == 404
    bad = http.call("POST", "/v1/dev/payments/pay_X/complete", {"outcome": "maybe"})
    assert bad.status_code == 422
    shop = open_shop()
    order_id = book(http, shop)
    payment_id = pay(http, shop, order_id).json["payment_id"]
    gateway.use_provider(StripeProvider("sk_test_fake"))
    refused = _complete(http, payment_id)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "not_local_provider")
    assert wallet == []


def test_which_provider_is_used(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    gateway.use_provider(None)
    assert isinstance(gateway.provider(), LocalProvider)  # local stage, no key
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_configured")
    assert isinstance(gateway.provider(), StripeProvider)
    monkeypatch.delenv("STRIPE_API_KEY")
    monkeypatch.setenv("STAGE", "dev")
    config.settings.cache_clear()
    try:
        with pytest.raises(ProviderUnavailable):
            gateway.provider()  # a deployed stage never falls back to the simulation
    finally:
        monkeypatch.setenv("STAGE", "local")
        config.settings.cache_clear()
