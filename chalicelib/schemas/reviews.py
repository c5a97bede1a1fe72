"""Request and response bodies of order reviews and a worker's public review list."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.basemodel import Model
from chalicelib.web.schemas import StrictModel

__all__ = ["ReviewIn", "ReviewOut"]


class ReviewIn(StrictModel):
    quality: int = Field(ge=1, le=5, strict=True, description="Quality of the work, 1-5 stars.")
    attitude: int = Field(ge=1, le=5, strict=True, description="Attitude and manners, 1-5 stars.")
    skill: int = Field(ge=1, le=5, strict=True, description="Professional skill, 1-5 stars.")
    comment: str | None = Field(None, max_length=500, description="Optional, at most 500 characters.")


class ReviewOut(Model):
    review_id: str
    order_id: str
    worker_id: str
    quality: int
    attitude: int
    skill: int
    comment: str | None
    created_at: datetime
    reviewer: str = Field(description="The reviewer's masked name (family name only, e.g. `王**`).")
