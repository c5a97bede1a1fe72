"""Deliver a schedule's or rule's payload to its target the way EventBridge would.

Only the target kinds the local stand-ins can receive are supported: SQS queues, Step Functions
state machines (moto runs them), EventBridge buses, and the app's functions named by
``resources.SCHEDULES`` (their handler runs in this process, as Lambda would run it). Anything
else is reported, not dropped silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["UnsupportedTarget", "deliver"]


class UnsupportedTarget(ValueError):
    """The target's service has no local stand-in that can receive it."""


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise UnsupportedTarget(f"not an ARN: {arn!r}")
    return parts[2], parts[3], parts[4], parts[5]


def deliver(target: Mapping[str, Any], payload: str, clients: Callable[[str], Any]) -> str:
    """Send ``payload`` to ``target`` (a Scheduler/EventBridge target dict); describe what was done.

    ``clients`` maps a boto3 service name to a client against the local stand-ins.
    """
    arn = str(target["Arn"])
    service, _region, account, resource = _arn_parts(arn)
    if service == "sqs":
        sqs = clients("sqs")
        url = sqs.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)["QueueUrl"]
        params: dict[str, Any] = {"QueueUrl": url, "MessageBody": payload}
        group = target.get("SqsParameters", {}).get("MessageGroupId")
        if group:
            params.update(MessageGroupId=group, MessageDeduplicationId=uuid.uuid4().hex)
        message_id = sqs.send_message(**params)["MessageId"]
        return f"sqs {resource} message {message_id}"
    if service == "states":
        execution = clients("stepfunctions").start_execution(stateMachineArn=arn, input=payload)
        return f"stepfunctions execution {execution['executionArn']}"
    if service == "events" and resource.startswith("event-bus/"):
        bridge = target.get("EventBridgeParameters", {})
        entry = {
            "EventBusName": arn,
            "Source": bridge.get("Source", "local.scheduler"),
            "DetailType": bridge.get("DetailType", "Scheduled Event"),
            "Detail": payload,
        }
        clients("events").put_events(Entries=[entry])
        return f"eventbridge {resource}"
    if service == "lambda":
        return _invoke_scheduled_function(resource, payload)
    raise UnsupportedTarget(f"no local delivery for {service} target {arn}")


def _invoke_scheduled_function(resource: str, payload: str) -> str:
    """Run the handler of the ``resources.SCHEDULES`` function named in ``function:<name>``."""
    import json

    from chalicelib.resources import SCHEDULES
    from local.runner import import_handler

    name = resource.split(":")[1] if resource.startswith("function:") else resource
    for spec in SCHEDULES:
        if name.endswith(f"-{spec.function}"):
            result = import_handler(spec.handler)(json.loads(payload or "{}"), None)
            return f"lambda {name} -> {result}"
    raise UnsupportedTarget(f"no local handler for function {name}")
