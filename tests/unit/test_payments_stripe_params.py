"""What the Stripe provider asks Stripe for, per method, and how it reads Stripe's intents back."""

from __future__ import annotations

import pytest

from chalicelib.payments.provider import IntentRequest, Method, intent_from_dict
from chalicelib.payments.stripe_provider import intent_params


def _request(method: Method) -> IntentRequest:
    return IntentRequest(
        order_id="ord_1",
        payment_id="pay_1",
        attempt=2,
        customer_id="usr_c",
        method=method,
        amount=20000,
        currency="CNY",
        idempotency_key="jz-pi-ord_1-2",
    )


def test_card_is_left_for_the_app_to_confirm() -> None:
    params = intent_params(_request("card"))
    assert params["amount"] == 20000 and params["currency"] == "cny"
    assert params["payment_method_types"] == ["card"]
    assert "confirm" not in params
    assert params["metadata"] == {
        "order_id": "ord_1",
        "payment_id": "pay_1",
        "attempt": "2",
        "customer_id": "usr_c",
    }


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("alipay", {"return_url": "jiazheng://payments/return"}),
        ("wechat_pay", {"payment_method_options": {"wechat_pay": {"client": "web"}}}),
    ],
)
def test_wallets_are_confirmed_by_the_server_for_their_next_action(
    method: Method, extra: dict[str, object]
) -> None:
    params = intent_params(_request(method))
    assert params["confirm"] is True
    assert params["payment_method_data"] == {"type": method}
    for key, value in extra.items():
        assert params[key] == value


def test_intents_are_read_from_stripes_shape() -> None:
    intent = intent_from_dict(
        {
            "id": "pi_1",
            "status": "requires_payment_method",
            "amount": 20000,
            "amount_received": 0,
            "currency": "cny",
            "client_secret": "pi_1_secret_x",
            "latest_charge": {"id": "ch_1"},
            "metadata": {"order_id": "ord_1"},
            "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"},
        }
    )
    assert (intent.intent_id, intent.currency, intent.latest_charge) == ("pi_1", "CNY", "ch_1")
    assert intent.failure_code == "insufficient_funds" and intent.metadata == {"order_id": "ord_1"}
    assert intent_from_dict({"id": "pi_2"}).next_action is None
