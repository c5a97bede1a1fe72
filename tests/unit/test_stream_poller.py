"""The local stand-in for Lambda's stream event source: order, partial failures, DLQ, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.resources import StreamConsumerSpec
from local.stream_poller import StreamPoller

SPEC = StreamConsumerSpec(
    name="outbox",
    table="main",
    function="relay",
    handler="x.handler",
    filter_pattern={},
    batch_size=2,
    max_retries=2,
)


class FakeStream:
    """One shard of numbered records, served the way GetRecords serves them."""

    def __init__(self, count: int) -> None:
        self.records = [
            {
                "eventName": "INSERT",
                "dynamodb": {"SequenceNumber": f"{100 + n}", "Keys": {"n": {"N": str(n)}}},
            }
            for n in range(count)
        ]
        self.sent: list[dict[str, Any]] = []

    def describe_table(self, TableName: str) -> dict[str, Any]:
        return {"Table": {"LatestStreamArn": "arn:stream"}}

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **params: Any) -> dict[str, Any]:
        if params["ShardIteratorType"] == "TRIM_HORIZON":
            return {"ShardIterator": "0"}
        after = int(params["SequenceNumber"])
        return {
            "ShardIterator": str(
                next(
                    (i for i, r in enumerate(self.records) if int(r["dynamodb"]["SequenceNumber"]) > after),
                    len(self.records),
                )
            )
        }

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        return {
            "Records": self.records[start : start + Limit],
            "NextShardIterator": str(min(start + Limit, len(self.records))),
        }

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append(json.loads(MessageBody))


def _poller(stream: FakeStream, handler: Any, checkpoints: Path | None = None) -> StreamPoller:
    return StreamPoller(
        SPEC,
        "main",
        lambda _service: stream,
        handler,
        "us-east-1",
        dlq_url="dlq",
        checkpoint_file=checkpoints,
        log=lambda _line: None,
    )


def _numbers(event: dict[str, Any]) -> list[int]:
    return [int(record["dynamodb"]["Keys"]["n"]["N"]) for record in event["Records"]]


def test_records_arrive_in_order_in_lambda_shape() -> None:
    seen: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert all(record["eventSourceARN"] == "arn:stream" for record in event["Records"])
        seen.extend(_numbers(event))
        return {"batchItemFailures": []}

    poller = _poller(FakeStream(5), handler)
    while poller.poll_once():
        pass
    assert seen == [0, 1, 2, 3, 4]


def test_a_partial_failure_is_read_again_from_the_failed_record() -> None:
    calls: list[list[int]] = []
    failing = {1: 1}  # record 1 fails once

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(_numbers(event))
        for record, number in zip(event["Records"], _numbers(event), strict=True):
            if failing.get(number):
                failing[number] -= 1
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    poller = _poller(FakeStream(3), handler)
    for _ in range(5):
        poller.poll_once()
    assert calls == [[0, 1], [1, 2]]


def test_a_record_that_keeps_failing_goes_to_the_dlq_and_the_stream_moves_on(tmp_path: Path) -> None:
    stream = FakeStream(3)
    handled: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for number in _numbers(event):
            if number == 0:
                raise RuntimeError("poison")
            handled.append(number)
        return {}

    checkpoints = tmp_path / "checkpoints.json"
    poller = _poller(stream, handler, checkpoints)
    for _ in range(SPEC.max_retries + 3):
        poller.poll_once()
    assert [int(m["dynamodb"]["SequenceNumber"]) for m in stream.sent] == [100]
    assert handled == [1, 2]
    assert json.loads(checkpoints.read_text()) == {"shard-1": "102"}


def test_a_restarted_poller_carries_on_from_its_checkpoint(tmp_path: Path) -> None:
    stream, checkpoints = FakeStream(4), tmp_path / "checkpoints.json"
    first: list[int] = []
    _poller(stream, lambda event, context: first.extend(_numbers(event)), checkpoints).poll_once()
    later: list[int] = []
    poller = _poller(stream, lambda event, context: later.extend(_numbers(event)), checkpoints)
    while poller.poll_once():
        pass
    assert (first, later) == ([0, 1], [2, 3])
