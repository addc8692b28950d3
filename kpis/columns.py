"""Building blocks of KPI columns and figures: counts, shares with their Wilson interval, means,
small-sample flags and the tests that say whether a change is significant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .definition import COUNT, FLAG, NEITHER, PERCENT, Column, Counts, Figure, Label
from .queries.base import low_sample, pct, ratio
from .stats import Change, proportion_change, wilson_interval


def count(name: str, label: Label, value: Callable[[Counts], Any] | None = None) -> Column:
    return Column(name, label, COUNT, 0, value)


def share(name: str, label: Label, part: str, whole: str, good: int = NEITHER) -> Column:
    """A percentage of a count: one division of exact integers, None when the whole is 0."""
    return Column(
        name, label, PERCENT, 1, lambda c: pct(c[part], c[whole]), good=good, bounds=(0, 100)
    )


def mean(
    name: str, label: Label, total: str, n: str, unit: str, precision: int, **options: Any
) -> Column:
    return Column(name, label, unit, precision, lambda c: ratio(c[total], c[n]), **options)


def ci_name(prefix: str, end: str) -> str:
    """`nps_ci_low`, or `ci_low` for a KPI with one figure."""
    return f"{prefix}_ci_{end}" if prefix else f"ci_{end}"


def interval_columns(
    prefix: str, label: Label, bounds: Callable[[Counts], tuple[float, float] | None], unit: str
) -> tuple[Column, Column]:
    """The low and high ends of a figure's 95 % interval (see `ci_name`)."""

    def end(i: int) -> Callable[[Counts], float | None]:
        return lambda c: (bounds(c) or (None, None))[i]

    precision = 1 if unit == PERCENT else 2
    return (
        Column(
            ci_name(prefix, "low"),
            format_lazy(_("{figure}: confidence interval, low end"), figure=label),
            unit,
            precision,
            end(0),
        ),
        Column(
            ci_name(prefix, "high"),
            format_lazy(_("{figure}: confidence interval, high end"), figure=label),
            unit,
            precision,
            end(1),
        ),
    )


def wilson_columns(prefix: str, label: Label, part: str, whole: str) -> tuple[Column, Column]:
    return interval_columns(prefix, label, lambda c: wilson_interval(c[part], c[whole]), PERCENT)


def flag(name: str, label: Label, n: str | Callable[[Counts], int]) -> Column:
    """True when the figure comes from fewer than KPI_MIN_SAMPLE rows (flagged, not hidden)."""
    size = n if callable(n) else (lambda c: c[n])
    return Column(
        name,
        format_lazy(_("{figure}: small sample"), figure=label),
        FLAG,
        value=lambda c: low_sample(size(c)),
    )


def share_test(part: str, whole: str) -> Callable[[Counts, Counts], Change]:
    """Two-proportion z-test between two groups' counts."""
    return lambda a, b: proportion_change(a[part], a[whole], b[part], b[whole])


def share_figure(
    key: str, column: str, part: str, whole: str, ci: str, headline: bool = False
) -> Figure:
    """A figure that is a share of a count: its interval is Wilson's, its test a z-test."""
    return Figure(
        key,
        column,
        whole,
        interval=(ci_name(ci, "low"), ci_name(ci, "high")),
        test=share_test(part, whole),
        headline=headline,
    )
