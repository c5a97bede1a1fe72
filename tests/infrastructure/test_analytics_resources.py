"""CDK template assertions on analytics and exports: the 03:00 run, the exports queue and consumer."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from chalicelib.resources import SCHEDULED_TIME, physical_name
from infra.cdk.capabilities.api import ChaliceApi


def _props(template: Template, kind: str) -> list[dict[str, Any]]:
    return [value["Properties"] for value in template.find_resources(kind).values()]


def test_the_nightly_analytics_run_fires_at_three_in_shanghai(templates: dict[str, Template]) -> None:
    found = {p["Name"]: p for p in _props(templates["dev"], "AWS::Scheduler::Schedule")}
    nightly = found[physical_name("dev", "analytics-nightly")]
    assert nightly["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert nightly["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert json.loads(nightly["Target"]["Input"]) == {"scheduled_time": SCHEDULED_TIME}
    assert ChaliceApi.logical_id("analytics_nightly") in json.dumps(nightly["Target"]["Arn"])


def test_the_exports_queue_has_a_dlq_after_three_tries_and_outlasts_its_consumer(
    templates: dict[str, Template],
) -> None:
    template = templates["dev"]
    queues = {p.get("QueueName"): p for p in _props(template, "AWS::SQS::Queue")}
    exports = queues[physical_name("dev", "exports")]
    assert exports["VisibilityTimeout"] == 960
    assert exports["RedrivePolicy"]["maxReceiveCount"] == 3
    assert physical_name("dev", "exports-dlq") in queues
    resources = template.to_json()["Resources"]
    consumer = resources[ChaliceApi.logical_id("exports_consumer")]["Properties"]
    assert consumer["Timeout"] == 900 and consumer["Timeout"] < exports["VisibilityTimeout"]
    mappings = [
        p
        for p in _props(template, "AWS::Lambda::EventSourceMapping")
        if "exports" in json.dumps(p["EventSourceArn"]).lower()
    ]
    assert len(mappings) == 1 and mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
