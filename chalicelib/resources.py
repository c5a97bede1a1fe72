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
    "TABLES",
    "BucketSpec",
    "IndexSpec",
    "KeySpec",
    "QueueSpec",
    "TableSpec",
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
        ),
        ttl_attribute="ttl",
        env_var="TABLE_NAME",
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
)

EVENT_BUS = "events"
EVENT_BUS_ENV_VAR = "EVENT_BUS_NAME"

BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec(name="uploads", env_var="UPLOADS_BUCKET"),
    BucketSpec(name="exports", env_var="EXPORTS_BUCKET", expire_days=30),
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


def key_alias(stage: str, name: str) -> str:
    """The alias of a KMS key: ``alias/jiazheng-<stage>-<name>``."""
    return f"alias/{physical_name(stage, name)}"


def physical_name(stage: str, name: str) -> str:
    """The deployed name of a resource: ``jiazheng-<stage>-<name>``."""
    return f"{APP_NAME}-{stage}-{name}"
