"""Survey response rate: answered over sent invitations, by questionnaire and period of sending."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ..columns import count, flag, share, share_figure, wilson_columns
from ..definition import UP, Kpi, Part
from ..registry import kpi_register
from ..sources import SENT_INVITATIONS

AGGREGATES = {
    "sent": Count("id"),
    "answered": Count("id", filter=Q(answered_at__isnull=False)),
    "reminded": Count("id", filter=Q(reminded_at__isnull=False)),
}

LABEL = _("Response rate")

response_rate = kpi_register(
    Kpi(
        name="response_rate",
        label=LABEL,
        description=_("Share of sent invitations answered, per questionnaire."),
        subject="satisfaction",
        parts=(
            Part(SENT_INVITATIONS, AGGREGATES, dimensions={"questionnaire": "questionnaire__name"}),
        ),
        columns=(
            count("sent", _("Invitations sent")),
            count("answered", _("Answered")),
            share("response_rate_pct", _("Response rate (%)"), "answered", "sent", good=UP),
            count("reminded", _("Reminded")),
            *wilson_columns("", LABEL, "answered", "sent"),
            flag("low_sample", LABEL, "sent"),
        ),
        figures=(share_figure("response_rate", "response_rate_pct", "answered", "sent", ""),),
        fixed=("questionnaire",),
    )
)
