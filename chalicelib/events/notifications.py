"""Consumer of the ``notifications`` queue: delivers each queued SMS or e-mail once.

Powertools batch processing reports partial failures (one bad message does not send the batch
back), and idempotency keyed on ``message_id`` skips a message that was already delivered when
SQS hands it over again.
"""

from __future__ import annotations

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
from chalicelib.events.envelope import Envelope
from chalicelib.notifications.delivery import deliver
from chalicelib.notifications.outgoing import OutgoingMessage
from chalicelib.observability import logger, metrics

__all__ = ["handler"]

_processor = BatchProcessor(event_type=EventType.SQS)
_config = IdempotencyConfig(event_key_jmespath="message_id", expires_after_seconds=3 * 24 * 3600)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name)


def _deliver_once(message: dict[str, Any]) -> str:
    @idempotent_function(data_keyword_argument="message", config=_config, persistence_store=_persistence())
    def send(message: dict[str, Any]) -> str:
        parsed = OutgoingMessage.model_validate(message)
        deliver(parsed)
        metrics.add_metric(name=f"Sent_{parsed.channel}", unit="Count", value=1)
        return parsed.message_id

    return str(send(message=message))


def _record_handler(record: SQSRecord) -> str:
    envelope = Envelope[OutgoingMessage].model_validate_json(record.body)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id)
    return _deliver_once(envelope.data.model_dump())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``notifications_consumer``) for SQS batches."""
    _config.register_lambda_context(context)
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
