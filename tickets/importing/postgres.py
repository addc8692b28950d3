"""The import on PostgreSQL: COPY into staging tables, then one set-based upsert per table.

1. Every file is read, checked and streamed by COPY into a temporary staging table (text
   columns: the rows are checked already, and a rejected one is reported as it was read).
   Blocks of plain lines are checked by one regular expression each and copied as read
   (tickets.importing.blocks); the history's bounds (tickets.bounds) and the checks across
   fields then run on the rows that need them.
2. References that only the database can check (a contact's ticket, an answer's contact) are
   checked by anti-joins; bad rows are rejected like any other.
3. Missing customers, teams and agents are created set-based.
4. Ticket and contact primary keys are drawn from their sequences up front, so that the derived
   facts (tickets.facts: previous contact, repeat flags, a ticket's inbound contacts) are computed
   in the staging tables and inserted with the rows. Computing them after the insert would rewrite
   every row once more (about as long as the insert itself); tickets.facts' refresh that follows
   then finds nothing or little to change. A small import (at most FULL_REFRESH_FROM customers)
   inserts its rows without facts instead: the refresh scoped to its partitions computes them,
   which costs less than reading the whole history of every customer touched first.
5. One INSERT ... SELECT ... ON CONFLICT (external_id) DO UPDATE ... WHERE (row) IS DISTINCT FROM
   per table: a row sent again unchanged is not written.
6. A large load goes in with the tables' foreign keys and secondary indexes dropped and
   re-created after (tickets.importing.loader, the toolkit registered files use too).
"""

import csv
import io
from collections.abc import Iterator
from itertools import chain, groupby
from pathlib import Path
from typing import Any

from django.db import connection

from ..facts import CONTACT_ORDER, facts_refresh_scoped, window_sql
from ..labels import labels_forget
from ..models import Agent, Customer, Team
from .blocks import Block, BlockReader
from .csv_rows import Format, Limits, Row, RowError, raw_text
from .formats import CONTACTS, TICKETS
from .loader import BULK_FROM_ROWS, PostgresLoader, sql_assign, sql_row, staging_table
from .registry import HistoryFile
from .run import (
    FULL_REFRESH_FROM,
    ROLLUPS_REBUILD_FROM,
    ImportRun,
    Outcome,
    Progress,
    Rejects,
    unknown_ticket,
)


class PostgresImport(ImportRun):
    DERIVED = [
        "import_ticket_rows", "import_contact_rows", "import_inbound", "import_contact_facts",
        "import_ticket_facts", "import_ticket_back",
    ]  # fmt: skip

    def __init__(
        self,
        directory: Path,
        files: list[HistoryFile | Format],
        rejects: Rejects,
        progress: Progress | None,
    ) -> None:
        super().__init__(directory, files, rejects, progress)
        self.loader = PostgresLoader(rejects)
        self.execute = self.loader.execute

    # --- The run -----------------------------------------------------------------------------

    def run(self) -> Outcome:
        # A crash just after COMMIT may lose the import (never half of it); running it again
        # is safe, and not waiting for the WAL flush saves the commit's fsync.
        self.execute("SET LOCAL synchronous_commit = off")
        # The facts' window functions and the upserts' hash joins sort a row per contact.
        self.execute("SET LOCAL work_mem = '256MB'")
        # JIT compiling these one-off statements costs more (up to a second each) than it saves.
        self.execute("SET LOCAL jit = off")
        for item in self.files:
            self._stage(item if isinstance(item, Format) else item.format)

        self.loader.reject_where(
            CONTACTS,
            "ticket_id",
            "s.ticket_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM import_tickets AS t WHERE t.ticket_id = s.ticket_id)"
            " AND NOT EXISTS (SELECT 1 FROM tickets_ticket AS t WHERE t.external_id = s.ticket_id)",
            unknown_ticket,
        )
        self.loader.entities_ensure(
            Customer,
            # UNION ALL and GROUP BY hash; a UNION would sort by text, in the collation's order.
            "SELECT customer_id AS external_id FROM import_tickets"
            " UNION ALL SELECT customer_id FROM import_contacts",
        )
        self.loader.entities_ensure(Team, "SELECT team AS external_id FROM import_contacts")
        self.loader.entities_ensure(Agent, "SELECT agent_id AS external_id FROM import_contacts")
        self._agents_teams()
        self._reasons()
        [(staged,)] = self.execute(
            "SELECT (SELECT count(*) FROM import_tickets) + (SELECT count(*) FROM import_contacts)"
        )
        if staged >= BULK_FROM_ROWS:  # the rows joined next may be mostly new entities
            for model in (Customer, Team, Agent):
                self.execute(f"ANALYZE {model._meta.db_table}")
        [(self.history_was_empty,)] = self.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM tickets_contact)"
            " AND NOT EXISTS (SELECT 1 FROM tickets_ticket)"
        )
        self.outcome.first_load = self.history_was_empty
        self._resolve()
        self._unchanged_drop()
        self.customers_touched = self._customers_touched()
        self._erased_opt_out()
        if self.history_was_empty or self.customers_touched > FULL_REFRESH_FROM:
            self._facts()
        else:
            self._facts_later()
        # Only new rows count: importing the same history again is no bulk load.
        [(tickets, contacts)] = self.execute(
            "SELECT (SELECT count(*) FROM import_ticket_rows WHERE new),"
            " (SELECT count(*) FROM import_contact_rows WHERE new)"
        )
        # Both before either insert: each table has a foreign key to the other.
        empty = self.history_was_empty
        self.loader.bulk_prepare(["tickets_ticket"], tickets, plain_insert=empty)
        self.loader.bulk_prepare(["tickets_contact"], contacts, plain_insert=empty)
        if self.history_was_empty:
            self._tickets_insert()
            self._contacts_insert()
        else:
            self._tickets_upsert()
            self._contacts_upsert()
        # Fresh statistics for what follows a large load (answers joined to contacts, the facts
        # refresh, the first KPI queries): autovacuum would get there, but only after the
        # import. A small one changes them little, and sampling costs a second at a million.
        if tickets + contacts >= BULK_FROM_ROWS or empty:
            self.execute("ANALYZE tickets_ticket")
            self.execute("ANALYZE tickets_contact")
        self._facts_refresh()
        self._marks()
        for item in self.files:
            if isinstance(item, HistoryFile):
                table = staging_table(item.format)
                [(self.loader.loading_rows,)] = self.execute(f"SELECT count(*) FROM {table}")
                counts = item.load_postgres(table, self.loader)
                self.loader.loading_rows = 0
                self.outcome.files[item.format.file] = counts
        self.loader.bulk_restore()
        # ON COMMIT DROP is enough on its own, but the import may run inside a longer
        # transaction (tests, a caller's atomic block): leave no table behind for the next one.
        staged = [staging_table(i if isinstance(i, Format) else i.format) for i in self.files]
        self.execute(f"DROP TABLE {', '.join(staged + self.DERIVED)}")
        return self.outcome

    def _stage(self, fmt: Format) -> None:
        table = staging_table(fmt)
        columns = ", ".join(f"{name} text" for name in fmt.names)
        # A block's lines are numbered by the identity; other rows bring their line number.
        self.execute(
            f"CREATE TEMPORARY TABLE {table} (line integer GENERATED BY DEFAULT AS IDENTITY,"
            f" {columns}) ON COMMIT DROP"
        )
        path = self.directory / fmt.file
        reader = BlockReader(
            path, fmt, self.rejects, self.progress(fmt, path) if self.progress else None
        )
        names = ", ".join(fmt.names)
        # COPY takes one column list: a copy per run of blocks, and per run of rows between.
        with connection.cursor() as cursor:
            for blocks, run in groupby(reader, key=lambda part: isinstance(part, Block)):
                if blocks:
                    self._copy_blocks(cursor, table, names, run)  # type: ignore[arg-type]
                else:
                    self._copy_rows(cursor, table, names, run)  # type: ignore[arg-type]
        self._rows_check(fmt)
        # Temporary tables are never analyzed automatically; without row counts the planner
        # picks sort-based joins that cost several times the hash joins.
        self.execute(f"ANALYZE {table}")

    @staticmethod
    def _copy_blocks(cursor: Any, table: str, names: str, blocks: Iterator[Block]) -> None:
        # Blocks that follow one another hold consecutive lines.
        first = next(blocks)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'line'), %s, false)", [table, first.line]
        )
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for block in chain([first], blocks):
                copy.write(block.data)

    @staticmethod
    def _copy_rows(cursor: Any, table: str, names: str, rows: Iterator[Row]) -> None:
        copy_sql = f"COPY {table} (line, {names}) FROM STDIN (FORMAT csv)"
        with cursor.cursor.copy(copy_sql) as copy:
            # Plain lines go as read, after their line number; the others (quoted fields) are
            # written again from their checked values. Sent in blocks of a few hundred KB.
            block: list[str] = []
            quoted = io.StringIO()
            writer = csv.writer(quoted, lineterminator="\n")
            for row in rows:
                if row.text is not None:
                    block.append(f"{row.line},{row.text}\n")
                else:
                    writer.writerow((row.line, *row.values))
                    block.append(quoted.getvalue())
                    quoted.seek(0)
                    quoted.truncate()
                if len(block) >= 4096:
                    copy.write("".join(block))
                    block.clear()
            copy.write("".join(block))

    def _rows_check(self, fmt: Format) -> None:
        """The history's bounds and `fmt.check_row`, on the staged rows their SQL form points at
        (blocks were checked value by value only); the rows refused are rejected."""
        table = staging_table(fmt)
        limits = Limits.taken_now()
        suspects = self.execute(
            f"SELECT line, {', '.join(fmt.names)} FROM {table} AS s"
            f" WHERE {fmt.suspects_sql} ORDER BY line",
            limits.params(),
        )
        errors = []
        for line, *values in suspects:
            problem = fmt.problem(tuple(values), limits)
            if problem is not None:
                field, message = problem
                raw = raw_text([v or "" for v in values])
                errors.append(RowError(fmt.file, line, field, message, raw))
        self.loader.reject_rows(table, errors)

    def _reasons(self) -> None:
        """The reasons the catalogue lacks, labelled by their code (tickets.labels)."""
        self.execute(
            """
            INSERT INTO tickets_contactreason (code, label_fr, label_en, active)
            SELECT r.reason, r.reason, r.reason, true
            FROM (SELECT reason FROM import_tickets UNION SELECT reason FROM import_contacts) AS r
            WHERE r.reason IS NOT NULL AND r.reason <> ''
            ON CONFLICT (code) DO NOTHING
            """
        )
        labels_forget()

    def _agents_teams(self) -> None:
        # An agent learns its team from the first contact naming both (as tickets.services).
        self.execute(
            """
            UPDATE tickets_agent AS a SET team_id = tm.id
            FROM (SELECT agent_id, min(line) AS line FROM import_contacts
                  WHERE agent_id IS NOT NULL AND team IS NOT NULL GROUP BY agent_id) AS first
            JOIN import_contacts AS f ON f.line = first.line
            JOIN tickets_team AS tm ON tm.external_id = f.team
            WHERE a.external_id = f.agent_id AND a.team_id IS NULL
            """
        )

    def _resolve(self) -> None:
        """Staged rows with their foreign keys, and a primary key (known or drawn) each.

        The last row wins when a file names the same id twice.
        """
        self.execute(
            """
            CREATE TEMPORARY TABLE import_ticket_rows ON COMMIT DROP AS
            SELECT COALESCE(t.id, nextval(%(tickets)s::regclass))
                       AS id,
                   t.id IS NULL AS new,
                   t.solved_at AS old_solved_at, t.customer_id AS old_customer_id,
                   s.ticket_id AS external_id, cu.id AS customer_id, s.reason, s.priority,
                   s.created_at::timestamptz AS created_at, s.solved_at::timestamptz AS solved_at
            FROM import_tickets AS s
            JOIN tickets_customer AS cu ON cu.external_id = s.customer_id
            LEFT JOIN tickets_ticket AS t ON t.external_id = s.ticket_id
            WHERE NOT EXISTS (SELECT 1 FROM import_tickets AS later
                              WHERE later.ticket_id = s.ticket_id AND later.line > s.line)
            """,
            self._sequences(),
        )
        # Before the contacts join them: without statistics the planner hashes the contacts
        # (all their columns, 160 MB at a million) instead of the tickets' two columns.
        self.execute("ANALYZE import_ticket_rows")
        self.execute(
            """
            CREATE TEMPORARY TABLE import_contact_rows ON COMMIT DROP AS
            SELECT COALESCE(c.id, nextval(%(contacts)s::regclass))
                       AS id,
                   c.id IS NULL AS new, c.customer_id AS old_customer_id,
                   c.started_at AS old_started_at, c.ticket_id AS old_ticket_id,
                   c.reason AS old_reason,
                   s.contact_id AS external_id,
                   COALESCE(it.id, (SELECT t.id FROM tickets_ticket AS t
                                    WHERE t.external_id = s.ticket_id)) AS ticket_id,
                   cu.id AS customer_id, s.channel, s.reason, a.id AS agent_id, tm.id AS team_id,
                   s.direction, s.started_at::timestamptz AS started_at,
                   s.answered_at::timestamptz AS answered_at, s.ended_at::timestamptz AS ended_at,
                   s.handle_seconds::integer AS handle_seconds,
                   -- The import never asks not to survey: a contact marked so by an
                   -- integration differs from what the file sends.
                   false AS do_not_survey
            FROM import_contacts AS s
            JOIN tickets_customer AS cu ON cu.external_id = s.customer_id
            LEFT JOIN import_ticket_rows AS it ON it.external_id = s.ticket_id
            LEFT JOIN tickets_agent AS a ON a.external_id = s.agent_id
            LEFT JOIN tickets_team AS tm ON tm.external_id = s.team
            LEFT JOIN tickets_contact AS c ON c.external_id = s.contact_id
            WHERE NOT EXISTS (SELECT 1 FROM import_contacts AS later
                              WHERE later.contact_id = s.contact_id AND later.line > s.line)
            """,
            self._sequences(),
        )
        self.execute("ANALYZE import_contact_rows")

    # What a file sets, as staged in import_*_rows: a stored row with the same values is sent
    # again unchanged. The derived facts follow them.
    TICKET_SENT = ["customer_id", "reason", "priority", "created_at", "solved_at"]
    TICKET_FACTS = ["inbound_count", "first_inbound_contact_id", "recontact_in_window"]
    CONTACT_SENT = [
        "ticket_id", "customer_id", "channel", "reason", "agent_id", "team_id", "direction",
        "started_at", "answered_at", "ended_at", "handle_seconds", "do_not_survey",
    ]  # fmt: skip
    CONTACT_FACTS = ["previous_contact_id", "is_repeat", "followed_in_window"]

    def _unchanged_drop(self) -> None:
        """Rows sent again as they are stored go no further: no facts to compute, nothing to
        write, no customer to refresh. Re-sending an export that overlaps the last one then
        costs only what changed in it."""
        [(self.tickets_total, self.contacts_total)] = self.execute(
            "SELECT (SELECT count(*) FROM import_ticket_rows),"
            " (SELECT count(*) FROM import_contact_rows)"
        )
        if self.history_was_empty:
            return
        for staged, table, sent in (
            ("import_ticket_rows", "tickets_ticket", self.TICKET_SENT),
            ("import_contact_rows", "tickets_contact", self.CONTACT_SENT),
        ):
            self.execute(
                f"DELETE FROM {staged} AS i USING {table} AS e WHERE e.id = i.id"
                f" AND {sql_row('e', sent)} IS NOT DISTINCT FROM {sql_row('i', sent)}"
            )
            self.execute(f"ANALYZE {staged}")

    @staticmethod
    def _sequences() -> dict[str, str]:
        # Looked up once: pg_get_serial_sequence() in the SELECT would run for every row.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence('tickets_ticket', 'id'),"
                " pg_get_serial_sequence('tickets_contact', 'id')"
            )
            [(tickets, contacts)] = cursor.fetchall()
        return {"tickets": tickets, "contacts": contacts}

    def _erased_opt_out(self) -> None:
        """`tickets.services.customers_ensure`'s rule, set-based (the generic path goes through
        it): the customers named by an erased id are opted out. The import writes no contact
        details, so there are none to drop."""
        [(any_erased,)] = self.execute("SELECT EXISTS (SELECT 1 FROM tickets_erasedcustomer)")
        if not any_erased:
            return
        self.execute(
            """
            UPDATE tickets_customer AS cu SET opted_out_at = now()
            FROM tickets_erasedcustomer AS e
            WHERE cu.opted_out_at IS NULL
              AND cu.id IN (SELECT customer_id FROM import_contact_rows
                            UNION SELECT customer_id FROM import_ticket_rows)
              AND e.digest = encode(sha256(convert_to(cu.external_id, 'UTF8')), 'hex')
            """
        )

    def _customers_touched(self) -> int:
        """How many customers the staged rows name, counted up to FULL_REFRESH_FROM + 1."""
        [(customers,)] = self.execute(
            """
            SELECT count(*) FROM (
                SELECT customer_id FROM import_contact_rows
                UNION SELECT customer_id FROM import_ticket_rows LIMIT %s
            ) AS touched
            """,
            [FULL_REFRESH_FROM + 1],
        )
        return customers

    def _facts_later(self) -> None:
        """No facts before inserting: the rows go in with none, and the scoped refresh that
        follows (`_facts_refresh`) computes them with the facts of their neighbours, which it
        recomputes anyway. Computing them first read every contact of the customers touched
        (their whole history, a page each), only to have the refresh read their partitions
        again."""
        for table, columns in (
            ("import_contact_facts", "id bigint, prev_id bigint, rep boolean, fol boolean"),
            ("import_ticket_facts", "id bigint, n bigint, first_id bigint"),
            ("import_ticket_back", "id bigint"),
            ("import_inbound", "id bigint"),
        ):
            self.execute(f"CREATE TEMPORARY TABLE {table} ({columns}) ON COMMIT DROP")

    def _facts(self) -> None:
        """tickets.facts' definitions, over the inbound contacts as they will be after the import:
        the imported ones and the known ones of the same customers. For a load touching more
        customers than FULL_REFRESH_FROM (refreshed whole afterwards), or the first one."""
        rule = window_sql("postgresql")
        window = {"window": rule.param()}
        self.execute(
            """
            CREATE TEMPORARY TABLE import_inbound ON COMMIT DROP AS
            SELECT id, ticket_id, customer_id, reason, started_at, external_id
            FROM import_contact_rows WHERE direction = 'inbound'
            UNION ALL
            SELECT c.id, c.ticket_id, c.customer_id, c.reason, c.started_at, c.external_id
            -- Each customer's contacts by its index: with a few thousand customers who come
            -- back often, the planner would rather read every contact (a second at a million).
            FROM (SELECT customer_id FROM import_contact_rows
                  UNION SELECT customer_id FROM import_ticket_rows) AS cu
            CROSS JOIN LATERAL (SELECT * FROM tickets_contact AS c
                                WHERE c.customer_id = cu.customer_id OFFSET 0) AS c
            WHERE c.direction = 'inbound'
              AND NOT EXISTS (SELECT 1 FROM import_contact_rows AS i WHERE i.id = c.id)
            """
        )
        self.execute(
            f"""
            CREATE TEMPORARY TABLE import_contact_facts ON COMMIT DROP AS
            WITH ordered AS (
                SELECT id, started_at,
                       LAG(id) OVER w AS prev_id,
                       LAG(started_at) OVER w AS prev_at,
                       LEAD(started_at) OVER w AS next_at
                FROM import_inbound
                WINDOW w AS (PARTITION BY customer_id, reason ORDER BY {CONTACT_ORDER})
            )
            SELECT id, prev_id, {rule.is_repeat()} AS rep, {rule.is_followed()} AS fol
            FROM ordered
            """,
            window,
        )
        self.execute(
            f"""
            CREATE TEMPORARY TABLE import_ticket_facts ON COMMIT DROP AS
            -- One sort serves the count and the first contact (array_agg(... ORDER BY) sorted
            -- each ticket's contacts once more).
            SELECT DISTINCT ON (ticket_id) ticket_id AS id, count(*) OVER w AS n, id AS first_id
            FROM import_inbound WHERE ticket_id IS NOT NULL
            WINDOW w AS (PARTITION BY ticket_id ORDER BY {CONTACT_ORDER}
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            ORDER BY ticket_id, {CONTACT_ORDER}
            """
        )
        self.execute(
            f"""
            CREATE TEMPORARY TABLE import_ticket_back ON COMMIT DROP AS
            SELECT t.id
            FROM import_ticket_rows AS t
            WHERE t.solved_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM import_inbound AS c
                          WHERE c.customer_id = t.customer_id AND c.reason = t.reason
                            AND {rule.comes_back()})
            """,
            window,
        )
        for table in ("import_contact_facts", "import_ticket_facts", "import_ticket_back"):
            self.execute(f"ANALYZE {table}")

    # An empty history has nothing to conflict with or compare to (the staged rows hold one row
    # per id already): a plain INSERT skips the speculative insertion and the comparison that
    # ON CONFLICT and NOT EXISTS cost per row, about half of the upserts' time.
    TICKET_COLUMNS = ", ".join(["id", "external_id", *TICKET_SENT, *TICKET_FACTS])
    TICKET_VALUES = """
        SELECT i.id, i.external_id, i.customer_id, i.reason, i.priority, i.created_at,
               i.solved_at, COALESCE(f.n, 0), f.first_id, b.id IS NOT NULL
        FROM import_ticket_rows AS i
        LEFT JOIN import_ticket_facts AS f ON f.id = i.id
        LEFT JOIN import_ticket_back AS b ON b.id = i.id
    """
    CONTACT_COLUMNS = ", ".join(["id", "external_id", *CONTACT_SENT, *CONTACT_FACTS])
    CONTACT_VALUES = """
        SELECT i.id, i.external_id, i.ticket_id, i.customer_id, i.channel, i.reason,
               i.agent_id, i.team_id, i.direction, i.started_at, i.answered_at,
               i.ended_at, i.handle_seconds, i.do_not_survey,
               f.prev_id, COALESCE(f.rep, false), COALESCE(f.fol, false)
        FROM import_contact_rows AS i
        LEFT JOIN import_contact_facts AS f ON f.id = i.id
    """

    def _tickets_insert(self) -> None:
        created = self.execute(
            f"INSERT INTO tickets_ticket ({self.TICKET_COLUMNS}) {self.TICKET_VALUES}"
        )
        [(solved,)] = self.execute(
            "SELECT COALESCE(array_agg(id), '{}') FROM import_ticket_rows"
            " WHERE solved_at IS NOT NULL"
        )
        self.outcome.counts(TICKETS).add(created, 0, 0)
        self.outcome.tickets_solved, self.outcome.tickets_reopened = solved, []

    def _contacts_insert(self) -> None:
        created = self.execute(
            f"INSERT INTO tickets_contact ({self.CONTACT_COLUMNS}) {self.CONTACT_VALUES}"
        )
        [(ids,)] = self.execute("SELECT COALESCE(array_agg(id), '{}') FROM import_contact_rows")
        self.outcome.counts(CONTACTS).add(created, 0, 0)
        self.outcome.contacts_created, self.outcome.contacts_updated = ids, []

    def _tickets_upsert(self) -> None:
        # Only new rows and rows that differ from the stored ones are staged still
        # (_unchanged_drop); the WHERE below still spares a row that another client has
        # meanwhile written with the same values.
        sent = self.TICKET_SENT
        [(created, updated, solved, reopened)] = self.execute(
            f"""
            WITH up AS (
                INSERT INTO tickets_ticket AS t ({self.TICKET_COLUMNS}) {self.TICKET_VALUES}
                ON CONFLICT (external_id) DO UPDATE SET {sql_assign(sent + self.TICKET_FACTS)}
                WHERE {sql_row("t", sent)} IS DISTINCT FROM {sql_row("EXCLUDED", sent)}
                RETURNING t.id, t.xmax = 0 AS created, t.solved_at
            )
            SELECT count(*) FILTER (WHERE up.created),
                   count(*) FILTER (WHERE NOT up.created),
                   COALESCE(array_agg(up.id) FILTER (WHERE up.solved_at IS NOT NULL
                                                     AND i.old_solved_at IS NULL), '{{}}'),
                   COALESCE(array_agg(up.id) FILTER (WHERE up.solved_at IS NULL
                                                     AND i.old_solved_at IS NOT NULL), '{{}}')
            FROM up JOIN import_ticket_rows AS i ON i.id = up.id
            """
        )
        self.outcome.counts(TICKETS).add(created, updated, self.tickets_total - created - updated)
        self.outcome.tickets_solved, self.outcome.tickets_reopened = solved, reopened

    def _contacts_upsert(self) -> None:
        sent = self.CONTACT_SENT
        [(created, updated)] = self.execute(
            f"""
            WITH up AS (
                INSERT INTO tickets_contact AS c ({self.CONTACT_COLUMNS}) {self.CONTACT_VALUES}
                ON CONFLICT (external_id) DO UPDATE SET {sql_assign(sent + self.CONTACT_FACTS)}
                WHERE {sql_row("c", sent)} IS DISTINCT FROM {sql_row("EXCLUDED", sent)}
                RETURNING c.id, c.xmax = 0 AS created
            )
            SELECT COALESCE(array_agg(id) FILTER (WHERE created), '{{}}'),
                   COALESCE(array_agg(id) FILTER (WHERE NOT created), '{{}}')
            FROM up
            """
        )
        self.outcome.counts(CONTACTS).add(
            len(created), len(updated), self.contacts_total - len(created) - len(updated)
        )
        self.outcome.contacts_created, self.outcome.contacts_updated = created, updated

    def _marks(self) -> None:
        """The old and new values of the written rows, for the rollups' dirty days; none after
        a first or large load (the rollups are then rebuilt whole)."""
        written = sum(self.outcome.counts(f).created + self.outcome.counts(f).updated
                      for f in (TICKETS, CONTACTS))  # fmt: skip
        if self.history_was_empty or not written or written > ROLLUPS_REBUILD_FROM:
            return
        [(contacts_at, old_at, ticket_ids, updated)] = self.execute(
            """
            SELECT COALESCE(array_agg(started_at), '{}'),
                   COALESCE(array_agg(old_started_at) FILTER (WHERE NOT new), '{}'),
                   COALESCE(array_agg(DISTINCT ticket_id) FILTER (WHERE ticket_id IS NOT NULL)
                            || array_agg(DISTINCT old_ticket_id)
                                   FILTER (WHERE old_ticket_id IS NOT NULL), '{}'),
                   COALESCE(array_agg(id) FILTER (WHERE NOT new), '{}')
            FROM import_contact_rows
            """
        )
        [(solved_at, tickets_updated)] = self.execute(
            """
            SELECT COALESCE(array_agg(solved_at) FILTER (WHERE solved_at IS NOT NULL), '{}')
                   || COALESCE(array_agg(old_solved_at) FILTER (WHERE old_solved_at IS NOT NULL),
                               '{}'),
                   COALESCE(array_agg(id) FILTER (WHERE NOT new), '{}')
            FROM import_ticket_rows
            """
        )
        self.outcome.mark(
            contacts_at=contacts_at + old_at,
            ticket_ids=ticket_ids + tickets_updated,
            contact_ids=updated,
            solved_at=solved_at,
        )

    def _facts_refresh(self) -> None:
        """Recompute the facts the written rows may change, and only those.

        None when the history was empty before: the facts computed before inserting saw every
        contact there is. Past FULL_REFRESH_FROM customers, one refresh of everything
        (set-based) is left to `history_import` (a load that large computed its rows' facts
        before inserting them: little changes).
        """
        outcome = self.outcome
        outcome.customers = set()
        if self.history_was_empty or not (
            outcome.contacts_created
            or outcome.contacts_updated
            or outcome.counts(TICKETS).created
            or outcome.counts(TICKETS).updated
        ):
            return
        if self.customers_touched > FULL_REFRESH_FROM:
            outcome.customers = None
            return
        rule = window_sql("postgresql")
        # The (customer, reason) partitions the written contacts were and are in, and the
        # tickets whose facts they may change: their own, the written ones, and those of the
        # same customer and reason solved within a window before one of them.
        self.execute(
            """
            CREATE TEMPORARY TABLE import_fact_pairs ON COMMIT DROP AS
            SELECT customer_id, reason FROM import_contact_rows
            UNION SELECT old_customer_id, old_reason FROM import_contact_rows WHERE NOT new
            """
        )
        self.execute(
            f"""
            CREATE TEMPORARY TABLE import_fact_tickets ON COMMIT DROP AS
            SELECT id FROM import_ticket_rows
            UNION SELECT ticket_id FROM import_contact_rows WHERE ticket_id IS NOT NULL
            UNION SELECT old_ticket_id FROM import_contact_rows WHERE old_ticket_id IS NOT NULL
            UNION SELECT t.id
            FROM (SELECT customer_id, reason, started_at FROM import_contact_rows
                  UNION ALL SELECT old_customer_id, old_reason, old_started_at
                  FROM import_contact_rows WHERE NOT new) AS c
            JOIN tickets_ticket AS t ON t.customer_id = c.customer_id AND t.reason = c.reason
            WHERE t.solved_at IS NOT NULL AND {rule.comes_back()}
            """,
            {"window": rule.param()},
        )
        self.execute("ANALYZE import_fact_pairs")
        self.execute("ANALYZE import_fact_tickets")
        facts_refresh_scoped(
            "SELECT customer_id, reason FROM import_fact_pairs",
            "SELECT id FROM import_fact_tickets",
        )
        self.execute("DROP TABLE import_fact_pairs, import_fact_tickets")
