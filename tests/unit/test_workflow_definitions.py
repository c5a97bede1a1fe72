"""The ASL files of ``resources.WORKFLOWS``: valid, fully connected, retried, and runnable as deployed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.resources import WORKFLOWS, WorkflowSpec
from chalicelib.workflows import steps
from chalicelib.workflows.definitions import (
    PARTITION,
    definition_path,
    placeholders,
    substitute,
    substitutions,
)

ARNS = {"workflow_steps": "arn:aws:lambda:us-east-1:123456789012:function:jiazheng-local-workflow_steps"}
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def raw(spec: WorkflowSpec) -> str:
    return definition_path(spec).read_text(encoding="utf-8")


def deployed(spec: WorkflowSpec) -> dict[str, Any]:
    """The definition as it runs: placeholders replaced the way CDK and the local stack replace them."""
    loaded: dict[str, Any] = json.loads(substitute(raw(spec), substitutions(spec, "aws", ARNS)))
    return loaded


def targets(state: dict[str, Any]) -> list[str]:
    """The states ``state`` can go to next."""
    found = [state[key] for key in ("Next", "Default") if key in state]
    found += [choice["Next"] for choice in state.get("Choices", [])]
    found += [catcher["Next"] for catcher in state.get("Catch", [])]
    return found


def tasks(spec: WorkflowSpec) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in deployed(spec)["States"].items() if state["Type"] == "Task"}


@pytest.fixture(params=WORKFLOWS, ids=lambda spec: spec.name)
def spec(request: pytest.FixtureRequest) -> WorkflowSpec:
    workflow: WorkflowSpec = request.param
    return workflow


def test_placeholders_are_the_partition_and_the_task_functions(spec: WorkflowSpec) -> None:
    assert placeholders(raw(spec)) == {PARTITION} | {function.substitution for function in spec.functions}


def test_moto_parses_the_definition_as_deployed(spec: WorkflowSpec) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    program, _ = AmazonStateLanguageParser.parse(json.dumps(deployed(spec)))
    assert program is not None


def test_every_state_is_reachable_and_every_path_ends(spec: WorkflowSpec) -> None:
    definition = deployed(spec)
    states: dict[str, dict[str, Any]] = definition["States"]
    seen, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        assert name in states, f"{name} is a target but no state"
        seen.add(name)
        todo += targets(states[name])
    assert seen == set(states), f"unreachable: {set(states) - seen}"
    for name, state in states.items():
        ends = state["Type"] in ("Succeed", "Fail") or state.get("End") is True
        assert ends or targets(state), f"{name} leads nowhere"
    assert definition.get("TimeoutSeconds"), "a stuck execution must time out"


def test_every_task_runs_a_registered_step_of_a_task_function(spec: WorkflowSpec) -> None:
    for name, state in tasks(spec).items():
        assert state["Resource"] == LAMBDA_INVOKE, name
        assert state["Parameters"]["FunctionName"] in ARNS.values(), name
        assert state["Parameters"]["Payload"]["step"] in steps.STEPS, name
        assert 0 < state["TimeoutSeconds"] <= 900, name


def test_every_task_retries_with_backoff_but_never_a_rejection(spec: WorkflowSpec) -> None:
    for name, state in tasks(spec).items():
        first, *_, last = state["Retry"]
        assert first["ErrorEquals"][0] == "StepRejected" and first["MaxAttempts"] == 0, name
        assert last["ErrorEquals"] == ["States.ALL"], name
        assert last["MaxAttempts"] >= 3 and last["BackoffRate"] > 1 and last["IntervalSeconds"] >= 1, name
        assert last["JitterStrategy"] == "FULL", name


def test_cancellation_refund_escalates_any_failure_and_then_fails() -> None:
    states = deployed(next(spec for spec in WORKFLOWS if spec.name == "order-cancellation"))["States"]
    assert targets(states["Refund"]) == ["NotifyCustomer", "Escalate"]
    # a refusal by the payment provider needs a person, not another try
    assert states["Refund"]["Retry"][0]["ErrorEquals"] == ["StepRejected", "RefundFailed"]
    assert states["Refund"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Escalate"}
    ]
    assert states[states["Escalate"]["Next"]]["Type"] == "Fail"
    assert states[states["NotifyCustomer"]["Next"]]["Type"] == "Succeed"
    assert states["Escalate"]["Parameters"]["Payload"]["failure.$"] == "$.failure"


def test_substitute_replaces_placeholders_and_refuses_a_missing_value() -> None:
    assert substitute('{"a": "${One}", "b": "$.path"}', {"One": "1"}) == '{"a": "1", "b": "$.path"}'
    with pytest.raises(KeyError, match="Two"):
        substitute('"${One}${Two}"', {"One": "1"})
