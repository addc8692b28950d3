"""Survey response rate: answered over sent invitations, by questionnaire and period of sending."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from surveys.models import Invitation

from ..scope import Scope
from ..stats import wilson_interval
from .base import Table, build_table, grouped, low_sample, pct

DIMENSIONS = {
    "channel": "channel",
    "team": "team__external_id",
    "agent": "agent__external_id",
    "reason": "contact__reason",
    "priority": "ticket__priority",
    "questionnaire": "questionnaire__name",
}

AGGREGATES = {
    "sent": Count("id"),
    "answered": Count("id", filter=Q(answered_at__isnull=False)),
    "reminded": Count("id", filter=Q(reminded_at__isnull=False)),
}

COLUMNS = ["sent", "answered", "response_rate_pct", "reminded", "ci_low", "ci_high", "low_sample"]


def figures(c: dict[str, int]) -> list[Any]:
    ci = wilson_interval(c["answered"], c["sent"]) or (None, None)
    return [
        c["sent"],
        c["answered"],
        pct(c["answered"], c["sent"]),
        c["reminded"],
        *ci,
        low_sample(c["sent"]),
    ]


def response_rate(scope: Scope) -> Table:
    """Share of sent invitations answered, per questionnaire (and the asked cuts)."""
    groups = grouped(
        Invitation.objects.filter(sent_at__isnull=False),
        scope,
        date_field="sent_at",
        dimensions=DIMENSIONS,
        aggregates=AGGREGATES,
        fixed=("questionnaire",),
    )
    return build_table(scope, groups, COLUMNS, figures, fixed=("questionnaire",))
