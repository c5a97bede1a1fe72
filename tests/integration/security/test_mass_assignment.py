"""Mass assignment (OWASP API3:2023, broken object property level authorization).

Every request body of every route refuses unknown fields (pydantic ``extra="forbid"``, nested
models included), and no route a customer or worker may call takes a privileged field (role,
status, owner, price, balance...) unless :data:`GRANTED` says why the caller may set it. Over
HTTP, every PATCH and PUT answers 422 naming each privileged field slipped into its body.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from chalicelib.web.routing import STAFF_ROLES, Operation, all_operations
from tests.integration.conftest import Http
from tests.integration.scheduling_steps import account

PRIVILEGED = frozenset(
    {
        "role",
        "status",
        "level",
        "user_id",
        "customer_id",
        "owner_id",
        "worker_id",
        "assignee_id",
        "order_id",
        "session_id",
        "price",
        "price_amount",
        "amount",
        "paid",
        "paid_at",
        "verified",
        "rating",
        "balance",
        "commission_basis_points",
        "created_at",
    }
)

# Privileged-looking fields that a non-staff caller legitimately sets, and why.
GRANTED: dict[tuple[str, str, str], str] = {
    ("POST", "/v1/orders", "worker_id"): "the customer chooses a worker; booking checks she is bookable",
    ("POST", "/v1/support/tickets", "order_id"): "must be one of the caller's own orders (404 otherwise)",
    ("POST", "/v1/auth/register", "role"): "Literal customer|worker: staff accounts are made by admins only",
    ("POST", "/v1/worker/withdrawals", "amount"): "the sum asked for, checked against her own balance",
}


def _operations() -> list[Operation]:
    import app  # noqa: F401 (registers every route)

    return [op for op in all_operations() if op.body is not None]


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field annotation (unions, lists, dicts, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found += _models(arg)
    return found


def _walk(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        for inner in _models(info.annotation):
            _walk(inner, seen)


def _all_models(model: type[BaseModel]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    _walk(model, seen)
    return seen


def test_every_request_body_forbids_unknown_fields() -> None:
    loose = []
    for op in _operations():
        assert op.body is not None
        for model in _all_models(op.body):
            if "root" in model.model_fields:
                continue  # a RootModel: its members are checked on their own
            if model.model_config.get("extra") != "forbid":
                loose.append(f"{op.method} {op.path}: {model.__name__}")
    assert not loose, loose


def test_no_customer_or_worker_route_takes_a_privileged_field() -> None:
    taken = []
    for op in _operations():
        if op.roles and set(op.roles) <= STAFF_ROLES:
            continue
        assert op.body is not None
        for model in _all_models(op.body):
            for name in set(model.model_fields) & PRIVILEGED:
                if (op.method, op.path, name) not in GRANTED:
                    taken.append(f"{op.method} {op.path}: {model.__name__}.{name}")
    assert not taken, taken
    stale = {(m, p) for m, p, _ in GRANTED} - {(op.method, op.path) for op in _operations()}
    assert not stale, stale


def _caller(op: Operation) -> str | None:
    if op.roles is None:
        return None
    return account(op.roles[0], "调用者")[1]


def _import_app() -> None:
    import app  # noqa: F401


_import_app()  # the parametrisation below reads the route table at collection


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(op, id=f"{op.method} {op.path}")
        for op in all_operations()
        if op.method in ("PATCH", "PUT") and op.body is not None
    ],
)
def test_a_patch_or_put_refuses_privileged_fields(http: Http, op: Operation) -> None:
    assert op.body is not None
    own = set(op.body.model_fields)
    slipped = {name: "x" for name in sorted(PRIVILEGED - own)}
    path = op.path.format(**{part.split("}")[0]: "x1" for part in op.path.split("{")[1:]})
    response = http.call(op.method, path, slipped, token=_caller(op))
    assert response.status_code == 422, response.json
    refused = {
        d["field"].split(".")[-1] for d in response.json["error"]["details"] if d["code"] == "extra_forbidden"
    }
    if "root" in op.body.model_fields:  # a discriminated union: the tag is checked before any field
        assert response.json["error"]["details"], response.json
        return
    assert refused == set(slipped), response.json


def test_a_payout_account_refuses_an_extra_owner(http: Http) -> None:
    """The one union body: a valid bank account plus ``worker_id`` (someone else's card) is 422."""
    body = {
        "type": "bank_account",
        "bank_name": "招商银行",
        "account_name": "李秀英",
        "account_number": "6222021234567890128",
        "worker_id": "usr_someone_else",
    }
    response = http.call("PUT", "/v1/worker/payout-account", body, token=account("worker")[1])
    assert response.status_code == 422, response.json
    assert [d["code"] for d in response.json["error"]["details"]] == ["extra_forbidden"]
