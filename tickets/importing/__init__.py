"""Importing a ticket history from CSV files (`manage.py import_history`).

- csv_rows: reading and checking rows, error messages;  formats: tickets.csv and contacts.csv;
- blocks: reading blocks of plain lines for COPY, as they are (PostgreSQL);
- registry: files other apps add (surveys' answers) and per-file counts;
- run: what every run shares (files, rejects, progress, the outcome);
- history: `history_import`, the transaction, facts refresh and signals;
- fingerprints: an export sent again unchanged, recognised by digest;
- loader: the PostgreSQL loader toolkit (staged rows to tables), for every file;
- postgres: the tickets and contacts run on PostgreSQL (COPY, set-based facts and upserts);
- generic: batches through tickets.services (SQLite);
- console: progress bars, summary and rejected rows report for the command.

What other apps use (surveys registers its files) is exported here, and only this.
"""

from .csv_rows import (
    Column,
    Format,
    Row,
    RowError,
    choice,
    free_text,
    optional_id,
    parse_time,
    raw_text,
    required_id,
    time_column,
    whole_number,
)
from .fingerprints import fingerprints_forget
from .history import HistoryImportError, Rejects, history_import
from .loader import PostgresLoader, Upserted
from .registry import FileCounts, HistoryFile, history_file_register

__all__ = [
    "Column",
    "FileCounts",
    "Format",
    "HistoryFile",
    "HistoryImportError",
    "PostgresLoader",
    "Rejects",
    "Row",
    "RowError",
    "Upserted",
    "choice",
    "fingerprints_forget",
    "free_text",
    "history_file_register",
    "history_import",
    "optional_id",
    "parse_time",
    "raw_text",
    "required_id",
    "time_column",
    "whole_number",
]
