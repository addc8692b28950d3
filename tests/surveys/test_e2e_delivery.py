"""End to end on the real parts: PostgreSQL, Redis, a `celery worker` process, an SMTP server.

History in -> invitations decided -> claimed and queued -> sent by the worker over SMTP ->
received -> a score link followed over HTTP -> confirmed -> stored; and a worker SIGKILLed in
the middle of a batch, restarted: every invitation sent exactly once.
"""

import re
import time
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest
import redis
from django.utils import timezone

from surveys import tasks
from surveys.delivery import claims
from surveys.models import Invitation, InvitationStatus, Response
from tests.factories import CustomerFactory
from tests.surveys.delivery_support import (
    Sink,
    Worker,
    database_url,
    wait_until,
    worker_env,
    worker_sessions,
)
from tests.surveys.factories import InvitationFactory, PolicyFactory
from tickets.records import ContactRecord
from tickets.services import contacts_upsert

pytestmark = [pytest.mark.services, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def broker(redis_url, postgres, transactional_db, django_db_serialized_rollback):
    """Redis, with a queue of this test's own: parallel test runs never take each other's tasks.

    Transactional (the worker must see committed rows), with the rows migrations create (the
    default questionnaires) put back after the flush.
    """
    queue = f"e2e-{uuid.uuid4().hex}"

    def enqueue(ids: list[int], claim: str, kind: str) -> None:
        """What surveys.tasks._enqueue does, on this test's queue."""
        tasks.invitations_send_batch.apply_async(args=[ids, claim, kind], queue=queue)

    yield redis_url, queue, enqueue
    redis.Redis.from_url(redis_url).delete(queue)
    # A killed worker's database session ends when PostgreSQL notices; the test database can
    # only be dropped after that.
    wait_until(lambda: not worker_sessions(), timeout=15, what="worker sessions to end")


def parts(raw: bytes) -> tuple[Message, str, str]:
    message = message_from_bytes(raw)
    text = html = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode(part.get_content_charset())
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode(part.get_content_charset())
    return message, text, html


def score_links(text: str) -> dict[int, str]:
    return {int(n): url for url, n in re.findall(r"(http\S+/\?score=(\d+))", text)}


def import_history(count: int) -> None:
    """Handled phone contacts pushed through the real way in, as the API does."""
    started = timezone.now() - timedelta(minutes=30)
    for n in range(count):
        CustomerFactory(external_id=f"e2e_{n}", language="en" if n % 2 else "fr")
    contacts_upsert(
        [
            ContactRecord(
                external_id=f"e2e_contact_{n}",
                customer=f"e2e_{n}",
                channel="phone",
                reason="billing",
                direction="inbound",
                started_at=started,
                answered_at=started + timedelta(seconds=20),
                ticket=f"e2e_ticket_{n}",
                agent="agent_e2e",
                team="team_e2e",
            )
            for n in range(count)
        ],
        source="api",
    )


def answer_over_http(links: dict[int, str], chosen: int) -> tuple[httpx.Client, httpx.Response]:
    """Follow one score link as a person does: the page preselects it, one tap sends it."""
    client = httpx.Client(timeout=10, follow_redirects=True)
    page = client.get(links[chosen])
    assert page.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    form = {"score": str(chosen)}
    if csrf:
        form["csrfmiddlewaretoken"] = csrf.group(1)
    confirmed = client.post(links[chosen].split("?", 1)[0], data=form)
    assert confirmed.status_code == 200, confirmed.text[:500]
    assert confirmed.url.path.endswith("/more/")  # On to the follow-up questions.
    return client, confirmed


def test_invitations_go_out_by_a_real_worker_and_are_answered_over_http(
    broker, live_server, settings
):
    broker_url, queue, enqueue = broker
    settings.SITE_URL = live_server.url
    PolicyFactory(delay_minutes=0, reminder_after_days=3, expire_after_days=7)
    import_history(3)
    invitations = list(Invitation.objects.order_by("pk"))
    assert len(invitations) == 3
    assert {i.status for i in invitations} == {InvitationStatus.PENDING}

    with Sink() as sink:
        env = worker_env(
            database_url=database_url(),
            broker_url=broker_url,
            smtp_port=sink.port,
            SITE_URL=live_server.url,
        )
        worker = Worker(env, ARTIFACTS / "e2e-delivery-worker.log", queue=queue).start()
        try:
            assert claims.invitations_dispatch(enqueue) == 3
            assert sink.handler.wait_for(3, timeout=30), "the SMTP server got no emails"
            wait_until(
                lambda: Invitation.objects.filter(status=InvitationStatus.SENT).count() == 3,
                timeout=15,
                what="invitations marked sent",
            )
        finally:
            worker.stop()

    assert sorted(sink.handler.counts.values()) == [1, 1, 1]
    by_id = {}
    for raw in sink.handler.messages:
        message, text, html = parts(raw)
        by_id[int(message["X-Ecoute-Invitation"].split()[0])] = (message, text, html)
    assert sorted(by_id) == [i.pk for i in invitations]
    for invitation in invitations:
        message, text, html = by_id[invitation.pk]
        assert message["To"] == invitation.customer.email
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Content-Language"] == invitation.language
        assert len(score_links(text)) == 5 and html
        invitation.refresh_from_db()
        assert invitation.sent_at is not None and invitation.reminder_due_at is not None

    # The answer half: the public pages of surveys.views.
    invitation = invitations[0]
    links = score_links(by_id[invitation.pk][1])
    for url in links.values():  # A mail scanner opens every link: nothing is recorded.
        assert httpx.get(url, timeout=10, follow_redirects=True).status_code == 200
    assert not Response.objects.exists()

    client, follow_ups = answer_over_http(links, chosen=4)
    response = Response.objects.get()
    assert (response.score, response.invitation_id) == (4, invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED

    # The follow-up questions, on the page the confirmation led to.
    form = {"resolved": "yes", "comment": "Clear and quick."}
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', follow_ups.text)
    if csrf:
        form["csrfmiddlewaretoken"] = csrf.group(1)
    done = client.post(str(follow_ups.url), data=form)
    assert done.status_code == 200
    response.refresh_from_db()
    assert (response.resolved, response.comment) == ("yes", "Clear and quick.")

    again = client.get(links[4])  # The same link again changes nothing.
    # Closing the kept-alive connection ends the server thread's database session.
    client.close()
    assert again.status_code == 200
    for url in links.values():
        httpx.get(url, timeout=10, follow_redirects=True)
    assert Response.objects.count() == 1
    response.refresh_from_db()
    assert (response.score, response.resolved) == (4, "yes")


def test_a_worker_killed_mid_batch_then_restarted_sends_each_invitation_exactly_once(
    broker, settings
):
    broker_url, queue, enqueue = broker
    settings.INVITATION_BATCH_SIZE = 10
    invitations = [
        InvitationFactory(
            status=InvitationStatus.PENDING,
            sent_at=None,
            expires_at=None,
            send_after=timezone.now() - timedelta(minutes=1),
        )
        for _ in range(30)
    ]
    # A slow server: each message is recorded, then answered 0.2 s later.
    with Sink(delay=0.2) as sink:
        env = worker_env(database_url=database_url(), broker_url=broker_url, smtp_port=sink.port)
        log = ARTIFACTS / "e2e-sigkill-worker.log"
        worker = Worker(env, log, queue=queue).start()
        try:
            claims.invitations_dispatch(enqueue)
            first_batch = sorted(i.pk for i in invitations)[:10]
            first_claim = str(Invitation.objects.get(pk=first_batch[0]).claim)
            assert sink.handler.wait_for(5, timeout=30)
            worker.kill()  # While the server holds the 5th message, before it says 250.

            in_doubt = Invitation.objects.filter(
                status=InvitationStatus.SENDING, sent_at__isnull=False
            )
            assert list(in_doubt.values_list("pk", flat=True)) == [first_batch[4]]
            assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 4

            worker = Worker(env, log, queue=queue).start()
            # The two queued batches go out; the killed one's message is unacknowledged.
            assert sink.handler.wait_for(25, timeout=30)
            wait_until(
                lambda: Invitation.objects.filter(status=InvitationStatus.SENT).count() == 24,
                timeout=15,
                what="the other batches",
            )
            # The beat releases the dead worker's claim once its lease is over...
            released = claims.claims_release_stale(lease=timedelta(0))
            assert (released["released"], released["unconfirmed"]) == (5, 1)
            # ...and claims the rest again.
            assert claims.invitations_dispatch(enqueue) == 5
            wait_until(
                lambda: Invitation.objects.filter(status=InvitationStatus.SENT).count() == 30,
                timeout=30,
                what="every invitation sent",
            )
            # The killed worker's task delivered late (same ids, same claim) sends nothing.
            enqueue(first_batch, first_claim, "invitation")
            time.sleep(1.5)
        finally:
            worker.stop()

    assert sink.handler.total == 30
    assert sorted(sink.handler.counts) == sorted(f"{i.pk} invitation" for i in invitations)
    assert set(sink.handler.counts.values()) == {1}
    assert Invitation.objects.exclude(status=InvitationStatus.SENT).count() == 0
