"""Request and response bodies of the order chat (``/v1/orders/{order_id}/messages``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from chalicelib.basemodel import Model
from chalicelib.schemas.common import ListQuery
from chalicelib.web.schemas import StrictModel

__all__ = ["ChatMessageIn", "ChatMessageOut", "MessagesQuery"]


class ChatMessageIn(StrictModel):
    text: str = Field(min_length=1, max_length=1000, description="Plain text, 1-1000 characters (trimmed).")


class MessagesQuery(ListQuery):
    after: str | None = Field(
        None,
        max_length=64,
        description="A `message_id`: only messages newer than it, oldest first (for polling). "
        "Without it, pages go newest first.",
    )


class ChatMessageOut(Model):
    message_id: str
    order_id: str
    sender_id: str
    sender_role: Literal["customer", "worker"]
    text: str
    created_at: datetime
