"""Roles on every administration and support route, from the route table itself.

Every route only staff may call answers 403 to customers and workers, and every admin-only
route answers 403 to support agents, before anything else happens (the body is not even read).
"""

from __future__ import annotations

import re

import pytest

from chalicelib.web.routing import Operation, all_operations
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import account

pytestmark = pytest.mark.usefixtures("aws")


def _routes() -> list[Operation]:
    import app  # noqa: F401 (registers every route)

    return [op for op in all_operations() if op.roles and set(op.roles) <= {"admin", "support"}]


def _path(op: Operation) -> str:
    return re.sub(r"\{[^}]+\}", "x_1", op.path)


def test_there_are_staff_routes() -> None:
    assert len(_routes()) >= 30


@pytest.mark.parametrize("role", ["customer", "worker", "support"])
def test_wrong_roles_are_403_on_every_staff_route(http: Http, role: str) -> None:
    _, token = account(role)
    refused = []
    for op in _routes():
        if role in op.roles:  # type: ignore[operator]
            continue
        response = http.call(op.method, _path(op), {}, token=token)
        if response.status_code != 403:
            refused.append((op.method, op.path, response.status_code))
    assert refused == []


def test_support_is_refused_settings_money_and_staff_changes() -> None:
    admin_only = {(op.method, op.path) for op in _routes() if op.roles == ("admin",)}
    assert {
        ("PUT", "/v1/admin/settings"),
        ("POST", "/v1/admin/orders/{order_id}/refund"),
        ("POST", "/v1/admin/users"),
        ("PATCH", "/v1/admin/users/{user_id}"),
        ("POST", "/v1/admin/users/{user_id}/blacklist"),
        ("GET", "/v1/admin/audit-log"),
    } <= admin_only
