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
    "DepositOut",
    "MoneyOut",
    "OrderAddressOut",
    "OrderIn",
    "OrderOut",
    "OrdersQuery",
    "PolicyOut",
    "RescheduleIn",
    "TermOut",
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
    months: int | None = Field(
        None, ge=1, le=24, description="Live-in `per_month` services: months booked (default 1)."
    )
    start_window_days: int | None = Field(
        None,
        ge=0,
        le=31,
        description=(
            "Live-in: the term may start this many days either side of `start_at`'s date (a 月嫂 "
            "around the due date); the worker's days are held for the whole window until the "
            "customer confirms the start (`POST /v1/orders/{order_id}/term/start`)."
        ),
    )


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


class TermOut(Model):
    """A live-in order's term: whole days, 24 hours, from `start_date` to `last_date`."""

    start_date: str = Field(description="First day (the due date while the window is open).")
    days: int
    last_date: str
    price_unit: str | None = None
    rest_days: int = Field(description="The worker's days off inside the term (still held for it).")
    window_days: int = Field(description="± days the start may still move; 0 once confirmed.")
    earliest_start: str
    latest_start: str
    held_from: str | None = Field(description="First day the worker's calendar holds for the order.")
    held_to: str | None


class DepositOut(Model):
    """A live-in order paid in two: the deposit (定金) with the first `pay`, the balance (尾款) with a
    second `pay` before `balance_due_at` (unpaid then, the order is cancelled under its policy)."""

    deposit: MoneyOut
    deposit_paid: bool
    balance: MoneyOut
    balance_due_at: str
    balance_paid_at: str | None = None


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
    term: TermOut | None = Field(None, description="Live-in orders only.")
    deposit: DepositOut | None = Field(None, description="Live-in orders booked with a deposit only.")
    timeline: list[TimelineOut] = Field(default_factory=list)
