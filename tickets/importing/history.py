"""`history_import`: one history directory in, in one transaction.

The rows are read and checked as they stream from the files, written by the path that suits the
database (PostgreSQL: COPY into staging tables and one set-based upsert per table; others: the
services' batch upsert), then the derived facts are refreshed once and each signal is sent once,
with every primary key concerned and source="import".
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from .. import signals
from ..facts import facts_refresh
from ..formulas import csv_cell
from ..models import Contact, Ticket
from .csv_rows import Format, RowError
from .formats import CONTACTS, TICKETS
from .registry import FileCounts, HistoryFile, extra_history_files

SOURCE = "import"
# Above this many customers touched, one full refresh (set-based) beats refreshing by chunks.
FULL_REFRESH_FROM = 5_000


class HistoryImportError(Exception):
    """The import stopped; nothing of it was written."""


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

    def counts(self, fmt: Format) -> FileCounts:
        return self.files.setdefault(fmt.file, FileCounts())


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


def history_import(
    directory: Path, rejects: Rejects | None = None, progress: Progress | None = None
) -> dict[str, FileCounts]:
    """Import a history directory; returns created/updated/unchanged/rejected per file.

    Raises HistoryImportError (with file, line and field) on the first bad row unless `rejects`
    keeps a report, in which case bad rows are left out and reported.
    """
    rejects = rejects or Rejects()
    files = _files(directory)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                from .postgres import PostgresImport

                outcome = PostgresImport(directory, files, rejects, progress).run()
            else:
                from .generic import GenericImport

                outcome = GenericImport(directory, files, rejects, progress).run()
            _refresh_and_announce(outcome)
    except RowError as error:
        raise HistoryImportError(str(error)) from error
    except IntegrityError as error:
        # A key the import meant to create exists after all: written meanwhile by another
        # client (an API call into a table the import found empty). Rolled back, safe to rerun.
        raise HistoryImportError(
            _("The database refused the import (%(error)s); run it again.")
            % {"error": str(error).strip()}
        ) from error
    for name, count in rejects.by_file.items():
        outcome.files.setdefault(name, FileCounts()).rejected = count
    return outcome.files


def _files(directory: Path) -> list[HistoryFile | Format]:
    if not directory.is_dir():
        raise HistoryImportError(_("%(dir)s is not a directory.") % {"dir": directory})
    for fmt in (TICKETS, CONTACTS):
        if not (directory / fmt.file).is_file():
            raise HistoryImportError(
                _("%(file)s is missing from %(dir)s: it is required.")
                % {"file": fmt.file, "dir": directory}
            )
    extras = [f for f in extra_history_files() if (directory / f.format.file).is_file()]
    return [TICKETS, CONTACTS, *extras]


def _refresh_and_announce(outcome: Outcome) -> None:
    customers = outcome.customers
    # Nothing written (an import run again): the facts cannot have changed.
    if customers is None or len(customers) > FULL_REFRESH_FROM:
        facts_refresh()
    elif customers:
        facts_refresh(customers)
    # One signal per kind for the whole import. Listeners check `source` first: a history
    # migration is not surveyed, so they return before touching the (long) lists of keys.
    if outcome.contacts_created or outcome.contacts_updated:
        signals.contact_recorded.send(
            sender=Contact,
            created=outcome.contacts_created,
            updated=outcome.contacts_updated,
            source=SOURCE,
        )
    if outcome.tickets_solved:
        signals.ticket_solved.send(sender=Ticket, ticket_ids=outcome.tickets_solved, source=SOURCE)
    if outcome.tickets_reopened:
        signals.ticket_reopened.send(
            sender=Ticket, ticket_ids=outcome.tickets_reopened, source=SOURCE
        )
    # Whatever it wrote (answers included), listeners rebuild their derived figures once.
    if any(c.created or c.updated for c in outcome.files.values()):
        signals.history_changed.send(sender=Outcome, everything=True)
