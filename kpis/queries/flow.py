"""Incoming flow: inbound contacts per period, a 3-period rolling view and next period's projection.

The projection is an ordinary least-squares line through the last (up to) 6 periods of each
series, read one period ahead and floored at zero: simple, explainable, and it follows a trend
where a plain average lags behind. With monthly periods the rolling view is 3 months.
"""

from __future__ import annotations

from typing import Any

from ..scope import Scope, next_period, period_of, previous_period
from .base import Table, grouped, key_columns, order_keys, ratio
from .repeat import AGGREGATES, CONTACT_DIMENSIONS, inbound_contacts

ROLLING = 3
TREND_PERIODS = 6

COLUMNS = ["inbound_contacts", "rolling_3_sum", "rolling_3_mean", "projected", "is_projection"]


def incoming(scope: Scope) -> Table:
    """Inbound contacts per period (monthly unless asked), rolling sum and mean, projection."""
    granularity = scope.granularity or "month"
    first = period_of(scope.start, granularity)
    start = first
    for _ in range(ROLLING - 1):  # the rolling view of the first periods needs earlier ones
        start = previous_period(start, granularity)
    wide = scope.with_(start=start, granularity=granularity)
    groups = grouped(
        inbound_contacts(),
        wide,
        date_field="started_at",
        dimensions=CONTACT_DIMENSIONS,
        # The repeat rate's own count, so that the per-day rollups can serve it.
        aggregates={"inbound_contacts": AGGREGATES["inbound_contacts"]},
        rollup=("contacts", "inbound_contacts"),
    )
    series: dict[tuple[Any, ...], list[tuple[Any, int]]] = {}
    for key, counts in groups:  # groups are in period order
        series.setdefault(key[1:], []).append((key[0], counts["inbound_contacts"]))

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
    by_key = {tuple(r[: -len(COLUMNS)]): r for r in rows}
    rows = [by_key[k] for k in order_keys(by_key, wide)]
    keys = key_columns(wide)
    return Table(columns=[*keys, *COLUMNS], rows=rows + projections, keys=len(keys))


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
