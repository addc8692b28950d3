"""The overview's selector: every figure of the page for one period and segment.

A fixed number of queries whatever the history's size (pinned by tests/kpis/test_dashboard.py):
the headline figures read their monthly groups once and sum them (the trends come from the same
groups), the previous period once per source, then one query per panel table. What the per-day
rollups hold is read from them (kpis.rollups.serving).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tickets.models import Agent, Team

from ..queries.backlog import backlog
from ..queries.base import Table, build_table, collapse
from ..queries.drivers import answers_by_driver
from ..queries.flow import incoming
from ..queries.perception import perception_gap
from ..queries.repeat import COLUMNS as REPEAT_COLUMNS
from ..queries.repeat import repeat, repeat_causes, repeat_figures
from ..queries.resolution import FCR_COLUMNS, exchanges, fcr_figures
from ..queries.satisfaction import COLUMNS as SATISFACTION_COLUMNS
from ..queries.satisfaction import figures as satisfaction_figures
from ..queries.workload import PHONE_COLUMNS, aht, phone_figures, speed_of_answer
from ..rollups.serving import checks_shared
from ..scope import Scope
from . import panels
from .headlines import SPECS, Headline, headline
from .links import drill


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


# How each headline source's monthly groups become its trend table.
TABLES: dict[str, tuple[list[str], Callable[[dict[str, int]], list[Any]]]] = {
    "nps": (SATISFACTION_COLUMNS, satisfaction_figures),
    "fcr": (FCR_COLUMNS, fcr_figures),
    "repeat": (REPEAT_COLUMNS, repeat_figures),
    "answer": (PHONE_COLUMNS, phone_figures),
}


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


@checks_shared()
def headline_figures(scope: Scope) -> tuple[list[Headline], dict[str, Table]]:
    """The headlines and the monthly tables of their sources, from the same groups: one query
    per source and period, served by the rollups when they may."""
    monthly = scope.with_(granularity="month")
    previous = previous_scope(scope)
    fetched: dict[Any, tuple[list, list]] = {}
    headlines, trends = [], {}
    for spec in SPECS:
        if spec.counts not in fetched:  # NPS, CSAT and CES share one query per period
            fetched[spec.counts] = (spec.counts(monthly), spec.counts(previous))
        groups, before = fetched[spec.counts]
        now = collapse(groups, (), scope, spec.aggregates)[0][1]
        subset = {k: v for k, v in (spec.drill or {}).items() if k != "list"}
        link = drill(scope, spec.drill["list"], **subset) if spec.drill else ""
        headlines.append(headline(spec, now, before[0][1], link))
        if spec.key in TABLES:
            columns, figures = TABLES[spec.key]
            trends[spec.key] = build_table(monthly, groups, columns, figures)
    return headlines, trends


@checks_shared()  # the rollups' state is read once per period
def overview_data(scope: Scope) -> Overview:
    """Everything the page shows: the headlines, then the alarms and the panels."""
    scope = scope.with_(granularity=None, by=())
    data = Overview(scope=scope, previous=previous_scope(scope))
    data.headlines, trends = headline_figures(scope)
    data.alarms, data.panels = overview_panels(scope, trends)
    return data


@checks_shared()
def overview_panels(
    scope: Scope, trends: dict[str, Table]
) -> tuple[list[tuple[str, str]], list[panels.Panel]]:
    """The alarms and the panels, given the headlines' monthly tables (`headline_figures`)."""
    scope = scope.with_(granularity=None, by=())
    monthly = scope.with_(granularity="month")
    phone, speed = trends["answer"], speed_of_answer(scope)
    declared, drivers = answers_by_driver(scope)
    names = _names()
    return panels.alarms(scope, phone, speed), [
        panels.satisfaction_panel(scope, trends["nps"]),
        panels.resolution_panel(scope, trends["fcr"], declared),
        panels.repeat_panel(
            scope, trends["repeat"], repeat_causes(scope), repeat(scope.with_(by=("reason",)))
        ),
        panels.perception_panel(
            scope,
            perception_gap(scope.with_(by=("team",))),
            perception_gap(scope.with_(by=("agent",))),
            names,
        ),
        panels.drivers_panel(scope, drivers),
        panels.handling_panel(scope, aht(monthly), exchanges(monthly), phone, speed),
        panels.backlog_panel(scope, backlog(monthly)),
        panels.flow_panel(scope, incoming(monthly.with_(by=("channel",)))),
    ]
