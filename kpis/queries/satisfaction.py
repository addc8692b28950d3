"""Customer scores: NPS, CSAT and CES, by month of `responded_at` and the answer's contact."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, Sum

from surveys.models import Response, SurveyKind

from ..scope import Scope
from ..stats import mean_interval, nps_interval, wilson_interval
from .base import Table, build_table, grouped, low_sample, pct, ratio

DIMENSIONS = {
    "channel": "contact__channel",
    "team": "contact__team__external_id",
    "agent": "contact__agent__external_id",
    "reason": "contact__reason",
    "priority": "ticket__priority",
}

NPS, CSAT, CES = Q(kind=SurveyKind.NPS), Q(kind=SurveyKind.CSAT), Q(kind=SurveyKind.CES)

AGGREGATES = {
    "nps_n": Count("id", filter=NPS),
    "promoters": Count("id", filter=NPS & Q(score__gte=9)),
    "detractors": Count("id", filter=NPS & Q(score__lte=6)),
    "csat_n": Count("id", filter=CSAT),
    "csat_good": Count("id", filter=CSAT & Q(score__gte=4)),
    "csat_sum": Sum("score", filter=CSAT),
    "ces_n": Count("id", filter=CES),
    "ces_sum": Sum("score", filter=CES),
    "ces_squares": Sum(F("score") * F("score"), filter=CES),
}

COLUMNS = [
    "nps_n", "nps", "csat_n", "csat_pct", "ces_n", "ces_mean",
    "promoters", "detractors", "nps_ci_low", "nps_ci_high", "nps_low_sample",
    "csat_ci_low", "csat_ci_high", "csat_low_sample",
    "ces_ci_low", "ces_ci_high", "ces_low_sample",
]  # fmt: skip


def figures(c: dict[str, int]) -> list[Any]:
    nps_ci = nps_interval(c["promoters"], c["detractors"], c["nps_n"]) or (None, None)
    csat_ci = wilson_interval(c["csat_good"], c["csat_n"]) or (None, None)
    ces_ci = mean_interval(c["ces_sum"], c["ces_squares"], c["ces_n"]) or (None, None)
    return [
        c["nps_n"],
        pct(c["promoters"] - c["detractors"], c["nps_n"]),
        c["csat_n"],
        pct(c["csat_good"], c["csat_n"]),
        c["ces_n"],
        ratio(c["ces_sum"], c["ces_n"]),
        c["promoters"],
        c["detractors"],
        *nps_ci,
        low_sample(c["nps_n"]),
        *csat_ci,
        low_sample(c["csat_n"]),
        *ces_ci,
        low_sample(c["ces_n"]),
    ]


def satisfaction_counts(scope: Scope) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    return grouped(
        Response.objects.all(),
        scope,
        date_field="responded_at",
        dimensions=DIMENSIONS,
        aggregates=AGGREGATES,
        rollup=("responses", "responses"),
    )


def satisfaction(scope: Scope) -> Table:
    """NPS, CSAT % and CES mean, each with its n, 95 % interval and low-sample flag."""
    return build_table(scope, satisfaction_counts(scope), COLUMNS, figures)
