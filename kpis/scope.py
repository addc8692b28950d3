"""What a KPI is asked about: a period, a granularity, the dimensions to cut by, filters.

Periods are cut in settings.TIME_ZONE: `from` and `to` are local calendar days, both included,
so a month in Paris starts at 22:00 or 23:00 UTC the day before, whatever the daylight saving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

GRANULARITIES = ("day", "week", "month")
DIMENSIONS = ("channel", "team", "agent", "reason", "priority")


class ScopeError(ValueError):
    """A request for figures that cannot be answered as asked (bad date, unknown dimension)."""


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # included
    granularity: str | None = None
    by: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ScopeError(_("The end of the period is before its start."))
        if self.granularity is not None and self.granularity not in GRANULARITIES:
            raise ScopeError(
                _("Unknown granularity %(value)s: use day, week or month.")
                % {"value": self.granularity}
            )
        for name in (*self.by, *self.filters):
            if name not in DIMENSIONS:
                raise ScopeError(
                    _("Unknown dimension %(value)s: use %(choices)s.")
                    % {"value": name, "choices": ", ".join(DIMENSIONS)}
                )

    @property
    def since(self) -> datetime:
        """First instant of the period, aware, in the configured zone."""
        return datetime.combine(self.start, time.min, tzinfo=zone())

    @property
    def until(self) -> datetime:
        """First instant after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone())

    def with_(self, **changes: object) -> Scope:
        values = {
            "start": self.start,
            "end": self.end,
            "granularity": self.granularity,
            "by": self.by,
            "filters": self.filters,
        }
        values.update(changes)
        return Scope(**values)  # type: ignore[arg-type]

    @classmethod
    def parse(
        cls,
        start: str,
        end: str,
        by: str = "",
        granularity: str | None = None,
        filters: dict[str, str] | None = None,
    ) -> Scope:
        """Build a scope from text: `by` may name a granularity among the dimensions."""
        names = [n.strip() for n in by.split(",") if n.strip()]
        periods = [n for n in names if n in GRANULARITIES]
        if len(periods) > 1 or (periods and granularity and periods[0] != granularity):
            raise ScopeError(_("Cut by one granularity at most."))
        return cls(
            start=_parse_date(start),
            end=_parse_date(end),
            granularity=periods[0] if periods else granularity or None,
            by=tuple(n for n in names if n not in GRANULARITIES),
            filters=dict(filters or {}),
        )


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ScopeError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": text}) from None


def period_starts(scope: Scope) -> list[date]:
    """Every period of the scope's granularity that meets the scope, in order."""
    first = period_of(scope.start, scope.granularity)
    out = []
    current = first
    while current <= scope.end:
        out.append(current)
        current = _next_period(current, scope.granularity)
    return out


def period_of(day: date, granularity: str | None) -> date:
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day


def _next_period(start: date, granularity: str | None) -> date:
    if granularity == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return start + timedelta(days=1)


def previous_period(start: date, granularity: str | None) -> date:
    """The start of the period before the one starting at `start`."""
    if granularity == "month":
        return (start - timedelta(days=1)).replace(day=1)
    return start - timedelta(days=7 if granularity == "week" else 1)


def next_period(start: date, granularity: str | None) -> date:
    return _next_period(start, granularity)
