"""Two integrations' requests with the same new contacts at the same time, on PostgreSQL."""

import threading

import pytest
from django.db import connections

from tests.tickets.test_api_contacts import URL, contact
from tickets.models import Contact


# Serialized like every transactional test of the suite: a flush without it runs post_migrate,
# which creates the content types again under new ids, and the next serialized test then fails
# to put back the ones it saved.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_batch_sent_twice_at_once_is_written_once(postgres, integration):
    # Customers, agents, teams and tickets known already: the two requests meet only when both
    # insert the same new contacts, and the second one's insert fails on the unique index.
    integration.post(URL, [contact(n, ticket_id=f"T{n}") for n in range(50)], format="json")
    batch = [contact(n, ticket_id=f"T{n % 50}") for n in range(1000, 1300)]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def send():
        try:
            start.wait()
            statuses.append(integration.post(URL, batch, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 201]
    assert Contact.objects.count() == 350
