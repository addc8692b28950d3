"""Pulling Zendesk's incremental ticket export from a local server: several pages with a
cursor, a sync that dies between pages and starts again, a 429 with Retry-After: every ticket
is recorded exactly once."""

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

from connectors.models import Cursor, Kind, Payload, PayloadState
from connectors.processing import payloads_process
from connectors.pull import RateLimited, source_sync
from surveys.models import Response
from tickets.models import Contact, Ticket

from .conftest import source_create

T0 = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)
PAGES = 4
PER_PAGE = 3


def ticket(n: int) -> dict:
    at = (T0 + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": n, "requester_id": 100 + n % 4, "assignee_id": 7, "group_id": 2,
        "status": "solved" if n % 2 else "open", "priority": "normal", "type": "question",
        "via": {"channel": "email"}, "tags": [], "created_at": at, "updated_at": at,
        "satisfaction_rating": {"id": 9000 + n, "score": "good" if n % 3 else "bad"},
    }  # fmt: skip


def export_page(cursor: str) -> dict:
    """Page i (cursor "" or "c<i>") holds tickets i*3+1..i*3+3; the last one ends the stream."""
    index = int(cursor[1:]) if cursor else 0
    if index >= PAGES:  # past the end: nothing new since, the cursor stays
        return {"tickets": [], "after_cursor": cursor, "end_of_stream": True}
    tickets = [ticket(index * PER_PAGE + k) for k in range(1, PER_PAGE + 1)]
    last = index == PAGES - 1
    return {
        "tickets": tickets,
        "users": [
            {"id": 100 + k, "email": f"user{k}@example.com", "locale": "fr-FR"} for k in range(4)
        ],
        "after_cursor": f"c{index + 1}",
        "before_cursor": cursor or None,
        "end_of_stream": last,
    }  # fmt: skip


class Export:
    """The export's answers, with faults to inject: a page that fails once, a 429 once."""

    def __init__(
        self,
        fail_once_at: str | None = None,
        limit_once_at: str | None = None,
        hold_at: str | None = None,
    ) -> None:
        self.fail_once_at, self.limit_once_at, self.hold_at = fail_once_at, limit_once_at, hold_at
        self.served: Counter[str] = Counter()
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, method: str, path: str, body: bytes):
        url = urlparse(path)
        query = parse_qs(url.query)
        if not url.path.endswith("/incremental/tickets/cursor.json"):
            return 200, {}, json.dumps({"ticket_metric_events": [], "count": 0}).encode()
        cursor = query.get("cursor", [""])[0]
        self.served[cursor] += 1
        if cursor == self.hold_at and self.served[cursor] == 1:
            self.holding.set()
            self.release.wait(timeout=20)  # the syncing process is killed meanwhile
        if cursor == self.fail_once_at and self.served[cursor] == 1:
            return 500, {}, b'{"error": "InternalError"}'
        if cursor == self.limit_once_at and self.served[cursor] == 1:
            return 429, {"Retry-After": "7"}, b'{"error": "APIRateLimitExceeded"}'
        return 200, {}, json.dumps(export_page(cursor)).encode()


def zendesk(url: str):
    return source_create(Kind.ZENDESK, base_url=url, api_user="admin@example.com", pull_from=T0), []


def assert_every_ticket_once() -> None:
    expected = {f"zd-{n}" for n in range(1, PAGES * PER_PAGE + 1)}
    assert set(Ticket.objects.values_list("external_id", flat=True)) == expected
    assert Contact.objects.count() == len(expected)
    # Each ticket arrived in exactly one stored page.
    seen = Counter(
        t["id"]
        for body in Payload.objects.filter(origin="pull").values_list("body", flat=True)
        for t in json.loads(body).get("tickets", [])
    )
    assert set(seen.values()) == {1} and len(seen) == len(expected)
    assert Response.objects.count() == len(expected)


@pytest.mark.django_db
def test_a_sync_reads_every_page_then_resumes_after_the_last_cursor(fake_helpdesk):
    export = Export()
    server = fake_helpdesk(export)
    source, _ = zendesk(server.url)
    source.api_token = "zd-token"
    source.save()

    pages = source_sync(source)
    payloads_process()

    assert pages == PAGES + 1  # the tickets' pages and one of metric events
    assert_every_ticket_once()
    assert Cursor.objects.get(source=source, stream="tickets").value == f"c{PAGES}"
    _method, path, headers, _body = server.requests[0]
    assert "start_time=" + str(int(T0.timestamp())) in path and "include=metric_sets" in path
    assert headers["Authorization"].startswith("Basic ")  # "<email>/token:<token>"
    customer = Contact.objects.get(external_id="zd-1").customer
    assert (customer.email, customer.language) == ("user1@example.com", "fr")
    assert Ticket.objects.get(external_id="zd-1").solved_at == T0 + timedelta(hours=1)
    assert Response.objects.get(external_id="zd-csat-9003").score == 1  # "bad"

    # Run again: it asks from the stored cursor, and the stream's end changes nothing.
    source_sync(source)
    payloads_process()
    assert export.served[f"c{PAGES - 1}"] == 1 and export.served[f"c{PAGES}"] == 1
    assert_every_ticket_once()


@pytest.mark.django_db
def test_a_sync_that_dies_between_pages_restarts_from_its_cursor(fake_helpdesk):
    export = Export(fail_once_at="c2")
    server = fake_helpdesk(export)
    source, _ = zendesk(server.url)

    with pytest.raises(httpx.HTTPStatusError):
        source_sync(source)
    stored_before = Payload.objects.count()
    source_sync(source)
    payloads_process()

    assert stored_before == 2  # pages "" and "c1" were stored before it died
    assert export.served[""] == 1 and export.served["c1"] == 1  # not asked again
    assert_every_ticket_once()
    assert not Payload.objects.exclude(state=PayloadState.DONE).exclude(state="ignored").exists()


@pytest.mark.django_db
def test_a_429_is_waited_out_as_retry_after_says(fake_helpdesk):
    export = Export(limit_once_at="c1")
    server = fake_helpdesk(export)
    source, _ = zendesk(server.url)
    waits = []

    source_sync(source, sleep=waits.append)
    payloads_process()

    assert waits == [7.0]
    assert export.served["c1"] == 2
    assert_every_ticket_once()


@pytest.mark.django_db
def test_a_429_asking_too_long_a_wait_stops_the_sync_until_then(fake_helpdesk, settings):
    settings.CONNECTORS_MAX_WAIT_SECONDS = 5
    export = Export(limit_once_at="c1")
    source, _ = zendesk(fake_helpdesk(export).url)

    with pytest.raises(RateLimited):
        source_sync(source, sleep=lambda s: pytest.fail("must not wait"))
    source.refresh_from_db()
    skipped = source_sync(source)

    assert source.rate_limited_until > datetime.now(UTC)
    assert skipped == 0 and export.served["c1"] == 1


@pytest.mark.django_db
def test_connector_sync_command_pulls_and_records(fake_helpdesk, capsys):
    source, _ = zendesk(fake_helpdesk(Export()).url)

    call_command("connector_sync", source.slug, "--process")

    assert "5" in capsys.readouterr().out
    assert_every_ticket_once()


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sync_process_killed_mid_page_loses_and_doubles_nothing(fake_helpdesk, postgres):
    """A real `manage.py connector_sync` process, SIGKILLed while it waits for page c2."""
    export = Export(hold_at="c2")
    source, _ = zendesk(fake_helpdesk(export).url)
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}/{db['NAME']}",
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
    }
    command = [sys.executable, "manage.py", "connector_sync", source.slug]
    process = subprocess.Popen(command, env=env, cwd=str(_root()))
    try:
        assert export.holding.wait(timeout=60), "the sync never reached page c2"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        export.release.set()
        if process.poll() is None:
            process.kill()
    assert Payload.objects.count() == 2  # "" and "c1", each with its cursor

    restarted = subprocess.run(command, env=env, cwd=str(_root()), timeout=120, check=False)
    payloads_process()

    assert restarted.returncode == 0
    assert_every_ticket_once()


def _root():
    from django.conf import settings

    return settings.BASE_DIR
