"""`history_import`: one history directory in, in one transaction.

The rows are read and checked as they stream from the files, written by the path that suits the
database (PostgreSQL: COPY into staging tables and one set-based upsert per table; others: the
services' batch upsert), then the derived facts are refreshed once and each signal is sent once,
with every primary key concerned and source="import".

What follows the writes costs what they changed, not the history's size:
- an export whose every file is the one imported last is recognised by digest and not read
  again (tickets.importing.fingerprints); rows sent again unchanged are dropped before any
  work (PostgreSQL) or left alone (other databases);
- facts are recomputed for the customers of the written rows only (none on a first load,
  whose facts are computed whole before the insert);
- `history_changed` carries the old and new times of what was written, so the rollups rebuild
  the days those make dirty, within the import's transaction; only a first load, or more than
  ROLLUPS_REBUILD_FROM rows written, asks for a rebuild of everything in one pass.
"""

from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from .. import signals
from ..facts import facts_computed_whole, facts_refresh
from ..models import Contact, Ticket
from .csv_rows import Format, RowError
from .fingerprints import file_digest, fingerprints_record, unchanged_files
from .formats import CONTACTS, TICKETS
from .generic import GenericImport
from .postgres import PostgresImport
from .registry import FileCounts, HistoryFile, extra_history_files
from .run import FULL_REFRESH_FROM, ROLLUPS_REBUILD_FROM, Outcome, Progress, Rejects

__all__ = ["HistoryImportError", "Outcome", "Progress", "Rejects", "history_import"]

SOURCE = "import"


class HistoryImportError(Exception):
    """The import stopped; nothing of it was written."""


def history_import(
    directory: Path,
    rejects: Rejects | None = None,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> dict[str, FileCounts]:
    """Import a history directory; returns created/updated/unchanged/rejected per file.

    Raises HistoryImportError (with file, line and field) on the first bad row unless `rejects`
    keeps a report, in which case bad rows are left out and reported. An export identical to
    the last one imported is not read again, unless `force`.
    """
    rejects = rejects or Rejects()
    files = _files(directory)
    digests = {_format(f).file: file_digest(directory / _format(f).file) for f in files}
    if not force and (unchanged := unchanged_files(digests)) is not None:
        return unchanged
    try:
        with transaction.atomic():
            run = PostgresImport if connection.vendor == "postgresql" else GenericImport
            outcome = run(directory, files, rejects, progress).run()
            for name, count in rejects.by_file.items():
                outcome.files.setdefault(name, FileCounts()).rejected = count
            _refresh_and_announce(outcome)
            fingerprints_record(digests, outcome.files)
    except RowError as error:
        raise HistoryImportError(str(error)) from error
    except IntegrityError as error:
        # A key the import meant to create exists after all: written meanwhile by another
        # client (an API call into a table the import found empty). Rolled back, safe to rerun.
        raise HistoryImportError(
            _("The database refused the import (%(error)s); run it again.")
            % {"error": str(error).strip()}
        ) from error
    return outcome.files


def _format(item: HistoryFile | Format) -> Format:
    return item if isinstance(item, Format) else item.format


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
    if outcome.first_load:
        facts_computed_whole()  # over every contact there is, with the window in force
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
    _history_changed(outcome)


def _history_changed(outcome: Outcome) -> None:
    """Listeners rebuild their derived figures: the days marked, or everything at once."""
    written = outcome.written_rows()
    if not written:
        return
    everything = (
        outcome.first_load
        or outcome.rollup_rows() > ROLLUPS_REBUILD_FROM
        or any(c.moments is None for c in outcome.files.values())
    )
    if everything:
        signals.history_changed.send(sender=Outcome, everything=True)
        return
    signals.history_changed.send(
        sender=Outcome, refresh_now=True, moments=outcome.moments(), **outcome.marks
    )
