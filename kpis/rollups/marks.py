"""Marking days dirty when history changes, so that they are scanned until rebuilt.

A write marks every local day whose rollups it may change, before and after the change:
- a contact at t (old and new t): the days of (t - window, t + window), since the repeat and
  followed facts of its neighbours, the re-contact fact of tickets solved up to a window
  before it, and whether a chatbot session of its customer started up to a window before it
  was handed off to a person (the session's day, not the contact's: parts.py) may change;
  the solved day of its tickets (old and new), whose inbound count and first inbound contact
  may change; the days of the answers about it (their segment is its
  channel, team and agent);
- a contact at t (old and new t), again: the days of the repeat causes given about contacts
  that started in [t, t + window], whose repeat fact may change;
- for the part rollups (parts.py), which count answers by facts of their contact and ticket
  and agents' ratings by their contact's team: the days of the agents' ratings about a changed
  contact; of the answers about its tickets (old and new: their inbound count and first
  contact may change) and about a changed ticket; of the answers about contacts started in
  [t, t + window] (their repeat fact) and about tickets solved in [t - window, t] (their
  re-contact fact);
- a ticket: the days it was and is solved on;
- a survey answer, an agent's rating or a repeat cause: the days it was and is given on.
Marking more days than needed costs a rebuild, never a wrong figure. A history import marks
the days of what it wrote and rebuilds them in its transaction; a first load, or a large one,
rebuilds everything in one pass instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.functions import TruncDate

from config.celery import queue_after_commit_throttled
from surveys.models import AgentRating, RepeatCause, Response
from tickets.facts import fcr_window
from tickets.models import Contact, Ticket

from .build import rollup_zone
from .models import DirtyDay, RollupState

# While this cache key lives, a refresh is queued to start after it expires.
REFRESH_QUEUED_KEY = "kpis:rollups:refresh-queued"


def days_mark(days: Iterable[date]) -> int:
    """Mark local days dirty (and have them rebuilt soon after the commit)."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    DirtyDay.objects.bulk_create([DirtyDay(day=d) for d in wanted], batch_size=500)
    from ..tasks import kpi_rollups_refresh

    # After the commit, one refresh a second at most however many writes mark days; a broker
    # that refuses the task loses nothing (the days stay dirty, hence scanned, until the beat's
    # refresh), so it must not fail the write's request.
    queue_after_commit_throttled(kpi_rollups_refresh, REFRESH_QUEUED_KEY)
    return len(wanted)


def _day(moment: datetime) -> date:
    return moment.astimezone(rollup_zone()).date()


def _around(moments: Iterable[datetime | None]) -> set[date]:
    window = fcr_window()
    days: set[date] = set()
    for moment in moments:
        if moment is None:
            continue
        first, last = _day(moment - window), _day(moment + window)
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return days


def _local_days(queryset: Any, field: str) -> set[date]:
    return set(
        queryset.exclude(**{f"{field}__isnull": True})
        .annotate(d=TruncDate(field, tzinfo=rollup_zone()))
        .values_list("d", flat=True)
        .distinct()
    )


def _watching() -> bool:
    # Never built: everything is scanned, nothing to keep exact.
    return RollupState.objects.exists()


def history_marks(
    contacts_at: Iterable[datetime | None] = (),
    solved_at: Iterable[datetime | None] = (),
    ticket_ids: Iterable[int | None] = (),
    contact_ids: Iterable[int] = (),
) -> int:
    """Mark the days a batch of contact and ticket writes may change (old and new values)."""
    if not _watching():
        return 0
    days = _around(contacts_at)
    days |= {_day(m) for m in solved_at if m is not None}
    tickets = sorted({pk for pk in ticket_ids if pk is not None})
    for chunk in _chunks(tickets):
        days |= _local_days(Ticket.objects.filter(pk__in=chunk), "solved_at")
        days |= _local_days(Response.objects.filter(ticket_id__in=chunk), "responded_at")
    for chunk in _chunks(sorted(set(contact_ids))):
        days |= _local_days(Response.objects.filter(contact_id__in=chunk), "responded_at")
        days |= _local_days(AgentRating.objects.filter(contact_id__in=chunk), "rated_at")
    days |= _cause_days(contacts_at)
    days |= _answer_days(contacts_at)
    return days_mark(days)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    # SQLite caps a statement's parameters.
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _spans(
    moments: Iterable[datetime | None], before: bool = False
) -> list[tuple[datetime, datetime]]:
    """[t, t + window] (or [t - window, t]) around each moment, overlapping ones merged."""
    window = fcr_window()
    spans: list[tuple[datetime, datetime]] = []
    for moment in sorted(m for m in moments if m is not None):
        a, b = (moment - window, moment) if before else (moment, moment + window)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def _days_within(queryset: Any, path: str, spans: list, field: str) -> set[date]:
    """Days (of `field`) of the rows whose `path` falls in one of the spans."""
    days: set[date] = set()
    for i in range(0, len(spans), 200):  # SQLite caps a statement's parameters
        within = Q()
        for a, b in spans[i : i + 200]:
            within |= Q(**{f"{path}__gte": a, f"{path}__lte": b})
        days |= _local_days(queryset.filter(within), field)
    return days


def _cause_days(moments: Iterable[datetime | None]) -> set[date]:
    """Days of the causes about contacts started within a window after any of `moments`."""
    return _days_within(
        RepeatCause.objects.all(), "contact__started_at", _spans(moments), "answered_at"
    )


def _answer_days(moments: Iterable[datetime | None]) -> set[date]:
    """Days of the answers about contacts started within a window after any of `moments`
    (their repeat fact), or about tickets solved within a window before (re-contact fact)."""
    moments = list(moments)
    answers = Response.objects.all()
    days = _days_within(answers, "contact__started_at", _spans(moments), "responded_at")
    return days | _answer_days_of_solved(_spans(moments, before=True))


def _answer_days_of_solved(spans: list) -> set[date]:
    """Days of the answers about tickets solved in one of the spans.

    PostgreSQL looks the tickets' answers up by key: joined as sets, the planner hashes every
    answer there is to find those of a week's tickets (200 ms at five million contacts against
    40 ms looked up, and growing with the history)."""
    if connection.vendor != "postgresql":
        return _days_within(Response.objects.all(), "ticket__solved_at", spans, "responded_at")
    days: set[date] = set()
    quote = connection.ops.quote_name
    column = f"{quote(Response._meta.db_table)}.{quote('ticket_id')}"
    for i in range(0, len(spans), 200):
        within = Q()
        for a, b in spans[i : i + 200]:
            within |= Q(solved_at__gte=a, solved_at__lte=b)
        tickets, params = Ticket.objects.filter(within).values("pk").query.sql_with_params()
        answers = Response.objects.extra(  # noqa: S610 (the SQL is the ORM's, with its params)
            where=[f"{column} = ANY(ARRAY({tickets}))"], params=list(params)
        )
        days |= _local_days(answers, "responded_at")
    return days


# Model signals: rows saved one by one (survey answers, the admin, tests' factories).


def contact_saving(sender: Any, instance: Contact, **kwargs: Any) -> None:
    if instance.pk is None or not _watching():
        return
    old = Contact.objects.filter(pk=instance.pk).values("started_at", "ticket_id").first()
    if old:
        history_marks([old["started_at"]], ticket_ids=[old["ticket_id"]], contact_ids=[instance.pk])


def contact_saved(sender: Any, instance: Contact, **kwargs: Any) -> None:
    history_marks([instance.started_at], ticket_ids=[instance.ticket_id], contact_ids=[instance.pk])


def ticket_saving(sender: Any, instance: Ticket, **kwargs: Any) -> None:
    if instance.pk is None or not _watching():
        return
    old = Ticket.objects.filter(pk=instance.pk).values_list("solved_at", flat=True).first()
    history_marks(solved_at=[old], ticket_ids=[instance.pk])


def ticket_saved(sender: Any, instance: Ticket, **kwargs: Any) -> None:
    history_marks(solved_at=[instance.solved_at], ticket_ids=[instance.pk])


def answer_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A survey answer or an agent's rating about to change: mark the day it was given."""
    if instance.pk is None or not _watching():
        return
    field = _ANSWER_DAY[sender]
    old = sender.objects.filter(pk=instance.pk).values_list(field, flat=True).first()
    if old is not None:
        days_mark([_day(old)])


def answer_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    moment = getattr(instance, _ANSWER_DAY[sender])
    if moment is not None and _watching():
        days_mark([_day(moment)])


_ANSWER_DAY = {Response: "responded_at", AgentRating: "rated_at", RepeatCause: "answered_at"}


def history_changed(
    sender: Any,
    everything: bool = False,
    contacts_at: Iterable[datetime | None] = (),
    solved_at: Iterable[datetime | None] = (),
    ticket_ids: Iterable[int | None] = (),
    contact_ids: Iterable[int] = (),
    moments: Iterable[datetime | None] = (),
    answers_at: Iterable[datetime] = (),
    refresh_now: bool = False,
    **kwargs: Any,
) -> None:
    """Receiver of tickets.signals.history_changed: mark the days, or rebuild everything.

    `moments`: times of answers, ratings or causes written (their days). `refresh_now`: rebuild
    the dirty days at once, in the caller's transaction (a history import), rather than in the
    task queued after the commit."""
    from .build import rollups_rebuild, rollups_refresh

    if everything or (refresh_now and not _watching()):
        # Sent by a history import, inside its transaction: one step reads each table once.
        # (Never built yet: the import builds them, as a first load does.)
        rollups_rebuild(resume=False, step_days=None)
        return
    marked = history_marks(contacts_at, solved_at, ticket_ids, contact_ids)
    answers = [m for m in (*moments, *answers_at) if m is not None]
    if answers and _watching():
        marked += days_mark({_day(moment) for moment in answers})
    if refresh_now and marked:
        rollups_refresh()


def zone_changed() -> bool:
    current = RollupState.objects.filter(pk=1).values_list("time_zone", flat=True).first()
    return current is not None and current != settings.TIME_ZONE


# The answer targets: the part rollups count answers and contacts within them (parts.py).


def target_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    old = sender.objects.filter(pk=instance.pk).values_list("answer_seconds", flat=True).first()
    instance._answer_target_changed = instance.pk is None or old != instance.answer_seconds


def target_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A channel's answer target edited (or removed): counts within it are stale in every day,
    so nothing is served from the rollups until the refresh queued after the commit has rebuilt
    them all (a full build)."""
    if not getattr(instance, "_answer_target_changed", True) or not _watching():
        return
    RollupState.objects.filter(pk=1).update(status=RollupState.BUILDING, built_through=None)
    from ..tasks import kpi_rollups_refresh

    queue_after_commit_throttled(kpi_rollups_refresh, REFRESH_QUEUED_KEY)
