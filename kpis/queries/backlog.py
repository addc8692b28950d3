"""Backlog: tickets still open, by creation period and by age bucket."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..columns import count
from ..definition import Kpi, Part, Section
from ..registry import kpi_register
from ..sources import TICKETS

# (column, its label, lower bound included, upper bound excluded) of a ticket's age.
AGE_BUCKETS = [
    ("age_lt_1d", _("Open less than a day"), timedelta(0), timedelta(days=1)),
    ("age_1_3d", _("Open 1 to 3 days"), timedelta(days=1), timedelta(days=3)),
    ("age_3_7d", _("Open 3 to 7 days"), timedelta(days=3), timedelta(days=7)),
    ("age_7_30d", _("Open 7 to 30 days"), timedelta(days=7), timedelta(days=30)),
    ("age_gt_30d", _("Open more than 30 days"), timedelta(days=30), None),
]


def _aggregates(now: datetime | None = None) -> dict[str, Any]:
    """Open tickets, and how long they have been waiting at `now` (default: the present)."""
    now = now or timezone.now()
    aggregates: dict[str, Any] = {"open_tickets": Count("id")}
    for name, _label, low, high in AGE_BUCKETS:
        # Older than `low` means created at or before now - low.
        condition = Q(created_at__lte=now - low)
        if high is not None:
            condition &= Q(created_at__gt=now - high)
        aggregates[name] = Count("id", filter=condition)
    return aggregates


backlog = kpi_register(
    Kpi(
        name="backlog",
        label=_("Backlog"),
        description=_("Open tickets created in the period, by how long they have waited."),
        subject="backlog",
        parts=(Part(TICKETS, _aggregates, where=Q(solved_at__isnull=True)),),
        columns=(
            count("open_tickets", _("Open tickets")),
            *(count(name, label) for name, label, _low, _high in AGE_BUCKETS),
        ),
        sections=(Section("backlog_by_creation_month", "month", ("month", "open_tickets")),),
    )
)
