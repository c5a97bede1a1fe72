"""The Chalice app: creation, blueprints and Lambda entry points. Nothing else lives here."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.config import settings
from chalicelib.handlers import (
    admin_alerts,
    admin_analytics,
    admin_audit,
    admin_orders,
    admin_settings,
    admin_support,
    admin_users,
    admin_workers,
    auth,
    availability,
    catalog,
    me,
    meta,
    order_chat,
    order_contact,
    order_terms,
    orders,
    payments,
    payouts,
    reviews,
    support,
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
    admin_orders,
    orders,
    payments,
    worker_orders,
    order_chat,
    reviews,
    payouts,
    order_terms,
    order_contact,
):
    app.register_blueprint(area.api.blueprint)

# support and administration (issue 10)
for area in (admin_audit, admin_users, admin_settings, support, admin_support, admin_alerts):
    app.register_blueprint(area.api.blueprint)

# analytics and exports (issue 11)
app.register_blueprint(admin_analytics.api.blueprint)

if settings().is_local:
    from chalicelib.handlers import dev

    app.register_blueprint(dev.api.blueprint)


@app.lambda_function(name="notifications_consumer")
def notifications_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer of the ``notifications`` queue (wired by CDK with ReportBatchItemFailures)."""
    from chalicelib.events.notifications import handler

    return handler(event, context)


@app.lambda_function(name="payment_events_consumer")
def payment_events_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer of the ``payment-events`` queue: verified Stripe webhooks, each processed once."""
    from chalicelib.events.payment_events import handler

    return handler(event, context)


@app.lambda_function(name="outbox_relay")
def outbox_relay(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream consumer of the main table: publishes order timeline events on the bus."""
    from chalicelib.events.outbox import handler

    return handler(event, context)


@app.lambda_function(name="order_events_consumer")
def order_events_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer of the ``order-events`` queue: the order workflow's reactions."""
    from chalicelib.events.order_events import handler

    return handler(event, context)


@app.lambda_function(name="order_timers_consumer")
def order_timers_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer of the ``order-timers`` queue: due order timers from EventBridge Scheduler."""
    from chalicelib.events.order_timers import handler

    return handler(event, context)


@app.lambda_function(name="workflow_steps")
def workflow_steps(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The task function of every Step Functions workflow: runs ``event["step"]``."""
    from chalicelib.workflows.steps import handler

    return handler(event, context)


@app.lambda_function(name="payout_run_starter")
def payout_run_starter(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Target of the daily 02:00 (Asia/Shanghai) schedule: starts that date's payout run once."""
    from chalicelib.payouts.run import start_scheduled

    return start_scheduled(event, context)


@app.lambda_function(name="payout_reconciliation")
def payout_reconciliation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Target of the daily 04:30 (Asia/Shanghai) schedule: the day before's payouts, ledger vs provider."""
    from chalicelib.payouts.reconciliation import run_scheduled

    return run_scheduled(event, context)


@app.lambda_function(name="analytics_events")
def analytics_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream consumer of the main table: order, review, ticket and sign-up events into the daily aggregates."""
    from chalicelib.analytics.consumer import handler

    return handler(event, context)


@app.lambda_function(name="exports_consumer")
def exports_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS consumer of the ``exports`` queue: renders each queued report into the exports bucket."""
    from chalicelib.analytics.export_job import handler

    return handler(event, context)


@app.lambda_function(name="analytics_nightly")
def analytics_nightly(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Target of the daily 03:00 (Asia/Shanghai) schedule: repair the day before, export its reports."""
    from chalicelib.analytics.nightly import run_scheduled

    return run_scheduled(event, context)
