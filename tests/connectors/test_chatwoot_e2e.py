"""End to end over HTTP: a Chatwoot "conversation resolved" webhook -> ticket solved -> a link
invitation decided -> claimed and posted into the conversation through a local fake Chatwoot
API -> the customer follows the link and answers -> the answer is in the KPIs.
"""

import json
import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from connectors import services
from connectors.models import Kind, Payload, PayloadState
from connectors.processing import payloads_process
from surveys.delivery import claims, sending
from surveys.models import Invitation, InvitationStatus, Response
from tests.factories import TicketFactory
from tests.surveys.factories import PolicyFactory, questionnaire

from . import bodies
from .conftest import signed_headers, source_create


@pytest.fixture
def chatwoot_api(fake_helpdesk):
    """Chatwoot's messages endpoint: answers each post with the message it created."""

    def answer(method: str, path: str, body: bytes):
        if method == "POST" and re.fullmatch(
            r"/api/v1/accounts/1/conversations/\d+/messages", path
        ):
            return 200, {}, json.dumps({"id": 991, **json.loads(body)}).encode()
        return 404, {}, b'{"error": "not found"}'

    return fake_helpdesk(answer)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_resolved_chatwoot_conversation_gets_its_survey_link_and_the_answer_counts(
    live_server,
    chatwoot_api,
    settings,
    monkeypatch,
    admin_user,
    client,
):
    settings.SITE_URL = live_server.url
    settings.CHAT_BACKEND = "connectors.delivery.ChatwootBackend"
    # The workers' part is run by the test, in order, instead of by Celery.
    monkeypatch.setattr(services, "process_soon", lambda: None)
    source = source_create(Kind.CHATWOOT, base_url=chatwoot_api.url, account="1")
    source.api_token = "cw-agent-token"
    source.save()
    PolicyFactory(
        trigger="ticket_solved",
        delivery="link",
        delay_minutes=0,
        questionnaire=questionnaire("CSAT"),
    )
    body = json.dumps(
        bodies.chatwoot(10, timezone.now() - timedelta(minutes=30), "conversation_resolved")
    ).encode()

    accepted = httpx.post(
        f"{live_server.url}/hooks/{source.slug}/",
        content=body,
        headers={"Content-Type": "application/json", **signed_headers(Kind.CHATWOOT, body)},
        timeout=10,
    )
    payloads_process()
    invitation = Invitation.objects.get()
    claims.invitations_dispatch(lambda ids, claim, kind: sending.batch_send(ids, claim, kind))

    assert accepted.status_code == 202
    assert Payload.objects.get().state == PayloadState.DONE
    [(_method, path, headers, posted)] = chatwoot_api.requests
    assert path == "/api/v1/accounts/1/conversations/10/messages"
    assert headers["api_access_token"] == "cw-agent-token"
    message = json.loads(posted)
    assert (message["message_type"], message["private"]) == ("outgoing", False)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.ticket.external_id == "cw-10"
    [link] = re.findall(rf"{re.escape(live_server.url)}/s/\S+/", message["content"])

    # The customer follows the link, picks 4 and sends it.
    customer = httpx.Client(timeout=10, follow_redirects=True)
    page = customer.get(f"{link}?score=4")
    form = {"score": "4"}
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if csrf:
        form["csrfmiddlewaretoken"] = csrf.group(1)
    sent = customer.post(link, data=form)
    customer.close()

    assert page.status_code == 200 and sent.status_code == 200
    answer = Response.objects.get()
    assert (answer.kind, answer.score, answer.invitation_id) == ("csat", 4, invitation.pk)
    client.force_login(admin_user)
    today = timezone.localdate().isoformat()
    kpis = client.get("/api/v1/kpis/satisfaction/", {"from": today, "to": today}).json()
    row = dict(zip(kpis["columns"], kpis["rows"][0], strict=True))
    assert (row["csat_n"], row["csat_pct"]) == (1, 100.0)


@pytest.mark.django_db
def test_a_refused_post_fails_the_invitation_and_other_helpdesks_links_are_left_to_fetch(
    fake_helpdesk, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_BACKEND = "connectors.delivery.ChatwootBackend"
    refusing = fake_helpdesk(lambda method, path, body: (404, {}, b'{"error": "gone"}'))
    source = source_create(Kind.CHATWOOT, base_url=refusing.url, account="1")
    source.api_token = "token"
    source.save()
    policy = PolicyFactory(trigger="ticket_solved", delivery="link", delay_minutes=0)
    now = timezone.now()
    ours = TicketFactory(external_id="cw-77", solved_at=now)
    theirs = TicketFactory(external_id="zd-77", solved_at=now)
    for ticket in (ours, theirs):
        Invitation.objects.create(
            policy=policy, questionnaire=policy.questionnaire, customer=ticket.customer,
            ticket=ticket, delivery="link", send_after=now - timedelta(minutes=1),
        )  # fmt: skip
    queued = []

    with django_capture_on_commit_callbacks(execute=True):
        with_backend = claims.invitations_dispatch(lambda i, c, k: queued.append((i, c)))
    [(ids, claim)] = queued
    report = sending.batch_send(ids, claim)

    assert with_backend == 1 and report.refused == 1
    mine = Invitation.objects.get(ticket=ours)
    assert mine.status == InvitationStatus.PENDING and "404" in mine.last_error
    # The Zendesk ticket's link stays for the helpdesk to fetch through the API.
    assert Invitation.objects.get(ticket=theirs).status == InvitationStatus.PENDING
