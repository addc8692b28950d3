"""First contact resolution and exchanges per solved ticket, by period of `solved_at`.

Both read one row per solved ticket thanks to the facts kept on it (tickets.facts): its number
of inbound contacts, its first inbound contact (whose channel, agent and team the ticket is
counted under) and whether its customer came back on its reason within the window.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from ..columns import count, flag, mean, share, share_figure, wilson_columns
from ..definition import DOWN, RATIO, UP, Figure, Kpi, Part, Section
from ..registry import kpi_register
from ..sources import SOLVED_TICKETS

WITH_INBOUND = Q(inbound_count__gte=1)

FCR_AGGREGATES = {
    "solved": Count("id"),
    "solved_no_inbound": Count("id", filter=Q(inbound_count=0)),
    "solved_with_inbound": Count("id", filter=WITH_INBOUND),
    "single_inbound": Count("id", filter=Q(inbound_count=1)),
    "fcr": Count("id", filter=Q(inbound_count=1, recontact_in_window=False)),
    "recontact_7d": Count("id", filter=WITH_INBOUND & Q(recontact_in_window=True)),
}

FCR_LABEL = _("First contact resolution")

FCR_SHORT = ("solved_with_inbound", "fcr", "fcr_pct", "recontact_7d_pct")

fcr = kpi_register(
    Kpi(
        name="fcr",
        label=FCR_LABEL,
        description=_(
            "Share of solved tickets (with an inbound contact) solved at the first contact, "
            "with no new contact on the same reason within the window."
        ),
        subject="resolution",
        parts=(Part(SOLVED_TICKETS, FCR_AGGREGATES, rollup=True),),
        columns=(
            count("solved", _("Solved tickets")),
            count("solved_no_inbound", _("Solved without inbound contact")),
            count("solved_with_inbound", _("Solved with an inbound contact")),
            count("single_inbound", _("Solved with one inbound contact")),
            count("fcr", _("Solved at the first contact")),
            share("fcr_pct", _("FCR (%)"), "fcr", "solved_with_inbound", good=UP),
            share("fcr_pct_all_solved", _("FCR, of all solved tickets (%)"), "fcr", "solved"),
            share(
                "recontact_7d_pct",
                _("Customer came back within the window (%)"),
                "recontact_7d",
                "solved_with_inbound",
                good=DOWN,
            ),
            count("recontact_7d", _("Customer came back within the window")),
            *wilson_columns("fcr", FCR_LABEL, "fcr", "solved_with_inbound"),
            flag("fcr_low_sample", FCR_LABEL, "solved_with_inbound"),
        ),
        figures=(share_figure("fcr", "fcr_pct", "fcr", "solved_with_inbound", "fcr", True),),
        sections=(
            Section(
                "fcr_overall",
                "",
                (
                    "solved",
                    "solved_no_inbound",
                    "solved_with_inbound",
                    "single_inbound",
                    "fcr",
                    "fcr_pct",
                    "fcr_pct_all_solved",
                    "recontact_7d_pct",
                ),
            ),
            Section("fcr_by_month", "month", ("month", "solved", *FCR_SHORT)),
            Section("fcr_by_channel", "channel", ("channel", *FCR_SHORT)),
        ),
    )
)


EXCHANGES_AGGREGATES = {
    "solved": Count("id"),
    "inbound_contacts": Sum("inbound_count"),
    "once_and_done": Count("id", filter=Q(inbound_count=1)),
}

EXCHANGES = ("solved", "inbound_contacts", "avg_inbound_contacts")
EXCHANGES_LABEL = _("Exchanges per solved ticket")

exchanges = kpi_register(
    Kpi(
        name="exchanges",
        label=EXCHANGES_LABEL,
        description=_("Mean number of inbound contacts per solved ticket (none counts 0)."),
        subject="resolution",
        parts=(Part(SOLVED_TICKETS, EXCHANGES_AGGREGATES, rollup=True),),
        columns=(
            count("solved", _("Solved tickets")),
            count("inbound_contacts", _("Inbound contacts")),
            mean(
                "avg_inbound_contacts",
                EXCHANGES_LABEL,
                "inbound_contacts",
                "solved",
                RATIO,
                2,
                good=DOWN,
            ),
            share("once_and_done_pct", _("Once and done (%)"), "once_and_done", "solved", UP),
            flag("low_sample", EXCHANGES_LABEL, "solved"),
        ),
        figures=(Figure("exchanges", "avg_inbound_contacts", "solved", headline=True),),
        sections=(
            Section("exchanges_overall", "", EXCHANGES),
            Section("exchanges_by_month", "month", ("month", *EXCHANGES)),
        ),
    )
)
