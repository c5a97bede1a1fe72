"""Request and response shapes of the analytics and exports routes (API.md "Administration")."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.basemodel import Model
from chalicelib.schemas.common import ListQuery

__all__ = ["MAX_RANGE_DAYS", "AnalyticsOut", "AnalyticsQuery", "ExportIn", "ExportOut", "ExportsQuery"]

MAX_RANGE_DAYS = 366
"""The longest range (days) the analytics and an on-demand export take."""


def _check_range(first: dt.date | None, last: dt.date | None) -> None:
    if first is not None and last is not None:
        if last < first:
            raise PydanticCustomError("reversed_range", "`to` is before `from`")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise PydanticCustomError("range_too_long", "at most {days} days", {"days": MAX_RANGE_DAYS})


class AnalyticsQuery(Model):
    date_from: dt.date | None = Field(None, alias="from", description="First day (default: `to`).")
    to: dt.date | None = Field(None, description="Last day, inclusive (default: today, Asia/Shanghai).")
    granularity: Literal["day", "week", "month"] = "day"

    @model_validator(mode="after")
    def _range(self) -> AnalyticsQuery:
        _check_range(self.date_from, self.to)
        return self


class AnalyticsOut(Model):
    model_config = ConfigDict(defer_build=True, serialize_by_alias=True, validate_by_name=True)

    date_from: str = Field(alias="from")
    to: str
    granularity: str
    currency: str = "CNY"
    totals: dict[str, Any] = Field(description="Every metric of docs/analytics.md over the range.")
    series: list[dict[str, Any]] = Field(description="The same metrics per day, week or month.")
    by_category: dict[str, dict[str, Any]]
    by_district: dict[str, dict[str, Any]]


class ExportIn(Model):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    report: Literal["orders", "revenue", "workers", "satisfaction"]
    format: Literal["xlsx", "pdf", "csv"]
    date_from: dt.date = Field(alias="from")
    to: dt.date

    @model_validator(mode="after")
    def _range(self) -> ExportIn:
        _check_range(self.date_from, self.to)
        return self


class ExportOut(Model):
    model_config = ConfigDict(defer_build=True, serialize_by_alias=True, validate_by_name=True)

    export_id: str
    kind: Literal["on_demand", "nightly"]
    report: str
    format: str
    date_from: str = Field(alias="from")
    to: str
    status: Literal["queued", "running", "ready", "failed"]
    download_url: str | None = Field(None, description="A presigned S3 link, valid 15 minutes.")
    expires_at: str | None = None
    reason: str | None = None
    attempts: int = 0
    created_at: str
    updated_at: str | None = None


class ExportsQuery(ListQuery):
    kind: Literal["nightly", "on_demand"] | None = None


class ExportJob(Model):
    """The message the ``exports`` queue carries."""

    export_id: str


class ExportCreated(Model):
    export_id: str
    status: str = "queued"
