"""Run the event side of the app in process, as Lambda and EventBridge would, on demand.

The API writes orders; this pump then does what the deployed event sources do: the outbox relay
reads the table's stream (``local.stream_poller``, the runner's own poller) and publishes to the
bus, moto's rules put the events on the queues, and the queue consumers run (``local.sqs_poller``).
``fire_due_timers`` is the runner's Scheduler stand-in (``local.schedules``) at the frozen clock.
Tests call :meth:`Pump.run` after acting, instead of sleeping.
"""

from __future__ import annotations

from typing import Any

import boto3

from chalicelib import clock, resources
from chalicelib.resources import physical_name
from local.runner import import_handler
from local.schedules import ScheduleFirer
from local.sqs_poller import QueuePoller
from local.stream_poller import StreamPoller

__all__ = ["Pump"]

STAGE = "local"


def _client(service: str) -> Any:
    if service == "dynamodbstreams":
        # botocore now sends ARN calls to account-based hosts (<account>.streams-ddb...) that moto
        # 5.2 does not route; its classic host works.
        region = boto3.session.Session().region_name
        return boto3.client(service, endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com")
    return boto3.client(service)


class Pump:
    """The outbox relay, every queue consumer and the timer firer, fed until nothing moves.

    A consumer that fails a record (what Lambda would retry) fails the test at once, with what the
    consumer logged, rather than leaving the message invisible on its queue.
    """

    def __init__(self, urls: dict[str, str]) -> None:
        self.problems: list[str] = []
        region = boto3.session.Session().region_name or "ap-southeast-1"
        sqs = boto3.client("sqs")
        self.streams = [
            StreamPoller(
                spec,
                physical_name(STAGE, spec.table),
                _client,
                import_handler(spec.handler),
                region,
                log=self._note,
            )
            for spec in resources.STREAM_CONSUMERS
        ]
        self.queues = [
            QueuePoller(
                spec,
                urls[spec.name],
                sqs,
                import_handler(spec.handler),
                region,
                wait_seconds=0,
                log=lambda _line: None,
            )
            for spec in resources.QUEUES
        ]
        self.firer = ScheduleFirer(
            _client, [physical_name(STAGE, resources.EVENT_BUS)], clock.now, log=lambda _line: None
        )

    def _note(self, line: str) -> None:
        if "Traceback" in line or "retrying from" in line or "raised" in line:
            self.problems.append(line)

    def run(self, rounds: int = 20) -> int:
        """Relay and consume until a round does nothing; returns the records handled."""
        total = 0
        for _ in range(rounds):
            moved = sum(stream.poll_once() for stream in self.streams)
            results = [queue.poll_once() for queue in self.queues]
            moved += sum(result.received for result in results)
            if self.problems or any(result.failed for result in results):
                raise AssertionError("a consumer failed:\n" + "\n".join(self.problems))
            total += moved
            if not moved:
                return total
        raise AssertionError(f"the event side is still busy after {rounds} rounds")

    def fire_due_timers(self) -> list[str]:
        """Deliver the schedules due at the (test's) clock, then run what they started."""
        fired = self.firer.tick()
        self.run()
        return fired

    def schedules(self) -> list[dict[str, Any]]:
        """The one-time schedules waiting in Scheduler (name, expression, input)."""
        scheduler = boto3.client("scheduler")
        found = []
        for summary in scheduler.list_schedules().get("Schedules", []):
            found.append(scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"]))
        return found
