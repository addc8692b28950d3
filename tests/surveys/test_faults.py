"""Faults on the real parts, each on an instance of the test's own: a Redis stopped while
customers answer and surveys go out, an SMTP server that never replies, a PostgreSQL restarted
while a worker sends. Each test prints its figures (`pytest -s`, or test-artifacts/faults.txt).

The shared PostgreSQL and Redis are never touched: the Redis and the PostgreSQL stopped here are
started by the test on free loopback ports, and stopped by their PIDs.
"""

import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import tasks
from surveys.delivery import claims
from surveys.models import (
    AlertState,
    FollowUp,
    Invitation,
    InvitationStatus,
    Response,
    WebhookDelivery,
)
from surveys.tokens import token_issue
from tests.factories import TeamFactory
from tests.surveys.delivery_support import (
    ROOT,
    Blackhole,
    FakeServer,
    PrivatePostgres,
    PrivateRedis,
    Sink,
    Worker,
    app_broker,
    database_url,
    wait_until,
    worker_env,
    worker_sessions,
)
from tests.surveys.factories import InvitationFactory, PolicyFactory, questionnaire
from tickets.records import ContactRecord, CustomerRecord
from tickets.services import contacts_upsert

pytestmark = [pytest.mark.services, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts"
SECRET = "whsec-faults"


def report(text: str) -> None:
    """Print a test's figures, and keep them in test-artifacts/faults.txt."""
    print(text)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "faults.txt").open("a") as out:
        out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")


@pytest.fixture
def live_db(postgres, transactional_db, django_db_serialized_rollback):
    """The test database, committed, so that a worker process sees the rows; the rows the
    migrations create (the questionnaires) put back after the flush."""
    yield
    # A stopped worker's session ends when PostgreSQL notices; the database is dropped after.
    wait_until(lambda: not worker_sessions(), timeout=15, what="worker sessions to end")


@pytest.fixture
def private_redis(redis_server, tmp_path):
    redis = PrivateRedis(tmp_path / "redis").start()
    yield redis
    redis.stop()


@pytest.fixture
def receiver(settings):
    """The helpdesk's webhook endpoint, on loopback; this process writes events for it."""
    with FakeServer((204,)) as server:
        settings.RESPONSE_WEBHOOK_URL = server.url + "/hooks/ecoute"
        settings.RESPONSE_WEBHOOK_SECRET = SECRET
        yield server


def answer_tokens(count: int) -> list[str]:
    """Sent NPS invitations of a team with a lead: the tokens of the links customers hold."""
    team = TeamFactory(lead_email="lead@example.com")
    nps = questionnaire("NPS")
    return [
        token_issue(InvitationFactory(questionnaire=nps, contact__team=team), "answer")
        for _ in range(count)
    ]


def answer(client: Client, token: str, n: int) -> list[int]:
    """Customer n answers: every other one a detractor; every third adds a comment."""
    score = "2" if n % 2 == 0 else "9"
    statuses = [client.post(reverse("surveys:answer", args=[token]), {"score": score})]
    if n % 3 == 0:
        more = reverse("surveys:details", args=[token])
        statuses.append(client.post(more, {"comment": f"Customer {n}"}))
    return [status.status_code for status in statuses]


def due_invitations(count: int) -> list[Invitation]:
    return [
        InvitationFactory(
            status=InvitationStatus.PENDING,
            sent_at=None,
            expires_at=None,
            send_after=timezone.now() - timedelta(minutes=1),
        )
        for _ in range(count)
    ]


def dispatch(**kwargs) -> int:
    """The beat's dispatch; with the broker down it releases the claim and fails, as there."""
    try:
        return claims.invitations_dispatch(tasks._enqueue, **kwargs)
    except Exception:
        return -1


def test_redis_stopped_while_customers_answer_and_surveys_go_out(
    live_db, private_redis, receiver, settings
):
    settings.INVITATION_BATCH_SIZE = 5
    links = answer_tokens(24)
    outgoing = due_invitations(30)
    client = Client()
    statuses: list[int] = []
    with Sink() as sink, app_broker(private_redis.url):
        env = worker_env(
            database_url=database_url(),
            broker_url=private_redis.url,
            smtp_port=sink.port,
            RESPONSE_WEBHOOK_URL=settings.RESPONSE_WEBHOOK_URL,
            RESPONSE_WEBHOOK_SECRET=SECRET,
        )
        worker = Worker(env, ARTIFACTS / "faults-redis-worker.log").start()
        try:
            for n in range(8):  # Redis up.
                statuses += answer(client, links[n], n)
            dispatch(max_batches=2)

            private_redis.stop()
            stopped = time.monotonic()
            for n in range(8, 16):  # Redis down.
                statuses += answer(client, links[n], n)
            refused = dispatch()
            private_redis.start()
            outage = time.monotonic() - stopped

            for n in range(16, 24):  # Redis back, empty: what it held is lost.
                statuses += answer(client, links[n], n)
            back = time.monotonic()
            follow_ups = FollowUp.objects.count()
            # What their own tasks had not delivered when Redis came back: for the catch-up.
            webhooks_waiting = WebhookDelivery.objects.exclude(state="sent").count()
            alerts_waiting = FollowUp.objects.exclude(alert_state=AlertState.SENT).count()
            invitations_waiting = len(outgoing) - sink.handler.total
            expected = len(outgoing) + follow_ups

            def caught_up() -> bool:
                # What the beat does every minute (here without waiting), then the checks.
                claims.claims_release_stale(lease=timedelta(seconds=3))
                dispatch()
                tasks.outbox_requeue(grace=timedelta(seconds=1))
                return (
                    sink.handler.total >= expected
                    and not WebhookDelivery.objects.exclude(state="sent").exists()
                    and not FollowUp.objects.exclude(alert_state=AlertState.SENT).exists()
                    and not Invitation.objects.filter(pk__in=[i.pk for i in outgoing])
                    .exclude(status=InvitationStatus.SENT)
                    .exists()
                )

            wait_until(caught_up, timeout=90, what="everything delivered after the outage")
            settled = time.monotonic() - back
            time.sleep(2)  # A duplicate would arrive now.
        finally:
            worker.stop()

    assert set(statuses) == {302}
    assert Response.objects.count() == 24
    invitation_counts = {k: v for k, v in sink.handler.counts.items() if k.endswith("invitation")}
    assert sorted(invitation_counts) == sorted(f"{i.pk} invitation" for i in outgoing)
    assert set(invitation_counts.values()) == {1}
    alert_counts = {k: v for k, v in sink.handler.counts.items() if k.startswith("follow-up")}
    assert len(alert_counts) == follow_ups == 12
    assert set(alert_counts.values()) == {1}
    posted = [r["headers"]["Ecoute-Delivery"] for r in receiver.requests]
    events = WebhookDelivery.objects.count()
    assert len(posted) == len(set(posted)) == events == 24 + 8  # created, and 8 comments
    report(
        f"Redis stopped {outage:.1f} s while 8 of 24 customers answered and 30 invitations"
        f" went out ({'a' if refused == -1 else 'no'} dispatch refused, its claim released):"
        f" {len(statuses)} customer requests, 0 errors (no 5xx), 24 answers stored. When Redis"
        f" came back (empty), {invitations_waiting} invitations, {alerts_waiting} of"
        f" {len(alert_counts)} alerts and {webhooks_waiting} of {events} webhook events were"
        f" still to deliver; {settled:.1f} s later all were delivered, each exactly once."
    )


def test_an_smtp_server_that_never_replies_does_not_slow_the_answer_page(
    live_db, private_redis, live_server, settings
):
    settings.SITE_URL = live_server.url
    links = [reverse("surveys:answer", args=[token]) for token in answer_tokens(6)]
    with Blackhole() as hung, app_broker(private_redis.url):
        env = worker_env(
            database_url=database_url(),
            broker_url=private_redis.url,
            smtp_port=hung.port,
            EMAIL_TIMEOUT="0.5",
        )
        worker = Worker(env, ARTIFACTS / "faults-smtp-worker.log").start()
        try:
            times = []
            with httpx.Client(base_url=live_server.url, timeout=5) as http:
                for link in links:
                    form = http.get(link)
                    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
                    began = time.monotonic()
                    page = http.post(link, data={"score": "1", "csrfmiddlewaretoken": csrf[1]})
                    times.append(time.monotonic() - began)
                    assert page.status_code == 302
            answered = time.monotonic()
            wait_until(
                lambda: FollowUp.objects.filter(alert_attempts__gte=1).count() == len(links),
                timeout=60,
                what="the worker's first attempt at each alert",
            )
            attempts_done = time.monotonic() - answered
        finally:
            worker.stop()

    assert max(times) < 2
    errors = set(FollowUp.objects.values_list("alert_error", flat=True))
    assert all("timed out" in error for error in errors), errors
    assert set(FollowUp.objects.values_list("alert_state", flat=True)) == {AlertState.PENDING}
    report(
        f"SMTP server that never replies: {len(links)} detractor answers, page p50"
        f" {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (goal < 2 s);"
        f" the worker gave up each alert after EMAIL_TIMEOUT=0.5 s ({attempts_done:.1f} s for"
        f" all {len(links)} on one worker process) and will try again with backoff."
    )


def schema_copy(source: str, target: str) -> None:
    """The test database's schema and rows into the private cluster's database."""
    dump = subprocess.run(  # noqa: S603 (our own argv)
        ["pg_dump", "--no-owner", "--no-privileges", source],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(  # noqa: S603 (our own argv)
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", target],  # noqa: S607
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=120,
    )


def contacts_handled(count: int) -> None:
    """Handled contacts pushed through the real way in: one email survey decided for each."""
    PolicyFactory(delay_minutes=0)
    started = timezone.now() - timedelta(minutes=30)
    contacts_upsert(
        [
            ContactRecord(
                external_id=f"pg_contact_{n}",
                customer=f"pg_customer_{n}",
                channel="phone",
                reason="billing",
                direction="inbound",
                started_at=started,
                answered_at=started + timedelta(seconds=20),
                ticket=f"pg_ticket_{n}",
            )
            for n in range(count)
        ],
        source="api",
        customer_details=[
            CustomerRecord(f"pg_customer_{n}", email=f"pg{n}@example.com") for n in range(count)
        ],
    )


def test_postgres_restarted_during_dispatch_sends_each_invitation_exactly_once(
    live_db, private_redis, tmp_path
):
    count = 200
    contacts_handled(count)
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == count
    cluster = PrivatePostgres()
    beat = None
    try:
        cluster.init().start()
        psycopg.connect(cluster.url(), autocommit=True).execute("CREATE DATABASE ecoute")
        schema_copy(connection.settings_dict["NAME"], cluster.url("ecoute"))
        with Sink(delay=0.005) as sink:
            env = worker_env(
                database_url=cluster.url("ecoute"),
                broker_url=private_redis.url,
                smtp_port=sink.port,
                INVITATION_BATCH_SIZE="20",
                INVITATION_MAX_IN_FLIGHT="60",
                INVITATION_LEASE_SECONDS="10",
            )
            worker_log = ARTIFACTS / "faults-postgres-worker.log"
            offset = worker_log.stat().st_size if worker_log.exists() else 0
            worker = Worker(env, worker_log).start()
            began = time.monotonic()
            log = (ARTIFACTS / "faults-postgres-beat.log").open("ab")
            beat = subprocess.Popen(  # noqa: S603 (our own argv)
                [sys.executable, str(Path(__file__).with_name("delivery_support.py")), "beat",
                 "--seconds", "120"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                assert sink.handler.wait_for(count // 3, timeout=60), "nothing was sent"
                at = sink.handler.total
                down = cluster.restart()
                assert beat.wait(timeout=150) == 0, "the beat gave up: see its log"
                took = time.monotonic() - began
                time.sleep(2)  # A duplicate would arrive now.
            finally:
                worker.stop()
                log.close()
        with psycopg.connect(cluster.url("ecoute")) as db:
            statuses = dict(
                db.execute("SELECT status, count(*) FROM surveys_invitation GROUP BY 1").fetchall()
            )
    finally:
        if beat is not None and beat.poll() is None:
            beat.kill()
            beat.wait(timeout=10)
        cluster.cleanup()

    twice = sum(1 for n in sink.handler.counts.values() if n > 1)
    assert statuses == {"sent": count}
    assert len(sink.handler.counts) == count and twice == 0
    retried = len(re.findall(rb"Retry in", worker_log.read_bytes()[offset:]))
    report(
        f"PostgreSQL restarted (down {down:.1f} s) after {at} of {count} emails: all {count}"
        f" sent, each exactly once (0 twice, 0 missing), in {took:.1f} s in all;"
        f" {retried} batch retries logged by the worker."
    )
