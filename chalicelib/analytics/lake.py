"""The analytics lake: each day's orders as one gzip JSON-lines partition that Athena queries.

Past what one Lambda can export (``docs/analytics.md``), questions over months or years of
orders go to Athena. The nightly run (``chalicelib.analytics.nightly``) writes the previous
day's orders to ``orders/dt=<day>/orders.json.gz`` in the lake bucket (``LAKE_BUCKET``; the
exports bucket expires everything after 30 days): the rows of the ``orders`` report
(``report_rows.day_rows``, masked like every export: no phone, ID number or street address),
one JSON object a line keyed by ``report_rows.ORDER_COLUMNS``' names. The CDK Glue table
``orders`` (``infra/cdk/capabilities/lake.py``) takes its columns from :data:`GLUE_COLUMNS`,
so the writer and the table cannot drift apart.

The rows are streamed through a gzip temporary file (``uploads.upload_json_lines``: memory
stays flat whatever the day's volume) and uploaded under a fixed key: a run repeated for the same day overwrites the
partition, never adds a second file to it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.analytics.report_rows import ORDER_COLUMNS, day_rows
from chalicelib.config import settings

__all__ = ["FIRST_DAY", "GLUE_COLUMNS", "GLUE_TYPES", "ORDERS_PREFIX", "partition_key", "write_orders"]

ORDERS_PREFIX = "orders/"
"""The orders table's location in the lake bucket; partitions are ``dt=<yyyy-MM-dd>/`` under it."""

GLUE_TYPES: dict[str, str] = {
    "text": "string",
    "date": "date",
    "yuan": "bigint",
    "int": "bigint",
    "rate": "double",
}
"""A report column's kind as a Glue (Hive) type: dates ``yyyy-MM-dd``, money integer fen."""

GLUE_COLUMNS: tuple[tuple[str, str, str], ...] = tuple(
    (
        column.name,
        GLUE_TYPES[column.kind],
        f"{column.title}: integer fen" if column.kind == "yuan" else column.title,
    )
    for column in ORDER_COLUMNS
)
"""``(name, Glue type, comment)`` of every column of the lake's orders, in the writer's order."""

FIRST_DAY = "2025-01-01"
"""The first day the Glue table projects a partition for (its range runs to today).

Before the platform's first order, so a backfilled day is found; a day without a partition
reads as empty, and a query filtered on ``dt`` (as it should be) lists only its own days.
"""


def partition_key(day: str) -> str:
    """The object of ``day``'s orders (the same key on every run of that day)."""
    return f"{ORDERS_PREFIX}dt={date.fromisoformat(day).isoformat()}/orders.json.gz"


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def write_orders(day: str) -> dict[str, Any]:
    """Write (or overwrite) the partition of the orders starting on ``day``; ``{"key", "rows"}``."""
    from chalicelib.uploads import upload_json_lines

    names = [column.name for column in ORDER_COLUMNS]
    key = partition_key(day)
    records = (
        {name: _value(value) for name, value in zip(names, row, strict=True)}
        for row in day_rows("orders", day)
    )
    rows = upload_json_lines(settings().buckets["lake"], key, records, content_type="application/gzip")
    return {"key": key, "rows": rows}
