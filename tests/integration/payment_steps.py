"""Shared steps of the payment tests: a shop to book in, Stripe behind its fake, signed webhooks, the queue.

:func:`faked_stripe` (the body of each module's ``stripe_fake`` fixture) installs the real :class:`~chalicelib.payments.stripe_provider.StripeProvider`
with its HTTP layer replaced (:class:`tests.integration.stripe_fake.StripeFake`) and a webhook
secret; webhooks are signed with ``stripe.WebhookSignature.generate_signature_header`` and posted
to the API; :func:`deliver_payment_events` runs the queue consumer over what the webhook queued,
as Lambda would. :func:`assert_ledger_balanced` is the ledger invariant.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import stripe
from chalice.test import Client

from chalicelib import clock
from chalicelib.events import consumer, payment_events
from chalicelib.ids import new_id
from chalicelib.models.payments import LedgerEntryItem
from chalicelib.payments import gateway
from chalicelib.payments.stripe_provider import StripeProvider
from chalicelib.scheduling.availability import set_availability
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import (
    NOW,
    PEOPLES_SQUARE,
    account,
    address,
    at,
    every_day,
    service,
    worker,
)
from tests.integration.stripe_fake import StripeFake

WEBHOOK_SECRET = "whsec_test_" + "w" * 32
TOMORROW = NOW.date() + timedelta(days=3)
START = at(TOMORROW, "10:00")
PRICE = 20000  # 100 CNY/h x 2 h


@dataclass
class Shop:
    customer_id: str
    token: str
    address_id: str
    worker_id: str
    service_id: str


def open_shop() -> Shop:
    """A customer with an address, a verified worker free all day, and a 2-hour cleaning service."""
    clock.freeze(NOW)
    customer_id, token = account("customer")
    worker_id = worker()
    set_availability(worker_id, every_day([["08:00", "20:00"]]), [])
    return Shop(customer_id, token, address(customer_id, *PEOPLES_SQUARE), worker_id, service())


def book(http: Http, shop: Shop, start: datetime = START, *, with_worker: bool = True) -> str:
    body = {"service_id": shop.service_id, "address_id": shop.address_id, "start_at": start.isoformat()}
    if with_worker:
        body["worker_id"] = shop.worker_id
    created = http.call("POST", "/v1/orders", body, token=shop.token)
    assert created.status_code == 201, created.json
    return str(created.json["order_id"])


def pay(http: Http, shop: Shop, order_id: str, method: str = "card", **headers: str) -> Any:
    return http.call("POST", f"/v1/orders/{order_id}/pay", {"method": method}, token=shop.token, **headers)


def signed(
    kind: str,
    obj: dict[str, Any],
    *,
    at_time: datetime | None = None,
    secret: str = WEBHOOK_SECRET,
    event_id: str | None = None,
) -> tuple[str, str]:
    """A Stripe event of ``kind`` about ``obj`` and its ``Stripe-Signature`` header (Stripe's scheme)."""
    stamp = int((at_time or clock.now()).timestamp())
    event = {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": stamp,
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
    }
    payload = json.dumps(event)
    return payload, stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=stamp)


def post_webhook(http: Http, payload: str, header: str | None) -> Any:
    headers = {"Stripe-Signature": header} if header is not None else {}
    return http.call("POST", "/v1/payments/stripe/webhook", payload, **headers)


def deliver_payment_events(api: Client, urls: dict[str, str]) -> list[str]:
    """Run the ``payment-events`` consumer over everything queued, as Lambda would; the message ids handled."""
    sqs = boto3.client("sqs")
    handled: list[str] = []
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=urls["payment-events"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            break
        event = api.events.generate_sqs_event(
            message_bodies=[m["Body"] for m in messages], queue_name="payment-events"
        )
        for record, message in zip(event["Records"], messages, strict=True):
            record["messageId"] = message["MessageId"]
        answer = payment_events.handler(event, _Context())
        failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
        assert not failed, f"payment events failed: {failed}"
        for message in messages:
            sqs.delete_message(QueueUrl=urls["payment-events"], ReceiptHandle=message["ReceiptHandle"])
            handled.append(message["MessageId"])
    return handled


class _Context:
    function_name = "payment_events_consumer"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:payment_events_consumer"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def faked_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    """Payments go to the real Stripe provider whose HTTP layer is :class:`StripeFake` (a fixture's body)."""
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    consumer.persistence.cache_clear()
    fake = StripeFake()
    gateway.use_provider(StripeProvider("sk_test_fake", http_client=fake, max_network_retries=2))
    yield fake
    gateway.use_provider(None)
    assert not fake.violations, fake.violations


def intent_of(fake: StripeFake, order_id: str) -> dict[str, Any]:
    """The (single) live intent the fake holds for ``order_id``."""
    found = [
        intent
        for intent in fake.intents.values()
        if intent["metadata"].get("order_id") == order_id and intent["status"] != "canceled"
    ]
    assert len(found) == 1, found
    return found[0]


def assert_ledger_balanced() -> dict[str, dict[str, int]]:
    """The invariant: every transaction, every order and the whole ledger sum to zero.

    Returns each order's balance per account. (A Scan: fine in a test, never on a request path.)
    """
    by_txn: dict[str, int] = defaultdict(int)
    by_order: dict[str, int] = defaultdict(int)
    accounts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total = 0
    for entry in LedgerEntryItem.scan(LedgerEntryItem.sk.startswith("LEDGER#")):
        amount = int(entry.amount)
        by_txn[f"{entry.order_id}/{entry.txn_id}"] += amount
        by_order[entry.order_id] += amount
        accounts[entry.order_id][entry.account] += amount
        total += amount
    assert {txn: s for txn, s in by_txn.items() if s} == {}
    assert {order: s for order, s in by_order.items() if s} == {}
    assert total == 0
    return {order: dict(balances) for order, balances in accounts.items()}


def paid_order(
    http: Http,
    api: Client,
    urls: dict[str, str],
    fake: StripeFake,
    shop: Shop,
    *,
    method: str = "card",
    start: datetime = START,
) -> tuple[str, str]:
    """An order paid through the webhook: ``(order id, intent id)``."""
    order_id = book(http, shop, start)
    assert pay(http, shop, order_id, method).status_code == 201
    intent_id = str(intent_of(fake, order_id)["id"])
    payload, header = signed("payment_intent.succeeded", fake.succeed(intent_id))
    assert post_webhook(http, payload, header).status_code == 200
    deliver_payment_events(api, urls)
    return order_id, intent_id
