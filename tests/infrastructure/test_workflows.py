"""CDK template assertions on the Step Functions workflows built from ``resources.WORKFLOWS``."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from chalicelib.resources import WORKFLOWS, WorkflowSpec
from chalicelib.workflows.definitions import PARTITION, definition_path
from infra.cdk.capabilities.api import ChaliceApi

Resources = dict[str, dict[str, Any]]
SAM_FUNCTION = "AWS::Serverless::Function"


def state_machine(resources: Resources, spec: WorkflowSpec) -> tuple[str, dict[str, Any]]:
    found = [
        (key, value)
        for key, value in resources.items()
        if value["Type"] == "AWS::StepFunctions::StateMachine"
        and value["Properties"]["StateMachineName"] == f"jiazheng-dev-{spec.name}"
    ]
    assert len(found) == 1, found
    return found[0]


def statements(resources: Resources, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def arn_of(spec: WorkflowSpec) -> dict[str, Any]:
    """The state machine's ARN as the stack spells it (built from its name, not a reference)."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":states:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":stateMachine:jiazheng-dev-{spec.name}",
            ],
        ]
    }


@pytest.fixture(params=WORKFLOWS, ids=lambda spec: spec.name)
def spec(request: pytest.FixtureRequest) -> WorkflowSpec:
    workflow: WorkflowSpec = request.param
    return workflow


def test_builds_exactly_the_state_machines_of_the_spec(template: Template) -> None:
    template.resource_count_is("AWS::StepFunctions::StateMachine", len(WORKFLOWS))


def test_state_machine_is_standard_from_its_asl_file_with_the_functions_substituted(
    resources: Resources, spec: WorkflowSpec
) -> None:
    _, machine = state_machine(resources, spec)
    properties = machine["Properties"]
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["DefinitionString"] == definition_path(spec).read_text(encoding="utf-8")
    expected: dict[str, Any] = {PARTITION: {"Ref": "AWS::Partition"}}
    expected.update(
        {
            function.substitution: {"Fn::GetAtt": [ChaliceApi.logical_id(function.name), "Arn"]}
            for function in spec.functions
        }
    )
    assert properties["DefinitionSubstitutions"] == expected
    for function in spec.functions:
        assert resources[ChaliceApi.logical_id(function.name)]["Type"] == SAM_FUNCTION


def test_state_machine_logs_without_execution_data_and_is_traced(
    resources: Resources, spec: WorkflowSpec
) -> None:
    _, machine = state_machine(resources, spec)
    logging = machine["Properties"]["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", False)
    log_group = resources[
        logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    ]
    assert log_group["Properties"]["LogGroupName"] == f"/aws/vendedlogs/states/jiazheng-dev-{spec.name}"
    assert log_group["Properties"]["RetentionInDays"] == 14
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}


def test_state_machine_may_invoke_its_task_functions_and_nothing_else(
    resources: Resources, spec: WorkflowSpec
) -> None:
    _, machine = state_machine(resources, spec)
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    invoked = []
    for statement in statements(resources, role):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Resource"] == "*":  # log delivery and X-Ray have no resource-level permissions
            assert all(action.split(":")[0] in ("logs", "xray") for action in actions), statement
            continue
        assert actions == ["lambda:InvokeFunction"], statement
        invoked += statement["Resource"]
    assert invoked == [
        arn
        for function in spec.functions
        for arn in (
            {"Fn::GetAtt": [ChaliceApi.logical_id(function.name), "Arn"]},
            {"Fn::Join": ["", [{"Fn::GetAtt": [ChaliceApi.logical_id(function.name), "Arn"]}, ":*"]]},
        )
    ]


def test_every_function_knows_the_state_machine_and_may_only_start_it(
    resources: Resources, spec: WorkflowSpec
) -> None:
    functions = {key: value for key, value in resources.items() if value["Type"] == SAM_FUNCTION}
    assert functions
    for key, function in functions.items():
        assert function["Properties"]["Environment"]["Variables"][spec.env_var] == arn_of(spec), key
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        starts = [s for s in statements(resources, role) if "states:" in str(s["Action"])]
        assert [(s["Action"], s["Effect"]) for s in starts] == [("states:StartExecution", "Allow")], key
        started = (
            starts[0]["Resource"] if isinstance(starts[0]["Resource"], list) else [starts[0]["Resource"]]
        )
        assert arn_of(spec) in started, key
        # these and nothing else (CDK orders a statement's resources its own way)
        assert sorted(map(str, started)) == sorted(str(arn_of(workflow)) for workflow in WORKFLOWS), key


def test_failed_or_timed_out_executions_raise_an_alarm(resources: Resources, spec: WorkflowSpec) -> None:
    logical_id, _ = state_machine(resources, spec)
    alarms = [
        value
        for value in resources.values()
        if value["Type"] == "AWS::CloudWatch::Alarm"
        and f'"Ref": "{logical_id}"' in repr(value).replace("'", '"')
    ]
    assert len(alarms) == 1
    metrics = {
        item["MetricStat"]["Metric"]["MetricName"]
        for item in alarms[0]["Properties"]["Metrics"]
        if "MetricStat" in item
    }
    assert metrics == {"ExecutionsFailed", "ExecutionsTimedOut"}
    assert (alarms[0]["Properties"]["Threshold"], alarms[0]["Properties"]["ComparisonOperator"]) == (
        0,
        "GreaterThanThreshold",
    )
