"""A worker's monthly statement, as a PDF (with a chart of the month) or an xlsx, behind a short link.

The figures are the earnings view of the month (``chalicelib.payouts.earnings``: the ledger),
rendered by ``chalicelib.reports`` and stored in the exports bucket under
``statements/<worker id>/<yyyy-mm>/<rendered at>.<format>`` (the bucket expires objects after
30 days); the answer is a presigned GET valid for 15 minutes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import ValidationFailed
from chalicelib.payments.messages import yuan
from chalicelib.payouts.earnings import EarningItem, Earnings, earnings
from chalicelib.reports import Chart, Report, Table

__all__ = ["LINK_SECONDS", "StatementLink", "statement_for", "statement_link"]

LINK_SECONDS = 900
COLUMN_WEIGHTS = [3.4, 1.8, 1.6, 1.2, 1.2, 1.2, 1.9]  # order id, service, date, money x3, status
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_STATUS = {"pending": "待结算 pending", "available": "可提现 available", "withdrawn": "已提现 withdrawn"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class StatementLink:
    url: str
    expires_at: str
    key: str


def _month(month: str) -> tuple[date, date]:
    match = _MONTH.match(month)
    first = date(int(match.group(1)), int(match.group(2)), 1) if match else None
    if first is None or first > clock.now().date():
        raise ValidationFailed(
            "invalid_month",
            details=[{"field": "month", "in": "path", "code": "invalid_month", "message": "YYYY-MM"}],
        )
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _all_items(worker_id: str, first: date, last: date) -> tuple[Earnings, list[EarningItem]]:
    view = earnings(worker_id, first, last, "day", limit=100)
    items, cursor = list(view.items), view.next_cursor
    while cursor:
        page = earnings(worker_id, first, last, "day", limit=100, cursor=cursor)
        items += page.items
        cursor = page.next_cursor
    return view, items


def statement_for(worker_id: str, month: str) -> Report:
    """The statement of ``month`` (``YYYY-MM``, not in the future) as a format-free report."""
    first, last = _month(month)
    view, items = _all_items(worker_id, first, last)
    gross = sum(item.gross for item in items)
    net = sum(item.net for item in items)
    return Report(
        title=f"家政服务人员月度对账单 {month}",
        subtitle=f"Monthly statement · worker {worker_id} · {first.isoformat()} – {last.isoformat()} · "
        f"生成于 {clock.now():%Y-%m-%d %H:%M} (Asia/Shanghai)",
        summary=[
            ("本月订单数 Orders", str(len(items))),
            ("订单总额 Gross", yuan(gross)),
            ("平台佣金 Commission", yuan(gross - net)),
            ("本月收入 Net earnings", yuan(net)),
            ("待结算 Pending (now)", yuan(view.balance.pending)),
            ("可提现 Available (now)", yuan(view.balance.available)),
            ("已提现 Withdrawn (to date)", yuan(view.balance.withdrawn)),
        ],
        chart=Chart(
            title="每日收入 Daily earnings (元 CNY)",
            labels=[point.date[8:] for point in view.series],
            values=[point.amount / 100 for point in view.series],
        ),
        table=Table(
            headers=[
                "订单 Order",
                "服务 Service",
                "日期 Date",
                "总额 Gross",
                "佣金 Fee",
                "收入 Net",
                "状态 Status",
            ],
            rows=[
                [
                    item.order_id,
                    item.service_name or "",
                    item.date,
                    yuan(item.gross),
                    yuan(item.commission),
                    yuan(item.net),
                    _STATUS.get(item.status, item.status),
                ]
                for item in sorted(items, key=lambda item: item.completed_at)
            ],
        ),
        footer="金额单位：元（人民币）。待结算收入在争议期结束后转为可提现。Amounts in CNY; pending earnings "
        "become available when the dispute window ends.",
        sheet_name=f"Statement {month}",
    )


def statement_link(worker_id: str, month: str, fmt: str) -> StatementLink:
    """Render the statement, store it, and answer a 15-minute download link."""
    report = statement_for(worker_id, month)
    if fmt == "pdf":
        from chalicelib.reports.pdf import render_pdf

        body = render_pdf(report, COLUMN_WEIGHTS)
    else:
        from chalicelib.reports.xlsx import render_xlsx

        body = render_xlsx(report)
    from chalicelib.uploads import s3_client

    now = clock.now()
    key = f"statements/{worker_id}/{month}/{now:%Y%m%dT%H%M%S}.{fmt}"
    bucket = settings().buckets["exports"]
    s3 = s3_client()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPES[fmt])
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="statement-{month}.{fmt}"',
        },
        ExpiresIn=LINK_SECONDS,
    )
    return StatementLink(url=str(url), expires_at=clock.iso(now + timedelta(seconds=LINK_SECONDS)), key=key)
