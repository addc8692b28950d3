"""Next month's staffing per channel: forecast contacts per half-hour and the agents they need.

For each channel: the inbound contacts of the last whole weeks per local half-hour feed
workforce.forecast (weekly profile x trend); the AHT is the mean handle time of the channel's
inbound contacts over the same weeks; Erlang C (workforce.erlang) gives the agents answering
`level` of contacts within the channel's target (a whole number) and the need before rounding;
agents to schedule = that need / (1 - shrinkage), rounded up once. Shrinkage is the channel's:
the share of logged-in time spent on breaks by the agents who answered it, each agent's time
counted in proportion to their contacts on the channel; the whole centre's when no agent of the
channel has states, a default when no state is known. Public holidays of the month are named on
each slot, and forecast as workforce.forecast says. The caller passes the targets, so they are
read in one place (kpis.queries.workload).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Case, Count, IntegerField, QuerySet, Sum, When
from django.db.models.functions import TruncHour

from tickets.models import Channel, Contact, Direction

from . import erlang, forecast
from .models import PresenceHour
from .presence import zone
from .public_holidays import public_holidays
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
    need: float = 0.0  # agents answering before rounding up
    holiday: str = ""  # the public holiday's name, if the day is one


@dataclass
class Shrinkage:
    share: float  # 0-1
    from_states: bool
    logged_in_hours: float = 0.0
    # True: from the agents who answered the channel; False: the whole centre's (or default).
    per_channel: bool = False
    agents: int = 0


@dataclass
class ChannelPlan:
    channel: str
    aht: float | None
    aht_n: int
    target: int
    shrinkage: Shrinkage
    slots: list[Slot] = field(default_factory=list)
    mape: dict[date, float | None] = field(default_factory=dict)
    history_n: int = 0
    holidays: forecast.HolidayRatio = field(default_factory=lambda: forecast.HolidayRatio(None))

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def total(self) -> float:
        return sum(s.contacts for s in self.slots)


@dataclass
class StaffingPlan:
    first: date
    last: date
    level: float
    channels: list[ChannelPlan]
    holidays: dict[date, str] = field(default_factory=dict)  # the month's public holidays


def next_month(today: date) -> tuple[date, date]:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def history_window(today: date) -> tuple[date, date]:
    """The whole weeks read: HISTORY_WEEKS weeks up to the Monday of `today`'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=HISTORY_WEEKS), monday - timedelta(days=1)


def _inbound(first: date, last: date, **more: Any) -> QuerySet[Contact]:
    """Inbound contacts started on the local days given, filtered by `more`."""
    since, until = local_bounds(first, last)
    return Contact.objects.filter(
        direction=Direction.INBOUND, started_at__gte=since, started_at__lt=until, **more
    )


def half_hour_series(channels: list[str], first: date, last: date) -> dict[str, dict]:
    """{channel: {local half-hour start (naive): inbound contacts}} over the days given."""
    tz = zone()
    rows = (
        _inbound(first, last, channel__in=channels)
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
    rows = (
        _inbound(first, last, channel__in=channels, handle_seconds__isnull=False)
        .values("channel")
        .annotate(aht=Avg("handle_seconds"), n=Count("id"))
        .order_by()
    )
    return {r["channel"]: (float(r["aht"]), r["n"]) for r in rows}


def shrinkage(first: date, last: date) -> Shrinkage:
    """Breaks / logged-in time of every agent; the default share when no state is known."""
    since, until = local_bounds(first, last)
    sums = PresenceHour.objects.filter(hour__gte=since, hour__lt=until).aggregate(
        logged_in=Sum("logged_in"), breaks=Sum("breaks")
    )
    if not sums["logged_in"]:
        return Shrinkage(settings.STAFFING_DEFAULT_SHRINKAGE_PCT / 100, from_states=False)
    return Shrinkage(_capped(sums["breaks"] / sums["logged_in"]), True, sums["logged_in"] / 3600)


def _capped(share: float) -> float:
    # Agents always on break would need infinitely many agents.
    return min(MAX_SHRINKAGE, share)


def channel_shrinkages(channels: list[str], first: date, last: date) -> dict[str, Shrinkage]:
    """Per channel, breaks / logged-in time of the agents who handled its inbound contacts, each
    agent's time weighted by their share of contacts on it (an agent on the phone and email
    alike counts half for the phone); the whole centre's share for a channel none of whose
    agents has states."""
    since, until = local_bounds(first, last)
    handled = (
        _inbound(first, last, agent__isnull=False, answered_at__isnull=False)
        .values("agent_id", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in handled:
        counts[row["agent_id"]][row["channel"]] = row["n"]
    presence = {
        row["agent_id"]: (row["logged_in"], row["breaks"])
        for row in PresenceHour.objects.filter(hour__gte=since, hour__lt=until, agent_id__in=counts)
        .values("agent_id")
        .annotate(logged_in=Sum("logged_in"), breaks=Sum("breaks"))
        .order_by()
    }
    centre = shrinkage(first, last)
    out = {}
    for channel in channels:
        logged_in = breaks = 0.0
        agents = 0
        for agent, by_channel in counts.items():
            if channel not in by_channel or agent not in presence:
                continue
            weight = by_channel[channel] / sum(by_channel.values())
            logged_in += weight * presence[agent][0]
            breaks += weight * presence[agent][1]
            agents += 1
        if logged_in:
            out[channel] = Shrinkage(
                _capped(breaks / logged_in), True, logged_in / 3600, per_channel=True, agents=agents
            )
        else:
            out[channel] = centre
    return out


def staffing_plan(today: date, targets: dict[str, int], channels: list[str]) -> StaffingPlan:
    """Next month's plan for `channels`, from the whole weeks before `today`'s week."""
    first, last = next_month(today)
    since, until = history_window(today)
    level = settings.STAFFING_SERVICE_LEVEL_PCT / 100
    series = half_hour_series(channels, since, until)
    times = handle_times(channels, since, until)
    shrinkages = channel_shrinkages(channels, since, until)
    holidays = public_holidays(since, last)
    monday = forecast.week_of(datetime.combine(first, datetime.min.time()))
    weeks = (last - monday).days // 7 + 1
    past_weeks = [until + timedelta(days=1) - timedelta(weeks=k) for k in range(MAPE_WEEKS, 0, -1)]
    plans = []
    for channel in channels:
        aht, aht_n = times.get(channel, (None, 0))
        shrink = shrinkages[channel]
        plan = ChannelPlan(channel, aht, aht_n, targets.get(channel, 0), shrink)
        plan.history_n = round(sum(series[channel].values()))
        plan.mape = forecast.weekly_mape(series[channel], past_weeks, holidays)
        plan.holidays = forecast.holiday_ratio(series[channel], monday, holidays)
        predicted = forecast.forecast(series[channel], monday, weeks, holidays)
        for start in sorted(predicted):
            if first <= start.date() <= last:
                slot = _slot(start, predicted[start], aht, plan.target, level, shrink.share)
                slot.holiday = holidays.get(start.date(), "")
                plan.slots.append(slot)
        plans.append(plan)
    month = {day: name for day, name in holidays.items() if first <= day <= last}
    return StaffingPlan(first, last, level, plans, month)


def scheduled(need: float, shrinkage: float) -> int:
    """Agents to schedule: the need before rounding, shrinkage added, rounded up once (after
    rounding to nine decimals, so that a float's last digit never adds an agent)."""
    return math.ceil(round(need / (1 - shrinkage), 9))


def _slot(start: datetime, contacts: float, aht, target: int, level: float, shrink: float) -> Slot:
    if not aht or contacts <= 0:
        return Slot(start, contacts, 0, 0)
    traffic = contacts * aht / HALF_HOUR
    answering = erlang.agents_needed(traffic, aht, target, level)
    need = erlang.agents_needed_unrounded(traffic, aht, target, level)
    return Slot(start, contacts, answering, scheduled(need, shrink), need)
