"""One envelope for every event and message: ``data`` plus ``metadata``.

Metadata carries the event name (past tense, ``order.paid``) or command name (imperative,
``notification.send``), its source, schema version, correlation id and creation time, so a
consumer can route, dedupe and trace without looking inside ``data``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from chalicelib import clock
from chalicelib.basemodel import Model
from chalicelib.ids import new_id

__all__ = ["Envelope", "Metadata", "wrap"]

D = TypeVar("D", bound=BaseModel)


class Metadata(Model):
    event_id: str
    event_name: str
    event_version: str = "1"
    source: str = "jiazheng"
    correlation_id: str
    created_at: datetime


class Envelope(Model, Generic[D]):
    data: D
    metadata: Metadata = Field(...)


def wrap(
    name: str, data: D, *, correlation_id: str | None = None, event_id: str | None = None
) -> Envelope[D]:
    """Put ``data`` into an envelope named ``name``."""
    event_id = event_id or new_id("evt")
    return Envelope[D](
        data=data,
        metadata=Metadata(
            event_id=event_id,
            event_name=name,
            correlation_id=correlation_id or event_id,
            created_at=clock.now(),
        ),
    )
