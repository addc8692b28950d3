"""Writing KPI tables out: a terminal table, JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tickets.formulas import csv_cell, xlsx_cell

from .queries.base import Table
from .report import plain, report_as_json


def as_plain(table: Table) -> dict[str, Any]:
    """A table as JSON-ready columns and rows (ISO dates, numeric agent ids as numbers)."""
    return report_as_json({"table": table})["table"]


def as_json(report: dict[str, Table]) -> str:
    return json.dumps(report_as_json(report), indent=1)


def as_csv(report: dict[str, Table]) -> str:
    """One CSV block per section, each preceded by a line naming it when there are several."""
    out = io.StringIO()
    # CRLF (RFC 4180): the writer then quotes a value holding a carriage return, which would
    # otherwise end the row in a spreadsheet and start another with what follows it.
    writer = csv.writer(out, lineterminator="\r\n")
    for i, (name, table) in enumerate(report.items()):
        if len(report) > 1:
            if i:
                writer.writerow([])
            writer.writerow([f"# {name}"])
        writer.writerow([csv_cell(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([_cell(v, c) for v, c in zip(row, table.columns, strict=True)])
    return out.getvalue()


def as_xlsx(report: dict[str, Table]) -> bytes:
    """One worksheet per section."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, table in report.items():
        sheet = book.create_sheet(title=name[:31])  # Excel's limit on sheet names
        sheet.append([xlsx_cell(sheet, c) for c in table.columns])
        for row in table.rows:
            sheet.append(
                [xlsx_cell(sheet, plain(v, c)) for v, c in zip(row, table.columns, strict=True)]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_text(report: dict[str, Table], extras: bool = False) -> str:
    """Aligned tables for a terminal; ratios rounded, `*` marks a figure from too few answers."""
    blocks = []
    for name, table in report.items():
        columns = [c for c in table.columns if extras or not _is_extra(c)]
        index = [table.columns.index(c) for c in columns]
        flagged = _flags(table)
        lines = [[*columns]]
        for row in table.rows:
            lines.append([_text(row[i], table.columns[i], row, flagged) for i in index])
        widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
        rendered = [
            "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
        ]
        rule = "-" * max((len(r) for r in rendered), default=0)
        blocks.append("\n".join([name, rule, rendered[0], rule, *rendered[1:]]))
    return "\n\n".join(blocks) + "\n"


def _is_extra(column: str) -> bool:
    return column.endswith(("_ci_low", "_ci_high", "low_sample"))


def _flags(table: Table) -> dict[str, int]:
    """For each figure, the index of the low-sample flag that qualifies it."""
    out: dict[str, int] = {}
    for i, column in enumerate(table.columns):
        if column.endswith("_low_sample"):
            prefix = column.removesuffix("_low_sample")
            for figure in table.columns:
                if (
                    figure.startswith(prefix)
                    and not _is_extra(figure)
                    and not figure.endswith("_n")
                ):
                    out[figure] = i
    return out


def _text(value: Any, column: str, row: list[Any], flagged: dict[str, int]) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        text = f"{value:.2f}"
        if column in flagged and row[flagged[column]]:
            text += "*"
        return text
    return str(plain(value, column))


def _cell(value: Any, column: str) -> Any:
    value = plain(value, column)
    return "" if value is None else csv_cell(value)
