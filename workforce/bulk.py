"""Agents' states written set-based on PostgreSQL, for the agents the overlap rule has nothing to
refuse of: those whose staged rows follow one another in time (each starts after the one before
it, and after that one's end), the first one after every stored state of the agent (a first
import, or the next export of a daily sync).

For such an agent, workforce.services.states_write (fed in batches, in the file's order) writes
every row, ends each open state at the start of the agent's next one (a stored one left open
too), and refuses none, whatever the batches: each batch's first row of the agent comes after
every state stored before it. The same is done here in a few statements, and the agents' hours
over the span written (workforce.presence) are rebuilt in SQL from their states, cut at the same
local hours. Those rows go from the staging table; the rest stay for states_write.
"""

from django.conf import settings

from tickets.importing import PostgresLoader
from tickets.models import Agent

from .models import State
from .presence import COLUMNS

# The UTC start of the local hour of TIME_ZONE holding `t`, its offset kept (as
# workforce.presence.hour_start: the hour a DST change repeats is two hours).
HOUR_START = "({t} - (({t} AT TIME ZONE %(zone)s) - date_trunc('hour', {t} AT TIME ZONE %(zone)s)))"


def states_insert_fresh(table: str, run: PostgresLoader) -> tuple[int, int]:
    """Write the staged states of the agents whose rows follow one another in time and come
    after every stored state of theirs, end each one's last stored state when it was open, and
    rebuild their hours; set aside the agents whose rows are all stored as they are; delete
    both's rows from `table`. Returns (states written, states unchanged)."""
    run.entities_ensure(Agent, f"SELECT agent_id AS external_id FROM {table}")
    run.execute(
        f"""
        CREATE TEMPORARY TABLE import_states_typed ON COMMIT DROP AS
        SELECT s.line, a.id AS agent_id, s.state, s.started_at::timestamptz AS started_at,
               s.ended_at::timestamptz AS ended_at,
               lead(s.started_at::timestamptz) OVER (PARTITION BY a.id ORDER BY s.line) AS next_at
        FROM {table} AS s JOIN tickets_agent AS a ON a.external_id = s.agent_id
        """
    )
    run.execute("ANALYZE import_states_typed")
    unchanged = _unchanged_drop(table, run)
    # Each agent's last stored state (by its index, read backwards).
    run.execute(
        """
        CREATE TEMPORARY TABLE import_states_last ON COMMIT DROP AS
        SELECT g.agent_id, l.id, l.started_at, l.ended_at
        FROM (SELECT DISTINCT agent_id FROM import_states_typed) AS g
        CROSS JOIN LATERAL (SELECT e.id, e.started_at, e.ended_at FROM workforce_agentstate AS e
                            WHERE e.agent_id = g.agent_id
                            ORDER BY e.started_at DESC LIMIT 1) AS l
        """
    )
    run.execute(
        """
        CREATE TEMPORARY TABLE import_states_agents ON COMMIT DROP AS
        SELECT g.agent_id, g.first,
               CASE WHEN l.ended_at IS NULL THEN l.id END AS open_id,
               CASE WHEN l.ended_at IS NULL THEN l.started_at END AS open_at
        FROM (SELECT agent_id, min(started_at) AS first FROM import_states_typed
              GROUP BY agent_id
              HAVING bool_and(next_at IS NULL
                              OR (next_at > started_at
                                  AND (ended_at IS NULL OR ended_at <= next_at)))) AS g
        LEFT JOIN import_states_last AS l ON l.agent_id = g.agent_id
        WHERE l.agent_id IS NULL
           OR (l.started_at < g.first AND (l.ended_at IS NULL OR l.ended_at <= g.first))
        """
    )
    run.execute(
        """
        CREATE TEMPORARY TABLE import_states_fresh ON COMMIT DROP AS
        SELECT t.line, t.agent_id, t.state, t.started_at,
               COALESCE(t.ended_at, t.next_at) AS ended_at
        FROM import_states_typed AS t JOIN import_states_agents AS g ON g.agent_id = t.agent_id
        """
    )
    run.execute("ANALYZE import_states_fresh")
    run.execute(f"DELETE FROM {table} AS s USING import_states_fresh AS f WHERE s.line = f.line")
    [(fresh, rest)] = run.execute(
        f"SELECT (SELECT count(*) FROM import_states_fresh), (SELECT count(*) FROM {table})"
    )
    if fresh:
        # states_write needs the (agent, start) index: a bulk load only when it has nothing left.
        if not rest and run.is_empty("workforce_agentstate"):
            run.bulk_prepare(["workforce_agentstate"], fresh, plain_insert=True)
        run.execute(
            "INSERT INTO workforce_agentstate (agent_id, state, started_at, ended_at)"
            " SELECT agent_id, state, started_at, ended_at FROM import_states_fresh"
        )
        # An open last state is ended by the agent's next one.
        run.execute(
            """
            UPDATE workforce_agentstate AS e SET ended_at = g.first
            FROM import_states_agents AS g WHERE e.id = g.open_id
            """
        )
        _hours(run, bulk=not rest)
    run.execute(
        "DROP TABLE import_states_typed, import_states_last, import_states_agents,"
        " import_states_fresh"
    )
    return fresh, unchanged


def _unchanged_drop(table: str, run: PostgresLoader) -> int:
    """The rows of the agents whose every row is a stored state sent again as it is (each start
    once): states_write would leave them all unchanged. Dropped from `table` and counted."""
    run.execute(
        """
        CREATE TEMPORARY TABLE import_states_same ON COMMIT DROP AS
        SELECT t.agent_id FROM import_states_typed AS t
        LEFT JOIN workforce_agentstate AS e
          ON e.agent_id = t.agent_id AND e.started_at = t.started_at
        GROUP BY t.agent_id
        HAVING bool_and(e.id IS NOT NULL AND e.state = t.state
                        AND e.ended_at IS NOT DISTINCT FROM t.ended_at)
           AND count(DISTINCT t.started_at) = count(*)
        """
    )
    lines = run.execute(
        "DELETE FROM import_states_typed AS t USING import_states_same AS g"
        " WHERE t.agent_id = g.agent_id RETURNING t.line"
    )
    if lines:
        run.execute(f"DELETE FROM {table} WHERE line = ANY(%s)", [[line for (line,) in lines]])
    run.execute("DROP TABLE import_states_same")
    return len(lines)


def _hours(run: PostgresLoader, bulk: bool) -> None:
    """The agents' hours over the span of their written states, rebuilt from every state of
    theirs as workforce.presence.presence_refresh does: each ended state but logged out, cut at
    every local hour within the span, its seconds summed per agent and hour. `bulk`: no other
    agent's hours are rebuilt after (by states_write, which needs the (agent, hour) index)."""
    params = {"zone": settings.TIME_ZONE, "logged_out": State.LOGGED_OUT}
    params.update({column: state for state, column in COLUMNS.items()})
    sums = ", ".join(
        f"COALESCE(round(sum(p.seconds) FILTER (WHERE p.state = %({column})s)), 0) AS {column}"
        for column in COLUMNS.values()
    )
    low = HOUR_START.format(t="least(min(f.started_at), min(g.open_at))")
    high = HOUR_START.format(t="max(greatest(f.started_at, f.ended_at))")
    run.execute(
        f"""
        CREATE TEMPORARY TABLE import_states_spans ON COMMIT DROP AS
        SELECT f.agent_id, {low} AS low, {high} + interval '1 hour' AS high
        FROM import_states_fresh AS f JOIN import_states_agents AS g ON g.agent_id = f.agent_id
        GROUP BY f.agent_id
        """,
        params,
    )
    run.execute("ANALYZE import_states_spans")
    run.execute(
        f"""
        CREATE TEMPORARY TABLE import_states_hours ON COMMIT DROP AS
        SELECT p.agent_id, p.hour, round(sum(p.seconds)) AS logged_in, {sums}
        FROM (
            SELECT e.agent_id, e.state, h.hour,
                   extract(epoch FROM least(e.ended_at, sp.high, h.hour + interval '1 hour')
                                      - greatest(e.started_at, sp.low, h.hour)) AS seconds
            FROM import_states_spans AS sp
            JOIN workforce_agentstate AS e
              ON e.agent_id = sp.agent_id AND e.started_at < sp.high AND e.ended_at > sp.low
            CROSS JOIN LATERAL generate_series(
                {HOUR_START.format(t="greatest(e.started_at, sp.low)")},
                least(e.ended_at, sp.high) - interval '1 microsecond',
                interval '1 hour') AS h(hour)
            WHERE e.state <> %(logged_out)s
        ) AS p
        GROUP BY p.agent_id, p.hour
        """,
        params,
    )
    if bulk and run.is_empty("workforce_presencehour"):
        [(hours,)] = run.execute("SELECT count(*) FROM import_states_hours")
        run.bulk_prepare(["workforce_presencehour"], hours, plain_insert=True)
    elif not run.is_empty("workforce_presencehour"):
        run.execute(
            """
            DELETE FROM workforce_presencehour AS ph USING import_states_spans AS sp
            WHERE ph.agent_id = sp.agent_id AND ph.hour >= sp.low AND ph.hour < sp.high
            """
        )
    columns = ["logged_in", *COLUMNS.values()]
    run.execute(
        f"""
        INSERT INTO workforce_presencehour (agent_id, team_id, hour, {", ".join(columns)})
        SELECT h.agent_id, a.team_id, h.hour, {", ".join(f"h.{c}" for c in columns)}
        FROM import_states_hours AS h JOIN tickets_agent AS a ON a.id = h.agent_id
        """
    )
    run.execute("DROP TABLE import_states_spans, import_states_hours")
