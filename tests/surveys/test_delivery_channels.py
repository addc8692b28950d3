"""SMS backends, link delivery for helpdesks, and the outgoing webhook (against local servers)."""

import json
from base64 import b64decode
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from surveys import outbox, webhooks
from surveys.delivery import claims, sms
from surveys.models import InvitationStatus, Response, TokenPurpose, WebhookDelivery
from surveys.outbox import RetryLater
from surveys.tasks import invitations_send_batch
from surveys.tokens import token_resolve
from tests.surveys.delivery_support import FakeServer
from tests.surveys.factories import InvitationFactory
from tickets.tokens import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_http(settings):
    settings.SMS_BACKEND = "surveys.delivery.sms.HttpBackend"
    settings.SMS_ACCOUNT_SID = "AC123"
    settings.SMS_AUTH_TOKEN = "sekret"
    settings.SMS_FROM = "+33100000000"

    def serve(*statuses, body=None) -> FakeServer:
        server = FakeServer(statuses or (201,), body)
        settings.SMS_API_URL = server.url + "/2010-04-01/Accounts/{account}/Messages.json"
        return server

    return serve


def sms_invitation(**kwargs):
    invitation = InvitationFactory(
        status=InvitationStatus.PENDING,
        sent_at=None,
        expires_at=None,
        delivery="sms",
        send_after=timezone.now() - timedelta(minutes=1),
        **kwargs,
    )
    invitation.customer.phone = "+33600000001"
    invitation.customer.save()
    return invitation


def send_due(django_capture_on_commit_callbacks) -> None:
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        claims.invitations_dispatch(lambda ids, claim, kind: queued.append((ids, claim, kind)))
    for args in queued:
        invitations_send_batch.apply(args=list(args))


# --- SMS ------------------------------------------------------------------------------------


def test_http_backend_posts_a_form_with_basic_auth(sms_http):
    with sms_http(201) as server:
        [result] = sms.get_backend().send_messages([sms.SmsMessage("+33600000001", "Bonjour")])

    assert result.ok and result.provider_id == "SM1"
    [request] = server.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert parse_qs(request["body"].decode()) == {
        "To": ["+33600000001"],
        "From": ["+33100000000"],
        "Body": ["Bonjour"],
    }
    scheme, credentials = request["headers"]["Authorization"].split()
    assert (scheme, b64decode(credentials)) == ("Basic", b"AC123:sekret")


def test_http_backend_reports_a_refusal_and_raises_on_a_server_error(sms_http):
    message = sms.SmsMessage("+33600000001", "Bonjour")
    with sms_http(400, body={"code": 21211, "message": "Invalid 'To' number"}):
        [result] = sms.get_backend().send_messages([message])
    assert not result.ok and "Invalid 'To' number" in result.error

    with sms_http(503), pytest.raises(sms.SmsUnavailable):
        sms.get_backend().send_messages([message])


def test_sms_invitation_goes_out_through_the_backend_in_the_customer_language(
    sms_http, django_capture_on_commit_callbacks
):
    invitation = sms_invitation(language="en")

    with sms_http(201) as server:
        send_due(django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    [request] = server.requests
    body = parse_qs(request["body"].decode())["Body"][0]
    assert body.startswith(invitation.questionnaire.question_en)
    token = body.rsplit("/s/", 1)[1].strip("/")
    assert token_resolve(token, TokenPurpose.ANSWER).pk == invitation.pk


def test_sms_refused_by_the_provider_is_retried_later(sms_http, django_capture_on_commit_callbacks):
    invitation = sms_invitation()

    with sms_http(400):
        send_due(django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (InvitationStatus.PENDING, 1)
    assert "refused" in invitation.last_error


def test_logging_backend_is_the_default(caplog, django_capture_on_commit_callbacks):
    invitation = sms_invitation()

    with caplog.at_level("INFO", logger="surveys.delivery.sms"):
        send_due(django_capture_on_commit_callbacks)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert "+33600000001" in caplog.text


# --- Link delivery --------------------------------------------------------------------------


@pytest.fixture
def integration():
    owner = User.objects.create_user("helpdesk")
    _token, raw = api_token_create(name="helpdesk", user=owner, scopes=["survey_links"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def link_invitation(**kwargs):
    return InvitationFactory(
        status=InvitationStatus.PENDING, sent_at=None, expires_at=None, delivery="link", **kwargs
    )


def test_helpdesk_fetches_a_link_which_marks_the_invitation_sent(integration, settings):
    settings.SITE_URL = "https://ecoute.example.com"
    invitation = link_invitation()

    answer = integration.get(f"/api/v1/invitations/{invitation.pk}/link/")

    assert answer.status_code == 200
    url = answer.json()["url"]
    assert url.startswith("https://ecoute.example.com/s/")
    assert token_resolve(url.split("/s/")[1].strip("/"), TokenPurpose.ANSWER) == invitation
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert invitation.expires_at is not None
    assert invitation.reminder_due_at is None


def test_helpdesk_fetches_a_link_by_ticket_and_each_fetch_is_a_new_token(integration):
    invitation = link_invitation()
    ticket = invitation.ticket.external_id

    first = integration.get("/api/v1/invitations/link/", {"ticket": ticket}).json()
    second = integration.get("/api/v1/invitations/link/", {"ticket": ticket}).json()

    assert first["invitation"] == second["invitation"] == invitation.pk
    assert first["url"] != second["url"]
    assert integration.get("/api/v1/invitations/link/", {"ticket": "nope"}).status_code == 404


def test_no_link_for_an_answered_or_email_invitation(integration):
    answered = link_invitation()
    answered.status = InvitationStatus.ANSWERED
    answered.save()
    email = InvitationFactory(status=InvitationStatus.PENDING, sent_at=None)

    assert integration.get(f"/api/v1/invitations/{answered.pk}/link/").status_code == 409
    assert integration.get(f"/api/v1/invitations/{email.pk}/link/").status_code == 404


def test_outsiders_get_no_link(client):
    invitation = link_invitation()
    url = f"/api/v1/invitations/{invitation.pk}/link/"
    assert APIClient().get(url).status_code in (401, 403)
    User.objects.create_user("agent", password="pw")
    client.login(username="agent", password="pw")
    assert client.get(url).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# --- Outgoing webhook -----------------------------------------------------------------------


def a_response() -> Response:
    invitation = InvitationFactory(status=InvitationStatus.ANSWERED)
    return Response.objects.create(
        invitation=invitation,
        contact=invitation.contact,
        ticket=invitation.ticket,
        kind="csat",
        score=2,
        scale_min=1,
        scale_max=5,
        responded_at=timezone.now(),
        comment="Slow",
    )


@pytest.fixture
def webhook(settings):
    def serve(*statuses) -> FakeServer:
        server = FakeServer(statuses or (204,))
        settings.RESPONSE_WEBHOOK_URL = server.url + "/hooks/ecoute"
        settings.RESPONSE_WEBHOOK_SECRET = "whsec"
        return server

    return serve


def test_each_new_response_is_posted_signed(webhook, eager, django_capture_on_commit_callbacks):
    response = a_response()
    from surveys.signals import response_recorded

    with webhook(200) as server, django_capture_on_commit_callbacks(execute=True):
        response_recorded.send(sender=Response, response_id=response.pk, created=True)

    [request] = server.requests
    payload = json.loads(request["body"])
    assert payload["event"] == "response.created"
    assert payload["response"]["score"] == 2
    assert payload["response"]["ticket_external_id"] == response.ticket.external_id
    header = request["headers"][webhooks.SIGNATURE_HEADER]
    assert webhooks.signature_verify(header, request["body"], "whsec")
    assert not webhooks.signature_verify(header, request["body"], "other secret")
    assert not webhooks.signature_verify(header, request["body"] + b" ", "whsec")
    delivery = WebhookDelivery.objects.get()
    assert request["headers"][webhooks.DELIVERY_HEADER] == str(delivery.uuid)
    assert (delivery.state, delivery.attempts) == ("sent", 0)
    assert delivery.sent_at is not None


def event(response: Response) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        response=response, event="response.created", due_at=timezone.now()
    )


def test_webhook_is_retried_on_a_server_error_with_the_same_delivery_id(webhook, monkeypatch):
    monkeypatch.setattr(outbox, "get_exponential_backoff_interval", lambda *args, **kw: 30)
    delivery = event(a_response())

    with webhook(503, 204) as server:
        with pytest.raises(RetryLater) as later:
            webhooks.webhook_deliver(delivery.pk)
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == ("pending", 1)
        assert delivery.last_error.endswith("answered 503")
        assert delivery.due_at == pytest.approx(
            timezone.now() + timedelta(seconds=later.value.countdown), abs=timedelta(seconds=2)
        )
        assert later.value.countdown == 30
        assert webhooks.webhook_deliver(delivery.pk) is None  # Not before it is due.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
        assert webhooks.webhook_deliver(delivery.pk) == 204

    first, second = (r["headers"][webhooks.DELIVERY_HEADER] for r in server.requests)
    assert first == second == str(delivery.uuid)
    delivery.refresh_from_db()
    assert delivery.state == "sent"


def test_a_refusal_is_not_retried(webhook):
    delivery = event(a_response())

    with webhook(410) as server:
        assert webhooks.webhook_deliver(delivery.pk) == 410
        assert webhooks.webhook_deliver(delivery.pk) is None

    assert len(server.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == (
        "failed",
        f"{server.url}/hooks/ecoute answered 410",
    )


def test_no_webhook_without_a_url(settings, django_capture_on_commit_callbacks):
    settings.RESPONSE_WEBHOOK_URL = ""
    response = a_response()
    with django_capture_on_commit_callbacks() as callbacks:
        webhooks.on_response_recorded(Response, response_id=response.pk)
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
