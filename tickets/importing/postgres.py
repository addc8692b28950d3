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
   then finds nothing or little to change.
5. One INSERT ... SELECT ... ON CONFLICT (external_id) DO UPDATE ... WHERE (row) IS DISTINCT FROM
   per table: a row sent again unchanged is not written.
6. A large load (at least BULK_FROM_ROWS rows, and more than the table holds) goes in
   with the table's foreign keys and secondary indexes dropped, and both re-created, as
   pg_catalog defines them, before the import ends: each index is then built by one sort, and
   each foreign key checked by one join, instead of an index entry and a deferred check (run row
   by row at COMMIT) per row. All in the import's transaction: a failure leaves the schema too as
   it was. The tables' primary keys and check constraints stay, and so do their unique
   constraints unless the load is a plain INSERT into an empty table (step 5 needs them
   for ON CONFLICT); the re-created ones are then checked as they are built.
"""

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, groupby
from pathlib import Path
from typing import Any

from django.db import connection, models

from ..facts import CONTACT_ORDER, PG_COMES_BACK, PG_IS_FOLLOWED, PG_IS_REPEAT, fcr_window
from ..models import Agent, Customer, Team
from .blocks import Block, BlockReader
from .csv_rows import Format, Limits, Row, RowError, raw_text
from .formats import CONTACTS, TICKETS
from .generic import ImportRun, unknown_ticket
from .history import FULL_REFRESH_FROM, Outcome, Progress, Rejects
from .registry import HistoryFile

# A load of at least this many rows into a table holding fewer rows than it brings is a bulk
# load (step 6 above). Below, keeping the indexes costs less than rebuilding them.
BULK_FROM_ROWS = 50_000


def staging_table(fmt: Format) -> str:
    return "import_" + fmt.file.removesuffix(".csv")


def sql_row(alias: str, columns: list[str]) -> str:
    """`(alias.a, alias.b, ...)`: a row to compare whole."""
    return "(" + ", ".join(f"{alias}.{c}" for c in columns) + ")"


def sql_assign(columns: list[str]) -> str:
    """`a = EXCLUDED.a, ...`: ON CONFLICT DO UPDATE's SET."""
    return ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)


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
        # Bulk loads: tables whose foreign keys and secondary indexes are dropped, and the
        # statements that re-create them (unique constraints, indexes, then the foreign keys).
        self.bulk_tables: set[str] = set()
        self.bulk_uniques: list[str] = []
        self.bulk_indexes: list[str] = []
        self.bulk_constraints: list[str] = []
        # Rows staged for the registered file being loaded (its loader's upsert is the load).
        self.loading_rows = 0

    # --- Helpers for this module and for registered files ------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else cursor.rowcount

    def reject_where(
        self, fmt: Format, field: str, condition: str, message: Callable[[str], str]
    ) -> int:
        """Reject the staged rows of `fmt` matching `condition` (SQL, alias `s`) on `field`."""
        table = staging_table(fmt)
        names = ", ".join(fmt.names)
        rows = self.execute(
            f"SELECT line, {names} FROM {table} AS s WHERE {condition} ORDER BY line"
        )
        at = fmt.index(field)
        self._reject(
            table,
            [
                RowError(
                    fmt.file, line, field, message(values[at]), raw_text([v or "" for v in values])
                )
                for line, *values in rows
            ],
        )
        return len(rows)

    def entities_ensure(self, model: type[models.Model], external_ids_sql: str) -> None:
        """Create bare `model` rows for the external ids a query names (column `external_id`)."""
        fields = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.name != "external_id"
        ]
        columns = ", ".join(f.column for f in fields)
        marks = ", ".join(f"%s::{f.db_type(connection)}" for f in fields)
        defaults = [f.get_db_prep_save(f.get_default(), connection) for f in fields]
        table = model._meta.db_table
        # Known ids are skipped (into an empty table, every id is new); ON CONFLICT stays for
        # the ids an API call may create meanwhile.
        known = ""
        if not self.is_empty(table):
            known = (
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS e WHERE e.external_id = n.external_id)"
            )
        self.execute(
            f"""
            INSERT INTO {table} (external_id, {columns})
            SELECT n.external_id, {marks}
            FROM (SELECT external_id FROM ({external_ids_sql}) AS named
                  WHERE external_id IS NOT NULL GROUP BY external_id) AS n
            {known}
            ON CONFLICT (external_id) DO NOTHING
            """,
            defaults,
        )

    def is_empty(self, table: str) -> bool:
        [(empty,)] = self.execute(
            f"SELECT NOT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})"
        )
        return empty

    def upsert(
        self, model: type[models.Model], columns: list[str], select_sql: str, conflict: str
    ) -> tuple[int, int]:
        """INSERT the rows `select_sql` gives for `columns` (the model's other fields take their
        defaults), updating those that conflict on `conflict` and differ; (created, updated)."""
        table = model._meta.db_table
        empty = self.is_empty(table)
        self.bulk_prepare([table], self.loading_rows, plain_insert=empty)
        rest = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.column not in columns
        ]
        defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
        all_columns = ", ".join([*columns, *(f.column for f in rest)])
        marks = "".join(f", %s::{f.db_type(connection)}" for f in rest)
        if empty:
            # Nothing to conflict with, and `select_sql` gives each key once (ON CONFLICT DO
            # UPDATE would refuse it otherwise): a plain INSERT, without the per-row conflict
            # check.
            created = self.execute(
                f"INSERT INTO {table} ({all_columns}) SELECT s.*{marks} FROM ({select_sql}) AS s",
                defaults,
            )
            return created, 0
        keys = [c.strip() for c in conflict.split(",")]
        changing = [c for c in columns if c not in keys]
        [(created, updated)] = self.execute(
            f"""
            WITH up AS (
                INSERT INTO {table} AS t ({all_columns})
                SELECT s.*{marks} FROM ({select_sql}) AS s({", ".join(columns)})
                -- A row sent again as it is does not even try: an ON CONFLICT per row costs.
                WHERE NOT EXISTS (
                    SELECT 1 FROM {table} AS e
                    WHERE {sql_row("e", keys)} = {sql_row("s", keys)}
                      AND {sql_row("e", changing)} IS NOT DISTINCT FROM {sql_row("s", changing)})
                ON CONFLICT ({conflict}) DO UPDATE SET {sql_assign(changing)}
                WHERE {sql_row("t", changing)} IS DISTINCT FROM {sql_row("EXCLUDED", changing)}
                RETURNING t.xmax = 0 AS created
            )
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up
            """,
            defaults,
        )
        return created, updated

    def bulk_prepare(self, tables: list[str], rows: int, plain_insert: bool = False) -> None:
        """Drop the foreign keys and secondary indexes of those `tables` for which loading `rows`
        is a bulk load; `bulk_restore` puts them back, identical.

        `plain_insert`: the load is a plain INSERT (no ON CONFLICT needs them), so the unique
        constraints go too. Keeping one up to date costs a random descent of its index per
        row: three times what building it once costs, for a million text ids.
        """
        quote = connection.ops.quote_name
        bulk = []
        for table in tables:
            if table in self.bulk_tables or rows < BULK_FROM_ROWS:
                continue
            # Counting stops past `rows`: a large table is not read through.
            [(existing,)] = self.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT %s) AS e", [rows + 1]
            )
            if existing < rows:
                bulk.append(table)
        if not bulk:
            return
        # ALTER TABLE refuses a table with checks still deferred (rows written earlier in the
        # same transaction): run them now. Django's foreign keys are all initially deferred.
        self.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.execute("SET CONSTRAINTS ALL DEFERRED")
        # CREATE INDEX sorts in memory up to this, and ADD FOREIGN KEY hashes with work_mem.
        self.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for table in bulk:
            self.bulk_tables.add(table)
            dropped = "('f', 'u')" if plain_insert else "('f')"
            constraints = self.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
                f" WHERE conrelid = %s::regclass AND contype IN {dropped} ORDER BY conname",
                [quote(table)],
            )
            indexes = self.execute(
                """
                SELECT ci.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index AS i JOIN pg_class AS ci ON ci.oid = i.indexrelid
                WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid
                                  AND c.conrelid = i.indrelid)
                ORDER BY ci.relname
                """,
                [quote(table)],
            )
            for name, kind, definition in constraints:
                self.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                add = f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                (self.bulk_uniques if kind == "u" else self.bulk_constraints).append(add)
            for name, definition in indexes:
                self.execute(f"DROP INDEX {quote(name)}")
                self.bulk_indexes.append(definition)

    def bulk_restore(self) -> None:
        for sql in self.bulk_uniques + self.bulk_indexes + self.bulk_constraints:
            self.execute(sql)
        self.bulk_uniques.clear()
        self.bulk_indexes.clear()
        self.bulk_constraints.clear()
        self.bulk_tables.clear()

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

        self.reject_where(
            CONTACTS,
            "ticket_id",
            "s.ticket_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM import_tickets AS t WHERE t.ticket_id = s.ticket_id)"
            " AND NOT EXISTS (SELECT 1 FROM tickets_ticket AS t WHERE t.external_id = s.ticket_id)",
            unknown_ticket,
        )
        self.entities_ensure(
            Customer,
            # UNION ALL and GROUP BY hash; a UNION would sort by text, in the collation's order.
            "SELECT customer_id AS external_id FROM import_tickets"
            " UNION ALL SELECT customer_id FROM import_contacts",
        )
        self.entities_ensure(Team, "SELECT team AS external_id FROM import_contacts")
        self.entities_ensure(Agent, "SELECT agent_id AS external_id FROM import_contacts")
        self._agents_teams()
        for model in (Customer, Team, Agent):
            self.execute(f"ANALYZE {model._meta.db_table}")
        [(self.history_was_empty,)] = self.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM tickets_contact)"
            " AND NOT EXISTS (SELECT 1 FROM tickets_ticket)"
        )
        self._resolve()
        self._unchanged_drop()
        self._facts()
        # Only new rows count: importing the same history again is no bulk load.
        [(tickets, contacts)] = self.execute(
            "SELECT (SELECT count(*) FROM import_ticket_rows WHERE new),"
            " (SELECT count(*) FROM import_contact_rows WHERE new)"
        )
        # Both before either insert: each table has a foreign key to the other.
        empty = self.history_was_empty
        self.bulk_prepare(["tickets_ticket"], tickets, plain_insert=empty)
        self.bulk_prepare(["tickets_contact"], contacts, plain_insert=empty)
        if self.history_was_empty:
            self._tickets_insert()
            self._contacts_insert()
        else:
            self._tickets_upsert()
            self._contacts_upsert()
        # Fresh statistics for what follows (answers joined to contacts, the facts refresh,
        # the first KPI queries): autovacuum would get there, but only after the import.
        self.execute("ANALYZE tickets_ticket")
        self.execute("ANALYZE tickets_contact")
        self._touched_customers()
        for item in self.files:
            if isinstance(item, HistoryFile):
                table = staging_table(item.format)
                [(self.loading_rows,)] = self.execute(f"SELECT count(*) FROM {table}")
                counts = item.load_postgres(table, self)
                self.loading_rows = 0
                self.outcome.files[item.format.file] = counts
        self.bulk_restore()
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
        self._reject(table, errors)

    def _reject(self, table: str, errors: list[RowError]) -> None:
        for error in errors:
            self.rejects(error)
        if errors:
            self.execute(f"DELETE FROM {table} WHERE line = ANY(%s)", [[e.line for e in errors]])

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

    def _facts(self) -> None:
        """tickets.facts' definitions, over the inbound contacts as they will be after the import:
        the imported ones and the known ones of the same customers."""
        window = {"window": fcr_window()}
        self.execute(
            """
            CREATE TEMPORARY TABLE import_inbound ON COMMIT DROP AS
            SELECT id, ticket_id, customer_id, reason, started_at, external_id
            FROM import_contact_rows WHERE direction = 'inbound'
            UNION ALL
            SELECT c.id, c.ticket_id, c.customer_id, c.reason, c.started_at, c.external_id
            FROM tickets_contact AS c
            WHERE c.direction = 'inbound'
              AND c.customer_id IN (SELECT customer_id FROM import_contact_rows
                                    UNION SELECT customer_id FROM import_ticket_rows)
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
            SELECT id, prev_id, {PG_IS_REPEAT} AS rep, {PG_IS_FOLLOWED} AS fol
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
                            AND {PG_COMES_BACK})
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

    def _touched_customers(self) -> None:
        """Customers whose facts may change: those of every written ticket and contact.

        None of them when the history was empty before: the facts computed before inserting saw
        every contact there is, so they are exact and a refresh would only read them again.
        """
        outcome = self.outcome
        if self.history_was_empty or not (
            outcome.contacts_created
            or outcome.contacts_updated
            or outcome.counts(TICKETS).created
            or outcome.counts(TICKETS).updated
        ):
            outcome.customers = set()
            return
        rows = self.execute(
            """
            SELECT id FROM (
                SELECT customer_id AS id FROM import_contact_rows
                UNION SELECT old_customer_id FROM import_contact_rows
                UNION SELECT customer_id FROM import_ticket_rows
                UNION SELECT old_customer_id FROM import_ticket_rows
            ) AS touched WHERE id IS NOT NULL LIMIT %s
            """,
            [FULL_REFRESH_FROM + 1],
        )
        ids = {r[0] for r in rows}
        outcome.customers = None if len(ids) > FULL_REFRESH_FROM else ids
