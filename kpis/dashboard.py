"""The quality manager's dashboard: headline figures with their change, trends, segments.

`dashboard_data` is the selector (a fixed number of queries whatever the history's size, pinned
by a test); `dashboard` is the view. Charts are SVG drawn by pygal on the server, without script.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pygal
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import Channel, Team
from tickets.permissions import is_quality_manager

from .queries.base import collapse, low_sample
from .queries.repeat import AGGREGATES as REPEAT_AGGREGATES
from .queries.repeat import repeat, repeat_counts
from .queries.resolution import FCR_AGGREGATES, fcr, fcr_counts
from .queries.satisfaction import AGGREGATES as SATISFACTION_AGGREGATES
from .queries.satisfaction import satisfaction, satisfaction_counts
from .queries.workload import PHONE_AGGREGATES, phone_counts
from .rollups.serving import checks_shared
from .scope import Scope, ScopeError, previous_period, zone
from .stats import (
    Change,
    mean_change,
    mean_interval,
    nps_change,
    nps_interval,
    proportion_change,
    wilson_interval,
)

Counts = dict[str, int]


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: float | None
    n: int
    interval: tuple[float, float] | None
    change: Change
    unit: str = "%"

    @property
    def low_sample(self) -> bool:
        return low_sample(self.n)


@dataclass(frozen=True)
class _Spec:
    key: str
    label: Any
    counts: Callable[[Scope], list[tuple[tuple[Any, ...], Counts]]]
    aggregates: dict[str, Any]
    value: Callable[[Counts], float | None]
    n: str
    interval: Callable[[Counts], tuple[float, float] | None]
    change: Callable[[Counts, Counts], Change]
    unit: str = "%"


def _share_spec(
    key: str, label: Any, counts: Callable, aggregates: dict[str, Any], part: str, whole: str
) -> _Spec:
    """A headline that is a share of a count: its CI is Wilson's, its change a z-test."""
    return _Spec(
        key, label, counts, aggregates,
        lambda c: 100 * c[part] / c[whole] if c[whole] else None,
        whole,
        lambda c: wilson_interval(c[part], c[whole]),
        lambda a, b: proportion_change(a[part], a[whole], b[part], b[whole]),
    )  # fmt: skip


SPECS = [
    _Spec(
        "nps", gettext_lazy("NPS"), satisfaction_counts, SATISFACTION_AGGREGATES,
        lambda c: 100 * (c["promoters"] - c["detractors"]) / c["nps_n"] if c["nps_n"] else None,
        "nps_n", lambda c: nps_interval(c["promoters"], c["detractors"], c["nps_n"]),
        lambda a, b: nps_change(
            a["promoters"], a["detractors"], a["nps_n"], b["promoters"], b["detractors"], b["nps_n"]
        ),
        unit="",
    ),
    _share_spec(
        "csat", gettext_lazy("CSAT"), satisfaction_counts, SATISFACTION_AGGREGATES,
        "csat_good", "csat_n",
    ),
    _Spec(
        "ces", gettext_lazy("CES (1-7)"), satisfaction_counts, SATISFACTION_AGGREGATES,
        lambda c: c["ces_sum"] / c["ces_n"] if c["ces_n"] else None, "ces_n",
        lambda c: mean_interval(c["ces_sum"], c["ces_squares"], c["ces_n"]),
        lambda a, b: mean_change(
            a["ces_sum"], a["ces_squares"], a["ces_n"], b["ces_sum"], b["ces_squares"], b["ces_n"]
        ),
        unit="",
    ),
    _share_spec(
        "fcr", gettext_lazy("First contact resolution"), fcr_counts, FCR_AGGREGATES,
        "fcr", "solved_with_inbound",
    ),
    _share_spec(
        "repeat", gettext_lazy("Repeat-contact rate"), repeat_counts, REPEAT_AGGREGATES,
        "followed_7d", "inbound_contacts",
    ),
    _share_spec(
        "answer", gettext_lazy("Phone answer rate"), phone_counts, PHONE_AGGREGATES,
        "answered", "offered",
    ),
]  # fmt: skip


@dataclass
class Dashboard:
    scope: Scope
    previous: Scope
    headlines: list[Headline] = field(default_factory=list)
    trends: dict[str, list[tuple[date, float | None, int]]] = field(default_factory=dict)
    segments: list[dict[str, Any]] = field(default_factory=list)


@checks_shared()  # the rollups' state is read once per period
def dashboard_data(scope: Scope, segment: str = "channel") -> Dashboard:
    """Headlines with their change from the previous period of the same length, monthly
    trends, and satisfaction, FCR and repeat rate by `segment` (channel or team)."""
    length = (scope.end - scope.start).days + 1
    previous = scope.with_(
        start=scope.start - timedelta(days=length), end=scope.start - timedelta(days=1)
    )
    monthly = scope.with_(granularity="month", by=())
    overall_previous = previous.with_(granularity=None, by=())
    data = Dashboard(scope=scope, previous=previous)
    fetched: dict[Any, tuple[list, list]] = {}
    for spec in SPECS:
        if spec.counts not in fetched:  # NPS, CSAT and CES share one query per period
            fetched[spec.counts] = (spec.counts(monthly), spec.counts(overall_previous))
        groups, before = fetched[spec.counts]
        now = collapse(groups, (), scope, spec.aggregates)[0][1]
        data.headlines.append(
            Headline(
                key=spec.key,
                label=str(spec.label),
                value=spec.value(now),
                n=now[spec.n],
                interval=spec.interval(now),
                change=spec.change(before[0][1], now),
                unit=spec.unit,
            )
        )
        data.trends[spec.key] = [(key[0], spec.value(c), c[spec.n]) for key, c in groups]
    cut = scope.with_(granularity=None, by=(segment,))
    column = "team" if segment == "team" else "channel"
    rows: dict[str, dict[str, Any]] = {}
    for table, fields in [
        (satisfaction(cut), ["nps", "nps_n", "csat_pct", "csat_n"]),
        (fcr(cut), ["fcr_pct", "solved_with_inbound"]),
        (repeat(cut), ["repeat_rate_pct", "inbound_contacts"]),
    ]:
        for record in table.records():
            row = rows.setdefault(record[column], {"segment": record[column]})
            row.update({name: record[name] for name in fields})
    data.segments = [rows[key] for key in sorted(rows)]
    return data


def trend_chart(title: str, points: list[tuple[date, float | None, int]], unit: str) -> SafeString:
    """A line of the monthly values as inline SVG (no script: pygal's scripts come from a CDN)."""
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        height=220,
        width=520,
        x_label_rotation=30,
        title=title,
        allow_interruptions=True,
    )
    chart.x_labels = [p.strftime("%Y-%m") for p, _value, _n in points]
    chart.add(title, [None if v is None else round(v, 1) for _p, v, _n in points])
    # pygal inlines its settings for its tooltip script, which we do not load: drop them.
    svg = re.sub(r"<script.*?</script>", "", chart.render(is_unicode=True), flags=re.DOTALL)
    return mark_safe(svg)  # noqa: S308  (SVG drawn by pygal from numbers and our own labels)


def _default_period() -> tuple[date, date]:
    today = timezone.now().astimezone(zone()).date()
    start = today.replace(day=1)
    for _month in range(11):
        start = previous_period(start, "month")
    return start, today


def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not is_quality_manager(request):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only a quality manager may see the dashboard."))
    start, end = _default_period()
    segment = request.GET.get("by") if request.GET.get("by") in ("channel", "team") else "channel"
    filters = {name: request.GET[name] for name in ("channel", "team") if request.GET.get(name)}
    error = None
    limit = settings.KPI_MAX_POINTS
    try:
        scope = Scope.parse(
            request.GET.get("from") or start.isoformat(),
            request.GET.get("to") or end.isoformat(),
            filters=filters,
            max_points=limit,
        )
    except ScopeError as exc:
        error = str(exc)
        scope = Scope(start, end, filters=filters, max_points=limit)
    data, charts = None, []
    try:
        data = dashboard_data(scope, segment)
    except ScopeError as exc:  # more segments than a page may show
        error = str(exc)
    else:
        charts = [
            trend_chart(h.label, data.trends[h.key], h.unit)
            for h in data.headlines
            if h.key in ("nps", "csat", "fcr", "repeat")
        ]
    return render(
        request,
        "kpis/dashboard.html",
        {
            "data": data,
            "charts": charts,
            "segment": segment,
            "error": error,
            "channels": Channel.choices,
            "teams": Team.objects.values_list("external_id", flat=True),
            "filters": filters,
            "query": request.GET.urlencode(),
        },
    )
