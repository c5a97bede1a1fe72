"""Pydantic shapes shared by every route: the contract's error body and list envelope."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ErrorBody", "ErrorDetail", "FieldError", "Page", "StrictModel"]

T = TypeVar("T")


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, so a typo is a 422 and not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the failing field, e.g. `emergency_contact.phone`.")
    code: str
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable snake_case code.")
    message: str = Field(description="Human text in the caller's language.")
    details: list[FieldError | dict[str, Any]] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Every 4xx (and the rare 5xx) answer."""

    error: ErrorDetail


class Page(BaseModel, Generic[T]):
    """A page of a list; pass ``next_cursor`` back as ``?cursor=`` for the next one."""

    items: list[T]
    next_cursor: str | None = None
