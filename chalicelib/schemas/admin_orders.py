"""Request shapes of the admin order routes (API.md "Administration"). No pynamodb here.

Responses are the orders' own shapes (``chalicelib.schemas.orders.OrderOut``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.catalog.categories import CATEGORY_CODES, is_category
from chalicelib.schemas.common import ListQuery
from chalicelib.schemas.orders import OrderStatus
from chalicelib.web.schemas import StrictModel

__all__ = ["AdminOrderPatch", "AdminOrdersQuery", "AdminOrdersSort"]

_ID = r"^[A-Za-z0-9_-]{1,64}$"

AdminOrdersSort = Literal["start_at", "-start_at", "created_at", "-created_at"]


class AdminOrdersQuery(ListQuery):
    """Filters of the admin order listing; every one optional, each narrowing the others."""

    status: OrderStatus | None = Field(
        None, description="As shown: an unpaid order past `pay_by` is `cancelled`."
    )
    category: str | None = Field(None, description=f"One of {', '.join(sorted(CATEGORY_CODES))}.")
    worker_id: str | None = Field(None, pattern=_ID, description="Her jobs (orders from `paid` on).")
    customer_id: str | None = Field(None, pattern=_ID, description="The customer's orders.")
    date_from: dt.date | None = Field(
        None,
        alias="from",
        description="First start date (local). Without `worker_id`/`customer_id` a range is at "
        "most 92 days; a missing bound lies 14 days from the other one (or from today).",
    )
    to: dt.date | None = Field(None, description="Last start date (local), inclusive.")
    sort: AdminOrdersSort | None = Field(
        None,
        description="`start_at`/`-start_at` (by date, or with `worker_id`) or `created_at`/`-created_at` "
        "(with `customer_id` only). Newest first by default.",
    )

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        if value is not None and not is_category(value):
            raise PydanticCustomError("unknown_category", "not a category code: {code}", {"code": value})
        return value


class AdminOrderPatch(StrictModel):
    """Reassign the job, move it, or edit its notes (at least one of them); ``reason`` is recorded."""

    worker_id: str | None = Field(
        None, pattern=_ID, description="A verified worker with the skill and the area, free then."
    )
    start_at: AwareDatetime | None = Field(None, description="RFC 3339 with offset, on the 30-minute grid.")
    notes: str | None = Field(None, max_length=500, description="`null` clears them.")
    reason: str | None = Field(
        None, min_length=1, max_length=500, description="Why (timeline and audit log)."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> AdminOrderPatch:
        if self.worker_id is None and self.start_at is None and "notes" not in self.model_fields_set:
            raise PydanticCustomError("empty_patch", "send worker_id, start_at or notes")
        return self
