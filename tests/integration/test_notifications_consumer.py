"""The notifications consumer: delivers once, reports partial batch failures."""

from __future__ import annotations

from typing import Any

from chalice.test import Client
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib.events.envelope import wrap
from chalicelib.events.notifications import handler
from chalicelib.notifications.outgoing import OutgoingMessage
from tests.integration.conftest import _Context


def _record(body: str, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-southeast-1:123456789012:jiazheng-local-notifications",
        "awsRegion": "ap-southeast-1",
    }


def _sms(message_id: str, target: str = "+8613877778888") -> str:
    message = OutgoingMessage(message_id=message_id, channel="sms", target=target, body="hello", template="t")
    return wrap("notification.send", message, event_id=message_id).model_dump_json()


def _sent_sms() -> list[Any]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sms_messages.values())


def test_a_redelivered_message_is_sent_once(api: Client, aws: dict[str, str]) -> None:
    body = _sms("msg_1")
    assert handler({"Records": [_record(body, "a")]}, _Context()) == {"batchItemFailures": []}
    assert handler({"Records": [_record(body, "b")]}, _Context()) == {"batchItemFailures": []}
    assert len(_sent_sms()) == 1


def test_one_bad_record_does_not_fail_the_batch(api: Client, aws: dict[str, str]) -> None:
    event = {
        "Records": [
            _record(_sms("msg_2"), "good"),
            _record("{broken", "bad"),
            _record(_sms("msg_3"), "good2"),
        ]
    }
    answer = handler(event, _Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(_sent_sms()) == 2
