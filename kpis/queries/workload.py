"""Handling: average handle time, phone answer and abandonment, speed of answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from tickets.models import Channel

from ..columns import count, flag, mean, share, share_figure, wilson_columns
from ..definition import DOWN, FLAG, SECONDS, UP, Column, Figure, Kpi, Part, Section
from ..registry import kpi_register
from ..scope import Scope
from ..sources import CONTACTS
from ..stats import proportion_change
from ..targets import channel_targets
from .base import Groups, pct, ratio
from .repeat import INBOUND

HANDLED = Q(agent__isnull=False, answered_at__isnull=False, handle_seconds__isnull=False)

AHT_AGGREGATES = {
    "handled": Count("id", filter=HANDLED),
    "handle_seconds": Sum("handle_seconds", filter=HANDLED),
}

AHT_LABEL = _("Average handle time")

aht = kpi_register(
    Kpi(
        name="aht",
        label=AHT_LABEL,
        description=_("Mean handle time of contacts handled by an agent (inbound and outbound)."),
        subject="handling",
        parts=(Part(CONTACTS, AHT_AGGREGATES, presence="handled", rollup=True),),
        columns=(
            count("handled", _("Contacts handled")),
            count("handle_seconds", _("Handle time, total (s)")),
            mean(
                "aht_seconds", _("Average handle time (s)"), "handle_seconds", "handled", SECONDS, 0
            ),
            flag("low_sample", AHT_LABEL, "handled"),
        ),
        figures=(Figure("aht", "aht_seconds", "handled", headline=True, label=AHT_LABEL),),
        sections=(
            Section(
                "aht_by_channel", "channel", ("channel", "handled", "handle_seconds", "aht_seconds")
            ),
        ),
    )
)


OFFERED = INBOUND & Q(channel=Channel.PHONE)

PHONE_AGGREGATES = {
    "offered": Count("id", filter=OFFERED),
    "answered": Count("id", filter=OFFERED & Q(answered_at__isnull=False)),
}

ANSWER_LABEL = _("Phone answer rate")
PHONE = ("offered", "answered", "abandoned", "answer_rate_pct", "abandonment_rate_pct")


def _abandoned(c: dict[str, int]) -> int:
    return c["offered"] - c["answered"]


def _abandonment_alert(c: dict[str, int]) -> bool:
    rate = pct(_abandoned(c), c["offered"])
    return rate is not None and rate > abandonment_threshold()


phone_answer = kpi_register(
    Kpi(
        name="phone_answer",
        label=_("Phone answer and abandonment"),
        description=_("Answered and abandoned inbound phone calls (every inbound call offered)."),
        subject="handling",
        parts=(Part(CONTACTS, PHONE_AGGREGATES, presence="offered", rollup=True),),
        columns=(
            count("offered", _("Calls offered")),
            count("answered", _("Calls answered")),
            count("abandoned", _("Calls abandoned"), _abandoned),
            share("answer_rate_pct", _("Answer rate (%)"), "answered", "offered", good=UP),
            Column(
                "abandonment_rate_pct",
                _("Abandonment rate (%)"),
                "percent",
                1,
                lambda c: pct(_abandoned(c), c["offered"]),
                good=DOWN,
                bounds=(0, 100),
            ),
            Column(
                "abandonment_alert",
                _("Abandonment above its alert"),
                FLAG,
                value=_abandonment_alert,
            ),
            *wilson_columns("answer", ANSWER_LABEL, "answered", "offered"),
            flag("low_sample", ANSWER_LABEL, "offered"),
        ),
        figures=(
            share_figure("answer", "answer_rate_pct", "answered", "offered", "answer", True),
            Figure(
                "abandonment",
                "abandonment_rate_pct",
                "offered",
                test=lambda a, b: proportion_change(
                    _abandoned(a), a["offered"], _abandoned(b), b["offered"]
                ),
            ),
        ),
        sections=(
            Section("phone_answer_overall", "", PHONE),
            Section("phone_answer_by_month", "month", ("month", *PHONE)),
        ),
    )
)


def answer_targets() -> dict[str, int]:
    """Seconds within which each channel should answer (kpis.targets: the admin's, else the
    settings', defaults in DESIGN.md)."""
    return {c: t.answer_seconds for c, t in channel_targets().items() if t.answer_seconds}


def abandonment_threshold() -> float:
    """The phone's abandonment threshold (%): abandoned calls are phone calls."""
    return channel_targets()[Channel.PHONE].abandonment_alert_pct


def _speed_aggregates() -> dict[str, Any]:
    wait = ExpressionWrapper(F("answered_at") - F("started_at"), output_field=DurationField())
    within = Q()
    for channel, seconds in answer_targets().items():
        within |= Q(channel=channel, answered_at__lte=F("started_at") + timedelta(seconds=seconds))
    return {"answered": Count("id"), "wait": Sum(wait), "within_target": Count("id", filter=within)}


def _by_channel(scope: Scope) -> Scope:
    return scope if "channel" in scope.by else scope.with_(by=(*scope.by, "channel"))


def _with_targets(scope: Scope, groups: Groups) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Each channel's target, and the waits in whole microseconds (a duration on PostgreSQL)."""
    targets = answer_targets()
    at = [*([scope.granularity] if scope.granularity else []), *scope.by].index("channel")

    def micro(value: Any) -> int:
        return value // timedelta(microseconds=1) if isinstance(value, timedelta) else int(value)

    return [
        (key, {**c, "wait": micro(c["wait"]), "target_seconds": targets.get(key[at])})
        for key, c in groups
    ]


SPEED_LABEL = _("Answered within target")

speed_of_answer = kpi_register(
    Kpi(
        name="speed_of_answer",
        label=_("Speed of answer"),
        description=_(
            "Mean time to answer inbound contacts, and share within the channel's target."
        ),
        subject="handling",
        parts=(Part(CONTACTS, _speed_aggregates, where=INBOUND & Q(answered_at__isnull=False)),),
        columns=(
            count("answered", _("Contacts answered")),
            Column(
                "avg_speed_of_answer_seconds",
                _("Average speed of answer (s)"),
                SECONDS,
                0,
                lambda c: ratio(c["wait"], c["answered"] * 1_000_000),
                good=DOWN,
            ),
            Column("target_seconds", _("Target (s)"), SECONDS, 0),
            count("within_target", _("Answered within target")),
            share(
                "within_target_pct",
                _("Answered within target (%)"),
                "within_target",
                "answered",
                good=UP,
            ),
            *wilson_columns("within", SPEED_LABEL, "within_target", "answered"),
            flag("low_sample", SPEED_LABEL, "answered"),
        ),
        figures=(
            share_figure(
                "within_target", "within_target_pct", "within_target", "answered", "within"
            ),
        ),
        cut=_by_channel,
        enrich=_with_targets,
    )
)
