"""Consumer of the ``notifications`` queue: delivers each queued SMS or e-mail once.

Partial batch failures are reported and a message already delivered is skipped when SQS hands it
over again (``chalicelib.events.consumer``, keyed on ``message_id``).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.events.consumer import SqsConsumer
from chalicelib.events.envelope import Envelope
from chalicelib.notifications.delivery import deliver
from chalicelib.notifications.outgoing import OutgoingMessage
from chalicelib.observability import logger, metrics

__all__ = ["handler"]


def _read(record: SQSRecord) -> tuple[str, Callable[[], object]]:
    envelope = Envelope[OutgoingMessage].model_validate_json(record.body)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id)
    message = envelope.data

    def send() -> str:
        deliver(message)
        metrics.add_metric(name=f"Sent_{message.channel}", unit="Count", value=1)
        return message.message_id

    return message.message_id, send


# Longer than SQS keeps a message (4 days): a sent SMS cannot be taken back, so a copy that comes
# back late must still find its record.
handler = SqsConsumer("notifications", _read, keep_seconds=5 * 24 * 3600)
"""Lambda entry point (``notifications_consumer``) for SQS batches."""
