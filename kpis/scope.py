"""What a KPI is asked about: a period, a granularity, the dimensions to cut by, filters.

Periods are cut in settings.TIME_ZONE: `from` and `to` are local calendar days, both included,
so a month in Paris starts at 22:00 or 23:00 UTC the day before, whatever the daylight saving.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tickets import bounds

GRANULARITIES = ("day", "week", "month")
DIMENSIONS = ("channel", "team", "agent", "reason", "priority")


# A period may end this far ahead of today: this year, or this quarter, asked for in advance.
DAYS_AHEAD = 366


class ScopeError(ValueError):
    """A request for figures that cannot be answered as asked (bad date, unknown dimension)."""


class TooManyPoints(ScopeError):
    """More rows (periods x segments) than a request may ask for."""

    def __init__(self, points: int, limit: int) -> None:
        super().__init__(
            _(
                "This asks for %(points)s rows of figures (one per period and segment); at most "
                "%(max)s are served at once. Choose a coarser granularity, a shorter period, "
                "fewer dimensions or a filter."
            )
            % {"points": _count(points), "max": _count(limit)}
        )


def _count(number: int) -> str:
    return formats.number_format(number, force_grouping=True)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # included
    granularity: str | None = None
    by: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    # Rows a table of this scope may have at most (settings.KPI_MAX_POINTS where people and
    # integrations ask, none for the command line): checked on the periods here, and on the
    # segments found once the rows are read (kpis.queries.base).
    max_points: int | None = None

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
        if self.max_points is not None and self.periods > self.max_points:
            raise TooManyPoints(self.periods, self.max_points)

    @property
    def periods(self) -> int:
        """How many periods of its granularity the scope meets (1 without one)."""
        first, last = period_of(self.start, self.granularity), period_of(self.end, self.granularity)
        if self.granularity == "month":
            return (last.year - first.year) * 12 + last.month - first.month + 1
        if self.granularity == "week":
            return (last - first).days // 7 + 1
        if self.granularity == "day":
            return (last - first).days + 1
        return 1

    @property
    def since(self) -> datetime:
        """First instant of the period, aware, in the configured zone."""
        return datetime.combine(self.start, time.min, tzinfo=zone())

    @property
    def until(self) -> datetime:
        """First instant after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone())

    def with_(self, **changes: object) -> Scope:
        values: dict[str, object] = {
            "start": self.start,
            "end": self.end,
            "granularity": self.granularity,
            "by": self.by,
            "filters": self.filters,
            "max_points": self.max_points,
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
        max_points: int | None = None,
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
            max_points=max_points,
        )


def _parse_date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ScopeError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": text}) from None
    problem = day_problem(day)
    if problem:
        raise ScopeError(problem)
    return day


def day_bounds() -> tuple[date, date]:
    """The first and last days a period may name: as far back as history goes (tickets.bounds),
    and up to DAYS_AHEAD days ahead of today. Beyond, there is nothing to count, and years 1 and
    9999 have no room left for a period's bounds in another zone."""
    earliest, _latest = bounds.time_window()
    today = timezone.localdate(timezone=zone())
    return earliest.astimezone(zone()).date(), today + timedelta(days=DAYS_AHEAD)


def day_problem(day: date) -> str | None:
    first, last = day_bounds()
    if not first <= day <= last:
        return _(
            "%(value)s is out of the days figures can be asked for: %(first)s to %(last)s."
        ) % {
            "value": day.isoformat(),
            "first": first.isoformat(),
            "last": last.isoformat(),
        }
    return None


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


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: [(first, last), ...]."""
    out: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out
