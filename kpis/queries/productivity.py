"""Productivity: occupancy of agents (from their states), per team and agent; chatbot hand-offs.

Occupancy = (handling + after-contact work) / (logged in - breaks), from the hours' rollup of
agents' states (workforce.presence). Each team's alert band (workforce.TeamWorkforce, admin)
says when it is too low (more people than contacts) or too high (no time to breathe).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.utils.translation import gettext_lazy as _

from surveys.models import SurveyKind
from tickets.facts_state import facts_window
from tickets.models import Channel, Contact, Direction
from workforce.bands import occupancy_bands

from ..columns import count, flag, share, share_figure, wilson_columns
from ..definition import DOWN, FLAG, PERCENT, UP, Column, Figure, Kpi, Part, Section
from ..registry import kpi_register
from ..scope import Scope
from ..sources import CONTACTS, PRESENCE, RESPONSES
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


# --- Chatbot hand-offs -------------------------------------------------------------------------

CHATBOT_SESSION = Q(channel=Channel.CHATBOT, direction=Direction.INBOUND)


def _handoff_aggregates() -> dict[str, Any]:
    """A chatbot session is handed off when the same customer comes back on the same reason to
    a human channel within FCR_WINDOW_DAYS of the session's start (that instant included).

    The window is the stored facts' (tickets.facts_state): after a change of the setting, and
    until `facts_rebuild`, every repeat figure of a report keeps the window it was computed
    with, and so do the hand-offs beside them. The rollups are built with the same window and
    served only while it is the setting's (kpis.rollups.serving)."""
    return _handoffs_within(facts_window())


@cache
def _handoffs_within(days: int) -> dict[str, Any]:
    # One object per window: a subquery equals only itself, and the part rollup serves a query
    # whose aggregates equal those it was built from (kpis.rollups.parts).
    window = timedelta(days=days)
    human_after = Contact.objects.filter(
        customer=OuterRef("customer"),
        reason=OuterRef("reason"),
        direction=Direction.INBOUND,
        started_at__gt=OuterRef("started_at"),
        started_at__lte=ExpressionWrapper(
            OuterRef("started_at") + window, output_field=DateTimeField()
        ),
    ).exclude(channel=Channel.CHATBOT)
    return {
        "sessions": Count("id", filter=CHATBOT_SESSION),
        "handed_off": Count("id", filter=CHATBOT_SESSION & Q(Exists(human_after))),
    }


CHATBOT_ANSWERS = {
    "chatbot_csat_n": Count("id", filter=Q(kind=SurveyKind.CSAT, contact__channel=Channel.CHATBOT)),
    "chatbot_csat_good": Count(
        "id", filter=Q(kind=SurveyKind.CSAT, contact__channel=Channel.CHATBOT, score__gte=4)
    ),
}

HANDOFF_LABEL = _("Chatbot hand-offs")
HANDOFF = ("sessions", "handed_off", "handoff_pct", "chatbot_csat_n", "chatbot_csat_pct")

chatbot_handoff = kpi_register(
    Kpi(
        name="chatbot_handoff",
        label=HANDOFF_LABEL,
        description=_(
            "Share of chatbot sessions followed by a contact with a person (same customer and "
            "reason, within the FCR window), beside the chatbot's CSAT."
        ),
        subject="productivity",
        parts=(
            Part(CONTACTS, _handoff_aggregates, where=CHATBOT_SESSION, presence="sessions"),
            Part(RESPONSES, CHATBOT_ANSWERS, where=Q(contact__channel=Channel.CHATBOT)),
        ),
        columns=(
            count("sessions", _("Chatbot sessions")),
            count("handed_off", _("Followed by a contact with a person")),
            share("handoff_pct", _("Handed off (%)"), "handed_off", "sessions", good=DOWN),
            *wilson_columns("handoff", HANDOFF_LABEL, "handed_off", "sessions"),
            count("chatbot_csat_n", _("Chatbot CSAT answers")),
            share(
                "chatbot_csat_pct",
                _("Chatbot CSAT (satisfied, %)"),
                "chatbot_csat_good",
                "chatbot_csat_n",
                good=UP,
            ),
            flag("low_sample", HANDOFF_LABEL, "sessions"),
        ),
        figures=(share_figure("handoff", "handoff_pct", "handed_off", "sessions", "handoff"),),
        sections=(
            Section(
                "chatbot_handoff_by_month_reason", "month,reason", ("month", "reason", *HANDOFF)
            ),
        ),
    )
)
