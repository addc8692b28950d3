"""Filling the rollups, set-based: per run of days, DELETE then INSERT ... SELECT ... GROUP BY.

- `rollups_rebuild()`: every day of the history, month by month, recording how far it got
  (`RollupState.built_through`) so that an interrupted build resumes; the rollups are served
  only once it has finished, and only in the zone it was built in.
- `rollups_refresh()`: the days marked dirty by writes (kpis.rollups.marks), and a full rebuild
  when TIME_ZONE changed since the build, or the facts were recomputed with another window.
  While the stored facts are not those of FCR_WINDOW_DAYS (tickets.facts_state), it waits:
  the rollups are not served meanwhile, and `facts_rebuild` rebuilds them all once the facts
  are current.

Every run of days takes the state row's lock first: two rebuilds of the same day never
interleave (their DELETE and INSERT would double the day).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from tickets.facts_state import facts_stale, facts_window

from ..scope import day_runs
from .models import DirtyDay, PartDay, RollupState
from .parts import parts_rebuild
from .specs import RollupSpec, specs

# Days rebuilt per transaction in a full build: one step of the fill state.
STEP_DAYS = 31

Progress = Callable[[date, date, date], None]  # (first day, last day, done through)


def rollup_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def state() -> RollupState | None:
    return RollupState.objects.filter(pk=1).first()


def _locked_state() -> RollupState:
    RollupState.objects.get_or_create(
        pk=1, defaults={"time_zone": settings.TIME_ZONE, "fcr_window_days": facts_window()}
    )
    return RollupState.objects.select_for_update().get(pk=1)


def history_days() -> tuple[date, date] | None:
    """The first and last local day any rolled-up history counts on."""
    tz = rollup_zone()
    bounds: list[datetime] = []
    for spec in specs().values():
        found = spec.source().aggregate(a=Min(spec.date_field), b=Max(spec.date_field))
        bounds += [v for v in found.values() if v is not None]
    if not bounds:
        return None
    return min(bounds).astimezone(tz).date(), max(bounds).astimezone(tz).date()


def days_rebuild(first: date, last: date) -> None:
    """Recompute every rollup of the local days first..last (both included), in place."""
    tz = rollup_zone()
    since = datetime.combine(first, time.min, tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    for spec in specs().values():
        spec.model.objects.filter(day__gte=first, day__lte=last).delete()
        _insert(spec, since, until, tz)
    parts_rebuild(first, last, since, until, tz)


def _insert(spec: RollupSpec, since: datetime, until: datetime, tz: ZoneInfo) -> None:
    rows = (
        spec.source()
        .filter(**{f"{spec.date_field}__gte": since, f"{spec.date_field}__lt": until})
        .annotate(r_day=TruncDate(spec.date_field, tzinfo=tz))
        .values("r_day", **{f"r_{col}": F(path) for col, path in spec.segments.items()})
        .annotate(**{f"m_{col}": aggregate for col, aggregate in spec.measures.items()})
        .order_by()
    )
    select, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ["day", *spec.segments, *spec.measures]
    values = [
        "r_day",
        *(f"r_{col}" for col in spec.segments),
        *(f"COALESCE(m_{col}, 0)" for col in spec.measures),
    ]
    # Day by day: a day's rows then lie together, and rebuilding a few days after an import
    # reads and deletes a few pages, not a page per row scattered over the whole table (a
    # build in one pass groups by hash, in no order).
    sql = (
        f"INSERT INTO {quote(spec.model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"SELECT {', '.join(values)} FROM ({select}) AS rolled ORDER BY r_day"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rollups_rebuild(
    first: date | None = None,
    last: date | None = None,
    *,
    resume: bool = True,
    progress: Progress | None = None,
    step_days: int | None = STEP_DAYS,
) -> int:
    """Rebuild the rollups: every day of the history, or only first..last. Returns days done.

    A full build (no bounds) resumes after the last step of an interrupted one in the same
    zone; the rollups are served again once it has finished. `step_days=None` builds in one
    step: for a caller whose own transaction holds the build, where steps commit nothing and
    one pass reads each history table once instead of once per month.
    """
    if first is not None or last is not None:
        bounds = history_days()
        if bounds is None:
            return 0
        first, last = first or bounds[0], last or bounds[1]
        marks = list(
            DirtyDay.objects.filter(day__gte=first, day__lte=last).values_list("pk", flat=True)
        )
        _steps_run(first, last, progress, step_days)
        _marks_delete(marks)  # those read before the rebuild: its days are exact again
        return (last - first).days + 1
    with transaction.atomic():
        current = _locked_state()
        bounds = history_days()
        window = facts_window()
        same = (
            resume
            and current.status == RollupState.BUILDING
            and current.time_zone == settings.TIME_ZONE
            and current.fcr_window_days == window
            and current.built_through is not None
            and bounds is not None
            and (current.first_day, current.last_day) == bounds
        )
        if not same:
            current.time_zone, current.fcr_window_days = settings.TIME_ZONE, window
            current.status = RollupState.BUILDING
            current.first_day, current.last_day = bounds or (None, None)
            current.built_through = None
            current.save()
            # Days outside the history (left from another zone) must go too.
            for spec in specs().values():
                spec.model.objects.all().delete()
            PartDay.objects.all().delete()
            DirtyDay.objects.all().delete()
    if bounds is None:
        _finish()
        return 0
    first, last = bounds
    start = current.built_through + timedelta(days=1) if same else first
    done = _steps_run(start, last, progress, step_days, fill_state=True)
    _finish()
    _statistics_refresh()
    return done


def _statistics_refresh() -> None:
    """Sample the rollup tables a full build has rewritten (PostgreSQL). Without statistics
    the planner guesses, and rebuilding a few dirty days later deletes and counts them by
    reading whole tables (the part rollups hold a row per part, day and key: millions)."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = [spec.model._meta.db_table for spec in specs().values()]
    with connection.cursor() as cursor:
        for table in [*tables, PartDay._meta.db_table]:
            cursor.execute(f"ANALYZE {quote(table)}")


def _steps_run(
    first: date,
    last: date,
    progress: Progress | None,
    step_days: int | None,
    fill_state: bool = False,
) -> int:
    done = 0
    for a, b in _steps(first, last, step_days):
        with transaction.atomic():
            current = _locked_state()
            days_rebuild(a, b)
            if fill_state:
                current.built_through = b
                current.save(update_fields=["built_through", "updated_at"])
        done += (b - a).days + 1
        if progress:
            progress(first, last, b)
    return done


def _finish() -> None:
    with transaction.atomic():
        current = _locked_state()
        current.status = RollupState.READY
        current.save(update_fields=["status", "updated_at"])


def _steps(first: date, last: date, step_days: int | None) -> Iterator[tuple[date, date]]:
    if step_days is None:
        yield first, last
        return
    a = first
    while a <= last:
        b = min(a + timedelta(days=step_days - 1), last)
        yield a, b
        a = b + timedelta(days=1)


def rollups_refresh() -> int:
    """Rebuild the dirty days (all of them when the zone changed). Returns days rebuilt."""
    current = state()
    if current is None:
        return 0  # never built: everything is served by scanning
    if facts_stale():
        return 0  # not served until facts_rebuild, which rebuilds them all; the marks stay
    if (
        current.time_zone != settings.TIME_ZONE
        or current.fcr_window_days != settings.FCR_WINDOW_DAYS
        or current.status != RollupState.READY
    ):
        return rollups_rebuild()
    with transaction.atomic():
        _locked_state()
        marks = list(DirtyDay.objects.values_list("pk", "day"))
        if not marks:
            return 0
        days = {day for _pk, day in marks}
        for first, last in day_runs(days):
            days_rebuild(first, last)
        # Only the marks read above: one written meanwhile keeps its day dirty.
        _marks_delete([pk for pk, _day in marks])
        # A new stamp: what was cached from the dirty days is stale (kpis.dashboard.cache).
        RollupState.objects.filter(pk=1).update(updated_at=timezone.now())
    return len(days)


def _marks_delete(pks: list[int]) -> None:
    for i in range(0, len(pks), 500):  # SQLite caps a statement's parameters
        DirtyDay.objects.filter(pk__in=pks[i : i + 500]).delete()
