"""The nightly analytics run (03:00 Asia/Shanghai): repair the day before, export it, add it to the lake.

First every shard of the previous day is recomputed from its journal (``store.repair_day``), so
the reports read repaired figures; then each report in each format is queued as a ``nightly``
export under ``exports/nightly/<day>/``. Export ids are derived from the day, report and format
and written only if absent, so a schedule that fires twice queues nothing twice. Last, the day's
orders are written as the lake's partition for Athena (``chalicelib.analytics.lake``), inline:
one day's rows, streamed, under a fixed key, so a run that fires twice (or a Lambda retry after
a failure) overwrites the partition and the steps before it do nothing new.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.analytics.store import repair_day
from chalicelib.observability import logger

__all__ = ["NIGHTLY", "run_nightly", "run_scheduled"]

NIGHTLY: tuple[tuple[str, str], ...] = tuple(
    (report, fmt)
    for report in ("orders", "revenue", "workers", "satisfaction")
    for fmt in ("xlsx", "pdf", "csv")
)


def run_nightly(day: date) -> dict[str, Any]:
    """Repair ``day``'s aggregates, queue its nightly exports (once each), (re)write its lake partition."""
    from chalicelib.analytics.exports import queue_nightly
    from chalicelib.analytics.lake import write_orders

    repaired = repair_day(day.isoformat())
    queued = [export_id for report, fmt in NIGHTLY if (export_id := queue_nightly(report, fmt, day))]
    lake = write_orders(day.isoformat())
    logger.info(
        "analytics nightly run",
        day=day.isoformat(),
        repaired=repaired,
        queued=len(queued),
        lake_key=lake["key"],
        lake_rows=lake["rows"],
    )
    return {"day": day.isoformat(), "repaired": repaired, "queued": len(queued), "lake_rows": lake["rows"]}


def run_scheduled(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The schedule's target: the Shanghai day before the scheduled time (else before now)."""
    raw = str(event.get("scheduled_time") or "")
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(clock.SHANGHAI)
    except ValueError:
        at = clock.now()
    return run_nightly(at.date() - timedelta(days=1))
