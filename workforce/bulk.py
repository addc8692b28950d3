"""Agents' states written set-based on PostgreSQL, for the agents the overlap rule has nothing to
refuse of: those without any stored state, whose staged rows follow one another in time.

For such an agent, workforce.services.states_write (fed in batches, in the file's order) writes
every row and ends each open state at the start of the agent's next one, whatever the batches:
each batch's first row of the agent comes after every state stored before it. The same is done
here in a few statements, and the agents' hours (workforce.presence) are computed in SQL from
the rows written, cut at the same local hours. The rows go from the staging table; the rest stay
for states_write.
"""

from django.conf import settings

from tickets.importing import PostgresLoader
from tickets.models import Agent

from .models import State
from .presence import COLUMNS

# The UTC start of the local hour of TIME_ZONE holding `t`, its offset kept (as
# workforce.presence.hour_start: the hour a DST change repeats is two hours).
HOUR_START = "({t} - (({t} AT TIME ZONE %(zone)s) - date_trunc('hour', {t} AT TIME ZONE %(zone)s)))"


def states_insert_fresh(table: str, run: PostgresLoader) -> int:
    """Write the staged states of the agents without stored states whose rows follow one
    another in time, with their hours; delete them from `table`. Returns how many."""
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
    run.execute(
        """
        CREATE TEMPORARY TABLE import_states_fresh ON COMMIT DROP AS
        SELECT t.line, t.agent_id, t.state, t.started_at,
               COALESCE(t.ended_at, t.next_at) AS ended_at
        FROM import_states_typed AS t
        JOIN (SELECT agent_id FROM import_states_typed
              GROUP BY agent_id
              HAVING bool_and(next_at IS NULL
                              OR (next_at > started_at
                                  AND (ended_at IS NULL OR ended_at <= next_at)))) AS g
          ON g.agent_id = t.agent_id
        WHERE NOT EXISTS (SELECT 1 FROM workforce_agentstate AS e WHERE e.agent_id = t.agent_id)
        """
    )
    run.execute("ANALYZE import_states_fresh")
    run.execute(f"DELETE FROM {table} AS s USING import_states_fresh AS f WHERE s.line = f.line")
    [(fresh, rest)] = run.execute(
        f"SELECT (SELECT count(*) FROM import_states_fresh), (SELECT count(*) FROM {table})"
    )
    if fresh:
        _hours(run)
        # states_write needs the (agent, start) index: a bulk load only when it has nothing left.
        if not rest and run.is_empty("workforce_agentstate"):
            run.bulk_prepare(["workforce_agentstate"], fresh, plain_insert=True)
        run.execute(
            "INSERT INTO workforce_agentstate (agent_id, state, started_at, ended_at)"
            " SELECT agent_id, state, started_at, ended_at FROM import_states_fresh"
        )
    run.execute("DROP TABLE import_states_typed, import_states_fresh")
    return fresh


def _hours(run: PostgresLoader) -> None:
    """The fresh states' hours, as workforce.presence.presence_refresh rebuilds them: each
    ended state but logged out, cut at every local hour, its seconds summed per agent and hour.
    The hours the agents had within the span of their new states are replaced."""
    params = {"zone": settings.TIME_ZONE, "logged_out": State.LOGGED_OUT}
    sums = ", ".join(
        f"COALESCE(round(sum(p.seconds) FILTER (WHERE p.state = %({column})s)), 0) AS {column}"
        for column in COLUMNS.values()
    )
    params.update({column: state for state, column in COLUMNS.items()})
    run.execute(
        f"""
        CREATE TEMPORARY TABLE import_states_hours ON COMMIT DROP AS
        SELECT p.agent_id, p.hour, round(sum(p.seconds)) AS logged_in, {sums}
        FROM (
            SELECT f.agent_id, f.state, h.hour,
                   extract(epoch FROM least(f.ended_at, h.hour + interval '1 hour')
                                      - greatest(f.started_at, h.hour)) AS seconds
            FROM import_states_fresh AS f
            CROSS JOIN LATERAL generate_series(
                {HOUR_START.format(t="f.started_at")}, f.ended_at - interval '1 microsecond',
                interval '1 hour') AS h(hour)
            WHERE f.ended_at IS NOT NULL AND f.state <> %(logged_out)s
        ) AS p
        GROUP BY p.agent_id, p.hour
        """,
        params,
    )
    if run.is_empty("workforce_presencehour"):
        [(hours,)] = run.execute("SELECT count(*) FROM import_states_hours")
        run.bulk_prepare(["workforce_presencehour"], hours, plain_insert=True)
    else:
        run.execute(
            """
            DELETE FROM workforce_presencehour AS ph
            USING (SELECT agent_id, min(hour) AS low, max(hour) AS high
                   FROM import_states_hours GROUP BY agent_id) AS span
            WHERE ph.agent_id = span.agent_id AND ph.hour BETWEEN span.low AND span.high
            """
        )
    columns = ", ".join(["logged_in", *COLUMNS.values()])
    run.execute(
        f"""
        INSERT INTO workforce_presencehour (agent_id, team_id, hour, {columns})
        SELECT h.agent_id, a.team_id, h.hour, {", ".join(f"h.{c}" for c in columns.split(", "))}
        FROM import_states_hours AS h JOIN tickets_agent AS a ON a.id = h.agent_id
        """
    )
    run.execute("DROP TABLE import_states_hours")
