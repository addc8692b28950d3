"""Headline figures: value, n, 95 % interval and change from the previous period of equal length.

The figures are every registered KPI's headline figures (kpis.definition.Figure.headline), in
the registry's order: a KPI added in its module shows here with nothing else touched. A change
is better or worse by the figure's good direction, and significant only when its test says so
at 95 % and both periods reach KPI_MIN_SAMPLE (kpis.stats.Change).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..definition import PERCENT, SECONDS, Figure, Kpi, figure_label
from ..queries.base import low_sample
from ..registry import KPIS
from ..stats import Change

# The list behind each kind of rows, and the subset a headline counts within it.
LISTS = {"responses": "answers", "contacts": "contacts", "solved_tickets": "tickets"}
SUBSETS: dict[str, dict[str, str]] = {
    "nps": {"kind": "nps"},
    "csat": {"kind": "csat"},
    "ces": {"kind": "ces"},
    "fcr": {"inbound": "1"},
    "repeat": {"inbound": "1"},
    "aht": {"handled": "1"},
    "answer": {"inbound": "1", "channel": "phone"},
}


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float | None
    n: int
    interval: tuple[float, float] | None
    change: Change | None
    unit: str = "%"
    precision: int = 1
    good: int = 0
    link: str = ""

    @property
    def low_sample(self) -> bool:
        return low_sample(self.n)

    @property
    def testable(self) -> bool:
        """Both periods large enough for a test of their difference to mean something."""
        return self.change is not None and not self.change.small_sample

    @property
    def significant(self) -> bool:
        return self.change is not None and self.change.significant

    @property
    def direction(self) -> str:
        """better, worse or unchanged against the previous period ("" when neither is better)."""
        if self.change is None:
            return ""
        return self.change.direction(self.good) or ""


def headline_specs() -> list[tuple[Kpi, Figure]]:
    """Every registered KPI's headline figures, in the registry's order."""
    return [(kpi, f) for kpi in KPIS.values() for f in kpi.figures if f.headline]


def drill_of(kpi: Kpi, figure: Figure) -> tuple[str, dict[str, str]] | None:
    """(list, subset) behind a headline: its rows' list, narrowed to what the figure counts."""
    name = LISTS.get(kpi.parts[0].source.name) if kpi.parts else None
    return None if name is None else (name, SUBSETS.get(figure.key, {}))


def headline(kpi: Kpi, figure: Figure, now: dict, before: dict | None, link: str = "") -> Headline:
    column = kpi.column(figure.column)
    return Headline(
        key=figure.key,
        label=str(figure_label(kpi, figure)),
        value=kpi.value(figure, now),
        n=now[figure.n],
        interval=kpi.interval(figure, now),
        change=figure.test(before, now) if figure.test and before is not None else None,
        unit={PERCENT: "%", SECONDS: " s"}.get(column.unit, ""),
        precision=column.precision,
        good=column.good,
        link=link,
    )
