"""What a panel shows: charts (as JSON for static/js/overview.js) and their tables.

A chart's data travels in a `json_script` block: labels, series with their values, n, 95 %
interval and the drill-down URL of each point, reference marks and alarm lines. The same numbers
are rendered on the server as a table beside the chart, so they read without a script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format

from ..queries.base import Table


def month_label(month: date) -> str:
    return date_format(month, "F Y")


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Series:
    label: str
    values: list[float | None]
    n: list[int] | None = None
    low: list[float | None] | None = None
    high: list[float | None] | None = None
    links: list[str] | None = None
    kind: str = ""  # "line" or "bar"; the chart's kind when empty
    dashed: bool = False
    stack: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "values": [rounded(v, 2) for v in self.values],
            "n": self.n,
            "low": [rounded(v, 2) for v in self.low] if self.low else None,
            "high": [rounded(v, 2) for v in self.high] if self.high else None,
            "links": self.links,
            "kind": self.kind,
            "dashed": self.dashed,
            "stack": self.stack,
        }


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # line or bar
    unit: str
    axis: str  # what the value axis measures, with its unit
    labels: list[str]
    series: list[Series]
    y_min: float | None = None
    y_max: float | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)  # targets, alarms, references
    horizontal: bool = False

    @property
    def empty(self) -> bool:
        return not any(v is not None and v != 0 for s in self.series for v in s.values)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "unit": self.unit,
            "axis": self.axis,
            "labels": self.labels,
            "series": [s.as_json() for s in self.series],
            "yMin": self.y_min,
            "yMax": self.y_max,
            "lines": self.lines,
            "horizontal": self.horizontal,
        }


@dataclass
class Cell:
    value: Any
    link: str = ""
    digits: int = 1
    unit: str = ""
    flag: bool = False  # from fewer answers than the minimum sample
    alarm: bool = False
    kind: str = "number"  # number, text, interval

    @property
    def is_number(self) -> bool:
        return self.kind in ("number", "interval")


@dataclass
class TableData:
    id: str
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    note: str = ""


def text(value: Any, link: str = "") -> Cell:
    return Cell(value, link=link, kind="text")


def number(value: Any, digits: int = 1, unit: str = "", link: str = "", **extra: Any) -> Cell:
    return Cell(value, link=link, digits=digits, unit=unit, **extra)


def count(value: int, link: str = "") -> Cell:
    return Cell(value, link=link, digits=0)


def interval(low: float | None, high: float | None, digits: int = 1) -> Cell:
    return Cell(None if low is None else (low, high), digits=digits, kind="interval")


def records(table: Table) -> list[dict[str, Any]]:
    return table.records()
