"""The period a manager's pages open on: the last three full months that have data."""

from __future__ import annotations

from datetime import date

from django.db.models import Max
from django.utils import timezone

from tickets.models import Contact

from .routers import kpi_reads
from .scope import next_period, previous_period, zone

DEFAULT_MONTHS = 3


@kpi_reads()
def default_period(today: date | None = None) -> tuple[date, date]:
    """Three whole months ending with the last month that is both over and has contacts.

    The month in progress is left out (half a month reads as a drop); a history that stopped
    earlier shows its last three months rather than empty ones. One indexed query.
    """
    today = today or timezone.now().astimezone(zone()).date()
    last_full = previous_period(today.replace(day=1), "month")
    latest = Contact.objects.aggregate(last=Max("started_at"))["last"]
    if latest is not None:
        last_full = min(last_full, latest.astimezone(zone()).date().replace(day=1))
    start = last_full
    for _month in range(DEFAULT_MONTHS - 1):
        start = previous_period(start, "month")
    end = next_period(last_full, "month").toordinal() - 1
    return start, date.fromordinal(end)
