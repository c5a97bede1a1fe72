"""Request and response bodies of earnings, payout accounts, withdrawals and payout runs (API.md
"Earnings and payouts"). Money is integer fen with ``currency``. No pynamodb here."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, RootModel, StrictInt, field_validator

from chalicelib.basemodel import Model
from chalicelib.schemas.common import ListQuery
from chalicelib.web.schemas import StrictModel

__all__ = [
    "AccountOut",
    "BankAccountIn",
    "BankResultIn",
    "BankResultOut",
    "DecisionIn",
    "EarningItemOut",
    "EarningsOut",
    "EarningsQuery",
    "PayoutAccountIn",
    "RunOut",
    "SeriesPointOut",
    "StatementOut",
    "StatementQuery",
    "StripeAccountIn",
    "WithdrawalIn",
    "WithdrawalOut",
    "WithdrawalsQuery",
]


class EarningsQuery(ListQuery):
    from_: date | None = Field(None, alias="from", description="First day (default: the 1st of this month).")
    to: date | None = Field(None, description="Last day (default: today).")
    granularity: Literal["day", "week", "month"] = "day"


class SeriesPointOut(Model):
    date: str = Field(description="First day of the bucket.")
    amount: int = Field(description="The worker's net share earned in the bucket, fen.")
    orders: int


class EarningItemOut(Model):
    order_id: str
    service_name: str | None
    date: str
    gross: int = Field(description="The order's price, fen.")
    commission: int
    net: int = Field(description="The worker's share, fen.")
    status: Literal["pending", "available", "withdrawn"]


class EarningsOut(Model):
    pending: int = Field(description="Shares of completed orders still inside the dispute window, fen.")
    available: int = Field(description="May be withdrawn now, fen.")
    withdrawn: int = Field(description="Paid out, fen.")
    in_withdrawal: int = Field(description="Asked for and not yet paid (pending review or approved), fen.")
    currency: Literal["CNY"] = "CNY"
    from_: str = Field(serialization_alias="from")
    to: str
    granularity: str
    series: list[SeriesPointOut]
    items: list[EarningItemOut]
    next_cursor: str | None = None


class BankAccountIn(StrictModel):
    type: Literal["bank_account"]
    bank_name: str = Field(min_length=2, max_length=40)
    account_name: str = Field(min_length=1, max_length=40)
    account_number: str = Field(
        min_length=12, max_length=23, description="12-19 digits (spaces allowed); Luhn-checked."
    )

    @field_validator("account_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9 ]+", value):
            raise ValueError("digits only")
        return value


class StripeAccountIn(StrictModel):
    type: Literal["stripe_connect"]


class PayoutAccountIn(RootModel[Annotated[BankAccountIn | StripeAccountIn, Field(discriminator="type")]]):
    """A bank card (`bank_account`) or a Stripe Connect Express account (`stripe_connect`)."""


class AccountOut(Model):
    type: Literal["bank_account", "stripe_connect"]
    bank_name: str | None = None
    account_name: str | None = None
    account_number: str | None = Field(None, description="Masked: `**** 5678`.")
    stripe_account_id: str | None = None
    onboarding_url: str | None = Field(
        None, description="Stripe Connect: where the worker finishes onboarding."
    )
    hold_until: str | None = Field(None, description="Withdrawals are held until then after a change.")
    updated_at: str


class WithdrawalIn(StrictModel):
    amount: StrictInt = Field(gt=0, description="Fen, a positive integer; the fee is taken out of it.")


class WithdrawalOut(Model):
    withdrawal_id: str
    worker_id: str
    amount: int
    fee: int
    currency: Literal["CNY"] = "CNY"
    status: Literal["pending_review", "approved", "paid", "rejected", "failed"]
    account_type: str
    account_number: str | None = None
    requested_at: str
    decided_at: str | None = None
    reason: str | None = None
    paid_at: str | None = None
    run_id: str | None = None


class WithdrawalsQuery(ListQuery):
    status: Literal["pending_review", "approved", "paid", "rejected", "failed", "submitted"] = (
        "pending_review"
    )


class DecisionIn(StrictModel):
    reason: str | None = Field(None, min_length=1, max_length=200)


class RunOut(Model):
    run_id: str
    run_date: str
    status: str
    started_at: str
    finished_at: str | None = None
    totals: dict[str, Any] | None = None
    report_key: str | None = None
    bank_file_key: str | None = None
    paid: list[dict[str, Any]] | None = None
    failed: list[dict[str, Any]] | None = None
    skipped: list[dict[str, Any]] | None = None
    submitted: list[dict[str, Any]] | None = None


class BankResultLineIn(StrictModel):
    withdrawal_id: str = Field(min_length=3, max_length=64)
    status: Literal["paid", "failed"]
    bank_reference: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=200)


class BankResultIn(StrictModel):
    lines: list[BankResultLineIn] = Field(min_length=1, max_length=5000)


class BankResultOut(Model):
    paid: int
    failed: int
    unchanged: int


class StatementQuery(Model):
    format: Literal["pdf", "xlsx"] = "pdf"


class StatementOut(Model):
    download_url: str
    expires_at: str
