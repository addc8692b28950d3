"""The helpdesk bodies about a customer, for tickets.personal_data's export and erasure.

A body recorded is linked to the customers it is about (connectors.processing). A body not
recorded (failed, or still waiting) is not linked: it is found by the customer's email or
phone in its text. Erasing deletes them: a body is the helpdesk's raw copy, with whatever the
helpdesk knew about the person.
"""

import json
from typing import Any

from django.db.models import Q, QuerySet

from tickets.models import Customer
from tickets.personal_data import PersonalDataHolder

from .models import Payload

# A phone number shorter than this may appear in any body (an id, a time): not looked for.
_PHONE_MIN_DIGITS = 6


def _bodies(customer: Customer) -> QuerySet[Payload]:
    about = Q(customers=customer)
    if customer.email:
        about |= Q(body__contains=customer.email)
    if sum(c.isdigit() for c in customer.phone) >= _PHONE_MIN_DIGITS:
        about |= Q(body__contains=customer.phone)
    return Payload.objects.filter(pk__in=Payload.objects.filter(about).values("pk"))


def bodies_export(customer: Customer) -> list[dict[str, Any]]:
    rows = []
    for payload in _bodies(customer).select_related("source").order_by("received_at", "pk"):
        try:
            body = json.loads(payload.body)
        except json.JSONDecodeError:
            body = payload.body
        rows.append({
            "source": payload.source.name, "delivery_id": payload.delivery_id,
            "received_at": payload.received_at, "state": payload.state, "body": body,
        })  # fmt: skip
    return rows


def bodies_erase(customer: Customer) -> int:
    _total, deleted = _bodies(customer).delete()
    return deleted.get(Payload._meta.label, 0)


HOLDER = PersonalDataHolder("helpdesk_bodies", bodies_export, bodies_erase)
