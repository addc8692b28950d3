"""A customer's personal data: exported whole, then erased with the figures kept."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from surveys.models import FollowUp, Invitation, InvitationStatus, RepeatCause, Response
from surveys.tokens import token_issue
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.factories import InvitationFactory
from tickets.models import Contact, Customer, Ticket

pytestmark = pytest.mark.django_db

WHEN = datetime(2024, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def history():
    """Alice: a contact with a sent invitation answered with a comment, a repeat cause and a
    follow-up note, then a contact with a pending invitation; Bob: a contact and his answer."""
    alice = CustomerFactory(external_id="alice", email="alice@example.com", phone="+33600000000")
    contact = ContactFactory(ticket__customer=alice, external_id="K1")
    sent = InvitationFactory(contact=contact, last_error="550 alice@example.com: no such user")
    response = Response.objects.create(
        contact=contact, ticket=contact.ticket, invitation=sent, kind="csat", score=1,
        scale_min=1, scale_max=5, comment="Alice Martin, 12 rue des Lilas: nobody called back",
        responded_at=WHEN,
    )  # fmt: skip
    cause = RepeatCause.objects.create(
        contact=contact, code="unclear_answer", comment="my son read it", answered_at=WHEN
    )
    FollowUp.objects.create(kind="low_score", response=response, contact=contact, note="call her")
    later = ContactFactory(ticket__customer=alice, external_id="K3", started_at=WHEN)
    pending = InvitationFactory(contact=later, status=InvitationStatus.PENDING, sent_at=None)
    bob = ContactFactory(ticket__customer=CustomerFactory(external_id="bob"), external_id="K2")
    Response.objects.create(
        contact=bob, kind="nps", score=9, scale_min=0, scale_max=10, comment="Bob: fine",
        responded_at=WHEN,
    )  # fmt: skip
    return {"alice": alice, "sent": sent, "pending": pending, "cause": cause}


def run(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("personal_data", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_export_holds_everything_about_the_customer_and_nothing_of_others(history):
    data = json.loads(run("export", "alice"))

    assert data["customer"]["email"] == "alice@example.com"
    assert data["customer"]["phone"] == "+33600000000"
    assert [c["external_id"] for c in data["contacts"]] == ["K1", "K3"]
    assert len(data["tickets"]) == 2
    [answer] = data["survey_responses"]
    assert answer["comment"].startswith("Alice Martin") and answer["score"] == 1
    assert data["repeat_causes"][0]["comment"] == "my son read it"
    assert len(data["survey_invitations"]) == 2
    assert data["follow_ups"][0]["note"] == "call her"
    assert "Bob" not in json.dumps(data)


def test_the_export_goes_to_a_file_when_asked(history, tmp_path):
    path = tmp_path / "alice.json"

    run("export", "alice", "--output", str(path))

    assert json.loads(path.read_text())["customer"]["external_id"] == "alice"


def test_erasing_removes_what_identifies_the_customer_and_keeps_the_figures(history, client):
    link = token_issue(history["sent"], "answer")
    before = (Contact.objects.count(), Ticket.objects.count(), Response.objects.count())

    output = run("erase", "alice", "--yes")

    assert not Customer.objects.filter(external_id="alice").exists()
    erased = Customer.objects.get(external_id__startswith="erased-")
    assert erased.external_id in output
    assert (erased.email, erased.phone, erased.language) == ("", "", "")
    assert erased.opted_out_at is not None
    assert (Contact.objects.count(), Ticket.objects.count(), Response.objects.count()) == before
    assert Response.objects.get(contact__external_id="K1").score == 1
    assert Response.objects.get(contact__external_id="K1").comment == ""
    assert RepeatCause.objects.get().comment == "" and FollowUp.objects.get().note == ""
    assert Invitation.objects.get(pk=history["sent"].pk).last_error == ""
    assert Invitation.objects.get(pk=history["pending"].pk).status == InvitationStatus.CANCELLED
    assert client.get(reverse("surveys:answer", args=[link])).status_code == 404
    assert Response.objects.get(contact__external_id="K2").comment == "Bob: fine"
    exported = json.loads(run("export", erased.external_id))
    assert "Alice" not in json.dumps(exported) and "alice@" not in json.dumps(exported)


def test_erasing_asks_for_confirmation_and_an_unknown_id_is_named(history):
    with pytest.raises(CommandError, match="--yes"):
        run("erase", "alice")
    with pytest.raises(CommandError, match="No customer has the id “carol”"):
        run("export", "carol")

    assert Customer.objects.get(external_id="alice").email == "alice@example.com"


def test_the_command_speaks_french(history):
    with translation.override("fr"), pytest.raises(CommandError) as failure:
        call_command("personal_data", "erase", "alice")

    assert "effacement est définitif" in str(failure.value)
    assert "--yes" in str(failure.value)


# --- The API: the helpdesk passes its customers' requests on -------------------------------


def test_an_integration_exports_then_erases_a_customer(history, integration):
    url = reverse("api-customer-personal-data", args=["alice"])

    exported = integration.get(url)
    erased = integration.delete(url)

    assert exported.status_code == 200
    assert exported.json()["customer"]["email"] == "alice@example.com"
    assert erased.status_code == 200
    assert erased.json()["customer"].startswith("erased-")
    assert erased.json()["changed"]["survey_responses"] == 1
    assert integration.get(url).status_code == 404
    assert Customer.objects.get(external_id=erased.json()["customer"]).email == ""


def test_history_pushed_later_under_an_erased_id_writes_no_contact_details(history, integration):
    run("erase", "alice", "--yes")
    contact = {
        "contact_id": "K9", "customer_id": "alice", "channel": "chat", "reason": "billing",
        "direction": "inbound", "started_at": "2024-03-05T10:00:00Z",
        "customer_email": "alice@example.com", "customer_phone": "+33600000000",
        "customer_name": "Alice Martin", "customer_language": "fr",
    }  # fmt: skip

    first = integration.post(reverse("api-contacts"), contact, format="json")
    again = integration.post(
        reverse("api-contacts"), {**contact, "contact_id": "K10"}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    alice = Customer.objects.get(external_id="alice")
    assert (alice.email, alice.phone, alice.name, alice.language) == ("", "", "", "")
    assert alice.opted_out_at is not None
    assert Contact.objects.get(external_id="K10").customer == alice
    # Another customer's details are written as always.
    integration.post(
        reverse("api-contacts"), {**contact, "contact_id": "K11", "customer_id": "carol"},
        format="json",
    )  # fmt: skip
    assert Customer.objects.get(external_id="carol").email == "alice@example.com"


def test_an_import_naming_an_erased_id_opts_that_customer_out(history, tmp_path):
    run("erase", "alice", "--yes")
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,customer_id,reason,priority,created_at,solved_at\n"
        "T7,alice,billing,normal,2024-03-05T10:00:00Z,\n"
        "T8,bob,billing,normal,2024-03-05T10:00:00Z,\n"
    )
    (tmp_path / "contacts.csv").write_text(
        "contact_id,ticket_id,customer_id,channel,reason,agent_id,team,direction,"
        "started_at,answered_at,ended_at,handle_seconds\n"
        "K7,T7,alice,chat,billing,,,inbound,2024-03-05T10:00:00Z,,,\n"
        "K8,T8,bob,chat,billing,,,inbound,2024-03-05T10:00:00Z,,,\n"
    )

    call_command("import_history", str(tmp_path), stdout=io.StringIO())

    assert Customer.objects.get(external_id="alice").opted_out_at is not None
    assert Customer.objects.get(external_id="bob").opted_out_at is None


@pytest.mark.parametrize("persona", ["quality_manager", "agent"])
def test_only_integrations_and_staff_reach_personal_data(history, request, client, persona):
    url = reverse("api-customer-personal-data", args=["alice"])
    caller = request.getfixturevalue(persona)

    assert (caller.get(url).status_code, caller.delete(url).status_code) == (403, 403)
    assert client.get(url).status_code in (401, 403)
    assert Customer.objects.get(external_id="alice").email == "alice@example.com"


def test_staff_may_erase_by_hand(history, staff):
    response = staff.delete(reverse("api-customer-personal-data", args=["alice"]))

    assert response.status_code == 200
    assert not Customer.objects.filter(external_id="alice").exists()
