"""A file the reader downloads: its response, in CSV or XLSX, under its name."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse

from tickets.labels import labels_held

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(
    kind: str, filename: str, xlsx: Callable[[], bytes], csv: Callable[[], str | bytes]
) -> HttpResponse:
    """`filename.xlsx` or `filename.csv`, written by `xlsx()` or `csv()`, which read the reasons'
    labels once for the whole file."""
    with labels_held():
        if kind == "xlsx":
            response = HttpResponse(xlsx(), content_type=XLSX_TYPE)
        else:
            response = HttpResponse(csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response
