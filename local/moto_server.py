"""Launch moto in server mode with Step Functions execution on and the workflows' tasks running our code.

moto's server runs state machines only when its in-process config says so, and the config API
of a running server is easy to forget (a restart silently loses it). Setting it here, before the
server answers its first request, means every moto process of the local stack behaves the same.
Lambda's Docker backend stays off (without Docker ``/moto-api/data.json`` would fail), so
Lambda tasks go to moto's simple backend, which only echoes its input. Before serving, its
``invoke`` is pointed at our handlers: a task invoking a function of ``resources.WORKFLOWS``
(``jiazheng-local-workflow_steps``) runs that function's handler in this process, with the event
Lambda would pass, and answers as Lambda does (the handler's result, or ``X-Amz-Function-Error``
with ``errorType``/``errorMessage`` when it raises, which the state machine's Retry and Catch
match on). Any other function keeps moto's echo.

The handlers need the app's environment (table names, queue URLs, endpoints, secrets), which is
complete only once the resources exist in this very server: ``local.stack`` writes it to the
file given as ``--app-env`` after provisioning, and it is applied here before the first task runs.

Usage: ``python -m local.moto_server --host 127.0.0.1 --port 8101 [--app-env FILE] [--log-requests]``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from chalicelib import resources
from chalicelib.resources import physical_name

__all__ = [
    "AppEnvironment",
    "configure",
    "function_name_of",
    "lambda_invoke",
    "main",
    "route_tasks_to_handlers",
    "task_functions",
]

STAGE = "local"
LAMBDA_TIMEOUT_SECONDS = 29  # as .chalice/config.json deploys the functions
# Variables of this process that the app's environment must not change.
_KEEP = frozenset({"MOTO_PORT"})

Invoke = Callable[[Any, str, "str | None", Any, Any, dict[str, Any]], "str | bytes | None"]


def configure() -> None:
    """Switch on state machine execution and off Lambda's Docker backend, process-wide."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}


def task_functions(stage: str = STAGE) -> dict[str, str]:
    """The deployed name of every task function of the workflows -> the dotted path of its handler."""
    return {
        physical_name(stage, function.name): function.handler
        for spec in resources.WORKFLOWS
        for function in spec.functions
    }


def function_name_of(reference: str) -> str:
    """The function's name in a ``FunctionName``: a name, a partial or full ARN, maybe qualified."""
    parts = reference.split(":")
    return parts[parts.index("function") + 1] if "function" in parts else parts[0]


class AppEnvironment:
    """The app's environment, read from a JSON file and applied to this process once, on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._applied = False
        self._lock = threading.Lock()

    def apply(self) -> None:
        with self._lock:
            if self._applied:
                return
            if not self.path.exists():
                raise RuntimeError(f"the app environment {self.path} is not written yet")
            env: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
            os.environ.update({key: str(value) for key, value in env.items() if key not in _KEEP})
            self._applied = True


def _error_payload(error: BaseException) -> bytes:
    """What Lambda's Python runtime answers for an unhandled exception."""
    return json.dumps(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    ).encode()


def lambda_invoke(
    handlers: Mapping[str, str], fallback: Invoke, *, prepare: Callable[[], None] | None = None
) -> Invoke:
    """A stand-in for ``LambdaSimpleBackend.invoke`` that runs ``handlers[name]`` in this process.

    ``handlers`` maps a function name to the dotted path of its handler (imported on first use,
    after ``prepare``); other functions go to ``fallback``, moto's own invoke.
    """
    resolved: dict[str, Callable[[dict[str, Any], Any], Any]] = {}

    def invoke(
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, Any],
    ) -> str | bytes | None:
        name = function_name_of(function_name)
        if name not in handlers:
            return fallback(backend, function_name, qualifier, body, headers, response_headers)
        from local.sqs_poller import FakeLambdaContext

        try:
            if name not in resolved:
                if prepare is not None:
                    prepare()
                from local.runner import import_handler

                resolved[name] = import_handler(handlers[name])
            raw = body.decode() if isinstance(body, bytes) else body
            event = json.loads(raw) if raw else {}
            result = resolved[name](
                event, FakeLambdaContext(name, backend.region_name, LAMBDA_TIMEOUT_SECONDS)
            )
        except Exception as error:
            traceback.print_exc()
            response_headers["x-amz-function-error"] = "Unhandled"
            return _error_payload(error)
        return json.dumps(result).encode()

    return invoke


def route_tasks_to_handlers(app_env: Path | None) -> None:
    """Point moto's simple Lambda backend at the workflows' task handlers (see the module doc)."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    prepare = AppEnvironment(app_env).apply if app_env else None
    LambdaSimpleBackend.invoke = lambda_invoke(  # type: ignore[method-assign,assignment]
        task_functions(), LambdaSimpleBackend.invoke, prepare=prepare
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, configure moto and serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument(
        "--app-env", type=Path, help="JSON file with the app's environment, for task handlers"
    )
    parser.add_argument(
        "--log-requests", action="store_true", help="log every request (noisy: the runner polls)"
    )
    args = parser.parse_args(argv)
    if not args.log_requests:
        # werkzeug only installs its INFO request log when the level is unset.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    configure()
    route_tasks_to_handlers(args.app_env)
    from moto.server import main as moto_main

    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()
