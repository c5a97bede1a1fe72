"""Consumer of the ``order-timers`` queue: each due order timer (from EventBridge Scheduler) acts once.

Scheduler delivers the schedule's input (our enveloped :class:`OrderTimer`) as the message body.
Partial batch failures are reported; idempotency keyed on the timer's id skips a repeat delivery
(Scheduler and SQS are both at least once).
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
from chalicelib.events.contracts import OrderTimer
from chalicelib.events.envelope import Envelope
from chalicelib.observability import logger

__all__ = ["handler"]

_processor = BatchProcessor(event_type=EventType.SQS)
_config = IdempotencyConfig(event_key_jmespath="timer_id", expires_after_seconds=7 * 24 * 3600)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name)


def _fire_once(timer_id: str, timer: OrderTimer) -> None:
    from chalicelib.orders.workflow import on_timer

    @idempotent_function(data_keyword_argument="message", config=_config, persistence_store=_persistence())
    def fire(message: dict[str, Any]) -> str:
        on_timer(timer, message["timer_id"])
        return str(message["timer_id"])

    fire(message={"timer_id": timer_id})


def _record_handler(record: SQSRecord) -> str:
    envelope = Envelope[OrderTimer].model_validate_json(record.body)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id, order_id=envelope.data.order_id)
    _fire_once(envelope.metadata.event_id, envelope.data)
    return envelope.metadata.event_id


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``order_timers_consumer``) for SQS batches."""
    _config.register_lambda_context(context)
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
