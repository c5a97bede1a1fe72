"""A :class:`~chalicelib.reports.document.Report` as an A4 PDF: title, summary, bar chart, table.

The embedded CJK font (``fonts.cjk_font``) may carry no Latin glyphs (Droid Sans Fallback has
none), so every text is split into runs: CJK and other non-ASCII characters in the CJK font,
ASCII (digits, order ids, English labels) in Helvetica, one of the PDF standard fonts every
reader has.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from chalicelib.reports.document import Chart, Report, Table
from chalicelib.reports.fonts import cjk_font

__all__ = ["mixed", "render_pdf"]

ACCENT = "#2f6f9f"
LATIN = "Helvetica"
_ASCII_RUN = re.compile(r"[\x20-\x7e\u00a0-\u00ff\u2013\u2014]+")  # Helvetica's (WinAnsi) characters


def mixed(text: str) -> str:
    """Paragraph markup of ``text`` with its Latin runs in Helvetica (the rest stays in the CJK font)."""
    out, at = [], 0
    for run in _ASCII_RUN.finditer(text):
        out.append(escape(text[at : run.start()]))
        out.append(f'<font name="{LATIN}">{escape(run.group())}</font>')
        at = run.end()
    out.append(escape(text[at:]))
    return "".join(out)


def _chart(chart: Chart, width: float) -> object:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    drawing = Drawing(width, 160)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 40, 22, width - 50, 130
    bars.data = [chart.values or [0]]
    bars.bars[0].fillColor = colors.HexColor(ACCENT)
    bars.valueAxis.valueMin = 0
    top = max(chart.values or [0])
    bars.valueAxis.valueMax = top * 1.15 if top > 0 else 1
    bars.valueAxis.labels.fontName = LATIN
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.visibleGrid = True
    bars.valueAxis.gridStrokeColor = colors.HexColor("#dde3e8")
    bars.categoryAxis.categoryNames = chart.labels or [""]
    bars.categoryAxis.labels.fontName = LATIN
    bars.categoryAxis.labels.fontSize = 6
    drawing.add(bars)
    return drawing


def _table(table: Table, font: str, width: float, weights: list[float] | None = None) -> object:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, TableStyle
    from reportlab.platypus import Table as PdfTable

    head = ParagraphStyle("head", fontName=font, fontSize=7.5, leading=9.5, textColor=colors.white)
    body = ParagraphStyle("body", fontName=font, fontSize=7.5, leading=9.5)
    data = [
        [Paragraph(mixed(str(cell)), head) for cell in table.headers],
        *[[Paragraph(mixed(str(cell)), body) for cell in row] for row in table.rows],
    ]
    shares = weights or [1.0] * len(table.headers)
    widths = [width * share / sum(shares) for share in shares]
    flowable = PdfTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    flowable.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(ACCENT)),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef3f7")]),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c0c8d0")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return flowable


def render_pdf(report: Report, column_weights: list[float] | None = None) -> bytes:
    """The PDF bytes of ``report`` (Chinese text in the embedded CJK font, ASCII in Helvetica)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font, _ = cjk_font()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=report.title,
        author="Jiazheng",
    )
    title = ParagraphStyle("title", fontName=font, fontSize=17, leading=23)
    normal = ParagraphStyle("normal", fontName=font, fontSize=8.5, leading=12)
    heading = ParagraphStyle("heading", fontName=font, fontSize=10.5, leading=14, spaceAfter=2)
    summary = Table(["项目 Item", "金额 Amount"], [[label, value] for label, value in report.summary])
    story: list[object] = [
        Paragraph(mixed(report.title), title),
        Paragraph(mixed(report.subtitle), normal),
        Spacer(1, 4 * mm),
        _table(summary, font, document.width * 0.6, [3, 2]),
        Spacer(1, 5 * mm),
    ]
    if report.chart is not None:
        story += [
            Paragraph(mixed(report.chart.title), heading),
            _chart(report.chart, document.width),
            Spacer(1, 3 * mm),
        ]
    story.append(_table(report.table, font, document.width, column_weights))
    if report.footer:
        story += [Spacer(1, 4 * mm), Paragraph(mixed(report.footer), normal)]
    document.build(story)
    return out.getvalue()
