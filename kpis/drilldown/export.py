"""A list as a CSV or XLSX file a spreadsheet opens as the manager expects.

The file names its list, period and filters (in its name and in its first lines), uses the
columns' labels as headers, writes yes/no for booleans and local date-times; the CSV is UTF-8
with a BOM and the separator of the page's language (`;` in French, where the comma is the
decimal mark); the XLSX has typed cells (numbers, dates) and a bold header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..attachments import attachment
from ..scope import zone
from .columns import Column

MAX_ROWS = 100_000


def _plain(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "bool":
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return value.astimezone(zone()).replace(tzinfo=None)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def csv_body(title: list[str], columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    out = io.StringIO()
    delimiter = ";" if (get_language() or "fr").startswith("fr") else ","
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for line in title:
        writer.writerow([line])
    writer.writerow([str(c.label) for c in columns])
    for row in rows:
        writer.writerow([_text(_plain(c.value(row), c)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_body(title: list[str], columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    """Written as it streams (openpyxl's write-only mode): memory does not grow with the list."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[0][:31])
    for line in title:
        sheet.append([line])
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=_plain(column.value(row), column))
            if column.kind == "datetime":
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(
    kind: str, name: str, title: list[str], columns: Sequence[Column], rows: Iterable[Any]
) -> HttpResponse:
    return attachment(
        kind,
        slugify(" ".join(title[:3]))[:120] or name,
        xlsx=lambda: xlsx_body(title, columns, rows),
        csv=lambda: csv_body(title, columns, rows),
    )
