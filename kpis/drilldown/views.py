"""The list pages: contacts, tickets, answers and comments, each paginated, sortable, exportable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.labels import reason_choices
from tickets.models import Team
from tickets.permissions import is_quality_manager

from ..describe import FILTER_LABELS, filter_described
from ..periods import default_period
from . import columns, export, lists, params

PAGE_SIZE = 50
# Parameters the filter form shows; the others (the figure's subset) ride along hidden.
SHOWN = {"from", "to", "channel", "team", "agent", "reason", "kind", "band", "resolved", "q",
         "comment", "page", "export"}  # fmt: skip
SEGMENT = ("from", "to", "channel", "team", "agent", "reason")


@dataclass(frozen=True)
class ListKind:
    name: str
    title: Any
    form: type[params.SegmentForm]
    rows: Callable[[dict[str, Any], date, date], QuerySet]
    columns: list[columns.Column]
    defaults: tuple[tuple[str, str], ...] = ()


CONTACTS = ListKind(
    "contacts", gettext_lazy("Contacts"), params.ContactListForm, lists.contact_list,
    columns.CONTACT_COLUMNS,
)  # fmt: skip
TICKETS = ListKind(
    "tickets", gettext_lazy("Tickets"), params.TicketListForm, lists.ticket_list,
    columns.TICKET_COLUMNS,
)  # fmt: skip
ANSWERS = ListKind(
    "answers", gettext_lazy("Survey answers"), params.AnswerListForm, lists.answer_list,
    columns.ANSWER_COLUMNS,
)  # fmt: skip
COMMENTS = ListKind(
    "comments", gettext_lazy("Comments"), params.AnswerListForm, lists.answer_list,
    columns.COMMENT_COLUMNS, defaults=(("comment", "1"),),
)  # fmt: skip


def _allowed(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_quality_manager(request):  # type: ignore[arg-type]
        raise PermissionDenied(_("This page is for quality managers."))
    return None


def _described(form: params.SegmentForm) -> list[str]:
    """The filters in force, as "label: value" in the page's language."""
    out = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name in ("start", "end", "page", "sort") or value in (None, ""):
            continue
        if name in FILTER_LABELS:
            out.append(filter_described(name, str(value)))
            continue
        shown = dict(getattr(field, "choices", ())).get(value, value) or value
        out.append(_("%(filter)s: %(value)s") % {"filter": field.label or name, "value": shown})
    return out


def list_page(request: HttpRequest, kind: ListKind) -> HttpResponse:
    refused = _allowed(request)
    if refused is not None:
        return refused
    query = request.GET.copy()
    for name, value in kind.defaults:
        query.setdefault(name, value)
    form = kind.form(query)
    if not form.is_valid():
        context = {"kind": kind, "errors": params.errors_of(form), "form": form}
        return render(request, "kpis/list.html", context, status=400)
    data = form.cleaned_data
    start, end = data.get("start"), data.get("end")
    if not start or not end:
        default_start, default_end = default_period()
        start, end = start or default_start, end or default_end
    rows = kind.rows(data, start, end)
    period = _("From %(start)s to %(end)s") % {
        "start": date_format(start, "DATE_FORMAT"),
        "end": date_format(end, "DATE_FORMAT"),
    }
    filters = _described(form)
    if request.GET.get("export") in ("csv", "xlsx"):
        title = [str(kind.title), period, *filters]
        everything = rows.iterator(chunk_size=2000)
        limited = (row for i, row in enumerate(everything) if i < export.MAX_ROWS)
        return export.download(request.GET["export"], kind.name, title, kind.columns, limited)
    page = data.get("page") or 1
    fetched = list(rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    values = [[(c, c.value(row)) for c in kind.columns] for row in fetched[:PAGE_SIZE]]
    context = {
        "kind": kind,
        "form": form,
        "period": period,
        "start": start,
        "end": end,
        "filters": filters,
        "columns": kind.columns,
        "rows": values,
        "cells": _cells(values),
        "page": page,
        "previous_url": _with(query, page=page - 1) if page > 1 else None,
        "next_url": _with(query, page=page + 1) if len(fetched) > PAGE_SIZE else None,
        "headers": _headers(kind, query, form),
        "export_csv": _with(query, export="csv", page=None),
        "export_xlsx": _with(query, export="xlsx", page=None),
        "teams": Team.objects.only("external_id", "name").order_by("name", "external_id"),
        "reasons": reason_choices(data.get("reason") or ""),
        "hidden": [(k, v) for k, v in query.items() if k not in SHOWN and v],
        "overview_query": _overview_query(query),
    }
    return render(request, "kpis/list.html", context)


def _cells(values: list[list[tuple]]) -> list[list[tuple[str, str]]]:
    """(CSS class, text) of each cell, formatted once here rather than per cell in the template:
    a page is 50 rows of about 20 columns."""
    yes, no = _("yes"), _("no")
    out = []
    for row in values:
        cells = []
        for column, value in row:
            if value is None or value == "":
                text = ""
            elif column.kind == "datetime":
                text = date_format(localtime(value), "SHORT_DATETIME_FORMAT")
            elif column.kind == "bool":
                text = yes if value else no
            else:
                text = str(value)
            cells.append((column.kind, text))
        out.append(cells)
    return out


def _overview_query(query: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    for name in SEGMENT:
        if query.get(name):
            kept[name] = query[name]
    return "?" + kept.urlencode() if kept else ""


def _with(query: QueryDict, **changes: Any) -> str:
    """The list's URL with some parameters changed (None drops one); never the export."""
    out = query.copy()
    for name in ("export", "page", *changes):
        out.pop(name, None)
    for name, value in changes.items():
        if value is not None:
            out[name] = str(value)
    return "?" + out.urlencode()


def _sorts(query: QueryDict, form: params.SegmentForm) -> dict[str, str]:
    """For each sortable column, the URL sorting by it (the other way round when it already is)."""
    choices = [value for value, _label in form.fields["sort"].choices]
    current = form.cleaned_data.get("sort") or choices[0]
    out = {}
    for value in choices:
        key = value.lstrip("-")
        options = [v for v in choices if v.lstrip("-") == key]
        wanted = options[0]
        if current in options and len(options) > 1:
            wanted = next(v for v in options if v != current)
        out[key] = _with(query, sort=wanted)
    return out


def _headers(kind: ListKind, query: QueryDict, form: params.SegmentForm) -> list[tuple]:
    """(column, URL sorting by it or None, aria-sort value or None) for each column."""
    urls = _sorts(query, form)
    current = form.cleaned_data.get("sort") or form.fields["sort"].choices[0][0]
    out = []
    for column in kind.columns:
        direction = None
        if current.lstrip("-") == column.key:
            direction = "descending" if current.startswith("-") else "ascending"
        out.append((column, urls.get(column.key), direction))
    return out


def contacts(request: HttpRequest) -> HttpResponse:
    return list_page(request, CONTACTS)


def tickets(request: HttpRequest) -> HttpResponse:
    return list_page(request, TICKETS)


def answers(request: HttpRequest) -> HttpResponse:
    return list_page(request, ANSWERS)


def comments(request: HttpRequest) -> HttpResponse:
    return list_page(request, COMMENTS)
