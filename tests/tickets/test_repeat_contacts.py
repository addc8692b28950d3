"""Repeat-contact marking: exact at the window's edges and whatever order history arrives in."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from tickets.models import Contact, Ticket
from tickets.records import ContactRecord, TicketRecord
from tickets.services import contacts_upsert, tickets_upsert

T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def contact(ext: str, at: datetime, *, customer="c1", reason="billing", direction="inbound",
            ticket="t1") -> ContactRecord:  # fmt: skip
    return ContactRecord(
        external_id=ext, customer=customer, channel="phone", reason=reason,
        direction=direction, started_at=at, ticket=ticket,
    )  # fmt: skip


def flags() -> dict[str, tuple[bool, bool, str | None]]:
    return {
        c.external_id: (
            c.is_repeat,
            c.followed_in_window,
            c.previous_contact.external_id if c.previous_contact else None,
        )
        for c in Contact.objects.select_related("previous_contact")
    }


@pytest.mark.django_db
def test_a_contact_exactly_seven_days_later_is_a_repeat_one_second_more_is_not():
    contacts_upsert([
        contact("1", T0),
        contact("2", T0 + WEEK),
        contact("3", T0 + WEEK + WEEK + timedelta(seconds=1)),
    ])  # fmt: skip

    assert flags() == {
        "1": (False, True, None),
        "2": (True, False, "1"),
        "3": (False, False, "2"),
    }


@pytest.mark.django_db
def test_only_inbound_contacts_of_the_same_customer_and_reason_count():
    contacts_upsert([
        contact("1", T0),
        contact("2", T0 + timedelta(hours=1), reason="delivery"),
        contact("3", T0 + timedelta(hours=2), customer="c2", ticket="t2"),
        contact("4", T0 + timedelta(hours=3), direction="outbound"),
    ])  # fmt: skip

    assert {ext for ext, (rep, fol, _) in flags().items() if rep or fol} == set()


@pytest.mark.django_db
def test_a_second_contact_in_the_same_second_is_a_repeat_of_the_first():
    # Ordered by (started_at, id), the second started 0 s after the first: at most 7 days.
    contacts_upsert([contact("1", T0), contact("2", T0)])

    assert flags() == {"1": (False, True, None), "2": (True, False, "1")}


@pytest.mark.django_db
def test_marking_is_the_same_whatever_order_history_arrives_in():
    times = [T0 + timedelta(days=d, hours=h) for d, h in [(0, 0), (3, 1), (9, 0), (15, 5), (16, 0)]]
    records = [contact(str(i), at) for i, at in enumerate(times)]
    contacts_upsert(records)
    in_order = flags()
    Contact.objects.all().delete()

    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    for record in shuffled:  # one at a time, as a live helpdesk would send them
        contacts_upsert([record])

    assert flags() == in_order
    assert in_order["4"] == (True, False, "3")


@pytest.mark.django_db
def test_a_late_contact_in_between_breaks_and_remakes_links():
    contacts_upsert([contact("a", T0), contact("c", T0 + timedelta(days=10))])
    assert flags()["c"] == (False, False, "a")

    contacts_upsert([contact("b", T0 + timedelta(days=5))])

    assert flags() == {
        "a": (False, True, None),
        "b": (True, True, "a"),
        "c": (True, False, "b"),
    }


@pytest.mark.django_db
def test_ticket_facts_follow_its_contacts_and_the_customers_return():
    tickets_upsert([TicketRecord("t1", "c1", "billing", T0, solved_at=T0 + timedelta(hours=2))])
    contacts_upsert([contact("1", T0), contact("2", T0 + timedelta(hours=1))])
    ticket = Ticket.objects.get()
    assert (ticket.inbound_count, ticket.first_inbound_contact.external_id) == (2, "1")
    assert ticket.recontact_in_window is False

    contacts_upsert([contact("3", T0 + timedelta(hours=2) + WEEK, ticket="t9")])

    ticket.refresh_from_db()
    assert ticket.recontact_in_window is True
