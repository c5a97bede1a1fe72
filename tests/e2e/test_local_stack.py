"""The local stack's plumbing does what AWS would: resources, SQS delivery, schedules, persistence."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib import clock, resources
from chalicelib.resources import QueueSpec, physical_name
from local import app_secrets, dynamodb_local, provision
from local.aws import client
from local.procs import Child, free_port, wait_for_http
from local.runner import Runner
from local.schedule_expr import Cron, Rate, parse_at, parse_recurring
from local.stack import REPO_ROOT, LocalStack
from local.targets import deliver


def test_api_answers_health(http: httpx.Client) -> None:
    assert http.get("/v1/health").status_code == 200


def test_env_names_every_resource_and_endpoint(stack: LocalStack) -> None:
    env = stack.env
    named = [(spec.env_var, spec.name) for spec in resources.TABLES]
    named += [(spec.env_var, spec.name) for spec in resources.BUCKETS]
    for env_var, name in named:
        assert env[env_var] == physical_name("local", name)
    assert env[resources.EVENT_BUS_ENV_VAR] == physical_name("local", resources.EVENT_BUS)
    assert all(env[spec.env_var].startswith(stack.moto_url) for spec in resources.QUEUES)
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == stack.dynamodb_url
    assert env["AWS_ENDPOINT_URL_SQS"] == env["AWS_ENDPOINT_URL_SFN"] == stack.moto_url
    assert env["STAGE"] == "local"
    assert Path(env["LOCAL_CLOCK_FILE"]).parent == stack.data_dir
    secrets = json.loads(env["APP_SECRETS_JSON"])
    assert len(base64.urlsafe_b64decode(secrets["pii_key"])) == 32
    assert secrets == app_secrets.load_or_create(stack.data_dir / "secrets.json")  # kept, not regenerated


_PYNAMODB_PROBE = """
import os
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

class Probe(Model):
    class Meta:
        table_name = os.environ["TABLE_NAME"]
        region = os.environ["AWS_REGION"]

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

Probe(pk="probe", sk="pynamodb").save()
"""


def test_pynamodb_and_boto3_follow_the_endpoint_variables(stack: LocalStack) -> None:
    """pynamodb has no endpoint setting of its own here: botocore reads AWS_ENDPOINT_URL_DYNAMODB."""
    subprocess.run([sys.executable, "-c", _PYNAMODB_PROBE], env=stack.env, check=True, timeout=30)
    item = client("dynamodb", stack.env).get_item(
        TableName=stack.env["TABLE_NAME"], Key={"pk": {"S": "probe"}, "sk": {"S": "pynamodb"}}
    )
    assert "Item" in item


def test_tables_have_their_indexes_and_ttl(stack: LocalStack) -> None:
    ddb = client("dynamodb", stack.env)
    for spec in resources.TABLES:
        name = physical_name("local", spec.name)
        table = ddb.describe_table(TableName=name)["Table"]
        assert {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])} == {
            index.name for index in spec.indexes
        }
        if spec.ttl_attribute:
            ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            assert ttl["AttributeName"] == spec.ttl_attribute


def test_queues_redrive_to_their_dlq_and_the_rest_exists(stack: LocalStack) -> None:
    sqs = client("sqs", stack.env)
    for spec in resources.QUEUES:
        attributes = sqs.get_queue_attributes(QueueUrl=stack.env[spec.env_var], AttributeNames=["All"])
        policy = json.loads(attributes["Attributes"]["RedrivePolicy"])
        assert policy["deadLetterTargetArn"].endswith(f"{physical_name('local', spec.name)}-dlq")
        assert policy["maxReceiveCount"] == spec.max_receive_count
        assert attributes["Attributes"]["VisibilityTimeout"] == str(spec.visibility_timeout_seconds)
    buses = {bus["Name"] for bus in client("events", stack.env).list_event_buses()["EventBuses"]}
    assert physical_name("local", resources.EVENT_BUS) in buses
    buckets = {bucket["Name"] for bucket in client("s3", stack.env).list_buckets()["Buckets"]}
    assert {physical_name("local", spec.name) for spec in resources.BUCKETS} <= buckets
    assert stack.env["SES_SENDER"] in client("ses", stack.env).list_identities()["Identities"]


# -- the runner, in process, against the stack's moto ------------------------------------------


def _test_queue(stack: LocalStack, name: str) -> tuple[QueueSpec, str]:
    spec = QueueSpec(
        name=name,
        function=f"{name}_consumer",
        handler="unused.when.overridden",
        env_var="UNUSED",
        batch_size=10,
        visibility_timeout_seconds=1,
        max_receive_count=2,
    )
    return spec, provision.create_queue(client("sqs", stack.env), spec)


def _send(stack: LocalStack, url: str, *bodies: str) -> None:
    sqs = client("sqs", stack.env)
    for body in bodies:
        attributes = {"kind": {"DataType": "String", "StringValue": "test"}}
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)


def _count(stack: LocalStack, url: str) -> int:
    attributes = client("sqs", stack.env).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_runner_delivers_lambda_events_and_honours_partial_failures(stack: LocalStack) -> None:
    spec, url = _test_queue(stack, "e2e-partial")
    seen: list[tuple[dict[str, Any], Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append((event, context))
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "fail"]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    poller = Runner(stack.env, queues=[spec], handlers={spec.name: handler}, schedules=False).poller(spec)
    _send(stack, url, "ok-1", "ok-2", "fail")
    first = poller.poll_once()
    assert (first.received, first.deleted, first.failed) == (3, 2, 1)

    event, context = seen[0]
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == poller.queue_arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "test",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert context.function_name == "e2e-partial_consumer"
    assert 0 < context.get_remaining_time_in_millis() <= 1000

    # The failed record comes back after the visibility timeout, then moves to the DLQ.
    time.sleep(1.1)
    assert poller.poll_once().failed == 1
    assert seen[-1][0]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    time.sleep(1.1)
    assert poller.poll_once().received == 0
    assert _count(stack, url) == 0
    dlq = client("sqs", stack.env).get_queue_url(QueueName=f"{physical_name('local', spec.name)}-dlq")[
        "QueueUrl"
    ]
    assert _count(stack, dlq) == 1


def test_a_raising_handler_deletes_nothing(stack: LocalStack) -> None:
    spec, url = _test_queue(stack, "e2e-raising")

    def handler(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("handler bug")

    poller = Runner(stack.env, queues=[spec], handlers={spec.name: handler}, schedules=False).poller(spec)
    _send(stack, url, "a", "b")
    result = poller.poll_once()
    assert (result.received, result.deleted, result.error) == (2, 0, "RuntimeError: handler bug")
    assert _count(stack, url) == 2


# -- schedules, fired by the stack's own runner process -----------------------------------------


@pytest.fixture
def local_clock(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stack's clock file, reset to no offset afterwards."""
    monkeypatch.setenv("LOCAL_CLOCK_FILE", stack.env["LOCAL_CLOCK_FILE"])
    yield
    clock.set_local_offset(timedelta(0))


def _receive(stack: LocalStack, url: str, wait_seconds: int) -> list[str]:
    messages = client("sqs", stack.env).receive_message(
        QueueUrl=url, WaitTimeSeconds=wait_seconds, MaxNumberOfMessages=10
    )
    return [message["Body"] for message in messages.get("Messages", [])]


def _schedule(stack: LocalStack, name: str, expression: str, queue_url: str, **extra: Any) -> None:
    arn = client("sqs", stack.env).get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    client("scheduler", stack.env).create_schedule(
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": arn["Attributes"]["QueueArn"],
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps({"schedule": name}),
        },
        **extra,
    )


@pytest.mark.usefixtures("local_clock")
def test_a_due_at_schedule_fires_when_the_clock_moves(stack: LocalStack) -> None:
    _, url = _test_queue(stack, "e2e-at-target")
    due = (clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    _schedule(
        stack,
        "e2e-at",
        f"at({due})",
        url,
        ScheduleExpressionTimezone="Asia/Shanghai",
        ActionAfterCompletion="DELETE",
    )
    assert _receive(stack, url, wait_seconds=1) == []  # not due yet

    clock.set_local_offset(timedelta(hours=2))
    assert _receive(stack, url, wait_seconds=5) == [json.dumps({"schedule": "e2e-at"})]
    names = {item["Name"] for item in client("scheduler", stack.env).list_schedules()["Schedules"]}
    assert "e2e-at" not in names  # ActionAfterCompletion=DELETE


@pytest.mark.usefixtures("local_clock")
def test_recurring_schedules_and_rules_fire_once_per_jump(stack: LocalStack) -> None:
    _, url = _test_queue(stack, "e2e-recurring-target")
    _schedule(stack, "e2e-rate", "rate(5 minutes)", url)
    events = client("events", stack.env)
    rule = "e2e-nightly-rule"
    events.put_rule(Name=rule, ScheduleExpression="cron(0 18 * * ? *)", State="ENABLED")
    arn = client("sqs", stack.env).get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}])
    time.sleep(1.5)  # the runner anchors both when it first sees them

    clock.set_local_offset(timedelta(days=3))
    bodies: list[str] = []
    deadline = time.monotonic() + 6
    while len(bodies) < 2 and time.monotonic() < deadline:
        bodies += _receive(stack, url, wait_seconds=1)
    assert json.dumps({"schedule": "e2e-rate"}) in bodies
    scheduled = [json.loads(body) for body in bodies if "detail-type" in body]
    assert [event["detail-type"] for event in scheduled] == ["Scheduled Event"]
    assert scheduled[0]["time"].endswith("T18:00:00Z")
    assert _receive(stack, url, wait_seconds=1) == []  # three missed days collapse into one firing


def test_moto_runs_state_machines_started_by_a_schedule_target(stack: LocalStack) -> None:
    sfn = client("stepfunctions", stack.env)
    definition = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name="e2e-echo", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    outcome = deliver({"Arn": machine}, json.dumps({"n": 1}), lambda service: client(service, stack.env))
    execution = outcome.rsplit(" ", 1)[-1]
    deadline = time.monotonic() + 5
    while (status := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "moto did not run the state machine"
        time.sleep(0.1)
    assert (status["status"], json.loads(status["output"])) == ("SUCCEEDED", {"n": 1})


# -- DynamoDB Local on disk ---------------------------------------------------------------------


def test_dynamodb_local_keeps_data_across_a_restart(tmp_path: Path) -> None:
    java, emulator = dynamodb_local.java_path(), dynamodb_local.emulator_dir(REPO_ROOT)
    if java is None or emulator is None:
        pytest.skip("needs java and DynamoDBLocal.jar (make .local/node/.installed)")
    port = free_port()
    env = {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}",
    }
    spec = resources.TABLES[0]
    key = {spec.partition_key: {"S": "persisted"}} | ({spec.sort_key: {"S": "item"}} if spec.sort_key else {})

    def run_once(action: str) -> dict[str, Any]:
        argv = dynamodb_local.command(java, port, tmp_path / "db")
        (tmp_path / "db").mkdir(exist_ok=True)
        child = Child("dynamodb", argv, cwd=emulator, env={}, log_file=tmp_path / "dynamodb.log")
        child.start()
        try:
            wait_for_http(f"http://127.0.0.1:{port}", timeout=30, child=child)
            ddb = client("dynamodb", env)
            table = provision.create_table(ddb, spec)  # idempotent: the second run finds the table
            if action == "put":
                ddb.put_item(TableName=table, Item=key | {"at": {"S": datetime.now(UTC).isoformat()}})
            return dict(ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {}))
        finally:
            child.stop()

    written = run_once("put")
    assert run_once("get") == written


# -- schedule expressions (pure) ----------------------------------------------------------------

_UTC = UTC


@pytest.mark.parametrize(
    ("expression", "last", "now", "expected"),
    [
        (
            "cron(0 18 ? * MON-FRI *)",
            datetime(2026, 11, 20),
            datetime(2026, 11, 25, 17),
            datetime(2026, 11, 24, 18),
        ),
        (
            "cron(0/15 * * * ? *)",
            datetime(2026, 1, 1),
            datetime(2026, 1, 1, 0, 31),
            datetime(2026, 1, 1, 0, 30),
        ),
        ("cron(0 2 L * ? *)", datetime(2026, 1, 1), datetime(2026, 3, 15), datetime(2026, 2, 28, 2)),
        ("cron(0 9 ? * 6L *)", datetime(2026, 1, 1), datetime(2026, 3, 15), datetime(2026, 2, 27, 9)),
        ("cron(0 9 ? * 2#1 *)", datetime(2026, 1, 1), datetime(2026, 3, 15), datetime(2026, 3, 2, 9)),
        ("cron(0 9 15W * ? *)", datetime(2026, 3, 1), datetime(2026, 3, 25), datetime(2026, 3, 16, 9)),
        ("cron(0 9 ? * MON 2019)", datetime(2020, 1, 1), datetime(2026, 1, 1), None),
        ("rate(5 minutes)", datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 17), datetime(2026, 1, 1, 0, 15)),
        ("rate(1 day)", datetime(2026, 1, 1), datetime(2026, 1, 1, 23), None),
    ],
)
def test_recurring_expressions(
    expression: str, last: datetime, now: datetime, expected: datetime | None
) -> None:
    recurring = parse_recurring(expression)
    assert isinstance(recurring, Cron | Rate)
    due = recurring.latest_due(last.replace(tzinfo=_UTC), now.replace(tzinfo=_UTC))
    assert due == (expected.replace(tzinfo=_UTC) if expected else None)


def test_at_expressions_use_their_time_zone() -> None:
    assert parse_at("at(2026-01-01T09:00:00)", "Asia/Shanghai") == datetime(2026, 1, 1, 1, tzinfo=_UTC)
    assert parse_recurring("at(2026-01-01T09:00:00)") is None
    with pytest.raises(ValueError, match="exactly one"):
        parse_recurring("cron(0 9 * * * *)")
