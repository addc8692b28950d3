"""Days, office hours and timestamps for the sample history, in integer UTC seconds.

The service works on French local time (Europe/Paris): office hours and arrival profiles are
local, the CSV is UTC. Working on integers keeps the generator fast; one table per local day
(its midnight in UTC, weekday, holiday) covers the whole period.
"""

import time
from bisect import bisect_right
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from . import profile

SERVICE_ZONE = ZoneInfo("Europe/Paris")
DAY = 86400
WEEK = 7 * DAY

# "HH:MM:SSZ" for every second of a day: formatting is a lookup, not a strftime.
_TIME_OF_DAY = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(DAY)]


class Calendar:
    """Local days from `first` for `n_days` days (plus margin for events that spill over)."""

    def __init__(self, first: date, n_days: int, margin_days: int = 400) -> None:
        self.first = first
        total = n_days + margin_days
        self.days = [first + timedelta(days=i) for i in range(total + 1)]
        self.midnights = [
            int(datetime(d.year, d.month, d.day, tzinfo=SERVICE_ZONE).timestamp())
            for d in self.days
        ]
        # France's public holidays (the `holidays` package), as the staffing forecast reads them.
        closed = holidays.country_holidays("FR", years=range(first.year, self.days[-1].year + 1))
        self.holiday = [d in closed for d in self.days]
        self.opening = [self._opening(d, h) for d, h in zip(self.days, self.holiday, strict=True)]
        self._prefix: dict[int, str] = {}

    @staticmethod
    def _opening(day: date, holiday: bool) -> tuple[int, int] | None:
        if holiday or day.weekday() == 6:
            return None
        return profile.OPEN_SATURDAY if day.weekday() == 5 else profile.OPEN_WEEKDAY

    def index(self, ts: int) -> int:
        """Index of the local day holding `ts`."""
        return bisect_right(self.midnights, ts) - 1

    def local_seconds(self, ts: int) -> tuple[int, int]:
        i = self.index(ts)
        return i, ts - self.midnights[i]

    def is_open(self, ts: int) -> bool:
        i, s = self.local_seconds(ts)
        hours = self.opening[i] if 0 <= i < len(self.opening) else None
        return hours is not None and hours[0] <= s < hours[1]

    def next_open(self, ts: int) -> int:
        """`ts` if the office is open then, else the next opening time."""
        i, s = self.local_seconds(ts)
        while i < len(self.opening):
            hours = self.opening[i]
            if hours is not None:
                if s < hours[0]:
                    return self.midnights[i] + hours[0]
                if s < hours[1]:
                    return self.midnights[i] + s
            i += 1
            s = -1
        return ts

    def fmt(self, ts: int) -> str:
        """ISO 8601 UTC with `Z`, as in the reference files."""
        day, seconds = divmod(ts, DAY)
        prefix = self._prefix.get(day)
        if prefix is None:
            prefix = self._prefix[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * DAY))
        return prefix + _TIME_OF_DAY[seconds]
