"""Is a change between two periods (or two segments) significant at 95 %, and is it good?

Each KPI's figures name the test suited to them (kpis.definition.Figure.test, listed in the
README): NPS with a two-sample z-test using the same variance as its interval, shares (CSAT,
FCR, repeat rate, answer rate) with a two-proportion z-test, means (CES) with Welch's t-test.
The tests read the same exact counts and sums as the figures. Whether a change is better or
worse follows the figure's good direction (an NPS drop is worse, an abandonment rise too).
"""

from __future__ import annotations

from .definition import Kpi
from .queries.base import Table, key_columns
from .scope import Scope

COLUMNS = ["figure", "test", "difference", "statistic", "p_value", "significant", "direction"]


def comparable(kpi: Kpi) -> bool:
    return any(f.test is not None for f in kpi.figures)


def compare(kpi: Kpi, before: Scope, after: Scope) -> Table:
    """Per segment (the scopes' `by`, no granularity) and figure: after - before, and the test."""
    before = kpi.scoped(before.with_(granularity=None))
    after = kpi.scoped(after.with_(granularity=None, by=before.by))
    a, b = dict(kpi.counts(before)), dict(kpi.counts(after))
    tested = [f for f in kpi.figures if f.test is not None]
    rows = []
    for key in [k for k in a if k in b]:
        for figure in tested:
            change = figure.test(a[key], b[key])  # type: ignore[misc]
            good = kpi.column(figure.column).good
            rows.append(
                [
                    *key,
                    figure.column,
                    change.test,
                    change.difference,
                    change.statistic,
                    change.p_value,
                    change.significant,
                    change.direction(good),
                ]
            )
    keys = key_columns(before, kpi.fixed)
    return Table(columns=[*keys, *COLUMNS], rows=rows, keys=len(keys) + 1)
