"""The overview page: filters in the URL, figures from the selector, charts as JSON data."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tickets.facts_state import facts_stale
from tickets.labels import reason_choices
from tickets.models import Agent, Team
from tickets.permissions import is_quality_manager

from ..describe import segment_described
from ..drilldown.params import SegmentForm, errors_of
from ..periods import default_period
from ..registry import KPIS
from ..scope import Scope
from .cache import panels_cache, panels_cached
from .selectors import Overview, headline_figures, overview_panels, previous_scope

SEGMENT = ("channel", "team", "agent", "reason")


def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_quality_manager(request):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only a quality manager may see the overview."))
    form = SegmentForm(request.GET)
    errors = [] if form.is_valid() else errors_of(form)
    cleaned = form.cleaned_data if not errors else {}
    start, end = default_period()
    start, end = cleaned.get("start") or start, cleaned.get("end") or end
    if end < start:
        start, end = default_period()
    filters = form.segment() if not errors else {}
    scope = Scope(start, end, filters=filters)
    data = Overview(scope=scope, previous=previous_scope(scope))
    data.headlines, trends = headline_figures(scope)
    # Computed only when the template's cached fragment misses, and then read from the cache
    # where the rollups' refresh has warmed them (kpis.dashboard.cache).
    computed = functools.cache(lambda: panels_cached(scope, lambda: overview_panels(scope, trends)))
    return render(
        request,
        "kpis/dashboard.html",
        {
            "data": data,
            "errors": errors,
            "facts_stale": facts_stale(),
            "form": form,
            "filters": filters,
            "described": segment_described(filters),
            "reasons": reason_choices(filters.get("reason", "")),
            "alarms": lambda: computed()[0],
            "panels": lambda: computed()[1],
            "charts": lambda: [c.as_json() for panel in computed()[1] for c in panel.charts],
            "panels_cache": panels_cache(scope),
            # xgettext:no-python-format
            "chart_text": {"interval": _("95 % interval"), "open": _("Click to see the list")},
            "period": _("From %(start)s to %(end)s")
            % {"start": date_format(start, "DATE_FORMAT"), "end": date_format(end, "DATE_FORMAT")},
            "previous": _("from %(start)s to %(end)s")
            % {
                "start": date_format(data.previous.start, "DATE_FORMAT"),
                "end": date_format(data.previous.end, "DATE_FORMAT"),
            },
            "teams": Team.objects.all(),
            "agents": Agent.objects.all(),
            "comments_url": _segment_url("comments", start, end, filters),
            "exports": _exports(start, end, filters),
            "kpi_exports": _kpi_exports(start, end, filters),
        },
        status=400 if errors else 200,
    )


def _segment_url(name: str, start, end, filters: dict[str, str], **extra: str) -> str:
    query = QueryDict(mutable=True)
    query["from"], query["to"] = start.isoformat(), end.isoformat()
    query.update({**filters, **extra})
    return reverse(name) + "?" + query.urlencode()


def _exports(start, end, filters: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, CSV URL, XLSX URL) of the lists behind the page, with the page's filters."""
    out = []
    for name, label in [
        ("drilldown_answers", _("Survey answers")),
        ("drilldown_contacts", _("Contacts")),
        ("drilldown_tickets", _("Solved tickets")),
    ]:
        out.append(
            (
                label,
                _segment_url(name, start, end, filters, export="csv"),
                _segment_url(name, start, end, filters, export="xlsx"),
            )
        )
    return out


def _kpi_exports(start, end, filters: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, CSV URL, XLSX URL) of every KPI by month, with the page's period and filters:
    the figures of the page as tables (the KPI API, which keeps codes in its JSON)."""
    out = []
    for name, kpi in KPIS.items():
        urls = []
        for kind in ("csv", "xlsx"):
            query = QueryDict(mutable=True)
            query["from"], query["to"] = start.isoformat(), end.isoformat()
            query.update({**filters, "granularity": "month", "export": kind})
            urls.append(reverse("api-kpi", args=[name]) + "?" + query.urlencode())
        out.append((str(kpi.label), urls[0], urls[1]))
    return out
