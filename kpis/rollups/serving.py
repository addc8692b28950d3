"""When a figure may be read from the rollups, and the rollup query that replaces the scan.

The rule: a KPI query is served from the rollups only when
  1. its caller names the rollup table that holds its rows (`grouped(..., rollup=...)`),
  2. every aggregate it asks is one the table was built from (the same expression), and every
     dimension and filter is one of the table's segments,
  3. a full build has finished (`RollupState.status == ready`) in the zone periods are cut in
     now (`TIME_ZONE`): the scope's days, whole local days by construction, are its days, and
     from facts of the window in force (`FCR_WINDOW_DAYS`),
  4. the days of the period marked dirty (a write since the last rebuild may have changed
     them) are scanned, and only they: their counts are added to the rollups' of the other
     days (exact: counts add), so that a write costs the pages a scan of its days, not of the
     period, until the refresh queued after its commit has rebuilt them.
Otherwise the history is scanned. Either way the counts are the same integers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Exists, Sum

from ..scope import Scope
from .models import DirtyDay, RollupState
from .specs import RollupSpec, same_aggregate, specs
from .summing import days_summed


def rollups_enabled() -> bool:
    return getattr(settings, "KPI_ROLLUPS", True)


def servable(
    name: str, scope: Scope, dims: Sequence[str], aggregates: Mapping[str, Any]
) -> RollupSpec | None:
    """The rollup spec holding this query's counts (rules 1 and 2), or None (then scan)."""
    if not rollups_enabled():
        return None
    spec = specs()[name]
    if any(d not in spec.dimensions for d in (*dims, *scope.filters)):
        return None
    if not all(same_aggregate(spec, n, a) for n, a in aggregates.items()):
        return None
    return spec


Rows = list[dict[str, Any]] | dict[str, Any]


def served_rows(
    rollup: str | None,
    part: tuple[Any, Any] | None,
    scope: Scope,
    dims: Sequence[str],
    dimensions: Mapping[str, Any],
    aggregates: Mapping[str, Any],
    presence: str,
    keep_unknown: bool,
) -> tuple[Rows, list[date]] | None:
    """The rows `grouped` reads (k_period, k_<dim>, counts) summed from the rollups over the
    period's clean days, and its dirty days (to scan); None when no rollup may serve."""
    from .parts import part_rows, part_servable

    if not rollups_enabled():
        return None
    spec = servable(rollup, scope, dims, aggregates) if rollup is not None else None
    entry = None
    if spec is None and part is not None:
        entry = part_servable(*part, scope, dims, dimensions, aggregates, presence)
    if spec is None and entry is None:
        return None
    dirty = dirty_days(scope)
    if dirty is None:
        return None
    if spec is not None:
        return rollup_rows(spec, scope, dims, aggregates, presence, keep_unknown, dirty), dirty
    assert entry is not None
    return part_rows(entry, scope, dims, aggregates, presence, keep_unknown, dirty), dirty


# Within `checks_shared()`, each period is checked once (a report asks about the same period
# for every table it reads).
_checked: ContextVar[dict[tuple[date, date], list[date] | None] | None] = ContextVar(
    "checked", default=None
)


@contextmanager
def checks_shared() -> Iterator[None]:
    token = _checked.set({})
    try:
        yield
    finally:
        _checked.reset(token)


def period_clean(scope: Scope) -> bool:
    """Rules 3 and 4 with no dirty day: the whole period may be read from the rollups."""
    return dirty_days(scope) == []


def dirty_days(scope: Scope) -> list[date] | None:
    """The period's dirty days (to scan), or None when the rollups may not serve (rule 3)."""
    known = _checked.get()
    if known is None:
        return _dirty_days(scope)
    key = (scope.start, scope.end)
    if key not in known:
        known[key] = _dirty_days(scope)
    return known[key]


def _dirty_days(scope: Scope) -> list[date] | None:
    """Rules 3 and 4: one query when the rollups may not serve or the period is clean (the
    usual answers), a second one for the days when some are dirty. Pages and reports read it
    and then the rollups in one snapshot (kpis.routers), on the replica as on the primary, so
    the answer holds for the rows they read."""
    dirty = DirtyDay.objects.filter(day__gte=scope.start, day__lte=scope.end)
    marks = (
        RollupState.objects.filter(
            pk=1,
            status=RollupState.READY,
            time_zone=settings.TIME_ZONE,
            fcr_window_days=settings.FCR_WINDOW_DAYS,
        )
        .annotate(dirty=Exists(dirty))
        .values_list("dirty", flat=True)
        .first()
    )
    if marks is None:
        return None
    if not marks:
        return []
    return sorted(set(dirty.values_list("day", flat=True)))


def rollup_rows(
    spec: RollupSpec,
    scope: Scope,
    dims: Sequence[str],
    aggregates: Mapping[str, Any],
    presence: str,
    keep_unknown: bool,
    dirty: Sequence[date] = (),
) -> list[dict[str, Any]] | dict[str, Any]:
    """The rollup query giving what `grouped` reads from a scan: k_period, k_<dim>, counts,
    over the period's days but the `dirty` ones."""
    rows = days_summed(
        spec.model.objects.all(), scope, spec.dimensions, str,
        dims, aggregates, presence, keep_unknown, dirty,
    )  # fmt: skip
    return _named(rows) if isinstance(rows, dict) else [_named(row) for row in rows]


def _named(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name[2:] if name.startswith("v_") else name: value for name, value in row.items()}


def rollup_total(name: str, column: str, scope: Scope) -> int | None:
    """The sum of one rollup column over the scope's days, or None when it may not serve."""
    if not rollups_enabled() or scope.filters or not period_clean(scope):
        return None
    spec = specs()[name]
    found = spec.model.objects.filter(day__gte=scope.start, day__lte=scope.end)
    return found.aggregate(n=Sum(column))["n"] or 0
