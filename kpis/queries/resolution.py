"""First contact resolution and exchanges per solved ticket, by month of `solved_at`.

Both read one row per solved ticket thanks to the facts kept on it (tickets.facts): its number
of inbound contacts, its first inbound contact (whose channel, agent and team the ticket is
counted under) and whether its customer came back on its reason within the window.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from tickets.models import Ticket

from ..scope import Scope
from ..stats import wilson_interval
from .base import Table, build_table, grouped, low_sample, pct, ratio

DIMENSIONS = {
    "channel": "first_inbound_contact__channel",
    "team": "first_inbound_contact__team__external_id",
    "agent": "first_inbound_contact__agent__external_id",
    "reason": "reason",
    "priority": "priority",
}

WITH_INBOUND = Q(inbound_count__gte=1)

FCR_AGGREGATES = {
    "solved": Count("id"),
    "solved_no_inbound": Count("id", filter=Q(inbound_count=0)),
    "solved_with_inbound": Count("id", filter=WITH_INBOUND),
    "single_inbound": Count("id", filter=Q(inbound_count=1)),
    "fcr": Count("id", filter=Q(inbound_count=1, recontact_in_window=False)),
    "recontact_7d": Count("id", filter=WITH_INBOUND & Q(recontact_in_window=True)),
}

FCR_COLUMNS = [
    "solved", "solved_no_inbound", "solved_with_inbound", "single_inbound", "fcr",
    "fcr_pct", "fcr_pct_all_solved", "recontact_7d_pct",
    "recontact_7d", "fcr_ci_low", "fcr_ci_high", "fcr_low_sample",
]  # fmt: skip


def _solved() -> Any:
    return Ticket.objects.filter(solved_at__isnull=False)


def fcr_figures(c: dict[str, int]) -> list[Any]:
    ci = wilson_interval(c["fcr"], c["solved_with_inbound"]) or (None, None)
    return [
        c["solved"],
        c["solved_no_inbound"],
        c["solved_with_inbound"],
        c["single_inbound"],
        c["fcr"],
        pct(c["fcr"], c["solved_with_inbound"]),
        pct(c["fcr"], c["solved"]),
        pct(c["recontact_7d"], c["solved_with_inbound"]),
        c["recontact_7d"],
        *ci,
        low_sample(c["solved_with_inbound"]),
    ]


def fcr_counts(scope: Scope) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    return grouped(
        _solved(),
        scope,
        date_field="solved_at",
        dimensions=DIMENSIONS,
        aggregates=FCR_AGGREGATES,
        rollup=("tickets", "solved"),
    )


def fcr(scope: Scope) -> Table:
    """Share of solved tickets (with an inbound contact) solved at the first contact."""
    return build_table(scope, fcr_counts(scope), FCR_COLUMNS, fcr_figures)


EXCHANGES_AGGREGATES = {
    "solved": Count("id"),
    "inbound_contacts": Sum("inbound_count"),
    "once_and_done": Count("id", filter=Q(inbound_count=1)),
}

EXCHANGES_COLUMNS = ["solved", "inbound_contacts", "avg_inbound_contacts", "once_and_done_pct"]


def exchanges_figures(c: dict[str, int]) -> list[Any]:
    return [
        c["solved"],
        c["inbound_contacts"],
        ratio(c["inbound_contacts"], c["solved"]),
        pct(c["once_and_done"], c["solved"]),
    ]


def exchanges(scope: Scope) -> Table:
    """Mean number of inbound contacts per solved ticket (a ticket with none counts 0)."""
    groups = grouped(
        _solved(),
        scope,
        date_field="solved_at",
        dimensions=DIMENSIONS,
        aggregates=EXCHANGES_AGGREGATES,
        rollup=("tickets", "solved"),
    )
    return build_table(scope, groups, EXCHANGES_COLUMNS, exchanges_figures)
