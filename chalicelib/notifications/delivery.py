"""Delivering one message through SNS (SMS) or SES (e-mail).

On the local stage each delivered message is also written to the dev outbox, which
``GET /v1/dev/outbox`` reads so a person or a test can see the code that was "sent".
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib import clock
from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.models.accounts import OutboxItem
from chalicelib.notifications.outgoing import OutgoingMessage

__all__ = ["deliver"]


def deliver(message: OutgoingMessage) -> None:
    """Send ``message``; raises on any provider error so SQS retries it."""
    target = message.recipient()
    if message.channel == "sms":
        client("sns").publish(
            PhoneNumber=target,
            Message=message.body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
    else:
        client("ses").send_email(
            Source=settings().ses_sender,
            Destination={"ToAddresses": [target]},
            Message={
                "Subject": {"Data": message.subject or "", "Charset": "UTF-8"},
                "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
            },
        )
    if settings().is_local:
        _record_in_outbox(message, target)


def _record_in_outbox(message: OutgoingMessage, target: str) -> None:
    now = clock.now()
    OutboxItem(
        "OUTBOX",
        f"{clock.iso(now)}#{message.message_id}",
        channel=message.channel,
        target=target,
        subject=message.subject,
        body=message.body,
        sent_at=clock.iso(now),
        gsi1pk=f"OUTBOX#{target}",
        gsi1sk=f"{clock.iso(now)}#{message.message_id}",
        ttl=int((now + timedelta(days=2)).timestamp()),
    ).save()
