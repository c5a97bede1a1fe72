"""The texts the order workflow sends (inbox, SMS, e-mail), in zh-CN and en.

Parameters: ``service`` (the category's name), ``start`` (local "MM-DD HH:MM"), ``order`` (the
order id), plus what each template names. Registered when this module is imported, which every
sender (``chalicelib.orders.notices``) does.
"""

from __future__ import annotations

from chalicelib.notifications.templates import register

__all__ = ["TEMPLATES"]

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "order_offered": {
        "zh-CN": (
            "新订单待接",
            "【家政】附近有新的{service}订单：{start}，{district}。打开家政App即可接单，先到先得。",
        ),
        "en": (
            "A new job near you",
            "[Jiazheng] New {service} job at {start} in {district}. Open the app to take it.",
        ),
    },
    "order_chosen": {
        "zh-CN": (
            "客户指定您服务",
            "【家政】客户指定您服务{service}订单：{start}，{district}。请在{deadline}前确认接单。",
        ),
        "en": (
            "A customer chose you",
            "[Jiazheng] A customer chose you for {service} at {start} in {district}. Accept by {deadline}.",
        ),
    },
    "order_accepted": {
        "zh-CN": ("服务人员已接单", "【家政】{worker}已接下您{start}的{service}订单，届时将准时上门。"),
        "en": ("Your job is accepted", "[Jiazheng] {worker} accepted your {service} job at {start}."),
    },
    "order_declined": {
        "zh-CN": (
            "正在为您重新匹配",
            "【家政】您指定的服务人员无法接{start}的{service}订单，我们正在为您匹配其他服务人员。",
        ),
        "en": (
            "Finding another worker",
            "[Jiazheng] The worker you chose cannot take your {service} job at {start}; we are finding another.",
        ),
    },
    "order_reminder": {
        "zh-CN": (
            "服务提醒",
            "【家政】提醒：{service}服务将于{start}开始（约{hours}小时后），订单号{order}。",
        ),
        "en": (
            "Reminder",
            "[Jiazheng] Reminder: {service} starts at {start} (in about {hours} h), order {order}.",
        ),
    },
    "order_not_arrived_customer": {
        "zh-CN": (
            "服务人员尚未到达",
            "【家政】{start}的{service}服务人员尚未到达，客服已在跟进，请留意来电。",
        ),
        "en": (
            "Your worker is late",
            "[Jiazheng] Your {service} worker has not arrived for {start}; support is following up.",
        ),
    },
    "order_not_arrived_worker": {
        "zh-CN": ("请尽快到达", "【家政】您{start}的{service}订单已到开始时间，请尽快到达或联系客户。"),
        "en": (
            "You are late",
            "[Jiazheng] Your {service} job started at {start}: please arrive or call the customer.",
        ),
    },
    "order_departed": {
        "zh-CN": ("服务人员已出发", "服务人员已出发前往您的地址。"),
        "en": ("On the way", "Your worker is on the way."),
    },
    "order_arrived": {
        "zh-CN": ("服务人员已到达", "服务人员已到达服务地址。"),
        "en": ("Arrived", "Your worker has arrived."),
    },
    "order_started": {
        "zh-CN": ("服务已开始", "服务人员已开始服务。"),
        "en": ("Started", "Your service has started."),
    },
    "order_finished": {
        "zh-CN": (
            "服务已完成",
            "【家政】{service}服务已完成，请在{hours}小时内确认或提出异议，逾期将自动确认。",
        ),
        "en": (
            "Service finished",
            "[Jiazheng] Your {service} job is finished. Confirm or dispute within {hours} h; it completes itself after that.",
        ),
    },
    "order_review_request": {
        "zh-CN": ("邀您评价", "【家政】您{start}的{service}服务已完成，欢迎为服务人员评价，帮助更多家庭。"),
        "en": (
            "How did it go?",
            "[Jiazheng] Your {service} job of {start} is done. Please review your worker.",
        ),
    },
    "order_cancelled": {
        "zh-CN": (
            "订单已取消",
            "【家政】{start}的{service}订单已取消（{reason}）。如已支付，退款将原路退回。",
        ),
        "en": (
            "Order cancelled",
            "[Jiazheng] Your {service} order for {start} was cancelled ({reason}). Any payment is refunded.",
        ),
    },
    "order_balance_due": {
        "zh-CN": (
            "请支付尾款",
            "【家政】{start}开始的{service}订单尾款{amount}元请于{due}前支付，逾期订单将自动取消。",
        ),
        "en": (
            "Balance due",
            "[Jiazheng] Please pay the balance of {amount} CNY for your {service} order of {start} by {due}.",
        ),
    },
    "order_expired": {
        "zh-CN": ("订单已失效", "【家政】{start}的{service}订单未在规定时间内支付，已自动取消，时段已释放。"),
        "en": (
            "Order expired",
            "[Jiazheng] Your {service} order for {start} was not paid in time and has lapsed.",
        ),
    },
}

register(TEMPLATES)
