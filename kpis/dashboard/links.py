"""The drill-down URL behind a figure: its list, period, the page's segment and its subset."""

from __future__ import annotations

from datetime import date

from django.http import QueryDict
from django.urls import reverse

from ..scope import Scope, next_period

LISTS = {
    "contacts": "drilldown_contacts",
    "tickets": "drilldown_tickets",
    "answers": "drilldown_answers",
    "comments": "comments",
}


def drill(
    scope: Scope, list_name: str, start: date | None = None, end: date | None = None, **subset: str
) -> str:
    query = QueryDict(mutable=True)
    query["from"] = (start or scope.start).isoformat()
    query["to"] = (end or scope.end).isoformat()
    for name, value in scope.filters.items():
        query[name] = value
    for name, value in subset.items():
        if value not in (None, ""):
            query[name] = value
    return reverse(LISTS[list_name]) + "?" + query.urlencode()


def month_bounds(scope: Scope, month: date) -> tuple[date, date]:
    """A month of a trend, cut to the page's period (the first and last may be partial)."""
    end = date.fromordinal(next_period(month, "month").toordinal() - 1)
    return max(month, scope.start), min(end, scope.end)


def drill_month(scope: Scope, list_name: str, month: date, **subset: str) -> str:
    start, end = month_bounds(scope, month)
    return drill(scope, list_name, start, end, **subset)
