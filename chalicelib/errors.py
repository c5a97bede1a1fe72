"""Domain errors: one base class, each with the HTTP status and machine code of the contract.

The use cases raise these; the web layer (``chalicelib.web.routing``) turns any of them into the
contract's error body ``{"error": {"code", "message", "details"}}`` in the caller's language.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "ValidationFailed",
]


class AppError(Exception):
    """Base of every error a client is meant to see."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.code = code or type(self).code
        self.details = details or []
        self.headers = headers or {}
        self.params = params
        super().__init__(self.code)


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class ValidationFailed(AppError):
    """422 with one ``{"field", "code", "message"}`` entry per failing field."""

    status, code = 422, "validation_failed"


class RateLimited(AppError):
    """429; ``retry_after`` seconds go out as the ``Retry-After`` header."""

    status, code = 429, "rate_limited"

    def __init__(self, code: str | None = None, *, retry_after: int, **params: Any) -> None:
        super().__init__(code, headers={"Retry-After": str(max(1, int(retry_after)))}, **params)
        self.retry_after = retry_after


class ServiceUnavailable(AppError):
    """503 with ``Retry-After``: a dependency (DynamoDB, SQS, a provider) is throttling or down.

    Nothing was decided for the caller: retrying (with the same ``Idempotency-Key``) is safe.
    """

    status, code = 503, "service_unavailable"
    retry_after_seconds = 2

    def __init__(
        self, code: str | None = None, *, headers: dict[str, str] | None = None, **params: Any
    ) -> None:
        super().__init__(code, headers=headers or {"Retry-After": str(self.retry_after_seconds)}, **params)
