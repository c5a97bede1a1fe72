"""Create the resources of ``chalicelib.resources`` in the local stand-ins, idempotently.

DynamoDB Local keeps its tables on disk between runs while moto starts empty every time, so each
step first looks whether its resource is there. The shapes follow what CDK deploys: on-demand
tables with string keys and all-projected GSIs, a dead-letter queue per queue, one rule per event
pattern on the app's bus, private buckets, and a verified SES sender.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from chalicelib import resources
from chalicelib.resources import (
    BucketSpec,
    KeySpec,
    QueueSpec,
    TableSpec,
    WorkflowSpec,
    key_alias,
    physical_name,
)
from chalicelib.workflows.definitions import definition_path, substitute, substitutions
from local.aws import ACCOUNT_ID, client

__all__ = [
    "STAGE",
    "add_missing_indexes",
    "create_all",
    "create_bucket",
    "create_key",
    "create_queue",
    "create_recurring_schedules",
    "create_schedule_group",
    "create_state_machine",
    "create_table",
    "enable_stream",
    "lambda_arn",
    "resource_env",
]

STAGE = "local"


def resource_env(stage: str = STAGE) -> dict[str, str]:
    """The environment variables named by the specs, except queue URLs (known once created)."""
    env = {spec.env_var: physical_name(stage, spec.name) for spec in resources.TABLES}
    env.update({spec.env_var: physical_name(stage, spec.name) for spec in resources.BUCKETS})
    env.update({spec.env_var: key_alias(stage, spec.name) for spec in resources.KEYS})
    env[resources.EVENT_BUS_ENV_VAR] = physical_name(stage, resources.EVENT_BUS)
    return env


def create_table(ddb: Any, spec: TableSpec, stage: str = STAGE) -> str:
    """Create one table (if absent) with its GSIs, and switch its TTL on."""
    name = physical_name(stage, spec.name)
    keys = [(spec.partition_key, "HASH")] + ([(spec.sort_key, "RANGE")] if spec.sort_key else [])
    attributes = {key for key, _ in keys}
    indexes = []
    for index in spec.indexes:
        attributes.update((index.partition_key, index.sort_key))
        indexes.append(
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    if name not in _table_names(ddb):
        params: dict[str, Any] = {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": key, "KeyType": kind} for key, kind in keys],
            "AttributeDefinitions": [
                {"AttributeName": attribute, "AttributeType": "S"} for attribute in sorted(attributes)
            ],
        }
        if indexes:
            params["GlobalSecondaryIndexes"] = indexes
        if spec.stream_view:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream_view}
        ddb.create_table(**params)
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    add_missing_indexes(ddb, name, indexes)
    if spec.stream_view:
        enable_stream(ddb, name, spec.stream_view)
    if spec.ttl_attribute:
        status = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
    return name


def add_missing_indexes(ddb: Any, name: str, indexes: list[dict[str, Any]], timeout: float = 120.0) -> None:
    """Add the GSIs a table kept from an earlier run lacks (DynamoDB Local's data persists).

    DynamoDB creates one index per UpdateTable call and backfills it from the items already
    there; each is waited for until ACTIVE, so the app never queries an index still building.
    """
    existing = {
        index["IndexName"]
        for index in ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
    }
    for index in indexes:
        if index["IndexName"] in existing:
            continue
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": key["AttributeName"], "AttributeType": "S"} for key in index["KeySchema"]
            ],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        deadline = time.monotonic() + timeout
        while True:
            described = ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
            status = next(
                (i.get("IndexStatus") for i in described if i["IndexName"] == index["IndexName"]), None
            )
            if status in (None, "ACTIVE"):  # moto and DynamoDB Local may omit the status
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"index {index['IndexName']} of {name} is still {status}")
            time.sleep(0.5)


def enable_stream(ddb: Any, name: str, view: str) -> str:
    """Switch the table's stream on if a table kept from an earlier run has none; its ARN."""
    table = ddb.describe_table(TableName=name)["Table"]
    if not table.get("StreamSpecification", {}).get("StreamEnabled"):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
        table = ddb.describe_table(TableName=name)["Table"]
    return str(table["LatestStreamArn"])


def create_schedule_group(scheduler: Any, stage: str = STAGE) -> str:
    """The Scheduler group of the app's one-time timers."""
    name = physical_name(stage, resources.SCHEDULE_GROUP)
    try:
        scheduler.get_schedule_group(Name=name)
    except scheduler.exceptions.ResourceNotFoundException:
        scheduler.create_schedule_group(Name=name)
    return name


def _table_names(ddb: Any) -> set[str]:
    names: set[str] = set()
    for page in ddb.get_paginator("list_tables").paginate():
        names.update(page["TableNames"])
    return names


def create_queue(sqs: Any, spec: QueueSpec, stage: str = STAGE) -> str:
    """Create the queue and its ``-dlq`` with the spec's redrive policy; return the queue URL."""
    name = physical_name(stage, spec.name)
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}
    attributes = {
        "VisibilityTimeout": str(spec.visibility_timeout_seconds),
        "RedrivePolicy": json.dumps(redrive),
    }
    # create_queue with attributes differing from an existing queue's fails, so set them after.
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def queue_arn(sqs: Any, url: str) -> str:
    """The ARN of the queue at ``url``."""
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_event_routes(events: Any, sqs: Any, queue_urls: Mapping[str, str], stage: str = STAGE) -> str:
    """Create the app's bus and, per queue event pattern, a uniquely named rule targeting the queue."""
    bus = physical_name(stage, resources.EVENT_BUS)
    existing = {item["Name"] for item in events.list_event_buses()["EventBuses"]}
    if bus not in existing:
        events.create_event_bus(Name=bus)
    for spec in resources.QUEUES:
        for number, pattern in enumerate(spec.event_patterns, start=1):
            # moto mixes up same-named rules across buses: the name carries stage, queue and index.
            rule = f"{physical_name(stage, spec.name)}-rule-{number}"
            events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED")
            events.put_targets(
                Rule=rule,
                EventBusName=bus,
                Targets=[{"Id": "queue", "Arn": queue_arn(sqs, queue_urls[spec.name])}],
            )
    return bus


def create_bucket(s3: Any, spec: BucketSpec, region: str, stage: str = STAGE) -> str:
    """Create a private bucket (with its expiry rule, if any)."""
    name = physical_name(stage, spec.name)
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        params: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**params)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    if spec.expire_days:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": spec.expire_days},
                    }
                ]
            },
        )
    return name


def create_key(kms: Any, spec: KeySpec, stage: str = STAGE) -> str:
    """Create a symmetric key with its alias (if the alias is absent); returns the alias."""
    alias = key_alias(stage, spec.name)
    aliases = {
        entry["AliasName"]
        for page in kms.get_paginator("list_aliases").paginate()
        for entry in page["Aliases"]
    }
    if alias not in aliases:
        key_id = kms.create_key(Description=f"{physical_name(stage, spec.name)} field encryption")[
            "KeyMetadata"
        ]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return alias


def lambda_arn(region: str, function: str, stage: str = STAGE) -> str:
    """The ARN of the app's function ``function`` (as ``app.lambda_function`` names it) in moto."""
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{physical_name(stage, function)}"


def create_state_machine(sfn: Any, spec: WorkflowSpec, region: str, stage: str = STAGE) -> str:
    """Create (or update) a Standard state machine from ``spec``'s ASL file; returns its ARN.

    The placeholders are substituted as CDK's DefinitionSubstitutions do, with the ARNs moto's
    Lambda would have: ``local.moto_server`` runs our handler when a task invokes one.
    """
    name = physical_name(stage, spec.name)
    arns = {function.name: lambda_arn(region, function.name, stage) for function in spec.functions}
    definition = substitute(
        definition_path(spec).read_text(encoding="utf-8"), substitutions(spec, "aws", arns)
    )
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
                return str(machine["stateMachineArn"])
    created = sfn.create_state_machine(
        name=name,
        definition=definition,
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",  # moto checks no role
        type="STANDARD",
    )
    return str(created["stateMachineArn"])


def create_recurring_schedules(scheduler: Any, region: str, stage: str = STAGE) -> list[str]:
    """Create (or update) the ``resources.SCHEDULES`` in moto's Scheduler, targeting the app's functions.

    moto never fires them: the local runner does, by the local clock, calling the function's
    handler in its own process (``local.targets``), as CDK's schedule invokes the function.
    """
    names = []
    for spec in resources.SCHEDULES:
        name = physical_name(stage, spec.name)
        params: dict[str, Any] = {
            "Name": name,
            "ScheduleExpression": spec.expression,
            "ScheduleExpressionTimezone": spec.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": lambda_arn(region, spec.function, stage),
                "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{physical_name(stage, 'schedules')}",
                "Input": json.dumps({"scheduled_time": resources.SCHEDULED_TIME}),
            },
        }
        try:
            scheduler.get_schedule(Name=name)
            scheduler.update_schedule(**params)
        except scheduler.exceptions.ResourceNotFoundException:
            scheduler.create_schedule(**params)
        names.append(name)
    return names


def create_all(env: Mapping[str, str], ses_sender: str, stage: str = STAGE) -> dict[str, str]:
    """Create everything; return the variables the app needs that are known once created.

    Queue URLs (``spec.env_var``), the ARNs of queues handed to Scheduler, the schedule group and
    the role Scheduler would assume, the ARNs of the workflows' state machines.
    """
    ddb = client("dynamodb", env)
    for table in resources.TABLES:
        create_table(ddb, table, stage)
    sqs = client("sqs", env)
    queue_urls = {spec.name: create_queue(sqs, spec, stage) for spec in resources.QUEUES}
    for consumer in resources.STREAM_CONSUMERS:  # the on-failure destination of each stream consumer
        sqs.create_queue(QueueName=f"{physical_name(stage, consumer.name)}-dlq")
    create_event_routes(client("events", env), sqs, queue_urls, stage)
    s3 = client("s3", env)
    for bucket in resources.BUCKETS:
        create_bucket(s3, bucket, env["AWS_REGION"], stage)
    client("ses", env).verify_email_identity(EmailAddress=ses_sender)
    kms = client("kms", env)
    for key in resources.KEYS:
        create_key(kms, key, stage)
    group = create_schedule_group(client("scheduler", env), stage)
    create_recurring_schedules(client("scheduler", env), env["AWS_REGION"], stage)
    queue_env = {spec.env_var: queue_urls[spec.name] for spec in resources.QUEUES}
    queue_env.update(
        {
            spec.arn_env_var: queue_arn(sqs, queue_urls[spec.name])
            for spec in resources.QUEUES
            if spec.arn_env_var
        }
    )
    # moto's Scheduler checks no role; in AWS, CDK makes the role that may send to the timers queue.
    queue_env[resources.SCHEDULE_GROUP_ENV_VAR] = group
    queue_env[resources.SCHEDULER_ROLE_ENV_VAR] = (
        f"arn:aws:iam::{ACCOUNT_ID}:role/{physical_name(stage, 'scheduler')}"
    )
    sfn = client("stepfunctions", env)
    for workflow in resources.WORKFLOWS:
        queue_env[workflow.env_var] = create_state_machine(sfn, workflow, env["AWS_REGION"], stage)
    return queue_env
