"""Starting a workflow at most once per subject: the execution's name is derived from the subject.

Step Functions refuses a second execution of a Standard state machine under a name already used
(``ExecutionAlreadyExists``, for 90 days after the first one closed) and answers a repeat with
the same name and input while the first still runs with that execution. Either way a repeated
start, by a consumer that sees its event twice or retries, starts nothing new.

The state machine's ARN arrives in the variable named by ``WorkflowSpec.env_var`` (CDK sets it on
every function, ``local/provision.py`` for the local stack).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.observability import logger
from chalicelib.resources import WorkflowSpec

__all__ = ["execution_name", "start_once", "state_machine_arn"]

MAX_NAME_LENGTH = 80
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def state_machine_arn(spec: WorkflowSpec) -> str:
    """The ARN of ``spec``'s state machine in this stage."""
    arn = os.environ.get(spec.env_var, "")
    if not arn:
        raise RuntimeError(f"{spec.env_var} is not set: the {spec.name} state machine is not deployed here")
    return arn


def execution_name(prefix: str, subject: str) -> str:
    """``<prefix>-<subject>``, checked against the characters and length Step Functions allows."""
    name = f"{prefix}-{subject}"
    if not _NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"not a valid execution name: {name!r}")
    return name


def start_once(spec: WorkflowSpec, name: str, payload: dict[str, Any]) -> None:
    """Start ``spec`` as execution ``name`` with ``payload``, unless that execution exists already.

    ``payload`` must be the same for every start of one subject (it is serialized with sorted
    keys), so that a repeat while the first execution still runs is recognised too.
    """
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn(spec), name=name, input=json.dumps(payload, sort_keys=True)
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise
        logger.info("workflow already started", workflow=spec.name, execution=name)
        return
    logger.info("workflow started", workflow=spec.name, execution=name)
