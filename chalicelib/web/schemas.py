"""Pydantic shapes shared by every route: the contract's error body and list envelope."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import ConfigDict, Field

from chalicelib.basemodel import Model

__all__ = ["ErrorBody", "ErrorDetail", "FieldError", "Page", "StrictModel"]

T = TypeVar("T")


class StrictModel(Model):
    """Request bodies: unknown fields are refused, so a typo is a 422 and not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class FieldError(Model):
    field: str = Field(description="Dotted path of the failing field, e.g. `emergency_contact.phone`.")
    code: str
    message: str


class ErrorDetail(Model):
    code: str = Field(description="Machine-readable snake_case code.")
    message: str = Field(description="Human text in the caller's language.")
    details: list[FieldError | dict[str, Any]] = Field(default_factory=list)


class ErrorBody(Model):
    """Every 4xx (and the rare 5xx) answer."""

    error: ErrorDetail


class Page(Model, Generic[T]):
    """A page of a list; pass ``next_cursor`` back as ``?cursor=`` for the next one."""

    items: list[T]
    next_cursor: str | None = None
