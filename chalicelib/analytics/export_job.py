"""Consumer of the ``exports`` queue: each queued export runs, retried by SQS until its last attempt.

The attempt number is SQS's receive count, so the last one (``exports.MAX_ATTEMPTS``, the
queue's ``maxReceiveCount``) marks the export ``failed`` with its reason instead of raising.
Partial batch failures and Powertools idempotency come from ``SqsConsumer``; a failed attempt
raises, so its idempotency record is dropped and the retry runs again.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.events.consumer import SqsConsumer
from chalicelib.events.envelope import Envelope
from chalicelib.observability import logger
from chalicelib.schemas.analytics import ExportJob

__all__ = ["handler"]


def _read(record: SQSRecord) -> tuple[str, Callable[[], object]]:
    envelope = Envelope[ExportJob].model_validate_json(record.body)
    export_id = envelope.data.export_id
    attempt = int(record.attributes.approximate_receive_count or 1)
    logger.append_keys(correlation_id=envelope.metadata.correlation_id, export_id=export_id)

    def run() -> str:
        from chalicelib.analytics.exports import run_export

        return run_export(export_id, attempt)

    return export_id, run


handler = SqsConsumer("exports", _read, keep_seconds=24 * 3600)
"""Lambda entry point (``exports_consumer``) for SQS batches."""
