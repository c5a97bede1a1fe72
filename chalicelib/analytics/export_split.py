"""Exports too large for one Lambda, split by day through the ``export-split`` Step Functions workflow.

The exports consumer writes an export in one Lambda run (at most 15 minutes). A row report
(``orders``, ``workers``) reads every order of its range through the day index, so over a long
or a busy range that run may not finish. Such an export is split (:func:`should_split`): the
consumer starts ``export_split.asl.json`` (:func:`start`, once per export), which

- ``Plan``: takes the export (``running``) and lists its days, or says it is done already;
- ``WriteParts``: a Map over the days (bounded concurrency), each writing that day's share of
  the rows (``report_rows.day_rows``: masked as in any export) to
  ``<export prefix>parts/<day>.jsonl.gz``; the key is fixed, so a retried day overwrites;
- ``Assemble``: streams the parts in day order through ``report_rows.combine_days`` into the
  export's writer (``exports.publish``, as the inline path), marks it ``ready`` and drops the
  parts; a ``ready`` export is not assembled again;
- any task that has spent its retries goes to ``MarkFailed``: ``failed`` with the reason and the
  ``export_failed`` ops alert (``exports.fail``, as the inline path's last attempt).

Every step refreshes the export's ``updated_at`` when it starts, and no step runs longer than
a Lambda can, so a live split export is not shown as timed out (``exports.STALE_RUNNING``).

``revenue`` and ``satisfaction`` are never split: their rows are per day × category sums of
the daily aggregates (a fixed number of Queries a day, at most 366 days), small and fast
whatever the orders' volume; splitting them would only add the workflow's overhead.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from chalicelib.analytics import exports
from chalicelib.analytics.queries import days_between
from chalicelib.analytics.report_rows import ROW_REPORTS, day_rows, report_data
from chalicelib.config import settings
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.exports import ExportItem
from chalicelib.resources import WORKFLOWS, WorkflowSpec
from chalicelib.uploads import s3_client, upload_json_lines
from chalicelib.workflows.executions import execution_name, start_once

__all__ = [
    "SPLIT_AFTER_DAYS",
    "SPLIT_AFTER_ORDERS",
    "WORKFLOW",
    "assemble",
    "fail",
    "part_key",
    "plan",
    "should_split",
    "start",
    "write_part",
]

WORKFLOW: WorkflowSpec = next(spec for spec in WORKFLOWS if spec.name == "export-split")

SPLIT_AFTER_DAYS = 31
"""A row report over more days than this is split, whatever its volume (no estimate is read)."""
SPLIT_AFTER_ORDERS = 100_000
"""A shorter range is split when its daily aggregates count more orders created than this.

``bench/exports.py`` writes 1,000,000 orders within 15 minutes with the index Queries left out;
reading the orders is the unmeasured part, so the inline path keeps a wide margin. Orders are
counted by the day they were created, the index files them by the day they start: an estimate,
which is all the decision needs.
"""


def _orders_created(first: date, last: date) -> int:
    from chalicelib.analytics.store import read_days

    return sum(
        sums.counters.get("orders_created|all", 0) for sums in read_days(days_between(first, last)).values()
    )


def should_split(report: str, first: date, last: date) -> bool:
    """Whether the export of ``report`` over ``first``..``last`` goes through the workflow.

    Costs nothing for the aggregated reports and the long ranges; a shorter row report reads its
    days' aggregates (``store.SHARDS`` Queries a day, at most ``SPLIT_AFTER_DAYS`` days).
    """
    if report not in ROW_REPORTS or first == last:
        return False
    if (last - first).days + 1 > SPLIT_AFTER_DAYS:
        return True
    return _orders_created(first, last) > SPLIT_AFTER_ORDERS


def start(export_id: str) -> None:
    """Start the export's workflow, unless it was started already (the execution bears its id)."""
    start_once(WORKFLOW, execution_name("export", export_id), {"export_id": export_id})


def _load(export_id: str) -> ExportItem:
    try:
        return ExportItem.get(*ExportItem.key(export_id), consistent_read=True)
    except ExportItem.DoesNotExist:
        raise NotFound("export_not_found") from None


def _days(item: ExportItem) -> list[str]:
    return days_between(date.fromisoformat(item.date_from), date.fromisoformat(item.date_to))


def part_key(item: ExportItem, day: str) -> str:
    """Where the share of ``day`` of a split export is written (the same key on every try)."""
    return f"{exports.object_prefix(item)}parts/{day}.jsonl.gz"


def _encode(value: Any) -> Any:
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not a report value")


def _decode(value: dict[str, Any]) -> Any:
    return date.fromisoformat(value["$date"]) if value.keys() == {"$date"} else value


def _bucket() -> str:
    return settings().buckets["exports"]


def _read_part(key: str) -> Iterator[list[Any]]:
    body = s3_client().get_object(Bucket=_bucket(), Key=key)["Body"]
    with gzip.GzipFile(fileobj=body, mode="rb") as lines:
        for line in lines:
            yield json.loads(line, object_hook=_decode)


def _drop_parts(item: ExportItem) -> None:
    keys = [{"Key": part_key(item, day)} for day in _days(item)]
    for start_at in range(0, len(keys), 1000):  # DeleteObjects takes 1000 keys; a missing key is fine
        s3_client().delete_objects(
            Bucket=_bucket(), Delete={"Objects": keys[start_at : start_at + 1000], "Quiet": True}
        )


def plan(export_id: str) -> dict[str, Any]:
    """``{"export_id", "days", "done"}``: the days to write, or ``done`` if the export is settled."""
    item = _load(export_id)
    if item.status in ("ready", "failed"):
        return {"export_id": export_id, "days": [], "done": True}
    if item.report not in ROW_REPORTS:
        raise Conflict("export_not_splittable")
    if not exports.mark_running(export_id):  # settled since the read
        return {"export_id": export_id, "days": [], "done": True}
    return {"export_id": export_id, "days": _days(item), "done": False}


def write_part(export_id: str, day: str) -> dict[str, Any]:
    """Write the share of ``day`` of the export as gzipped JSON lines; ``{"rows": n}``."""
    item = _load(export_id)
    if day not in _days(item):
        raise Conflict("day_outside_export")
    if item.status in ("ready", "failed") or not exports.mark_running(export_id):
        return {"rows": 0, "skipped": True}
    rows = upload_json_lines(
        _bucket(),
        part_key(item, day),
        day_rows(str(item.report), day),
        content_type="application/x-ndjson",
        default=_encode,
    )
    return {"rows": rows, "skipped": False}


def assemble(export_id: str) -> dict[str, Any]:
    """Write the export's file from its parts in day order and mark it ``ready``; then drop the parts."""
    item = _load(export_id)
    if item.status == "failed":
        return {"status": "failed"}
    if item.status != "ready":
        if not exports.mark_running(export_id):  # settled since the read: failed, or ready by a twin
            return {"status": str(_load(export_id).status)}
        first, last = date.fromisoformat(item.date_from), date.fromisoformat(item.date_to)
        shares = (_read_part(part_key(item, day)) for day in _days(item))
        exports.publish(item, report_data(str(item.report), first, last, days=shares))
    _drop_parts(item)
    return {"status": "ready"}


def fail(export_id: str, reason: str) -> dict[str, Any]:
    """The workflow gave up: ``failed`` with ``reason`` and the ops alert; a ``ready`` export stays so."""
    item = _load(export_id)
    if item.status == "ready":
        return {"status": "ready"}
    exports.fail(export_id, reason)
    _drop_parts(item)
    return {"status": "failed"}
