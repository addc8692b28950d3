"""Repeat contacts: how often customers come back on the same reason, and why.

An inbound contact is `followed_in_window` when the same customer's next inbound contact on
the same reason starts within the window after it, and `is_repeat` when its previous one
started at most the window before it (facts kept by tickets.facts).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from surveys.models import RepeatCause, RepeatCauseCode, Reporter
from tickets.models import Contact, Direction

from ..scope import Scope
from ..stats import wilson_interval
from .base import Table, build_table, grouped, low_sample, pct

CONTACT_DIMENSIONS = {
    "channel": "channel",
    "team": "team__external_id",
    "agent": "agent__external_id",
    "reason": "reason",
    "priority": "ticket__priority",
}

# Each aggregate carries its own condition (the WHERE only narrows the scan), so that the report
# can count repeats, calls and handle times of all contacts in one pass.
INBOUND = Q(direction=Direction.INBOUND)

AGGREGATES = {
    "inbound_contacts": Count("id", filter=INBOUND),
    "followed_7d": Count("id", filter=INBOUND & Q(followed_in_window=True)),
    "repeat_contacts": Count("id", filter=INBOUND & Q(is_repeat=True)),
}

COLUMNS = [
    "inbound_contacts", "followed_7d", "repeat_rate_pct", "repeat_contacts",
    "repeat_ci_low", "repeat_ci_high", "repeat_low_sample",
]  # fmt: skip


def inbound_contacts() -> Any:
    return Contact.objects.filter(INBOUND)


def repeat_figures(c: dict[str, int]) -> list[Any]:
    ci = wilson_interval(c["followed_7d"], c["inbound_contacts"]) or (None, None)
    return [
        c["inbound_contacts"],
        c["followed_7d"],
        pct(c["followed_7d"], c["inbound_contacts"]),
        c["repeat_contacts"],
        *ci,
        low_sample(c["inbound_contacts"]),
    ]


def repeat_counts(scope: Scope) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    return grouped(
        inbound_contacts(),
        scope,
        date_field="started_at",
        dimensions=CONTACT_DIMENSIONS,
        aggregates=AGGREGATES,
        rollup=("contacts", "inbound_contacts"),
    )


def repeat(scope: Scope) -> Table:
    """Share of inbound contacts followed by a repeat contact within the window."""
    return build_table(scope, repeat_counts(scope), COLUMNS, repeat_figures)


CAUSE_DIMENSIONS = {
    **{name: f"contact__{path}" for name, path in CONTACT_DIMENSIONS.items()},
    "reason_code": "code",
}

CAUSE_AGGREGATES = {
    "n": Count("id"),
    "on_repeat_contact": Count("id", filter=Q(contact__is_repeat=True)),
    "customer_n": Count("id", filter=Q(reporter=Reporter.CUSTOMER)),
    "agent_n": Count("id", filter=Q(reporter=Reporter.AGENT)),
}

CAUSE_COLUMNS = ["n", "pct", "on_repeat_contact", "customer_n", "agent_n"]


def repeat_causes(scope: Scope) -> Table:
    """Each cause's count and share of all causes given in the same group, by reporter."""
    groups = grouped(
        RepeatCause.objects.all(),
        scope,
        date_field="answered_at",
        dimensions=CAUSE_DIMENSIONS,
        aggregates=CAUSE_AGGREGATES,
        fixed=("reason_code",),
        complete={"reason_code": sorted(RepeatCauseCode.values)},
        rollup=("causes", "n"),
    )
    # A share is of all causes in the same period and segment: total per group of the other keys.
    totals: dict[tuple[Any, ...], int] = {}
    for key, counts in groups:
        totals[key[:-1]] = totals.get(key[:-1], 0) + counts["n"]
    table = build_table(
        scope,
        groups,
        CAUSE_COLUMNS,
        lambda c: [c["n"], None, c["on_repeat_contact"], c["customer_n"], c["agent_n"]],
        fixed=("reason_code",),
    )
    share = table.columns.index("pct")
    for (key, counts), row in zip(groups, table.rows, strict=True):
        row[share] = pct(counts["n"], totals[key[:-1]])
    table.columns.append("low_sample")
    for (key, _counts), row in zip(groups, table.rows, strict=True):
        row.append(low_sample(totals[key[:-1]]))
    return table
