"""Next month's staffing per channel: forecast contacts per half-hour and the agents they need.

For each channel: the inbound contacts of the last whole weeks per local half-hour feed
workforce.forecast (weekly profile x trend); the AHT is the mean handle time of the channel's
inbound contacts over the same weeks; Erlang C (workforce.erlang) gives the agents answering
`level` of contacts within the channel's target; agents to schedule = that / (1 - shrinkage),
shrinkage being the share of logged-in time spent on breaks (a default when no state is known).
The caller passes the targets, so they are read in one place (kpis.queries.workload).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Case, Count, IntegerField, Sum, When
from django.db.models.functions import TruncHour

from tickets.models import Channel, Contact, Direction

from . import erlang, forecast
from .models import PresenceHour
from .presence import zone
from .selectors import local_bounds

HALF_HOUR = 1800
HISTORY_WEEKS = forecast.TREND_WEEKS + 1  # the first week seen may be partial
MAPE_WEEKS = 4
MAX_SHRINKAGE = 0.9
# Queues Erlang C fits: a contact waits for the next free agent.
CHANNELS = [Channel.PHONE.value, Channel.CHAT.value]


@dataclass
class Slot:
    start: datetime  # local, naive
    contacts: float
    answering: int  # agents answering (Erlang C)
    scheduled: int  # agents to schedule (with shrinkage)


@dataclass
class ChannelPlan:
    channel: str
    aht: float | None
    aht_n: int
    target: int
    slots: list[Slot] = field(default_factory=list)
    mape: dict[date, float | None] = field(default_factory=dict)
    history_n: int = 0

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def total(self) -> float:
        return sum(s.contacts for s in self.slots)

    def days(self) -> list[dict]:
        """Per day: contacts, the busiest half-hour's agents, agent-hours to schedule."""
        out: dict[date, dict] = {}
        for s in self.slots:
            day = out.setdefault(s.start.date(), {"day": s.start.date(), "contacts": 0.0,
                                                  "peak": 0, "hours": 0.0})  # fmt: skip
            day["contacts"] += s.contacts
            day["peak"] = max(day["peak"], s.scheduled)
            day["hours"] += s.scheduled / 2
        return list(out.values())


@dataclass
class Shrinkage:
    share: float  # 0-1
    from_states: bool
    logged_in_hours: float = 0.0


@dataclass
class StaffingPlan:
    first: date
    last: date
    level: float
    shrinkage: Shrinkage
    channels: list[ChannelPlan]


def next_month(today: date) -> tuple[date, date]:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def history_window(today: date) -> tuple[date, date]:
    """The whole weeks read: HISTORY_WEEKS weeks up to the Monday of `today`'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=HISTORY_WEEKS), monday - timedelta(days=1)


def half_hour_series(channels: list[str], first: date, last: date) -> dict[str, dict]:
    """{channel: {local half-hour start (naive): inbound contacts}} over the days given."""
    tz = zone()
    since, until = local_bounds(first, last)
    rows = (
        Contact.objects.filter(
            channel__in=channels,
            direction=Direction.INBOUND,
            started_at__gte=since,
            started_at__lt=until,
        )
        .annotate(
            h=TruncHour("started_at", tzinfo=tz),
            half=Case(
                When(started_at__minute__gte=30, then=1), default=0, output_field=IntegerField()
            ),
        )
        .values("channel", "h", "half")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[str, dict[datetime, float]] = {c: defaultdict(float) for c in channels}
    for r in rows:
        start = r["h"].astimezone(tz).replace(tzinfo=None) + timedelta(minutes=30 * r["half"])
        out[r["channel"]][start] += r["n"]
    return out


def handle_times(channels: list[str], first: date, last: date) -> dict[str, tuple[float, int]]:
    """{channel: (mean handle seconds, contacts with a handle time)} of inbound contacts."""
    since, until = local_bounds(first, last)
    rows = (
        Contact.objects.filter(
            channel__in=channels,
            direction=Direction.INBOUND,
            started_at__gte=since,
            started_at__lt=until,
            handle_seconds__isnull=False,
        )
        .values("channel")
        .annotate(aht=Avg("handle_seconds"), n=Count("id"))
        .order_by()
    )
    return {r["channel"]: (float(r["aht"]), r["n"]) for r in rows}


def shrinkage(first: date, last: date) -> Shrinkage:
    """Breaks / logged-in time from the agents' states; the default share when there are none."""
    since, until = local_bounds(first, last)
    sums = PresenceHour.objects.filter(hour__gte=since, hour__lt=until).aggregate(
        logged_in=Sum("logged_in"), breaks=Sum("breaks")
    )
    if not sums["logged_in"]:
        return Shrinkage(settings.STAFFING_DEFAULT_SHRINKAGE_PCT / 100, from_states=False)
    # Capped: agents always on break would need infinitely many agents.
    share = min(MAX_SHRINKAGE, sums["breaks"] / sums["logged_in"])
    return Shrinkage(share, True, sums["logged_in"] / 3600)


def staffing_plan(today: date, targets: dict[str, int], channels: list[str]) -> StaffingPlan:
    """Next month's plan for `channels`, from the whole weeks before `today`'s week."""
    first, last = next_month(today)
    since, until = history_window(today)
    level = settings.STAFFING_SERVICE_LEVEL_PCT / 100
    series = half_hour_series(channels, since, until)
    times = handle_times(channels, since, until)
    shrink = shrinkage(since, until)
    monday = forecast.week_of(datetime.combine(first, datetime.min.time()))
    weeks = (last - monday).days // 7 + 1
    past_weeks = [until + timedelta(days=1) - timedelta(weeks=k) for k in range(MAPE_WEEKS, 0, -1)]
    plans = []
    for channel in channels:
        aht, aht_n = times.get(channel, (None, 0))
        plan = ChannelPlan(channel, aht, aht_n, targets.get(channel, 0))
        plan.history_n = round(sum(series[channel].values()))
        plan.mape = forecast.weekly_mape(series[channel], past_weeks)
        predicted = forecast.forecast(series[channel], monday, weeks)
        for start in sorted(predicted):
            if first <= start.date() <= last:
                plan.slots.append(_slot(start, predicted[start], aht, plan.target, level, shrink))
        plans.append(plan)
    return StaffingPlan(first, last, level, shrink, plans)


def _slot(start: datetime, contacts: float, aht, target: int, level: float, shrink) -> Slot:
    if not aht or contacts <= 0:
        return Slot(start, contacts, 0, 0)
    answering = erlang.agents_needed(contacts * aht / HALF_HOUR, aht, target, level)
    return Slot(start, contacts, answering, math.ceil(answering / (1 - shrink.share)))
