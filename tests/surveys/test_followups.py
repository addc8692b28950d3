"""Closing the loop: detractors and repeat causes alert the team lead and wait for a manager."""

import smtplib
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from surveys import outbox, tasks
from surveys.followups import ALERT_HEADER, followup_alert_deliver, followup_alert_email
from surveys.models import AlertState, FollowUp, FollowUpKind
from surveys.outbox import RetryLater
from surveys.services import repeat_cause_record, response_details_record, response_record
from tests.factories import TeamFactory
from tests.surveys.delivery_support import Blackhole
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


def test_a_detractor_alerts_the_team_lead_after_commit(
    team, eager, django_capture_on_commit_callbacks
):
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
    assert message.extra_headers[ALERT_HEADER] == str(follow_up.pk)
    assert (follow_up.alert_state, follow_up.alert_due_at) == (AlertState.SENT, None)
    assert follow_up.alerted_at is not None
    assert (follow_up.team, follow_up.agent) == (team, invitation.agent)


def test_the_detractor_alert_is_queued_not_sent_in_the_answer_request(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        tasks.followup_alert_send, "apply_async", lambda args, **options: queued.append(args)
    )
    invitation = invitation_for(team)

    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 2)

    assert mail.outbox == []
    follow_up = FollowUp.objects.get()
    assert queued == [(follow_up.pk,)]
    assert follow_up.alert_state == AlertState.PENDING


def test_changing_the_score_does_not_alert_twice(team, eager, django_capture_on_commit_callbacks):
    invitation = invitation_for(team)

    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 1)

    assert len(mail.outbox) == 1
    assert FollowUp.objects.count() == 1


def test_the_customers_comment_reaches_the_lead(team, eager, django_capture_on_commit_callbacks):
    invitation = invitation_for(team)
    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 0)

    with django_capture_on_commit_callbacks(execute=True):
        response_details_record(invitation, comment="Three calls and still nothing")

    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("Commentaire ajouté")
    assert "Three calls and still nothing" in mail.outbox[1].body


def test_a_comment_given_before_the_alert_went_out_is_in_the_one_alert(team):
    invitation = invitation_for(team)
    response_record(invitation, 0)
    response_details_record(invitation, comment="Three calls and still nothing")

    assert tasks.followup_alert_send.apply(args=[FollowUp.objects.get().pk]).get() == "sent"

    (message,) = mail.outbox
    assert "Three calls and still nothing" in message.body
    assert not message.subject.startswith("Commentaire ajouté")


def test_a_customers_repeat_cause_alerts_the_lead(team, eager, django_capture_on_commit_callbacks):
    invitation = invitation_for(team, "Repeat contact")

    with django_capture_on_commit_callbacks(execute=True):
        repeat_cause_record(invitation, "not_taken_into_account", "Nobody read my email")

    follow_up = FollowUp.objects.get()
    assert follow_up.kind == FollowUpKind.REPEAT_CAUSE
    (message,) = mail.outbox
    assert "Nobody read my email" in message.body
    assert "T-4242" in message.body


def test_a_team_without_a_lead_alerts_the_fallback_address(
    settings, eager, django_capture_on_commit_callbacks
):
    settings.FOLLOWUP_ALERT_FALLBACK_EMAIL = "quality@example.com"
    invitation = invitation_for(TeamFactory(lead_email=""))

    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 1)

    assert [m.to for m in mail.outbox] == [["quality@example.com"]]
    assert FollowUp.objects.get().alert_state == AlertState.SENT


def test_when_nobody_can_be_alerted_the_follow_up_says_so(
    client, eager, django_capture_on_commit_callbacks
):
    invitation = invitation_for(TeamFactory(lead_email=""))

    with django_capture_on_commit_callbacks(execute=True):
        response_record(invitation, 1)

    assert mail.outbox == []
    follow_up = FollowUp.objects.get()
    assert (follow_up.alert_state, follow_up.alerted_at) == (AlertState.NO_RECIPIENT, None)
    client.force_login(_manager())
    page = client.get(reverse("surveys_staff:followups"), HTTP_ACCEPT_LANGUAGE="en")
    assert "nobody to alert" in page.content.decode()


def test_a_mail_server_down_is_tried_again_later_and_the_answer_is_kept(team, settings):
    settings.EMAIL_BACKEND = "tests.surveys.test_followups.FailingBackend"
    invitation = invitation_for(team)
    response_record(invitation, 1)
    follow_up = FollowUp.objects.get()

    with pytest.raises(RetryLater) as later:
        followup_alert_deliver(follow_up.pk)

    follow_up.refresh_from_db()
    assert (follow_up.alert_state, follow_up.alert_attempts) == (AlertState.PENDING, 1)
    assert follow_up.alert_error == "ConnectionError: mail server down"
    assert follow_up.alert_due_at == pytest.approx(
        timezone.now() + timedelta(seconds=later.value.countdown), abs=timedelta(seconds=2)
    )
    assert invitation.response.score == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    FollowUp.objects.filter(pk=follow_up.pk).update(alert_due_at=timezone.now())
    assert followup_alert_deliver(follow_up.pk) == AlertState.SENT
    assert followup_alert_deliver(follow_up.pk) == "not taken"
    assert len(mail.outbox) == 1


def test_the_task_retries_with_backoff_only_when_the_server_is_unreachable(
    team, settings, monkeypatch
):
    monkeypatch.setattr(outbox, "get_exponential_backoff_interval", lambda *args, **kw: 42)
    settings.EMAIL_BACKEND = "tests.surveys.test_followups.FailingBackend"
    response_record(invitation_for(team), 1)
    follow_up = FollowUp.objects.get()

    result = tasks.followup_alert_send.apply(args=[follow_up.pk], throw=False)

    # Celery retried after 42 s (run at once here, in-process): too early to take the row.
    assert result.get() == "not taken"
    follow_up.refresh_from_db()
    assert follow_up.alert_attempts == 1
    assert follow_up.alert_due_at == pytest.approx(
        timezone.now() + timedelta(seconds=42), abs=timedelta(seconds=2)
    )


def test_a_mail_server_that_never_replies_holds_an_attempt_no_longer_than_email_timeout(
    team, settings
):
    response_record(invitation_for(team), 1)
    follow_up = FollowUp.objects.get()
    followup_alert_email(follow_up, "lead@example.com")  # Templates and catalogues loaded.
    with Blackhole() as hung:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
            "127.0.0.1",
            hung.port,
            0.3,
        )
        began = time.monotonic()
        with pytest.raises(RetryLater):
            followup_alert_deliver(follow_up.pk)
        took = time.monotonic() - began

    assert took < 2
    follow_up.refresh_from_db()
    assert "timed out" in follow_up.alert_error


def test_email_timeout_is_set_by_default():
    from config import settings as configured

    assert configured.EMAIL_TIMEOUT == 10


def test_an_address_the_server_refuses_is_not_retried(team, settings):
    settings.EMAIL_BACKEND = "tests.surveys.test_followups.RefusingBackend"
    response_record(invitation_for(team), 1)
    follow_up = FollowUp.objects.get()

    assert followup_alert_deliver(follow_up.pk) == AlertState.FAILED
    assert followup_alert_deliver(follow_up.pk) == "not taken"

    follow_up.refresh_from_db()
    assert follow_up.alert_state == AlertState.FAILED
    assert "no such user" in follow_up.alert_error


def test_an_alert_whose_task_never_ran_is_sent_once_by_the_catch_up(team, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    invitation = invitation_for(team)
    with monkeypatch.context() as down:
        down.setattr(tasks.followup_alert_send, "apply_async", broker_down)
        with TestCase.captureOnCommitCallbacks(execute=True):
            response_record(invitation, 1)
    assert FollowUp.objects.get().alert_state == AlertState.PENDING

    with _eager_tasks():
        assert catch_up()["alerts"] == 0  # Still within its grace: its own task may come.
        assert catch_up(grace=timedelta(0))["alerts"] == 1
        assert catch_up(grace=timedelta(0))["alerts"] == 0

    assert len(mail.outbox) == 1
    assert FollowUp.objects.get().alert_state == AlertState.SENT


def test_an_alert_whose_retries_ran_out_is_caught_up_by_the_beat(team, settings):
    settings.EMAIL_BACKEND = "tests.surveys.test_followups.FailingBackend"
    response_record(invitation_for(team), 1)
    follow_up = FollowUp.objects.get()

    last = tasks.followup_alert_send.apply(
        args=[follow_up.pk], retries=outbox.MAX_RETRIES, throw=False
    )

    assert isinstance(last.result, RetryLater)  # Celery gives up...
    follow_up.refresh_from_db()
    assert follow_up.alert_state == AlertState.PENDING  # ...the row does not.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    FollowUp.objects.filter(pk=follow_up.pk).update(alert_due_at=timezone.now())
    with _eager_tasks():
        assert catch_up(grace=timedelta(0))["alerts"] == 1
    assert len(mail.outbox) == 1


def catch_up(**kwargs) -> dict[str, int]:
    """The beat's catch-up, its queued tasks run in-process once it is done."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return tasks.outbox_requeue(**kwargs)


@contextmanager
def _eager_tasks():
    from config.celery import app

    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("mail server down")


class RefusingBackend(FailingBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"lead@example.com": (550, b"no such user")})


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


def test_a_french_lead_reads_one_follow_up_in_the_singular(client, team):
    team.name = "Lyon N1"
    team.save()
    response_record(invitation_for(team, "CSAT"), 1)
    client.force_login(_manager())

    page = client.get(reverse("surveys_staff:followups"), HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()

    assert "CSAT (1-5) : 1 / 5" in html
    assert ">Ouvert<" in html and ">Ouverts<" not in html
    assert '<option value="" selected>Toutes</option>' in html  # the team filter


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
