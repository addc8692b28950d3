"""Counting several KPI tables at once, reading each source's rows once.

The report and the dashboard ask many tables of one period: NPS by month and by channel, FCR
overall and by month, the repeat rate... Parts over the same rows (same source, same `where`, no
key of their own) are counted by one grouped query, by month (when a table wants months) and by
every dimension asked, each row's group kept even when a dimension is unknown; each table's
counts are then summed from it (`collapse`: exact, counts add). A part asked once is counted
alone, exactly as the KPI counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .definition import Kpi
from .queries.base import Groups, Table, collapse
from .scope import DIMENSIONS, Scope, TooManyPoints


@dataclass(frozen=True)
class Ask:
    """A KPI's table for a scope."""

    kpi: Kpi
    scope: Scope

    @property
    def shareable(self) -> bool:
        # Tables cut by one of: nothing, months, dimensions (summed months would lose the
        # empty ones a cut by month and dimension shows).
        kpi, scope = self.kpi, self.scoped
        return (
            kpi.compute is None
            and not kpi.fixed
            and not kpi.complete
            and scope.granularity in (None, "month")
            and not (scope.granularity and scope.by)
        )

    @property
    def scoped(self) -> Scope:
        return self.kpi.scoped(self.scope)


def tables(asks: Sequence[Ask]) -> list[Table]:
    """Each ask's table, equal to `ask.kpi(ask.scope)`, with shared scans."""
    counted = counts(asks)
    out = []
    for ask, groups in zip(asks, counted, strict=True):
        out.append(ask.kpi(ask.scope) if groups is None else ask.kpi.table(ask.scoped, groups))
    return out


def counts(asks: Sequence[Ask]) -> list[Groups | None]:
    """Each ask's counts (None for a KPI that computes its table its own way)."""
    plans: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
    planned: dict[tuple[Any, ...], dict[str, Any]] = {}  # each plan's aggregates
    alone: list[tuple[int, int]] = []
    for i, ask in enumerate(asks):
        if ask.kpi.compute is not None:
            continue
        for j, part in enumerate(ask.kpi.parts):
            scope = ask.scoped
            key = (
                part.source.name,
                part.where,
                part.rollup,
                scope.start,
                scope.end,
                tuple(sorted(scope.filters.items())),
            )
            measures = part.measures() if ask.shareable and not part.dimensions else None
            known = planned.setdefault(key, {})
            if measures is None or any(known.get(n, a) != a for n, a in measures.items()):
                alone.append((i, j))  # its own rows, or another aggregate of the same name
                continue
            known.update(measures)
            plans.setdefault(key, []).append((i, j))
    found: dict[tuple[int, int], Groups] = {}
    for key, entries in plans.items():
        if len(entries) == 1:
            alone += entries
        else:
            found.update(_shared(asks, entries, planned[key]))
    for i, j in alone:
        kpi, scope = asks[i].kpi, asks[i].scoped
        found[i, j] = kpi.parts[j].groups(scope, kpi.fixed, kpi.complete)

    out: list[Groups | None] = []
    for i, ask in enumerate(asks):
        if ask.kpi.compute is not None:
            out.append(None)
            continue
        parts = [(found[i, j], list(p.measures())) for j, p in enumerate(ask.kpi.parts)]
        out.append(ask.kpi.joined(parts, ask.scoped))
    return out


def _shared(
    asks: Sequence[Ask], entries: list[tuple[int, int]], measures: dict[str, Any]
) -> dict[tuple[int, int], Groups]:
    """One scan for parts over the same rows, then each ask's groups summed from it."""
    scopes = [asks[i].scoped for i, _j in entries]
    monthly = any(s.granularity for s in scopes)
    dims = tuple(d for d in DIMENSIONS if any(d in s.by for s in scopes))
    first = scopes[0]
    wide = Scope(first.start, first.end, "month" if monthly else None, dims, first.filters)
    i, j = entries[0]
    part = asks[i].kpi.parts[j]
    scanned = part.groups(wide, keep_unknown=True, measures=measures, presence=part.source.count)
    out = {}
    for (i, j), scope in zip(entries, scopes, strict=True):
        part = asks[i].kpi.parts[j]
        keep = [0] if scope.granularity else []
        keep += [int(monthly) + dims.index(d) for d in scope.by]
        groups = collapse(scanned, keep, scope, list(part.measures()))
        if scope.by:  # a segment shows when it has rows of its own, as when counted alone
            groups = [(k, c) for k, c in groups if c[part.present]]
        # The wide scan has no limit of its own (it is summed down): each ask's rows have.
        if scope.max_points is not None and len(groups) > scope.max_points:
            raise TooManyPoints(len(groups), scope.max_points)
        out[i, j] = groups
    return out
