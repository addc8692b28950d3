"""SMS backends, link delivery for helpdesks, and the outgoing webhook (against local servers)."""

import json
import threading
from base64 import b64decode
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from surveys import webhooks
from surveys.delivery import claims, sms
from surveys.models import InvitationStatus, Response, TokenPurpose
from surveys.tasks import invitations_send_batch, response_webhook_post
from surveys.tokens import token_resolve
from tests.surveys.factories import InvitationFactory
from tickets.tokens import api_token_create

pytestmark = pytest.mark.django_db


class FakeServer:
    """An HTTP server on 127.0.0.1 that records requests and answers with queued statuses."""

    def __init__(self, statuses=(200,), body: dict | None = None) -> None:
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                status = server.statuses.pop(0) if len(server.statuses) > 1 else server.statuses[0]
                payload = json.dumps(body or {"sid": f"SM{len(server.requests)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


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


@pytest.fixture
def eager():
    """Run queued tasks in-process even when a broker is configured."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


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


def test_webhook_is_retried_on_a_server_error_not_on_a_refusal(webhook):
    response = a_response()

    with webhook(503) as server, pytest.raises(webhooks.WebhookServerError):
        webhooks.response_webhook_post(response.pk)
    assert len(server.requests) == 1
    assert response_webhook_post.autoretry_for == webhooks.TRANSIENT_ERRORS

    with webhook(410) as server:
        assert webhooks.response_webhook_post(response.pk) == 410


def test_no_webhook_without_a_url(settings, django_capture_on_commit_callbacks):
    settings.RESPONSE_WEBHOOK_URL = ""
    response = a_response()
    with django_capture_on_commit_callbacks() as callbacks:
        webhooks.on_response_recorded(Response, response_id=response.pk)
    assert callbacks == []
