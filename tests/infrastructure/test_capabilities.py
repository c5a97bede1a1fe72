"""Capability constructs on their own, with specs the app does not have yet."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from chalicelib.resources import QueueSpec
from infra.cdk.capabilities.api import merged_environment
from infra.cdk.capabilities.messaging import Messaging, event_pattern
from infra.cdk.stage import StageSettings, stage_settings

SETTINGS = StageSettings(
    name="dev", ses_sender="no-reply@example.com", ses_create_identity=False, cors_origins=("*",)
)
PATTERN: dict[str, object] = {
    "source": ["jiazheng.orders"],
    "detail-type": ["OrderBooked"],
    "detail": {"amount": [{"numeric": [">", 0]}]},
}


def test_queue_rules_deliver_their_patterns_from_the_bus() -> None:
    stack = cdk.Stack(cdk.App(), "Messaging")
    spec = QueueSpec(
        name="order_events",
        function="order_events_consumer",
        handler="x.handler",
        env_var="ORDER_EVENTS_QUEUE_URL",
        event_patterns=(PATTERN, {"source": ["jiazheng.payments"]}),
    )
    Messaging(stack, "Messaging", settings=SETTINGS, specs=[spec])
    template = Template.from_stack(stack)

    bus = next(iter(template.find_resources("AWS::Events::EventBus")))
    queue = next(
        iter(
            template.find_resources(
                "AWS::SQS::Queue", {"Properties": {"QueueName": "jiazheng-dev-order_events"}}
            )
        )
    )
    template.resource_count_is("AWS::Events::Rule", 2)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": {"Ref": bus},
            "EventPattern": PATTERN,
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [queue, "Arn"]}})],
        },
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(["sqs:SendMessage"]),
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Condition": {"ArnEquals": {"aws:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_event_pattern_refuses_fields_eventbridge_does_not_match_on() -> None:
    with pytest.raises(ValueError, match="detail_type"):
        event_pattern({"detail_type": ["OrderBooked"]})


class _Capability:
    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = environment

    def grant_app(self, grantee: iam.IGrantable) -> None:
        """Nothing to grant."""


def test_two_capabilities_cannot_claim_one_env_var() -> None:
    assert merged_environment(SETTINGS, [_Capability({"A": "1"}), _Capability({"B": "2"})]) == {
        "STAGE": "dev",
        "A": "1",
        "B": "2",
    }
    with pytest.raises(ValueError, match="A is set by two"):
        merged_environment(SETTINGS, [_Capability({"A": "1"}), _Capability({"A": "2"})])


@pytest.mark.parametrize("stage", ["local", "staging"])
def test_only_stages_of_the_chalice_config_deploy(stage: str) -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        stage_settings(cdk.App(context={"stage": stage}).node)


def test_stage_settings_from_context() -> None:
    settings = stage_settings(
        cdk.App(
            context={"stage": "prod", "ses_sender": "hi@jiazheng.hk", "cors_origins": "https://a, https://b"}
        ).node
    )
    assert settings.stack_name == "jiazheng-prod"
    assert settings.is_production
    assert settings.removal_policy == cdk.RemovalPolicy.RETAIN
    assert settings.ses_sender == "hi@jiazheng.hk"
    assert settings.cors_origins == ("https://a", "https://b")


def test_every_kms_key_rotates_and_is_named_by_its_alias(template: Template) -> None:
    from chalicelib.resources import KEYS, key_alias

    keys = template.find_resources("AWS::KMS::Key")
    assert len(keys) == len(KEYS)
    assert all(key["Properties"]["EnableKeyRotation"] is True for key in keys.values())
    aliases = {
        alias["Properties"]["AliasName"] for alias in template.find_resources("AWS::KMS::Alias").values()
    }
    assert aliases == {key_alias("dev", spec.name) for spec in KEYS}
