"""What the payout area tells a worker (inbox, and an SMS or e-mail), in zh-CN and en.

Ids derive from the withdrawal and the template, so a retried step tells the worker once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.accounts.users import user_view
from chalicelib.i18n import DEFAULT_LOCALE
from chalicelib.ids import stable_id
from chalicelib.models.accounts import UserItem
from chalicelib.models.payouts import WithdrawalItem
from chalicelib.notifications.outgoing import text_person
from chalicelib.notifications.templates import register, render
from chalicelib.payments.messages import yuan

__all__ = ["TEMPLATES", "tell_worker", "text_worker"]

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "withdrawal_paid": {
        "zh-CN": ("提现已到账", "【家政】您申请的提现{amount}已付出（手续费{fee}），请留意收款账户。"),
        "en": ("Withdrawal paid", "[Jiazheng] Your withdrawal of {amount} was paid out (fee {fee})."),
    },
    "withdrawal_failed": {
        "zh-CN": ("提现失败", "【家政】您申请的提现{amount}未能付出（{reason}），金额已退回可提现余额。"),
        "en": (
            "Withdrawal failed",
            "[Jiazheng] Your withdrawal of {amount} could not be paid ({reason}); it is available again.",
        ),
    },
    "withdrawal_rejected": {
        "zh-CN": (
            "提现未通过审核",
            "【家政】您申请的提现{amount}未通过审核（{reason}），金额已退回可提现余额。",
        ),
        "en": (
            "Withdrawal rejected",
            "[Jiazheng] Your withdrawal of {amount} was rejected ({reason}); it is available again.",
        ),
    },
}

register(TEMPLATES)


def tell_worker(item: WithdrawalItem, template: str, *, at: datetime | None = None, **params: Any) -> None:
    """Inbox entry and a text about ``item``; once per (withdrawal, template)."""
    params = {"amount": yuan(int(item.amount)), "fee": yuan(int(item.fee)), **params}
    when = at or datetime.fromisoformat(item.requested_at)
    key = f"{template}:{item.withdrawal_id}"
    rendered = render(template, DEFAULT_LOCALE, **params)
    post_to_inbox(
        item.worker_id,
        template,
        rendered.subject,
        rendered.body,
        notification_id=stable_id("ntf", when, key),
    )
    text_worker(item, template, at=when, **params)


def text_worker(
    item: WithdrawalItem,
    template: str,
    *,
    at: datetime | None = None,
    worker: UserItem | None = None,
    **params: Any,
) -> None:
    """The SMS (or e-mail without a phone) about ``item``; its message id makes a retry send once.

    The payout run books the inbox entry of a payment in the payment's own transaction and
    calls this after it committed, with the worker's user item it read for the whole batch
    (``worker``); without it, the item is read here.
    """
    params = {"amount": yuan(int(item.amount)), "fee": yuan(int(item.fee)), **params}
    when = at or datetime.fromisoformat(item.requested_at)
    key = f"{template}:{item.withdrawal_id}"
    if worker is None:
        try:
            worker = UserItem.get(f"USER#{item.worker_id}", "PROFILE")
        except UserItem.DoesNotExist:
            return
    user = user_view(worker)
    text_person(
        user.phone,
        user.email,
        template,
        DEFAULT_LOCALE,
        correlation_id=item.withdrawal_id,
        message_id=stable_id("msg", when, key),
        **params,
    )
