"""Importing a ticket history from CSV files (`manage.py import_history`).

- csv_rows: reading and checking rows, error messages;  formats: tickets.csv and contacts.csv;
- blocks: reading blocks of plain lines for COPY, as they are (PostgreSQL);
- registry: files other apps add (surveys' answers) and per-file counts;
- history: `history_import`, the transaction, facts refresh and signals;
- postgres: COPY and set-based upserts;  generic: batches through tickets.services (SQLite);
- console: progress bars, summary and rejected rows report for the command.
"""

from .csv_rows import Column, Format, Row, RowError
from .history import HistoryImportError, Rejects, history_import
from .registry import FileCounts, HistoryFile, history_file_register

__all__ = [
    "Column",
    "FileCounts",
    "Format",
    "HistoryFile",
    "HistoryImportError",
    "Rejects",
    "Row",
    "RowError",
    "history_file_register",
    "history_import",
]
