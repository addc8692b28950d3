"""Writing agents' states: the one place every way in (import, REST API) goes through.

The rule for overlaps and open states, the same everywhere:
- A state sent again with the same agent and start updates the stored one (imports that overlap
  in time count nothing twice).
- A state without an end is still running: the agent's next state (sent now or later) ends it at
  its own start.
- Otherwise two states of one agent may not overlap: the state that would overlap is refused,
  and the error names the one it overlaps. Nothing else is refused with it.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from django.db import transaction
from django.db.models import Q, Subquery
from django.utils.translation import gettext as _

from tickets import bounds
from tickets.bounds import shown
from tickets.models import Agent
from tickets.services import ids_ensure

from .models import AgentState
from .presence import presence_refresh
from .records import StateRecord

Problem = tuple[int, str, str]  # (index of the record, field, message)


@dataclass
class StatesWritten:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Stretch:
    state: str
    started_at: datetime
    ended_at: datetime | None
    index: int | None = None  # the record's, for a state being written; None when stored
    stored: AgentState | None = None
    stored_end: datetime | None = None  # the stored state's end before this write changed it


def _record_problems(records: Sequence[StateRecord]) -> list[Problem]:
    problems = []
    now = None
    for index, record in enumerate(records):
        for name, message in bounds.record_problems(record, now):
            problems.append((index, name, message))
        if record.ended_at is not None and record.ended_at <= record.started_at:
            message = _("ends (%(ended)s) before or when it starts (%(started)s).") % {
                "ended": shown(record.ended_at),
                "started": shown(record.started_at),
            }
            problems.append((index, "ended_at", message))
    return problems


# Agents whose stored neighbourhood one query reads (a few parameters each).
AGENTS_PER_QUERY = 500


def _span(items: list[tuple[int, StateRecord]]) -> tuple[datetime, datetime]:
    first = min(r.started_at for _i, r in items)
    return first, max(r.ended_at or r.started_at for _i, r in items)


def _stored_near(spans: dict[int, tuple[datetime, datetime]]) -> dict[int, list[AgentState]]:
    """Each agent's stored states around its span {agent pk: (first, last)}: those within or
    across it, and the first one after it. One query per AGENTS_PER_QUERY agents."""
    found: dict[int, list[AgentState]] = defaultdict(list)
    agents = list(spans)
    for at in range(0, len(agents), AGENTS_PER_QUERY):
        near = Q()
        for agent in agents[at : at + AGENTS_PER_QUERY]:
            first, last = spans[agent]
            after = AgentState.objects.filter(agent_id=agent, started_at__gt=last)
            near |= Q(agent_id=agent) & (
                Q(started_at__lte=last) & (Q(ended_at__gt=first) | Q(ended_at=None))
                | Q(started_at=Subquery(after.order_by("started_at").values("started_at")[:1]))
            )
        for state in AgentState.objects.filter(near):
            found[state.agent_id].append(state)
    return found


def _timeline(stored: list[AgentState], items: list[tuple[int, StateRecord]]) -> list[_Stretch]:
    """The agent's stored states around the records, with the records laid over them."""
    by_start = {s.started_at: _Stretch(s.state, s.started_at, s.ended_at, stored=s) for s in stored}
    for index, record in items:  # in the records' order: a later record for the same start wins
        old = by_start.get(record.started_at)
        by_start[record.started_at] = _Stretch(
            record.state, record.started_at, record.ended_at, index, old.stored if old else None
        )
    return [by_start[k] for k in sorted(by_start)]


def _order(stretch: _Stretch) -> int:
    """Stored states come before every record (the first record has index 0)."""
    return -1 if stretch.index is None else stretch.index


def _overlaps(timeline: list[_Stretch]) -> list[Problem]:
    """One problem per record that overlaps another state: of two, the one sent later.

    Each state is checked against the kept state that ends last, not only its neighbour: two
    short states inside a long one are both refused, the second too, though it does not touch
    the first (which is refused and so not kept)."""
    problems: dict[int, Problem] = {}
    kept: list[_Stretch] = []
    cover: _Stretch | None = None  # the kept closed state that ends last
    for b in timeline:
        while cover is not None and cover.ended_at is not None and b.started_at < cover.ended_at:
            blamed, other = (b, cover) if _order(b) > _order(cover) else (cover, b)
            if blamed.index is None:
                break  # two stored states: not a record's problem
            name = "started_at" if blamed is b else "ended_at"
            problems.setdefault(blamed.index, (blamed.index, name, _overlap_message(other)))
            if blamed is b:
                break
            kept.remove(cover)
            cover = max(
                (s for s in kept if s.ended_at is not None),
                key=lambda s: s.ended_at,  # type: ignore[arg-type, return-value]
                default=None,
            )
        if b.index is not None and b.index in problems:
            continue
        kept.append(b)
        if b.ended_at is not None and (
            cover is None or cover.ended_at is None or b.ended_at > cover.ended_at
        ):
            cover = b
    return list(problems.values())


def _overlap_message(other: _Stretch) -> str:
    end = shown(other.ended_at) if other.ended_at else _("now")
    return _(
        "overlaps the agent's state “%(state)s” from %(started)s to %(ended)s; an agent is in "
        "one state at a time."
    ) % {"state": other.state, "started": shown(other.started_at), "ended": end}


def _closed(timeline: list[_Stretch]) -> list[_Stretch]:
    """Open states ended by the next one (the last one stays open)."""
    for a, b in pairwise(timeline):
        if a.ended_at is None:
            a.ended_at = b.started_at
    return timeline


def states_check(records: Sequence[StateRecord]) -> list[Problem]:
    """Every problem of the records, as states_write would find them; writes nothing."""
    problems = _record_problems(records)
    bad = {index for index, _f, _m in problems}
    known = dict(
        Agent.objects.filter(external_id__in={r.agent for r in records}).values_list(
            "external_id", "pk"
        )
    )
    grouped = _by_agent(records, bad)
    near = _stored_near({known[a]: _span(items) for a, items in grouped.items() if a in known})
    for agent, items in grouped.items():
        problems += _overlaps(_timeline(near.get(known.get(agent, -1), []), items))
    return sorted(problems)


def _by_agent(records: Sequence[StateRecord], skip: set[int]):
    grouped: dict[str, list[tuple[int, StateRecord]]] = defaultdict(list)
    for index, record in enumerate(records):
        if index not in skip:
            grouped[record.agent].append((index, record))
    return grouped


def states_write(records: Sequence[StateRecord]) -> StatesWritten:
    """Write the records that have no problem (the others are listed in `problems`), end the
    open states they follow, and refresh the agents' hours."""
    written = StatesWritten(problems=states_check(records))
    bad = {index for index, _f, _m in written.problems}
    grouped = _by_agent(records, bad)
    if not grouped:
        return written
    with transaction.atomic():
        agents = ids_ensure(Agent, grouped)
        near = _stored_near({agents[a]: _span(items) for a, items in grouped.items()})
        spans: dict[int, tuple[datetime, datetime]] = {}
        new: list[AgentState] = []
        changed: list[AgentState] = []
        for agent, items in grouped.items():
            pk = agents[agent]
            timeline = _closed(_timeline(near.get(pk, []), items))
            touched = [s for s in timeline if _save(pk, s, written, new, changed)]
            if touched:
                # A state that got shorter frees hours up to its old end: rebuild those too.
                ends = [e for s in touched for e in (s.ended_at, s.stored_end) if e]
                first = min(s.started_at for s in touched)
                spans[pk] = (first, max([first, *ends]))
        AgentState.objects.bulk_create(new)
        AgentState.objects.bulk_update(changed, ["state", "ended_at"])
        presence_refresh(spans)
    return written


def _save(
    agent: int,
    stretch: _Stretch,
    written: StatesWritten,
    new: list[AgentState],
    changed: list[AgentState],
) -> bool:
    """Write one stretch when it changed (a new one goes to `new`, a stored one changed to
    `changed`); True when it did."""
    row = stretch.stored
    if row is None:
        new.append(
            AgentState(
                agent_id=agent,
                started_at=stretch.started_at,
                state=stretch.state,
                ended_at=stretch.ended_at,
            )
        )
        written.created += 1
        return True
    if row.state == stretch.state and row.ended_at == stretch.ended_at:
        if stretch.index is not None:
            written.unchanged += 1
        return False
    stretch.stored_end = row.ended_at
    row.state, row.ended_at = stretch.state, stretch.ended_at
    changed.append(row)
    if stretch.index is not None:
        written.updated += 1
    return True
