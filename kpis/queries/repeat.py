"""Repeat contacts: how often customers come back on the same reason, and why.

An inbound contact is `followed_in_window` when the same customer's next inbound contact on
the same reason starts within the window after it, and `is_repeat` when its previous one
started at most the window before it (facts kept by tickets.facts).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from surveys.models import RepeatCauseCode, Reporter
from tickets.models import Direction

from ..columns import count, flag, share, share_figure, wilson_columns
from ..definition import DOWN, Kpi, Part, Section
from ..registry import kpi_register
from ..scope import Scope
from ..sources import CAUSES, CONTACTS
from .base import Groups

# Each aggregate carries its own condition: the report and the dashboard count repeats, calls
# and handle times of all contacts in one pass.
INBOUND = Q(direction=Direction.INBOUND)

AGGREGATES = {
    "inbound_contacts": Count("id", filter=INBOUND),
    "followed_7d": Count("id", filter=INBOUND & Q(followed_in_window=True)),
    "repeat_contacts": Count("id", filter=INBOUND & Q(is_repeat=True)),
}

REPEAT_LABEL = _("Repeat-contact rate")
REPEAT = ("inbound_contacts", "followed_7d", "repeat_rate_pct")

repeat = kpi_register(
    Kpi(
        name="repeat",
        label=REPEAT_LABEL,
        description=_(
            "Share of inbound contacts followed by a contact on the same reason within the window."
        ),
        subject="repeat",
        parts=(Part(CONTACTS, AGGREGATES, presence="inbound_contacts", rollup=True),),
        columns=(
            count("inbound_contacts", _("Inbound contacts")),
            count("followed_7d", _("Followed by a repeat contact")),
            share(
                "repeat_rate_pct",
                _("Repeat-contact rate (%)"),
                "followed_7d",
                "inbound_contacts",
                good=DOWN,
            ),
            count("repeat_contacts", _("Repeat contacts")),
            *wilson_columns("repeat", REPEAT_LABEL, "followed_7d", "inbound_contacts"),
            flag("repeat_low_sample", REPEAT_LABEL, "inbound_contacts"),
        ),
        figures=(
            share_figure(
                "repeat", "repeat_rate_pct", "followed_7d", "inbound_contacts", "repeat", True
            ),
        ),
        sections=(
            Section("repeat_overall", "", (*REPEAT, "repeat_contacts")),
            Section("repeat_by_month", "month", ("month", *REPEAT)),
            Section("repeat_by_channel", "channel", ("channel", *REPEAT)),
        ),
    )
)


CAUSE_AGGREGATES = {
    "n": Count("id"),
    "on_repeat_contact": Count("id", filter=Q(contact__is_repeat=True)),
    "customer_n": Count("id", filter=Q(reporter=Reporter.CUSTOMER)),
    "agent_n": Count("id", filter=Q(reporter=Reporter.AGENT)),
}


def _with_totals(scope: Scope, groups: Groups) -> Groups:
    """Each cause's group with the number of causes given in its period and segment."""
    totals: dict[tuple[Any, ...], int] = {}
    for key, counts in groups:
        totals[key[:-1]] = totals.get(key[:-1], 0) + counts["n"]
    return [(key, {**counts, "all_causes": totals[key[:-1]]}) for key, counts in groups]


repeat_causes = kpi_register(
    Kpi(
        name="repeat_causes",
        label=_("Repeat-contact causes"),
        description=_(
            "Each cause's count and share of all causes given in the same period and segment, "
            "as customers and as agents report them."
        ),
        subject="repeat",
        parts=(Part(CAUSES, CAUSE_AGGREGATES, rollup=True, dimensions={"reason_code": "code"}),),
        columns=(
            count("n", _("Causes given")),
            share("pct", _("Share of causes (%)"), "n", "all_causes"),
            count("on_repeat_contact", _("Given on a repeat contact")),
            count("customer_n", _("Given by customers")),
            count("agent_n", _("Given by agents")),
            flag("low_sample", _("Share of causes"), "all_causes"),
        ),
        fixed=("reason_code",),
        complete={"reason_code": sorted(RepeatCauseCode.values)},
        enrich=_with_totals,
        sections=(Section("repeat_causes", "", ("reason_code", "n", "pct", "on_repeat_contact")),),
    )
)
