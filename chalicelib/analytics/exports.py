"""Report exports: request (audited), queue, run with retries, list, and hand out 15-minute links.

An export is an ``ExportItem`` (``chalicelib.models.exports``). Requesting one writes the item
and its audit entry in one transaction, then queues ``{export_id}`` on the ``exports`` queue.
The consumer (``exports_consumer``) marks it ``running``, writes the file to the exports bucket
under ``exports/<on_demand|nightly>/<date>/<export id>/<report>.<format>`` through a temporary
file (rows are streamed), and marks it ``ready``. A failure puts it back to ``queued`` and lets
SQS retry; on the last attempt it becomes ``failed`` with the reason. A run that died without
a word (a timeout) shows as ``failed`` (``timed_out``) once it has been ``running`` longer than
a Lambda can run, so nothing stays ``running`` for ever.

A row report too large for one Lambda (``export_split.should_split``) is not written by the
consumer: it starts the ``export-split`` workflow (``chalicelib.analytics.export_split``), which
writes the file through the same :func:`publish` and fails it through the same :func:`fail`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import clock
from chalicelib.audit import Actor, AuditItem, entry
from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.ids import new_id
from chalicelib.models.base import transact_write
from chalicelib.models.exports import ExportItem
from chalicelib.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

    from chalicelib.analytics.report_rows import ReportData

__all__ = [
    "LINK_SECONDS",
    "MAX_ATTEMPTS",
    "fail",
    "get_export",
    "list_exports",
    "mark_running",
    "object_prefix",
    "publish",
    "request_export",
    "run_export",
]

LINK_SECONDS = 15 * 60
MAX_ATTEMPTS = 3  # the queue's maxReceiveCount: after it, failed
STALE_RUNNING = timedelta(minutes=20)  # longer than a Lambda may run (15 min)


@dataclass(frozen=True)
class ExportView:
    export_id: str
    kind: str
    report: str
    format: str
    date_from: str
    to: str
    status: str
    attempts: int
    created_at: str
    updated_at: str | None
    reason: str | None = None
    download_url: str | None = None
    expires_at: str | None = None

    def out(self) -> dict[str, Any]:
        body = dict(self.__dict__)
        body["from"] = body.pop("date_from")
        return body


def _new_item(
    kind: str, report: str, fmt: str, first: date, last: date, by: str, export_id: str | None = None
) -> ExportItem:
    export_id = export_id or new_id("exp")
    now = clock.iso()
    sort = f"{now}#{export_id}"
    return ExportItem(
        *ExportItem.key(export_id),
        export_id=export_id,
        kind=kind,
        report=report,
        format=fmt,
        date_from=first.isoformat(),
        date_to=last.isoformat(),
        status="queued",
        attempts=0,
        requested_by=by,
        created_at=now,
        updated_at=now,
        gsi1pk=f"EXPORTS#{kind}",
        gsi1sk=sort,
        gsi2pk="EXPORTS",
        gsi2sk=sort,
    )


def _queue(export_id: str) -> None:
    from chalicelib.aws import client
    from chalicelib.events.envelope import wrap
    from chalicelib.schemas.analytics import ExportJob

    envelope = wrap("export.requested", ExportJob(export_id=export_id), correlation_id=export_id)
    client("sqs").send_message(
        QueueUrl=settings().queue_urls["exports"], MessageBody=envelope.model_dump_json()
    )


def request_export(report: str, fmt: str, first: date, last: date, actor: Actor) -> str:
    """Record an on-demand export (audited) and queue it; returns its id."""
    item = _new_item("on_demand", report, fmt, first, last, actor.user_id)
    audit = entry(
        actor_id=actor.user_id,
        actor_role=actor.role,
        action="export.request",
        target_type="export",
        target_id=str(item.export_id),
        after={"report": report, "format": fmt, "from": first.isoformat(), "to": last.isoformat()},
        request_id=actor.request_id,
        ip=actor.ip,
    )

    with transact_write() as tx:
        tx.save(item, condition=ExportItem.pk.does_not_exist())
        tx.save(audit, condition=AuditItem.pk.does_not_exist())
    try:
        _queue(str(item.export_id))
    except Exception:  # nothing will run it: say so, rather than leave it queued for ever
        _set(str(item.export_id), status="failed", reason="not_queued")
        raise
    return str(item.export_id)


def queue_nightly(report: str, fmt: str, day: date) -> str | None:
    """Record and queue one nightly export of ``day`` once (the system's, not audited); None if done.

    When the message cannot be sent the record is taken back, so that the nightly run's retry
    (Lambda retries a failed scheduled invocation) records and queues it again instead of
    finding it done.
    """
    from pynamodb.exceptions import PutError

    export_id = f"exp_nightly_{day:%Y%m%d}_{report}_{fmt}"
    item = _new_item("nightly", report, fmt, day, day, "system", export_id)
    try:
        item.save(condition=ExportItem.pk.does_not_exist())
    except PutError:
        return None
    try:
        _queue(export_id)
    except Exception:
        item.delete(condition=ExportItem.status == "queued")
        raise
    return export_id


def _s3() -> Any:
    from chalicelib.uploads import s3_client

    return s3_client()


def _view(item: ExportItem, *, with_link: bool) -> ExportView:
    status, reason = str(item.status), item.reason
    if (
        status == "running"
        and item.updated_at
        and clock.now() - datetime.fromisoformat(item.updated_at) > STALE_RUNNING
    ):
        status, reason = "failed", "timed_out"
    url = expires = None
    if with_link and status == "ready" and item.s3_key:
        url = str(
            _s3().generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": settings().buckets["exports"],
                    "Key": item.s3_key,
                    "ResponseContentDisposition": f'attachment; filename="{item.report}-{item.date_from}-{item.date_to}.{item.format}"',
                },
                ExpiresIn=LINK_SECONDS,
            )
        )
        expires = clock.iso(clock.now() + timedelta(seconds=LINK_SECONDS))
    return ExportView(
        export_id=str(item.export_id),
        kind=str(item.kind),
        report=str(item.report),
        format=str(item.format),
        date_from=str(item.date_from),
        to=str(item.date_to),
        status=status,
        attempts=int(item.attempts or 0),
        created_at=str(item.created_at),
        updated_at=item.updated_at,
        reason=reason,
        download_url=url,
        expires_at=expires,
    )


def get_export(export_id: str) -> ExportView:
    """One export, with a fresh 15-minute link once ready (404 if unknown)."""
    try:
        item = ExportItem.get(*ExportItem.key(export_id), consistent_read=True)
    except ExportItem.DoesNotExist:
        raise NotFound("export_not_found") from None
    return _view(item, with_link=True)


def list_exports(kind: str | None, *, limit: int, cursor: str | None) -> tuple[list[ExportView], str | None]:
    """Exports (of one kind, or all), newest first."""
    scope = f"exports:{kind or 'all'}"
    start = decode_cursor(scope, cursor)
    index = ExportItem.gsi1 if kind else ExportItem.gsi2
    page = index.query(
        f"EXPORTS#{kind}" if kind else "EXPORTS",
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
    )
    items = list(page)
    last = page.last_evaluated_key
    return [_view(item, with_link=False) for item in items], encode_cursor(scope, last)


def _set(export_id: str, *, condition: Condition | None = None, **fields: Any) -> None:
    actions = [getattr(ExportItem, name).set(value) for name, value in fields.items()]
    actions.append(ExportItem.updated_at.set(clock.iso()))
    ExportItem(*ExportItem.key(export_id)).update(actions=actions, condition=condition)


def mark_running(export_id: str, **fields: Any) -> bool:
    """The export is being worked on (again): ``running``, ``updated_at`` now; False if it is
    settled (``ready`` or ``failed``) already.

    The condition matters: a workflow step still in flight when its Map has failed and the
    export turned ``failed`` must not set it back to ``running`` for ever.
    """
    from pynamodb.exceptions import UpdateError

    try:
        _set(export_id, condition=~ExportItem.status.is_in("ready", "failed"), status="running", **fields)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def object_prefix(item: ExportItem) -> str:
    """``exports/<kind>/<date>/<export id>/``: where the export's file (and a split one's parts) go."""
    day = str(item.created_at)[:10] if item.kind == "on_demand" else str(item.date_from)
    return f"exports/{item.kind}/{day}/{item.export_id}/"


def publish(item: ExportItem, data: ReportData) -> str:
    """Write ``data`` in the export's format to its key in the bucket and mark it ``ready``."""
    from chalicelib.analytics.writers import CONTENT_TYPES, write

    key = f"{object_prefix(item)}{item.report}.{item.format}"
    with tempfile.TemporaryFile() as spool:
        rows = write(data, str(item.format), spool)
        spool.seek(0)
        _s3().upload_fileobj(
            spool,
            settings().buckets["exports"],
            key,
            ExtraArgs={"ContentType": CONTENT_TYPES[str(item.format)], "Metadata": {"rows": str(rows)}},
        )
    _set(str(item.export_id), status="ready", s3_key=key)
    return key


def fail(export_id: str, reason: str) -> None:
    """The export's last try failed: ``failed`` with ``reason``, and the ops alert (opened once)."""
    from chalicelib.workflows.alerts import open_alert

    _set(export_id, status="failed", reason=reason)
    open_alert("export_failed", export_id, {"reason": reason})


def run_export(export_id: str, attempt: int) -> str:
    """Do one attempt of an export (the consumer's work); raises to have SQS retry it.

    A split export's attempt only starts its workflow (once: the execution is named after the
    export) and answers ``split``; the workflow takes it to ``ready`` or ``failed``.
    """
    from chalicelib.analytics import export_split
    from chalicelib.analytics.report_rows import report_data

    try:
        item = ExportItem.get(*ExportItem.key(export_id), consistent_read=True)
        if item.status in ("ready", "failed"):
            return str(item.status)
        if not mark_running(export_id, attempts=attempt, reason=None):  # settled since the read
            return str(ExportItem.get(*ExportItem.key(export_id), consistent_read=True).status)
        first, last = date.fromisoformat(item.date_from), date.fromisoformat(item.date_to)
        if export_split.should_split(str(item.report), first, last):
            export_split.start(export_id)
            return "split"
        publish(item, report_data(str(item.report), first, last))
    except ExportItem.DoesNotExist:
        return "unknown"
    except Exception as error:  # every step of the attempt, its own bookkeeping included
        reason = f"{type(error).__name__}: {error}"[:300]
        if attempt >= MAX_ATTEMPTS:
            fail(export_id, reason)
            return "failed"
        _set(export_id, status="queued", reason=reason)
        raise
    return "ready"
