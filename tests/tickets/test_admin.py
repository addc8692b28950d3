"""The history is browsable in the admin by staff, and by nobody else."""

import pytest
from django.urls import reverse

from tests.factories import ContactFactory


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["team", "agent", "customer", "ticket", "contact"])
def test_staff_can_list_and_open_history_rows(admin_client, model):
    contact = ContactFactory()
    obj = {
        "team": contact.team, "agent": contact.agent, "customer": contact.customer,
        "ticket": contact.ticket, "contact": contact,
    }[model]  # fmt: skip

    listing = admin_client.get(reverse(f"admin:tickets_{model}_changelist"))
    page = admin_client.get(reverse(f"admin:tickets_{model}_change", args=[obj.pk]))

    assert listing.status_code == 200
    assert page.status_code == 200
    assert obj.external_id in listing.content.decode()


@pytest.mark.django_db
def test_a_user_who_is_not_staff_is_sent_to_the_login(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("outsider"))

    response = client.get(reverse("admin:tickets_contact_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
