"""Cost per contact type: handle time priced at each team's rate (workforce.costs).

A team's rate applies to the contacts it handled, so the contacts are counted per team as well as
per asked group, priced per team, then summed into the asked groups: the cost of a type mixing a
team paid by the hour and one paid by the contact is exact. Contacts of teams without a rate are
counted apart (`uncosted`) and left out of the cost per contact, never priced at zero.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workforce.costs import HANDLED, team_cost, team_rates

from ..columns import count, flag, mean
from ..definition import DOWN, MONEY, SECONDS, Column, Figure, Kpi, Part, Section
from ..registry import kpi_register
from ..scope import Scope
from ..sources import CONTACTS
from .base import Groups, Table, key_columns, order_keys

COST_AGGREGATES = {"handled": Count("id"), "handle_seconds": Sum("handle_seconds")}
PRICED = ("handled", "handle_seconds", "costed", "cost")


def _priced(kpi: Kpi, scope: Scope) -> Groups:
    """Counts per asked group, each team's contacts priced at its rate before they are summed."""
    by_team = scope if "team" in scope.by else scope.with_(by=(*scope.by, "team"))
    part = kpi.parts[0]
    groups = part.groups(by_team, kpi.fixed, keep_unknown=True)
    at = key_columns(by_team, kpi.fixed).index("team")
    asked = key_columns(scope, kpi.fixed)
    keep = [i for i, name in enumerate(key_columns(by_team, kpi.fixed)) if name in asked]
    rates = team_rates()
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for key, counts in groups:
        coarse = tuple(key[i] for i in keep)
        if any(key[i] is None for i in keep):
            continue
        total = summed.setdefault(coarse, dict.fromkeys(PRICED, 0))
        total["handled"] += counts["handled"]
        total["handle_seconds"] += counts["handle_seconds"]
        cost = team_cost(
            rates.get(key[at], (None, None)), counts["handled"], counts["handle_seconds"]
        )
        if cost is not None:
            total["costed"] += counts["handled"]
            total["cost"] += cost
    return [(k, summed[k]) for k in order_keys(summed, scope, kpi.fixed) if summed[k]["handled"]]


def _table(kpi: Kpi, scope: Scope) -> Table:
    return kpi.table(scope, _priced(kpi, scope))


def _per_contact(c: dict[str, Any]) -> float | None:
    return float(round(Decimal(c["cost"]) / c["costed"], 2)) if c["costed"] else None


def _cost_label() -> str:
    # The teams' rates are plain amounts: the header says in which currency they were entered.
    return gettext("Cost per contact (%(currency)s)") % {"currency": settings.COST_CURRENCY}


COST_LABEL = lazy(_cost_label, str)()
TYPE = ("handled", "aht_seconds", "cost_per_contact", "uncosted", "costed")

contact_cost = kpi_register(
    Kpi(
        name="contact_cost",
        label=_("Cost per contact type"),
        description=_(
            "Handled contacts' handle time at their team's cost per agent-hour, or the team's "
            "price per contact, per contact; contacts of teams without a rate are not costed."
        ),
        subject="productivity",
        parts=(
            Part(CONTACTS, COST_AGGREGATES, where=HANDLED, dimensions={"direction": "direction"}),
        ),
        columns=(
            count("handled", _("Contacts handled")),
            mean(
                "aht_seconds", _("Average handle time (s)"), "handle_seconds", "handled", SECONDS, 0
            ),
            Column("cost_per_contact", COST_LABEL, MONEY, 2, _per_contact, good=DOWN),
            count("uncosted", _("Contacts not costed"), lambda c: c["handled"] - c["costed"]),
            count("costed", _("n (contacts costed)")),
            flag("low_sample", COST_LABEL, "costed"),
        ),
        figures=(Figure("contact_cost", "cost_per_contact", "costed", label=COST_LABEL),),
        fixed=("direction",),
        sections=(
            Section("contact_cost_by_reason", "reason", ("reason", "direction", *TYPE)),
            Section("contact_cost_by_channel", "channel", ("channel", "direction", *TYPE)),
            Section(
                "contact_cost_by_type", "reason,channel", ("reason", "channel", "direction", *TYPE)
            ),
        ),
        compute=_table,
    )
)
