"""Where the local AWS stand-ins listen, as boto3's own environment variables.

The app never learns it runs locally from code paths: boto3 and botocore (and so pynamodb and
Powertools) read ``AWS_ENDPOINT_URL_<SERVICE_ID>`` themselves. The local stack and its tests build
clients from the same mapping with :func:`client`, so they talk to exactly what the app talks to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config

__all__ = ["ACCOUNT_ID", "MOTO_SERVICES", "REGION", "client", "endpoint_env"]

# moto has no SES backend in ap-east-1 (SES does not exist there), so the whole local stack uses
# one region where every stand-in answers.
REGION = "us-east-1"
# moto's default account: ARNs and queue URLs it hands out contain it.
ACCOUNT_ID = "123456789012"

# boto3 client name -> botocore service id as used in AWS_ENDPOINT_URL_<ID> (upper, "_" for " ").
MOTO_SERVICES: dict[str, str] = {
    "sqs": "SQS",
    "s3": "S3",
    "ses": "SES",
    "sesv2": "SESV2",
    "sns": "SNS",
    "events": "EVENTBRIDGE",
    "scheduler": "SCHEDULER",
    "stepfunctions": "SFN",
    "kms": "KMS",
    "secretsmanager": "SECRETS_MANAGER",
    "ssm": "SSM",
    "cognito-idp": "COGNITO_IDENTITY_PROVIDER",
    "sts": "STS",
}


def endpoint_env(moto_url: str, dynamodb_url: str) -> dict[str, str]:
    """Region, fake credentials and one endpoint variable per service."""
    env = {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
        # A developer's ~/.aws profile must not leak into the stack.
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update({f"AWS_ENDPOINT_URL_{service_id}": moto_url for service_id in MOTO_SERVICES.values()})
    return env


def _endpoint_for(service: str, env: Mapping[str, str]) -> str:
    if service in ("dynamodb", "dynamodbstreams"):  # DynamoDB Local serves its streams itself
        return env["AWS_ENDPOINT_URL_DYNAMODB"]
    return env[f"AWS_ENDPOINT_URL_{MOTO_SERVICES[service]}"]


def client(service: str, env: Mapping[str, str], **config: Any) -> Any:
    """A boto3 client for ``service`` against the endpoints in ``env`` (not ``os.environ``)."""
    return boto3.session.Session().client(
        service,
        region_name=env["AWS_REGION"],
        endpoint_url=_endpoint_for(service, env),
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, **config),
    )
