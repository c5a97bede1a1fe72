"""Schemathesis' stateful phase: chains of calls along the OpenAPI document's links.

The document links each creating operation to the operations on what it created
(``chalicelib.web.openapi._links``): a ticket to its messages and rating, an address to its
update and deletion, a booking to paying, reading and cancelling it. Schemathesis builds a state
machine from those links and runs chains of calls as a customer on the running local stack,
feeding each step the ids earlier answers handed out. Every answer must not be a 5xx and must
match the document; at least one linked call must reach a resource that exists (a 2xx), which
shows the chains carry real ids rather than random ones.

``FUZZ_STATEFUL_EXAMPLES`` sets the number of scenarios: a few in ``make test``, more in
``make proof``.
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck

from local.stack import LocalStack
from tests.e2e.test_fuzz import CHECKS
from tests.e2e.test_fuzz_every_route import Tokens

SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "5"))
STEPS = 6


def test_customer_chains_follow_the_links(stack: LocalStack) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/v1/openapi.json", timeout=30)
    schema.config.update(base_url=stack.base_url, request_timeout=30)
    tokens = Tokens(stack)
    reached: list[str] = []

    class Customer(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {tokens['customer']}"}}

        def after_call(self, response: Any, case: Any) -> None:
            if "{" in case.operation.path and response.status_code < 300:
                reached.append(f"{case.method} {case.operation.path}")

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Customer.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert reached, "no chain reached a created resource through a link"
