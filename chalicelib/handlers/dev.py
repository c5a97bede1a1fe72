"""Local-stage tools (``/v1/dev/*``): the outbox of "sent" messages and the movable clock.

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
from chalicelib.web import Api, Request
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
