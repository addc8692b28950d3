"""The one query both kinds of rollup answer a KPI with: what `grouped` reads from a scan
(k_period, k_<dim>, v_<aggregate> counts), summed over the period's days but the dirty ones.
The contact rollups (serving.py) and the part rollups (parts.py) differ only in the table, where
each dimension is found and which column holds each count."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import DateField, F, QuerySet, Sum
from django.db.models.functions import Trunc

from ..scope import Scope


def days_summed(
    queryset: QuerySet,
    scope: Scope,
    paths: Mapping[str, str],
    column: Callable[[str], str],
    dims: Sequence[str],
    aggregates: Mapping[str, Any],
    presence: str,
    keep_unknown: bool,
    dirty: Sequence[date] = (),
) -> list[dict[str, Any]] | dict[str, Any]:
    """`paths`: each dimension's field; `column`: the field summed for an aggregate (or the
    presence count). Counts come back as v_<aggregate>."""
    queryset = queryset.filter(day__gte=scope.start, day__lt=scope.end + timedelta(1))
    if dirty:
        queryset = queryset.exclude(day__in=list(dirty))
    for name, value in scope.filters.items():
        values = [v for v in str(value).split(",") if v]
        queryset = queryset.filter(**{f"{paths[name]}__in": values})
    # Summed under other names: an annotation may not bear the name of the column it sums.
    sums = {f"v_{name}": Sum(column(name)) for name in aggregates}
    keys: dict[str, Any] = {}
    if scope.granularity == "day":
        keys["k_period"] = F("day")
    elif scope.granularity:
        keys["k_period"] = Trunc("day", scope.granularity, output_field=DateField())
    for dim in dims:
        if not keep_unknown:
            queryset = queryset.filter(**{f"{paths[dim]}__isnull": False})
        keys[f"k_{dim}"] = F(paths[dim])
    if not keys:
        return queryset.aggregate(**sums)
    # A scanned group exists only when some row matched: keep the groups that had one.
    return list(
        queryset.values(**keys)
        .annotate(**sums, k_present=Sum(column(presence)))
        .filter(k_present__gt=0)
        .order_by()
    )
