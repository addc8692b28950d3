"""What contacts cost, by type, and whether an outsourcer invoices what it handled.

A handled contact (an agent answered it and its handle time is known) costs its handle time at
its team's cost per agent-hour, or its team's price per contact when the team is paid by the
contact. Contacts of teams with neither are counted apart (`uncosted`), never priced at zero.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from tickets.models import Contact

from .models import Invoice, TeamWorkforce
from .selectors import local_bounds

HANDLED = Q(agent__isnull=False, answered_at__isnull=False, handle_seconds__isnull=False)
HOUR = Decimal(3600)


def _rates() -> dict[int, tuple[Decimal | None, Decimal | None]]:
    rows = TeamWorkforce.objects.values_list("team_id", "cost_per_agent_hour", "price_per_contact")
    return {team: (hourly, each) for team, hourly, each in rows}


def cost_per_contact(first: date, last: date) -> list[dict[str, Any]]:
    """Per reason, channel and direction: contacts handled, AHT, cost per contact (None when
    no contact of that type is costed), and how many were not costed."""
    since, until = local_bounds(first, last)
    rows = (
        Contact.objects.filter(HANDLED, started_at__gte=since, started_at__lt=until)
        .values("reason", "channel", "direction", "team_id")
        .annotate(n=Count("id"), seconds=Sum("handle_seconds"))
        .order_by()
    )
    rates = _rates()
    types: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(
        lambda: {"handled": 0, "seconds": 0, "costed": 0, "cost": Decimal(0)}
    )
    for r in rows:
        t = types[(r["reason"], r["channel"], r["direction"])]
        t["handled"] += r["n"]
        t["seconds"] += r["seconds"]
        hourly, each = rates.get(r["team_id"], (None, None))
        if each is not None:
            t["cost"] += each * r["n"]
        elif hourly is not None:
            t["cost"] += hourly * r["seconds"] / HOUR
        else:
            continue
        t["costed"] += r["n"]
    return [
        {
            "reason": reason,
            "channel": channel,
            "direction": direction,
            "handled": t["handled"],
            "aht_seconds": t["seconds"] / t["handled"],
            "costed": t["costed"],
            "uncosted": t["handled"] - t["costed"],
            "cost_per_contact": round(t["cost"] / t["costed"], 2) if t["costed"] else None,
        }
        for (reason, channel, direction), t in sorted(types.items())
    ]


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
