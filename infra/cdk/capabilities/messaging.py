"""The app's EventBridge bus and, per ``resources.QUEUES`` spec, a queue with its DLQ and rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.resources import EVENT_BUS, EVENT_BUS_ENV_VAR, QUEUES, QueueSpec
from infra.cdk.stage import StageSettings

__all__ = ["Messaging", "QueueWithDlq", "event_pattern"]

# The top-level fields of an EventBridge pattern, as ``events.EventPattern`` spells them.
_PATTERN_FIELDS = {
    "account": "account",
    "detail": "detail",
    "detail-type": "detail_type",
    "id": "id",
    "region": "region",
    "resources": "resources",
    "source": "source",
    "time": "time",
    "version": "version",
}
DLQ_RETENTION = Duration.days(14)


def _title(name: str) -> str:
    return "".join(part.title() for part in name.replace("-", "_").split("_"))


def event_pattern(pattern: Mapping[str, object]) -> events.EventPattern:
    """An ``events.EventPattern`` from a pattern written as EventBridge JSON (``detail-type`` …)."""
    unknown = sorted(set(pattern) - set(_PATTERN_FIELDS))
    if unknown:
        raise ValueError(f"unsupported top-level fields in event pattern: {unknown}")
    kwargs: dict[str, Any] = {_PATTERN_FIELDS[key]: value for key, value in pattern.items()}
    return events.EventPattern(**kwargs)


class QueueWithDlq(Construct):
    """An encrypted queue, its dead-letter queue, an alarm on the DLQ and its EventBridge rules."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: QueueSpec,
        settings: StageSettings,
        bus: events.IEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            queue_name=settings.name_of(f"{spec.name}-dlq"),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
            removal_policy=settings.removal_policy,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=settings.name_of(spec.name),
            # SSE-SQS rather than a KMS key: EventBridge can deliver to it without key grants.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count, queue=self.dlq),
            removal_policy=settings.removal_policy,
        )
        self.dlq_alarm = cloudwatch.Alarm(
            self,
            "DlqNotEmpty",
            alarm_description=f"Messages of {settings.name_of(spec.name)} are failing: its DLQ is not empty.",
            metric=self.dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.rules = [
            events.Rule(
                self,
                f"Rule{index}",
                event_bus=bus,
                description=f"Events for {settings.name_of(spec.name)}",
                event_pattern=event_pattern(pattern),
                targets=[targets.SqsQueue(self.queue)],
            )
            for index, pattern in enumerate(spec.event_patterns)
        ]


class Messaging(Construct):
    """The custom event bus the app publishes to and the work queues its consumers drain."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        specs: Sequence[QueueSpec] = QUEUES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=settings.name_of(EVENT_BUS))
        self.queues: dict[str, QueueWithDlq] = {
            spec.name: QueueWithDlq(self, _title(spec.name), spec=spec, settings=settings, bus=self.bus)
            for spec in specs
        }

    @property
    def environment(self) -> Mapping[str, str]:
        env = {EVENT_BUS_ENV_VAR: self.bus.event_bus_name}
        env.update({item.spec.env_var: item.queue.queue_url for item in self.queues.values()})
        return env

    def grant_app(self, grantee: iam.IGrantable) -> None:
        """Publish to the bus and send to the queues (consuming is granted per consumer)."""
        self.bus.grant_put_events_to(grantee)
        for item in self.queues.values():
            item.queue.grant_send_messages(grantee)
