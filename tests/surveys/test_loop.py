"""Closing the loop: which policy asks a repeat contact, the policy form, team leads' follow-ups,
imported detractors, the agent's wording and figures."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from surveys.admin_forms import SendingPolicyForm
from surveys.followups import followups_raise_for_imported
from surveys.models import FollowUp, FollowUpStatus, Invitation, Response
from tests.factories import ContactFactory, CustomerFactory, TeamFactory
from tests.surveys.factories import PolicyFactory, questionnaire
from tests.surveys.test_decisions import only_invitation, record_contact
from tickets.models import Contact

pytestmark = pytest.mark.django_db


# --- Which policy asks ----------------------------------------------------------------------


def test_a_new_contact_policy_at_the_default_position_leaves_repeats_their_question():
    # Given the repeat question at position 0, and a contact policy added later, left at the
    # default position, whose name sorts first.
    CustomerFactory(external_id="cust_1")
    PolicyFactory(
        name="Question du contact répété",
        trigger="repeat_contact",
        questionnaire=questionnaire("Repeat contact"),
        position=0,
    )
    PolicyFactory(name="A new NPS", questionnaire=questionnaire("NPS"))
    now = timezone.now()
    record_contact("live_1", started_at=now - timedelta(days=2))
    # When the customer comes back
    Invitation.objects.all().delete()
    record_contact("live_2", started_at=now - timedelta(minutes=30))

    # Then the repeat contact gets the repeat question.
    invitation = only_invitation()
    assert invitation.contact is not None and invitation.contact.is_repeat
    assert invitation.questionnaire.kind == "repeat"


def test_a_manager_can_put_a_contact_policy_before_the_repeat_question():
    CustomerFactory(external_id="cust_1")
    PolicyFactory(
        trigger="repeat_contact", questionnaire=questionnaire("Repeat contact"), position=5
    )
    PolicyFactory(name="NPS first", questionnaire=questionnaire("NPS"), position=1)
    now = timezone.now()
    record_contact("live_1", started_at=now - timedelta(days=2))
    Invitation.objects.all().delete()
    record_contact("live_2", started_at=now - timedelta(minutes=30))

    assert only_invitation().questionnaire.kind == "nps"


# --- The policy form ------------------------------------------------------------------------


def _form_data(**changes) -> dict:
    data = {
        "name": "NPS chat",
        "trigger": "contact_handled",
        "questionnaire": questionnaire("NPS").pk,
        "delay_minutes": 60,
        "sampling_rate": "1",
        "throttle_days": 30,
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "delivery": "email",
        "reminder_after_days": 3,
        "expire_after_days": 7,
        "position": 0,
        "channels": ["phone", "chat"],
    }
    data.update(changes)
    return data


def test_the_policy_form_takes_channels_from_a_list_and_starts_inactive():
    form = SendingPolicyForm(data=_form_data())

    assert form.is_valid(), form.errors
    policy = form.save()
    assert policy.channels == ["phone", "chat"]
    assert policy.is_active is False


def test_the_policy_form_refuses_an_unknown_channel():
    form = SendingPolicyForm(data=_form_data(channels=["fax"]))

    assert not form.is_valid()
    assert "channels" in form.errors


def test_equal_quiet_hours_must_be_said_as_no_quiet_hours():
    typo = SendingPolicyForm(data=_form_data(quiet_start="08:00", quiet_end="08:00"))
    meant = SendingPolicyForm(data=_form_data(no_quiet_hours="on"))

    assert not typo.is_valid() and "quiet_end" in typo.errors
    assert meant.is_valid(), meant.errors
    policy = meant.save()
    assert policy.quiet_start == policy.quiet_end


def test_the_policy_list_shows_the_order_policies_are_tried_and_previews_open(admin_client):
    PolicyFactory(name="Question du contact répété", trigger="repeat_contact",
                  questionnaire=questionnaire("Repeat contact"))  # fmt: skip
    PolicyFactory(name="A new NPS", questionnaire=questionnaire("NPS"))

    page = admin_client.get(reverse("admin:surveys_sendingpolicy_changelist")).content.decode()
    nps = questionnaire("NPS").pk
    pages: list[tuple[str, list]] = [
        ("admin:surveys_questionnaire_preview", [nps]),
        ("admin:surveys_questionnaire_preview_email", [nps, "en"]),
        ("admin:surveys_questionnaire_preview_page", [nps, "fr"]),
    ]
    previews = [admin_client.get(reverse(name, args=args)) for name, args in pages]

    repeat_order = page.split("policy-precedence")[1]
    assert repeat_order.index("Question du contact répété") < repeat_order.index("A new NPS")
    assert [p.status_code for p in previews] == [200, 200, 200]
    assert "recommend" in previews[1].content.decode()


# --- Follow-ups a team lead works -------------------------------------------------------------


def _detractor(team) -> FollowUp:
    customer = CustomerFactory(name="Jeanne Martin", email="jeanne@example.com", phone="+33 6 1")
    contact: Contact = ContactFactory(team=team, customer=customer)  # type: ignore[assignment]
    response = Response.objects.create(
        contact=contact, ticket=contact.ticket, kind="csat", score=1, scale_min=1, scale_max=5,
        responded_at=timezone.now() - timedelta(days=1), comment="Nobody called back",
    )  # fmt: skip
    followups_raise_for_imported()
    return FollowUp.objects.get(response=response)


def test_imported_recent_detractors_open_follow_ups_once():
    team = TeamFactory()
    follow_up = _detractor(team)

    again = followups_raise_for_imported()

    assert follow_up.contact is not None
    assert (follow_up.team, follow_up.contact.customer.name) == (team, "Jeanne Martin")
    assert again == 0


def test_an_imported_detractor_on_a_chatbot_ticket_goes_to_the_team_that_took_it_over():
    team = TeamFactory()
    bot: Contact = ContactFactory(channel="chatbot", team=None, agent=None)  # type: ignore[assignment]
    human = ContactFactory(
        ticket=bot.ticket, customer=bot.customer, team=team, channel="phone",
        started_at=bot.started_at + timedelta(minutes=5),
    )  # fmt: skip
    response = Response.objects.create(
        ticket=bot.ticket, kind="nps", score=2, scale_min=0, scale_max=10,
        responded_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip

    followups_raise_for_imported()

    follow_up = FollowUp.objects.get(response=response)
    assert (follow_up.team, follow_up.contact) == (team, human)


def test_a_team_lead_sees_and_works_their_teams_follow_ups_only(client):
    mine, other = TeamFactory(lead_email="lead@example.com"), TeamFactory()
    follow_up, elsewhere = _detractor(mine), _detractor(other)
    lead = User.objects.create_user("lead", "LEAD@example.com", None)
    client.force_login(lead)

    page = client.get(reverse("surveys_staff:followups"))
    saved = client.post(
        reverse("surveys_staff:followup_work", args=[follow_up.pk]),
        {f"f{follow_up.pk}-status": "in_progress", f"f{follow_up.pk}-assigned_to": lead.pk,
         f"f{follow_up.pk}-note": "Calling", f"f{follow_up.pk}-minutes_spent": "5"},
    )  # fmt: skip
    refused = client.post(
        reverse("surveys_staff:followup_work", args=[elsewhere.pk]),
        {f"f{elsewhere.pk}-status": "handled"},
    )

    body = page.content.decode()
    assert "Jeanne Martin" in body and "jeanne@example.com" in body and "+33 6 1" in body
    assert f"follow-up-{elsewhere.pk}" not in body
    assert saved.status_code == 302 and refused.status_code == 404
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.assigned_to, follow_up.minutes_spent) == (
        FollowUpStatus.IN_PROGRESS, lead, 5,
    )  # fmt: skip


def test_an_agent_sent_to_the_follow_ups_gets_a_refusal_page_with_a_way_back(client):
    client.force_login(User.objects.create_user("someone", "someone@example.com", None))

    refused = client.get(reverse("surveys_staff:followups"))

    assert refused.status_code == 403
    assert reverse("home") in refused.content.decode()
    assert 'class="site-nav"' in refused.content.decode()
