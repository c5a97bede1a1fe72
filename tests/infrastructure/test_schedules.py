"""CDK template assertions on the recurring schedules (the daily payout run)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from chalicelib.resources import SCHEDULED_TIME, SCHEDULES
from infra.cdk.capabilities.api import ChaliceApi


def schedules(template: Template) -> dict[str, dict[str, Any]]:
    return dict(template.find_resources("AWS::Scheduler::Schedule"))


def test_the_payout_run_fires_daily_at_two_in_shanghai_and_invokes_its_starter(
    templates: dict[str, Template],
) -> None:
    resources = templates["dev"].to_json()["Resources"]
    found = {
        value["Properties"]["Name"]: value["Properties"] for value in schedules(templates["dev"]).values()
    }
    payout = found["jiazheng-dev-payout-run"]
    assert payout["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert payout["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert payout["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert json.loads(payout["Target"]["Input"]) == {"scheduled_time": SCHEDULED_TIME}
    starter = ChaliceApi.logical_id("payout_run_starter")
    assert starter in json.dumps(payout["Target"]["Arn"])
    role = payout["Target"]["RoleArn"]["Fn::GetAtt"][0]
    assumed = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert assumed["Principal"] == {"Service": "scheduler.amazonaws.com"}
    granted = [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert {action for statement in granted for action in [statement["Action"]]} == {"lambda:InvokeFunction"}
    assert len(found) == len(SCHEDULES)
