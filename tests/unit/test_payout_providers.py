"""The Stripe Connect payout provider through the real ``stripe`` library, its HTTP layer faked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe

from chalicelib.payouts.providers import (
    PayoutRejected,
    PayoutRequest,
    PayoutUnavailable,
    StripeConnectProvider,
)

REQUEST = PayoutRequest(
    withdrawal_id="wd_01TEST",
    worker_id="usr_1",
    amount=14_800,
    currency="CNY",
    idempotency_key="wd_01TEST",
    run_id="pr_20270119",
    account_type="stripe_connect",
    stripe_account_id="acct_123",
)


class Wire(stripe.HTTPClient):
    """Answers ``/v1/transfers`` with ``status`` (and remembers what was sent)."""

    name = "wire"

    def __init__(self, *statuses: int) -> None:
        super().__init__()
        self.statuses = list(statuses)
        self.sent: list[tuple[dict[str, str], dict[str, str]]] = []

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0.0

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None, **_: Any
    ) -> tuple[str, int, dict[str, str]]:
        form = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        self.sent.append((dict(headers or {}), dict(parse_qsl(form))))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            return json.dumps({"id": "tr_1", "object": "transfer", "amount": 14_800}), 200, {}
        code = "account_invalid" if status == 400 else None
        body = {"error": {"type": "invalid_request_error" if status == 400 else "api_error", "code": code}}
        return json.dumps(body), status, {}

    def request_stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        return None


def test_a_transfer_carries_the_withdrawal_as_key_and_the_run_as_transfer_group() -> None:
    wire = Wire(200)
    result = StripeConnectProvider("sk_test_x", http_client=wire).pay(REQUEST)
    assert (result.status, result.provider_ref) == ("paid", "tr_1")
    headers, form = wire.sent[0]
    assert headers["Idempotency-Key"] == "wd_01TEST"
    assert form["transfer_group"] == "payout-pr_20270119"
    assert (form["amount"], form["currency"], form["destination"]) == ("14800", "cny", "acct_123")
    assert form["metadata[withdrawal_id]"] == "wd_01TEST"


def test_5xx_is_retried_with_the_same_key_then_unavailable_and_4xx_is_a_refusal() -> None:
    wire = Wire(500, 500, 500)
    with pytest.raises(PayoutUnavailable):
        StripeConnectProvider("sk_test_x", http_client=wire).pay(REQUEST)
    assert [headers["Idempotency-Key"] for headers, _ in wire.sent] == ["wd_01TEST"] * 3
    with pytest.raises(PayoutRejected) as refused:
        StripeConnectProvider("sk_test_x", http_client=Wire(400)).pay(REQUEST)
    assert refused.value.reason == "account_invalid"
