"""Analytics for admins and support agents; report exports (on demand and nightly) for admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.handlers.admin_users import actor_of
from chalicelib.lazy import lazy_import
from chalicelib.schemas.analytics import (
    MAX_RANGE_DAYS,
    AnalyticsOut,
    AnalyticsQuery,
    ExportCreated,
    ExportIn,
    ExportOut,
    ExportsQuery,
)
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.analytics import exports, queries
else:
    queries = lazy_import("chalicelib.analytics.queries")
    exports = lazy_import("chalicelib.analytics.exports")

api = Api("admin_analytics")


@api.get(
    "/v1/admin/analytics",
    roles=("admin", "support"),
    query=AnalyticsQuery,
    response=AnalyticsOut,
    errors=(422,),
)
def read_analytics(request: Request[Any]) -> AnalyticsOut:
    """Active users, orders, revenue, satisfaction and the pool by day/week/month, category and district.

    Read from the daily aggregates (docs/analytics.md), never from the orders; `from`..`to` are
    Asia/Shanghai days (default: today), at most 366 of them.
    """
    query: AnalyticsQuery = request.query
    last = query.to or clock.now().date()
    first = query.date_from or last
    if last < first or (last - first).days + 1 > MAX_RANGE_DAYS:
        code = "reversed_range" if last < first else "range_too_long"
        raise ValidationFailed(details=[{"field": "from", "code": code, "message": code}])
    return AnalyticsOut.model_validate(queries.analytics(first, last, query.granularity))


@api.post(
    "/v1/admin/exports",
    roles=("admin",),
    body=ExportIn,
    response=ExportCreated,
    status=202,
    errors=(422,),
)
def request_export(request: Request[Any]) -> ExportCreated:
    """Queue a report export (orders, revenue, workers, satisfaction × xlsx, pdf, csv) for a date range.

    Audited. `GET /v1/admin/exports/{export_id}` follows it to `ready` and its 15-minute link.
    """
    body: ExportIn = request.body
    export_id = exports.request_export(body.report, body.format, body.date_from, body.to, actor_of(request))
    return ExportCreated(export_id=export_id)


@api.get("/v1/admin/exports", roles=("admin",), query=ExportsQuery, response=Page[ExportOut], errors=(422,))
def list_exports(request: Request[Any]) -> Page[ExportOut]:
    """Exports, newest first; `?kind=nightly|on_demand` keeps one kind."""
    query: ExportsQuery = request.query
    views, cursor = exports.list_exports(query.kind, limit=query.limit, cursor=query.cursor)
    return Page[ExportOut](items=[ExportOut.model_validate(view.out()) for view in views], next_cursor=cursor)


@api.get("/v1/admin/exports/{export_id}", roles=("admin",), response=ExportOut, errors=(404,))
def get_export(request: Request[Any]) -> ExportOut:
    """One export: its status and, once `ready`, a presigned download link valid 15 minutes."""
    return ExportOut.model_validate(exports.get_export(request.path["export_id"]).out())
