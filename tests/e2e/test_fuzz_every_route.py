"""Schemathesis over every operation of the OpenAPI document, with a token of each allowed role.

``test_fuzz.py`` covers Accounts and Meta with hand-made state; this module takes every other
operation (never ``/v1/dev/*``) and calls each generated case once per role the operation admits
(anonymously for public ones), on the running local stack. Every answer must not be a 5xx and
must match the document: a documented status code, content type and body schema.

``FUZZ_EXAMPLES`` sets the examples per operation: a few in ``make test`` (CI time), 100 in
``make proof``. Tokens come from a scene written in the stack (a customer with an address, a
verified worker, an admin, a support agent) and are renewed before they expire.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case

from local.stack import LocalStack
from tests.e2e.scenes import run_scene
from tests.e2e.test_fuzz import CHECKS
from tests.e2e.test_fuzz import _node_id_for_schemathesis as _node_id_for_schemathesis

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
ACCOUNTS_AND_META = r"^/v1/(auth|me|health|openapi)"

_SCENE = """
customer, _ = customer_at_home("模糊客户")
worker = verified_worker("模糊阿姨")
admin = user("admin", "模糊管理员")
support = user("support", "模糊客服")
print(json.dumps({
    role: open_session(who.user_id, role).access_token
    for role, who in (("customer", customer), ("worker", worker), ("admin", admin), ("support", support))
}))
"""


class Tokens:
    """A token per role, renewed after 10 minutes (they live 15)."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.made = 0.0
        self.tokens: dict[str, str] = {}

    def __getitem__(self, role: str) -> str:
        if time.monotonic() - self.made > 600:
            self.tokens = {k: str(v) for k, v in run_scene(self.stack, _SCENE, 1).items()}
            self.made = time.monotonic()
        return self.tokens[role]


@pytest.fixture(scope="module")
def tokens(stack: LocalStack) -> Tokens:
    return Tokens(stack)


@pytest.fixture(scope="module")
def every_route_schema(stack: LocalStack) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/v1/openapi.json", timeout=30)
    schema.config.update(base_url=stack.base_url, request_timeout=30)
    schema.config.generation.update(max_examples=MAX_EXAMPLES)
    schema.config.phases.coverage.enabled = False  # the generated phase is the point here
    return schema


schema = schemathesis.pytest.from_fixture("every_route_schema").exclude(path_regex=r"^/v1/dev/")
schema = schema.exclude(path_regex=ACCOUNTS_AND_META)


def _roles(case: Case[Any]) -> list[str | None]:
    """The roles the operation admits (from its description's role list), or anonymous."""
    import app  # noqa: F401
    from chalicelib.web.routing import all_operations

    for op in all_operations():
        if op.method == case.method.upper() and op.path == case.operation.path:
            return list(op.roles) if op.roles else [None]
    return [None]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_every_route_conforms_for_every_role(case: Case[Any], tokens: Tokens) -> None:
    for role in _roles(case):
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        case.call_and_validate(headers=headers, checks=CHECKS)
