"""Many items checked at once give exactly what the REST API's serializers give, one by one:
the same data for good items, the same fields and messages for bad ones."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from tickets.item_checks import items_check
from tickets.serializers import ContactInputSerializer, TicketInputSerializer

NOW = datetime.now(UTC)
AGO = (NOW - timedelta(days=2)).isoformat()
LATER = (NOW - timedelta(days=1)).isoformat()
CONTACT = {
    "contact_id": "C1", "ticket_id": "T1", "customer_id": "CU1", "channel": "chat",
    "reason": "billing", "agent_id": "A1", "team": None, "direction": "inbound",
    "started_at": AGO, "answered_at": LATER, "customer_email": "ana@example.com",
    "customer_phone": "",
}  # fmt: skip
TICKET = {
    "ticket_id": "T1", "customer_id": "CU1", "reason": "billing", "priority": "normal",
    "created_at": AGO, "solved_at": None,
}  # fmt: skip

CONTACTS = [
    CONTACT,
    {k: v for k, v in CONTACT.items() if k not in ("ticket_id", "agent_id", "customer_phone")},
    {**CONTACT, "customer_email": "not an address"},
    {**CONTACT, "contact_id": "x" * 65},
    {**CONTACT, "contact_id": ""},
    {**CONTACT, "contact_id": 12},
    {**CONTACT, "reason": "fact\u00e9ration"},
    {**CONTACT, "reason": "nul\x00"},
    {**CONTACT, "customer_name": "\ud800"},
    {**CONTACT, "channel": "pigeon"},
    {**CONTACT, "channel": None},
    {**CONTACT, "started_at": "2024-03-01T09:00:00"},
    {**CONTACT, "started_at": "yesterday"},
    {**CONTACT, "started_at": "9999-01-01T00:00:00Z"},
    {**CONTACT, "started_at": "1900-01-01T00:00:00+00:00"},
    {**CONTACT, "answered_at": (NOW - timedelta(days=3)).isoformat()},
    {**CONTACT, "ended_at": AGO, "answered_at": LATER},
    {**CONTACT, "handle_seconds": 120},
    {**CONTACT, "handle_seconds": -1},
    {**CONTACT, "handle_seconds": 10**9},
    {**CONTACT, "handle_seconds": True},
    {**CONTACT, "handle_seconds": "120"},
    {**CONTACT, "do_not_survey": True},
    {**CONTACT, "do_not_survey": "yes"},
    {**CONTACT, "customer_language": "fr"},
    {**CONTACT, "customer_language": "klingon"},
    {**CONTACT, "surname": "Martin"},
    {k: v for k, v in CONTACT.items() if k != "customer_id"},
    ["not", "an", "object"],
]
TICKETS = [
    TICKET,
    {**TICKET, "solved_at": LATER},
    {**TICKET, "solved_at": (NOW - timedelta(days=3)).isoformat()},
    {**TICKET, "priority": "urgent"},
    {**TICKET, "priority": "whenever"},
    {**TICKET, "customer_id": None},
    {k: v for k, v in TICKET.items() if k not in ("priority", "solved_at")},
]


def one_by_one(serializer_class, items):
    checked: list[dict | None] = []
    errors: dict[int, dict] = {}
    for index, item in enumerate(items):
        serializer = serializer_class(data=item)
        if serializer.is_valid():
            checked.append(dict(serializer.validated_data))
        else:
            checked.append(None)
            errors[index] = {k: list(v) for k, v in serializer.errors.items()}
    return checked, errors


@pytest.mark.parametrize(
    ("serializer_class", "items"),
    [(ContactInputSerializer, CONTACTS), (TicketInputSerializer, TICKETS)],
)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_batch_is_checked_as_the_serializer_checks_each_item(
    serializer_class, items, language, monkeypatch
):
    # The window's edges are in the messages: the same now for both ways.
    monkeypatch.setattr("tickets.bounds.timezone.now", lambda: NOW)
    with translation.override(language):
        expected = one_by_one(serializer_class, items)
        checked, errors = items_check(serializer_class, items)

    assert errors == expected[1]
    assert checked == expected[0]
    assert [i for i, row in enumerate(checked) if row is None] == sorted(errors)
    assert errors and any(row is not None for row in checked)
