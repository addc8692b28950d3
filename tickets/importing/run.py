"""What every database's import run shares: the files to read, where rejects go, the progress,
and the outcome it hands back to `history_import` (what to refresh and announce).

Kept apart from `history` (which picks and drives a run) so that the runs import it and
`history` imports the runs, never the reverse.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from ..formulas import csv_cell
from .csv_rows import Format, RowError
from .registry import FileCounts, HistoryFile

# Above this many customers touched, one full refresh (set-based) beats refreshing by chunks.
FULL_REFRESH_FROM = 5_000
# Past this many rows written (tickets, contacts, answers...), one pass over the whole history
# rebuilds the rollups instead of marking dirty days and rebuilding those. Measured at a million
# contacts (README, "What an import costs"): writes spread over the history dirty every day from
# about 2,000 contacts on (each dirties a window before and after it), and then the marks cost
# extra (1.8 s at 2,000 contacts, 3.6 s at 20,000, 9.3 s at 50,000, against 16.9 s for the
# whole pass, under a load of 13); a day's export of a few thousand rows dirties 15-20 days.
ROLLUPS_REBUILD_FROM = 20_000


@dataclass
class Outcome:
    """What the writing path hands back: counts per file, and what to refresh and announce."""

    files: dict[str, FileCounts] = field(default_factory=dict)
    contacts_created: list[int] = field(default_factory=list)
    contacts_updated: list[int] = field(default_factory=list)
    tickets_solved: list[int] = field(default_factory=list)
    tickets_reopened: list[int] = field(default_factory=list)
    # Customers whose facts may have changed; None: refresh everything.
    customers: set[int] | None = field(default_factory=set)
    # The history was empty before: every fact and figure is computed afresh anyway.
    first_load: bool = False
    # Old and new values of what was written (tickets.signals.history_changed's arguments).
    marks: dict[str, list] = field(default_factory=dict)

    def counts(self, fmt: Format) -> FileCounts:
        return self.files.setdefault(fmt.file, FileCounts())

    def mark(self, **values: list) -> None:
        for name, items in values.items():
            self.marks.setdefault(name, []).extend(items)

    def written_rows(self) -> int:
        return sum(c.created + c.updated for c in self.files.values())

    def rollup_rows(self) -> int:
        """The written rows the contact rollups read: past ROLLUPS_REBUILD_FROM, rebuild them
        all rather than day by day."""
        return sum(c.created + c.updated for c in self.files.values() if c.rollups)

    def moments(self) -> list[datetime]:
        """The old and new times of the registered files' written rows (answers...)."""
        return [m for counts in self.files.values() for m in counts.moments or ()]


class Rejects:
    """Where bad rows go: stop the import (default), or a CSV report with --skip-invalid."""

    COLUMNS = ("file", "line", "field", "message", "row")

    def __init__(self, report: IO[str] | None = None) -> None:
        self.report = report
        self.writer = csv.writer(report) if report is not None else None
        if self.writer is not None:
            self.writer.writerow(self.COLUMNS)
        self.count = 0
        self.by_file: dict[str, int] = {}

    def __call__(self, error: RowError) -> None:
        if self.writer is None:
            raise error
        self.count += 1
        self.by_file[error.file] = self.by_file.get(error.file, 0) + 1
        row = [error.file, error.line, error.field, error.message, error.raw]
        self.writer.writerow([csv_cell(value) for value in row])


Progress = Callable[[Format, Path], Callable[[int], None] | None]


class ImportRun:
    """What every database's import holds: the files to read, where rejects go, the progress."""

    def __init__(
        self,
        directory: Path,
        files: list[HistoryFile | Format],
        rejects: Rejects,
        progress: Progress | None,
    ) -> None:
        self.directory, self.files, self.rejects, self.progress = (
            directory,
            files,
            rejects,
            progress,
        )
        self.outcome = Outcome()


def unknown_ticket(external_id: str) -> str:
    return _("ticket “%(id)s” is neither in tickets.csv nor already known.") % {"id": external_id}
