"""Analytics for admins and support agents; report exports (on demand and nightly) for admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.lazy import lazy_import
from chalicelib.schemas.analytics import MAX_RANGE_DAYS, AnalyticsOut, AnalyticsQuery
from chalicelib.web import Api, Request

if TYPE_CHECKING:
    from chalicelib.analytics import queries
else:
    queries = lazy_import("chalicelib.analytics.queries")

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
