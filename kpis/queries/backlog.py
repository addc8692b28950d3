"""Backlog: tickets still open, by creation period and by age bucket."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from tickets.models import Ticket

from ..scope import Scope
from .base import Table, build_table, grouped
from .resolution import DIMENSIONS

# (column, lower bound included, upper bound excluded) of a ticket's age.
AGE_BUCKETS = [
    ("age_lt_1d", timedelta(0), timedelta(days=1)),
    ("age_1_3d", timedelta(days=1), timedelta(days=3)),
    ("age_3_7d", timedelta(days=3), timedelta(days=7)),
    ("age_7_30d", timedelta(days=7), timedelta(days=30)),
    ("age_gt_30d", timedelta(days=30), None),
]


def _aggregates(now: datetime) -> dict[str, Any]:
    aggregates: dict[str, Any] = {"open_tickets": Count("id")}
    for name, low, high in AGE_BUCKETS:
        # Older than `low` means created at or before now - low.
        condition = Q(created_at__lte=now - low)
        if high is not None:
            condition &= Q(created_at__gt=now - high)
        aggregates[name] = Count("id", filter=condition)
    return aggregates


def backlog(scope: Scope, now: datetime | None = None) -> Table:
    """Open tickets created in the period, with how long they have been waiting (at `now`)."""
    now = now or timezone.now()
    groups = grouped(
        Ticket.objects.filter(solved_at__isnull=True),
        scope,
        date_field="created_at",
        dimensions=DIMENSIONS,
        aggregates=_aggregates(now),
    )
    names = [name for name, _low, _high in AGE_BUCKETS]
    return build_table(
        scope,
        groups,
        ["open_tickets", *names],
        lambda c: [c["open_tickets"], *(c[n] for n in names)],
    )
