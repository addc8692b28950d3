"""What contacts cost, by type, and whether an outsourcer invoices what it handled.

A handled contact (an agent answered it and its handle time is known) costs its handle time at
its team's cost per agent-hour, or its team's price per contact when the team is paid by the
contact. Contacts of teams with neither are counted apart (`uncosted`), never priced at zero.
The cost per contact type is the `contact_cost` KPI (kpis.queries.costs), priced here.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q

from tickets.models import Contact

from .models import Invoice, TeamWorkforce
from .selectors import local_bounds

HANDLED = Q(agent__isnull=False, answered_at__isnull=False, handle_seconds__isnull=False)
HOUR = Decimal(3600)


def team_rates() -> dict[str | None, tuple[Decimal | None, Decimal | None]]:
    """Each team's (cost per agent-hour, price per contact), by the team's external id."""
    rows = TeamWorkforce.objects.values_list(
        "team__external_id", "cost_per_agent_hour", "price_per_contact"
    )
    return {team: (hourly, each) for team, hourly, each in rows}


def team_cost(
    rate: tuple[Decimal | None, Decimal | None], contacts: int, seconds: int
) -> Decimal | None:
    """What a team's handled contacts cost: its price per contact when it has one, else their
    handle time at its cost per agent-hour; None (not costed) when it has neither."""
    hourly, each = rate
    if each is not None:
        return each * contacts
    if hourly is not None:
        return hourly * seconds / HOUR
    return None


@dataclass
class InvoiceCheck:
    invoice: Invoice
    handled: int  # contacts the team handled in the month, by the history
    # With the invoice's contact ids: invoiced but not handled by the team in the history, and
    # handled but not invoiced.
    not_in_history: list[str] = field(default_factory=list)
    not_invoiced: list[str] = field(default_factory=list)

    @property
    def difference(self) -> int:
        """Contacts invoiced minus contacts handled: above 0, the invoice asks for more."""
        return self.invoice.contacts - self.handled


def invoice_check(invoice: Invoice) -> InvoiceCheck:
    month = invoice.month.replace(day=1)
    last_day = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    since, until = local_bounds(month, last_day)
    handled = Contact.objects.filter(
        HANDLED, team_id=invoice.team_id, started_at__gte=since, started_at__lt=until
    )
    check = InvoiceCheck(invoice, handled.count())
    listed = invoice.listed_ids()
    if listed:
        ids = set(handled.values_list("external_id", flat=True))
        check.not_in_history = sorted(set(listed) - ids)
        check.not_invoiced = sorted(ids - set(listed))
    return check
