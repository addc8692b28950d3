"""Perception gap: how satisfied agents think customers were, beside what customers said.

Per agent (or team): the share of the agent's own ratings that are 4-5 and their mean, beside
the CSAT answers on contacts the agent handled. Two parts (agents' ratings, customers'
answers), joined by group.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from ..columns import count, flag, mean, share, wilson_columns
from ..definition import SCORE, UP, Column, Kpi, Part, Section
from ..registry import kpi_register
from ..scope import Scope
from ..sources import RATINGS, RESPONSES
from .base import pct, ratio
from .satisfaction import AGGREGATES as SATISFACTION_AGGREGATES

RATING_AGGREGATES = {
    "agent_n": Count("id"),
    "agent_good": Count("id", filter=Q(score__gte=4)),
    "agent_sum": Sum("score"),
}

# The satisfaction KPI's own CSAT counts, so that one scan (or rollup) serves both.
CSAT_AGGREGATES = {n: SATISFACTION_AGGREGATES[n] for n in ("csat_n", "csat_good", "csat_sum")}


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _by_agent(scope: Scope) -> Scope:
    if "agent" in scope.by or "team" in scope.by:
        return scope
    return scope.with_(by=(*scope.by, "agent"))


CUSTOMER_LABEL = _("Customers' CSAT")

perception_gap = kpi_register(
    Kpi(
        name="perception_gap",
        label=_("Perception gap"),
        description=_(
            "Agents' own ratings (share of 4-5, mean) minus customers' CSAT on the contacts "
            "they handled, per agent, or per team when cut by team."
        ),
        subject="perception",
        parts=(
            Part(RATINGS, RATING_AGGREGATES, rollup=True),
            Part(RESPONSES, CSAT_AGGREGATES, presence="csat_n", rollup=True),
        ),
        columns=(
            count("agent_n", _("Agents' ratings")),
            share("agent_csat_pct", _("Agents' reading (4-5, %)"), "agent_good", "agent_n"),
            mean(
                "agent_mean",
                _("Agents' reading (mean, 1-5)"),
                "agent_sum",
                "agent_n",
                SCORE,
                2,
                bounds=(1, 5),
            ),
            count("customer_n", _("Customers' answers"), lambda c: c["csat_n"]),
            share("customer_csat_pct", _("Customers' CSAT (%)"), "csat_good", "csat_n", UP),
            mean(
                "customer_mean",
                _("Customers' CSAT (mean, 1-5)"),
                "csat_sum",
                "csat_n",
                SCORE,
                2,
                bounds=(1, 5),
            ),
            Column(
                "gap_pct",
                _("Gap (points of %)"),
                "points",
                1,
                lambda c: _difference(
                    pct(c["agent_good"], c["agent_n"]), pct(c["csat_good"], c["csat_n"])
                ),
            ),
            Column(
                "gap_mean",
                _("Gap (mean)"),
                SCORE,
                2,
                lambda c: _difference(
                    ratio(c["agent_sum"], c["agent_n"]), ratio(c["csat_sum"], c["csat_n"])
                ),
            ),
            *wilson_columns("customer", CUSTOMER_LABEL, "csat_good", "csat_n"),
            flag("customer_low_sample", CUSTOMER_LABEL, "csat_n"),
            flag("agent_low_sample", _("Agents' reading"), "agent_n"),
        ),
        cut=_by_agent,
        sections=(
            Section(
                "csat_gap_by_agent",
                "agent",
                (
                    "agent_id",
                    "agent_n",
                    "agent_csat_pct",
                    "agent_mean",
                    "customer_n",
                    "customer_csat_pct",
                    "customer_mean",
                    "gap_pct",
                    "gap_mean",
                ),
            ),
        ),
    )
)
