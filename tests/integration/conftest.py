"""moto in-process: the real resources of ``chalicelib.resources``, fresh for every test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import clock, config, resources
from chalicelib.aws import client as aws_client
from chalicelib.models.base import MainItem, connection
from local.provision import (
    create_bucket,
    create_event_routes,
    create_key,
    create_queue,
    create_schedule_group,
    create_state_machine,
    create_table,
    queue_arn,
)


def _reset_connections(model: type[MainItem]) -> None:
    model._connection = None
    for sub in model.__subclasses__():
        _reset_connections(sub)


def _clear_clients() -> None:
    """Forget settings and every cached client, so the next use binds to the current moto."""
    from chalicelib import uploads
    from chalicelib.events import consumer, outbox
    from chalicelib.orders import timers
    from chalicelib.settings import provider as settings_provider

    settings_provider.provider.cache_clear()
    consumer.persistence.cache_clear()
    outbox._events.cache_clear()
    timers._scheduler.cache_clear()

    config.settings.cache_clear()
    aws_client.cache_clear()
    uploads.s3_client.cache_clear()
    connection.cache_clear()
    _reset_connections(MainItem)


@cache
def _client(service: str) -> Any:
    """A provisioning client kept across tests: moto intercepts every client of the process
    (its hook is in botocore's built-in handlers), and creating one costs tens of milliseconds."""
    return boto3.client(service)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with mock_aws():
        ddb = _client("dynamodb")
        for table in resources.TABLES:
            create_table(ddb, table)
        sqs = _client("sqs")
        urls = {queue.name: create_queue(sqs, queue) for queue in resources.QUEUES}
        for queue in resources.QUEUES:
            monkeypatch.setenv(queue.env_var, urls[queue.name])
            if queue.arn_env_var:
                monkeypatch.setenv(queue.arn_env_var, queue_arn(sqs, urls[queue.name]))
        for consumer in resources.STREAM_CONSUMERS:
            sqs.create_queue(QueueName=f"jiazheng-local-{consumer.name}-dlq")
        create_event_routes(_client("events"), sqs, urls)
        monkeypatch.setenv(resources.EVENT_BUS_ENV_VAR, "jiazheng-local-events")
        monkeypatch.setenv(resources.SCHEDULE_GROUP_ENV_VAR, create_schedule_group(_client("scheduler")))
        monkeypatch.setenv(
            resources.SCHEDULER_ROLE_ENV_VAR, "arn:aws:iam::123456789012:role/jiazheng-local-scheduler"
        )
        sfn = _client("stepfunctions")
        for workflow in resources.WORKFLOWS:  # created, not run: moto in-process executes nothing by default
            monkeypatch.setenv(workflow.env_var, create_state_machine(sfn, workflow, "ap-southeast-1"))
        _client("ses").verify_email_identity(EmailAddress="no-reply@jiazheng.example")
        kms = _client("kms")
        for key in resources.KEYS:
            create_key(kms, key)
        s3 = _client("s3")
        for bucket in resources.BUCKETS:
            create_bucket(s3, bucket, "ap-southeast-1")
        _clear_clients()
        yield urls
        clock.reset()
        _clear_clients()


@pytest.fixture
def api(aws: dict[str, str]) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client


class Http:
    """A small JSON client over Chalice's test client, shaped like the mobile app's calls."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, **headers: str) -> Any:
        sent = {"Content-Type": "application/json", **headers}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        raw = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=sent, body=raw)
        response.json = json.loads(response.body) if response.body else None
        return response


@pytest.fixture
def http(api: Client) -> Http:
    return Http(api)


def deliver_notifications(api: Client, urls: dict[str, str]) -> list[dict[str, Any]]:
    """Run the notifications consumer over what is queued, as Lambda would; returns the outbox."""
    from chalicelib.events.notifications import handler

    sqs = boto3.client("sqs")
    while True:
        received = sqs.receive_message(QueueUrl=urls["notifications"], MaxNumberOfMessages=10)
        messages = received.get("Messages", [])
        if not messages:
            break
        event = api.events.generate_sqs_event(
            message_bodies=[m["Body"] for m in messages], queue_name="notifications"
        )
        for record, message in zip(event["Records"], messages, strict=True):
            record["messageId"] = message["MessageId"]
        answer = handler(event, _Context())
        failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=urls["notifications"], ReceiptHandle=message["ReceiptHandle"])
        if failed:
            break
    from chalicelib.models.accounts import OutboxItem

    return [item.attribute_values for item in OutboxItem.query("OUTBOX", scan_index_forward=False)]


class _Context:
    function_name = "notifications_consumer"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:notifications_consumer"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
