"""Text that a spreadsheet would run as a formula, written so that it stays text.

A reason, a team or an agent id comes from a helpdesk, so from anyone who can open a ticket. A
cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula ("CSV injection", OWASP), which can fetch a URL or run
a command on the reader's machine. Every cell of an export goes through one of these two:
in CSV such text gets a leading `'` (OWASP's advice; spreadsheets show it, and read the rest as
text); in XLSX it is stored as a string cell with the "quote prefix" style, which Excel keeps
as text even when the cell is edited, so the value reads exactly as it was.
"""

from typing import Any

from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """The value to write in a CSV cell."""
    return "'" + value if is_formula_like(value) else value


def xlsx_cell(sheet: Worksheet, value: Any) -> Any:
    """The value or cell to append to an XLSX row."""
    if not is_formula_like(value):
        return value
    cell = Cell(sheet, value=value)
    cell.data_type = "s"  # openpyxl takes text beginning with = for a formula
    cell.quotePrefix = True
    return cell
