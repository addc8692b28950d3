"""Reads of workforce figures that are not KPIs of the registry (hour-of-day profiles)."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Sum
from django.db.models.functions import ExtractHour

from .models import PresenceHour
from .presence import zone


def local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """First instant of `first` and of the day after `last`, in the configured zone."""
    tz = zone()
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def occupancy_by_hour(first: date, last: date, team: str | None = None) -> dict[int, dict]:
    """{local hour of the day (0-23): seconds and occupancy} over the days, both included."""
    since, until = local_bounds(first, last)
    rows = PresenceHour.objects.filter(hour__gte=since, hour__lt=until)
    if team:
        rows = rows.filter(team__external_id=team)
    grouped = (
        rows.annotate(h=ExtractHour("hour", tzinfo=zone()))
        .values("h")
        .annotate(
            logged_in=Sum("logged_in"),
            breaks=Sum("breaks"),
            busy=Sum(F("handling") + F("after_contact_work")),
        )
        .order_by("h")
    )
    out: dict[int, dict[str, Any]] = {}
    for r in grouped:
        available = r["logged_in"] - r["breaks"]
        out[r["h"]] = {
            "available_seconds": available,
            "busy_seconds": r["busy"],
            "occupancy_pct": 100 * r["busy"] / available if available else None,
        }
    return out
