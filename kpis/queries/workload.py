"""Handling: average handle time, phone answer and abandonment, speed of answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from tickets.models import Channel, Contact

from ..scope import Scope
from ..stats import wilson_interval
from .base import Table, build_table, grouped, key_columns, low_sample, pct, ratio
from .repeat import CONTACT_DIMENSIONS, INBOUND, inbound_contacts

HANDLED = Q(agent__isnull=False, answered_at__isnull=False, handle_seconds__isnull=False)

AHT_AGGREGATES = {
    "handled": Count("id", filter=HANDLED),
    "handle_seconds": Sum("handle_seconds", filter=HANDLED),
}

AHT_COLUMNS = ["handled", "handle_seconds", "aht_seconds"]


def aht_figures(c: dict[str, int]) -> list[Any]:
    return [c["handled"], c["handle_seconds"], ratio(c["handle_seconds"], c["handled"])]


def aht(scope: Scope) -> Table:
    """Mean handle time of contacts handled by an agent (inbound and outbound)."""
    groups = grouped(
        Contact.objects.filter(HANDLED),
        scope,
        date_field="started_at",
        dimensions=CONTACT_DIMENSIONS,
        aggregates=AHT_AGGREGATES,
        rollup=("contacts", "handled"),
    )
    return build_table(scope, groups, AHT_COLUMNS, aht_figures)


OFFERED = INBOUND & Q(channel=Channel.PHONE)

PHONE_AGGREGATES = {
    "offered": Count("id", filter=OFFERED),
    "answered": Count("id", filter=OFFERED & Q(answered_at__isnull=False)),
}

PHONE_COLUMNS = [
    "offered", "answered", "abandoned", "answer_rate_pct", "abandonment_rate_pct",
    "abandonment_alert", "answer_ci_low", "answer_ci_high", "low_sample",
]  # fmt: skip


def phone_figures(c: dict[str, int]) -> list[Any]:
    abandoned = c["offered"] - c["answered"]
    abandonment = pct(abandoned, c["offered"])
    ci = wilson_interval(c["answered"], c["offered"]) or (None, None)
    return [
        c["offered"],
        c["answered"],
        abandoned,
        pct(c["answered"], c["offered"]),
        abandonment,
        abandonment is not None and abandonment > settings.KPI_ABANDONMENT_ALERT_PCT,
        *ci,
        low_sample(c["offered"]),
    ]


def phone_counts(scope: Scope) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    return grouped(
        Contact.objects.filter(OFFERED),
        scope,
        date_field="started_at",
        dimensions=CONTACT_DIMENSIONS,
        aggregates=PHONE_AGGREGATES,
        rollup=("contacts", "offered"),
    )


def phone_answer(scope: Scope) -> Table:
    """Answered and abandoned inbound phone calls (offered = every inbound phone contact)."""
    return build_table(scope, phone_counts(scope), PHONE_COLUMNS, phone_figures)


def answer_targets() -> dict[str, int]:
    """Seconds within which each channel should answer (settings, defaults in DESIGN.md)."""
    return dict(settings.KPI_ANSWER_TARGET_SECONDS)


def speed_of_answer(scope: Scope) -> Table:
    """Mean time to answer inbound contacts, and share answered within the channel's target."""
    if "channel" not in scope.by:
        scope = scope.with_(by=(*scope.by, "channel"))
    wait = ExpressionWrapper(F("answered_at") - F("started_at"), output_field=DurationField())
    within = Q()
    for channel, seconds in answer_targets().items():
        within |= Q(channel=channel, answered_at__lte=F("started_at") + timedelta(seconds=seconds))
    groups = grouped(
        inbound_contacts().filter(answered_at__isnull=False),
        scope,
        date_field="started_at",
        dimensions=CONTACT_DIMENSIONS,
        aggregates={
            "answered": Count("id"),
            "wait": Sum(wait),
            "within_target": Count("id", filter=within),
        },
    )
    targets = answer_targets()
    channel_at = [*([scope.granularity] if scope.granularity else []), *scope.by].index("channel")

    def micro(value: Any) -> int:
        return value // timedelta(microseconds=1) if isinstance(value, timedelta) else int(value)

    rows = []
    for key, c in groups:
        waited = micro(c["wait"])
        ci = wilson_interval(c["within_target"], c["answered"]) or (None, None)
        rows.append(
            [
                *key,
                c["answered"],
                ratio(waited, c["answered"] * 1_000_000),
                targets.get(key[channel_at]),
                c["within_target"],
                pct(c["within_target"], c["answered"]),
                *ci,
                low_sample(c["answered"]),
            ]
        )
    keys = key_columns(scope)
    columns = [
        "answered", "avg_speed_of_answer_seconds", "target_seconds", "within_target",
        "within_target_pct", "within_ci_low", "within_ci_high", "low_sample",
    ]  # fmt: skip
    return Table(columns=[*keys, *columns], rows=rows, keys=len(keys))
