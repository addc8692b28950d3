"""A customer's personal data: everything held about them, exported, or erased.

`tickets` knows the customer, their tickets and contacts. An app that keeps more about a
customer (surveys: answers, invitations, follow-ups) registers a holder from its
AppConfig.ready(), so the dependency runs from that app to `tickets`, never back.

Erasing removes what identifies or describes the person and keeps the history's figures:
the customer row stays, under a random id, with no name, email, phone, language or time zone, and
opted out; tickets, contacts, scores and times stay (they hold no personal data once detached),
free texts the customer or a manager wrote about them are emptied, and links sent to them stop
working. KPIs therefore read the same before and after. The former id is kept as a digest
only, so that history the helpdesk sends later about that id writes no contact details and
asks the customer nothing (tickets.services.customers_ensure), by any way in.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Contact, Customer, ErasedCustomer, Ticket, erased_digest

ERASED_PREFIX = "erased-"


@dataclass(frozen=True)
class PersonalDataHolder:
    name: str  # the export's section
    export: Callable[[Customer], list[dict[str, Any]]]
    # Empties what it holds about the customer; returns how many rows it changed.
    erase: Callable[[Customer], int]


_holders: dict[str, PersonalDataHolder] = {}


def personal_data_register(holder: PersonalDataHolder) -> None:
    """Add a section to every export and erasure (idempotent: keyed by name)."""
    _holders[holder.name] = holder


CUSTOMER_FIELDS = ["external_id", "name", "email", "phone", "language", "timezone", "opted_out_at"]
TICKET_FIELDS = ["external_id", "reason", "priority", "created_at", "solved_at"]
CONTACT_FIELDS = [
    "external_id", "ticket__external_id", "channel", "reason", "direction", "agent__external_id",
    "team__external_id", "started_at", "answered_at", "ended_at", "handle_seconds",
]  # fmt: skip


def customer_export(customer: Customer) -> dict[str, Any]:
    """Everything held about `customer`, by section, as plain values (times are datetimes)."""
    data: dict[str, Any] = {
        "customer": Customer.objects.filter(pk=customer.pk).values(*CUSTOMER_FIELDS).get(),
        "tickets": list(
            Ticket.objects.filter(customer=customer).order_by("created_at").values(*TICKET_FIELDS)
        ),
        "contacts": list(
            Contact.objects.filter(customer=customer).order_by("started_at").values(*CONTACT_FIELDS)
        ),
    }
    for name, holder in sorted(_holders.items()):
        data[name] = holder.export(customer)
    return data


@transaction.atomic
def customer_erase(customer: Customer) -> dict[str, int]:
    """Erase `customer`'s personal data (see the module's docstring); rows changed by section."""
    changed = {name: holder.erase(customer) for name, holder in sorted(_holders.items())}
    # The helpdesk may name them by this id again: what it sends then writes no contact
    # details and asks them nothing (tickets.services.customers_ensure).
    ErasedCustomer.objects.get_or_create(
        digest=erased_digest(customer.external_id), defaults={"erased_at": timezone.now()}
    )
    Customer.objects.filter(pk=customer.pk).update(
        external_id=ERASED_PREFIX + secrets.token_hex(12),
        name="",
        email="",
        phone="",
        language="",
        timezone="",
        # Opted out: nothing is ever sent to them again, even if an address comes back.
        opted_out_at=Coalesce("opted_out_at", Value(timezone.now())),
    )
    customer.refresh_from_db()
    changed["customer"] = 1
    return changed
