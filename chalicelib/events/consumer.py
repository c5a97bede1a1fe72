"""The shape every SQS consumer of the app shares: partial batch responses, each message's work once.

Powertools batch processing reports the records that failed (one bad message does not send the
batch back); Powertools idempotency, keyed on the id the consumer reads from each message and
stored in the idempotency table, skips work already done when SQS (or its sender) delivers a
message again. A consumer only says how to read a record: its key and the work it asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from chalicelib.config import settings

__all__ = ["Read", "SqsConsumer", "persistence"]

Read = Callable[[SQSRecord], tuple[str, Callable[[], object]]]
"""From a record: the key its work is done once for, and that work (its result is remembered)."""


@cache
def persistence() -> DynamoDBPersistenceLayer:
    """The idempotency table, shared by every consumer (tests clear the cache with the moto they use)."""
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name)


class SqsConsumer:
    """A Lambda handler for one queue: ``read`` each record, do its work once per key for ``keep_seconds``.

    Keys are prefixed with ``name``, so two consumers never mistake each other's ids.
    """

    def __init__(self, name: str, read: Read, *, keep_seconds: int) -> None:
        self.name = name
        self._read = read
        self._processor = BatchProcessor(event_type=EventType.SQS)
        self._config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=keep_seconds)

    def _record_handler(self, record: SQSRecord) -> str:
        key, work = self._read(record)

        @idempotent_function(
            data_keyword_argument="message", config=self._config, persistence_store=persistence()
        )
        def once(message: dict[str, Any]) -> str:
            return str(work())

        return str(once(message={"key": f"{self.name}:{key}"}))

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self._config.register_lambda_context(context)
        return dict(
            process_partial_response(
                event=event, record_handler=self._record_handler, processor=self._processor, context=context
            )
        )
