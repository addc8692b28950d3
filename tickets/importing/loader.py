"""The PostgreSQL loader toolkit: what a file's import does with rows staged in a temporary table.

Used by the tickets run (tickets.importing.postgres) and by the files other apps register
(surveys' answers, agents' ratings, repeat causes): run SQL, reject staged rows whose references
do not resolve, create the customers, teams or agents a file names, upsert the rows into a model's
table (skipping those sent again unchanged), and drop then re-create a table's foreign keys and
secondary indexes around a bulk load.

A large load (at least BULK_FROM_ROWS rows, and more than the table holds) goes in with the
table's foreign keys and secondary indexes dropped, and both re-created, as pg_catalog defines
them, before the import ends: each index is then built by one sort, and each foreign key checked
by one join, instead of an index entry and a deferred check (run row by row at COMMIT) per row.
All in the import's transaction: a failure leaves the schema too as it was. The tables' primary
keys and check constraints stay, and so do their unique constraints unless the load is a plain
INSERT into an empty table (ON CONFLICT needs them); the re-created ones are then checked as they
are built.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models

from .csv_rows import Format, RowError, raw_text

# A load of at least this many rows into a table holding fewer rows than it brings is a bulk
# load. Below, keeping the indexes costs less than rebuilding them.
BULK_FROM_ROWS = 50_000
# An upsert lists the times of the rows it wrote (for the rollups' dirty days) up to this many;
# past it the import rebuilds every day anyway (tickets.importing.history).
MOMENTS_UP_TO = 50_000


def staging_table(fmt: Format) -> str:
    return "import_" + fmt.file.removesuffix(".csv")


def sql_row(alias: str, columns: list[str]) -> str:
    """`(alias.a, alias.b, ...)`: a row to compare whole."""
    return "(" + ", ".join(f"{alias}.{c}" for c in columns) + ")"


def sql_assign(columns: list[str]) -> str:
    """`a = EXCLUDED.a, ...`: ON CONFLICT DO UPDATE's SET."""
    return ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)


@dataclass
class Upserted:
    created: int
    updated: int
    # Old and new values of the `moment` column of the rows written; None when there were too
    # many to list (more than MOMENTS_UP_TO) or no column was asked for.
    moments: list[datetime] | None = None


class PostgresLoader:
    """Set-based loading of staged rows, inside the import's transaction."""

    def __init__(self, rejects: Callable[[RowError], None]) -> None:
        self.rejects = rejects
        # Bulk loads: tables whose foreign keys and secondary indexes are dropped, and the
        # statements that re-create them (unique constraints, indexes, then the foreign keys).
        self.bulk_tables: set[str] = set()
        self.bulk_uniques: list[str] = []
        self.bulk_indexes: list[str] = []
        self.bulk_constraints: list[str] = []
        # Rows staged for the registered file being loaded (its loader's upsert is the load).
        self.loading_rows = 0

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
        self.reject_rows(
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
        self,
        model: type[models.Model],
        columns: list[str],
        select_sql: str,
        conflict: str,
        moment: str | None = None,
    ) -> Upserted:
        """INSERT the rows `select_sql` gives for `columns` (the model's other fields take their
        defaults), updating those that conflict on `conflict` and differ.

        `moment`: one of `columns`, a time whose old and new values the written rows report
        (their days' rollups may change).

        After a bulk load, the table is analyzed: what follows (the rollups' build, the next
        import's look-ups by contact or ticket, the first KPI queries) is planned on its rows,
        not on the planner's guesses for a table it never sampled, which read the whole table
        to find a few rows. Autovacuum would get there, but only after the import, or never
        where it is off."""
        upserted = self._upsert(model, columns, select_sql, conflict, moment)
        if model._meta.db_table in self.bulk_tables:
            self.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        return upserted

    def _upsert(
        self,
        model: type[models.Model],
        columns: list[str],
        select_sql: str,
        conflict: str,
        moment: str | None,
    ) -> Upserted:
        table = model._meta.db_table
        empty = self.is_empty(table)
        self.bulk_prepare([table], self.loading_rows, plain_insert=empty)
        rest = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.column not in columns
        ]
        defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
        all_columns = ", ".join([*columns, *(f.column for f in rest)])
        marks = "".join(f", %s::{f.db_type(connection)}" for f in rest)
        listed = moment is not None and self.loading_rows <= MOMENTS_UP_TO
        if empty:
            # Nothing to conflict with, and `select_sql` gives each key once (ON CONFLICT DO
            # UPDATE would refuse it otherwise): a plain INSERT, without the per-row conflict
            # check.
            insert = (
                f"INSERT INTO {table} ({all_columns}) SELECT s.*{marks} FROM ({select_sql}) AS s"
            )
            if not listed:
                return Upserted(self.execute(insert, defaults), 0)
            [(created, moments)] = self.execute(
                f"WITH up AS ({insert} RETURNING {moment})"
                f" SELECT count(*), COALESCE(array_agg(DISTINCT {moment}), '{{}}') FROM up",
                defaults,
            )
            return Upserted(created, 0, moments)
        keys = [c.strip() for c in conflict.split(",")]
        changing = [c for c in columns if c not in keys]
        # The statement's snapshot is taken before it writes: `old` reads the values replaced.
        old = (
            f", old AS (SELECT e.{moment} AS m FROM {table} AS e JOIN up"
            f" ON {sql_row('e', keys)} = {sql_row('up', keys)} WHERE NOT up.created)"
            if listed
            else ""
        )
        moments_sql = (
            f", (SELECT COALESCE(array_agg(DISTINCT m), '{{}}') FROM"
            f" (SELECT {moment} AS m FROM up UNION ALL SELECT m FROM old) AS both_values)"
            if listed
            else ", NULL"
        )
        returning = ", ".join(
            f"t.{c}" for c in dict.fromkeys([*keys, *([moment] if moment else [])])
        )
        [(created, updated, moments)] = self.execute(
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
                RETURNING {returning}, t.xmax = 0 AS created
            ){old}
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created)
                   {moments_sql}
            FROM up
            """,
            defaults,
        )
        return Upserted(created, updated, moments)

    def reject_rows(self, table: str, errors: list[RowError]) -> None:
        """Report `errors` and delete their rows from the staging `table`."""
        for error in errors:
            self.rejects(error)
        if errors:
            self.execute(f"DELETE FROM {table} WHERE line = ANY(%s)", [[e.line for e in errors]])

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
