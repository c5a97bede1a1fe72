"""What each report holds: typed columns and rows streamed from the day index or the aggregates.

``orders`` and ``workers`` read the orders of the range day by day through the orders-by-start-day
index (one Query page at a time, never the whole range in memory); ``revenue`` and
``satisfaction`` read the daily aggregates. No row carries a phone, an ID number or a street
address: an order shows its city and district only, people by their ids.

The row reports are built from one source per day, :func:`day_rows`, combined by
:func:`combine_days`: the inline export runs both in one go, the split export
(``chalicelib.analytics.export_split``) writes each day's rows as a part and combines the parts,
so both paths compute the same rows the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from chalicelib.analytics.metrics import figures
from chalicelib.analytics.queries import days_between
from chalicelib.analytics.store import DaySums, read_days

__all__ = ["ORDER_COLUMNS", "ROW_REPORTS", "Column", "ReportData", "combine_days", "day_rows", "report_data"]

Kind = Literal["text", "date", "yuan", "int", "rate"]


@dataclass(frozen=True)
class Column:
    """A report column: its shown title, its kind, and (orders only) its machine name.

    ``name`` is the key of the column in the lake's JSON lines and the Glue table's column
    (``chalicelib.analytics.lake``); only the orders report, which the lake holds, needs one.
    """

    title: str
    kind: Kind = "text"
    name: str = ""


@dataclass
class ReportData:
    """A report: its columns, a row iterator, headline figures and the chart series."""

    title: str
    first: date
    last: date
    columns: list[Column]
    rows: Iterator[list[Any]]
    headline: list[tuple[str, str]] = field(default_factory=list)
    orders_by_day: list[tuple[str, int]] = field(default_factory=list)
    revenue_by_category: list[tuple[str, int]] = field(default_factory=list)


TITLES = {
    "orders": "订单明细 Orders",
    "revenue": "收入报表 Revenue",
    "workers": "服务人员报表 Workers",
    "satisfaction": "满意度报表 Satisfaction",
}


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def _orders(first: date, last: date) -> Iterator[Any]:
    from chalicelib.orders.day_index import orders_starting_on

    for day in days_between(first, last):
        yield from orders_starting_on(day)


ORDER_COLUMNS: tuple[Column, ...] = (
    Column("订单号 Order", name="order_id"),
    Column("下单日期 Created", "date", "created_on"),
    Column("服务日期 Start", "date", "start_on"),
    Column("类别 Category", name="category"),
    Column("城市 City", name="city"),
    Column("区 District", name="district"),
    Column("状态 Status", name="status"),
    Column("金额 Price (¥)", "yuan", "price_fen"),
    Column("退款 Refund (¥)", "yuan", "refund_fen"),
    Column("客户 Customer id", name="customer_id"),
    Column("服务人员 Worker id", name="worker_id"),
)
"""The orders report's columns, in the order of :func:`_order_rows`' values (also the lake's)."""

ROW_REPORTS = ("orders", "workers")
"""The reports whose rows come from the orders themselves (the others from the daily aggregates)."""


def _order_rows(day: str) -> Iterator[list[Any]]:
    for order in _orders(date.fromisoformat(day), date.fromisoformat(day)):
        address = order.address or {}
        yield [
            order.order_id,
            date.fromisoformat(order.created_at[:10]),
            date.fromisoformat(order.start_at[:10]),
            order.category,
            address.get("city") or "",
            address.get("district") or "",
            order.status,
            int(order.price_amount),
            int(order.refund_amount or 0),
            order.customer_id,
            order.worker_id or "",
        ]


def _worker_sums(day: str) -> Iterator[list[Any]]:
    """``[worker id, jobs, completed, gmv, minutes]`` per worker of the day's orders."""
    per: dict[str, list[int]] = {}
    for order in _orders(date.fromisoformat(day), date.fromisoformat(day)):
        if not order.worker_id:
            continue
        row = per.setdefault(order.worker_id, [0, 0, 0, 0])
        row[0] += 1
        if order.status == "completed":
            row[1] += 1
            row[2] += int(order.price_amount)
        row[3] += int(order.duration_minutes)
    for worker_id, sums in sorted(per.items()):
        yield [worker_id, *sums]


def _worker_rows(days: Iterable[Iterable[list[Any]]]) -> Iterator[list[Any]]:
    per: dict[str, list[int]] = {}
    for sums in days:
        for worker_id, *values in sums:
            row = per.setdefault(worker_id, [0, 0, 0, 0])
            for n, value in enumerate(values):
                row[n] += int(value)
    for worker_id, (jobs, completed, gmv, minutes) in sorted(per.items()):
        yield [worker_id, jobs, completed, gmv, round(minutes / 60, 1)]


def day_rows(report: str, day: str) -> Iterator[list[Any]]:
    """One day's share of a row report (``ROW_REPORTS``): its order rows, or its per-worker sums.

    The values are plain JSON values and ``date``s, so a day's share can be stored as a part and
    read back unchanged.
    """
    return _order_rows(day) if report == "orders" else _worker_sums(day)


def combine_days(report: str, days: Iterable[Iterable[list[Any]]]) -> Iterator[list[Any]]:
    """The report's rows from its days' shares, in day order: orders follow each other, workers add up."""
    if report == "orders":
        return (row for rows in days for row in rows)
    return _worker_rows(days)


def _per_day_category(by_day: dict[str, DaySums], build: Any) -> Iterator[list[Any]]:
    for day, sums in by_day.items():
        dims = sorted(
            {key.split("|", 1)[1] for key in sums.counters if key.split("|", 1)[1].startswith("c:")}
        )
        for dim in dims:
            yield build(date.fromisoformat(day), dim[2:], figures(sums.counters, sums.sketches, dim, 1))


def report_data(
    report: str, first: date, last: date, days: Iterable[Iterable[list[Any]]] | None = None
) -> ReportData:
    """The data of ``report`` over ``first``..``last`` (Asia/Shanghai days, inclusive).

    ``days``: the days' shares of a row report (``day_rows``) read back from elsewhere (the parts
    of a split export), in day order; by default they are read here.
    """
    by_day = read_days(days_between(first, last))
    if report in ROW_REPORTS and days is None:
        days = (day_rows(report, day) for day in days_between(first, last))
    total = DaySums()
    for sums in by_day.values():
        total.merge(sums)
    shown = figures(total.counters, total.sketches, "all", len(by_day))
    categories = sorted({key.split("|", 1)[1][2:] for key in total.counters if "|c:" in key})
    data = ReportData(
        title=TITLES[report],
        first=first,
        last=last,
        columns=[],
        rows=iter(()),
        headline=[
            ("订单数 Orders", str(shown["orders"]["created"])),
            ("完成 Completed", str(shown["orders"]["completed"])),
            ("成交额 GMV", _yuan(shown["gmv"])),
            ("平台收入 Platform take", _yuan(shown["platform_take"])),
            ("退款 Refunds", _yuan(shown["refunds"])),
            ("活跃客户 Active customers", str(shown["active_customers"])),
            ("活跃服务人员 Active workers", str(shown["active_workers"])),
            (
                "投诉率 Complaint rate",
                "—" if shown["complaint_rate"] is None else f"{shown['complaint_rate']:.1%}",
            ),
        ],
        orders_by_day=[(day, sums.counters.get("orders_created|all", 0)) for day, sums in by_day.items()],
        revenue_by_category=[(code, total.counters.get(f"gmv|c:{code}", 0)) for code in categories],
    )
    if report == "orders":
        data.columns = list(ORDER_COLUMNS)
        data.rows = combine_days(report, days or ())
    elif report == "workers":
        data.columns = [
            Column("服务人员 Worker id"),
            Column("订单 Jobs", "int"),
            Column("完成 Completed", "int"),
            Column("成交额 GMV (¥)", "yuan"),
            Column("服务时长 Hours", "int"),
        ]
        data.rows = combine_days(report, days or ())
    elif report == "revenue":
        data.columns = [
            Column("日期 Date", "date"),
            Column("类别 Category"),
            Column("支付订单 Paid", "int"),
            Column("成交额 GMV (¥)", "yuan"),
            Column("平台收入 Take (¥)", "yuan"),
            Column("退款 Refunds (¥)", "yuan"),
            Column("服务人员所得 Worker payouts (¥)", "yuan"),
        ]
        data.rows = _per_day_category(
            by_day,
            lambda day, code, f: [
                day,
                code,
                f["orders"]["paid"],
                f["gmv"],
                f["platform_take"],
                f["refunds"],
                f["worker_payouts"],
            ],
        )
    else:
        data.columns = [
            Column("日期 Date", "date"),
            Column("类别 Category"),
            Column("评价 Reviews", "int"),
            Column("质量 Quality", "rate"),
            Column("态度 Attitude", "rate"),
            Column("技能 Skill", "rate"),
            Column("投诉 Complaints", "int"),
            Column("投诉率 Complaint rate", "rate"),
        ]
        data.rows = _per_day_category(
            by_day,
            lambda day, code, f: [
                day,
                code,
                f["reviews"],
                f["average_ratings"]["quality"],
                f["average_ratings"]["attitude"],
                f["average_ratings"]["skill"],
                f["complaints"],
                f["complaint_rate"],
            ],
        )
    return data
