"""Operational alerts for admins and support agents; admins acknowledge them."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.handlers.admin_users import actor_of
from chalicelib.lazy import lazy_import
from chalicelib.schemas.admin import AlertOut, AlertsQuery
from chalicelib.web import Api, Request
from chalicelib.web.schemas import Page

if TYPE_CHECKING:
    from chalicelib.admin import alerts
else:
    alerts = lazy_import("chalicelib.admin.alerts")

api = Api("admin_alerts")


@api.get(
    "/v1/admin/alerts", roles=("admin", "support"), query=AlertsQuery, response=Page[AlertOut], errors=(422,)
)
def list_alerts(request: Request[Any]) -> Page[AlertOut]:
    """Open (default) or acknowledged alerts, newest first; open ones start with non-empty dead-letter queues."""
    query: AlertsQuery = request.query
    views, cursor = alerts.list_alerts(query.status, limit=query.limit, cursor=query.cursor)
    return Page[AlertOut](items=[AlertOut.model_validate(asdict(view)) for view in views], next_cursor=cursor)


@api.post("/v1/admin/alerts/{alert_id}/acknowledge", roles=("admin",), response=AlertOut, errors=(404, 409))
def acknowledge_alert(request: Request[Any]) -> AlertOut:
    """Mark an open alert as seen (audited)."""
    return AlertOut.model_validate(asdict(alerts.acknowledge(request.path["alert_id"], actor_of(request))))
