"""Request and response bodies of the payment routes (API.md "Orders": pay, webhook). No pynamodb here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.basemodel import Model
from chalicelib.schemas.orders import MoneyOut
from chalicelib.web.schemas import StrictModel

__all__ = [
    "LedgerEntryOut",
    "LedgerOut",
    "OrderPaymentOut",
    "PayIn",
    "PaymentOut",
    "RefundOut",
    "WebhookAck",
]


class PayIn(StrictModel):
    method: Literal["card", "alipay", "wechat_pay"] = Field(
        description="`card`: confirm in the app with `client_secret`; `alipay`: open "
        "`next_action.alipay_handle_redirect.url`; `wechat_pay`: show "
        "`next_action.wechat_pay_display_qr_code.data` as a QR code."
    )


class PaymentOut(Model):
    """A Stripe PaymentIntent of the order, and what the app needs to finish paying it."""

    payment_id: str
    order_id: str
    provider: Literal["stripe"] = "stripe"
    method: str
    status: str = Field(
        description="Stripe's intent status (`requires_payment_method`, `requires_action`, `processing`, "
        "`succeeded`, `canceled`) or `creating` / `failed`."
    )
    amount: MoneyOut
    client_secret: str | None = Field(None, description="Only in the answer to `POST …/pay`.")
    next_action: dict[str, Any] | None = Field(
        None, description="Stripe's `next_action` (Alipay redirect, WeChat Pay QR data), when there is one."
    )
    created_at: str


class RefundOut(Model):
    refund_id: str
    amount: MoneyOut
    status: Literal["requested", "pending", "succeeded", "failed"]
    reason: str = Field(
        description="`cancellation`, or why a payment was returned: `late_payment`, `duplicate_payment`, "
        "`order_not_payable`, `amount_mismatch`; `term_ended_early` for a live-in term ended early."
    )
    created_at: str
    updated_at: str


class OrderPaymentOut(Model):
    order_id: str
    payment: PaymentOut | None = Field(description="The order's payment (a live-in order's deposit, 定金).")
    balance_payment: PaymentOut | None = Field(
        default=None, description="A live-in order's balance (尾款) payment, once asked for."
    )
    refunds: list[RefundOut]


class WebhookAck(Model):
    received: bool = True
    event_id: str


class LedgerEntryOut(Model):
    entry_id: str
    txn_id: str
    kind: str
    account: str
    amount: int = Field(description="Fen; debits positive, credits negative.")
    currency: str
    at: str
    ref: str | None = None
    worker_id: str | None = None
    earning_status: str | None = None


class LedgerOut(Model):
    """An order's ledger: every line, each account's balance, and their sum (always 0)."""

    order_id: str
    entries: list[LedgerEntryOut]
    accounts: dict[str, int]
    balance: int
