"""The OpenAPI document's operationIds are unique and its links lead where they say.

Links are what clients and schemathesis' stateful phase follow from a created resource to the
operations on it; a link to a missing operation, or one naming a parameter the path lacks or a
field the answer does not carry, would send them astray.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    import app  # noqa: F401  (registers every route)
    from chalicelib.web.openapi import document

    return document()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = Counter(op["operationId"] for _, _, op in _operations(document))
    assert [name for name, count in ids.items() if count > 1] == []


def test_links_resolve_to_operations_and_fields(document: dict[str, Any]) -> None:
    by_id = {op["operationId"]: path for _, path, op in _operations(document)}
    followed = {}
    for method, path, op in _operations(document):
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                target = by_id[link["operationId"]]
                assert name == link["operationId"]
                schema = response["content"]["application/json"]["schema"]
                fields = set(schema.get("properties") or {}) or _referenced_fields(document, schema)
                for parameter, expression in link["parameters"].items():
                    place, _, field_name = parameter.partition(".")
                    assert place == "path" and f"{{{field_name}}}" in target, (path, name, parameter)
                    assert expression == f"$response.body#/{field_name}" and field_name in fields
                followed[f"{method.upper()} {path}"] = followed.get(f"{method.upper()} {path}", 0) + 1
    # The creations the apps chain from: a booking leads to paying it, a ticket to its messages.
    assert {"POST /v1/orders", "POST /v1/support/tickets", "POST /v1/me/addresses"} <= set(followed)
    order_links = document["paths"]["/v1/orders"]["post"]["responses"]["201"]["links"]
    assert {"get_order", "pay_order", "orders_cancel_order"} <= set(order_links)
    assert not any(re.match(r"^admin|^accept|^decline", name) for name in order_links)  # a customer's


def _referenced_fields(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    name = schema["$ref"].rsplit("/", 1)[-1]
    return set(document["components"]["schemas"][name]["properties"])


def test_every_schema_reference_is_defined(document: dict[str, Any]) -> None:
    import json

    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert referenced - set(document["components"]["schemas"]) == set()
    assert [name for name in document["components"]["schemas"] if "__" in name] == []  # no clash renames
