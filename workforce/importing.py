"""agent_states.csv in a history directory: `agent_id, state, started_at, ended_at`.

Registered with tickets' import (WorkforceConfig.ready()). The rule for overlaps and open states
is the API's (workforce.services): a row that would overlap another state of its agent is
rejected, naming that state. The generic path hands every checked row to
workforce.services.states_write. On PostgreSQL, the rows of an agent whose rows follow one
another in time (each starts after the one before it, and after that one's end), all after the
agent's stored states, go in set-based (workforce.bulk): that rule then refuses none of them,
and only ends each open state at the next one's start. An agent whose rows are all stored as they
are is counted unchanged at once. The other agents' rows (states changed, rows that may overlap)
go through states_write.
"""

from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.importing import (
    Column,
    FileCounts,
    Format,
    HistoryFile,
    PostgresLoader,
    Row,
    RowError,
    choice,
    parse_time,
    raw_text,
    required_id,
    time_column,
)

from .bulk import states_insert_fresh
from .models import State
from .records import StateRecord
from .services import states_write

# Rows handed to the service at once: one agent's day of states is a few dozen.
BATCH = 20_000
# False: every row goes through states_write (bench/agent_states.py times both paths).
SET_BASED = True


def _ends_after_start(row: tuple[Any, ...]) -> tuple[str, str] | None:
    started, ended = row[2], row[3]
    if ended and parse_time(ended) <= parse_time(started):  # type: ignore[operator]
        return "ended_at", _("ends (%(ended)s) before or when it starts (%(started)s).") % {
            "ended": ended,
            "started": started,
        }
    return None


AGENT_STATES = Format(
    "agent_states.csv",
    (
        required_id("agent_id"),
        Column("state", choice(State.values, gettext_lazy("agent state")), required=True),
        time_column("started_at", required=True),
        time_column("ended_at"),
    ),
    check_row=_ends_after_start,
    check_row_sql="s.ended_at::timestamptz <= s.started_at::timestamptz",
)


def _write(rows: list[Row], reject: Callable[[RowError], None], counts: FileCounts) -> None:
    records = []
    for row in rows:
        agent, state, started_at, ended_at = AGENT_STATES.typed(row.values)
        records.append(StateRecord(agent, state, started_at, ended_at))
    written = states_write(records)
    for index, name, message in written.problems:
        row = rows[index]
        reject(RowError(AGENT_STATES.file, row.line, name, message, raw_text(_texts(row))))
    counts.add(written.created, written.updated, written.unchanged)
    counts.rejected += len({index for index, _n, _m in written.problems})


def _texts(row: Row) -> list[str]:
    return [v or "" for v in row.values]


def states_load_generic(
    batches: Iterator[list[Row]], reject: Callable[[RowError], None]
) -> FileCounts:
    # Occupancy is not in the contact rollups: no day of theirs to rebuild (moments empty).
    counts = FileCounts(rollups=False)
    for batch in batches:
        _write(batch, reject, counts)
    return counts


def states_load_postgres(table: str, run: PostgresLoader) -> FileCounts:
    counts = FileCounts(rollups=False)
    if SET_BASED:
        created, unchanged = states_insert_fresh(table, run)
        counts.add(created=created, unchanged=unchanged)
    offset = 0
    while True:
        rows = run.execute(
            f"SELECT line, agent_id, state, started_at, ended_at FROM {table}"
            " ORDER BY line LIMIT %s OFFSET %s",
            [BATCH, offset],
        )
        if not rows:
            return counts
        _write([Row(line, tuple(values)) for line, *values in rows], run.rejects, counts)
        offset += BATCH


HISTORY_FILES = [HistoryFile(AGENT_STATES, states_load_postgres, states_load_generic)]
