"""People read labels, never codes: the contact-reason catalogue, filled by every way history
comes in, named in the admin, and shown on pages, survey questions and exports."""

import re
from datetime import UTC, datetime
from typing import cast

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from surveys.models import Invitation
from tests.surveys.factories import InvitationFactory, questionnaire
from tickets.labels import channel_label, reason_choices, reason_label, reasons_ensure
from tickets.models import ContactReason

pytestmark = pytest.mark.django_db


def _contact(n: int, reason: str) -> dict:
    start = datetime(2024, 3, 1, 9, n, tzinfo=UTC).isoformat()
    return {
        "contact_id": f"C{n}", "ticket_id": f"T{n}", "customer_id": f"CU{n}", "channel": "phone",
        "reason": reason, "direction": "inbound", "started_at": start,
    }  # fmt: skip


def test_a_reason_sent_through_the_api_joins_the_catalogue_labelled_by_its_code(integration):
    response = integration.post("/api/v1/contacts/", [_contact(1, "delivery")], format="json")

    assert response.status_code in (200, 201)
    reason = ContactReason.objects.get(code="delivery")
    assert (reason.label_fr, reason.label_en, reason.active) == ("delivery", "delivery", True)
    assert reason_label("delivery") == "delivery"


def test_a_label_named_in_the_admin_is_read_at_once_in_each_language(settings):
    reasons_ensure(["delivery"])
    assert reason_label("delivery") == "delivery"  # now cached

    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(admin)
    reason = ContactReason.objects.get(code="delivery")
    response = client.post(
        f"/admin/tickets/contactreason/{reason.pk}/change/",
        {"label_fr": "Livraison", "label_en": "Delivery", "active": "on"},
    )

    assert response.status_code == 302
    from django.utils import translation

    with translation.override("fr"):
        assert reason_label("delivery") == "Livraison"
    with translation.override("en"):
        assert reason_label("delivery") == "Delivery"
        assert reason_label("unknown_code") == "unknown_code"
        assert channel_label("click_to_call") == "Click to call"


def test_sending_known_reasons_again_costs_no_query(django_assert_num_queries):
    reasons_ensure(["billing", "delivery"])
    reason_label("billing")  # the catalogue read once, then cached

    with django_assert_num_queries(0):
        reasons_ensure(["delivery", "billing"])


def test_the_repeat_question_names_the_reason_by_its_label(client):
    ContactReason.objects.create(code="delivery", label_fr="Livraison", label_en="Delivery")
    invitation = cast(
        Invitation,
        InvitationFactory(
            questionnaire=questionnaire("Repeat contact"), contact__reason="delivery", language="fr"
        ),
    )

    page = client.get(_answer_url(invitation)).content.decode()

    assert "« Livraison »" in page
    assert "« delivery »" not in page


def test_the_lists_and_their_exports_show_reasons_and_channels_by_label():
    from tests.factories import ContactFactory

    ContactReason.objects.create(code="delivery", label_fr="Livraison", label_en="Delivery")
    ContactFactory(reason="delivery", channel="click_to_call")
    manager = User.objects.create_user("qm", password="pw")
    manager.groups.add(Group.objects.get_or_create(name="quality_managers")[0])
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(manager)
    query = "?from=2024-03-01&to=2024-03-31"

    page = client.get("/dashboard/contacts/" + query).content.decode()
    body = client.get("/dashboard/contacts/" + query + "&export=csv").content.decode("utf-8-sig")

    for text in (page, body):
        shown = re.sub(r'(value|href)="[^"]*"', "", text)  # codes stay in values and links
        assert "Livraison" in shown
        assert "delivery" not in shown
        assert "click_to_call" not in shown


def _answer_url(invitation: Invitation) -> str:
    from tests.surveys.test_answer_pages import answer_url

    return answer_url(invitation)


def test_only_active_reasons_are_offered_and_a_change_in_the_admin_shows_at_once():
    reasons_ensure(["billing", "delivery"])
    assert [code for code, _label in reason_choices()] == ["billing", "delivery"]

    ContactReason.objects.get(code="billing").save()  # a save forgets the cache
    reason = ContactReason.objects.get(code="delivery")
    reason.active = False
    reason.save()

    assert [code for code, _label in reason_choices()] == ["billing"]
    assert [code for code, _label in reason_choices("delivery")] == ["billing", "delivery"]
