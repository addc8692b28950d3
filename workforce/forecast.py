"""Next weeks' inbound volume per half-hour: a weekly profile times a trend.

1. Profile: over the last PROFILE_WEEKS whole weeks, each half-hour of the week's share of the
   week's volume (Monday 09:00-09:30 holds 1.2 % of a week, say).
2. Trend: a least-squares line through the weekly totals of the last TREND_WEEKS weeks, read
   ahead for each week to come (floored at zero).
3. Forecast of a half-hour = its week's projected total x its share in the profile.

Public holidays (workforce.public_holidays) are treated apart, so that a Monday holiday neither
drags every Monday down nor is forecast as a working Monday:
- a past holiday is taken out of the history before the profile and trend are drawn: each of
  its half-hours is replaced by the mean of the same half-hour on the same weekday a week
  before and a week after (the two nearest such days that are not holidays: its "usual day");
- a holiday ahead is forecast as its usual forecast x the holiday ratio: the contacts that came
  on the history's holidays / the contacts of their usual days. With no past holiday to learn
  from (or usual days without contacts), it is forecast as an ordinary day, and the page and the
  CSV flag it either way.

Its error is measured on the past: each of the last weeks is forecast from the weeks before it
only, and compared with what came, day by day (MAPE, over the days that had contacts).
"""

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

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


@dataclass
class HolidayRatio:
    """What the history's holidays say: contacts on them / contacts of their usual days."""

    ratio: float | None  # None: nothing to learn from
    past: list[date] = field(default_factory=list)  # the holidays it was learned from
    contacts: float = 0.0  # that came on them
    usual: float = 0.0  # their usual days'


def _known_weeks(series: Series, before: date) -> list[date]:
    """Whole weeks of the series before `before` (the first one seen may be partial)."""
    weeks = sorted({week_of(m) for m in series if week_of(m) < before})
    return weeks[1:] if len(weeks) > 1 else weeks


def _usual_day(
    series: Series, day: date, weeks: list[date], holidays: Collection[date]
) -> dict[datetime, float]:
    """Each half-hour of `day` as the mean of the same weekday's in the two nearest other weeks
    given that are not holidays (a week before and a week after, usually; {} when none)."""
    candidates = [w + timedelta(days=day.weekday()) for w in weeks]
    others = sorted(
        (d for d in candidates if d != day and d not in holidays), key=lambda d: abs(d - day)
    )[:2]
    if not others:
        return {}
    usual = {}
    for half in range(48):
        step = timedelta(minutes=30 * half)
        total = sum(series.get(datetime.combine(o, time()) + step, 0.0) for o in others)
        usual[datetime.combine(day, time()) + step] = total / len(others)
    return usual


def holiday_ratio(series: Series, before: date, holidays: Collection[date]) -> HolidayRatio:
    """The ratio learned from the holidays of the series' whole weeks before `before`."""
    weeks = _known_weeks(series, before)
    result = HolidayRatio(None)
    for day in sorted(holidays):
        if week_of(datetime.combine(day, time())) not in weeks:
            continue
        usual = sum(_usual_day(series, day, weeks, holidays).values())
        if not usual:
            continue
        result.past.append(day)
        result.contacts += sum(c for m, c in series.items() if m.date() == day)
        result.usual += usual
    if result.usual:
        result.ratio = result.contacts / result.usual
    return result


def without_holidays(series: Series, before: date, holidays: Collection[date]) -> Series:
    """The series with each holiday of its whole weeks before `before` replaced by its usual
    day."""
    weeks = _known_weeks(series, before)
    days = {d for d in holidays if week_of(datetime.combine(d, time())) in weeks}
    if not days:
        return series
    out = {m: c for m, c in series.items() if m.date() not in days}
    for day in days:
        out.update(_usual_day(series, day, weeks, holidays))
    return out


def forecast(
    series: Series, first_week: date, weeks: int, holidays: Collection[date] = ()
) -> dict[datetime, float]:
    """Contacts per half-hour for `weeks` weeks from the Monday `first_week`, from the series'
    weeks before it (whole weeks; the first one seen may be partial and is left out). Holidays,
    past and ahead, are treated as the module says."""
    out = _ordinary(without_holidays(series, first_week, holidays), first_week, weeks)
    ratio = holiday_ratio(series, first_week, holidays).ratio if holidays else None
    if ratio is not None:
        for moment in out:
            if moment.date() in holidays:
                out[moment] *= ratio
    return out


def _ordinary(series: Series, first_week: date, weeks: int) -> dict[datetime, float]:
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


def weekly_mape(
    series: Series, weeks: list[date], holidays: Collection[date] = ()
) -> dict[date, float | None]:
    """{week: MAPE of its daily totals (%), forecast from the weeks before it only}."""
    out: dict[date, float | None] = {}
    for week in weeks:
        predicted = _daily(forecast(series, week, 1, holidays))
        actual = _daily({m: c for m, c in series.items() if week_of(m) == week})
        errors = [abs(predicted.get(d, 0.0) - a) / a for d, a in actual.items() if a]
        out[week] = 100 * sum(errors) / len(errors) if errors else None
    return out


def _daily(series: Mapping[datetime, float]) -> dict[date, float]:
    days: dict[date, float] = defaultdict(float)
    for moment, count in series.items():
        days[moment.date()] += count
    return days
