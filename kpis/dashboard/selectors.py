"""The overview's selector: every figure of the page for one period and segment.

A fixed number of queries whatever the history's size (pinned by tests/kpis/test_dashboard.py):
the headline KPIs are counted together by month and for the previous period (kpis.counting:
one scan per table of the history, or the per-day rollups), their sums give the headlines and
their monthly tables the trends; then the panels' tables, counted together too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from tickets.models import Agent, Team

from ..counting import Ask, counts, tables
from ..queries.base import Table, collapse
from ..registry import KPIS
from ..rollups.serving import checks_shared
from ..routers import kpi_reads
from ..scope import Scope
from . import panels
from .headlines import Headline, drill_of, headline, headline_specs
from .links import drill
from .productivity import productivity_panel


@dataclass
class Overview:
    scope: Scope
    previous: Scope
    headlines: list[Headline] = field(default_factory=list)
    alarms: list[tuple[str, str]] = field(default_factory=list)
    panels: list[panels.Panel] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(h.n for h in self.headlines)


def previous_scope(scope: Scope) -> Scope:
    length = (scope.end - scope.start).days + 1
    return scope.with_(
        start=scope.start - timedelta(days=length), end=scope.start - timedelta(days=1)
    )


def _names() -> dict[str, Callable[[str], str]]:
    """Teams and agents shown by name (their external id when they have none)."""
    teams = {t.external_id: str(t) for t in Team.objects.only("external_id", "name")}
    agents = {a.external_id: str(a) for a in Agent.objects.only("external_id", "name")}
    return {
        "team": lambda code: teams.get(code, code),
        "agent": lambda code: agents.get(code, code),
    }


@kpi_reads()
@checks_shared()
def headline_figures(scope: Scope) -> tuple[list[Headline], dict[str, Table]]:
    """The headlines, and the monthly tables of their KPIs (the trends), from the same counts:
    each headline KPI counted by month and for the previous period, together."""
    scope = scope.with_(granularity=None, by=())
    monthly = scope.with_(granularity="month")
    previous = previous_scope(scope)
    specs = headline_specs()
    kpis = list(dict.fromkeys(kpi for kpi, _figure in specs))
    counted = counts([Ask(k, monthly) for k in kpis] + [Ask(k, previous) for k in kpis])
    months = dict(zip(kpis, counted[: len(kpis)], strict=True))
    before = dict(zip(kpis, counted[len(kpis) :], strict=True))
    out = []
    for kpi, figure in specs:
        groups = months[kpi] or []
        now = collapse(groups, (), scope, list(groups[0][1]) if groups else [])[0][1]
        old = before[kpi][0][1] if before[kpi] else None
        where = drill_of(kpi, figure)
        link = drill(scope, where[0], **where[1]) if where else ""
        out.append(headline(kpi, figure, now, old, link))
    trends = {kpi.name: kpi.table(monthly, months[kpi] or []) for kpi in kpis}
    return out, trends


@kpi_reads()
@checks_shared()  # the rollups' state is read once per period
def overview_data(scope: Scope) -> Overview:
    """Everything the page shows: the headlines, then the alarms and the panels."""
    scope = scope.with_(granularity=None, by=())
    data = Overview(scope=scope, previous=previous_scope(scope))
    data.headlines, trends = headline_figures(scope)
    data.alarms, data.panels = overview_panels(scope, trends)
    return data


def productivity_asks(scope: Scope) -> dict[str, Ask]:
    """The productivity panel's tables (read from the rollups like the other panels')."""
    return {
        "occupancy": Ask(KPIS["occupancy"], scope.with_(by=("team",))),
        "handoffs": Ask(KPIS["chatbot_handoff"], scope.with_(by=("reason",))),
        # Over the period, whatever the filters: a type's cost is every team's that handled it.
        "costs": Ask(KPIS["contact_cost"], Scope(scope.start, scope.end, by=("reason", "channel"))),
    }


@kpi_reads()
@checks_shared()
def overview_panels(
    scope: Scope, trends: dict[str, Table]
) -> tuple[list[tuple[str, str]], list[panels.Panel]]:
    """The alarms and the panels, given the headline KPIs' monthly tables (`trends`)."""
    scope = scope.with_(granularity=None, by=())
    monthly = scope.with_(granularity="month")
    asked = {
        "declared": Ask(KPIS["declared_resolution"], monthly),
        "causes": Ask(KPIS["repeat_causes"], scope),
        "by_reason": Ask(KPIS["repeat"], scope.with_(by=("reason",))),
        "gap_team": Ask(KPIS["perception_gap"], scope.with_(by=("team",))),
        "gap_agent": Ask(KPIS["perception_gap"], scope.with_(by=("agent",))),
        "exchanges": Ask(KPIS["satisfaction_by_exchanges"], scope),
        "repeat": Ask(KPIS["satisfaction_by_repeat"], scope),
        "answer_target": Ask(KPIS["satisfaction_by_answer_target"], scope),
        "speed": Ask(KPIS["speed_of_answer"], scope),
        "fcr_channel": Ask(KPIS["fcr"], scope.with_(by=("channel",))),
        "backlog": Ask(KPIS["backlog"], monthly),
        "incoming": Ask(KPIS["incoming"], monthly.with_(by=("channel",))),
        **productivity_asks(scope),
    }
    t = dict(zip(asked, tables(list(asked.values())), strict=True))
    phone = trends["phone_answer"]
    names = _names()
    return panels.alarms(scope, phone, t["speed"], t["fcr_channel"]), [
        panels.satisfaction_panel(scope, trends["satisfaction"]),
        panels.resolution_panel(scope, trends["fcr"], t["declared"]),
        panels.repeat_panel(scope, trends["repeat"], t["causes"], t["by_reason"]),
        panels.perception_panel(scope, t["gap_team"], t["gap_agent"], names),
        panels.drivers_panel(scope, {k: t[k] for k in ("exchanges", "repeat", "answer_target")}),
        panels.handling_panel(scope, trends["aht"], trends["exchanges"], phone, t["speed"]),
        panels.backlog_panel(scope, t["backlog"]),
        panels.flow_panel(scope, t["incoming"]),
        productivity_panel(
            scope, t["occupancy"], t["handoffs"], t["costs"].records(), names["team"],
        ),
    ]  # fmt: skip
