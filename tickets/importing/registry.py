"""Files other apps add to a history directory, and what each file's import reports.

`tickets` knows only tickets.csv and contacts.csv. An app that keeps more history (surveys: answers,
agents' ratings, repeat causes) registers its files from its AppConfig.ready(), so the dependency
runs from that app to `tickets`, never back. Each registered file brings its format and one loader
per database path; the import reads, checks and stages the rows, then calls the loader inside the
same transaction.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .csv_rows import Format, Row, RowError
from .loader import PostgresLoader


@dataclass
class FileCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # The old and new times (answered, rated...) of the rows written: their local days' rollups
    # may change, and are rebuilt after the import. None: too many to list (rebuild them all).
    moments: list[datetime] | None = field(default_factory=list, compare=False, repr=False)
    # False for a file whose rows no contact rollup reads (agents' states): however many, they
    # do not make the import rebuild every rollup.
    rollups: bool = field(default=True, compare=False, repr=False)

    def add(self, created: int = 0, updated: int = 0, unchanged: int = 0) -> None:
        self.created += created
        self.updated += updated
        self.unchanged += unchanged


# (staging table holding the checked rows, the loader toolkit) -> counts. Rows whose references
# do not resolve go to `PostgresLoader.reject_where`.
PostgresLoad = Callable[[str, PostgresLoader], FileCounts]
# (batches of checked rows, reject(error)) -> counts.
GenericLoader = Callable[[Iterator[list[Row]], Callable[[RowError], None]], FileCounts]


@dataclass(frozen=True)
class HistoryFile:
    format: Format
    load_postgres: PostgresLoad
    load_generic: GenericLoader


_extra_files: dict[str, HistoryFile] = {}


def history_file_register(history_file: HistoryFile) -> None:
    """Add an optional file to every history import (idempotent: keyed by file name)."""
    _extra_files[history_file.format.file] = history_file


def extra_history_files() -> list[HistoryFile]:
    return list(_extra_files.values())


def history_rows_load(
    file: str, rows: list[list[str]], reject: Callable[[RowError], None]
) -> FileCounts:
    """Rows of a registered file held in memory (a helpdesk's ratings), each a list of text
    fields in the file's column order: checked as a file's lines, loaded by the file's generic
    loader, in the caller's transaction. Rows that fail go to `reject`. The days they fall on are
    announced (tickets.signals.history_changed), since the loaders write in bulk."""
    from .. import signals
    from .csv_rows import parse_time

    history_file = _extra_files.get(file)
    if history_file is None:
        raise LookupError(f"no app registered {file}")
    fmt = history_file.format
    checked = []
    for line, fields in enumerate(rows, start=1):
        try:
            checked.append(fmt.checked(fields, line))
        except RowError as error:
            reject(error)
    counts = history_file.load_generic(iter([checked]), reject)
    times = [i for i, column in enumerate(fmt.columns) if column.kind == "time"]
    moments = [parse_time(row.values[i]) for row in checked for i in times if row.values[i]]
    if counts.created or counts.updated:
        signals.history_changed.send(sender=HistoryFile, answers_at=moments)
    return counts
