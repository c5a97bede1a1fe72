"""``GET /v1/admin/analytics``: a period's metrics from the daily aggregates, never the orders.

The range is read day by day (``store.read_days``: a fixed number of Queries per day), summed
into the buckets of the granularity (Asia/Shanghai days, ISO weeks from Monday, calendar
months) and turned into figures by ``metrics.figures``. Distinct actors of a bucket are the
union of its days' sketches, so a week's active workers are not the sum of its days'.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from chalicelib.analytics.metrics import figures
from chalicelib.analytics.store import DaySums, read_days

__all__ = ["MAX_DAYS", "analytics", "bucket_start", "days_between"]

Granularity = Literal["day", "week", "month"]
MAX_DAYS = 366


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def bucket_start(day: date, granularity: Granularity) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _dimensions(sums: DaySums, prefix: str) -> list[str]:
    keys = set(sums.counters) | set(sums.sketches)
    return sorted({key.split("|", 1)[1] for key in keys if key.split("|", 1)[1].startswith(prefix)})


def analytics(first: date, last: date, granularity: Granularity) -> dict[str, Any]:
    """The metrics of ``first``..``last`` (inclusive): totals, a series by bucket, by category and district."""
    by_day = read_days(days_between(first, last))
    total = DaySums()
    buckets: dict[date, tuple[DaySums, list[str]]] = {}
    for day, sums in by_day.items():
        total.merge(sums)
        start = bucket_start(date.fromisoformat(day), granularity)
        bucket, days = buckets.setdefault(start, (DaySums(), []))
        bucket.merge(sums)
        days.append(day)
    span = len(by_day)
    series = [
        {
            "period": start.isoformat(),
            "from": days[0],
            "to": days[-1],
            **figures(sums.counters, sums.sketches, "all", len(days)),
        }
        for start, (sums, days) in sorted(buckets.items())
    ]
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "granularity": granularity,
        "currency": "CNY",
        "totals": figures(total.counters, total.sketches, "all", span),
        "series": series,
        "by_category": {
            dim[2:]: figures(total.counters, total.sketches, dim, span) for dim in _dimensions(total, "c:")
        },
        "by_district": {
            dim[2:]: figures(total.counters, total.sketches, dim, span) for dim in _dimensions(total, "d:")
        },
    }
