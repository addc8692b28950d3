"""The quality manager's dashboard: headline figures with their change, trends, segments.

`dashboard_data` is the selector (a fixed number of queries whatever the history's size, pinned
by a test); `dashboard` is the view. Charts are SVG drawn by pygal on the server, without script.
"""

from __future__ import annotations

import re
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

from tickets.models import Channel, Team
from tickets.permissions import is_quality_manager

from .counting import Ask, counts
from .definition import Figure, Kpi, figure_label
from .queries.base import collapse, low_sample
from .registry import KPIS
from .rollups.serving import checks_shared
from .scope import Scope, ScopeError, previous_period, zone
from .stats import Change

# The KPIs whose figures the segment table shows, each figure with its sample.
SEGMENT_KPIS = ("satisfaction", "fcr", "repeat")


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

    @property
    def low_sample(self) -> bool:
        return low_sample(self.n)

    @property
    def direction(self) -> str | None:
        """better, worse or unchanged against the previous period (None without a test)."""
        return None if self.change is None else self.change.direction(self.good)


@dataclass
class Dashboard:
    scope: Scope
    previous: Scope
    headlines: list[Headline] = field(default_factory=list)
    trends: dict[str, list[tuple[date, float | None, int]]] = field(default_factory=dict)
    segments: list[dict[str, Any]] = field(default_factory=list)


def headline_figures() -> list[tuple[Kpi, Figure]]:
    """Every registered KPI's headline figures, in the registry's order."""
    return [(kpi, f) for kpi in KPIS.values() for f in kpi.figures if f.headline]


@checks_shared()  # the rollups' state is read once per period
def dashboard_data(scope: Scope, segment: str = "channel") -> Dashboard:
    """Headlines with their change from the previous period of the same length, monthly
    trends, and satisfaction, FCR and repeat rate by `segment` (channel or team).

    Figures are every registered KPI's headline figures (kpis.definition.Figure.headline),
    counted together (kpis.counting): one query per table of the history and period."""
    length = (scope.end - scope.start).days + 1
    previous = scope.with_(
        start=scope.start - timedelta(days=length), end=scope.start - timedelta(days=1)
    )
    monthly = scope.with_(granularity="month", by=())
    cut = scope.with_(granularity=None, by=(segment,))
    figures = headline_figures()
    headline_kpis = list(dict.fromkeys(kpi for kpi, _figure in figures))
    segment_kpis = [KPIS[name] for name in SEGMENT_KPIS]
    asks = [
        *(Ask(kpi, monthly) for kpi in headline_kpis),
        *(Ask(kpi, previous.with_(granularity=None, by=())) for kpi in headline_kpis),
        *(Ask(kpi, cut) for kpi in segment_kpis),
    ]
    counted = counts(asks)
    width = len(headline_kpis)
    months = dict(zip(headline_kpis, counted[:width], strict=True))
    before = dict(zip(headline_kpis, counted[width : 2 * width], strict=True))
    data = Dashboard(scope=scope, previous=previous)
    for kpi, figure in figures:
        groups = months[kpi] or []
        names = list(groups[0][1]) if groups else []
        now = collapse(groups, (), scope, names)[0][1]
        old = (before[kpi] or [((), {})])[0][1]
        column = kpi.column(figure.column)
        data.headlines.append(
            Headline(
                key=figure.key,
                label=str(figure_label(kpi, figure)),
                value=kpi.value(figure, now),
                n=now[figure.n],
                interval=kpi.interval(figure, now),
                change=figure.test(old, now) if figure.test else None,
                unit="%" if column.unit == "percent" else "",
                precision=column.precision,
                good=column.good,
            )
        )
        data.trends[figure.key] = [(key[0], kpi.value(figure, c), c[figure.n]) for key, c in groups]
    data.segments = _segments(segment_kpis, counted[2 * width :], cut, segment)
    return data


def _segments(kpis: list[Kpi], counted: list, cut: Scope, segment: str) -> list[dict[str, Any]]:
    """One row per segment: each KPI's headline figures with their n and small-sample flag."""
    rows: dict[str, dict[str, Any]] = {}
    for kpi, groups in zip(kpis, counted, strict=True):
        for key, c in groups:
            row = rows.setdefault(key[0], {"segment": key[0]})
            for figure in kpi.figures:
                if figure.headline:
                    row[figure.key] = kpi.value(figure, c)
                    row[f"{figure.key}_n"] = c[figure.n]
                    row[f"{figure.key}_low_sample"] = low_sample(c[figure.n])
    return [rows[key] for key in sorted(rows)]


def trend_chart(
    title: str, points: list[tuple[date, float | None, int]], unit: str, nonce: str = ""
) -> SafeString:
    """A line of the monthly values as inline SVG (no script: pygal's scripts come from a CDN).

    pygal styles each chart with a `<style>` of its own: `nonce` (the request's CSP nonce) lets
    the page's Content-Security-Policy accept it.
    """
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
    # The hidden tooltip box is for that script too, and its style attribute breaks the CSP.
    svg = svg.replace(' style="opacity: 0"', "")
    svg = svg.replace("<style ", f'<style nonce="{nonce}" ', 1) if nonce else svg
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
            trend_chart(
                h.label, data.trends[h.key], h.unit, nonce=str(getattr(request, "csp_nonce", ""))
            )
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
