"""Query shapes shared by list endpoints."""

from __future__ import annotations

from pydantic import Field

from chalicelib.basemodel import Model

__all__ = ["ListQuery"]


class ListQuery(Model):
    """``?limit=`` (1-100, default 20) and ``?cursor=`` from the previous page."""

    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)
