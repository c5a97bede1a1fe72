"""What a report says, before it is a PDF or a workbook."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Chart", "Report", "Table"]


@dataclass(frozen=True)
class Chart:
    """One bar series: ``labels[i]`` has ``values[i]`` (already in the unit the axis shows)."""

    title: str
    labels: list[str]
    values: list[float]
    value_label: str = ""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str | int | float]]


@dataclass(frozen=True)
class Report:
    """A titled document: summary figures (label, value), an optional chart, one table."""

    title: str
    subtitle: str
    summary: list[tuple[str, str]]
    table: Table
    chart: Chart | None = None
    footer: str = ""
    sheet_name: str = "Report"
    extra_tables: list[tuple[str, Table]] = field(default_factory=list)
