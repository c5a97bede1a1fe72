"""The Chalice app: creation, blueprints and Lambda entry points. Nothing else lives here."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.config import settings
from chalicelib.handlers import (
    admin_workers,
    auth,
    availability,
    catalog,
    me,
    meta,
    order_chat,
    orders,
    reviews,
    worker_orders,
    worker_search,
    workers,
)
from chalicelib.observability import powertools_middleware

app = Chalice(app_name="jiazheng")
app.register_middleware(powertools_middleware, "all")

for area in (
    meta,
    auth,
    me,
    catalog,
    workers,
    availability,
    worker_search,
    admin_workers,
    orders,
    worker_orders,
    order_chat,
    reviews,
):
    app.register_blueprint(area.api.blueprint)

if settings().is_local:
    from chalicelib.handlers import dev

    app.register_blueprint(dev.api.blueprint)


@app.lambda_function(name="notifications_consumer")
def notifications_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer of the ``notifications`` queue (wired by CDK with ReportBatchItemFailures)."""
    from chalicelib.events.notifications import handler

    return handler(event, context)
