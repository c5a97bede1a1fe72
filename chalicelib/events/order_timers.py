"""Consumer of the ``order-timers`` queue: each due order timer (from EventBridge Scheduler) acts once.

Scheduler delivers the schedule's input (our enveloped :class:`OrderTimer`) as the message body.
Partial batch failures are reported and a repeat delivery skipped (Scheduler and SQS are both at
least once) on the timer's id (``chalicelib.events.consumer``).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.events.consumer import SqsConsumer
from chalicelib.events.contracts import OrderTimer
from chalicelib.events.envelope import Envelope
from chalicelib.observability import logger

__all__ = ["handler"]


def _read(record: SQSRecord) -> tuple[str, Callable[[], object]]:
    envelope = Envelope[OrderTimer].model_validate_json(record.body)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id, order_id=envelope.data.order_id)
    timer_id = envelope.metadata.event_id

    def fire() -> str:
        from chalicelib.orders.workflow import on_timer

        on_timer(envelope.data, timer_id)
        return timer_id

    return timer_id, fire


handler = SqsConsumer("order-timers", _read, keep_seconds=7 * 24 * 3600)
"""Lambda entry point (``order_timers_consumer``) for SQS batches."""
