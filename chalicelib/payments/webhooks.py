"""``POST /v1/payments/stripe/webhook``: verify, store the raw event, queue it, answer at once.

1. The ``Stripe-Signature`` header is checked over the raw body with the endpoint's secret
   (``stripe.WebhookSignature.verify_header``). The library only refuses timestamps too far in
   the past, and with the system clock; here both directions are checked against the platform
   clock (``SETTINGS.webhook_tolerance_seconds``), so a replay of an old delivery and a
   timestamp from the future are both refused. Any failure is 400 ``invalid_signature`` and
   nothing is written.
2. The raw body is stored once per event id (``STRIPE#EVENT#<id>``, 30 days); a repeat delivery
   only counts ``deliveries``.
3. Unless the event was already processed, its id goes to the ``payment-events`` queue; the
   consumer (``chalicelib.events.payment_events``) processes each event id once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.aws import client
from chalicelib.basemodel import Model
from chalicelib.config import settings
from chalicelib.errors import BadRequest
from chalicelib.events.envelope import wrap
from chalicelib.models.payments import StripeEventItem
from chalicelib.observability import metrics
from chalicelib.payments.provider import ProviderUnavailable
from chalicelib.payments.settings import SETTINGS, stripe_credentials

__all__ = ["QUEUE", "Received", "StripeEventRef", "receive", "verify"]

QUEUE = "payment-events"
COMMAND = "payment.stripe_event.process"


class StripeEventRef(Model):
    """The queued message: which stored event to process."""

    event_id: str
    type: str


@dataclass(frozen=True)
class Received:
    event_id: str
    type: str
    queued: bool


def verify(payload: bytes, header: str | None, secret: str, now: datetime) -> None:
    """400 ``invalid_signature`` unless ``header`` signs ``payload`` with ``secret`` within the tolerance."""
    import stripe

    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=None)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        raise BadRequest("invalid_signature") from None
    assert header is not None  # verify_header refuses a missing header
    stamps = [part.partition("=")[2] for part in header.split(",") if part.strip().startswith("t=")]
    try:
        signed_at = int(stamps[0])
    except (IndexError, ValueError):
        raise BadRequest("invalid_signature") from None
    if abs(now.timestamp() - signed_at) > SETTINGS.webhook_tolerance_seconds:
        metrics.add_metric(name="WebhookSignatureOutsideWindow", unit="Count", value=1)
        raise BadRequest("invalid_signature", details=[{"code": "timestamp_outside_tolerance"}])


def _parse(payload: bytes) -> tuple[str, str]:
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("malformed_event") from None
    if not isinstance(event, dict):
        raise BadRequest("malformed_event")
    event_id, kind = event.get("id"), event.get("type")
    if not (isinstance(event_id, str) and event_id.startswith("evt_") and len(event_id) <= 255):
        raise BadRequest("malformed_event")
    if not (isinstance(kind, str) and 0 < len(kind) <= 100):
        raise BadRequest("malformed_event")
    return event_id, kind


def _store(event_id: str, kind: str, payload: bytes, now: datetime) -> StripeEventItem:
    """The stored event: written on first delivery, counted on every later one."""
    item = StripeEventItem(
        *StripeEventItem.key(event_id),
        event_id=event_id,
        type=kind,
        payload=payload.decode(),
        received_at=clock.iso(now),
        deliveries=1,
        ttl=int((now + timedelta(days=SETTINGS.event_retention_days)).timestamp()),
    )
    try:
        item.save(condition=StripeEventItem.pk.does_not_exist())
        return item
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    stored = StripeEventItem.get(*StripeEventItem.key(event_id), consistent_read=True)
    stored.update(actions=[StripeEventItem.deliveries.add(1)])
    metrics.add_metric(name="WebhookRedeliveries", unit="Count", value=1)
    return stored


def receive(payload: bytes, header: str | None) -> Received:
    """Verify, store and queue one webhook delivery (see the module docstring)."""
    secret = stripe_credentials().webhook_secret
    if not secret:
        raise ProviderUnavailable()
    now = clock.now()
    verify(payload, header, secret, now)
    event_id, kind = _parse(payload)
    stored = _store(event_id, kind, payload, now)
    if stored.processed_at:
        return Received(event_id, kind, queued=False)
    message = wrap(COMMAND, StripeEventRef(event_id=event_id, type=kind), correlation_id=event_id)
    client("sqs").send_message(QueueUrl=settings().queue_urls[QUEUE], MessageBody=message.model_dump_json())
    metrics.add_metric(name="WebhooksQueued", unit="Count", value=1)
    return Received(event_id, kind, queued=True)
