"""The staffing page: next month's forecast per channel and half-hour, the agents it needs, and
the same figures as a CSV a planner takes to their scheduling tool."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tickets.permissions import is_quality_manager
from workforce.staffing import CHANNELS, ChannelPlan, StaffingPlan, staffing_plan

from ..queries.workload import answer_targets
from ..routers import kpi_reads
from .charts import Chart, Series


@kpi_reads()
def plan_for(today: date) -> StaffingPlan:
    return staffing_plan(today, answer_targets(), CHANNELS)


def staffing(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_quality_manager(request):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only a quality manager may see the staffing page."))
    plan = plan_for(timezone.localdate())
    if request.GET.get("export") == "csv":
        return _csv(plan)
    day = _day(request.GET.get("day", ""), plan)
    channels = [_shown(c, day) for c in plan.channels]
    return render(
        request,
        "kpis/staffing.html",
        {
            "plan": plan,
            "day": day,
            "days": [plan.first.fromordinal(o) for o in range(plan.first.toordinal(),
                                                              plan.last.toordinal() + 1)],
            "channels": channels,
            "charts": [c["chart"].as_json() for c in channels if not c["chart"].empty],
            "chart_text": {"interval": "", "open": ""},
            "level_pct": round(plan.level * 100),
            "holiday": plan.holidays.get(day, ""),
        },
    )  # fmt: skip


def _day(value: str, plan: StaffingPlan) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return plan.first
    return day if plan.first <= day <= plan.last else plan.first


def _shown(channel: ChannelPlan, day: date) -> dict:
    """One channel's day: its half-hours with contacts, as a chart and table rows."""
    slots = [s for s in channel.slots if s.start.date() == day and (s.contacts or s.scheduled)]
    labels = [s.start.strftime("%H:%M") for s in slots]
    chart = Chart(
        id=f"staffing-{channel.channel}",
        title=_("%(channel)s: contacts and agents per half-hour") % {"channel": channel.label},
        kind="bar",
        unit="",
        axis=_("Contacts or agents per half-hour"),
        labels=labels,
        series=[
            Series(_("Forecast contacts"), [s.contacts for s in slots]),
            Series(_("Agents to schedule"), [s.scheduled for s in slots], kind="line"),
        ],
        y_min=0,
    )
    mape = [(week, value) for week, value in channel.mape.items()]
    ratio = channel.holidays.ratio
    return {
        "plan": channel,
        "slots": slots,
        "chart": chart,
        "mape": mape,
        "shrinkage_pct": round(channel.shrinkage.share * 100, 1),
        "holiday_pct": None if ratio is None else round(ratio * 100),
    }


def _csv(plan: StaffingPlan) -> HttpResponse:
    """One row per channel and half-hour of next month; `;` and decimal commas in French."""
    out = io.StringIO()
    french = (get_language() or "fr").startswith("fr")
    writer = csv.writer(out, delimiter=";" if french else ",", lineterminator="\r\n")
    writer.writerow(
        [
            _("Channel"),
            _("Date"),
            _("Half-hour start"),
            _("Forecast contacts"),
            _("Agents answering"),
            _("Agents needed"),
            _("Agents needed before rounding"),
            _("Public holiday"),
        ]
    )
    for channel in plan.channels:
        # A scheduling tool that sums half-hours before rounding takes this column.
        share = channel.shrinkage.share
        for s in channel.slots:
            writer.writerow(
                [
                    channel.label,
                    s.start.date().isoformat(),
                    s.start.strftime("%H:%M"),
                    formats.number_format(round(s.contacts, 2), 2),
                    s.answering,
                    s.scheduled,
                    formats.number_format(round(s.need / (1 - share), 2), 2),
                    s.holiday,
                ]
            )
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = _("staffing") + f"-{plan.first:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
