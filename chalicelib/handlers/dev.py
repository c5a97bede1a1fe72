"""Local-stage tools (``/v1/dev/*``): the outbox of "sent" messages, the movable clock, the local wallet.

``app.py`` registers this blueprint only when the stage is ``local``: on any deployed stage the
routes do not exist at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from chalicelib import clock
from chalicelib.basemodel import Model
from chalicelib.models.accounts import OutboxItem
from chalicelib.web import Api, Reply, Request
from chalicelib.web.schemas import StrictModel

api = Api("dev", local_only=True)


class OutboxQuery(Model):
    target: str | None = Field(
        None, max_length=254, description="Only messages to this phone (E.164) or e-mail."
    )
    limit: int = Field(20, ge=1, le=100)


class OutboxEntry(Model):
    channel: Literal["sms", "email"]
    target: str
    subject: str | None = None
    body: str
    sent_at: datetime


class Outbox(Model):
    items: list[OutboxEntry]


class ClockNow(Model):
    now: datetime


class ClockAdvance(StrictModel):
    advance_minutes: int = Field(
        ge=0, le=366 * 24 * 60, description="Minutes to move the local clock forward."
    )


def _normalized(target: str) -> str:
    from chalicelib.accounts.identifiers import normalize_email, normalize_phone

    try:
        return normalize_email(target) if "@" in target else normalize_phone(target)
    except ValueError:
        return target


@api.get("/v1/dev/outbox", query=OutboxQuery, response=Outbox)
def outbox(request: Request[Any]) -> Outbox:
    """What the local stage sent by SMS and e-mail, newest first."""
    query: OutboxQuery = request.query
    if query.target:
        results = OutboxItem.gsi1.query(
            f"OUTBOX#{_normalized(query.target)}", scan_index_forward=False, limit=query.limit
        )
    else:
        results = OutboxItem.query("OUTBOX", scan_index_forward=False, limit=query.limit)
    return Outbox(
        items=[
            OutboxEntry(
                channel=item.channel,
                target=item.target,
                subject=item.subject,
                body=item.body,
                sent_at=item.sent_at,
            )
            for item in results
        ]
    )


@api.get("/v1/dev/clock", response=ClockNow)
def get_clock(request: Request[Any]) -> ClockNow:
    """The local stage's current time."""
    return ClockNow(now=clock.now())


@api.post("/v1/dev/clock", body=ClockAdvance, response=ClockNow)
def advance_clock(request: Request[ClockAdvance]) -> ClockNow:
    """Move the local clock forward for the API and the event runner alike."""
    clock.set_local_offset(clock.offset() + timedelta(minutes=request.body.advance_minutes))
    return ClockNow(now=clock.now())


class CompletePayment(StrictModel):
    outcome: Literal["succeeded", "failed"] = Field(
        "succeeded", description="How the customer's wallet ends the payment."
    )


class PaymentCompleted(Model):
    payment_id: str
    intent_id: str
    outcome: Literal["succeeded", "failed"]
    event_id: str = Field(description="The webhook event sent to the API (processed asynchronously).")


@api.post(
    "/v1/dev/payments/{payment_id}/complete",
    body=CompletePayment,
    response=PaymentCompleted,
    status=202,
    errors=(404, 409),
)
def complete_payment(request: Request[CompletePayment]) -> Reply:
    """The local payment provider finishes a payment as the customer's wallet would, and sends the
    signed webhook (``payment_intent.succeeded`` / ``payment_intent.payment_failed``) to this API."""
    from chalicelib.errors import Conflict, NotFound
    from chalicelib.payments import gateway
    from chalicelib.payments.intents import payment_by_id
    from chalicelib.payments.local_provider import LocalProvider

    provider = gateway.provider()
    if not isinstance(provider, LocalProvider):
        raise Conflict("not_local_provider")
    payment = payment_by_id(request.path["payment_id"])
    if payment is None or not payment.intent_id:
        raise NotFound()
    event_id = provider.complete(payment.intent_id, request.body.outcome)
    answer = PaymentCompleted(
        payment_id=payment.payment_id,
        intent_id=payment.intent_id,
        outcome=request.body.outcome,
        event_id=event_id,
    )
    return Reply(answer, 202)
