"""Consumer of the ``payment-events`` queue: each stored Stripe event is processed once.

The webhook stores the raw event and queues its id (``chalicelib.payments.webhooks``). Powertools
batch processing reports partial failures (one failing event does not send the batch back), and
idempotency keyed on the Stripe event id (kept 4 days: Stripe retries for 3) skips an event
already processed however often Stripe or SQS deliver it. The processing itself is safe to repeat
too (``processed_at`` on the stored event, conditional writes), so an idempotency record lost to
an expiry cannot make an event count twice.
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
from chalicelib.observability import logger
from chalicelib.payments.settings import SETTINGS
from chalicelib.payments.webhooks import StripeEventRef

__all__ = ["handler"]

_processor = BatchProcessor(event_type=EventType.SQS)
_config = IdempotencyConfig(event_key_jmespath="event_id", expires_after_seconds=SETTINGS.dedupe_seconds)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name)


def _process_once(message: dict[str, Any]) -> str:
    @idempotent_function(data_keyword_argument="message", config=_config, persistence_store=_persistence())
    def process(message: dict[str, Any]) -> str:
        from chalicelib.payments.processing import process_event

        return process_event(StripeEventRef.model_validate(message).event_id)

    return str(process(message=message))


def _record_handler(record: SQSRecord) -> str:
    envelope = Envelope[StripeEventRef].model_validate_json(record.body)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id)
    return _process_once(envelope.data.model_dump())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``payment_events_consumer``) for SQS batches."""
    _config.register_lambda_context(context)
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
