"""Create the resources of ``chalicelib.resources`` in the local stand-ins, idempotently.

DynamoDB Local keeps its tables on disk between runs while moto starts empty every time, so each
step first looks whether its resource is there. The shapes follow what CDK deploys: on-demand
tables with string keys and all-projected GSIs, a dead-letter queue per queue, one rule per event
pattern on the app's bus, private buckets, and a verified SES sender.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib import resources
from chalicelib.resources import BucketSpec, KeySpec, QueueSpec, TableSpec, key_alias, physical_name
from local.aws import client

__all__ = [
    "STAGE",
    "create_all",
    "create_bucket",
    "create_key",
    "create_queue",
    "create_table",
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
        ddb.create_table(**params)
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    if spec.ttl_attribute:
        status = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if status.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
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


def create_all(env: Mapping[str, str], ses_sender: str, stage: str = STAGE) -> dict[str, str]:
    """Create everything; return the queue URL variables (``spec.env_var`` -> URL) for the app."""
    ddb = client("dynamodb", env)
    for table in resources.TABLES:
        create_table(ddb, table, stage)
    sqs = client("sqs", env)
    queue_urls = {spec.name: create_queue(sqs, spec, stage) for spec in resources.QUEUES}
    create_event_routes(client("events", env), sqs, queue_urls, stage)
    s3 = client("s3", env)
    for bucket in resources.BUCKETS:
        create_bucket(s3, bucket, env["AWS_REGION"], stage)
    client("ses", env).verify_email_identity(EmailAddress=ses_sender)
    kms = client("kms", env)
    for key in resources.KEYS:
        create_key(kms, key, stage)
    return {spec.env_var: queue_urls[spec.name] for spec in resources.QUEUES}
