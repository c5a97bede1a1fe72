"""CDK template assertions on the stacks built from ``chalicelib.resources``."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib.resources import BUCKETS, EVENT_BUS, EVENT_BUS_ENV_VAR, QUEUES, TABLES, physical_name
from infra.cdk.capabilities.api import API_HANDLER, ChaliceApi
from infra.cdk.capabilities.secrets import APP_SECRET_KEYS
from infra.cdk.stack import JiazhengStack

SAM_FUNCTION = "AWS::Serverless::Function"
# Services whose grants must always name their resources.
SCOPED_SERVICES = ("dynamodb", "sqs", "s3")

Resources = dict[str, dict[str, Any]]


def only(template: Template, resource_type: str, properties: dict[str, Any]) -> str:
    """The logical id of the one resource of ``resource_type`` matching ``properties``."""
    found = template.find_resources(resource_type, {"Properties": properties})
    assert len(found) == 1, f"expected one {resource_type} with {properties}, found {sorted(found)}"
    return next(iter(found))


def functions(resources: Resources) -> Resources:
    return {key: value for key, value in resources.items() if value["Type"] == SAM_FUNCTION}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- data -------------------------------------------------------------------------------------


def test_builds_exactly_the_tables_of_the_spec(template: Template) -> None:
    template.resource_count_is("AWS::DynamoDB::Table", len(TABLES))


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.name)
def test_table_is_on_demand_with_pitr_ttl_and_indexes(template: Template, spec: Any) -> None:
    keys = [{"AttributeName": spec.partition_key, "KeyType": "HASH"}]
    if spec.sort_key:
        keys.append({"AttributeName": spec.sort_key, "KeyType": "RANGE"})
    indexes = [
        {
            "IndexName": index.name,
            "KeySchema": [
                {"AttributeName": index.partition_key, "KeyType": "HASH"},
                {"AttributeName": index.sort_key, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in spec.indexes
    ]
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": physical_name("dev", spec.name),
            "KeySchema": keys,
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "TimeToLiveSpecification": (
                {"AttributeName": spec.ttl_attribute, "Enabled": True}
                if spec.ttl_attribute
                else Match.absent()
            ),
            "GlobalSecondaryIndexes": indexes or Match.absent(),
        },
    )


@pytest.mark.parametrize(
    ("stage", "policy", "protected"), [("dev", "Delete", False), ("prod", "Retain", True)]
)
def test_prod_keeps_tables_and_buckets(
    templates: dict[str, Template], stage: str, policy: str, protected: bool
) -> None:
    template = templates[stage]
    tables = template.find_resources("AWS::DynamoDB::Table")
    assert {(t["DeletionPolicy"], t["Properties"]["DeletionProtectionEnabled"]) for t in tables.values()} == {
        (policy, protected)
    }
    buckets = template.find_resources("AWS::S3::Bucket")
    assert {bucket["DeletionPolicy"] for bucket in buckets.values()} == {policy}


# --- messaging --------------------------------------------------------------------------------


def test_custom_event_bus(template: Template) -> None:
    template.has_resource_properties("AWS::Events::EventBus", {"Name": physical_name("dev", EVENT_BUS)})


@pytest.mark.parametrize("spec", QUEUES, ids=lambda spec: spec.name)
def test_queue_redrives_to_its_dlq_and_alarms_on_it(template: Template, spec: Any) -> None:
    dlq = only(template, "AWS::SQS::Queue", {"QueueName": physical_name("dev", f"{spec.name}-dlq")})
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": physical_name("dev", spec.name),
            "SqsManagedSseEnabled": True,
            "VisibilityTimeout": spec.visibility_timeout_seconds,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                "maxReceiveCount": spec.max_receive_count,
            },
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
        },
    )


@pytest.mark.parametrize("spec", QUEUES, ids=lambda spec: spec.name)
def test_queue_feeds_its_function_with_partial_batch_failures(
    template: Template, resources: Resources, spec: Any
) -> None:
    queue = only(template, "AWS::SQS::Queue", {"QueueName": physical_name("dev", spec.name)})
    function = ChaliceApi.logical_id(spec.function)
    assert function in functions(resources), (
        f"app.py must register @app.lambda_function(name={spec.function!r})"
    )
    mapping = only(
        template,
        "AWS::Lambda::EventSourceMapping",
        {"EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]}},
    )
    properties = resources[mapping]["Properties"]
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == spec.batch_size
    assert {"Fn::GetAtt": [function, "Arn"]} in _deep_values(properties["FunctionName"])
    # Lambda refuses a mapping whose queue hides messages for less than the function may run.
    assert spec.visibility_timeout_seconds >= resources[function]["Properties"]["Timeout"]


def _deep_values(value: Any) -> list[Any]:
    found = [value]
    if isinstance(value, dict):
        for item in value.values():
            found.extend(_deep_values(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_deep_values(item))
    return found


def test_only_a_consumer_may_receive_from_its_queue(resources: Resources) -> None:
    consumers = {ChaliceApi.logical_id(spec.function) for spec in QUEUES}
    for logical_id, function in functions(resources).items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        actions = {
            action
            for policy in _policies_of(resources, role)
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for action in as_list(statement["Action"])
        }
        assert ("sqs:ReceiveMessage" in actions) == (logical_id in consumers), logical_id


# --- storage ----------------------------------------------------------------------------------


def test_builds_exactly_the_buckets_of_the_spec(template: Template) -> None:
    template.resource_count_is("AWS::S3::Bucket", len(BUCKETS))


def test_buckets_are_private_encrypted_and_tls_only(template: Template, resources: Resources) -> None:
    for logical_id in template.find_resources("AWS::S3::Bucket"):
        properties = resources[logical_id]["Properties"]
        assert "BucketName" not in properties, "bucket names are global: let CloudFormation name them"
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
        assert "PUT" in properties["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"]
        template.has_resource_properties(
            "AWS::S3::BucketPolicy",
            {
                "Bucket": {"Ref": logical_id},
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


@pytest.mark.parametrize("spec", BUCKETS, ids=lambda spec: spec.name)
def test_bucket_expiry_follows_the_spec(resources: Resources, spec: Any) -> None:
    bucket = functions_env(resources)[spec.env_var]["Ref"]
    rules = resources[bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiries = [rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule]
    assert expiries == ([spec.expire_days] if spec.expire_days else [])


# --- the app's functions ----------------------------------------------------------------------


def functions_env(resources: Resources) -> dict[str, Any]:
    """The env vars of the functions, checked to be the same on every function."""
    envs: list[dict[str, Any]] = [
        function["Properties"]["Environment"]["Variables"] for function in functions(resources).values()
    ]
    assert envs
    assert all(env == envs[0] for env in envs)
    return envs[0]


def test_every_function_gets_every_resource_in_its_env(template: Template, resources: Resources) -> None:
    env = functions_env(resources)
    assert env["STAGE"] == "dev"
    for table in TABLES:
        assert env[table.env_var] == {
            "Ref": only(template, "AWS::DynamoDB::Table", {"TableName": f"jiazheng-dev-{table.name}"})
        }
    for queue in QUEUES:
        assert env[queue.env_var] == {
            "Ref": only(template, "AWS::SQS::Queue", {"QueueName": f"jiazheng-dev-{queue.name}"})
        }
    assert env[EVENT_BUS_ENV_VAR] == {
        "Ref": only(template, "AWS::Events::EventBus", {"Name": "jiazheng-dev-events"})
    }
    buckets = set(template.find_resources("AWS::S3::Bucket"))
    assert {env[bucket.env_var]["Ref"] for bucket in BUCKETS} == buckets
    assert env["APP_SECRET_ID"] == {
        "Ref": only(template, "AWS::SecretsManager::Secret", {"SecretString": Match.any_value()})
    }
    assert "@" in env["SES_SENDER"]


def test_functions_are_traced_and_log_to_their_own_group(resources: Resources) -> None:
    roles = set()
    for logical_id, function in functions(resources).items():
        properties = function["Properties"]
        assert properties["Tracing"] == "Active"
        log_group = resources[properties["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["LogGroupName"] == f"/aws/lambda/jiazheng-dev-{logical_id}"
        assert log_group["Properties"]["RetentionInDays"] == 14
        roles.add(properties["Role"]["Fn::GetAtt"][0])
    assert API_HANDLER in functions(resources)
    assert len(roles) == len(functions(resources)), "every function has its own role"


def _policies_of(resources: Resources, role: str) -> list[dict[str, Any]]:
    return [
        resource
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]
    ]


def test_roles_grant_no_wildcards_on_data_queues_or_buckets(resources: Resources) -> None:
    statements = [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements
    for statement in statements:
        actions = as_list(statement["Action"])
        assert "*" not in actions
        scoped = [action for action in actions if action.split(":")[0] in SCOPED_SERVICES]
        if scoped == ["dynamodb:ListStreams"]:
            continue  # Lambda's stream mappings need it; it has no resource-level permissions
        if not scoped:
            continue
        assert not [action for action in scoped if action.split(":")[1] == "*"], statement
        assert "NotResource" not in statement, statement
        assert "*" not in as_list(statement["Resource"]), statement


def test_the_app_role_is_created_here_not_by_chalice(resources: Resources) -> None:
    # autogen_policy is off: no role or inline policy may come out of `chalice package`.
    for function in functions(resources).values():
        assert "Policies" not in function["Properties"]
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        assert resources[role]["Type"] == "AWS::IAM::Role"
        assert "ManagedPolicyArns" not in resources[role]["Properties"]


def test_email_only_from_the_sender_and_sms_only_to_phone_numbers(resources: Resources) -> None:
    env = functions_env(resources)
    for logical_id, function in functions(resources).items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [
            s for p in _policies_of(resources, role) for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        ses = [s for s in statements if "ses:SendEmail" in as_list(s["Action"])]
        assert [s["Condition"]["StringEquals"]["ses:FromAddress"] for s in ses] == [env["SES_SENDER"]]
        sns = [s for s in statements if "sns:Publish" in as_list(s["Action"])]
        assert [("Resource" in s, "NotResource" in s) for s in sns] == [(False, True)], logical_id


# --- secrets ----------------------------------------------------------------------------------


def test_app_secret_is_generated_json_with_the_app_keys(resources: Resources) -> None:
    secret = functions_env(resources)["APP_SECRET_ID"]["Ref"]
    parts = resources[secret]["Properties"]["SecretString"]["Fn::Join"][1]
    literal = "".join(part for part in parts if isinstance(part, str))
    for key in APP_SECRET_KEYS:
        assert f'"{key}":"{{{{resolve:secretsmanager:' in literal
    seeds = [part["Ref"] for part in parts if isinstance(part, dict)]
    assert len(seeds) == len(APP_SECRET_KEYS)
    for seed in seeds:
        assert resources[seed]["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32


# --- the API ----------------------------------------------------------------------------------


def test_the_api_serves_v1_only_and_never_the_local_dev_routes(resources: Resources) -> None:
    paths = sorted(resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"])
    assert paths
    assert [path for path in paths if not path.startswith("/v1/")] == []
    assert [path for path in paths if path.startswith("/v1/dev")] == []


def test_api_stage_is_traced(resources: Resources) -> None:
    assert resources["RestAPI"]["Properties"]["TracingEnabled"] is True


# --- errors the constructs report -------------------------------------------------------------


def test_unknown_consumer_function_is_a_clear_error(stacks: dict[str, JiazhengStack]) -> None:
    with pytest.raises(ValueError, match=r"registers no @app\.lambda_function"):
        stacks["dev"].api.function("no_such_function")


def test_every_function_has_the_report_font_layer(resources: Resources) -> None:
    """PDFs embed the CJK font from /opt/fonts (``chalicelib.reports.fonts.CANDIDATES``)."""
    from chalicelib.reports.fonts import CANDIDATES

    layers = {name for name, r in resources.items() if r["Type"] == "AWS::Lambda::LayerVersion"}
    assert len(layers) == 1
    functions = {name: r for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions
    for name, function in functions.items():
        assert function["Properties"]["Layers"] == [{"Ref": next(iter(layers))}], name
    assert any(path.startswith("/opt/fonts/") for path in CANDIDATES)
