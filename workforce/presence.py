"""Cutting states into local hours, and keeping the hours' rollup (PresenceHour) up to date.

A state is cut at every local hour boundary of TIME_ZONE. Boundaries are found in the local
clock and stepped in UTC, so that the hour a DST change repeats is two hours here, and the day
of the change has its 23 or 25 hours. An open state (no end yet) counts nothing until it ends.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tickets.models import Agent

from .models import AgentState, PresenceHour, State

HOUR = timedelta(hours=1)
# The rollup's column each state adds its seconds to (every state but logged out is logged in).
COLUMNS: dict[str, str] = {
    State.BREAK: "breaks",
    State.HANDLING: "handling",
    State.AFTER_CONTACT_WORK: "after_contact_work",
}


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def hour_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """The UTC start of the local hour holding `moment` (its fold kept: the repeated hour)."""
    local = moment.astimezone(tz)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def hour_pieces(
    started: datetime, ended: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, float]]:
    """(UTC start of a local hour, seconds of [started, ended) within it), in time order."""
    moment = started
    while moment < ended:
        start = hour_start(moment, tz)
        stop = min(ended, start + HOUR)
        yield start, (stop - moment).total_seconds()
        moment = stop


def hours_of(states: Iterable[tuple[str, datetime, datetime | None]], tz: ZoneInfo):
    """{hour: {column: seconds}} for (state, started, ended) stretches."""
    totals: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for state, started, ended in states:
        if ended is None or state == State.LOGGED_OUT:
            continue
        for hour, seconds in hour_pieces(started, ended, tz):
            totals[hour]["logged_in"] += seconds
            if state in COLUMNS:
                totals[hour][COLUMNS[state]] += seconds
    return totals


# Agents whose hours one round of queries rebuilds (a few parameters each).
AGENTS_PER_QUERY = 500


def presence_refresh(spans: dict[int, tuple[datetime, datetime]]) -> None:
    """Rebuild the hours of each agent's span {agent pk: (from, to)} from their states: one read
    of the states, one delete and one insert per AGENTS_PER_QUERY agents."""
    tz = zone()
    agents = list(spans)
    with transaction.atomic():
        for at in range(0, len(agents), AGENTS_PER_QUERY):
            hours = {}
            for agent in agents[at : at + AGENTS_PER_QUERY]:
                first, last = spans[agent]
                hours[agent] = (hour_start(first, tz), hour_start(last, tz) + HOUR)
            _hours_rebuild(hours, tz)


def _hours_rebuild(hours: dict[int, tuple[datetime, datetime]], tz: ZoneInfo) -> None:
    teams = dict(Agent.objects.filter(pk__in=hours).values_list("pk", "team_id"))
    states, rollup = Q(), Q()
    for agent, (low, high) in hours.items():
        states |= Q(agent_id=agent, started_at__lt=high) & (Q(ended_at__gt=low) | Q(ended_at=None))
        rollup |= Q(agent_id=agent, hour__gte=low, hour__lt=high)
    stretches: dict[int, list] = defaultdict(list)
    rows = AgentState.objects.filter(states).values_list(
        "agent_id", "state", "started_at", "ended_at"
    )
    for agent, s, a, e in rows:
        low, high = hours[agent]
        stretches[agent].append((s, max(a, low), None if e is None else min(e, high)))
    PresenceHour.objects.filter(rollup).delete()
    PresenceHour.objects.bulk_create(
        PresenceHour(
            agent_id=agent,
            team_id=teams.get(agent),
            hour=hour,
            **{k: round(v) for k, v in columns.items()},
        )
        for agent in hours
        for hour, columns in sorted(hours_of(stretches[agent], tz).items())
    )
