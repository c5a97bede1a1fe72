"""The audit log's IAM guard, the operations alarms and the dashboard in the synthesized template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match, Template

from infra.cdk.capabilities.audit_guard import AUDIT_CHANGE_ACTIONS
from infra.cdk.capabilities.audit_guard import AUDIT_PREFIX as GUARDED_PREFIX
from infra.cdk.capabilities.operations import FAILURE_METRICS


def _statements(template: Template) -> list[dict[str, Any]]:
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_the_guard_uses_the_apps_audit_prefix() -> None:
    """Read from the source: importing the app's data layer here would configure it for the wrong stage."""
    source = (Path(__file__).parents[2] / "chalicelib" / "audit.py").read_text(encoding="utf-8")
    assert f'AUDIT_PREFIX = "{GUARDED_PREFIX}"' in source


def test_every_role_that_may_write_the_table_is_denied_changing_audit_items(
    templates: dict[str, Template],
) -> None:
    template = templates["prod"]
    policies = template.find_resources("AWS::IAM::Policy")
    writers = denied = 0
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        writes = any(
            statement["Effect"] == "Allow" and "dynamodb:UpdateItem" in statement.get("Action", [])
            for statement in statements
        )
        guards = [s for s in statements if s.get("Sid") == "AuditLogIsAppendOnly"]
        writers += writes
        denied += writes and len(guards) == 1
        for guard in guards:
            assert guard["Effect"] == "Deny"
            assert sorted(guard["Action"]) == sorted(AUDIT_CHANGE_ACTIONS)
            assert guard["Condition"] == {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}
    assert writers > 0 and denied == writers


def test_alarms_cover_5xx_latency_throttles_and_failures(templates: dict[str, Template]) -> None:
    template = templates["dev"]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "5XXError", "Namespace": "AWS/ApiGateway", "Threshold": 0.01}
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Latency", "ExtendedStatistic": "p99", "Threshold": 3000}
    )
    throttles = template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "Throttles"}})
    functions = template.find_resources("AWS::Serverless::Function")
    assert len(throttles) == len(functions)
    for name in FAILURE_METRICS:
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm", {"MetricName": name, "Namespace": "Jiazheng", "Threshold": 0}
        )
    template.has_resource_properties("AWS::Serverless::Api", {"Name": "jiazheng-dev"})


def test_one_operations_dashboard(templates: dict[str, Template]) -> None:
    template = templates["prod"]
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    template.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": "jiazheng-prod-operations"}
    )


def test_the_api_may_read_dead_letter_depth(templates: dict[str, Template]) -> None:
    statements = _statements(templates["dev"])
    assert any(
        statement["Effect"] == "Allow" and statement.get("Action") == "sqs:GetQueueAttributes"
        for statement in statements
    ), Match.any_value()
