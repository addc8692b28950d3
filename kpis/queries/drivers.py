"""What drives the scores, and what customers say beside what history measures.

- satisfaction by number of exchanges on the ticket (1, 2, 3, 4+), by repeat contact or not, and
  by speed-of-answer target met or missed: the satisfaction aggregates with one more key,
  computed per row in SQL;
- declared resolution ("was your request resolved?") beside the FCR measured from history on
  the same tickets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from surveys.models import Resolution

from ..columns import count, flag, share, share_figure, wilson_columns
from ..definition import UP, Column, Kpi, Part
from ..registry import kpi_register
from ..sources import RESPONSES
from .base import pct
from .satisfaction import AGGREGATES, COLUMNS, FIGURES
from .workload import answer_targets


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def _exchanges() -> Case:
    return Case(
        When(ticket__inbound_count__gte=4, then=_text("4+")),
        *(When(ticket__inbound_count=n, then=_text(str(n))) for n in range(4)),
        output_field=CharField(),
    )


def _repeat() -> Case:
    return Case(
        When(contact__is_repeat=True, then=_text("repeat")),
        default=_text("first"),
        output_field=CharField(),
    )


def _answer_target() -> Case:
    within = Q()
    for channel, seconds in answer_targets().items():
        within |= Q(
            contact__channel=channel,
            contact__answered_at__lte=F("contact__started_at") + timedelta(seconds=seconds),
        )
    return Case(
        When(contact__answered_at__isnull=True, then=_text("unanswered")),
        When(within, then=_text("met")),
        default=_text("missed"),
        output_field=CharField(),
    )


ON_TICKET = Q(ticket__isnull=False)
ON_INBOUND = Q(contact__isnull=False, contact__direction="inbound")


def _driver(
    name: str, label: Any, description: Any, key: str, expression: Callable[[], Any], where: Q
) -> Kpi:
    """Satisfaction with one more key, computed per answer (the expression built per query)."""
    return kpi_register(
        Kpi(
            name=name,
            label=label,
            description=description,
            subject="drivers",
            parts=(Part(RESPONSES, AGGREGATES, where=where, dimensions={key: expression}),),
            columns=COLUMNS,
            figures=tuple(replace(f, headline=False) for f in FIGURES),
            fixed=(key,),
        )
    )


satisfaction_by_exchanges = _driver(
    "satisfaction_by_exchanges",
    _("Satisfaction by exchanges"),
    _("Scores by the number of inbound contacts on the answer's ticket (1, 2, 3, 4+)."),
    "exchanges",
    _exchanges,
    ON_TICKET,
)

satisfaction_by_repeat = _driver(
    "satisfaction_by_repeat",
    _("Satisfaction after a repeat contact"),
    _("Scores after a repeat contact beside scores after a first contact."),
    "repeat",
    _repeat,
    ON_INBOUND,
)

satisfaction_by_answer_target = _driver(
    "satisfaction_by_answer_target",
    _("Satisfaction by answer target"),
    _("Scores by whether the contact was answered within its channel's target."),
    "answer_target",
    _answer_target,
    ON_INBOUND,
)


DECLARED = ~Q(resolved="")
MEASURED = DECLARED & Q(ticket__solved_at__isnull=False, ticket__inbound_count__gte=1)
FCR = Q(ticket__inbound_count=1, ticket__recontact_in_window=False)
SAYS_YES = Q(resolved=Resolution.YES)

RESOLUTION_AGGREGATES = {
    "declared_n": Count("id", filter=DECLARED),
    "declared_yes": Count("id", filter=DECLARED & SAYS_YES),
    "measured_n": Count("id", filter=MEASURED),
    "measured_yes": Count("id", filter=MEASURED & SAYS_YES),
    "measured_fcr": Count("id", filter=MEASURED & FCR),
    "agree": Count("id", filter=MEASURED & ((SAYS_YES & FCR) | (~SAYS_YES & ~FCR))),
}


def _gap(c: dict[str, int]) -> float | None:
    said = pct(c["measured_yes"], c["measured_n"])
    measured = pct(c["measured_fcr"], c["measured_n"])
    return None if said is None or measured is None else said - measured


DECLARED_LABEL = _("Declared resolved")

declared_resolution = kpi_register(
    Kpi(
        name="declared_resolution",
        label=_("Declared resolution"),
        description=_(
            "Resolution as customers declare it beside FCR measured on the same solved tickets "
            "(partly counts as not resolved; each answer counts once)."
        ),
        subject="resolution",
        parts=(Part(RESPONSES, RESOLUTION_AGGREGATES),),
        columns=(
            count("declared_n", _("Answers saying whether it was resolved")),
            share(
                "declared_resolved_pct",
                _("Declared resolved (%)"),
                "declared_yes",
                "declared_n",
                good=UP,
            ),
            count("measured_n", _("Of them, on solved tickets")),
            share(
                "declared_resolved_on_measured_pct",
                _("Declared resolved, solved tickets (%)"),
                "measured_yes",
                "measured_n",
            ),
            share(
                "measured_fcr_pct",
                _("Measured FCR, same tickets (%)"),
                "measured_fcr",
                "measured_n",
            ),
            Column("gap_pct", _("Declared minus measured (points of %)"), "points", 1, _gap),
            share("agreement_pct", _("Declared and measured agree (%)"), "agree", "measured_n"),
            *wilson_columns("declared", DECLARED_LABEL, "declared_yes", "declared_n"),
            flag("low_sample", DECLARED_LABEL, "declared_n"),
        ),
        figures=(
            share_figure(
                "declared", "declared_resolved_pct", "declared_yes", "declared_n", "declared"
            ),
        ),
    )
)
