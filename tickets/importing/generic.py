"""The import on databases other than PostgreSQL (SQLite for the demo): batches of rows through
the same upsert as the REST API (tickets.services), streaming, facts and signals left to the end.
"""

from collections.abc import Iterable, Iterator
from itertools import islice

from ..models import Contact, Ticket
from ..records import ContactRecord, TicketRecord
from ..services import Written, contacts_write, tickets_write
from .csv_rows import Format, Row, RowError, RowReader, raw_text
from .formats import CONTACTS, TICKETS
from .registry import HistoryFile
from .run import ROLLUPS_REBUILD_FROM, ImportRun, Outcome, unknown_ticket

BATCH = 1000


def batches(rows: Iterable[Row], size: int = BATCH) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def unknown_reference(fmt: Format, row: Row, column: str, message: str) -> RowError:
    values = [v or "" for v in row.values]
    return RowError(fmt.file, row.line, column, message, raw_text(values))


class GenericImport(ImportRun):
    def run(self) -> Outcome:
        self.outcome.first_load = not (Contact.objects.exists() or Ticket.objects.exists())
        for item in self.files:
            fmt = item if isinstance(item, Format) else item.format
            path = self.directory / fmt.file
            reader = RowReader(
                path, fmt, self.rejects, self.progress(fmt, path) if self.progress else None
            )
            if fmt is TICKETS:
                self._tickets(batches(reader))
            elif fmt is CONTACTS:
                self._contacts(batches(reader))
            else:
                assert isinstance(item, HistoryFile)
                counts = item.load_generic(batches(reader), self.rejects)
                self.outcome.files[fmt.file] = counts
        return self.outcome

    def _tickets(self, rows: Iterator[list[Row]]) -> None:
        for batch in rows:
            records = []
            for row in batch:
                ext, customer, reason, priority, created_at, solved_at = TICKETS.typed(row.values)
                records.append(TicketRecord(ext, customer, reason, created_at, priority, solved_at))
            self._count(TICKETS, tickets_write(records))

    def _contacts(self, rows: Iterator[list[Row]]) -> None:
        ticket = CONTACTS.index("ticket_id")
        for batch in rows:
            wanted = {row.values[ticket] for row in batch if row.values[ticket]}
            known = set(
                Ticket.objects.filter(external_id__in=wanted).values_list("external_id", flat=True)
            )
            records = []
            for row in batch:
                if row.values[ticket] and row.values[ticket] not in known:
                    self.rejects(
                        unknown_reference(
                            CONTACTS, row, "ticket_id", unknown_ticket(row.values[ticket])
                        )
                    )
                    continue
                (ext, tk, customer, channel, reason, agent, team, direction, started_at,
                 answered_at, ended_at, handle_seconds) = CONTACTS.typed(row.values)  # fmt: skip
                record = ContactRecord(
                    ext, customer, channel, reason, direction, started_at, ticket=tk,
                    agent=agent, team=team, answered_at=answered_at, ended_at=ended_at,
                    handle_seconds=handle_seconds,
                )  # fmt: skip
                records.append(record)
            written = contacts_write(records)
            self._count(CONTACTS, written)
            self.outcome.contacts_created += written.created
            self.outcome.contacts_updated += written.updated

    def _count(self, fmt: Format, written: Written) -> None:
        result = written.result
        self.outcome.counts(fmt).add(
            len(result.created), len(result.updated), len(result.unchanged)
        )
        self.outcome.tickets_solved += written.solved
        self.outcome.tickets_reopened += written.reopened
        assert self.outcome.customers is not None
        self.outcome.customers |= written.customers
        # The days to rebuild after a first or large load are all of them: no list needed.
        if not self.outcome.first_load and self.outcome.rollup_rows() <= ROLLUPS_REBUILD_FROM:
            self.outcome.mark(**written.marks)
