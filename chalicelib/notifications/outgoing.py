"""Queueing an outgoing SMS or e-mail for the notifications consumer."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.aws import client
from chalicelib.basemodel import Model
from chalicelib.config import settings
from chalicelib.events.envelope import wrap
from chalicelib.ids import new_id
from chalicelib.notifications.templates import render

__all__ = ["OutgoingMessage", "queue_message", "text_person"]

COMMAND = "notification.send"


class OutgoingMessage(Model):
    """One SMS or e-mail to deliver; ``message_id`` makes delivery idempotent."""

    message_id: str
    channel: Literal["sms", "email"]
    target: str
    subject: str | None = None
    body: str
    template: str


def queue_message(
    channel: Literal["sms", "email"],
    target: str,
    template: str,
    locale: str,
    *,
    correlation_id: str | None = None,
    message_id: str | None = None,
    **params: Any,
) -> str:
    """Render ``template`` and queue it; returns the message id.

    A ``message_id`` derived from what caused the message makes a repeated call deliver once
    (the consumer's idempotency is keyed on it).
    """
    rendered = render(template, locale, **params)
    message = OutgoingMessage(
        message_id=message_id or new_id("msg"),
        channel=channel,
        target=target,
        subject=rendered.subject if channel == "email" else None,
        body=rendered.body,
        template=template,
    )
    envelope = wrap(COMMAND, message, correlation_id=correlation_id, event_id=message.message_id)
    client("sqs").send_message(
        QueueUrl=settings().queue_urls["notifications"],
        MessageBody=envelope.model_dump_json(),
    )
    return message.message_id


def text_person(
    phone: str | None,
    email: str | None,
    template: str,
    locale: str,
    *,
    correlation_id: str,
    message_id: str,
    **params: Any,
) -> None:
    """Queue ``template`` as an SMS to ``phone``, or an e-mail to ``email`` for someone without
    a phone (accounts may be e-mail only); nothing for someone with neither."""
    channel: Literal["sms", "email"] = "sms" if phone else "email"
    target = phone or email
    if target:
        queue_message(
            channel, target, template, locale, correlation_id=correlation_id, message_id=message_id, **params
        )
