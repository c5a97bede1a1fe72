"""The ``workflow_steps`` dispatcher, execution names and the local Lambda stand-in, without AWS."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import Conflict, NotFound, RateLimited
from chalicelib.notifications.templates import render
from chalicelib.workflows import cancellation, steps
from chalicelib.workflows.executions import execution_name
from chalicelib.workflows.messages import TEMPLATES
from local.moto_server import AppEnvironment, function_name_of, lambda_invoke, task_functions

STEP = "test.echo"


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A handler for the local invoke tests (imported by its dotted path)."""
    if event.get("fail"):
        raise NotFound()
    return {"got": event, "function": context.function_name}


class _Backend:
    region_name = "us-east-1"


def _fallback(*args: Any) -> bytes:
    return b"moto echo"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A step ``test.echo(order_id)`` that records its calls and fails as told."""
    calls: list[dict[str, Any]] = []

    def step(order_id: str, error: str | None = None) -> dict[str, Any]:
        calls.append({"order_id": order_id})
        if error == "conflict":
            raise Conflict("invalid_status")
        if error == "throttled":
            raise RateLimited(retry_after=1)
        if error == "outage":
            raise TimeoutError("provider timed out")
        return {"done": order_id}

    monkeypatch.setitem(steps.STEPS, STEP, step)
    return calls


def test_handler_runs_the_named_step_with_the_other_fields(registered: list[dict[str, Any]]) -> None:
    assert steps.handler({"step": STEP, "order_id": "ord_1"}, None) == {"done": "ord_1"}
    assert registered == [{"order_id": "ord_1"}]


@pytest.mark.parametrize(
    "event",
    [
        {"step": "test.unknown", "order_id": "ord_1"},
        {"order_id": "ord_1"},
        {"step": STEP},  # a missing argument
        {"step": STEP, "order_id": "ord_1", "surprise": 1},
        {"step": STEP, "order_id": "ord_1", "error": "conflict"},  # a refusal of the domain
    ],
)
def test_what_a_retry_cannot_fix_is_rejected(registered: list[dict[str, Any]], event: dict[str, Any]) -> None:
    with pytest.raises(steps.StepRejected):
        steps.handler(event, None)


@pytest.mark.parametrize(("error", "kind"), [("throttled", RateLimited), ("outage", TimeoutError)])
def test_what_a_retry_may_fix_keeps_its_type(
    registered: list[dict[str, Any]], error: str, kind: type[Exception]
) -> None:
    with pytest.raises(kind):
        steps.handler({"step": STEP, "order_id": "ord_1", "error": error}, None)


def test_the_saga_of_an_order_has_one_valid_execution_name() -> None:
    name = cancellation.execution_name_for("ord_01JD8X6Y2Q3R4S5T6V7W8X9Y0Z")
    assert name == "cancel-ord_01JD8X6Y2Q3R4S5T6V7W8X9Y0Z"
    assert cancellation.execution_name_for("ord_01JD8X6Y2Q3R4S5T6V7W8X9Y0Z") == name
    for bad in ("ord 1", "ord/1", "x" * 80):
        with pytest.raises(ValueError, match="execution name"):
            execution_name("cancel", bad)


@pytest.mark.parametrize(
    "reference",
    [
        "jiazheng-local-workflow_steps",
        "jiazheng-local-workflow_steps:$LATEST",
        "123456789012:function:jiazheng-local-workflow_steps",
        "arn:aws:lambda:us-east-1:123456789012:function:jiazheng-local-workflow_steps",
        "arn:aws:lambda:us-east-1:123456789012:function:jiazheng-local-workflow_steps:live",
    ],
)
def test_function_name_of_every_form_lambda_accepts(reference: str) -> None:
    assert function_name_of(reference) == "jiazheng-local-workflow_steps"


def test_local_invoke_runs_the_task_functions_handler() -> None:
    assert task_functions() == {"jiazheng-local-workflow_steps": "chalicelib.workflows.steps.handler"}
    prepared: list[int] = []
    invoke = lambda_invoke({"fn": f"{__name__}.echo"}, _fallback, prepare=lambda: prepared.append(1))
    headers: dict[str, Any] = {}
    answer = invoke(_Backend(), "arn:aws:lambda:us-east-1:1:function:fn", None, b'{"a": 1}', {}, headers)
    assert json.loads(answer or b"") == {"got": {"a": 1}, "function": "fn"}
    assert headers == {}
    invoke(_Backend(), "fn", None, "{}", {}, headers)
    assert prepared == [1]  # the app's environment is applied once, before the first import


def test_local_invoke_answers_an_exception_as_lambda_does() -> None:
    invoke = lambda_invoke({"fn": f"{__name__}.echo"}, _fallback)
    headers: dict[str, Any] = {}
    answer = json.loads(invoke(_Backend(), "fn", None, b'{"fail": true}', {}, headers) or b"")
    assert headers == {"x-amz-function-error": "Unhandled"}
    assert (answer["errorType"], answer["errorMessage"]) == ("NotFound", "not_found")


def test_local_invoke_leaves_other_functions_to_moto() -> None:
    invoke = lambda_invoke({"fn": f"{__name__}.echo"}, _fallback)
    assert invoke(_Backend(), "someone-elses", None, b"{}", {}, {}) == b"moto echo"


def test_app_environment_is_applied_once_and_keeps_motos_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_PORT", "8101")
    monkeypatch.delenv("TEST_WORKFLOW_VAR", raising=False)
    environment = AppEnvironment(tmp_path / "app-env.json")
    with pytest.raises(RuntimeError, match="not written yet"):
        environment.apply()
    (tmp_path / "app-env.json").write_text(json.dumps({"TEST_WORKFLOW_VAR": "x", "MOTO_PORT": "1"}))
    environment.apply()
    assert os.environ["TEST_WORKFLOW_VAR"] == "x"
    assert os.environ["MOTO_PORT"] == "8101"
    monkeypatch.delenv("TEST_WORKFLOW_VAR")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_templates_render_with_what_the_steps_pass(locale: str) -> None:
    order = {"service": "日常保洁", "start": "01-20 10:00", "district": "浦东新区", "order": "ord_1"}
    passed = {
        "cancellation_refunded": {**order, "amount": "¥200.00"},
        "cancellation_no_refund": {**order, "amount": "¥0.00"},
        "refund_escalated": {"order": "ord_1", "amount": "¥200.00", "error": "ProviderUnavailable"},
    }
    assert set(passed) == set(TEMPLATES)
    for template, params in passed.items():
        rendered = render(template, locale, **params)
        assert rendered.subject and rendered.body
        if template != "cancellation_no_refund":
            assert params["amount"] in rendered.body
