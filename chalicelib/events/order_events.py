"""Consumer of the ``order-events`` queue: each order event from the bus drives the order workflow once.

EventBridge delivers the whole event to SQS (``detail`` holds our envelope). Powertools batch
processing reports partial failures; idempotency keyed on the envelope's ``event_id`` (derived
from the timeline item, so the same however often the relay publishes it) skips repeats, and
the workflow's own steps are safe to repeat should a failure undo that record.
"""

from __future__ import annotations

import json
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
from chalicelib.events.contracts import OrderEvent
from chalicelib.events.envelope import Envelope
from chalicelib.observability import logger

__all__ = ["handler"]

_processor = BatchProcessor(event_type=EventType.SQS)
_config = IdempotencyConfig(event_key_jmespath="event_id", expires_after_seconds=7 * 24 * 3600)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name)


def _react_once(event_id: str, event: OrderEvent) -> None:
    from chalicelib.orders.workflow import on_event

    @idempotent_function(data_keyword_argument="message", config=_config, persistence_store=_persistence())
    def react(message: dict[str, Any]) -> str:
        on_event(event, message["event_id"])
        return str(message["event_id"])

    react(message={"event_id": event_id})


def _record_handler(record: SQSRecord) -> str:
    envelope = Envelope[OrderEvent].model_validate(json.loads(record.body)["detail"])
    logger.append_keys(correlation_id=envelope.metadata.correlation_id, order_id=envelope.data.order_id)
    _react_once(envelope.metadata.event_id, envelope.data)
    return envelope.metadata.event_id


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``order_events_consumer``) for SQS batches."""
    _config.register_lambda_context(context)
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
