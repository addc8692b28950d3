"""rows_update writes exactly the named fields of many rows, on PostgreSQL as on SQLite."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.forms.models import model_to_dict

from tests.factories import AgentFactory, ContactFactory, CustomerFactory
from tickets import signals
from tickets.bulk import rows_update
from tickets.models import Contact, Customer, Ticket
from tickets.records import ContactRecord, TicketRecord
from tickets.services import history_upsert

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_named_fields_are_written_and_the_others_left_alone():
    contacts = ContactFactory.create_batch(3, handle_seconds=100)
    other_agent = AgentFactory()
    paris = ZoneInfo("Europe/Paris")
    for n, contact in enumerate(contacts):
        contact.reason = f"reason {n}"
        contact.agent = other_agent if n == 0 else None
        contact.answered_at = (T0 + timedelta(seconds=n)).astimezone(paris)
        contact.do_not_survey = n == 1
        contact.handle_seconds = None
        contact.channel = "email"  # not named: stays phone

    rows_update(
        Contact, contacts, ["reason", "agent_id", "answered_at", "do_not_survey", "handle_seconds"]
    )

    saved = {c.external_id: c for c in Contact.objects.all()}
    for n, contact in enumerate(contacts):
        row = saved[contact.external_id]
        assert row.reason == f"reason {n}"
        assert row.agent_id == (other_agent.pk if n == 0 else None)
        assert row.answered_at == T0 + timedelta(seconds=n)
        assert row.do_not_survey is (n == 1)
        assert row.handle_seconds is None
        assert row.channel == "phone"


@pytest.mark.django_db
def test_more_rows_than_one_statement_takes_are_all_written():
    Customer.objects.bulk_create([Customer(external_id=str(n)) for n in range(1203)])
    customers = list(Customer.objects.order_by("pk"))
    for customer in customers:
        customer.email = f"{customer.external_id}@example.com"

    rows_update(Customer, customers, ["email"])

    assert all(c.email == f"{c.external_id}@example.com" for c in Customer.objects.all())


@pytest.mark.django_db
def test_nothing_to_write_runs_no_query(django_assert_num_queries):
    CustomerFactory()

    with django_assert_num_queries(0):
        rows_update(Customer, [], ["email"])


@pytest.mark.django_db
def test_rows_not_given_are_untouched():
    kept, changed = CustomerFactory(email="kept@example.com"), CustomerFactory()
    before = model_to_dict(kept)
    changed.email = "new@example.com"

    rows_update(Customer, [changed], ["email"])

    kept.refresh_from_db()
    assert model_to_dict(kept) == before


@pytest.mark.django_db
def test_history_upsert_writes_contacts_then_tickets_and_announces_each_once():
    at = datetime(2024, 3, 1, 9, tzinfo=UTC)
    heard = []

    def listen(signal_name):
        return lambda sender, **kwargs: heard.append((signal_name, kwargs.get("source")))

    recorded, solved = listen("contact_recorded"), listen("ticket_solved")
    signals.contact_recorded.connect(recorded)
    signals.ticket_solved.connect(solved)
    try:
        history_upsert(
            [ContactRecord("C1", "CU1", "chat", "billing", "inbound", at, ticket="T1")],
            [TicketRecord("T1", "CU1", "billing", at, solved_at=at)],
            "connector",
        )
    finally:
        signals.contact_recorded.disconnect(recorded)
        signals.ticket_solved.disconnect(solved)

    assert heard == [("contact_recorded", "connector"), ("ticket_solved", "connector")]
    ticket = Ticket.objects.get(external_id="T1")
    assert ticket.solved_at == at and ticket.inbound_count == 1
    assert Contact.objects.get(external_id="C1").ticket == ticket
