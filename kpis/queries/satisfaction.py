"""Customer scores: NPS, CSAT and CES, by period of `responded_at` and the answer's contact."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from surveys.models import SCALES, SurveyKind

from ..columns import count, flag, interval_columns, mean, share, share_figure, wilson_columns
from ..definition import POINTS, SCORE, UP, Column, Figure, Kpi, Part, Section
from ..registry import kpi_register
from ..sources import RESPONSES
from ..stats import mean_change, mean_interval, nps_change, nps_interval
from .base import pct

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

CES_SCALE = SCALES[SurveyKind.CES]
NPS_LABEL, CSAT_LABEL, CES_LABEL = _("NPS"), _("CSAT"), _("CES (1-7)")

COLUMNS = (
    count("nps_n", _("NPS answers")),
    Column(
        "nps",
        NPS_LABEL,
        POINTS,
        1,
        lambda c: pct(c["promoters"] - c["detractors"], c["nps_n"]),
        good=UP,
        bounds=(-100, 100),
    ),
    count("csat_n", _("CSAT answers")),
    share("csat_pct", _("CSAT (satisfied, %)"), "csat_good", "csat_n", good=UP),
    count("ces_n", _("CES answers")),
    mean("ces_mean", CES_LABEL, "ces_sum", "ces_n", SCORE, 2, good=UP, bounds=CES_SCALE),
    count("promoters", _("Promoters (9-10)")),
    count("detractors", _("Detractors (0-6)")),
    *interval_columns(
        "nps",
        NPS_LABEL,
        lambda c: nps_interval(c["promoters"], c["detractors"], c["nps_n"]),
        POINTS,
    ),
    flag("nps_low_sample", NPS_LABEL, "nps_n"),
    *wilson_columns("csat", CSAT_LABEL, "csat_good", "csat_n"),
    flag("csat_low_sample", CSAT_LABEL, "csat_n"),
    *interval_columns(
        "ces",
        CES_LABEL,
        lambda c: mean_interval(c["ces_sum"], c["ces_squares"], c["ces_n"], CES_SCALE),
        SCORE,
    ),
    flag("ces_low_sample", CES_LABEL, "ces_n"),
)

NPS_FIELDS = ("promoters", "detractors", "nps_n")
CES_FIELDS = ("ces_sum", "ces_squares", "ces_n")

FIGURES = (
    Figure(
        "nps",
        "nps",
        "nps_n",
        ("nps_ci_low", "nps_ci_high"),
        lambda a, b: nps_change(*(a[n] for n in NPS_FIELDS), *(b[n] for n in NPS_FIELDS)),
        headline=True,
    ),
    share_figure("csat", "csat_pct", "csat_good", "csat_n", "csat", headline=True),
    Figure(
        "ces",
        "ces_mean",
        "ces_n",
        ("ces_ci_low", "ces_ci_high"),
        lambda a, b: mean_change(*(a[n] for n in CES_FIELDS), *(b[n] for n in CES_FIELDS)),
        headline=True,
    ),
)

SAT = ("nps_n", "nps", "csat_n", "csat_pct", "ces_n", "ces_mean")

satisfaction = kpi_register(
    Kpi(
        name="satisfaction",
        label=_("Satisfaction"),
        description=_(
            "NPS, share of satisfied answers (CSAT) and CES mean, each with its sample, "
            "confidence interval and small-sample flag."
        ),
        subject="satisfaction",
        parts=(Part(RESPONSES, AGGREGATES, rollup=True),),
        columns=COLUMNS,
        figures=FIGURES,
        sections=(
            Section("satisfaction_overall", "", SAT),
            Section("satisfaction_by_month", "month", ("month", *SAT)),
            Section("satisfaction_by_channel", "channel", ("channel", *SAT)),
            Section("satisfaction_by_agent", "agent", ("agent_id", *SAT)),
        ),
    )
)
