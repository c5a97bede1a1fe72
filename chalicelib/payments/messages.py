"""What payments tell the customer (inbox; SMS or e-mail for money going back), in zh-CN and en.

The refund of a cancelled order is told by the cancellation saga (``chalicelib.workflows``);
these are the payment's own: received, failed, and money returned that nothing was owed for.

Parameters: those of every order template (``service``, ``start``, ``district``, ``order``) and
``amount`` (``¥123.45``). Sent through the order notices (``chalicelib.orders.notices.notify``),
whose ids derive from the cause, so a repeated event or refund step notifies once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.models.orders import OrderItem
from chalicelib.notifications.templates import register

__all__ = ["TEMPLATES", "tell_customer", "yuan"]

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "payment_received": {
        "zh-CN": ("支付成功", "【家政】您{start}的{service}订单已支付{amount}，我们正在为您安排服务人员。"),
        "en": ("Payment received", "[Jiazheng] We received {amount} for your {service} job at {start}."),
    },
    "payment_failed": {
        "zh-CN": ("支付未成功", "【家政】您{start}的{service}订单支付未成功，请在支付时限内重新支付。"),
        "en": (
            "Payment failed",
            "[Jiazheng] The payment for your {service} job at {start} failed; pay again before it expires.",
        ),
    },
    "payment_returned": {
        "zh-CN": (
            "款项已退回",
            "【家政】您{start}的{service}订单已无法接受付款（已超时、已取消或重复支付），{amount}已原路退回。",
        ),
        "en": (
            "Payment returned",
            "[Jiazheng] Your {service} job at {start} could no longer take a payment (expired, cancelled "
            "or paid twice); {amount} is on its way back to you.",
        ),
    },
}

TEMPLATES["admin_refund"] = {
    "zh-CN": ("退款已发起", "【家政】您{start}的{service}订单经客服处理，{amount}已原路退回。"),
    "en": (
        "Refund issued",
        "[Jiazheng] After reviewing your {service} job at {start}, we refunded {amount}.",
    ),
}

register(TEMPLATES)


def yuan(fen: int) -> str:
    """``¥123.45`` for 12345 fen."""
    return f"¥{fen // 100}.{fen % 100:02d}"


def tell_customer(
    order: OrderItem, template: str, *, cause: str, at: datetime, text: bool = True, **params: Any
) -> None:
    """Tell the order's customer (inbox; SMS/e-mail with ``text``); ``cause`` + ``at`` make it once only."""
    from chalicelib.orders.notices import notify

    params.setdefault("amount", yuan(int(order.price_amount)))
    notify(order.customer_id, template, order, cause=cause, at=at, text=text, **params)
