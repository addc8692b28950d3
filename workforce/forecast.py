"""Next weeks' inbound volume per half-hour: a weekly profile times a trend.

1. Profile: over the last PROFILE_WEEKS whole weeks, each half-hour of the week's share of the
   week's volume (Monday 09:00-09:30 holds 1.2 % of a week, say).
2. Trend: a least-squares line through the weekly totals of the last TREND_WEEKS weeks, read
   ahead for each week to come (floored at zero).
3. Forecast of a half-hour = its week's projected total x its share in the profile.

Its error is measured on the past: each of the last weeks is forecast from the weeks before it
only, and compared with what came, day by day (MAPE, over the days that had contacts).
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta

PROFILE_WEEKS = 8
TREND_WEEKS = 12
SLOTS = 7 * 48  # half-hours in a week

Series = Mapping[datetime, float]  # local (naive) half-hour start -> contacts


def slot_of(moment: datetime) -> int:
    return moment.weekday() * 48 + moment.hour * 2 + moment.minute // 30


def week_of(moment: datetime) -> date:
    return moment.date() - timedelta(days=moment.weekday())


def _weeks(series: Series, before: date) -> dict[date, dict[int, float]]:
    weeks: dict[date, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for moment, count in series.items():
        if week_of(moment) < before:
            weeks[week_of(moment)][slot_of(moment)] += count
    return weeks


def _line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line; flat through the mean for one point."""
    n = len(points)
    mx = sum(x for x, _y in points) / n
    my = sum(y for _x, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _y in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - slope * mx, slope


def forecast(series: Series, first_week: date, weeks: int) -> dict[datetime, float]:
    """Contacts per half-hour for `weeks` weeks from the Monday `first_week`, from the series'
    weeks before it (whole weeks; the first one seen may be partial and is left out)."""
    past = _weeks(series, first_week)
    known = sorted(past)[1:] if len(past) > 1 else sorted(past)
    if not known:
        return {}
    profile_weeks = known[-PROFILE_WEEKS:]
    totals: dict[int, float] = defaultdict(float)
    for week in profile_weeks:
        for slot, count in past[week].items():
            totals[slot] += count
    volume = sum(totals.values())
    share = {slot: count / volume for slot, count in totals.items()} if volume else {}
    trend = [((w - first_week).days / 7, sum(past[w].values())) for w in known[-TREND_WEEKS:]]
    intercept, slope = _line(trend)
    out = {}
    for ahead in range(weeks):
        total = max(0.0, intercept + slope * ahead)
        monday = datetime.combine(first_week + timedelta(weeks=ahead), datetime.min.time())
        for slot in range(SLOTS):
            out[monday + timedelta(minutes=30 * slot)] = total * share.get(slot, 0.0)
    return out


def weekly_mape(series: Series, weeks: list[date]) -> dict[date, float | None]:
    """{week: MAPE of its daily totals (%), forecast from the weeks before it only}."""
    out: dict[date, float | None] = {}
    for week in weeks:
        predicted = _daily(forecast(series, week, 1))
        actual = _daily({m: c for m, c in series.items() if week_of(m) == week})
        errors = [abs(predicted.get(d, 0.0) - a) / a for d, a in actual.items() if a]
        out[week] = 100 * sum(errors) / len(errors) if errors else None
    return out


def _daily(series: Mapping[datetime, float]) -> dict[date, float]:
    days: dict[date, float] = defaultdict(float)
    for moment, count in series.items():
        days[moment.date()] += count
    return days
