"""Event source mappings from each queue to the Lambda function that consumes it."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk.capabilities.api import ChaliceApi, policy_of
from infra.cdk.capabilities.messaging import Messaging

__all__ = ["QueueConsumers"]


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
