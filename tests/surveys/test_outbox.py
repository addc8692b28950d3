"""What leaves after an answer commits (the response webhook, the lead's alert) is queued
robustly, caught up when it could not be queued, and delivered once."""

import json
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from surveys import tasks
from surveys.models import AlertState, FollowUp, Response, WebhookDelivery
from surveys.tokens import token_issue
from tests.factories import TeamFactory
from tests.surveys.delivery_support import FakeServer, app_broker, free_port
from tests.surveys.factories import InvitationFactory, questionnaire


@pytest.fixture
def receiver(settings):
    with FakeServer((204,)) as server:
        settings.RESPONSE_WEBHOOK_URL = server.url + "/hooks/ecoute"
        settings.RESPONSE_WEBHOOK_SECRET = "whsec"
        yield server


def detractor_link() -> str:
    team = TeamFactory(lead_email="lead@example.com")
    invitation = InvitationFactory(questionnaire=questionnaire("NPS"), contact__agent__team=team)
    return reverse("surveys:answer", args=[token_issue(invitation, "answer")])


def catch_up() -> dict[str, int]:
    """The beat's catch-up with no grace, its tasks run in-process once it is done."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return tasks.outbox_requeue(grace=timedelta(0))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_down_an_answer_is_stored_and_its_webhook_and_alert_come_later(
    client, receiver, caplog, eager
):
    url = detractor_link()
    # Celery publishing to a port nobody listens on: Redis stopped.
    with app_broker(f"redis://127.0.0.1:{free_port()}/0"), caplog.at_level(logging.ERROR):
        answered = client.post(url, {"score": "1"})
        commented = client.post(answered["Location"], {"comment": "Still broken"})

    assert answered.status_code == commented.status_code == 302
    assert Response.objects.get().comment == "Still broken"
    assert "not queued" in caplog.text
    assert receiver.requests == [] and mail.outbox == []
    assert WebhookDelivery.objects.filter(state="pending").count() == 2
    assert FollowUp.objects.get().alert_state == AlertState.PENDING

    # The broker is back (tasks run in-process here).
    assert catch_up() == {"webhooks": 2, "alerts": 1}
    assert catch_up() == {"webhooks": 0, "alerts": 0}

    events = [json.loads(r["body"])["event"] for r in receiver.requests]
    assert sorted(events) == ["response.created", "response.updated"]
    ids = {r["headers"]["Ecoute-Delivery"] for r in receiver.requests}
    assert ids == {str(d.uuid) for d in WebhookDelivery.objects.all()}
    (alert,) = mail.outbox
    assert "Still broken" in alert.body
    assert not WebhookDelivery.objects.exclude(state="sent").exists()
    assert FollowUp.objects.get().alert_state == AlertState.SENT


@pytest.mark.django_db
def test_an_event_queued_twice_is_posted_once(receiver, django_capture_on_commit_callbacks):
    url = detractor_link()
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=False):
        Client().post(url, {"score": "9"})
    delivery = WebhookDelivery.objects.get()

    # The after-commit task and the catch-up's, both delivered by the broker.
    assert tasks.response_webhook_deliver.apply(args=[delivery.pk]).get() == 204
    assert tasks.response_webhook_deliver.apply(args=[delivery.pk]).get() is None

    assert len(receiver.requests) == 1


def test_the_beat_runs_the_catch_up_every_minute():
    from config.celery import app

    entry = app.conf.beat_schedule["outbox-catch-up"]

    assert entry == {"task": "surveys.tasks.outbox_catch_up", "schedule": 60.0}
    assert entry["task"] in app.tasks
