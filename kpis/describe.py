"""How a period and a segment read for people: the lead of a page, the first lines of an export
and its file name name every filter by its label, never by its code."""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.labels import channel_label, reason_label
from tickets.models import Agent, Team

FILTER_LABELS: dict[str, Promise] = {
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "agent": gettext_lazy("Agent"),
    "reason": gettext_lazy("Contact reason"),
}


def value_label(name: str, value: str) -> str:
    """One filter's value as people know it (several values: comma-separated codes)."""
    codes = [v for v in str(value).split(",") if v]
    if name == "channel":
        return ", ".join(channel_label(c) for c in codes)
    if name == "reason":
        return ", ".join(reason_label(c) for c in codes)
    if name in ("team", "agent"):
        model = Team if name == "team" else Agent
        named = {o.external_id: str(o) for o in model.objects.filter(external_id__in=codes)}
        return ", ".join(named.get(c, c) for c in codes)
    return str(value)


def filter_described(name: str, value: str) -> str:
    label = FILTER_LABELS.get(name, name)
    return _("%(filter)s: %(value)s") % {"filter": label, "value": value_label(name, value)}


def segment_described(filters: dict[str, str]) -> list[str]:
    """ "Channel: Phone", ... for each filter in force."""
    return [filter_described(name, value) for name, value in filters.items() if value]


def period_described(start: date, end: date) -> str:
    return _("From %(start)s to %(end)s") % {
        "start": date_format(start, "DATE_FORMAT"),
        "end": date_format(end, "DATE_FORMAT"),
    }
