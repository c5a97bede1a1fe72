"""Consumer of the ``payment-events`` queue: each stored Stripe event is processed once.

The webhook stores the raw event and queues its id (``chalicelib.payments.webhooks``). Partial
batch failures are reported and idempotency keyed on the Stripe event id (kept 4 days: Stripe
retries for 3) skips an event already processed however often Stripe or SQS deliver it
(``chalicelib.events.consumer``). The processing itself is safe to repeat
too (``processed_at`` on the stored event, conditional writes), so an idempotency record lost to
an expiry cannot make an event count twice.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.events.consumer import SqsConsumer
from chalicelib.events.envelope import Envelope
from chalicelib.observability import logger
from chalicelib.payments.settings import SETTINGS
from chalicelib.payments.webhooks import StripeEventRef

__all__ = ["handler"]


def _read(record: SQSRecord) -> tuple[str, Callable[[], object]]:
    envelope = Envelope[StripeEventRef].model_validate_json(record.body)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id)
    event_id = envelope.data.event_id

    def process() -> str:
        from chalicelib.payments.processing import process_event

        return process_event(event_id)

    return event_id, process


handler = SqsConsumer("payment-events", _read, keep_seconds=SETTINGS.dedupe_seconds)
"""Lambda entry point (``payment_events_consumer``) for SQS batches."""
