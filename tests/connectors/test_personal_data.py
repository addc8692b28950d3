"""The helpdesk bodies about a customer are part of their personal data: exported and erased
with the rest; and a body about a customer already erased writes no contact details again."""

from datetime import timedelta

import pytest

from connectors.models import Kind, Mapping, Payload, PayloadState
from connectors.processing import payloads_process
from surveys.models import Invitation, InvitationStatus
from tests.surveys.factories import PolicyFactory
from tickets.models import Contact, Customer
from tickets.personal_data import customer_erase, customer_export

from . import bodies
from .conftest import post, source_create

pytestmark = pytest.mark.django_db


def conversation(number: int, at, sender: int, email: str, event="conversation_opened", **more):
    body = bodies.chatwoot(number, at, event)
    body["meta"]["sender"].update(id=sender, email=email)
    body.update(more)
    return body


@pytest.fixture
def history(client):
    """Tom (Chatwoot contact 55): a conversation opened then resolved, and a body on a channel
    not mapped yet (failed, so not linked to him); Ana (56): a conversation."""
    source = source_create(Kind.CHATWOOT)
    at = bodies.now() - timedelta(hours=2)
    for body in (
        conversation(1, at, 55, "tom@example.com"),
        conversation(1, at + timedelta(minutes=5), 55, "tom@example.com", "conversation_resolved"),
        conversation(2, at, 55, "tom@example.com", channel="Channel::Carrier"),
        conversation(3, at, 56, "ana@example.com"),
    ):
        post(client, source, body)
    payloads_process()
    return source


def test_a_customers_bodies_are_exported_then_erased_and_nobody_elses(history):
    tom = Customer.objects.get(external_id="cw-55")

    exported = customer_export(tom)["helpdesk_bodies"]
    erased = customer_erase(tom)

    assert [(b["body"]["id"], b["state"]) for b in exported] == [
        (1, PayloadState.DONE), (1, PayloadState.DONE), (2, PayloadState.FAILED),
    ]  # fmt: skip
    assert all(b["body"]["meta"]["sender"]["email"] == "tom@example.com" for b in exported)
    assert erased["helpdesk_bodies"] == 3
    assert "tom@example.com" not in "".join(Payload.objects.values_list("body", flat=True))
    assert Payload.objects.get().state == PayloadState.DONE  # Ana's
    assert customer_export(Customer.objects.get(external_id="cw-56"))["helpdesk_bodies"]
    assert Contact.objects.filter(external_id="cw-1").exists()  # the history stays


def test_a_body_about_an_erased_customer_records_history_but_no_details_and_no_survey(
    client, history
):
    PolicyFactory(trigger="ticket_solved", delivery="link", delay_minutes=0)
    customer_erase(Customer.objects.get(external_id="cw-55"))
    Mapping.objects.create(source=history, kind="channel", remote="Channel::Carrier", value="chat")
    at = bodies.now() - timedelta(minutes=30)

    post(client, history, conversation(4, at, 55, "tom@example.com", "conversation_resolved"))
    payloads_process()

    again = Customer.objects.get(external_id="cw-55")
    assert (again.email, again.phone, again.name) == ("", "", "")
    assert again.opted_out_at is not None
    assert Contact.objects.get(external_id="cw-4").customer == again
    [decided] = Invitation.objects.filter(ticket__external_id="cw-4")
    assert decided.status == InvitationStatus.SKIPPED
    # Someone else's resolved conversation, in the same way, is asked about.
    post(client, history, conversation(5, at, 57, "lea@example.com", "conversation_resolved"))
    payloads_process()
    assert Customer.objects.get(external_id="cw-57").email == "lea@example.com"
    assert Invitation.objects.get(ticket__external_id="cw-5").status == InvitationStatus.PENDING
