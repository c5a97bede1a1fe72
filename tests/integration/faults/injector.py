"""Faults at the boundaries, at a set rate: every AWS call (botocore) and every Stripe request.

:class:`AwsFaults` is a botocore ``before-send`` handler registered first on every client the app
creates (boto3's and pynamodb's), so it runs before moto's own stub. botocore calls every
``before-send`` handler and takes the first answer, so moto's stub is told to stand aside for a
request the handler answered (:func:`_stand_aside`): an injected error means nothing reached AWS.
For a share ``rate`` of the calls it answers instead of AWS, picking one fault at random:

- ``throttle``: a 400 ``ThrottlingException`` (DynamoDB: ``ProvisionedThroughputExceededException``);
- ``5xx``: a 500 ``InternalServerError``;
- ``timeout``: a read timeout before anything reached AWS;
- ``lost``: the call reaches AWS (moto does the work) and the answer is lost to a read timeout,
  so the retry meets its own effect (a conditional write then fails its condition). A
  ``TransactWriteItems`` is the exception, as in DynamoDB: botocore gives each call a
  ``ClientRequestToken`` that its retries repeat, and DynamoDB answers a token it committed
  with success (moto ignores the token, so the handler answers for it);
- ``latency``: the call goes through after ``latency`` seconds.

:class:`FaultyStripe` does the same at the Stripe library's HTTP layer (the fake's ``timeout``,
``lost`` and ``500`` faults, plus a 429 rate limit and latency). Both count calls and faults for
the report. The random source is seeded: a failing run repeats.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from tests.integration.stripe_fake import StripeFake

KINDS = ("throttle", "5xx", "timeout", "lost", "latency")


class _Raw:
    """The minimal raw body botocore reads from an ``AWSResponse``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


@dataclass
class Tally:
    calls: int = 0
    faults: Counter[str] = field(default_factory=Counter)


@dataclass
class AwsFaults:
    rate: float
    seed: int = 13
    latency: float = 0.05
    tally: Tally = field(default_factory=Tally)
    armed: bool = True
    kinds: tuple[str, ...] = KINDS

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._committed: set[str] = set()  # the ClientRequestTokens of transactions moto committed

    def _pick(self) -> str | None:
        with self._lock:
            self.tally.calls += 1
            if not self.armed or self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.kinds)
            self.tally.faults[kind] += 1
            return kind

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        token = _transaction_token(request)
        if token is not None and token in self._committed:
            done = AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(b"{}"))
            return _answered(request, done)
        kind = self._pick()
        if kind is None:
            return None
        if kind == "latency":
            time.sleep(self.latency)
            return None
        if kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if kind == "lost":
            from moto.core.models import botocore_stubber

            done = botocore_stubber(event_name=kwargs.get("event_name", "before-send"), request=request)
            if token is not None and done is not None and done.status_code == 200:
                self._committed.add(token)
            raise ReadTimeoutError(endpoint_url=request.url)
        dynamodb = "dynamodb" in request.url
        if kind == "throttle":
            code = "ProvisionedThroughputExceededException" if dynamodb else "ThrottlingException"
            return _answered(request, _answer(request, 400, code))
        return _answered(request, _answer(request, 500, "InternalServerError"))


_ANSWERED = threading.local()


def _answered(request: Any, response: AWSResponse) -> AWSResponse:
    """``response`` is the answer to ``request``: moto's stub, called next, must not do its work."""
    _ANSWERED.request = request
    return response


@contextmanager
def _stand_aside() -> Iterator[None]:
    """moto's stub skips the request the fault handler just answered (same thread, same event)."""
    from moto.core.botocore_stubber import BotocoreStubber

    real = BotocoreStubber.__call__

    def call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        if getattr(_ANSWERED, "request", None) is request:
            _ANSWERED.request = None
            return None
        return real(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = call  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = real  # type: ignore[method-assign]


def _transaction_token(request: Any) -> str | None:
    """The ``ClientRequestToken`` of a DynamoDB ``TransactWriteItems`` request, else None."""
    target = request.headers.get("X-Amz-Target") or b""
    if not (target.decode() if isinstance(target, bytes) else str(target)).endswith(".TransactWriteItems"):
        return None
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "{}")
    token = json.loads(body).get("ClientRequestToken")
    return str(token) if token else None


def _answer(request: Any, status: int, code: str) -> AWSResponse:
    target = request.headers.get("X-Amz-Target")
    if target or "json" in str(request.headers.get("Content-Type", "")):
        body = json.dumps({"__type": code, "message": "injected"}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": "fault",  # moto's Step Functions interpreter reads it from a Lambda error
        }
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message>"
            "</Error><RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(request.url, status, headers, _Raw(body))


class FaultyStripe(StripeFake):
    """The Stripe fake with a fault on a share ``rate`` of its requests."""

    def __init__(self, rate: float, seed: int = 17, latency: float = 0.05) -> None:
        super().__init__()
        self.rate, self.latency = rate, latency
        self.tally = Tally()
        self.armed = True
        self._dice = random.Random(seed)

    def _fault(self, path: str) -> str | None:
        self.tally.calls += 1
        planned = super()._fault(path)
        if planned or not self.armed or self._dice.random() >= self.rate:
            return planned
        kind = self._dice.choice(("timeout", "lost", "500", "429", "latency"))
        self.tally.faults[kind] += 1
        if kind == "latency":
            time.sleep(self.latency)
            return None
        if kind == "429":
            raise stripe.RateLimitError("Too many requests (fault)", http_status=429)
        return kind


@contextmanager
def faults_at_the_boundaries(
    monkeypatch: pytest.MonkeyPatch, rate: float, latency: float = 0.05
) -> Iterator[tuple[AwsFaults, FaultyStripe]]:
    """AWS and Stripe both failing at ``rate``; Stripe is the payment provider for the block."""
    import botocore.session

    from chalicelib.payments import gateway
    from chalicelib.payments.stripe_provider import StripeProvider
    from tests.integration.conftest import _clear_clients
    from tests.integration.payment_steps import WEBHOOK_SECRET

    aws = AwsFaults(rate, latency=latency)
    fake = FaultyStripe(rate, latency=latency)
    create = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = create(self, *args, **kwargs)
        client.meta.events.register_first("before-send", aws)
        return client

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    _clear_clients()
    gateway.use_provider(StripeProvider("sk_test_fake", http_client=fake, max_network_retries=2))
    try:
        with _stand_aside():
            yield aws, fake
    finally:
        gateway.use_provider(None)
        monkeypatch.setattr(botocore.session.Session, "create_client", create)
        _clear_clients()
