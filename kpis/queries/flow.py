"""Incoming flow: inbound contacts per period, a 3-period rolling view and next period's projection.

The projection is an ordinary least-squares line through the last (up to) 6 periods of each
series, read one period ahead and floored at zero: simple, explainable, and it follows a trend
where a plain average lags behind. With monthly periods the rolling view is 3 months.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ..columns import count
from ..definition import COUNT, FLAG, Column, Kpi, Part
from ..registry import kpi_register
from ..scope import Scope, next_period, period_of, previous_period
from ..sources import CONTACTS
from .base import Table, key_columns, order_keys, ratio
from .repeat import AGGREGATES

ROLLING = 3
TREND_PERIODS = 6


def _incoming(kpi: Kpi, scope: Scope) -> Table:
    """Inbound contacts per period (monthly unless asked), rolling sum and mean, projection."""
    granularity = scope.granularity or "month"
    first = period_of(scope.start, granularity)
    start = first
    for _step in range(ROLLING - 1):  # the rolling view of the first periods needs earlier ones
        start = previous_period(start, granularity)
    wide = scope.with_(start=start, granularity=granularity)
    groups = kpi.counts(wide)
    series: dict[tuple[Any, ...], list[tuple[Any, int]]] = {}
    for key, counts in groups:  # groups are in period order
        series.setdefault(key[1:], []).append((key[0], counts["inbound_contacts"]))

    width = len(kpi.columns)
    rows: list[list[Any]] = []
    projections: list[list[Any]] = []
    for segment, points in series.items():
        values = [n for _period, n in points]
        shown = [(i, p) for i, (p, _n) in enumerate(points) if p >= first]
        for i, period in shown:
            window = values[max(0, i - ROLLING + 1) : i + 1]
            total = sum(window)
            rows.append([period, *segment, values[i], total, ratio(total, ROLLING), None, False])
        if shown:
            last = shown[-1][1]
            recent = [values[i] for i, _p in shown][-TREND_PERIODS:]
            projections.append(
                [next_period(last, granularity), *segment, None, None, None, _trend(recent), True]
            )
    # Rows by period then segment, as every other KPI; projections after the observed periods.
    by_key = {tuple(r[:-width]): r for r in rows}
    rows = [by_key[k] for k in order_keys(by_key, wide)]
    keys = key_columns(wide)
    return Table(
        columns=[*keys, *(c.name for c in kpi.columns)], rows=rows + projections, keys=len(keys)
    )


def _trend(values: list[int]) -> float | None:
    """Least-squares line through (0, v0) ... (n-1, vn-1), read at n; at least 0."""
    n = len(values)
    if n == 0:
        return None
    if n == 1:
        return float(values[0])
    # Exact integer sums, then the line: slope = (n Sxy - Sx Sy) / (n Sxx - Sx^2).
    sx, sy = n * (n - 1) // 2, sum(values)
    sxx = (n - 1) * n * (2 * n - 1) // 6
    sxy = sum(i * v for i, v in enumerate(values))
    slope_num, slope_den = n * sxy - sx * sy, n * sxx - sx * sx
    # value at x = n: (Sy + slope (n n - Sx)) / n, kept as one division.
    projected = (sy * slope_den + slope_num * (n * n - sx)) / (n * slope_den)
    return max(projected, 0.0)


incoming = kpi_register(
    Kpi(
        name="incoming",
        label=_("Incoming flow"),
        description=_(
            "Inbound contacts per period, their 3-period rolling sum and mean, and the next "
            "period projected by a least-squares line through the last 6."
        ),
        subject="flow",
        parts=(
            Part(
                CONTACTS,
                {"inbound_contacts": AGGREGATES["inbound_contacts"]},
                presence="inbound_contacts",
                rollup=True,
            ),
        ),
        columns=(
            count("inbound_contacts", _("Inbound contacts")),
            count("rolling_3_sum", _("Inbound contacts, last 3 periods")),
            Column("rolling_3_mean", _("Inbound contacts, 3-period mean"), COUNT, 1),
            Column("projected", _("Projected inbound contacts"), COUNT, 0),
            Column("is_projection", _("Projection"), FLAG),
        ),
        compute=_incoming,
    )
)
