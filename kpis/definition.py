"""What a KPI is, written once: the rows it counts, its aggregates, its columns, its figures.

A `Kpi` is declared in the module of its subject (kpis/queries/<subject>.py) and registered in
kpis.registry. Everything that shows or ships figures reads it from there:

- the report, the API and the exports: its columns (label, unit, precision) and sections;
- the dashboard and the comparison: its figures (value, sample, interval, significance test,
  and which direction is good);
- the rollups (kpis.rollups.specs): the aggregates of its rolled-up parts.

A KPI counts with `parts`: each part is one grouped query over a source (kpis.sources), its
aggregates exact integer counts and sums; a KPI read from two sources (the perception gap:
agents' ratings and customers' answers) has two parts, joined by group. Every column is then
computed from the counts of its group, one division each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils.functional import Promise

from .queries.base import Groups, Table, grouped, key_columns, order_keys
from .scope import Scope
from .sources import Source

if TYPE_CHECKING:
    from .stats import Change

Label = str | Promise  # a label, translated when shown
Counts = dict[str, Any]

# Units of a column: how its values read and how exports format them.
COUNT = "count"  # a whole number of things
PERCENT = "percent"  # 0-100
POINTS = "points"  # NPS, -100 to 100
SECONDS = "seconds"
SCORE = "score"  # a mean on an answer scale
RATIO = "ratio"  # things per thing (contacts per ticket)
MONEY = "money"  # an amount, in the currency the teams' rates are entered in
FLAG = "flag"  # yes / no
TEXT = "text"
DATE = "date"

# Which way a figure is better.
UP, DOWN, NEITHER = 1, -1, 0

# Subjects, in the order they are shown: the overview has one panel each.
SUBJECTS = (
    "satisfaction",
    "resolution",
    "repeat",
    "perception",
    "drivers",
    "handling",
    "backlog",
    "flow",
    "productivity",
)


@dataclass(frozen=True)
class Column:
    """One column of a KPI's table: its name in JSON, its label for people, how to compute it."""

    name: str
    label: Label
    unit: str = COUNT
    precision: int = 0  # decimals shown, and kept in exports
    value: Callable[[Counts], Any] | None = None  # None: the count of the same name
    good: int = NEITHER  # UP: higher is better, DOWN: lower is better
    bounds: tuple[float, float] | None = None  # the scale its values never leave
    vocabulary: str | None = None  # its values are codes of this kind, shown by their labels

    def of(self, counts: Counts) -> Any:
        return counts[self.name] if self.value is None else self.value(counts)


@dataclass(frozen=True)
class Figure:
    """A figure worth following over time: a column with its sample, interval and test."""

    key: str
    column: str
    n: str  # the count its sample size is (flagged under KPI_MIN_SAMPLE)
    interval: tuple[str, str] | None = None  # the columns of its 95 % interval
    test: Callable[[Counts, Counts], Change] | None = None  # before, after -> the change
    headline: bool = False  # among the headline figures of the dashboard
    label: Label | None = None  # the column's label unless given


@dataclass(frozen=True)
class Section:
    """A table of the full report (`kpi_report` without --by): the KPI cut one way."""

    name: str
    by: str = ""  # granularity and dimensions, as on the command line
    lead: tuple[str, ...] = ()  # columns shown first, in this order (the reference's)


@dataclass(frozen=True, eq=False)
class Part:
    """One grouped query of a KPI: aggregates over a source's rows.

    `where` narrows the rows. A part without one counts over all the source's rows, each
    aggregate carrying its own condition, so that parts of several KPIs over the same source
    can share one scan (kpis.counting); `presence` then names the aggregate counting the rows
    the KPI is about (a channel shows in the repeat rate when it had an inbound contact).
    """

    source: Source
    aggregates: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
    where: Q | None = None
    presence: str | None = None  # default: the source's count of rows
    rollup: bool = False  # may be read from the source's per-day rollup
    # More dimensions than the source's: a field path, or a function building an expression
    # computed per row (a bucket), called for each query.
    dimensions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def present(self) -> str:
        return self.presence or self.source.count

    def rows(self) -> QuerySet:
        rows = self.source.rows()
        return rows if self.where is None else rows.filter(self.where)

    def measures(self) -> dict[str, Any]:
        """Its aggregates, with the count of the source's rows (a group's presence)."""
        aggregates = self.aggregates() if callable(self.aggregates) else self.aggregates
        return {self.source.count: Count("id"), **aggregates}

    def dims(self) -> dict[str, Any]:
        more = {k: v() if callable(v) else v for k, v in self.dimensions.items()}
        return {**self.source.dimensions, **more}

    def groups(
        self,
        scope: Scope,
        fixed: Sequence[str] = (),
        complete: Mapping[str, Iterable[Any]] | None = None,
        keep_unknown: bool = False,
        measures: Mapping[str, Any] | None = None,
        presence: str | None = None,
    ) -> Groups:
        """Its counts per group of the scope (`measures` and `presence`: a shared scan's)."""
        return grouped(
            self.rows(),
            scope,
            date_field=self.source.date_field,
            dimensions=self.dims(),
            aggregates=measures or self.measures(),
            fixed=fixed,
            complete=complete,
            keep_unknown=keep_unknown,
            presence=presence or self.present,
            rollup=self.source.rollup if self.rollup else None,
            part=(self.source, self.where),
        )


@dataclass(frozen=True, eq=False)  # one object per KPI: compared and hashed by identity
class Kpi:
    name: str
    label: Label
    description: Label
    subject: str
    parts: tuple[Part, ...]
    columns: tuple[Column, ...]
    figures: tuple[Figure, ...] = ()
    fixed: tuple[str, ...] = ()  # dimensions it is always cut by, after the asked ones
    complete: Mapping[str, Sequence[Any]] = field(default_factory=dict)  # shown even when 0
    sections: tuple[Section, ...] = ()
    # Hooks for the KPIs that need more than counts per group:
    cut: Callable[[Scope], Scope] | None = None  # a cut it always needs (by channel...)
    enrich: Callable[[Scope, Groups], Groups] | None = None  # counts drawn from other groups
    compute: Callable[[Kpi, Scope], Table] | None = None  # the whole table, its own way

    def __post_init__(self) -> None:
        if self.subject not in SUBJECTS:
            raise ValueError(f"{self.name}: unknown subject {self.subject!r}")
        names = [c.name for c in self.columns]
        for figure in self.figures:
            wanted = [figure.column, *(figure.interval or ())]
            if any(name not in names for name in wanted):
                raise ValueError(f"{self.name}: figure {figure.key} names an unknown column")

    def __str__(self) -> str:
        return str(self.label)

    def __call__(self, scope: Scope) -> Table:
        """The KPI's table for a scope: one row per period and segment."""
        if self.compute is not None:
            return self.compute(self, scope)
        scope = self.scoped(scope)
        return self.table(scope, self.counts(scope))

    def scoped(self, scope: Scope) -> Scope:
        return scope if self.cut is None else self.cut(scope)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def counts(self, scope: Scope) -> Groups:
        """Exact counts per group of the scope, every part's joined by group."""
        per_part = []
        for part in self.parts:
            measures = part.measures()
            groups = part.groups(scope, self.fixed, self.complete, measures=measures)
            per_part.append((groups, list(measures)))
        return self.joined(per_part, scope)

    def joined(self, per_part: Sequence[tuple[Groups, list[str]]], scope: Scope) -> Groups:
        """One part's groups as they are; several parts' joined by key, zero where absent."""
        if len(per_part) == 1:
            return per_part[0][0]
        zero: Counts = {name: 0 for _groups, names in per_part for name in names}
        merged: dict[tuple[Any, ...], Counts] = {}
        for groups, _names in per_part:
            for key, counts in groups:
                merged.setdefault(key, {}).update(counts)
        return [(key, {**zero, **merged[key]}) for key in order_keys(merged, scope, self.fixed)]

    def table(self, scope: Scope, groups: Groups) -> Table:
        if self.enrich is not None:
            groups = self.enrich(scope, groups)
        keys = key_columns(scope, self.fixed)
        rows = [[*key, *(c.of(counts) for c in self.columns)] for key, counts in groups]
        return Table(columns=[*keys, *(c.name for c in self.columns)], rows=rows, keys=len(keys))

    def value(self, figure: Figure, counts: Counts) -> Any:
        return self.column(figure.column).of(counts)

    def interval(self, figure: Figure, counts: Counts) -> tuple[float, float] | None:
        if figure.interval is None:
            return None
        low, high = (self.column(name).of(counts) for name in figure.interval)
        return None if low is None or high is None else (low, high)


def figure_label(kpi: Kpi, figure: Figure) -> Label:
    return figure.label or kpi.column(figure.column).label
