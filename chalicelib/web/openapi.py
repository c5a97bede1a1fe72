"""The OpenAPI 3.1 document, generated from the registered routes and their pydantic models.

openapi-pydantic assembles the document and collects every model's JSON schema into
``components/schemas``; the routes come from ``routing.all_operations()``, so the document
lists exactly what the service serves (``/v1/dev/*`` only on the local stage).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

from pydantic import BaseModel

from chalicelib.config import settings
from chalicelib.web.routing import Operation, all_operations
from chalicelib.web.schemas import ErrorBody

__all__ = ["document"]

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Malformed JSON body",
    401: "Missing, invalid or expired token, or bad credentials",
    403: "Wrong role for this route",
    404: "Unknown, or not yours",
    409: "Conflicts with the current state",
    422: "A field failed validation; `details` names each",
    429: "Rate limited; see Retry-After",
    503: "A dependency is busy or down; retry after Retry-After (with the same Idempotency-Key)",
}
_PATH_PARAM = re.compile(r"\{([^}]+)\}")


def _schema(model: type[BaseModel]) -> Any:
    from openapi_pydantic.util import PydanticSchema

    return PydanticSchema(schema_class=model)


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _schema(model)}}


def _error_statuses(op: Operation) -> list[int]:
    statuses = set(op.errors)
    if op.body is not None:
        statuses |= {400, 422}
    if op.query is not None:
        statuses.add(422)
    if op.roles is not None:
        statuses |= {401, 403}
    if op.optional_auth:
        statuses.add(401)
    if _PATH_PARAM.search(op.path):
        statuses.add(404)  # a path value that cannot be an id names nothing (routing._check_path)
    statuses.add(503)  # any route whose AWS calls fail past their retries (routing.dependency_unavailable)
    return sorted(statuses)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        }
        for name in _PATH_PARAM.findall(op.path)
    ]
    if op.query is not None:
        schema = op.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": prop.get("description"),
                    "schema": {
                        key: value for key, value in prop.items() if key not in ("title", "description")
                    },
                }
            )
    parameters.append(
        {
            "name": "Accept-Language",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "enum": ["zh-CN", "en"]},
            "description": "Language of names and messages (zh-CN by default).",
        }
    )
    return parameters


def _operation_ids(operations: list[Operation]) -> dict[tuple[str, str], str]:
    """A unique ``operationId`` per operation: the handler's name, with its tag where two share one."""
    counts = Counter(op.name for op in operations)
    return {
        (op.method, op.path): op.name if counts[op.name] == 1 else f"{op.tag}_{op.name}" for op in operations
    }


def _operation(op: Operation, operation_id: str) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(op.status, "OK")}
    if op.response is not None and op.status != 204:
        success["content"] = _json(op.response)
    responses[str(op.status)] = success
    for status in _error_statuses(op):
        responses[str(status)] = {"description": _STATUS_TEXT[status], "content": _json(ErrorBody)}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [op.tag],
        "summary": op.summary,
        "description": op.description,
        "parameters": _parameters(op),
        "responses": responses,
    }
    if op.optional_auth:
        operation["security"] = [{}, {"bearer": []}]
    if op.roles is not None:
        operation["security"] = [{"bearer": []}]
        operation["description"] += f"\n\nRoles: {', '.join(op.roles)}."
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(op.body)}
    return operation


_PATH_PARAMETER = re.compile(r"\{([a-z_]+)\}")


def _created_id(producer: Operation) -> str | None:
    """The id a creating POST hands out: ``order_id`` for ``POST /v1/orders`` (a field of its answer)."""
    if producer.method != "POST" or producer.status != 201 or producer.response is None:
        return None
    collection = producer.path.rsplit("/", 1)[-1]
    fields = producer.response.model_fields
    return next((f"{collection[:-n]}_id" for n in (1, 2) if f"{collection[:-n]}_id" in fields), None)


def _links(
    producer: Operation, operations: list[Operation], ids: dict[tuple[str, str], str]
) -> dict[str, Any]:
    """OpenAPI links from a creating operation to the operations on what it created.

    ``POST /v1/orders`` answers with ``order_id``: it links to each operation whose path takes
    that id (and only ids the answer names) and that the same roles may call, e.g.
    ``GET /v1/orders/{order_id}`` and ``POST /v1/orders/{order_id}/pay``. Clients and stateful
    testing (schemathesis) follow them with the ids the API handed out.
    """
    created = _created_id(producer)
    if created is None or producer.response is None:
        return {}
    fields = set(producer.response.model_fields)
    roles = set(producer.roles or ())
    links: dict[str, Any] = {}
    for target in operations:
        names = _PATH_PARAMETER.findall(target.path)
        if created in names and set(names) <= fields and roles & set(target.roles or ()):
            target_id = ids[(target.method, target.path)]
            links[target_id] = {
                "operationId": target_id,
                "parameters": {f"path.{name}": f"$response.body#/{name}" for name in names},
            }
    return links


@cache
def document() -> dict[str, Any]:
    """The whole document as plain JSON data (built once per process)."""
    from openapi_pydantic import OpenAPI
    from openapi_pydantic.util import construct_open_api_with_schema_class

    include_local = settings().is_local
    operations = [op for op in all_operations() if include_local or not op.local_only]
    paths: dict[str, dict[str, Any]] = {}
    ids = _operation_ids(operations)
    for op in operations:
        described = _operation(op, ids[(op.method, op.path)])
        links = _links(op, operations, ids)
        if links:
            described["responses"][str(op.status)]["links"] = links
        paths.setdefault(op.path, {})[op.method.lower()] = described
    spec = OpenAPI.model_validate(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Jiazheng API",
                "version": "1.0.0",
                "description": "Home-services ordering platform: customers, workers, admins.",
            },
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        }
    )
    built = construct_open_api_with_schema_class(spec)
    return built.model_dump(mode="json", by_alias=True, exclude_none=True)
