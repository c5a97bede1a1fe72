"""The texts the workflows send, in zh-CN and en, registered when this module is imported.

The order templates take the parameters of ``chalicelib.orders.notices.order_params``
(``service``, ``start``, ``order``) plus ``amount`` (``¥123.45``, as ``chalicelib.payments.messages.yuan``
writes it); the operators' ``refund_escalated`` takes ``order``, ``amount`` and ``error``.
"""

from __future__ import annotations

from chalicelib.notifications.templates import register

__all__ = ["TEMPLATES"]

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "cancellation_refunded": {
        "zh-CN": (
            "退款已发起",
            "【家政】您{start}的{service}订单已取消，{amount}将原路退回，一般1-5个工作日到账。",
        ),
        "en": (
            "Your refund is on its way",
            "[Jiazheng] Your {service} order for {start} is cancelled; {amount} is going back "
            "the way you paid (usually 1-5 working days).",
        ),
    },
    "cancellation_no_refund": {
        "zh-CN": ("订单取消已完成", "您{start}的{service}订单已取消，本单没有需要退还的款项。"),
        "en": (
            "Cancellation complete",
            "Your {service} order for {start} is cancelled; there is nothing to refund.",
        ),
    },
    "refund_escalated": {
        "zh-CN": (
            "退款失败，需人工处理",
            "订单{order}应退{amount}，自动退款多次失败（{error}），请尽快人工处理。",
        ),
        "en": (
            "Refund failed: action needed",
            "Order {order} is owed {amount}, but the automatic refund kept failing ({error}). "
            "Please refund it by hand.",
        ),
    },
}

register(TEMPLATES)
