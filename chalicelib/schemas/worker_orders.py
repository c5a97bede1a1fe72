"""Request and response bodies of the worker order routes (API.md "Orders", Worker). No pynamodb here."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.basemodel import Model
from chalicelib.schemas.orders import MoneyOut
from chalicelib.web.schemas import StrictModel

__all__ = ["DeclineIn", "PhotoIn", "PhotoOut", "PoolAreaOut", "PoolOrderOut", "ProgressIn"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024


class DeclineIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class ProgressIn(StrictModel):
    """A progress event of the assigned worker (``started`` needs the customer's check-in code)."""

    event: Literal["departed", "arrived", "started", "finished"]
    note: str | None = Field(None, max_length=1000)
    photo_ids: list[str] = Field(default_factory=list, max_length=10)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    check_in_code: str | None = Field(None, pattern=r"^[0-9]{4}$")


class PhotoIn(StrictModel):
    content_type: Literal["image/jpeg", "image/png"]
    size_bytes: int = Field(ge=1, le=MAX_PHOTO_BYTES, description="Exact size; the upload must match it.")


class PhotoOut(Model):
    photo_id: str
    upload_url: str
    headers: dict[str, str] = Field(description="Send exactly these headers with the PUT.")
    expires_in: int


class PoolAreaOut(Model):
    city: str
    district: str


class PoolOrderOut(Model):
    """A pool order as a worker browsing the pool sees it: no customer, no street address."""

    order_id: str
    service_id: str
    category: str
    area: PoolAreaOut
    price: MoneyOut
    start_at: str
    end_at: str
    duration_minutes: int
