"""The one description of the AWS resources the code uses.

CDK (``infra/cdk``) builds the deployed stack from it and the local stack (``local/``) creates the
same resources in DynamoDB Local and moto server from it, so the two cannot drift apart. Plain
data only: importing this module must stay cheap and free of AWS SDKs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "BUCKETS",
    "EVENT_BUS",
    "KEYS",
    "QUEUES",
    "SCHEDULES",
    "SCHEDULE_GROUP",
    "STREAM_CONSUMERS",
    "TABLES",
    "WORKFLOWS",
    "BucketSpec",
    "IndexSpec",
    "KeySpec",
    "QueueSpec",
    "ScheduleSpec",
    "StreamConsumerSpec",
    "TableSpec",
    "TaskFunctionSpec",
    "WorkflowSpec",
    "key_alias",
    "physical_name",
]

APP_NAME = "jiazheng"


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index with string keys and all attributes projected."""

    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableSpec:
    """An on-demand DynamoDB table with string keys."""

    name: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None
    env_var: str = ""
    stream_view: str | None = None  # e.g. "NEW_IMAGE": the table has a stream for its consumers


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue, its dead-letter queue and the Lambda function that consumes it.

    ``handler`` is the dotted path of the function the local event runner calls with the same
    SQS event Lambda would deliver; ``function`` is the name that ``app.py`` registers it under
    with ``app.lambda_function``, which CDK wires to the queue with ReportBatchItemFailures.
    ``event_patterns`` are EventBridge patterns on the app's bus whose events land in the queue.
    """

    name: str
    function: str
    handler: str
    env_var: str
    batch_size: int = 10
    visibility_timeout_seconds: int = 60
    max_receive_count: int = 5
    event_patterns: tuple[dict[str, object], ...] = field(default_factory=tuple)
    arn_env_var: str | None = None  # set when the app hands the queue's ARN to others (Scheduler)


@dataclass(frozen=True)
class StreamConsumerSpec:
    """A Lambda function reading a table's stream, with Lambda's event filter and a failure DLQ.

    ``filter_pattern`` is the event-source-mapping filter (Lambda drops records that do not
    match before invoking); the handler re-checks it, so the local runner, which feeds every
    record, behaves the same. Records that keep failing go to the ``<name>-dlq`` queue.
    """

    name: str
    table: str
    function: str
    handler: str
    filter_pattern: dict[str, object]
    batch_size: int = 25
    max_retries: int = 10


@dataclass(frozen=True)
class BucketSpec:
    """A private, encrypted S3 bucket."""

    name: str
    env_var: str
    expire_days: int | None = None


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="main",
        partition_key="pk",
        sort_key="sk",
        indexes=(
            IndexSpec(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk"),
            IndexSpec(name="gsi2", partition_key="gsi2pk", sort_key="gsi2sk"),
            IndexSpec(name="gsi3", partition_key="gsi3pk", sort_key="gsi3sk"),  # orders by start day
        ),
        ttl_attribute="ttl",
        env_var="TABLE_NAME",
        stream_view="NEW_IMAGE",
    ),
    # Powertools idempotency records (its default layout: key ``id``, TTL ``expiration``).
    TableSpec(
        name="idempotency",
        partition_key="id",
        ttl_attribute="expiration",
        env_var="IDEMPOTENCY_TABLE_NAME",
    ),
)

QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        name="notifications",
        function="notifications_consumer",
        handler="chalicelib.events.notifications.handler",
        env_var="NOTIFICATIONS_QUEUE_URL",
    ),
    # Order events from the bus (published by the outbox relay) drive the order workflow.
    QueueSpec(
        name="order-events",
        function="order_events_consumer",
        handler="chalicelib.events.order_events.handler",
        env_var="ORDER_EVENTS_QUEUE_URL",
        event_patterns=({"source": ["jiazheng.orders"]},),
    ),
    # Due order timers (EventBridge Scheduler one-time schedules target this queue).
    QueueSpec(
        name="order-timers",
        function="order_timers_consumer",
        handler="chalicelib.events.order_timers.handler",
        env_var="ORDER_TIMERS_QUEUE_URL",
        arn_env_var="ORDER_TIMERS_QUEUE_ARN",
    ),
    # Verified Stripe webhooks (stored raw by the webhook route), processed once each.
    QueueSpec(
        name="payment-events",
        function="payment_events_consumer",
        handler="chalicelib.events.payment_events.handler",
        env_var="PAYMENT_EVENTS_QUEUE_URL",
    ),
    # Report exports (issue 11): each queued export is rendered into the exports bucket; a long
    # visibility timeout covers a 15-minute Lambda, three tries then `failed` (docs/analytics.md).
    QueueSpec(
        name="exports",
        function="exports_consumer",
        handler="chalicelib.analytics.export_job.handler",
        env_var="EXPORTS_QUEUE_URL",
        batch_size=1,
        visibility_timeout_seconds=960,
        max_receive_count=3,
    ),
)

STREAM_CONSUMERS: tuple[StreamConsumerSpec, ...] = (
    # The transactional outbox: every order timeline event written in a transaction is
    # published on the bus as ``order.<event>`` (chalicelib.events.outbox).
    StreamConsumerSpec(
        name="outbox",
        table="main",
        function="outbox_relay",
        handler="chalicelib.events.outbox.handler",
        filter_pattern={
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "ORDER#EVENT#"}]}}},
        },
    ),
    # Analytics (issue 11): timeline events, reviews, tickets and new profiles into the daily
    # aggregates (chalicelib.analytics.consumer, docs/analytics.md).
    StreamConsumerSpec(
        name="analytics",
        table="main",
        function="analytics_events",
        handler="chalicelib.analytics.consumer.handler",
        filter_pattern={
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "ORDER#EVENT#"}, "REVIEW", "TICKET", "PROFILE"]}}},
        },
    ),
)

SCHEDULE_GROUP = "timers"
"""The EventBridge Scheduler group of one-time timers (``jiazheng-<stage>-timers``)."""
SCHEDULE_GROUP_ENV_VAR = "SCHEDULE_GROUP_NAME"
SCHEDULER_ROLE_ENV_VAR = "SCHEDULER_ROLE_ARN"

EVENT_BUS = "events"
EVENT_BUS_ENV_VAR = "EVENT_BUS_NAME"

BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec(name="uploads", env_var="UPLOADS_BUCKET"),
    BucketSpec(name="exports", env_var="EXPORTS_BUCKET", expire_days=30),
    # The analytics lake (chalicelib.analytics.lake): one gzip JSON-lines partition of orders a
    # day for Athena; kept (the exports bucket expires everything after 30 days).
    BucketSpec(name="lake", env_var="LAKE_BUCKET"),
)


@dataclass(frozen=True)
class KeySpec:
    """A symmetric KMS key for field-level encryption, named by the alias ``alias/<physical>``."""

    name: str
    env_var: str


KEYS: tuple[KeySpec, ...] = (
    # ID numbers of workers (GB 11643) are encrypted under this key, bound to the worker.
    KeySpec(name="pii", env_var="PII_KMS_KEY_ID"),
)


@dataclass(frozen=True)
class TaskFunctionSpec:
    """A Lambda function that the tasks of a workflow invoke.

    ``name`` is what ``app.py`` registers it under with ``app.lambda_function``; ``handler`` the
    dotted path of the plain function behind it, which the local moto server calls in its place;
    ``substitution`` the ``${...}`` placeholder of the ASL that stands for its ARN.
    """

    name: str
    handler: str
    substitution: str


@dataclass(frozen=True)
class WorkflowSpec:
    """A Step Functions Standard state machine defined by an ASL file (``chalicelib/workflows/``).

    CDK deploys the file with the ARNs of ``functions`` substituted and sets ``env_var`` to the
    state machine's ARN in every function; ``local/provision.py`` creates it the same way in moto.
    """

    name: str
    definition: str  # file name under chalicelib/workflows/
    env_var: str
    functions: tuple[TaskFunctionSpec, ...]


WORKFLOW_STEPS = TaskFunctionSpec(
    name="workflow_steps", handler="chalicelib.workflows.steps.handler", substitution="StepsFunctionArn"
)

WORKFLOWS: tuple[WorkflowSpec, ...] = (
    # After an order is cancelled: refund what is owed, tell the customer; escalate a failed refund.
    WorkflowSpec(
        name="order-cancellation",
        definition="order_cancellation.asl.json",
        env_var="ORDER_CANCELLATION_STATE_MACHINE_ARN",
        functions=(WORKFLOW_STEPS,),
    ),
    # The daily payout run: pay approved withdrawals once each (chalicelib.payouts.run).
    WorkflowSpec(
        name="payout-run",
        definition="payout_run.asl.json",
        env_var="PAYOUT_RUN_STATE_MACHINE_ARN",
        functions=(WORKFLOW_STEPS,),
    ),
    # A row report export too large for one Lambda, written day by day (chalicelib.analytics.export_split).
    WorkflowSpec(
        name="export-split",
        definition="export_split.asl.json",
        env_var="EXPORT_SPLIT_STATE_MACHINE_ARN",
        functions=(WORKFLOW_STEPS,),
    ),
)


@dataclass(frozen=True)
class ScheduleSpec:
    """A recurring EventBridge Scheduler schedule whose target is one of the app's functions.

    ``function`` is what ``app.py`` registers with ``app.lambda_function``; ``handler`` the dotted
    path the local runner calls in its place when the schedule is due by the local clock. The
    input carries ``scheduled_time`` (Scheduler's ``<aws.scheduler.scheduled-time>``).
    """

    name: str
    expression: str
    timezone: str
    function: str
    handler: str


SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        name="payout-run",
        expression="cron(0 2 * * ? *)",
        timezone="Asia/Shanghai",
        function="payout_run_starter",
        handler="chalicelib.payouts.run.start_scheduled",
    ),
    ScheduleSpec(
        name="payout-reconciliation",
        expression="cron(30 4 * * ? *)",
        timezone="Asia/Shanghai",
        function="payout_reconciliation",
        handler="chalicelib.payouts.reconciliation.run_scheduled",
    ),
    # Nightly analytics (issue 11): repair the day before's aggregates, export its reports.
    ScheduleSpec(
        name="analytics-nightly",
        expression="cron(0 3 * * ? *)",
        timezone="Asia/Shanghai",
        function="analytics_nightly",
        handler="chalicelib.analytics.nightly.run_scheduled",
    ),
)
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def key_alias(stage: str, name: str) -> str:
    """The alias of a KMS key: ``alias/jiazheng-<stage>-<name>``."""
    return f"alias/{physical_name(stage, name)}"


def physical_name(stage: str, name: str) -> str:
    """The deployed name of a resource: ``jiazheng-<stage>-<name>``."""
    return f"{APP_NAME}-{stage}-{name}"
