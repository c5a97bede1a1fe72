"""Request bodies of the live-in term routes (contract extensions of API.md "Orders")."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from chalicelib.web.schemas import StrictModel

__all__ = ["ReplaceIn", "ReplacementRequestIn", "TermEndIn", "TermExtendIn", "TermStartIn"]

_ID = r"^[A-Za-z0-9_-]{1,64}$"


class TermStartIn(StrictModel):
    """The term's first day, inside the window booked with ``start_window_days``."""

    start_date: dt.date


class TermEndIn(StrictModel):
    """End a live-in term early: ``last_date`` (default today) is its last day served."""

    last_date: dt.date | None = None
    reason: str = Field(min_length=1, max_length=500)


class TermExtendIn(StrictModel):
    """Extend by ``days`` (a `per_term` 月嫂 term, pro rata) or ``months`` (a `per_month` job)."""

    days: int | None = Field(None, ge=1, le=366)
    months: int | None = Field(None, ge=1, le=24)


class ReplacementRequestIn(StrictModel):
    """The customer asks for another worker for the rest of a live-in term (换人)."""

    reason: str = Field(min_length=1, max_length=500)


class ReplaceIn(StrictModel):
    """Support/admin approves a replacement: ``worker_id`` takes the days from ``from_date``
    (default tomorrow) to the end of the term."""

    worker_id: str = Field(pattern=_ID)
    from_date: dt.date | None = None
    reason: str = Field(min_length=1, max_length=500)
