"""The outbox relay: order timeline events, read from the table's stream, go out on the bus.

Every order change writes its timeline event (``ORDER#<id> / ORDER#EVENT#…``) in the same
transaction as the change, so an event exists exactly when its change happened: the timeline is
the transactional outbox. This relay (``outbox_relay``, wired to the main table's stream by CDK
with the filter in ``chalicelib.resources.STREAM_CONSUMERS``; locally ``local.stream_poller``)
publishes each new one as ``order.<event>`` on the app's bus, wrapped in the envelope.

Delivery is at least once: a failed ``PutEvents`` reports the record as a batch item failure, so
the stream is read again from it. The event id is derived from the item's key, so a repeat
carries the same id and consumers (``chalicelib.events.order_events``) drop it.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.events.contracts import ORDER_EVENT_SOURCE, OrderEvent
from chalicelib.events.envelope import wrap
from chalicelib.observability import logger, metrics

__all__ = ["OUTBOX_PREFIX", "event_id_for", "handler", "publish"]

OUTBOX_PREFIX = "ORDER#EVENT#"

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def event_id_for(pk: str, sk: str) -> str:
    """The id of the event written as item ``pk``/``sk``: the same however often it is relayed."""
    return "evt_" + hashlib.sha256(f"{pk}|{sk}".encode()).hexdigest()[:32]


@cache
def _events() -> Any:
    return client("events")


def publish(event: OrderEvent, event_id: str) -> None:
    """Put one order event on the bus; raises if EventBridge did not take it."""
    envelope = wrap(f"order.{event.event}", event, correlation_id=event.order_id, event_id=event_id)
    answer = _events().put_events(
        Entries=[
            {
                "Source": ORDER_EVENT_SOURCE,
                "DetailType": envelope.metadata.event_name,
                "Detail": envelope.model_dump_json(),
                "EventBusName": settings().event_bus_name,
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        failed = answer["Entries"][0]
        raise RuntimeError(
            f"PutEvents refused {event_id}: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}"
        )


def _record_handler(record: DynamoDBRecord) -> str | None:
    keys = record.dynamodb.keys if record.dynamodb else None
    sk = str((keys or {}).get("sk", ""))
    if record.event_name is None or record.event_name.name != "INSERT" or not sk.startswith(OUTBOX_PREFIX):
        return None  # Lambda's filter already drops these; the local poller feeds everything
    image = record.dynamodb.new_image if record.dynamodb else {}
    details = image.get("details")  # a pynamodb JSONAttribute: stored as a JSON string
    event = OrderEvent(
        order_id=str(image["order_id"]),
        event=str(image["event"]),
        at=str(image["at"]),  # pydantic parses the ISO string
        by=str(image["by"]),
        details=json.loads(details) if isinstance(details, str) else details,
    )
    event_id = event_id_for(str(keys["pk"]), sk)  # type: ignore[index]
    publish(event, event_id)
    logger.info("order event published", order_id=event.order_id, order_event=event.event, event_id=event_id)
    metrics.add_metric(name="OrderEventsPublished", unit="Count", value=1)
    return event_id


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (``outbox_relay``) for DynamoDB stream batches."""
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
