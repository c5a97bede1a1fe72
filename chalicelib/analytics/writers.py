"""A report as CSV, xlsx or PDF, written row by row into a file (memory stays flat).

- CSV: UTF-8 with a BOM (Excel then opens Chinese correctly); yuan with two decimals from fen.
- xlsx: openpyxl's write-only (streaming) workbook: a summary sheet, the data sheet (frozen,
  styled header; dates as dates; yuan as numbers formatted ``#,##0.00``), and a chart sheet with
  native Excel charts (orders by day, revenue by category).
- PDF: ``chalicelib.reports.pdf``'s building blocks (embedded CJK font): a cover with the period
  and headline figures, the two charts, then the table, which repeats its header on every page.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any

from chalicelib.analytics.report_rows import Column, ReportData

__all__ = ["CONTENT_TYPES", "PDF_MAX_ROWS", "write"]

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PDF_MAX_ROWS = 5000
"""A PDF is for reading: past this many rows it says so and points at the xlsx or CSV."""


def _text(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "yuan":
        return f"{int(value) / 100:.2f}"
    if column.kind == "date":
        return str(value.isoformat())
    return str(value)


def write_csv(data: ReportData, out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([column.title for column in data.columns])
    count = 0
    for row in data.rows:
        writer.writerow([_text(column, value) for column, value in zip(data.columns, row, strict=True)])
        count += 1
    text.flush()
    text.detach()
    return count


def write_xlsx(data: ReportData, out: IO[bytes]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    summary.append([data.title])
    summary.append(["期间 Period", data.first, data.last])
    for label, value in data.headline:
        summary.append([label, value])

    sheet = book.create_sheet("Data")
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="2F6F9F")
    header = []
    for column in data.columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    formats = {"yuan": "#,##0.00", "date": "yyyy-mm-dd", "rate": "0.00", "int": "0"}
    count = 0
    for row in data.rows:
        cells = []
        for column, value in zip(data.columns, row, strict=True):
            shown: Any = int(value) / 100 if column.kind == "yuan" and value is not None else value
            cell = WriteOnlyCell(sheet, value=shown)
            if column.kind in formats:
                cell.number_format = formats[column.kind]
            cells.append(cell)
        sheet.append(cells)
        count += 1

    charts = book.create_sheet("Charts")
    charts.append(["日期 Day", "订单 Orders", "", "类别 Category", "成交额 GMV (¥)"])
    days, categories = data.orders_by_day, data.revenue_by_category
    for n in range(max(len(days), len(categories))):
        day = days[n] if n < len(days) else ("", None)
        category = categories[n] if n < len(categories) else ("", None)
        charts.append([day[0], day[1], None, category[0], None if category[1] is None else category[1] / 100])
    by_day = LineChart() if len(days) > 31 else BarChart()
    by_day.title = "订单/日 Orders by day"
    by_day.add_data(Reference(charts, min_col=2, min_row=1, max_row=len(days) + 1), titles_from_data=True)
    by_day.set_categories(Reference(charts, min_col=1, min_row=2, max_row=len(days) + 1))
    by_day.width, by_day.height = 22, 8
    charts.add_chart(by_day, "G2")
    revenue = BarChart()
    revenue.title = "成交额/类别 Revenue by category"
    revenue.add_data(
        Reference(charts, min_col=5, min_row=1, max_row=len(categories) + 1), titles_from_data=True
    )
    revenue.set_categories(Reference(charts, min_col=4, min_row=2, max_row=len(categories) + 1))
    revenue.width, revenue.height = 22, 8
    charts.add_chart(revenue, "G20")
    book.save(out)
    return count


def _thin(labels: list[str], most: int = 12) -> list[str]:
    """Every n-th axis label only, so a month of days stays readable."""
    step = max(1, -(-len(labels) // most))
    return [label if n % step == 0 else "" for n, label in enumerate(labels)]


def write_pdf(data: ReportData, out: IO[bytes]) -> int:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    from chalicelib.reports.document import Chart, Table
    from chalicelib.reports.fonts import cjk_font
    from chalicelib.reports.pdf import _chart, _table, mixed

    font, _ = cjk_font()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=data.title,
        author="Jiazheng",
    )
    title = ParagraphStyle("title", fontName=font, fontSize=22, leading=30)
    normal = ParagraphStyle("normal", fontName=font, fontSize=10, leading=14)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=16, spaceAfter=4)
    period = f"期间 Period: {data.first.isoformat()} — {data.last.isoformat()}（北京时间 Asia/Shanghai）"
    story: list[Any] = [
        Spacer(1, 30 * mm),
        Paragraph(mixed(f"家政平台 Jiazheng — {data.title}"), title),
        Spacer(1, 4 * mm),
        Paragraph(mixed(period), normal),
        Spacer(1, 8 * mm),
        _table(
            Table(["指标 Metric", "数值 Value"], [list(pair) for pair in data.headline]),
            font,
            document.width * 0.7,
            [3, 2],
        ),
        PageBreak(),
        Paragraph(mixed("订单/日 Orders by day"), heading),
        _chart(
            Chart(
                "", _thin([d[5:] for d, _ in data.orders_by_day]), [float(v) for _, v in data.orders_by_day]
            ),
            document.width,
        ),
        Spacer(1, 6 * mm),
        Paragraph(mixed("成交额/类别 Revenue by category (¥)"), heading),
        _chart(
            Chart(
                "", [c for c, _ in data.revenue_by_category], [v / 100 for _, v in data.revenue_by_category]
            ),
            document.width,
        ),
        PageBreak(),
        Paragraph(mixed(data.title), heading),
    ]
    rows: list[list[Any]] = []
    count = 0
    for row in data.rows:
        count += 1
        if count <= PDF_MAX_ROWS:
            rows.append([_text(column, value) for column, value in zip(data.columns, row, strict=True)])
    story.append(_table(Table([column.title for column in data.columns], rows), font, document.width))
    if count > PDF_MAX_ROWS:
        story.append(
            Paragraph(mixed(f"仅显示前 {PDF_MAX_ROWS} 行，共 {count} 行；完整数据见 xlsx / CSV。"), normal)
        )
    document.build(story)
    return count


def write(data: ReportData, fmt: str, out: IO[bytes]) -> int:
    """Write ``data`` as ``fmt`` into ``out``; returns the rows written."""
    return {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}[fmt](data, out)
