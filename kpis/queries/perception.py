"""Perception gap: how satisfied agents think customers were, beside what customers said.

Per agent (or team): the share of the agent's own ratings that are 4-5 and their mean, beside
the CSAT answers on contacts the agent handled. Two grouped queries, joined by group.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from surveys.models import AgentRating, Response, SurveyKind

from ..scope import Scope
from ..stats import wilson_interval
from .base import Table, build_table, grouped, low_sample, order_keys, pct, ratio
from .satisfaction import AGGREGATES as SATISFACTION_AGGREGATES
from .satisfaction import DIMENSIONS as RESPONSE_DIMENSIONS

RATING_DIMENSIONS = {
    "channel": "contact__channel",
    "team": "contact__team__external_id",
    "agent": "agent__external_id",
    "reason": "contact__reason",
    "priority": "contact__ticket__priority",
}

RATING_AGGREGATES = {
    "agent_n": Count("id"),
    "agent_good": Count("id", filter=Q(score__gte=4)),
    "agent_sum": Sum("score"),
}

COLUMNS = [
    "agent_n", "agent_csat_pct", "agent_mean", "customer_n", "customer_csat_pct",
    "customer_mean", "gap_pct", "gap_mean", "customer_ci_low", "customer_ci_high",
    "customer_low_sample",
]  # fmt: skip


Groups = list[tuple[tuple[Any, ...], dict[str, int]]]


def perception_gap(scope: Scope, csat: Groups | None = None) -> Table:
    """Agent-perceived satisfaction minus customer CSAT, per agent unless cut by team.

    `csat`: the customers' side already counted by the satisfaction query (csat_n, csat_good,
    csat_sum per group of this scope), as the full report does; read here otherwise.
    """
    if "agent" not in scope.by and "team" not in scope.by:
        scope = scope.with_(by=(*scope.by, "agent"))
    agents = grouped(
        AgentRating.objects.all(),
        scope,
        date_field="rated_at",
        dimensions=RATING_DIMENSIONS,
        aggregates=RATING_AGGREGATES,
        rollup=("ratings", "agent_n"),
    )
    if csat is None:
        # The satisfaction query's own CSAT counts, so that the rollups can serve them too.
        csat = grouped(
            Response.objects.filter(kind=SurveyKind.CSAT),
            scope,
            date_field="responded_at",
            dimensions=RESPONSE_DIMENSIONS,
            aggregates={n: SATISFACTION_AGGREGATES[n] for n in ("csat_n", "csat_good", "csat_sum")},
            rollup=("responses", "csat_n"),
        )
    customers = [
        (key, {"customer_" + name: c["csat_" + name] for name in ("n", "good", "sum")})
        for key, c in csat
    ]
    merged: dict[tuple[Any, ...], dict[str, int]] = {}
    for key, counts in [*agents, *customers]:
        merged.setdefault(key, {}).update(counts)
    keys = order_keys(merged, scope)
    zero = dict.fromkeys(
        ["agent_n", "agent_good", "agent_sum", "customer_n", "customer_good", "customer_sum"], 0
    )
    groups = [(key, {**zero, **merged[key]}) for key in keys]
    return build_table(scope, groups, COLUMNS, figures)


def figures(c: dict[str, int]) -> list[Any]:
    agent_pct = pct(c["agent_good"], c["agent_n"])
    customer_pct = pct(c["customer_good"], c["customer_n"])
    agent_mean = ratio(c["agent_sum"], c["agent_n"])
    customer_mean = ratio(c["customer_sum"], c["customer_n"])
    ci = wilson_interval(c["customer_good"], c["customer_n"]) or (None, None)
    return [
        c["agent_n"],
        agent_pct,
        agent_mean,
        c["customer_n"],
        customer_pct,
        customer_mean,
        None if agent_pct is None or customer_pct is None else agent_pct - customer_pct,
        None if agent_mean is None or customer_mean is None else agent_mean - customer_mean,
        *ci,
        low_sample(c["customer_n"]),
    ]
