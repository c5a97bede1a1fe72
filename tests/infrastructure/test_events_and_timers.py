"""The outbox stream consumer and the Scheduler timers in the synthesized ``dev`` template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from chalicelib.resources import (
    QUEUES,
    SCHEDULE_GROUP,
    SCHEDULE_GROUP_ENV_VAR,
    SCHEDULER_ROLE_ENV_VAR,
    STREAM_CONSUMERS,
    TABLES,
    physical_name,
)
from infra.cdk.capabilities.api import ChaliceApi
from tests.infrastructure.test_stack import Resources, as_list, functions, only

TIMER_QUEUES = [spec for spec in QUEUES if spec.arn_env_var]


def _statements(resources: Resources, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _role_of(resources: Resources, function_name: str) -> str:
    function = resources[ChaliceApi.logical_id(function_name)]
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


@pytest.mark.parametrize("spec", STREAM_CONSUMERS, ids=lambda spec: spec.name)
def test_stream_consumer_reads_its_filtered_stream_with_partial_failures_and_a_dlq(
    template: Template, resources: Resources, spec: Any
) -> None:
    table_spec = next(table for table in TABLES if table.name == spec.table)
    table = only(template, "AWS::DynamoDB::Table", {"TableName": physical_name("dev", table_spec.name)})
    assert resources[table]["Properties"]["StreamSpecification"] == {"StreamViewType": table_spec.stream_view}
    on_stream = template.find_resources(  # a table's stream may feed several consumers
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"EventSourceArn": {"Fn::GetAtt": [table, "StreamArn"]}}},
    )
    [mapping] = [
        name
        for name, value in on_stream.items()
        if ChaliceApi.logical_id(spec.function) in json.dumps(value["Properties"]["FunctionName"])
    ]
    properties = resources[mapping]["Properties"]
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == spec.max_retries
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    [criteria] = properties["FilterCriteria"]["Filters"]
    assert json.loads(criteria["Pattern"]) == spec.filter_pattern
    dlq = only(template, "AWS::SQS::Queue", {"QueueName": physical_name("dev", f"{spec.name}-dlq")})
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dlq, "Arn"]}
    actions = {
        action
        for statement in _statements(resources, _role_of(resources, spec.function))
        for action in as_list(statement["Action"])
    }
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "sqs:SendMessage"} <= actions


def test_scheduler_delivers_timers_with_a_role_that_may_only_send_to_the_timer_queues(
    template: Template, resources: Resources
) -> None:
    group = only(template, "AWS::Scheduler::ScheduleGroup", {"Name": physical_name("dev", SCHEDULE_GROUP)})
    roles = template.find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [{"Principal": {"Service": "scheduler.amazonaws.com"}}]
                }
            }
        },
    )
    # the recurring schedules (tests/infrastructure/test_schedules.py) have a role of their own
    roles = {key: value for key, value in roles.items() if not key.startswith("Schedules")}
    assert len(roles) == 1, sorted(roles)
    [role] = roles
    statements = _statements(resources, role)
    assert {action for s in statements for action in as_list(s["Action"])} == {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    queues = {
        only(template, "AWS::SQS::Queue", {"QueueName": physical_name("dev", q.name)}) for q in TIMER_QUEUES
    }
    assert {s["Resource"]["Fn::GetAtt"][0] for s in statements} == queues
    for function in functions(resources).values():
        env = function["Properties"]["Environment"]["Variables"]
        assert env[SCHEDULE_GROUP_ENV_VAR] == {"Ref": group}
        assert env[SCHEDULER_ROLE_ENV_VAR] == {"Fn::GetAtt": [role, "Arn"]}
        for queue in TIMER_QUEUES:
            assert queue.arn_env_var in env


def test_the_order_workflow_may_set_timers_only_in_its_group_and_pass_only_the_scheduler_role(
    resources: Resources,
) -> None:
    statements = _statements(resources, _role_of(resources, "order_events_consumer"))
    scheduling = [s for s in statements if "scheduler:CreateSchedule" in as_list(s["Action"])]
    assert len(scheduling) == 1 and "*" not in str(scheduling[0]["Resource"]).replace("/*", "")
    passing = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert len(passing) == 1 and "Fn::GetAtt" in passing[0]["Resource"]
