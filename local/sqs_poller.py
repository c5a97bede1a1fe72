"""Lambda's SQS event source mapping, for one queue: receive, invoke, delete what succeeded.

Handlers are written for Lambda with ReportBatchItemFailures, so the runner gives them the same
event and a context with the attributes Powertools reads, and applies Lambda's rules to the
answer: records named in ``batchItemFailures`` stay on the queue (and reach the DLQ through the
redrive policy after ``max_receive_count`` receives), a malformed answer or an exception fails the
whole batch, anything else deletes the batch.
"""

from __future__ import annotations

import base64
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.resources import QueueSpec
from local.aws import ACCOUNT_ID

__all__ = ["FakeLambdaContext", "PollResult", "QueuePoller", "sqs_event"]

Handler = Callable[[dict[str, Any], Any], Any]


class FakeLambdaContext:
    """The parts of Lambda's context object that handlers and Powertools use."""

    def __init__(self, function_name: str, region: str, timeout_seconds: int, memory_mb: int = 1024) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _message_attributes(raw: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API attribute shapes -> the lower-camel shapes of Lambda's SQS event."""
    converted = {}
    for name, value in raw.items():
        binary = value.get("BinaryValue")
        converted[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode("ascii") if binary is not None else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [
                base64.b64encode(item).decode("ascii") for item in value.get("BinaryListValues", [])
            ],
            "dataType": value.get("DataType"),
        }
    return converted


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda delivers for ``messages`` received from the queue ``queue_arn``."""
    records = []
    for message in messages:
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": _message_attributes(message.get("MessageAttributes", {})),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def failed_ids(answer: Any, message_ids: list[str]) -> set[str]:
    """The messages Lambda would keep, by its rules for a ReportBatchItemFailures answer."""
    if not isinstance(answer, Mapping):
        return set()
    failures = answer.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(message_ids)
    named = [item.get("itemIdentifier") if isinstance(item, Mapping) else None for item in failures]
    if any(not isinstance(item, str) or item not in message_ids for item in named):
        return set(message_ids)  # a bad identifier fails the whole batch
    return {item for item in named if isinstance(item, str)}


@dataclass
class PollResult:
    """What one receive-invoke-delete round did."""

    received: int = 0
    deleted: int = 0
    failed: int = 0
    error: str | None = None


class QueuePoller:
    """Polls one queue and feeds its handler, like one event source mapping."""

    def __init__(
        self,
        spec: QueueSpec,
        queue_url: str,
        sqs: Any,
        handler: Handler,
        region: str,
        *,
        wait_seconds: int = 1,
        log: Callable[[str], None] = print,
    ) -> None:
        self.spec = spec
        self.queue_url = queue_url
        self.sqs = sqs
        self.handler = handler
        self.region = region
        self.wait_seconds = wait_seconds
        self.log = log
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.queue_arn = str(attributes["QueueArn"])

    def poll_once(self) -> PollResult:
        """Long-poll once; if messages came, invoke the handler and delete the successes."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(self.spec.batch_size, 10)),
            WaitTimeSeconds=self.wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return PollResult()
        ids = [message["MessageId"] for message in messages]
        context = FakeLambdaContext(self.spec.function, self.region, self.spec.visibility_timeout_seconds)
        started = time.monotonic()
        result = PollResult(received=len(messages))
        try:
            failed = failed_ids(self.handler(sqs_event(messages, self.queue_arn, self.region), context), ids)
        except Exception as error:  # the handler's bug must not stop the runner
            failed = set(ids)
            result.error = f"{type(error).__name__}: {error}"
            self.log(traceback.format_exc().rstrip())
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(number), "ReceiptHandle": message["ReceiptHandle"]}
                    for number, message in enumerate(done[start : start + 10])
                ],
            )
        result.deleted, result.failed = len(done), len(failed)
        receives = max(int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")) for m in messages)
        self.log(
            f"sqs {self.spec.name} -> {self.spec.function}: {result.received} record(s), "
            f"{result.deleted} done, {result.failed} failed, max receive {receives}, "
            f"{time.monotonic() - started:.3f} s" + (f", raised {result.error}" if result.error else "")
        )
        return result
