"""Operators' view of ops alerts (``GET /v1/admin/alerts``) and acknowledging one.

Stored alerts (``chalicelib.workflows.alerts``: a refund the saga could not make, a support
ticket past its first-response SLA, a failed payout once payouts open them) are listed by
status from gsi1 (``ALERTS#open`` / ``ALERTS#acknowledged``), newest first. Acknowledging moves
the alert to ``ALERTS#acknowledged`` with who and when, in one transaction with its audit entry
(condition: still open, else 409).

Dead letters are not stored: the open listing's first page starts with one live entry per
dead-letter queue that holds messages (``dlq_depth``, from SQS's approximate count), which
clears itself once the queue is redriven or purged and cannot be acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import audit, clock, i18n
from chalicelib.audit import Actor, AuditItem
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.base import transact_write
from chalicelib.observability import logger
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.workflows.alerts import OpsAlertItem

__all__ = ["AlertView", "acknowledge", "alert_id", "dlq_alerts", "list_alerts"]

DLQ_KIND = "dlq_depth"
_SEPARATOR = "__"

i18n.register({"alert_not_open": {"zh-CN": "该告警不是待处理状态", "en": "The alert is not open."}})


@dataclass(frozen=True)
class AlertView:
    alert_id: str
    kind: str
    subject: str
    status: str
    details: dict[str, Any]
    created_at: str
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None


def alert_id(kind: str, subject: str) -> str:
    """The path id of an alert: ``<kind>__<subject>`` (kinds and ids hold single underscores only)."""
    return f"{kind}{_SEPARATOR}{subject}"


def _view(item: OpsAlertItem) -> AlertView:
    return AlertView(
        alert_id=alert_id(item.kind, item.subject),
        kind=item.kind,
        subject=item.subject,
        status=item.status,
        details=dict(item.details or {}),
        created_at=item.created_at,
        acknowledged_at=item.acknowledged_at,
        acknowledged_by=item.acknowledged_by,
    )


def dlq_alerts() -> list[AlertView]:
    """One entry per dead-letter queue holding messages (a failure to ask SQS is logged, not fatal)."""
    from chalicelib.aws import client
    from chalicelib.config import settings

    found = []
    for name, url in sorted(settings().queue_urls.items()):
        if not url:
            continue
        try:
            attributes = client("sqs").get_queue_attributes(
                QueueUrl=f"{url}-dlq", AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        except Exception:
            logger.warning("dead-letter depth unavailable", queue=name)
            continue
        depth = int(attributes.get("ApproximateNumberOfMessages", 0))
        if depth > 0:
            found.append(
                AlertView(
                    alert_id=alert_id(DLQ_KIND, name.replace("-", "_")),
                    kind=DLQ_KIND,
                    subject=f"{name}-dlq",
                    status="open",
                    details={"queue": f"{name}-dlq", "messages": depth},
                    created_at=clock.iso(),
                )
            )
    return found


def list_alerts(status: str, *, limit: int, cursor: str | None) -> tuple[list[AlertView], str | None]:
    """Alerts in ``status`` newest first; the open list's first page starts with live DLQ depths."""
    scope = f"alerts:{status}"
    results = OpsAlertItem.gsi1.query(
        f"ALERTS#{status}",
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(scope, cursor),
    )
    views = [_view(item) for item in results]
    if status == "open" and not cursor:
        views = dlq_alerts() + views
    return views, encode_cursor(scope, results.last_evaluated_key)


def acknowledge(path_id: str, actor: Actor) -> AlertView:
    """Mark an open alert as seen by ``actor`` (audited); 404 unknown, 409 not open."""
    kind, separator, subject = path_id.partition(_SEPARATOR)
    if not separator or kind == DLQ_KIND:
        raise NotFound() if kind != DLQ_KIND else Conflict("alert_not_open")
    try:
        item = OpsAlertItem.get(*OpsAlertItem.key(kind, subject), consistent_read=True)
    except OpsAlertItem.DoesNotExist:
        raise NotFound() from None
    if item.status != "open":
        raise Conflict("alert_not_open")
    now = clock.iso()
    entry = audit.entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="alert.acknowledge",
        target_type="alert",
        target_id=f"{kind}.{subject}"[:128],
        before={"status": "open"},
        after={"status": "acknowledged"},
        details={"kind": kind, "subject": subject},
        request_id=actor.request_id,
        ip=actor.ip,
    )
    try:
        with transact_write() as transaction:
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
            transaction.update(
                item,
                actions=[
                    OpsAlertItem.status.set("acknowledged"),
                    OpsAlertItem.gsi1pk.set("ALERTS#acknowledged"),
                    OpsAlertItem.acknowledged_at.set(now),
                    OpsAlertItem.acknowledged_by.set(actor.user_id),
                ],
                condition=OpsAlertItem.status == "open",
            )
    except TransactWriteError as error:
        raise Conflict("alert_not_open") from error
    item.refresh(consistent_read=True)
    return _view(item)
