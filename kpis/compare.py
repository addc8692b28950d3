"""Is a change between two periods (or two segments) significant at 95 %?

Each figure is tested with the test suited to it (named in the README): NPS with a two-sample
z-test using the same variance as its interval, shares (CSAT, FCR, repeat rate, answer rate)
with a two-proportion z-test, means (CES) with Welch's t-test. The tests read the same exact
counts and sums as the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .queries.base import Table, key_columns
from .queries.repeat import repeat_counts
from .queries.resolution import fcr_counts
from .queries.satisfaction import satisfaction_counts
from .queries.workload import phone_counts
from .scope import Scope
from .stats import Change, mean_change, nps_change, proportion_change

Counts = dict[str, int]
Test = Callable[[Counts, Counts], Change]


def _share(successes: str, total: str) -> Test:
    return lambda a, b: proportion_change(a[successes], a[total], b[successes], b[total])


NPS = ("promoters", "detractors", "nps_n")
CES = ("ces_sum", "ces_squares", "ces_n")


def _pick(counts: Counts, names: tuple[str, ...]) -> list[int]:
    return [counts[n] for n in names]


FIGURES: dict[str, tuple[Callable[[Scope], list[tuple[tuple[Any, ...], Counts]]], dict]] = {
    "satisfaction": (
        satisfaction_counts,
        {
            "nps": lambda a, b: nps_change(*_pick(a, NPS), *_pick(b, NPS)),
            "csat_pct": _share("csat_good", "csat_n"),
            "ces_mean": lambda a, b: mean_change(*_pick(a, CES), *_pick(b, CES)),
        },
    ),
    "fcr": (fcr_counts, {"fcr_pct": _share("fcr", "solved_with_inbound")}),
    "repeat": (repeat_counts, {"repeat_rate_pct": _share("followed_7d", "inbound_contacts")}),
    "phone_answer": (phone_counts, {"answer_rate_pct": _share("answered", "offered")}),
}

COLUMNS = ["figure", "test", "difference", "statistic", "p_value", "significant"]


def compare(kpi: str, before: Scope, after: Scope) -> Table:
    """Per segment (the scopes' `by`, no granularity) and figure: after - before, and the test."""
    counts, tests = FIGURES[kpi]
    before, after = before.with_(granularity=None), after.with_(granularity=None, by=before.by)
    a, b = dict(counts(before)), dict(counts(after))
    rows = []
    for key in [k for k in a if k in b]:
        for figure, test in tests.items():
            change = test(a[key], b[key])
            rows.append(
                [
                    *key,
                    figure,
                    change.test,
                    change.difference,
                    change.statistic,
                    change.p_value,
                    change.significant,
                ]
            )
    keys = key_columns(before)
    return Table(columns=[*keys, *COLUMNS], rows=rows, keys=len(keys) + 1)
