"""The overview's productivity panel: occupancy by team against its band, cost per contact type,
chatbot hand-offs by reason, each with its n.

Kept apart from panels.py: it reads presence and costs, which the other panels do not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from tickets.models import Direction

from ..drilldown.columns import reason_label
from ..queries.base import Table
from ..queries.costs import COST_LABEL
from ..scope import Scope
from .charts import Chart, Series, TableData, count, number, text
from .panels import Panel, channel_label


def productivity_panel(
    scope: Scope,
    occupancy: Table,
    handoffs: Table,
    costs: list[dict[str, Any]],
    team_name: Callable[[str], str],
) -> Panel:
    teams = [r for r in occupancy.records() if r.get("agent_hours")]
    reasons = [r for r in handoffs.records() if r.get("sessions")]
    tables = [
        _occupancy_table(teams, team_name),
        _costs_table(costs),
        _handoff_table(reasons),
    ]
    chart = Chart(
        "chart-occupancy",
        _("Occupancy by team"),
        "bar",
        "%",
        _("occupancy (%)"),
        [team_name(r["team"] or "") or _("No team") for r in teams],
        [Series(_("Occupancy"), [r["occupancy_pct"] for r in teams],
                n=[r["agent_hours"] for r in teams])],
        0,
        100,
    )  # fmt: skip
    return Panel(
        "productivity",
        _("Productivity"),
        _(
            "How busy agents were against each team's alert band (from their states), what a "
            "contact cost by type (over the period, whatever the filters), and how many chatbot "
            "sessions still needed a person."
        ),
        [chart] if teams else [],
        tables,
        not (teams or costs or reasons),
    )


def _occupancy_table(rows: list[dict[str, Any]], team_name: Callable[[str], str]) -> TableData:
    body = []
    for r in rows:
        beyond = bool(r.get("below_band") or r.get("above_band"))
        body.append(
            [
                text(team_name(r["team"] or "") or _("No team")),
                number(r["occupancy_pct"], unit=" %", alarm=beyond),
                text(f"{r['band_low_pct']}\N{EN DASH}{r['band_high_pct']} %"),
                count(r["agent_hours"]),
            ]
        )
    return TableData(
        "table-occupancy",
        _("Occupancy by team"),
        [_("Team"), _("Occupancy"), _("Alert band"), _("n (agent-hours)")],
        body,
        _("Below its band a team has more people than contacts; above, no time to breathe."),
    )


COST_ROWS = 12


def _cost_type(r: dict[str, Any]) -> str:
    kind = f"{reason_label(r['reason'])} · {channel_label(r['channel'])}"
    return kind + (" · " + _("outbound") if r["direction"] == Direction.OUTBOUND else "")


def _costs_table(rows: list[dict[str, Any]]) -> TableData:
    """The most frequent types: all of them would be reasons x channels x directions."""
    rows = sorted(rows, key=lambda r: -r["handled"])[:COST_ROWS]
    body = [
        [
            text(_cost_type(r)),
            number(r["cost_per_contact"], digits=2),
            number(r["aht_seconds"], digits=0, unit=" s"),
            count(r["handled"]),
            count(r["uncosted"]),
        ]
        for r in rows
    ]
    return TableData(
        "table-costs",
        _("Cost per contact type"),
        [_("Reason · channel"), str(COST_LABEL), _("AHT"),
         _("n (contacts handled)"), _("Not costed")],
        body,
        _("The %(n)s most frequent types. Handle time x the team's cost per agent-hour, or the "
          "team's price per contact; contacts of teams without a rate are not costed.")
        % {"n": COST_ROWS},
    )  # fmt: skip


def _handoff_table(rows: list[dict[str, Any]]) -> TableData:
    body = [
        [
            text(reason_label(r["reason"]) if r["reason"] else "\N{EN DASH}"),
            number(r["handoff_pct"], unit=" %"),
            count(r["sessions"]),
        ]
        for r in rows
    ]
    return TableData(
        "table-handoffs",
        _("Chatbot sessions followed by a contact with a person, by reason"),
        [_("Contact reason"), _("Handed off"), _("n (chatbot sessions)")],
        body,
    )
