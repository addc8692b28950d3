"""A KPI's table as a file a person opens: CSV or XLSX, from the API and the overview.

The same rules as the lists' exports (kpis.drilldown.export): the file names the KPI, its
period and every filter, in its name and in its first lines; headers are the columns' labels;
codes are shown by their labels (the JSON keeps the codes); figures are rounded to the
precision the pages show; flags read yes/no. The CSV is UTF-8 with a BOM, with the separator
and decimal mark of the language (`;` and `,` in French); the XLSX has typed cells (numbers
with their decimals, dates) and a bold header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from surveys.models import RepeatCauseCode
from tickets.formulas import csv_cell, xlsx_cell
from tickets.labels import channel_label, direction_label, priority_label, reason_label
from tickets.models import Agent, Team

from .attachments import attachment
from .definition import FLAG, Column, Kpi
from .describe import period_described, segment_described
from .queries.base import Table
from .scope import Scope

# The leading columns of a table (kpis.queries.base.key_columns) as people call them.
KEY_LABELS = {
    "month": gettext_lazy("Month"),
    "week": gettext_lazy("Week"),
    "day": gettext_lazy("Day"),
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "agent_id": gettext_lazy("Agent"),
    "reason": gettext_lazy("Contact reason"),
    "priority": gettext_lazy("Priority"),
    "reason_code": gettext_lazy("Cause"),
    "direction": gettext_lazy("Direction"),
    "questionnaire": gettext_lazy("Questionnaire"),
}


def _cause(code: str) -> str:
    return str(RepeatCauseCode(code).label) if code in RepeatCauseCode.values else code


def _names(model: type[Team] | type[Agent]) -> Callable[[str], str]:
    named = {o.external_id: str(o) for o in model.objects.only("external_id", "name")}
    return lambda code: named.get(code, code)


def _key_readers(table: Table) -> dict[str, Callable[[Any], Any]]:
    """How each leading column's codes read (teams and agents: one query each, when present)."""
    keys = table.columns[: table.keys]
    readers: dict[str, Callable[[Any], Any]] = {
        "channel": channel_label, "reason": reason_label, "priority": priority_label,
        "reason_code": _cause, "direction": direction_label,
    }  # fmt: skip
    if "team" in keys:
        readers["team"] = _names(Team)
    if "agent_id" in keys:
        readers["agent_id"] = _names(Agent)
    return readers


def _header(kpi: Kpi, name: str) -> str:
    if name in KEY_LABELS:
        return str(KEY_LABELS[name])
    column = next((c for c in kpi.columns if c.name == name), None)
    return str(column.label) if column is not None else name


def _rounded(value: Any, column: Column | None) -> Any:
    """The value as shown: flags as yes/no, numbers to the column's precision."""
    if value is None:
        return None
    if isinstance(value, bool) or (column is not None and column.unit == FLAG):
        return _("yes") if value else _("no")
    if isinstance(value, float) and column is not None:
        return round(value, column.precision) if column.precision else round(value)
    return value


def _cells(kpi: Kpi, table: Table) -> list[tuple[str, Column | None, list[Any]]]:
    """(header, column, values) of each column, codes read as labels, figures rounded."""
    readers = _key_readers(table)
    out = []
    for i, name in enumerate(table.columns):
        column = next((c for c in kpi.columns if c.name == name), None)
        values = [row[i] for row in table.rows]
        if i < table.keys and name in readers:
            values = [readers[name](v) if v not in (None, "") else v for v in values]
        else:
            values = [_rounded(v, column) for v in values]
        out.append((_header(kpi, name), column, values))
    return out


def title_lines(kpi: Kpi, scope: Scope) -> list[str]:
    lines = [str(kpi.label), period_described(scope.start, scope.end)]
    lines += segment_described(dict(scope.filters))
    cuts = [str(KEY_LABELS.get(d, d)).lower() for d in scope.by]
    if scope.granularity:
        cuts.insert(0, str(KEY_LABELS[scope.granularity]).lower())
    if cuts:
        lines.append(_("By %(cuts)s") % {"cuts": ", ".join(cuts)})
    return lines


def file_name(kpi: Kpi, scope: Scope) -> str:
    parts = [kpi.name, scope.start.isoformat(), scope.end.isoformat()]
    parts += [f"{k} {v}" for k, v in sorted(scope.filters.items()) if v]
    return slugify(" ".join(parts))[:150] or kpi.name


def _french() -> bool:
    return (get_language() or "fr").startswith("fr")


def _csv_text(value: Any, column: Column | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = column.precision if column is not None and isinstance(value, float) else None
        return number_format(value, digits, use_l10n=True, force_grouping=False)
    return str(csv_cell(str(value)))


def csv_body(kpi: Kpi, scope: Scope, table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if _french() else ",", lineterminator="\r\n")
    for line in title_lines(kpi, scope):
        writer.writerow([csv_cell(line)])
    cells = _cells(kpi, table)
    writer.writerow([csv_cell(header) for header, _column, _values in cells])
    for r in range(len(table.rows)):
        writer.writerow([_csv_text(values[r], column) for _header, column, values in cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _number_format(column: Column | None) -> str:
    digits = column.precision if column is not None else 0
    return "0" if not digits else "0." + "0" * digits


def xlsx_body(kpi: Kpi, scope: Scope, table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = slugify(kpi.name)[:31] or "kpi"
    for line in title_lines(kpi, scope):
        sheet.append([xlsx_cell(sheet, line)])
    cells = _cells(kpi, table)
    sheet.append([xlsx_cell(sheet, header) for header, _column, _values in cells])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for r in range(len(table.rows)):
        sheet.append([xlsx_cell(sheet, values[r]) for _header, _column, values in cells])
        for cell, (_header, column, values) in zip(sheet[sheet.max_row], cells, strict=True):
            value = values[r]
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = _number_format(column)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def kpi_download(kpi: Kpi, scope: Scope, table: Table, kind: str) -> HttpResponse:
    return attachment(
        kind,
        file_name(kpi, scope),
        xlsx=lambda: xlsx_body(kpi, scope, table),
        csv=lambda: csv_body(kpi, scope, table),
    )
