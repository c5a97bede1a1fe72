"""A :class:`~chalicelib.reports.document.Report` as an xlsx workbook, with a native bar chart."""

from __future__ import annotations

import io

from chalicelib.reports.document import Report

__all__ = ["render_xlsx"]


def render_xlsx(report: Report) -> bytes:
    """Sheet 1: title, summary, the table (numbers stay numbers) and a bar chart of ``report.chart``."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.sheet_name[:31]
    sheet.append([report.title])
    sheet["A1"].font = Font(size=14, bold=True)
    sheet.append([report.subtitle])
    sheet.append([])
    for label, value in report.summary:
        sheet.append([label, value])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(report.table.headers)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="2F6F9F")
    for row in report.table.rows:
        sheet.append(list(row))
    for column, width in zip("ABCDEFGH", (22, 20, 14, 12, 12, 12, 12, 12), strict=False):
        sheet.column_dimensions[column].width = width
    if report.chart is not None:
        data = book.create_sheet("Chart data")
        data.append(["", report.chart.value_label or report.chart.title])
        for category, amount in zip(report.chart.labels, report.chart.values, strict=True):
            data.append([category, amount])
        chart = BarChart()
        chart.title = report.chart.title
        chart.add_data(Reference(data, min_col=2, min_row=1, max_row=data.max_row), titles_from_data=True)
        chart.set_categories(Reference(data, min_col=1, min_row=2, max_row=data.max_row))
        chart.width, chart.height = 24, 9
        sheet.add_chart(chart, f"J{header_row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
