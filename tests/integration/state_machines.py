"""A workflow's ASL executed by moto's interpreter in process, its Task states running our steps.

moto runs each Task's Lambda through ``local.moto_server.lambda_invoke`` (our real step code, no
Docker); the retriers' sleeps are recorded instead of slept, so backoff is asserted, not waited.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from chalicelib.resources import WorkflowSpec
from local.moto_server import lambda_invoke, task_functions
from local.provision import create_state_machine

SFN_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
REGION = "ap-southeast-1"


@contextmanager
def executing(
    workflow: WorkflowSpec, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, str, list[float]]]:
    """(the Step Functions client, the state machine's ARN, the retriers' sleeps) of ``workflow``."""
    with mock_aws(config=SFN_CONFIG):
        monkeypatch.setattr(
            LambdaSimpleBackend, "invoke", lambda_invoke(task_functions(), LambdaSimpleBackend.invoke)
        )
        sleeps: list[float] = []
        monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=sleeps.append))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = create_state_machine(sfn, workflow, REGION)
        monkeypatch.setenv(workflow.env_var, arn)
        yield sfn, arn, sleeps
