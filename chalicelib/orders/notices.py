"""Telling a customer or worker what happened to an order: inbox always, SMS or e-mail when it matters.

One path for every order notification: the inbox entry and the queued SMS/e-mail get ids derived
from what caused them (``ids.stable_id`` of the event or timer), so a consumer that handles the
same event twice still leaves one inbox entry and sends one text. Texts live in
``chalicelib.orders.messages``; the SMS/e-mail go through the notifications queue (retried, then
dead-lettered, never dropped silently).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.accounts.inbox import post_to_inbox
from chalicelib.accounts.users import get_user, user_view
from chalicelib.catalog.categories import category
from chalicelib.i18n import DEFAULT_LOCALE
from chalicelib.ids import stable_id
from chalicelib.models.orders import OrderItem
from chalicelib.notifications.outgoing import text_person
from chalicelib.notifications.templates import render
from chalicelib.orders import messages

__all__ = ["notify", "order_params"]

assert messages.TEMPLATES  # imported for its registration


def order_params(order: OrderItem, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
    """The parameters every order template may use."""
    found = category(order.category)
    start = datetime.fromisoformat(order.start_at).astimezone(clock.SHANGHAI)
    return {
        "service": found.name(locale) if found else order.category,
        "start": start.strftime("%m-%d %H:%M"),
        "district": (order.address or {}).get("district", ""),
        "order": order.order_id,
    }


def notify(
    user_id: str,
    template: str,
    order: OrderItem,
    *,
    cause: str,
    at: datetime,
    text: bool = True,
    **params: Any,
) -> None:
    """Post ``template`` to ``user_id``'s inbox and, with ``text``, send it by SMS (else e-mail).

    ``cause`` names what triggered it (an event or timer id) and ``at`` when: together with the
    recipient and template they make the ids that keep a repeat from notifying twice.
    """
    values = {**order_params(order), **params}
    rendered = render(template, DEFAULT_LOCALE, **values)
    key = f"{cause}:{user_id}:{template}"
    post_to_inbox(
        user_id,
        template,
        rendered.subject,
        rendered.body,
        order_id=order.order_id,
        notification_id=stable_id("ntf", at, key),
    )
    if not text:
        return
    account = user_view(get_user(user_id))
    text_person(
        account.phone,
        account.email,
        template,
        DEFAULT_LOCALE,
        correlation_id=order.order_id,
        message_id=stable_id("msg", at, key),
        **values,
    )
