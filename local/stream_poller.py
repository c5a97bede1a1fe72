"""Lambda's DynamoDB stream event source mapping, for one table: read shards, invoke, checkpoint.

DynamoDB Local (and moto) serve the table's stream; this feeds its records to the consumer in
Lambda's event shape, in order per shard, applying Lambda's rules to the answer: with
``batchItemFailures`` the shard is read again from the first failed record; a record that still
fails after ``max_retries`` attempts is sent to the consumer's ``-dlq`` queue (Lambda's on-failure
destination) and skipped, so one poison record cannot stall the stream. Checkpoints (the last
sequence number handled per shard) can live in a JSON file, so a restarted runner carries on
where it stopped instead of replaying the stream.

Every read starts from a fresh shard iterator at the checkpoint; none is kept between polls.
moto rolls a failed ``TransactWriteItems`` back by putting a deep copy of the table taken before
it in the table's place, stream shard included (same shard id): an iterator obtained earlier
still points into the replaced shard, which receives no new record (the pollers then read 0
records for ever) and holds the rolled-back writes' records. An iterator from the checkpoint
reads the table's current shard. Against DynamoDB it costs one GetShardIterator per read.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.resources import StreamConsumerSpec
from local.sqs_poller import FakeLambdaContext, Handler

__all__ = ["StreamPoller", "lambda_record"]


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it (epoch seconds, the stream's ARN)."""
    converted = dict(record)
    body = dict(record.get("dynamodb", {}))
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        body["ApproximateCreationDateTime"] = created.timestamp()
    converted["dynamodb"] = body
    converted["eventSourceARN"] = stream_arn
    return converted


def _failed_sequence(answer: Any, records: list[dict[str, Any]]) -> str | None:
    """The first sequence number Lambda would retry from, by its partial batch response rules."""
    if not isinstance(answer, Mapping) or not answer.get("batchItemFailures"):
        return None
    numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
    named = [item.get("itemIdentifier") for item in answer["batchItemFailures"] if isinstance(item, Mapping)]
    known = [number for number in numbers if number in named]
    return known[0] if known else numbers[0]  # an unknown identifier fails the whole batch


class StreamPoller:
    """Polls every shard of one table's stream and feeds the consumer, like one event source mapping."""

    def __init__(
        self,
        spec: StreamConsumerSpec,
        table_name: str,
        clients: Callable[[str], Any],
        handler: Handler,
        region: str,
        *,
        dlq_url: str | None = None,
        checkpoint_file: Path | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.spec = spec
        self.table_name = table_name
        self.clients = clients
        self.handler = handler
        self.region = region
        self.dlq_url = dlq_url
        self.checkpoint_file = checkpoint_file
        self.log = log
        self.checkpoints: dict[str, str] = {}
        self.closed: set[str] = set()
        self.attempts: dict[str, int] = {}
        if checkpoint_file is not None and checkpoint_file.exists():
            self.checkpoints = json.loads(checkpoint_file.read_text(encoding="utf-8"))

    def _save(self) -> None:
        if self.checkpoint_file is None:
            return
        tmp = self.checkpoint_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.checkpoints), encoding="utf-8")
        tmp.replace(self.checkpoint_file)

    def _stream_arn(self) -> str:
        return str(
            self.clients("dynamodb").describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]
        )

    def _shards(self, stream_arn: str) -> list[str]:
        streams = self.clients("dynamodbstreams")
        shards: list[str] = []
        params: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = streams.describe_stream(**params)["StreamDescription"]
            shards += [shard["ShardId"] for shard in description.get("Shards", [])]
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            params["ExclusiveStartShardId"] = last

    def _iterator(self, stream_arn: str, shard: str) -> str:
        params: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard}
        if shard in self.checkpoints:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.checkpoints[shard])
        else:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        return str(self.clients("dynamodbstreams").get_shard_iterator(**params)["ShardIterator"])

    def poll_once(self) -> int:
        """Read each open shard once and hand what came to the consumer; returns records handled."""
        stream_arn = self._stream_arn()
        handled = 0
        for shard in self._shards(stream_arn):
            if shard not in self.closed:
                handled += self._poll_shard(stream_arn, shard)
        return handled

    def _poll_shard(self, stream_arn: str, shard: str) -> int:
        answer = self.clients("dynamodbstreams").get_records(
            ShardIterator=self._iterator(stream_arn, shard), Limit=self.spec.batch_size
        )
        records = [lambda_record(record, stream_arn) for record in answer.get("Records", [])]
        following = answer.get("NextShardIterator")
        if not records:
            if following is None:
                self.closed.add(shard)
            return 0
        failed = self._invoke(records)
        if failed is None:
            self._advance(shard, records[-1]["dynamodb"]["SequenceNumber"])
            if following is None:
                self.closed.add(shard)
            return len(records)
        done = [record for record in records if int(record["dynamodb"]["SequenceNumber"]) < int(failed)]
        if done:
            self._advance(shard, done[-1]["dynamodb"]["SequenceNumber"])
        self.attempts[failed] = self.attempts.get(failed, 0) + 1
        if self.attempts[failed] > self.spec.max_retries:
            self._dead_letter(next(r for r in records if r["dynamodb"]["SequenceNumber"] == failed))
            self._advance(shard, failed)
            self.attempts.pop(failed, None)
        return len(done)  # the next read starts again from the checkpoint

    def _advance(self, shard: str, sequence: str) -> None:
        self.checkpoints[shard] = sequence
        self._save()

    def _invoke(self, records: list[dict[str, Any]]) -> str | None:
        context = FakeLambdaContext(self.spec.function, self.region, 60)
        started = time.monotonic()
        try:
            failed = _failed_sequence(self.handler({"Records": records}, context), records)
            error = ""
        except Exception as raised:  # the handler's bug must not stop the runner
            failed, error = (
                records[0]["dynamodb"]["SequenceNumber"],
                f", raised {type(raised).__name__}: {raised}",
            )
            self.log(traceback.format_exc().rstrip())
        self.log(
            f"stream {self.table_name} -> {self.spec.function}: {len(records)} record(s), "
            f"{'all done' if failed is None else 'retrying from ' + failed}, {time.monotonic() - started:.3f} s{error}"
        )
        return failed

    def _dead_letter(self, record: dict[str, Any]) -> None:
        sequence = record["dynamodb"]["SequenceNumber"]
        self.log(
            f"stream {self.table_name}: record {sequence} failed {self.spec.max_retries} retries: dead-lettered"
        )
        if self.dlq_url:
            self.clients("sqs").send_message(
                QueueUrl=self.dlq_url, MessageBody=json.dumps(record, default=str)
            )
