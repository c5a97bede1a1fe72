"""Event source mappings from each queue, and each table stream, to the Lambda function that consumes it."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.resources import STREAM_CONSUMERS
from infra.cdk.capabilities.api import ChaliceApi, policy_of
from infra.cdk.capabilities.data import Data
from infra.cdk.capabilities.messaging import DLQ_RETENTION, Messaging
from infra.cdk.stage import StageSettings

__all__ = ["QueueConsumers", "StreamConsumers"]


class QueueConsumers(Construct):
    """Wires every queue of ``messaging`` to its consumer function with partial batch responses.

    Chalice's ``on_sqs_message`` cannot turn on ``ReportBatchItemFailures`` (aws/chalice#2029),
    so the app registers each consumer with ``@app.lambda_function(name=spec.function)`` and the
    mapping is made here. Only the consumer's own role may receive from (and delete on) its queue.
    """

    def __init__(self, scope: Construct, construct_id: str, *, messaging: Messaging, api: ChaliceApi) -> None:
        super().__init__(scope, construct_id)
        self.mappings: dict[str, lambda_.EventSourceMapping] = {}
        for name, item in messaging.queues.items():
            spec = item.spec
            role = api.role(spec.function)
            item.queue.grant_consume_messages(role)
            mapping = lambda_.EventSourceMapping(
                self,
                f"{ChaliceApi.logical_id(spec.name)}Mapping",
                target=api.function(spec.function),
                event_source_arn=item.queue.queue_arn,
                batch_size=spec.batch_size,
                report_batch_item_failures=True,
            )
            # CloudFormation checks the role can receive from the queue when creating the mapping.
            mapping.node.add_dependency(policy_of(role))
            self.mappings[name] = mapping


@jsii.implements(lambda_.IEventSourceDlq)
class _QueueDestination:
    """The on-failure destination of a mapping whose function is imported from Chalice's template.

    ``SqsDlq`` would grant the send to the function's role, which CDK cannot see there; the
    consumer's role gets that grant explicitly instead.
    """

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(self, target: Any, target_handler: Any) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.queue.queue_arn)


class StreamConsumers(Construct):
    """Wires each ``resources.STREAM_CONSUMERS`` function to its table's stream.

    Lambda's filter passes only the records the consumer wants (the outbox: inserted order
    timeline events); partial batch responses, bisecting and a bounded retry count keep one bad
    record from stalling the shard, and records that still fail land in an encrypted DLQ.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, api: ChaliceApi, settings: StageSettings
    ) -> None:
        super().__init__(scope, construct_id)
        self.mappings: dict[str, lambda_.EventSourceMapping] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for spec in STREAM_CONSUMERS:
            table = data.tables[spec.table]
            role = api.role(spec.function)
            dlq = sqs.Queue(
                self,
                f"{ChaliceApi.logical_id(spec.name)}Dlq",
                queue_name=settings.name_of(f"{spec.name}-dlq"),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=DLQ_RETENTION,
                removal_policy=settings.removal_policy,
            )
            table.grant_stream_read(role)
            dlq.grant_send_messages(role)
            mapping = lambda_.EventSourceMapping(
                self,
                f"{ChaliceApi.logical_id(spec.name)}Mapping",
                target=api.function(spec.function),
                event_source_arn=table.table_stream_arn,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=spec.batch_size,
                bisect_batch_on_error=True,
                retry_attempts=spec.max_retries,
                max_record_age=Duration.days(1),
                report_batch_item_failures=True,
                on_failure=_QueueDestination(dlq),
                filters=[lambda_.FilterCriteria.filter(spec.filter_pattern)],
            )
            mapping.node.add_dependency(policy_of(role))
            self.mappings[spec.name] = mapping
            self.dlqs[spec.name] = dlq
