"""Stream consumer ``analytics_events``: every new source event is added to the daily aggregates.

Wired to the main table's stream by CDK with the filter in ``chalicelib.resources``
(``STREAM_CONSUMERS["analytics"]``: inserted timeline events, reviews, tickets and user
profiles); locally ``local.stream_poller`` feeds it every record, so the handler checks again.
Partial batch failures send the stream back to the failed record; a record that keeps failing
goes to the consumer's DLQ. Adding a fact twice does nothing (``chalicelib.analytics.store``),
so a replayed stream is harmless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.analytics.facts import fact_of, is_source
from chalicelib.analytics.store import apply
from chalicelib.observability import metrics

__all__ = ["handler"]

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _record_handler(record: DynamoDBRecord) -> str | None:
    keys = (record.dynamodb.keys if record.dynamodb else None) or {}
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    if record.event_name is None or record.event_name.name != "INSERT" or not is_source(pk, sk):
        return None
    image = dict(record.dynamodb.new_image) if record.dynamodb else {}
    fact = fact_of(pk, sk, image)
    if fact is None:
        return None
    if apply(fact):
        metrics.add_metric(name="AnalyticsFactsApplied", unit="Count", value=1)
    return fact.event_id


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``analytics_events``) for DynamoDB stream batches."""
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
