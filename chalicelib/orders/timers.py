"""Durable order timers: EventBridge Scheduler one-time schedules that drop a message on a queue.

A timer is set once per (order, kind, basis, due): the schedule's name is derived from them, so
setting it again (a consumer retried) is a no-op (``ConflictException``). When due, Scheduler
delivers the enveloped :class:`~chalicelib.events.contracts.OrderTimer` to the ``order-timers``
queue and the schedule deletes itself. A timer already due when set goes to the queue at once.
Locally ``local.schedules`` fires due schedules by the local clock, so advancing the clock
(``POST /v1/dev/clock``) fires them.

Timers never carry decisions: the consumer re-reads the order and does nothing if it has moved
on, so a timer that outlived its reason (a reminder for a job since cancelled) is harmless.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from chalicelib import clock
from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.events.contracts import TIMER_COMMAND, OrderTimer
from chalicelib.events.envelope import wrap
from chalicelib.observability import logger

__all__ = ["QUEUE", "schedule_name", "set_timer", "timer_id"]

QUEUE = "order-timers"


def _digest(timer: OrderTimer) -> str:
    return hashlib.sha256(
        f"{timer.order_id}|{timer.kind}|{timer.basis}|{timer.due.isoformat()}".encode()
    ).hexdigest()


def schedule_name(timer: OrderTimer) -> str:
    """``<order id>-<kind>-<hash>``: at most 64 characters of ``[0-9a-zA-Z-_.]`` as Scheduler wants."""
    return f"{timer.order_id[:32]}-{timer.kind.replace('_', '-')[:18]}-{_digest(timer)[:10]}"


def timer_id(timer: OrderTimer) -> str:
    """The envelope id of a timer: the consumer's idempotency key."""
    return f"tmr_{_digest(timer)[:32]}"


@cache
def _scheduler() -> Any:
    return client("scheduler")


def set_timer(timer: OrderTimer) -> str:
    """Make sure ``timer`` fires (once) at ``timer.due``; returns how: ``scheduled`` or ``queued``."""
    config = settings()
    payload = wrap(
        TIMER_COMMAND, timer, correlation_id=timer.order_id, event_id=timer_id(timer)
    ).model_dump_json()
    if timer.due <= clock.now():
        client("sqs").send_message(QueueUrl=config.queue_urls[QUEUE], MessageBody=payload)
        return "queued"
    when = timer.due.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        _scheduler().create_schedule(
            Name=schedule_name(timer),
            GroupName=config.schedule_group,
            ScheduleExpression=f"at({when})",
            ScheduleExpressionTimezone="Asia/Shanghai",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": config.queue_arns[QUEUE],
                "RoleArn": config.scheduler_role_arn,
                "Input": payload,
                "RetryPolicy": {"MaximumEventAgeInSeconds": 24 * 3600, "MaximumRetryAttempts": 185},
            },
        )
    except _scheduler().exceptions.ConflictException:
        pass  # set before (a retried event): the existing schedule stands
    logger.info("order timer set", order_id=timer.order_id, kind=timer.kind, due=when)
    return "scheduled"
