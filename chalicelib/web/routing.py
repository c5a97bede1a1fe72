"""Route registration with parsing, authentication, errors and documentation in one place.

Chalice middleware never sees an exception raised inside a route (the app turns it into its own
``{"Code", "Message"}`` body first), so each route is wrapped here instead. The wrapper:

1. negotiates the language and tags the log lines with the request id;
2. authenticates the bearer token and checks the role (401 / 403);
3. parses the JSON body (400 when malformed) and validates body and query with pydantic (422
   naming each field);
4. calls the handler with a :class:`Request` and serialises what it returns;
5. turns any :class:`~chalicelib.errors.AppError` into the contract's error body, and anything
   unexpected into a logged 500 that reveals nothing.

The same registration records an :class:`Operation`, from which ``chalicelib.web.openapi``
builds the OpenAPI document, so the document cannot disagree with the routes.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import i18n, request_context
from chalicelib.errors import AppError, NotFound, ServiceUnavailable, Unauthorized, ValidationFailed
from chalicelib.observability import logger, metrics

__all__ = ["ANY_ROLE", "Api", "Operation", "Principal", "Reply", "Request", "all_operations"]

ANY_ROLE: tuple[str, ...] = ("customer", "worker", "admin", "support")

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class Principal:
    """Who is calling: taken from a verified access token and a live session."""

    user_id: str
    role: str
    session_id: str


@dataclass
class Request(Generic[B]):
    """What a handler gets: validated input and who is asking, never Chalice objects."""

    body: B
    query: Any
    path: dict[str, str]
    headers: dict[str, str]
    locale: str
    request_id: str
    client_ip: str
    principal_or_none: Principal | None = None
    raw_body: bytes = b""  # exactly as sent, for routes that check a signature over it (webhooks)

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:
            raise Unauthorized()
        return self.principal_or_none


@dataclass(frozen=True)
class Reply:
    """A handler result whose status or headers differ from the route's defaults."""

    body: BaseModel | dict[str, Any] | None
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One documented route."""

    method: str
    path: str
    name: str
    tag: str
    summary: str
    description: str
    roles: tuple[str, ...] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    local_only: bool
    optional_auth: bool = False


_OPERATIONS: list[Operation] = []

Handler = Callable[[Request[Any]], BaseModel | Reply | None]
Authenticator = Callable[[str], Principal]


def all_operations() -> list[Operation]:
    """Every registered route, in registration order."""
    return list(_OPERATIONS)


class _EmptyBody(BaseModel):
    """Stands in for the body of routes that take none."""


def _authenticator() -> Authenticator:
    from chalicelib.accounts.auth import authenticate

    return authenticate


class Api:
    """A Chalice blueprint plus the documentation of its routes."""

    def __init__(self, tag: str, *, local_only: bool = False) -> None:
        self.tag = tag
        self.local_only = local_only
        self.blueprint = Blueprint(f"chalicelib.handlers.{tag}")

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)

    def route(
        self,
        method: str,
        path: str,
        *,
        roles: Iterable[str] | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: Iterable[int] = (),
        summary: str = "",
        optional_auth: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Register ``handler`` for ``method path``; ``roles=None`` makes it public.

        ``optional_auth`` (public routes only): a bearer token, when sent, is verified and
        becomes ``request.principal`` (401 if it is bad); without one the caller is anonymous.
        """
        allowed = tuple(roles) if roles is not None else None

        def register(handler: Handler) -> Handler:
            doc = (handler.__doc__ or "").strip()
            _OPERATIONS.append(
                Operation(
                    method=method,
                    path=path,
                    name=handler.__name__,
                    tag=self.tag,
                    summary=summary or doc.split("\n", 1)[0],
                    description=doc,
                    roles=allowed,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    errors=tuple(errors),
                    local_only=self.local_only,
                    optional_auth=optional_auth,
                )
            )

            def view(**path_params: str) -> Response:
                return _dispatch(
                    self.blueprint, handler, allowed, body, query, status, path_params, optional_auth
                )

            view.__name__ = handler.__name__
            view.__doc__ = handler.__doc__
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(view)
            return handler

        return register


def _dispatch(
    blueprint: Blueprint,
    handler: Handler,
    roles: tuple[str, ...] | None,
    body_model: type[BaseModel] | None,
    query_model: type[BaseModel] | None,
    status: int,
    path_params: dict[str, str],
    optional_auth: bool = False,
) -> Response:
    started = time.perf_counter()
    current = blueprint.current_request
    headers = {key.lower(): value for key, value in (current.headers or {}).items()}
    context = current.context or {}
    request_id = str(context.get("requestId") or _new_request_id())
    client_ip = str((context.get("identity") or {}).get("sourceIp") or "unknown")
    request_context.start(request_id, client_ip)
    locale = i18n.negotiate(headers.get("accept-language"))
    logger.thread_safe_remove_keys(["user_id", "role", "correlation_id"])
    logger.thread_safe_append_keys(
        request_id=request_id, route=f"{current.method} {context.get('resourcePath', '')}"
    )
    try:
        _check_path(path_params)
        principal = _authorize(headers, roles, optional=optional_auth)
        request = Request(
            body=_parse_body(current.raw_body, body_model),
            query=_validate(query_model, dict(current.query_params or {}), "query"),
            path=path_params,
            headers=headers,
            locale=locale,
            request_id=request_id,
            client_ip=client_ip,
            principal_or_none=principal,
            raw_body=_raw(current.raw_body),
        )
        result = handler(request)
        response = _success(result, status, locale, request_id)
        _check_audited(current.method, roles, response.status_code)
    except AppError as error:
        response = error_response(error, locale, request_id)
    except Exception as error:
        if dependency_unavailable(error):
            logger.warning("dependency unavailable", error=type(error).__name__)
            metrics.add_metric(name="DependencyUnavailable", unit="Count", value=1)
            response = error_response(ServiceUnavailable(), locale, request_id)
        else:
            response = _internal_error(locale, request_id)
    logger.info(
        "request",
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    request_context.finish()
    return response


def _internal_error(locale: str, request_id: str) -> Response:
    """A logged 500 that reveals nothing."""
    logger.exception("unhandled error")
    metrics.add_metric(name="UnhandledErrors", unit="Count", value=1)
    body = {
        "error": {
            "code": "internal_error",
            "message": i18n.message("internal_error", locale),
            "details": [],
        }
    }
    return _json_response(500, body, locale, request_id)


# AWS error codes that mean "not now" rather than "no": throttling and the service's own faults.
_TRANSIENT_AWS_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


_TRANSIENT_CANCELLATIONS = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}
)


def dependency_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is an AWS dependency throttling, failing or unreachable.

    botocore has already retried such a call (standard mode); what still fails is an outage the
    caller should retry later (503 with ``Retry-After``), not a bug (500). pynamodb wraps the
    botocore error as ``cause``; the chain is walked for either.
    """
    exceptions = sys.modules.get("botocore.exceptions")
    if exceptions is None:
        return False
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, exceptions.ClientError):
            details = current.response.get("Error", {})
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if details.get("Code") in _TRANSIENT_AWS_CODES or status >= 500:
                return True
            reasons = {reason.get("Code") for reason in current.response.get("CancellationReasons") or []}
            if reasons & _TRANSIENT_CANCELLATIONS:  # a transaction refused for load, not for its conditions
                return True
        if isinstance(current, exceptions.HTTPClientError | exceptions.ConnectionError):
            return True
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return False


STAFF_ROLES = frozenset({"admin", "support"})


def is_staff_write(method: str, roles: tuple[str, ...] | None) -> bool:
    """A route only staff may call that changes something: it must write an audit entry."""
    return method != "GET" and bool(roles) and set(roles or ()) <= STAFF_ROLES


def _check_audited(method: str, roles: tuple[str, ...] | None, status: int) -> None:
    """Flag a successful staff write that built no audit entry (a bug: every one must)."""
    if status < 300 and is_staff_write(method, roles) and request_context.audited() == 0:
        logger.warning("staff write without an audit entry (a no-op, or a bug)")
        metrics.add_metric(name="UnauditedStaffWrites", unit="Count", value=1)


_PATH_VALUE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _check_path(path_params: dict[str, str]) -> None:
    """Ids are short ASCII tokens: anything else cannot name a resource, so it is not found."""
    if not all(_PATH_VALUE.fullmatch(value) for value in path_params.values()):
        raise NotFound()


def _new_request_id() -> str:
    from chalicelib.ids import new_id

    return new_id("req")


def _authorize(
    headers: dict[str, str], roles: tuple[str, ...] | None, *, optional: bool = False
) -> Principal | None:
    if roles is None and not (optional and headers.get("authorization")):
        return None
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    principal = _authenticator()(token.strip())
    if roles is not None and principal.role not in roles:
        from chalicelib.errors import Forbidden

        raise Forbidden()
    logger.thread_safe_append_keys(user_id=principal.user_id, role=principal.role)
    return principal


def _raw(raw: str | bytes | None) -> bytes:
    return raw.encode() if isinstance(raw, str) else raw or b""


def _parse_body(raw: str | bytes | None, model: type[BaseModel] | None) -> BaseModel:
    """The body as ``model``: parsed and validated in one step by pydantic-core (no ``json.loads``
    into Python objects first); a body that is not JSON is 400 ``malformed_json``."""
    if model is None:
        return _EmptyBody()
    text = (raw or b"").strip() if isinstance(raw, bytes | None) else raw.encode().strip()
    if not text:
        return cast(BaseModel, _validate(model, {}, "body"))
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        if any(problem["type"] == "json_invalid" for problem in error.errors(include_url=False)):
            raise AppError("malformed_json") from error
        raise ValidationFailed(details=field_errors(error, "body")) from error


def _validate(model: type[BaseModel] | None, payload: Any, where: str) -> Any:
    if model is None:
        return None
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise ValidationFailed(details=field_errors(error, where)) from error


def field_errors(error: ValidationError, where: str) -> list[dict[str, Any]]:
    """pydantic's errors as ``{"field", "in", "code", "message"}`` entries."""
    details = []
    for item in error.errors(include_url=False, include_input=False):
        loc = [str(part) for part in item["loc"]]
        details.append(
            {
                "field": ".".join(loc) if loc else where,
                "in": where,
                "code": item["type"],
                "message": item["msg"],
            }
        )
    return details


def _success(result: BaseModel | Reply | None, status: int, locale: str, request_id: str) -> Response:
    if isinstance(result, Reply):
        return _json_response(result.status, result.body, locale, request_id, result.headers)
    if result is None:
        return _json_response(204 if status == 200 else status, None, locale, request_id)
    return _json_response(status, result, locale, request_id)


def error_response(error: AppError, locale: str, request_id: str) -> Response:
    """The contract's error body for ``error``."""
    body = {
        "error": {
            "code": error.code,
            "message": i18n.message(error.code, locale, **error.params),
            "details": error.details,
        }
    }
    return _json_response(error.status, body, locale, request_id, error.headers)


def _json_response(
    status: int,
    body: Any,
    locale: str,
    request_id: str,
    extra: dict[str, str] | None = None,
) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Language": locale,
        "X-Request-Id": request_id,
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    if body is None:
        return Response(body="", status_code=status, headers=headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    # A model goes to JSON in pydantic-core in one step, not through a dict and ``json.dumps``.
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body, ensure_ascii=False)
    return Response(body=text, status_code=status, headers=headers)
