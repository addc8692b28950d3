"""What drives the scores, and what customers say beside what history measures.

- satisfaction by number of exchanges on the ticket (1, 2, 3, 4+), by repeat contact or not, and
  by speed-of-answer target met or missed: the satisfaction aggregates with one more key,
  computed per row in SQL;
- declared resolution ("was your request resolved?") beside the FCR measured from history on
  the same tickets.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, Value, When

from surveys.models import Resolution, Response

from ..scope import Scope
from ..stats import wilson_interval
from .base import Table, build_table, collapse, grouped, low_sample, pct
from .satisfaction import AGGREGATES, COLUMNS, DIMENSIONS, figures
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


def _by(key: str, expression: Any, queryset: Any, scope: Scope) -> Table:
    groups = grouped(
        queryset,
        scope,
        date_field="responded_at",
        dimensions={**DIMENSIONS, key: expression},
        aggregates=AGGREGATES,
        fixed=(key,),
    )
    return build_table(scope, groups, COLUMNS, figures, fixed=(key,))


def satisfaction_by_exchanges(scope: Scope) -> Table:
    """Scores by the number of inbound contacts of the answer's ticket."""
    return _by("exchanges", _exchanges(), Response.objects.filter(ticket__isnull=False), scope)


def satisfaction_by_repeat(scope: Scope) -> Table:
    """Scores after a repeat contact beside scores after a first contact."""
    return _by(
        "repeat",
        _repeat(),
        Response.objects.filter(contact__isnull=False, contact__direction="inbound"),
        scope,
    )


def satisfaction_by_answer_target(scope: Scope) -> Table:
    """Scores by whether the contact was answered within its channel's target."""
    return _by(
        "answer_target",
        _answer_target(),
        Response.objects.filter(contact__isnull=False, contact__direction="inbound"),
        scope,
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

RESOLUTION_COLUMNS = [
    "declared_n", "declared_resolved_pct", "measured_n", "declared_resolved_on_measured_pct",
    "measured_fcr_pct", "gap_pct", "agreement_pct", "declared_ci_low", "declared_ci_high",
    "low_sample",
]  # fmt: skip


def resolution_figures(c: dict[str, int]) -> list[Any]:
    said = pct(c["measured_yes"], c["measured_n"])
    measured = pct(c["measured_fcr"], c["measured_n"])
    ci = wilson_interval(c["declared_yes"], c["declared_n"]) or (None, None)
    return [
        c["declared_n"],
        pct(c["declared_yes"], c["declared_n"]),
        c["measured_n"],
        said,
        measured,
        None if said is None or measured is None else said - measured,
        pct(c["agree"], c["measured_n"]),
        *ci,
        low_sample(c["declared_n"]),
    ]


def declared_resolution(scope: Scope) -> Table:
    """Resolution as customers declare it beside FCR measured on the same (solved) tickets.

    `partly` counts as not resolved. Each answer counts once: a ticket answered twice weighs
    twice, as each answer is one customer's say.
    """
    groups = grouped(
        Response.objects.all(),
        scope,
        date_field="responded_at",
        dimensions=DIMENSIONS,
        aggregates=RESOLUTION_AGGREGATES,
    )
    return build_table(scope, groups, RESOLUTION_COLUMNS, resolution_figures)


DRIVERS = ("exchanges", "repeat", "answer_target")
NONE = "none"  # an answer the driver does not apply to (no ticket, no inbound contact)


def _driver_keys() -> dict[str, Any]:
    not_inbound = Q(contact__isnull=True) | ~Q(contact__direction="inbound")
    return {
        "exchanges": Case(
            When(ticket__isnull=True, then=_text(NONE)), default=_exchanges(),
            output_field=CharField(),
        ),
        "repeat": Case(
            When(not_inbound, then=_text(NONE)), default=_repeat(), output_field=CharField()
        ),
        "answer_target": Case(
            When(not_inbound, then=_text(NONE)), default=_answer_target(),
            output_field=CharField(),
        ),
    }  # fmt: skip


def answers_by_driver(scope: Scope) -> tuple[Table, dict[str, Table]]:
    """Declared resolution by month and satisfaction by each driver, from one scan of answers.

    The same figures as `declared_resolution` (monthly) and the three `satisfaction_by_*`
    tables: the answers are counted once per (month, exchanges, repeat, answer target) group,
    then summed up, which is exact since counts add.
    """
    monthly = scope.with_(granularity="month")
    groups = grouped(
        Response.objects.all(),
        monthly,
        date_field="responded_at",
        dimensions={**DIMENSIONS, **_driver_keys()},
        aggregates={**AGGREGATES, **RESOLUTION_AGGREGATES},
        fixed=DRIVERS,
    )
    declared = build_table(
        monthly, collapse(groups, [0], monthly, RESOLUTION_AGGREGATES),
        RESOLUTION_COLUMNS, resolution_figures,
    )  # fmt: skip
    tables = {}
    for position, driver in enumerate(DRIVERS, start=1):
        summed: dict[tuple[Any, ...], dict[str, int]] = {}
        for key, counts in groups:
            if key[position] == NONE:
                continue
            total = summed.setdefault((key[position],), dict.fromkeys(AGGREGATES, 0))
            for name in AGGREGATES:
                total[name] += counts[name]
        ordered = [(k, summed[k]) for k in sorted(summed, key=lambda k: str(k[0]))]
        tables[driver] = build_table(
            scope.with_(granularity=None), ordered, COLUMNS, figures, fixed=(driver,)
        )
    return declared, tables
