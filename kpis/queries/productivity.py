"""Productivity: occupancy of agents (from their states), per team and agent.

Occupancy = (handling + after-contact work) / (logged in - breaks), from the hours' rollup of
agents' states (workforce.presence). Each team's alert band (workforce.TeamWorkforce, admin)
says when it is too low (more people than contacts) or too high (no time to breathe).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from workforce.bands import occupancy_bands

from ..columns import count, flag
from ..definition import FLAG, PERCENT, Column, Figure, Kpi, Part, Section
from ..registry import kpi_register
from ..scope import Scope
from ..sources import PRESENCE
from .base import Groups, Table, key_columns, pct

PRESENCE_DIMENSIONS = ("team", "agent")

OCCUPANCY_AGGREGATES = {
    "logged_in_seconds": Sum("logged_in"),
    "break_seconds": Sum("breaks"),
    "busy_seconds": Sum(F("handling") + F("after_contact_work")),
}


def presence_table(kpi: Kpi, scope: Scope) -> Table:
    """Presence has no channel, reason or priority: cut or filtered by one, it has no rows."""
    asked = {*scope.by, *scope.filters}
    if asked <= set(PRESENCE_DIMENSIONS):
        return kpi.table(scope, kpi.counts(scope))
    keys = key_columns(scope)
    return Table(columns=[*keys, *(c.name for c in kpi.columns)], rows=[], keys=len(keys))


def _available(c: dict[str, Any]) -> int:
    return c["logged_in_seconds"] - c["break_seconds"]


def _occupancy(c: dict[str, Any]) -> float | None:
    return pct(c["busy_seconds"], _available(c))


def _with_bands(scope: Scope, groups: Groups) -> Groups:
    """Each row's alert band: its team's when cut by team, the default band otherwise."""
    bands = occupancy_bands()
    columns = key_columns(scope)
    at = columns.index("team") if "team" in columns else None
    out = []
    for key, counts in groups:
        low, high = bands.of(key[at] if at is not None else None)
        out.append((key, {**counts, "band_low_pct": low, "band_high_pct": high}))
    return out


def _beyond(side: int):
    def check(c: dict[str, Any]) -> bool:
        value = _occupancy(c)
        if value is None:
            return False
        return value > c["band_high_pct"] if side > 0 else value < c["band_low_pct"]

    return check


OCCUPANCY_LABEL = _("Occupancy")
LEAD = ("agent_hours", "occupancy_pct", "band_low_pct", "band_high_pct")

occupancy = kpi_register(
    Kpi(
        name="occupancy",
        label=OCCUPANCY_LABEL,
        description=_(
            "Share of agents' available time (logged in, breaks excluded) spent handling "
            "contacts or in after-contact work."
        ),
        subject="productivity",
        parts=(Part(PRESENCE, OCCUPANCY_AGGREGATES),),
        columns=(
            count("agent_hours", _("Agent-hours with presence")),
            count("logged_in_seconds", _("Logged in (s)")),
            count("break_seconds", _("Breaks (s)")),
            count("available_seconds", _("Available, breaks excluded (s)"), _available),
            count("busy_seconds", _("Handling and after-contact work (s)")),
            Column("occupancy_pct", _("Occupancy (%)"), PERCENT, 1, _occupancy, bounds=(0, 100)),
            Column("band_low_pct", _("Alert below (%)"), PERCENT, 0),
            Column("band_high_pct", _("Alert above (%)"), PERCENT, 0),
            Column("below_band", _("Occupancy below its band"), FLAG, value=_beyond(-1)),
            Column("above_band", _("Occupancy above its band"), FLAG, value=_beyond(1)),
            flag("low_sample", OCCUPANCY_LABEL, "agent_hours"),
        ),
        figures=(Figure("occupancy", "occupancy_pct", "agent_hours", label=OCCUPANCY_LABEL),),
        sections=(
            Section("occupancy_by_team", "team", ("team", *LEAD)),
            Section("occupancy_by_month", "month", ("month", *LEAD)),
        ),
        compute=presence_table,
        enrich=_with_bands,
    )
)


