"""What the ticket history may hold: times within a window around now, bounded handle times.

One definition, read by every way history comes in: the REST API's serializers, both paths of
the CSV import (tickets.importing.csv_rows) and the helpdesk connectors (`record_problems`).
Without it a ticket of year 9999 or a handle time of 2^31 seconds is stored, and then breaks
what reads every row, for everyone: the rollup refresh overflows its sums, and a full rebuild
walks every day from year 1.

The window is `HISTORY_MAX_AGE_DAYS` back and `HISTORY_MAX_FUTURE_SECONDS` ahead of now (clocks
of helpdesks drift a little; nothing real happens tomorrow). Handle times are at most
`HISTORY_MAX_HANDLE_SECONDS`: with the default day, one rollup row (a day, a channel, a team)
reaches the 2,147,483,647 seconds of its 4-byte sum only past 24,855 contacts each handled for
a whole day.
"""

from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


def time_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and the latest time history may hold, both included."""
    now = now or timezone.now()
    return (
        now - timedelta(days=settings.HISTORY_MAX_AGE_DAYS),
        now + timedelta(seconds=settings.HISTORY_MAX_FUTURE_SECONDS),
    )


def longest_handle() -> int:
    return settings.HISTORY_MAX_HANDLE_SECONDS


def shown(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_problem(value: datetime, now: datetime | None = None) -> str | None:
    """Why this time cannot be history, or None."""
    earliest, latest = time_window(now)
    if value < earliest:
        return _(
            "%(value)s is before %(earliest)s: history older than %(days)s days is refused."
        ) % {
            "value": shown(value),
            "earliest": shown(earliest),
            "days": settings.HISTORY_MAX_AGE_DAYS,
        }
    if value > latest:
        return _(
            "%(value)s is after %(latest)s: history more than %(seconds)s seconds ahead of now "
            "is refused."
        ) % {
            "value": shown(value),
            "latest": shown(latest),
            "seconds": settings.HISTORY_MAX_FUTURE_SECONDS,
        }
    return None


def duration_problem(seconds: int) -> str | None:
    """Why this handle time cannot be history, or None."""
    if seconds < 0:
        return _("%(value)s is negative: a handle time is 0 seconds or more.") % {"value": seconds}
    if seconds > longest_handle():
        return _(
            "%(value)s seconds is longer than the longest handle time accepted, %(max)s seconds."
        ) % {"value": seconds, "max": longest_handle()}
    return None


class OutOfBounds(ValueError):
    """Records that no way in should have handed over: the first value out of bounds."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(f"record {index}, {field}: {message}")
        self.index, self.field, self.message = index, field, message


def records_check(records: Iterable[object]) -> None:
    """Raise OutOfBounds for the first record holding a value out of bounds. The services call
    it, so that a way in that forgot to check (a new connector) fails loudly, not the rollups."""
    now = timezone.now()
    earliest, latest = time_window(now)
    longest = longest_handle()
    for index, record in enumerate(records):
        # Most records hold nothing out of bounds: compared to the window taken once, and
        # looked at field by field only when something is outside it.
        values = [getattr(record, name) for name in _names(type(record))]
        inside = all(earliest <= v <= latest for v in values if isinstance(v, datetime))
        handle = getattr(record, "handle_seconds", None)
        if inside and (handle is None or 0 <= handle <= longest):
            continue
        for field, message in record_problems(record, now):
            raise OutOfBounds(index, field, message)


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(record_class: type) -> tuple[str, ...]:
    names = _NAMES.get(record_class)
    if names is None:
        names = _NAMES[record_class] = tuple(f.name for f in fields(record_class))
    return names


def record_problems(record: object, now: datetime | None = None) -> list[tuple[str, str]]:
    """(field, message) for every value of a tickets.records record out of bounds."""
    problems = []
    for field in fields(record):  # type: ignore[arg-type]
        value = getattr(record, field.name)
        if isinstance(value, datetime):
            problem = time_problem(value, now)
        elif field.name == "handle_seconds" and value is not None:
            problem = duration_problem(value)
        else:
            continue
        if problem:
            problems.append((field.name, problem))
    return problems
