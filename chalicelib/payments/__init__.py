"""Payments: Stripe PaymentIntents (card, Alipay, WeChat Pay), webhooks, refunds and the ledger.

The submodules are plain Python (no Chalice):

- ``settings``: the payment settings and where Stripe's credentials come from;
- ``provider`` (the interface), ``stripe_provider`` (the real one), ``local_provider`` (the local
  stage's stand-in that simulates Stripe and signs its webhooks), ``gateway`` (which one is used);
- ``intents``: ``POST /v1/orders/{id}/pay`` and cancelling the intent of an order that expired;
- ``webhooks``: verify, store and queue a webhook; ``processing``: what each event does;
- ``refunds``: the cancellation refund (the saga's step) and returning money nobody owed;
- ``ledger``: the double-entry lines written inside the order's own transactions.

Importing this package stays cheap (the error texts only): route modules bind the submodules
lazily, and ``stripe`` is imported only by the Stripe provider and the webhook check.
"""

from __future__ import annotations

from chalicelib import i18n

__all__: list[str] = []

i18n.register(
    {
        "already_paid": {"zh-CN": "该订单已支付", "en": "This order is already paid."},
        "payment_in_progress": {
            "zh-CN": "该订单的支付正在处理中，请稍后再试",
            "en": "A payment for this order is being processed; try again shortly.",
        },
        "payment_provider_unavailable": {
            "zh-CN": "支付服务暂时不可用，请稍后重试",
            "en": "The payment service is unavailable right now; try again.",
        },
        "payment_provider_error": {
            "zh-CN": "支付服务拒绝了该请求",
            "en": "The payment service refused this request.",
        },
        "invalid_signature": {
            "zh-CN": "Webhook 签名无效",
            "en": "The webhook signature is missing, wrong or outside the time window.",
        },
        "malformed_event": {"zh-CN": "Webhook 事件格式错误", "en": "The webhook event is malformed."},
        "not_local_provider": {
            "zh-CN": "当前使用真实的 Stripe，不能在本地完成支付",
            "en": "Payments go to Stripe here; the local provider cannot complete them.",
        },
    }
)
