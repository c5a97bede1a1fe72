"""Consumer of the ``order-events`` queue: each order event from the bus drives the order workflow once.

EventBridge delivers the whole event to SQS (``detail`` holds our envelope). Partial batch
failures are reported and repeats skipped (``chalicelib.events.consumer``) on the envelope's
``event_id``, which is derived from the timeline item and so the same however often the relay
publishes it; the workflow's own steps are safe to repeat should a failure undo that record.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.events.consumer import SqsConsumer
from chalicelib.events.contracts import OrderEvent
from chalicelib.events.envelope import Envelope
from chalicelib.observability import logger

__all__ = ["handler"]


def _read(record: SQSRecord) -> tuple[str, Callable[[], object]]:
    envelope = Envelope[OrderEvent].model_validate(json.loads(record.body)["detail"])
    logger.append_keys(correlation_id=envelope.metadata.correlation_id, order_id=envelope.data.order_id)
    event_id = envelope.metadata.event_id

    def react() -> str:
        from chalicelib.orders.workflow import on_event

        on_event(envelope.data, event_id)
        return event_id

    return event_id, react


handler = SqsConsumer("order-events", _read, keep_seconds=7 * 24 * 3600)
"""Lambda entry point (``order_events_consumer``) for SQS batches."""
