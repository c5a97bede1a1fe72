"""Orders: booking, the order state machine, pricing, cancellation policy and the lifecycle.

The submodules are plain Python (no Chalice). ``states``, ``pricing`` and ``policy`` are pure;
``booking`` and ``lifecycle`` write the table; ``payment_port`` is what the payment step calls.
The error texts of the area are registered here, so any submodule that raises them has them.
"""

from __future__ import annotations

from chalicelib import i18n

__all__: list[str] = []

i18n.register(
    {
        "slot_unavailable": {
            "zh-CN": "该服务人员在此时间不可预约",
            "en": "The worker is not free at that time.",
        },
        "start_in_past": {"zh-CN": "开始时间已过", "en": "The start time has passed."},
        "invalid_start": {"zh-CN": "开始时间不可预约", "en": "That start time cannot be booked."},
        "too_many_unpaid_orders": {
            "zh-CN": "未支付订单最多 {limit} 个，请先支付或取消",
            "en": "At most {limit} unpaid orders at once: pay or cancel one first.",
        },
        "invalid_status": {
            "zh-CN": "订单当前状态为 {status}，不能执行此操作",
            "en": "The order is {status}; this cannot be done now.",
        },
        "cancellation_locked": {
            "zh-CN": "服务开始前 {hours} 小时内不能取消，请联系客服",
            "en": "Within {hours} hours of the start an order cannot be cancelled; contact support.",
        },
        "reschedule_locked": {
            "zh-CN": "服务开始前 {hours} 小时内不能改期",
            "en": "Within {hours} hours of the start an order cannot be rescheduled.",
        },
        "payment_window_closed": {
            "zh-CN": "订单已超过支付时限",
            "en": "The time to pay for this order has run out.",
        },
        "idempotency_key_reused": {
            "zh-CN": "该 Idempotency-Key 已用于另一个请求",
            "en": "This Idempotency-Key was already used with a different request.",
        },
        "booking_busy": {
            "zh-CN": "预约繁忙，请稍后重试",
            "en": "Too many bookings at once; try again.",
        },
    }
)
