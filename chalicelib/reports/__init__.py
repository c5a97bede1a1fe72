"""Report rendering shared by the areas that hand out documents (worker statements, admin exports).

- ``document``: the content of a report, independent of its format (title, summary figures, one
  bar chart, one table);
- ``pdf``: a one-or-more-page PDF with Chinese text in an embedded CJK TrueType font and the
  chart drawn with reportlab's own graphics (no matplotlib);
- ``xlsx``: the same content as a workbook (openpyxl), with a native Excel bar chart;
- ``fonts``: which CJK font is embedded, and where it comes from.

reportlab and openpyxl are imported only inside the render functions: a cold start that renders
nothing never loads them.
"""

from chalicelib.reports.document import Chart, Report, Table

__all__ = ["Chart", "Report", "Table"]
