"""Closing the loop: detractors and repeat causes alert the team lead and wait for a manager."""

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse

from surveys.followups import followup_alert_send
from surveys.models import FollowUp, FollowUpKind
from surveys.services import repeat_cause_record, response_details_record, response_record
from tests.factories import TeamFactory
from tests.surveys.factories import InvitationFactory, questionnaire
from tickets.permissions import QUALITY_MANAGERS_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(external_id="team_lead", lead_email="lead@example.com")


def invitation_for(team, name="NPS", **extra):
    return InvitationFactory(
        questionnaire=questionnaire(name),
        contact__agent__team=team,
        contact__ticket__external_id="T-4242",
        **extra,
    )


@pytest.mark.parametrize(
    ("name", "score", "detractor"),
    [
        ("NPS", 6, True),
        ("NPS", 7, False),
        ("CSAT", 2, True),
        ("CSAT", 3, False),
        ("CES", 3, True),
        ("CES", 4, False),
    ],
)
def test_only_a_detractor_opens_a_follow_up(team, name, score, detractor):
    invitation = invitation_for(team, name)

    response_record(invitation, score)

    assert FollowUp.objects.filter(kind=FollowUpKind.DETRACTOR).exists() is detractor


def test_a_detractor_alerts_the_team_lead_after_commit(team, django_capture_on_commit_callbacks):
    invitation = invitation_for(team)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response_record(invitation, 2)
    assert mail.outbox == []  # nothing goes out before the answer is committed
    for callback in callbacks:
        callback()

    (message,) = mail.outbox
    assert message.to == ["lead@example.com"]
    assert "T-4242" in message.subject
    assert "2" in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for part in (message.body, html):
        assert "T-4242" in part
        assert "/surveys/follow-ups/" in part
    follow_up = FollowUp.objects.get()
    assert follow_up.alerted_at is not None
    assert (follow_up.team, follow_up.agent) == (team, invitation.agent)


def test_changing_the_score_does_not_alert_twice(team, django_capture_on_commit_callbacks):
    invitation = invitation_for(team)

    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 1)

    assert len(mail.outbox) == 1
    assert FollowUp.objects.count() == 1


def test_the_customers_comment_reaches_the_lead(team, django_capture_on_commit_callbacks):
    invitation = invitation_for(team)
    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 0)

    with django_capture_on_commit_callbacks(execute=True):
        response_details_record(invitation, comment="Three calls and still nothing")

    assert len(mail.outbox) == 2
    assert "Three calls and still nothing" in mail.outbox[1].body


def test_a_customers_repeat_cause_alerts_the_lead(team, django_capture_on_commit_callbacks):
    invitation = invitation_for(team, "Repeat contact")

    with django_capture_on_commit_callbacks(execute=True):
        repeat_cause_record(invitation, "not_taken_into_account", "Nobody read my email")

    follow_up = FollowUp.objects.get()
    assert follow_up.kind == FollowUpKind.REPEAT_CAUSE
    (message,) = mail.outbox
    assert "Nobody read my email" in message.body
    assert "T-4242" in message.body


def test_a_team_without_a_lead_gets_no_email_but_the_follow_up_is_listed(
    django_capture_on_commit_callbacks,
):
    invitation = invitation_for(TeamFactory(lead_email=""))

    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 1)

    assert mail.outbox == []
    assert FollowUp.objects.get().alerted_at is None


def test_a_failing_mail_server_does_not_lose_the_answer(team, settings):
    settings.EMAIL_BACKEND = "tests.surveys.test_followups.FailingBackend"
    invitation = invitation_for(team)
    response_record(invitation, 1)

    with pytest.raises(ConnectionError):
        followup_alert_send(FollowUp.objects.get().pk)

    assert FollowUp.objects.get().alerted_at is None
    assert invitation.response.score == 1


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("mail server down")


# --- The managers' list ---------------------------------------------------------------------


def _manager() -> User:
    user = User.objects.create_user("qm", password=None)
    user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    return user


def test_a_manager_sees_open_follow_ups_and_marks_one_handled(client, team):
    invitation = invitation_for(team)
    response_record(invitation, 1)
    response_details_record(invitation, comment="Rude on the phone")
    manager = _manager()
    client.force_login(manager)

    page = client.get(reverse("surveys_staff:followups"))
    follow_up = FollowUp.objects.get()
    done = client.post(
        reverse("surveys_staff:followup_handled", args=[follow_up.pk]),
        {"note": "Called back, apologised"},
    )

    assert page.status_code == 200
    assert "Rude on the phone" in page.content.decode()
    assert "T-4242" in page.content.decode()
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.handled_by == manager
    assert follow_up.note == "Called back, apologised"
    assert follow_up.handled_at is not None
    assert list(client.get(reverse("surveys_staff:followups")).context["page"]) == []
    handled = client.get(reverse("surveys_staff:followups") + "?state=handled")
    assert "Called back, apologised" in handled.content.decode()


def test_agents_and_outsiders_cannot_see_or_handle_follow_ups(client, team):
    invitation = invitation_for(team)
    response_record(invitation, 1)
    follow_up = FollowUp.objects.get()
    agent_user = User.objects.create_user("agent", password=None)
    invitation.agent.user = agent_user
    invitation.agent.save()

    for user in (agent_user, User.objects.create_user("outsider", password=None)):
        client.force_login(user)
        assert client.get(reverse("surveys_staff:followups")).status_code == 403
        handled = client.post(reverse("surveys_staff:followup_handled", args=[follow_up.pk]))
        assert handled.status_code == 403

    follow_up.refresh_from_db()
    assert follow_up.handled_at is None


def test_anonymous_visitors_are_asked_to_log_in(client):
    response = client.get(reverse("surveys_staff:followups"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_alerts_that_could_not_go_out_are_sent_by_the_command(team, settings):
    from io import StringIO

    from django.core.management import call_command

    invitation = invitation_for(team)
    settings.EMAIL_BACKEND = "tests.surveys.test_followups.FailingBackend"
    response_record(invitation, 1)  # the alert would have failed after commit
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = StringIO()

    call_command("followup_alerts_send", stdout=out)
    call_command("followup_alerts_send", stdout=out)

    assert len(mail.outbox) == 1
    assert FollowUp.objects.get().alerted_at is not None
    assert out.getvalue().splitlines() == ["1 alert(s) sent.", "0 alert(s) sent."]
