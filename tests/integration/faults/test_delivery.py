"""At-least-once delivery, scrambled: every queue consumer and the stream relay.

Each consumer of ``chalicelib.resources`` (the queues', the stream relay and the analytics
stream consumer) is wrapped by a
:class:`Scrambler` that gets each batch the event side delivers and hands the real handler every
record 1-3 times, shuffled, in partial batches of random size. A record the handler fails is
delivered again (after the in-progress mark of a failed invocation has expired, as the queue's
visibility timeout ensures), up to ``maxReceiveCount`` times, then counts as dead-lettered. A
poison record (a body no consumer can read) joins every queue's traffic.

The traffic is real: bookings (one paid through Stripe's webhook, one left to expire at
``pay_by`` through its Scheduler timer), the notifications they send. Afterwards:

- for each consumer, processed + dead-lettered == sent, and only the poison records are dead;
- the effects equal one delivery: delivering every record once more, in order, changes nothing
  in the main table; for the relay, the analytics consumer and the order and payment consumers
  even with every idempotency record erased (as if they had all expired); and the analytics
  aggregates equal those of one clean delivery (dropped, then every record delivered once). The notifications consumer cannot
  take back a sent SMS, so it relies on its records: they outlive the queue's retention.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib import clock, resources
from chalicelib.orders import payment_port
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import NOW, account
from tests.integration.test_order_workflow import _book, _worker
from tests.integration.workflow_pump import Pump

MAX_RECEIVES = 5
IN_PROGRESS_SECONDS = 0.2
POISON = "not an envelope"


class _Context:
    function_name = "scrambled"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:scrambled"
    aws_request_id = "scrambled"

    def get_remaining_time_in_millis(self) -> int:
        return int(IN_PROGRESS_SECONDS * 1000)


def _record_id(record: dict[str, Any]) -> str:
    if "messageId" in record:
        return str(record["messageId"])
    return str(record["dynamodb"]["SequenceNumber"])


@dataclass
class Scrambler:
    name: str
    handler: Callable[[dict[str, Any], Any], Any]
    rng: random.Random
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)
    dead: set[str] = field(default_factory=set)
    deliveries: int = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        for record in records:
            self.sent.setdefault(_record_id(record), copy.deepcopy(record))
        copies = [record for record in records for _ in range(self.rng.randint(1, 3))]
        self.rng.shuffle(copies)
        failures: dict[str, int] = {}
        pending = copies
        while pending:
            size = self.rng.randint(1, len(pending))
            batch, pending = pending[:size], pending[size:]
            self.deliveries += len(batch)
            try:
                answer = self.handler({"Records": batch}, _Context()) or {}
                failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
            except Exception:  # Powertools raises when every record of a batch failed
                failed = {_record_id(record) for record in batch}
            for record in batch:
                record_id = _record_id(record)
                if record_id not in failed:
                    self.processed.add(record_id)
                    continue
                failures[record_id] = failures.get(record_id, 0) + 1
                if failures[record_id] >= MAX_RECEIVES:
                    self.dead.add(record_id)
                elif record_id not in self.processed:
                    pending.append(record)  # back on the queue after its visibility timeout
                    time.sleep(IN_PROGRESS_SECONDS * 1.2)
        return {"batchItemFailures": []}

    def redeliver_once(self) -> None:
        """Every record once more, in the order first seen (the second opinion on idempotency)."""
        for record in self.sent.values():
            if _record_id(record) not in self.dead:
                answer = self.handler({"Records": [copy.deepcopy(record)]}, _Context()) or {}
                assert not answer.get("batchItemFailures"), (self.name, record)


def _snapshot() -> dict[tuple[str, str], dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(resources.physical_name("local", "main"))
    items: dict[tuple[str, str], dict[str, Any]] = {}
    scan: dict[str, Any] = {}
    while True:
        page = table.scan(**scan)
        for item in page["Items"]:
            items[(str(item["pk"]), str(item["sk"]))] = json.loads(json.dumps(item, default=str))
        if "LastEvaluatedKey" not in page:
            return items
        scan = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _erase_idempotency_records() -> None:
    table = boto3.resource("dynamodb").Table(resources.physical_name("local", "idempotency"))
    for item in table.scan()["Items"]:
        table.delete_item(Key={"id": item["id"]})


def _assert_aggregates_equal_one_clean_delivery(analytics: Scrambler) -> None:
    """The analytics aggregates (and journal) dropped, the stream delivered again once, in order,
    without duplicates: every day's sums equal those the scrambled delivery left."""
    from boto3.dynamodb.conditions import Attr

    from chalicelib.analytics.store import read_days

    table = boto3.resource("dynamodb").Table(resources.physical_name("local", "main"))
    keys = [
        {"pk": item["pk"], "sk": item["sk"]}
        for item in table.scan(FilterExpression=Attr("pk").begins_with("ANLX#"))["Items"]
    ]
    days = sorted({str(key["pk"]).split("#")[2] for key in keys})
    scrambled = read_days(days)
    assert any(sums.counters for sums in scrambled.values()), scrambled  # there was something to add
    for key in keys:
        table.delete_item(Key=key)
    _erase_idempotency_records()
    for record in analytics.sent.values():
        answer = analytics.handler({"Records": [copy.deepcopy(record)]}, _Context()) or {}
        assert not answer.get("batchItemFailures"), record
    assert read_days(days) == scrambled


def _poison(urls: dict[str, str]) -> None:
    sqs = boto3.client("sqs")
    for queue in resources.QUEUES:
        sqs.send_message(QueueUrl=urls[queue.name], MessageBody=POISON)


@pytest.fixture
def scrambled(aws: dict[str, str]) -> tuple[Pump, dict[str, Scrambler]]:
    clock.freeze(NOW)
    pump = Pump(aws)
    rng = random.Random(1301)
    scramblers = {}
    for poller in [*pump.streams, *pump.queues]:
        scrambler = Scrambler(poller.spec.name, poller.handler, rng)
        poller.handler = scrambler
        scramblers[poller.spec.name] = scrambler
    return pump, scramblers


def test_sent_messages_are_remembered_longer_than_the_queue_keeps_them() -> None:
    """A message can come back as long as SQS keeps it (4 days by default): its record must be
    there, since sending is the one effect no write can make idempotent (the other consumers'
    effects are, which the erased-records redelivery below proves)."""
    from chalicelib.events import notifications

    assert notifications.handler._config.expires_after_seconds > 4 * 24 * 3600


def test_every_consumer_is_scrambled() -> None:
    consumers = {spec.name for spec in resources.QUEUES} | {spec.name for spec in resources.STREAM_CONSUMERS}
    assert consumers == {
        "analytics",
        "notifications",
        "order-events",
        "order-timers",
        "payment-events",
        "exports",
        "outbox",
    }


def test_scrambled_delivery_counts_every_message_and_acts_once(
    http: Http, aws: dict[str, str], scrambled: tuple[Pump, dict[str, Scrambler]]
) -> None:
    pump, scramblers = scrambled
    _poison(aws)
    customer_id, token = account("customer")
    alice, _ = _worker("李阿姨")
    bella, _ = _worker("王阿姨")
    paid = _book(http, token, customer_id, alice)
    lapsing = _book(http, token, customer_id, bella)
    pump.run()
    payment_port.mark_paid(paid, f"pi_{paid}")  # what the payment-events consumer does for a webhook
    pump.run()
    clock.advance(timedelta(minutes=16))
    pump.fire_due_timers()  # the unpaid order's pay_by timer: it expires
    pump.run()

    for name, scrambler in scramblers.items():
        assert len(scrambler.processed) + len(scrambler.dead) == len(scrambler.sent), name
        dead_bodies = {scramblers[name].sent[record_id].get("body") for record_id in scrambler.dead}
        assert dead_bodies <= {POISON}, (name, dead_bodies)
    for queue in resources.QUEUES:
        assert len(scramblers[queue.name].dead) == 1, queue.name  # its poison record
    assert scramblers["outbox"].sent and scramblers["order-events"].processed
    assert scramblers["order-timers"].processed and scramblers["notifications"].processed
    assert any(s.deliveries > len(s.sent) for s in scramblers.values())  # duplicates really went

    before = _snapshot()
    # A sent SMS or e-mail cannot be unsent: the notifications consumer relies on its idempotency
    # records (kept longer than the queue keeps a message), so it gets its records intact ...
    scramblers["notifications"].redeliver_once()
    # ... the others must be idempotent in their own writes, records or not.
    _erase_idempotency_records()
    for name in ("outbox", "analytics", "order-events", "order-timers", "payment-events"):
        scramblers[name].redeliver_once()
    after = _snapshot()
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    assert not changed, sorted(changed)[:10]
    _assert_aggregates_equal_one_clean_delivery(scramblers["analytics"])
    print("\n| consumer | sent | delivered (with copies) | processed | dead-lettered |")
    for name, s in scramblers.items():
        print(f"| {name} | {len(s.sent)} | {s.deliveries} | {len(s.processed)} | {len(s.dead)} |")
    del lapsing
