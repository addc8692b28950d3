"""Every body the four helpdesks publish, through the real webhook address: what is written
(tickets, contacts, customers, answers), what surveys decide next, and why a body is left out.

Bodies are read from ../shared/fixtures/helpdesk-payloads (skipped, with the reason, when a
clone has no shared/ beside it; required in CI).
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.models import Kind, Mapping, Payload, PayloadState
from connectors.processing import payloads_process
from surveys.models import Invitation, InvitationStatus, Response
from tests.surveys.factories import PolicyFactory
from tickets.models import Contact, Customer, Ticket

from .conftest import post, source_create

pytestmark = pytest.mark.django_db

LATER = datetime.now(UTC) + timedelta(days=1)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def policies():
    """Active link policies that still decide on bodies years old (their expiry is long)."""
    common = {"delivery": "link", "delay_minutes": 0, "expire_after_days": 30000}
    return (
        PolicyFactory(trigger="contact_handled", position=1, **common),
        PolicyFactory(trigger="ticket_solved", position=2, **common),
    )


def feed(client, source, vendor_bodies, name: str, **signing) -> Payload:
    response = post(client, source, vendor_bodies(name), **signing)
    assert response.status_code == 202, response.content
    payloads_process()
    return Payload.objects.latest("pk")


# --- Zendesk ---------------------------------------------------------------------------------


def test_zendesk_ticket_created_event_records_the_ticket_and_its_opening_contact(
    client, vendor_bodies, policies
):
    source = source_create(Kind.ZENDESK)

    payload = feed(client, source, vendor_bodies, "zendesk/webhook_ticket_created_captured.json")

    assert payload.state == PayloadState.DONE, payload.reason
    ticket = Ticket.objects.get(external_id="zd-5158")
    assert (ticket.customer.external_id, ticket.priority, ticket.reason) == (
        "zd-8447388090494", "low", "other",
    )  # fmt: skip
    assert ticket.created_at == t("2025-01-08T10:12:07Z") and ticket.solved_at is None
    contact = Contact.objects.get(external_id="zd-5158")
    assert (contact.channel, contact.direction, contact.ticket_id) == (
        "web_form",
        "inbound",
        ticket.pk,
    )
    assert (contact.agent.external_id, contact.team.external_id) == (
        "zd-8447388090494",
        "zd-8447320466430",
    )
    # Open and not answered yet: surveys wait.
    assert contact.answered_at is None and not Invitation.objects.exists()


def test_zendesk_incremental_export_records_tickets_and_their_satisfaction_ratings(
    client, vendor_bodies, policies
):
    source = source_create(Kind.ZENDESK)
    Mapping.objects.create(source=source, kind="reason", remote="enterprise", value="billing")

    payload = feed(client, source, vendor_bodies, "zendesk/incremental_tickets_export.json")

    assert payload.state == PayloadState.DONE, payload.reason
    ticket = Ticket.objects.get(external_id="zd-35436")
    assert (ticket.reason, ticket.priority, ticket.created_at) == (
        "billing", "high", t("2009-07-20T22:55:29Z"),
    )  # fmt: skip
    contact = Contact.objects.get(external_id="zd-35436")
    assert (contact.channel, contact.customer.external_id, contact.agent.external_id) == (
        "web_form", "zd-20978392", "zd-235323",
    )  # fmt: skip
    rating = Response.objects.get(external_id="zd-csat-1234")
    assert (rating.kind, rating.score, rating.comment) == ("csat", 5, "Great support!")
    assert (rating.ticket_id, rating.contact_id) == (ticket.pk, contact.pk)
    assert rating.responded_at == t("2011-05-05T10:38:52Z")


def test_zendesk_metric_events_without_a_first_reply_are_ignored_with_the_reason(
    client, vendor_bodies
):
    source = source_create(Kind.ZENDESK)

    payload = feed(client, source, vendor_bodies, "zendesk/incremental_ticket_metric_events.json")

    assert payload.state == PayloadState.IGNORED
    assert "first reply" in payload.reason
    assert not Contact.objects.exists()


def _zendesk_ticket(ticket_id: int, status: str = "open", **detail) -> dict:
    return {
        "type": "zen:event-type:ticket.status_changed",
        "id": f"event-{ticket_id}-{status}",
        "time": "2024-05-02T10:00:00Z",
        "detail": {
            "id": str(ticket_id), "requester_id": "7881", "assignee_id": "135", "group_id": "44",
            "status": status.upper(), "priority": "NORMAL", "via": {"channel": "email"},
            "created_at": "2011-07-20T20:00:00Z", "updated_at": "2024-05-02T10:00:00Z", **detail,
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    "name, expected",
    [
        ("zendesk/satisfaction_ratings_list.json", {"zd-csat-35436": 5, "zd-csat-120447": 5}),
        ("zendesk/satisfaction_rating_object.json", {"zd-csat-35436": 5}),
    ],
)
def test_zendesk_ratings_wait_for_their_tickets_then_become_csat_answers(
    client, vendor_bodies, name, expected
):
    source = source_create(Kind.ZENDESK)

    payload = feed(client, source, vendor_bodies, name)

    # Tickets 208 and 209 have not been received: the ratings wait for them.
    assert (payload.state, payload.attempts) == (PayloadState.PENDING, 1)
    assert "zd-208" in payload.reason and not Response.objects.exists()
    for ticket in (208, 209):
        post(client, source, _zendesk_ticket(ticket, "solved"))
    payloads_process(now=LATER)
    payload.refresh_from_db()
    assert payload.state == PayloadState.DONE, payload.reason
    assert dict(Response.objects.values_list("external_id", "score")) == expected
    assert Response.objects.get(external_id="zd-csat-35436").ticket.external_id == "zd-208"


def test_zendesk_csat_survey_response_becomes_a_csat_answer_with_its_comment(client, vendor_bodies):
    source = source_create(Kind.ZENDESK)
    post(client, source, _zendesk_ticket(99))

    payload = feed(client, source, vendor_bodies, "zendesk/csat_survey_responses_list.json")

    assert payload.state == PayloadState.DONE, payload.reason
    answer = Response.objects.get(external_id="zd-csat-01J1WB51MG6HXTYWE6Q0C93RNW")
    assert (answer.score, answer.ticket.external_id) == (1, "zd-99")
    assert answer.comment == "I had to repeatedly answer the same questions."


@pytest.mark.parametrize(
    "name",
    [
        "zendesk/csat_survey_response_skipped.json",
        "zendesk/csat_survey_response_submit_request.json",
    ],
)
def test_zendesk_survey_bodies_without_a_rated_ticket_are_ignored(client, vendor_bodies, name):
    source = source_create(Kind.ZENDESK)

    payload = feed(client, source, vendor_bodies, name)

    assert payload.state == PayloadState.IGNORED and payload.reason
    assert not Response.objects.exists()


# --- Freshdesk -------------------------------------------------------------------------------


def test_freshdesk_ticket_events_record_the_ticket_and_the_requesters_details(
    client, vendor_bodies, policies
):
    source = source_create(Kind.FRESHDESK)

    created = feed(client, source, vendor_bodies, "freshdesk/fdk_onTicketCreate.json")
    updated = feed(client, source, vendor_bodies, "freshdesk/fdk_onTicketUpdate.json")

    assert (created.state, updated.state) == (PayloadState.DONE, PayloadState.DONE)
    ticket = Ticket.objects.get(external_id="fd-1")
    assert (ticket.priority, ticket.solved_at, ticket.created_at) == (
        "low", None, t("2015-07-09T13:08:06Z"),
    )  # fmt: skip
    contact = Contact.objects.get(external_id="fd-1")
    assert (contact.channel, contact.agent.external_id, contact.team.external_id) == (
        "web_form", "fd-320", "fd-351",
    )  # fmt: skip
    # The update's requester (5483) is not this ticket's (129): its details are not used.
    customer = Customer.objects.get(external_id="fd-129")
    assert (customer.email, customer.phone, customer.language) == (
        "rachel@freshdesk.com", "7654367287", "en",
    )  # fmt: skip
    assert not Customer.objects.filter(external_id="fd-5483").exists()
    assert not Invitation.objects.exists()  # open, not answered


def test_freshdesk_agent_reply_answers_the_tickets_contact_and_a_survey_is_decided(
    client, vendor_bodies, policies
):
    source = source_create(Kind.FRESHDESK)
    ticket = json.loads(vendor_bodies("freshdesk/fdk_onTicketCreate.json"))
    ticket["data"]["ticket"].update(id=452, created_at="2015-07-09T12:00:00Z")
    post(client, source, ticket)

    payload = feed(client, source, vendor_bodies, "freshdesk/fdk_onConversationCreate.json")

    assert payload.state == PayloadState.DONE, payload.reason
    contact = Contact.objects.get(external_id="fd-452")
    assert contact.answered_at == t("2015-07-09T13:08:06Z")
    invitation = Invitation.objects.get(contact=contact)
    assert (invitation.status, invitation.policy) == (InvitationStatus.PENDING, policies[0])


def test_freshdesk_contact_created_is_ignored(client, vendor_bodies):
    source = source_create(Kind.FRESHDESK)

    payload = feed(client, source, vendor_bodies, "freshdesk/fdk_onContactCreate.json")

    assert payload.state == PayloadState.IGNORED and payload.reason


def test_freshdesk_ratings_are_imported_and_the_unreadable_one_is_named(client, vendor_bodies):
    source = source_create(Kind.FRESHDESK)
    ticket = json.loads(vendor_bodies("freshdesk/fdk_onTicketCreate.json"))
    ticket["data"]["ticket"]["id"] = 432
    post(client, source, ticket)

    payload = feed(client, source, vendor_bodies, "freshdesk/satisfaction_ratings_list.json")

    assert payload.state == PayloadState.DONE
    # 112 carries the vendor's malformed "2015-08-28T010:08:16Z": left out, and said so.
    assert "112" in payload.reason and "010:08:16" in payload.reason
    answer = Response.objects.get()
    assert (answer.external_id, answer.score, answer.comment) == (
        "fd-csat-102", 5, "Thank you for the quick action",
    )  # fmt: skip


# --- Zammad ----------------------------------------------------------------------------------


def test_zammad_default_payload_records_the_ticket_and_the_answered_call(
    client, vendor_bodies, policies
):
    source = source_create(Kind.ZAMMAD)
    Mapping.objects.create(source=source, kind="team", remote="Service Desk", value="paris_n1")

    payload = feed(client, source, vendor_bodies, "zammad/docs_default_webhook_payload.json")

    assert payload.state == PayloadState.DONE, payload.reason
    ticket = Ticket.objects.get(external_id="zm-81")
    assert (ticket.priority, ticket.solved_at) == ("normal", None)
    contact = Contact.objects.get(external_id="zm-81")
    assert (contact.channel, contact.direction) == ("phone", "inbound")
    assert contact.answered_at == contact.started_at == t("2020-11-13T14:34:35.282Z")
    assert (contact.agent.external_id, contact.team.external_id) == ("zm-5", "paris_n1")
    customer = contact.customer
    assert (customer.external_id, customer.email, customer.phone) == (
        "zm-8", "emily@example.com", "0061 2 1234 7777",
    )  # fmt: skip
    # The opening article is the ticket's contact, not one more.
    assert Contact.objects.count() == 1
    invitation = Invitation.objects.get()
    assert (invitation.contact, invitation.status) == (contact, InvitationStatus.PENDING)


# --- Chatwoot --------------------------------------------------------------------------------


def test_chatwoot_conversation_events_open_then_resolve_the_ticket(client, vendor_bodies, policies):
    source = source_create(Kind.CHATWOOT)

    opened = feed(client, source, vendor_bodies, "chatwoot/docs_conversation_opened.json")
    changed = feed(client, source, vendor_bodies, "chatwoot/docs_conversation_status_changed.json")
    ticket = Ticket.objects.get(external_id="cw-10")
    assert ticket.solved_at is None and not Invitation.objects.exists()
    resolved = feed(client, source, vendor_bodies, "chatwoot/docs_conversation_resolved.json")

    assert {opened.state, changed.state, resolved.state} == {PayloadState.DONE}
    ticket.refresh_from_db()
    # "conversation_resolved" says so, whatever its "status": "open".
    assert ticket.solved_at == datetime.fromtimestamp(1627063520, UTC)
    contact = Contact.objects.get(external_id="cw-10")
    assert (contact.channel, contact.agent.external_id, contact.customer.email) == (
        "chat", "cw-1", "jane@acme.inc",
    )  # fmt: skip
    # The widget's start, read from the JavaScript date in additional_attributes.
    assert contact.started_at == t("2021-07-23T18:02:48Z")
    assert contact.answered_at == ticket.solved_at
    # Handled and solved at once: one survey; the ticket's is throttled by the contact's.
    decided = dict(Invitation.objects.values_list("policy", "status"))
    assert decided == {policies[0].pk: "pending", policies[1].pk: "skipped"}
    assert Invitation.objects.get(status="pending").contact == contact


@pytest.mark.parametrize(
    "name", ["chatwoot/docs_message_created.json", "chatwoot/docs_message_updated.json"]
)
def test_chatwoot_customer_messages_record_their_conversation(client, vendor_bodies, name):
    source = source_create(Kind.CHATWOOT)

    payload = feed(client, source, vendor_bodies, name)

    assert payload.state == PayloadState.DONE, payload.reason
    contact = Contact.objects.get(external_id="cw-10")
    assert (contact.channel, contact.answered_at, contact.ticket.solved_at) == ("chat", None, None)


def test_chatwoot_widget_opened_is_ignored(client, vendor_bodies):
    source = source_create(Kind.CHATWOOT)

    payload = feed(client, source, vendor_bodies, "chatwoot/docs_webwidget_triggered.json")

    assert payload.state == PayloadState.IGNORED and "webwidget_triggered" in payload.reason
    assert not Ticket.objects.exists()
