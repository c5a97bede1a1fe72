"""Webhook signatures with Stripe's own scheme: the secret, the body, and five minutes either way."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import stripe

from chalicelib import clock
from chalicelib.errors import BadRequest
from chalicelib.payments.webhooks import verify

SECRET = "whsec_unit_" + "s" * 24
NOW = datetime(2027, 1, 18, 9, 0, tzinfo=clock.SHANGHAI)
BODY = '{"id": "evt_1", "type": "payment_intent.succeeded"}'


def _header(at: datetime, secret: str = SECRET, body: str = BODY) -> str:
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=int(at.timestamp()))


@pytest.mark.parametrize("skew", [0, 299, -299, 300, -300])
def test_a_signature_within_the_window_is_accepted(skew: int) -> None:
    verify(BODY.encode(), _header(NOW + timedelta(seconds=skew)), SECRET, NOW)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=abc",
        "t=abc,v1=abc",
        "t=1,v1=",
        _header(NOW, secret="whsec_other"),
        _header(NOW, body=BODY + " "),
        _header(NOW - timedelta(seconds=301)),  # stale: a replay
        _header(NOW + timedelta(seconds=301)),  # from the future: the library alone would accept it
        _header(NOW).replace("v1=", "v0="),
    ],
)
def test_a_bad_signature_is_refused(header: str | None) -> None:
    with pytest.raises(BadRequest) as refused:
        verify(BODY.encode(), header, SECRET, NOW)
    assert refused.value.code == "invalid_signature"


def test_the_library_alone_would_accept_a_future_timestamp() -> None:
    """Why the future is checked here: Stripe's tolerance only looks back."""
    future = int((datetime.now(clock.SHANGHAI) + timedelta(days=1)).timestamp())
    header = stripe.WebhookSignature.generate_signature_header(BODY, SECRET, timestamp=future)
    assert stripe.WebhookSignature.verify_header(BODY, header, SECRET, tolerance=300)


def test_a_body_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(BadRequest):
        verify(b"\xff" + BODY.encode(), _header(NOW), SECRET, NOW)
