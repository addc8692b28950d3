"""POST /api/v1/tickets/: one ticket or up to 1,000, upserted by ticket_id."""

from datetime import UTC, datetime, timedelta

import pytest
from django.forms.models import model_to_dict

from tickets import signals
from tickets.models import Customer, Ticket

URL = "/api/v1/tickets/"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def ticket(n: int = 1, **changes) -> dict:
    created = T0 + timedelta(hours=n)
    item = {
        "ticket_id": f"T{n}", "customer_id": f"CU{n % 50}", "reason": "billing",
        "priority": "normal", "created_at": created.isoformat(),
        "solved_at": (created + timedelta(hours=5)).isoformat(),
    }  # fmt: skip
    return item | changes


@pytest.fixture
def solved():
    sent: list[list[int]] = []

    def receiver(sender, ticket_ids, **kwargs):
        sent.append(ticket_ids)

    signals.ticket_solved.connect(receiver)
    yield sent
    signals.ticket_solved.disconnect(receiver)


@pytest.mark.django_db
def test_one_ticket_creates_it_and_its_customer(integration):
    response = integration.post(URL, ticket(1, priority="urgent"), format="json")

    assert response.status_code == 201
    assert response.json()["created_ids"] == ["T1"]
    saved = Ticket.objects.select_related("customer").get()
    assert (saved.customer.external_id, saved.priority) == ("CU1", "urgent")
    assert saved.solved_at == T0 + timedelta(hours=6)


@pytest.mark.django_db
def test_priority_defaults_to_normal_and_an_open_ticket_has_no_solved_at(integration):
    item = ticket(1, solved_at=None)
    del item["priority"]

    integration.post(URL, item, format="json")

    saved = Ticket.objects.get()
    assert (saved.priority, saved.solved_at) == ("normal", None)


@pytest.mark.django_db
def test_sending_the_same_tickets_twice_changes_nothing(integration, solved):
    batch = [ticket(n) for n in range(1, 21)]
    integration.post(URL, batch, format="json")
    before = [model_to_dict(t) for t in Ticket.objects.order_by("pk")]

    second = integration.post(URL, batch, format="json")

    assert second.status_code == 200
    assert {k: second.json()[k] for k in ("created", "updated", "unchanged")} == {
        "created": 0, "updated": 0, "unchanged": 20,
    }  # fmt: skip
    assert [model_to_dict(t) for t in Ticket.objects.order_by("pk")] == before
    assert Customer.objects.count() == 20
    assert len(solved) == 1


@pytest.mark.django_db
def test_solving_an_open_ticket_updates_it_and_announces_it_once(integration, solved):
    integration.post(URL, [ticket(1, solved_at=None), ticket(2, solved_at=None)], format="json")

    response = integration.post(URL, [ticket(1), ticket(2)], format="json")

    assert response.json()["updated_ids"] == ["T1", "T2"]
    assert len(solved) == 1
    assert len(solved[0]) == 2


@pytest.mark.django_db
def test_a_list_of_1000_tickets_is_accepted_and_1001_refused(integration):
    accepted = integration.post(URL, [ticket(n) for n in range(1000)], format="json")
    refused = integration.post(URL, [ticket(n) for n in range(1000, 2001)], format="json")

    assert accepted.status_code == 201
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["index"] is None
    assert Ticket.objects.count() == 1000


BAD = [
    pytest.param({"priority": "whenever"}, "priority", "choice", id="unknown priority"),
    pytest.param({"created_at": "01/03/2024"}, "created_at", "format", id="bad date"),
    pytest.param({"created_at": "2024-03-01T09:00:00"}, "created_at", "time zone", id="naive"),
    pytest.param({"solved_at": "2024-03-02 09:00"}, "solved_at", "time zone", id="naive solve"),
    pytest.param({"solved_at": T0.isoformat()}, "solved_at", "before", id="solved too early"),
    pytest.param({"ticket_id": ""}, "ticket_id", "blank", id="blank id"),
    pytest.param({"customer_id": None}, "customer_id", "null", id="null customer"),
    pytest.param({"reason": "r" * 65}, "reason", "64", id="reason too long"),
    pytest.param({"channel": "phone"}, "channel", "Unknown", id="a contact's field"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_a_bad_ticket_is_named_by_index_and_field_and_nothing_is_written(
    integration, change, field, words
):
    batch = [ticket(n) for n in range(1, 4)]
    batch[1] |= change

    response = integration.post(URL, batch, format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, field)
    assert words in error["message"]
    assert Ticket.objects.count() == Customer.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_ticket_id_is_named(integration):
    item = ticket(1)
    del item["ticket_id"]

    response = integration.post(URL, [item], format="json")

    assert response.json()["errors"] == [
        {"index": 0, "field": "ticket_id", "message": "This field is required."}
    ]
