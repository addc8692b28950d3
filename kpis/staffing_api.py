"""Staffing API: `GET /api/v1/staffing/?channel=phone`, next month's plan for one channel.

The same plan as the staffing page and its CSV (kpis.dashboard.staffing): per half-hour, the
forecast contacts, the agents answering them within the channel's speed-of-answer target
(Erlang C) and the agents to schedule once shrinkage is counted.
"""

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guard.api_schema import RETRY_AFTER, error_responses
from tickets.labels import channel_label
from tickets.permissions import IsQualityManagerOrIntegration
from tickets.tokens import TokenScope
from workforce.staffing import CHANNELS, ChannelPlan, StaffingPlan

from .dashboard.staffing import plan_for


class StaffingQuerySerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=[(c, channel_label(c)) for c in CHANNELS],
        help_text=_("The channel planned: the ones answered live, where Erlang C applies."),
    )


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text=_("Start of the half-hour, local time."))
    contacts = serializers.FloatField(help_text=_("Forecast contacts in the half-hour."))
    agents_answering = serializers.IntegerField(
        help_text=_("Agents answering to reach the speed-of-answer target (Erlang C).")
    )
    agents_needed = serializers.IntegerField(
        help_text=_(
            "Agents to schedule: the need before rounding / (1 - shrinkage), rounded up once."
        )
    )
    public_holiday = serializers.CharField(
        allow_blank=True, help_text=_("The public holiday's name when the day is one, else empty.")
    )


class WeekErrorSerializer(serializers.Serializer):
    week = serializers.DateField(help_text=_("Monday of a past week."))
    mape_pct = serializers.FloatField(
        allow_null=True, help_text=_("The method's error on that week (MAPE, %).")
    )


class StaffingOutputSerializer(serializers.Serializer):
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    period = serializers.DictField(help_text=_("from and to, both included: next month."))
    time_zone = serializers.CharField(help_text=_("Zone the half-hours are in."))
    service_level_pct = serializers.FloatField(
        help_text=_("Share of contacts to answer within the target (%).")
    )
    answer_target_seconds = serializers.IntegerField()
    aht_seconds = serializers.FloatField(
        allow_null=True, help_text=_("Average handle time the plan uses, from the history.")
    )
    aht_n = serializers.IntegerField(help_text=_("Contacts the handle time is read from."))
    shrinkage_pct = serializers.FloatField(
        help_text=_("Share of logged-in time on breaks of the agents who answered the channel.")
    )
    history_contacts = serializers.IntegerField(
        help_text=_("Contacts of the history weeks the forecast is drawn from.")
    )
    weekly_error = WeekErrorSerializer(many=True)
    slots = SlotSerializer(many=True)


def plan_data(plan: StaffingPlan, channel: ChannelPlan) -> dict[str, Any]:
    return {
        "channel": channel.channel,
        "channel_label": channel.label,
        "period": {"from": plan.first.isoformat(), "to": plan.last.isoformat()},
        "time_zone": settings.TIME_ZONE,
        "service_level_pct": round(plan.level * 100, 1),
        "answer_target_seconds": channel.target,
        "aht_seconds": channel.aht,
        "aht_n": channel.aht_n,
        "shrinkage_pct": round(channel.shrinkage.share * 100, 1),
        "history_contacts": channel.history_n,
        "weekly_error": [{"week": w, "mape_pct": v} for w, v in channel.mape.items()],
        "slots": [
            {
                "start": s.start,
                "contacts": round(s.contacts, 2),
                "agents_answering": s.answering,
                "agents_needed": s.scheduled,
                "public_holiday": s.holiday,
            }
            for s in channel.slots
        ],
    }


class StaffingApi(APIView):
    permission_classes = [IsQualityManagerOrIntegration]
    token_scope = TokenScope.KPI_READ

    @extend_schema(
        parameters=[StaffingQuerySerializer, RETRY_AFTER],
        responses={200: StaffingOutputSerializer, **error_responses()},
        description=__doc__,
    )
    def get(self, request: Request) -> Response:
        query = StaffingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data["channel"]
        plan = plan_for(timezone.localdate())
        channel = next(c for c in plan.channels if c.channel == wanted)
        return Response(StaffingOutputSerializer(plan_data(plan, channel)).data)
