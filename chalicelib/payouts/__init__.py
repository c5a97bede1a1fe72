"""Worker earnings, payout accounts, withdrawals and the daily payout run (docs/payouts.md).

The submodules are plain Python (no Chalice): ``rules`` (pure), ``balance`` (the ledger's
worker postings and their projection), ``earnings`` (the worker's view), ``accounts``,
``withdrawals``, ``providers`` (the payout port), ``run`` (the payout run's steps), ``notices``.
The error texts of the area are registered here, so any submodule that raises them has them.
"""

from __future__ import annotations

from chalicelib import i18n

__all__: list[str] = []

i18n.register(
    {
        "insufficient_balance": {
            "zh-CN": "可提现余额不足",
            "en": "The amount is more than your available balance.",
        },
        "no_payout_account": {"zh-CN": "请先设置收款账户", "en": "Set a payout account first."},
        "payout_account_on_hold": {
            "zh-CN": "收款账户变更后 24 小时内不能提现（至 {until}）",
            "en": "Withdrawals are held for 24 hours after a payout account change (until {until}).",
        },
        "below_minimum": {
            "zh-CN": "单笔提现金额不能低于 {minimum} 元",
            "en": "A withdrawal must be at least {minimum} CNY.",
        },
        "daily_cap_exceeded": {
            "zh-CN": "超出每日提现上限 {cap} 元",
            "en": "This is more than the daily withdrawal limit of {cap} CNY.",
        },
        "invalid_account_number": {"zh-CN": "银行卡号无效", "en": "That card number is not valid."},
        "payout_account_changed": {
            "zh-CN": "收款账户刚被修改，请重试",
            "en": "The payout account was just changed; try again.",
        },
        "withdrawal_busy": {
            "zh-CN": "提现处理繁忙，请重试",
            "en": "Too many withdrawals at once; try again.",
        },
        "balance_busy": {"zh-CN": "余额处理繁忙，请重试", "en": "The balance is busy; try again."},
        "earning_released": {
            "zh-CN": "该订单收入已过争议期",
            "en": "The dispute window of this order's earning has ended.",
        },
        "reversal_too_large": {"zh-CN": "冲销金额超出订单金额", "en": "More than what is left of the order."},
        "reversal_recorded": {"zh-CN": "该冲销已记录", "en": "This reversal is recorded already."},
        "invalid_month": {"zh-CN": "月份格式应为 YYYY-MM", "en": "The month must be YYYY-MM."},
        "unknown_run": {"zh-CN": "没有该付款批次", "en": "No such payout run."},
    }
)
