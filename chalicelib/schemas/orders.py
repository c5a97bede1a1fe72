"""Request and response bodies of the orders routes (API.md "Orders"). No pynamodb here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from chalicelib.basemodel import Model
from chalicelib.orders.states import Status
from chalicelib.schemas.common import ListQuery
from chalicelib.web.schemas import StrictModel

__all__ = [
    "CancelIn",
    "CancellationOut",
    "MoneyOut",
    "OrderAddressOut",
    "OrderIn",
    "OrderOut",
    "OrdersQuery",
    "PolicyOut",
    "RescheduleIn",
    "TimelineOut",
]

OrderStatus = Status
"""The statuses of API.md, from the one state machine (``chalicelib.orders.states``)."""
_ID = r"^[A-Za-z0-9_-]{1,64}$"


class OrderIn(StrictModel):
    """Book a service. The price is computed by the server from the service."""

    service_id: str = Field(pattern=_ID)
    address_id: str = Field(pattern=_ID, description="One of the caller's saved addresses.")
    start_at: dt.datetime = Field(description="RFC 3339 with offset, on the 30-minute grid.")
    duration_minutes: int | None = Field(
        None,
        ge=30,
        le=1440,
        description="Hourly services only (a multiple of 30); others last the service's duration.",
    )
    worker_id: str | None = Field(
        None, pattern=_ID, description="A chosen worker; without one the paid order goes to the pool."
    )
    notes: str | None = Field(None, max_length=500)


class OrdersQuery(ListQuery):
    status: OrderStatus | None = None


class CancelIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class RescheduleIn(StrictModel):
    start_at: dt.datetime


class MoneyOut(Model):
    amount: int = Field(description="Integer fen.")
    currency: str = "CNY"


class OrderAddressOut(Model):
    """The address as it was at booking."""

    address_id: str
    label: str | None = None
    contact_name: str
    contact_phone: str = Field(description="Masked.")
    city: str
    district: str
    detail: str
    lat: float | None = None
    lng: float | None = None


class PolicyOut(Model):
    """Free cancellation until ``free_until_hours`` before the start, then ``fee_percent`` of the
    price; no cancelling or rescheduling by the customer within ``locked_within_hours``."""

    free_until_hours: int
    fee_percent: int
    locked_within_hours: int


class CancellationOut(Model):
    at: str
    by: str
    reason: str | None = None
    fee: MoneyOut | None = None
    refund: MoneyOut | None = Field(
        None, description="Owed back; paid out by the payment step (then `refunded`)."
    )


class TimelineOut(Model):
    event: str
    at: str
    by: str
    details: dict[str, Any] | None = None


class OrderOut(Model):
    order_id: str
    status: OrderStatus
    customer_id: str
    worker_id: str | None
    service_id: str
    category: str
    address: OrderAddressOut
    price: MoneyOut
    start_at: str
    end_at: str
    duration_minutes: int
    pay_by: str | None
    cancellation_policy: PolicyOut | None
    check_in_code: str | None = Field(
        None, description="Only for the order's customer: 4 digits the worker needs to start."
    )
    notes: str | None = None
    created_at: str
    updated_at: str | None = None
    paid_at: str | None = None
    cancellation: CancellationOut | None = None
    timeline: list[TimelineOut] = Field(default_factory=list)
