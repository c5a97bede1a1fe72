"""Request and response shapes of the support routes (API.md "Support")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.basemodel import Model
from chalicelib.schemas.common import ListQuery
from chalicelib.web.schemas import StrictModel

__all__ = [
    "AdminRefundIn",
    "AdminRefundOut",
    "AdminTicketPatch",
    "AdminTicketsQuery",
    "AttachmentIn",
    "AttachmentOut",
    "AttachmentSlotOut",
    "RatingIn",
    "TicketIn",
    "TicketMessageIn",
    "TicketMessageOut",
    "TicketOut",
]

_ID = r"^[A-Za-z0-9_-]{1,64}$"
TicketStatus = Literal["open", "in_progress", "resolved", "closed"]
TicketType = Literal["complaint", "suggestion", "question"]
ContentType = Literal["image/jpeg", "image/png", "application/pdf"]


class TicketIn(StrictModel):
    type: TicketType
    subject: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=4000)
    order_id: str | None = Field(None, pattern=_ID, description="One of the caller's own orders.")


class AttachmentOut(Model):
    attachment_id: str
    file_name: str
    content_type: str
    size_bytes: int
    uploaded: bool
    download_url: str | None = Field(None, description="5-minute link, once the file is uploaded.")


class TicketOut(Model):
    ticket_id: str
    type: str
    subject: str
    body: str
    order_id: str | None = None
    status: str
    owner_id: str
    owner_role: str
    assignee_id: str | None = None
    rating: int | None = None
    rating_comment: str | None = None
    first_response_at: str | None = None
    resolved_at: str | None = None
    sla_due_at: str | None = Field(None, description="The first staff reply is due by then.")
    created_at: str
    updated_at: str
    attachments: list[AttachmentOut] = Field(default_factory=list)


class TicketMessageIn(StrictModel):
    text: str = Field(min_length=1, max_length=2000)


class TicketMessageOut(Model):
    message_id: str
    author_id: str
    author_role: str
    from_staff: bool
    text: str
    created_at: str


class RatingIn(StrictModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=500)


class AttachmentIn(StrictModel):
    file_name: str = Field(min_length=1, max_length=200)
    content_type: ContentType
    size_bytes: int = Field(gt=0, le=10 * 1024 * 1024)


class AttachmentSlotOut(Model):
    attachment: AttachmentOut
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers_to_send: dict[str, str]
    expires_in: int


class AdminTicketsQuery(ListQuery):
    status: TicketStatus | None = Field(None, description="Default: `open` (unless `assignee_id` is given).")
    type: TicketType | None = None
    assignee_id: str | None = Field(None, pattern=_ID)


class AdminTicketPatch(StrictModel):
    status: TicketStatus | None = None
    assignee_id: str | None = Field(None, pattern=_ID)


class AdminRefundIn(StrictModel):
    amount: int = Field(
        gt=0, le=100_000_000, description="Fen; with what was refunded before, at most what was paid."
    )
    reason: str = Field(min_length=1, max_length=500)


class AdminRefundOut(Model):
    refund_id: str
    order_id: str
    amount: int
    currency: Literal["CNY"] = "CNY"
    reason: str
    status: str
    refunded_total: int
    paid: int
