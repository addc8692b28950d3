"""The one way every KPI reads the database: a grouped query with conditional aggregates.

`grouped()` filters a queryset to the scope's period and filters, cuts it by period (in the
configured zone, in SQL) and by the asked dimensions, and returns one dict of exact integer
counts and sums per group. Empty periods are filled here, in Python, over the groups (never over
rows). Each KPI module then turns counts into figures with one division each, so the figures
equal the reference to the last bit of a double.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Aggregate, F, Q, QuerySet
from django.db.models.functions import Trunc

from ..scope import Scope, TooManyPoints, day_runs, period_starts, zone

# The column each dimension is shown in (the reference names agents `agent_id`).
DIMENSION_COLUMNS = {
    "channel": "channel",
    "team": "team",
    "agent": "agent_id",
    "reason": "reason",
    "priority": "priority",
}


# Dimensions whose external ids sort as numbers (as the Agent model orders them).
NUMERIC_IDS = frozenset({"agent"})


@dataclass
class Table:
    """Figures as the reference writes them: column names and rows of plain values."""

    columns: list[str]
    rows: list[list[Any]]
    keys: int = 0  # how many leading columns identify a row (period, dimensions)
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def reordered(self, lead: Sequence[str]) -> Table:
        """The same table with `lead` columns first (in that order), then the others."""
        order = [*lead, *(c for c in self.columns if c not in lead)]
        index = [self.columns.index(c) for c in order]
        return Table(
            columns=order,
            rows=[[row[i] for i in index] for row in self.rows],
            keys=self.keys,
            meta=dict(self.meta),
        )


def ratio(numerator: int, denominator: int, scale: int = 1) -> float | None:
    """One division of exact integers; None when the denominator is empty."""
    if not denominator:
        return None
    return scale * numerator / denominator


def pct(numerator: int, denominator: int) -> float | None:
    return ratio(numerator, denominator, 100)


def low_sample(n: int) -> bool:
    return n < settings.KPI_MIN_SAMPLE


def key_columns(scope: Scope, fixed: Sequence[str] = ()) -> list[str]:
    """Leading columns of a KPI's table: the period, the asked dimensions, fixed keys."""
    cols = [scope.granularity] if scope.granularity else []
    cols += [DIMENSION_COLUMNS[d] for d in scope.by if d not in fixed]
    cols += [DIMENSION_COLUMNS.get(k, k) for k in fixed]
    return cols


def grouped(
    queryset: QuerySet,
    scope: Scope,
    *,
    date_field: str,
    dimensions: Mapping[str, Any],
    aggregates: Mapping[str, Aggregate],
    fixed: Sequence[str] = (),
    complete: Mapping[str, Iterable[Any]] | None = None,
    keep_unknown: bool = False,
    presence: str | None = None,
    rollup: str | None = None,
    part: tuple[Any, Any] | None = None,
) -> Groups:
    """Exact counts per group of the scope: [(key values, {aggregate: int}), ...], sorted.

    `dimensions` maps each dimension to the field path (or expression) it is read from; `fixed`
    names dimensions the KPI always cuts by (after the asked ones). Groups whose dimension is
    unknown (a contact with no agent) are left out, unless `keep_unknown` (to sum groups up into
    coarser ones, see `collapse`). Periods are filled with zero counts, and so
    are the values listed in `complete` (e.g. every cause code), for each group seen.

    `presence` names the aggregate counting the rows a group is about: a group where it is 0
    is left out, as if the rows had been filtered before grouping. `rollup` names the per-day
    rollup holding the same counts (kpis.rollups): the rows are read from it instead when the
    rule in kpis.rollups.serving allows. `part` (its source and `where`) lets a part rollup
    (kpis.rollups.parts) serve the counts under the same rule when none of those can.
    """
    tz = zone()
    dims = [d for d in scope.by if d not in fixed] + list(fixed)
    if presence is not None and (rollup is not None or part is not None):
        from ..rollups.serving import served_rows

        served = served_rows(
            rollup, part, scope, dims, dimensions, aggregates, presence, keep_unknown
        )
        if served is not None:
            rows, dirty = served
            if dirty:  # written since the last rebuild: those days alone are scanned
                days = _scanned(
                    queryset, scope, date_field, dimensions, aggregates, dims, keep_unknown,
                    presence, dirty,
                )  # fmt: skip
                rows = _added(rows, days, scope, dims, aggregates, tz)
            return _filled(rows, scope, dims, aggregates, fixed, complete, tz)
    raw = _scanned(
        queryset, scope, date_field, dimensions, aggregates, dims, keep_unknown, presence
    )
    return _filled(raw, scope, dims, aggregates, fixed, complete, tz)


def _scanned(
    queryset: QuerySet,
    scope: Scope,
    date_field: str,
    dimensions: Mapping[str, Any],
    aggregates: Mapping[str, Aggregate],
    dims: Sequence[str],
    keep_unknown: bool,
    presence: str | None,
    days: Sequence[date] | None = None,
) -> Iterable[Mapping[str, Any]] | Mapping[str, Any]:
    """The grouped query over the history: the scope's period, or only its local `days`."""
    tz = zone()
    if days is None:
        queryset = queryset.filter(
            **{f"{date_field}__gte": scope.since, f"{date_field}__lt": scope.until}
        )
    else:
        within = Q()
        for first, last in day_runs(days):
            since = datetime.combine(first, time.min, tzinfo=tz)
            until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
            within |= Q(**{f"{date_field}__gte": since, f"{date_field}__lt": until})
        queryset = queryset.filter(within)
    for name, value in scope.filters.items():
        values = [v for v in str(value).split(",") if v]
        queryset = queryset.filter(**{f"{dimensions[name]}__in": values})

    names = []
    annotations: dict[str, Any] = {}
    if scope.granularity:
        annotations["k_period"] = Trunc(date_field, scope.granularity, tzinfo=tz)
        names.append("k_period")
    values_args: dict[str, Any] = {}
    for dim in dims:
        source = dimensions[dim]
        if isinstance(source, str):
            if not keep_unknown:
                queryset = queryset.filter(**{f"{source}__isnull": False})
            values_args[f"k_{dim}"] = F(source)
        else:  # an expression computed per row (a bucket, a flag), never null
            annotations[f"k_{dim}"] = source
        names.append(f"k_{dim}")

    if not names:
        return queryset.aggregate(**aggregates)

    raw = (
        queryset.annotate(**annotations)
        .values(*[n for n in names if n in annotations], **values_args)
        .annotate(**aggregates)
        .order_by()
    )
    if presence is not None:
        raw = raw.filter(**{f"{presence}__gt": 0})  # HAVING: a group of no row of its own
    if scope.max_points is not None:  # one group more than allowed is enough to refuse
        raw = raw[: scope.max_points + 1]
    return raw


def _added(
    a: Iterable[Mapping[str, Any]] | Mapping[str, Any],
    b: Iterable[Mapping[str, Any]] | Mapping[str, Any],
    scope: Scope,
    dims: Sequence[str],
    aggregates: Mapping[str, Any],
    tz: Any,
) -> list[dict[str, Any]] | dict[str, Any]:
    """Two sets of grouped rows (the rollups' days, the scanned days) summed group by group.
    A group shows when its presence count is not 0 in either: counts are never negative."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return {name: _whole(a[name]) + _whole(b[name]) for name in aggregates}
    assert not isinstance(a, Mapping) and not isinstance(b, Mapping)
    names = ["k_period"] * bool(scope.granularity) + [f"k_{d}" for d in dims]
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in [*a, *b]:
        key = tuple(_plain(row[n], tz) for n in names)
        total = summed.setdefault(key, {**dict(zip(names, key, strict=True)), **dict.fromkeys(
            aggregates, 0)})  # fmt: skip
        for name in aggregates:
            total[name] += _whole(row[name])
    return list(summed.values())


def _whole(value: Any) -> int:
    """A count or sum as an integer: a duration (a sum of waits) in whole microseconds, as the
    rollups keep it and as the KPIs read it."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    return value


Groups = list[tuple[tuple[Any, ...], dict[str, int]]]


def _filled(
    raw: Iterable[Mapping[str, Any]] | Mapping[str, Any],
    scope: Scope,
    dims: Sequence[str],
    aggregates: Mapping[str, Any],
    fixed: Sequence[str],
    complete: Mapping[str, Iterable[Any]] | None,
    tz: Any,
) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    """Groups keyed as the reference orders them, empty periods (and `complete`) filled."""
    if isinstance(raw, Mapping):  # no period, no dimension: one total
        return [((), _counts(raw, aggregates))]
    names = ["k_period"] * bool(scope.granularity) + [f"k_{d}" for d in dims]
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in raw:  # one row per group, not per record
        key = tuple(_plain(row[n], tz) for n in names)
        found[key] = _counts(row, aggregates)

    fills: list[list[Any] | None] = []
    if scope.granularity:
        fills.append(period_starts(scope))
    fills += [list(complete[d]) if complete and d in complete else None for d in dims]
    if scope.max_points is not None:
        points = _points(found.keys(), fills)
        if points > scope.max_points:
            raise TooManyPoints(points, scope.max_points)
    keys = _complete_keys(found.keys(), fills)
    zero = dict.fromkeys(aggregates, 0)
    return [(k, found.get(k, zero)) for k in order_keys(keys, scope, fixed)]


def collapse(
    groups: list[tuple[tuple[Any, ...], dict[str, int]]],
    keep: Sequence[int],
    scope: Scope,
    aggregates: Iterable[str],
) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    """Sum fine groups into coarser ones, keeping the key positions in `keep` (exact: counts add).

    Coarse groups whose kept key is unknown are left out, as `grouped` leaves them out. With no
    position kept there is always one group, zero when nothing was counted.
    """
    names = list(aggregates)
    summed: dict[tuple[Any, ...], dict[str, int]] = {}
    if not keep:
        summed[()] = dict.fromkeys(names, 0)
    if scope.granularity and list(keep) == [0]:  # every period shows, as `grouped` shows them
        for period in period_starts(scope):
            summed[(period,)] = dict.fromkeys(names, 0)
    for key, counts in groups:
        coarse = tuple(key[i] for i in keep)
        if any(value is None for value in coarse):
            continue
        total = summed.setdefault(coarse, dict.fromkeys(names, 0))
        for name in names:
            total[name] += counts[name]
    return [(k, summed[k]) for k in order_keys(summed, scope)]


def order_keys(
    keys: Iterable[tuple[Any, ...]], scope: Scope, fixed: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Group keys in the order the reference writes rows: period, then each dimension."""
    dims = [d for d in scope.by if d not in fixed] + list(fixed)
    numeric = [False] * bool(scope.granularity) + [d in NUMERIC_IDS for d in dims]
    return sorted(keys, key=lambda k: _sort_key(k, numeric))


def _counts(row: Mapping[str, Any], aggregates: Iterable[str]) -> dict[str, int]:
    # SUM over no row is NULL: an empty group counts 0.
    return {name: row[name] or 0 for name in aggregates}


def _plain(value: Any, tz: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).date()
    return value


def _points(seen: Iterable[tuple[Any, ...]], fills: list[list[Any] | None]) -> int:
    """How many keys `_complete_keys` gives, at most, counted without making them."""
    seen = set(seen)
    if not any(f is not None for f in fills):
        return len(seen)
    free = [i for i, f in enumerate(fills) if f is None]
    combos = len({tuple(k[i] for i in free) for k in seen}) if free else 1
    filled = 1
    for values in fills:
        if values is not None:
            filled *= len(values)
    known = [(i, set(f)) for i, f in enumerate(fills) if f is not None]
    outside = sum(1 for k in seen if any(k[i] not in values for i, values in known))
    return combos * filled + outside


def _complete_keys(
    seen: Iterable[tuple[Any, ...]], fills: list[list[Any] | None]
) -> set[tuple[Any, ...]]:
    """Seen keys, plus every combination of the filled positions with the others seen."""
    seen = set(seen)
    if not any(f is not None for f in fills):
        return seen
    free = [i for i, f in enumerate(fills) if f is None]
    # With no free position there is one combination, seen or not: an empty period is shown.
    combos = {tuple(k[i] for i in free) for k in seen} if free else {()}
    keys = set(seen)
    for combo in combos:
        partial: list[tuple[Any, ...]] = [()]
        for i, values in enumerate(fills):
            if values is None:
                partial = [(*p, combo[free.index(i)]) for p in partial]
            else:
                partial = [(*p, v) for p in partial for v in values]
        keys.update(partial)
    return keys


def _sort_key(key: tuple[Any, ...], numeric: list[bool]) -> tuple[Any, ...]:
    out: list[Any] = []
    for value, by_length in zip(key, numeric, strict=True):
        if isinstance(value, date):
            out.append((value.toordinal(), ""))
        elif by_length and isinstance(value, str):
            # Agent ids are compared as numbers when they are numbers: length first, then text.
            out.append((len(value), value))
        else:
            out.append((0, str(value)))
    return tuple(out)
