"""Schemathesis' stateful phase: chains of calls along the OpenAPI document's links.

The document links each creating operation to the operations on what it created
(``chalicelib.web.openapi._links``): a ticket to its messages and rating, an address to its
update and deletion, a booking to paying, reading and cancelling it. Schemathesis builds a state
machine from those links and runs chains of calls as a customer on the running local stack,
feeding each step the ids earlier answers handed out. Every answer must not be a 5xx and must
match the document; at least one linked call must reach a resource that exists (a 2xx), which
shows the chains carry real ids rather than random ones. Random bodies rarely make a valid
booking or address (a known service, the caller's own address, a phone number, a future slot), so
the machine fills those fields with real values before the call, as the stateful guide of
schemathesis suggests for realistic data; everything else stays generated.

``FUZZ_STATEFUL_EXAMPLES`` sets the number of scenarios: a few in ``make test``, more in
``make proof``.
"""

from __future__ import annotations

import itertools
import os
from datetime import date, timedelta
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck

from local.stack import LocalStack
from tests.e2e.scenes import run_scene
from tests.e2e.test_fuzz import _ADDRESS, CHECKS

_SCENE = """
service_id = cleaning_service()
customer, address_id = customer_at_home("链路客户")
print(json.dumps({"service_id": service_id, "address_id": address_id,
                  "token": open_session(customer.user_id, "customer").access_token}))
"""
SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "10"))
STEPS = 10
ROUND = 10


def _customer_operations() -> list[str]:
    """The operationIds a customer may call (the machine's rules; the others would only 403)."""
    import app  # noqa: F401  (registers every route)
    from chalicelib.web.openapi import document

    return [
        op["operationId"]
        for path, ops in document()["paths"].items()
        for op in ops.values()
        if not path.startswith(("/v1/dev/", "/v1/auth/"))
        and ("security" not in op or "customer" in op["description"].rsplit("Roles:", 1)[-1])
    ]


def test_customer_chains_follow_the_links(stack: LocalStack) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/v1/openapi.json", timeout=30)
    scene = run_scene(stack, _SCENE, 1)  # a token lives 15 minutes: longer than this test
    service_id, address_id, token = scene["service_id"], scene["address_id"], scene["token"]
    schema.config.update(
        base_url=stack.base_url, request_timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    schema = schema.include(operation_id=_customer_operations())
    reached: list[str] = []
    days = itertools.count(3)

    class Customer(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            if case.method != "POST" or not isinstance(case.body, dict):
                return
            if case.operation.path == "/v1/me/addresses":
                case.body.update(_ADDRESS)
            elif case.operation.path == "/v1/orders":
                start = date.today() + timedelta(days=next(days) % 60)
                case.body.update(
                    service_id=service_id, address_id=address_id, start_at=f"{start}T10:00:00+08:00"
                )
                for field_name in (
                    "worker_id",
                    "duration_minutes",
                    "months",
                    "start_window_days",
                    "term_days",
                    "extends_order_id",
                ):
                    case.body.pop(field_name, None)

        def after_call(self, response: Any, case: Any) -> None:
            if "{" in case.operation.path and response.status_code < 300:
                reached.append(f"{case.method} {case.operation.path}")

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    # Rounds of at most ROUND scenarios: the state machine's rules depend on what the server
    # answered, and over one long run Hypothesis' record of earlier draws stops matching
    # (FlakyStrategyDefinition). A single round is derandomized (CI), several are seeded apart.
    rounds = max(1, SCENARIOS // ROUND)
    for _ in range(rounds):
        Customer.run(
            settings=hypothesis.settings(
                max_examples=min(SCENARIOS, ROUND),
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=rounds == 1,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    assert reached, "no chain reached a created resource through a link"
