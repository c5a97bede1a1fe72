"""The Stripe adapter: the real ``stripe`` library, its HTTP layer replaced, against timeouts and errors.

Every write to Stripe must carry the persisted key the platform chose: a POST without one fails
the test (the fake refuses it). Timeouts and 5xx are retried by the library with the same key;
an answer lost after Stripe did the work is replayed, never repeated; what still fails leaves the
order consistent and a later try reuses the same key, so there is one intent and one refund.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from chalice.test import Client

from chalicelib.models.orders import OrderItem
from chalicelib.models.payments import PaymentItem, RefundItem
from chalicelib.payments import refunds
from chalicelib.payments.intents import intent_key
from chalicelib.payments.provider import ProviderUnavailable
from chalicelib.payments.refunds import RefundFailed
from tests.integration.conftest import Http
from tests.integration.payment_steps import (
    PRICE,
    assert_ledger_balanced,
    book,
    faked_stripe,
    open_shop,
    paid_order,
    pay,
)
from tests.integration.stripe_fake import StripeFake


@pytest.fixture
def stripe_fake(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    yield from faked_stripe(monkeypatch)


def test_a_post_without_a_persisted_idempotency_key_fails_the_test(stripe_fake: StripeFake) -> None:
    """The guard itself: the library adds a random key to a bare POST, and the fake refuses it."""
    client = stripe.StripeClient("sk_test_fake", http_client=stripe_fake)
    with pytest.raises(AssertionError, match="without a persisted Idempotency-Key"):
        client.v1.payment_intents.create(params={"amount": 100, "currency": "cny"})
    with pytest.raises(AssertionError):
        client.v1.refunds.create(
            params={"payment_intent": "pi_x"}, options={"idempotency_key": "random-uuid"}
        )
    assert len(stripe_fake.violations) == 2
    stripe_fake.violations.clear()  # the fixture would fail this test on them


def test_timeouts_on_create_are_retried_with_the_same_key(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    stripe_fake.fail_next("/v1/payment_intents", "timeout", times=2)
    answer = pay(http, shop, order_id)
    assert answer.status_code == 201, answer.json
    posts = stripe_fake.posts("/v1/payment_intents")
    assert [key for _, _, key in posts] == [intent_key(order_id, 1)] * 3
    assert len(stripe_fake.intents) == 1


def test_an_answer_lost_after_stripe_created_the_intent_is_replayed(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    stripe_fake.fail_next("/v1/payment_intents", "lost", times=1)
    answer = pay(http, shop, order_id)
    assert answer.status_code == 201
    [intent] = stripe_fake.intents.values()
    assert answer.json["client_secret"] == intent["client_secret"]


def test_a_create_that_keeps_failing_leaves_the_order_payable_and_the_key_for_the_next_try(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    stripe_fake.fail_next("/v1/payment_intents", "lost", times=3)  # created, but every answer lost
    failed = pay(http, shop, order_id)
    assert (failed.status_code, failed.json["error"]["code"]) == (503, "payment_provider_unavailable")
    assert OrderItem.get(*OrderItem.key(order_id)).status == "pending_payment"
    payment = PaymentItem.get(*PaymentItem.key(order_id))
    assert (payment.status, payment.idempotency_key, payment.intent_id) == (
        "creating",
        intent_key(order_id, 1),
        None,
    )
    stripe_fake.fail_next("/v1/payment_intents", "500", times=3)
    assert pay(http, shop, order_id).status_code == 503
    retried = pay(http, shop, order_id)
    assert retried.status_code == 201, retried.json
    assert len(stripe_fake.intents) == 1  # the first create, replayed
    assert {key for _, _, key in stripe_fake.posts("/v1/payment_intents")} == {intent_key(order_id, 1)}


def test_a_refused_create_is_a_502_and_changes_nothing(
    http: Http, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id = book(http, shop)
    stripe_fake.fail_next("/v1/payment_intents", "card_declined")
    refused = pay(http, shop, order_id, "alipay")
    assert (refused.status_code, refused.json["error"]["code"]) == (502, "payment_provider_error")
    assert OrderItem.get(*OrderItem.key(order_id)).status == "pending_payment"


@pytest.mark.parametrize("fault", ["timeout", "lost", "500"])
def test_a_refund_that_keeps_failing_is_retried_safely(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake, fault: str
) -> None:
    shop = open_shop()
    order_id, _ = paid_order(http, api, aws, stripe_fake, shop)
    http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "不需要了"}, token=shop.token)
    stripe_fake.fail_next("/v1/refunds", fault, times=3)
    with pytest.raises(ProviderUnavailable):
        refunds.refund_cancelled_order(order_id)
    assert OrderItem.get(*OrderItem.key(order_id)).status == "cancelled"
    assert RefundItem.get(*RefundItem.key(order_id, "cancellation")).status == "requested"
    assert_ledger_balanced()
    outcome = refunds.refund_cancelled_order(order_id)  # the saga retries the step
    assert outcome.outcome == "refunded"
    assert OrderItem.get(*OrderItem.key(order_id)).status == "refunded"
    assert len(stripe_fake.refunds) == 1  # "lost" did refund at the first try: replayed, not repeated
    assert {key for _, _, key in stripe_fake.posts("/v1/refunds")} == {f"jz-rf-{order_id}-cancellation"}
    assert assert_ledger_balanced()[order_id] == {"stripe_balance": 0, "customer_prepayments": 0}


def test_a_refund_stripe_refuses_fails_the_step_for_a_person(
    http: Http, api: Client, aws: dict[str, str], stripe_fake: StripeFake
) -> None:
    shop = open_shop()
    order_id, intent_id = paid_order(http, api, aws, stripe_fake, shop)
    http.call("POST", f"/v1/orders/{order_id}/cancel", {"reason": "不需要了"}, token=shop.token)
    stripe_fake.refunds["re_dashboard"] = {"id": "re_dashboard", "payment_intent": intent_id, "amount": PRICE}
    with pytest.raises(RefundFailed) as refused:
        refunds.refund_cancelled_order(order_id)
    assert refused.value.reason == "charge_already_refunded"
    claim = RefundItem.get(*RefundItem.key(order_id, "cancellation"))
    assert (claim.status, claim.failure_code) == ("failed", "charge_already_refunded")
    assert OrderItem.get(*OrderItem.key(order_id)).status == "cancelled"
    with pytest.raises(RefundFailed):
        refunds.refund_cancelled_order(order_id)  # and stays failed, without asking Stripe again
    assert len(stripe_fake.posts("/v1/refunds")) == 1
