"""What the benchmarks share: a PostgreSQL database recreated for a run, and customers
answering their surveys through the site (the answer pages' flow, which bench/answers.py
measures and bench/webhooks.py compares webhooks with)."""

import asyncio
import os
import random
import re
import secrets
import sys
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode


def fresh_database() -> None:
    """Drop, create and migrate the database DATABASE_URL names, which must hold "bench"."""
    from django.core.management import call_command
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql" or "bench" not in db["NAME"]:
        sys.exit('DATABASE_URL must name a PostgreSQL database with "bench" in its name.')
    with _server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def database_drop() -> None:
    """Drop the database DATABASE_URL names, once a run is over."""
    from django.db import connection

    with _server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{connection.settings_dict["NAME"]}"')


def saved_name() -> str:
    """The database `database_save` copies DATABASE_URL's into."""
    from django.db import connection

    return f"{connection.settings_dict['NAME']}_saved"


def database_save() -> None:
    """Copy the database DATABASE_URL names (a loaded history) beside it, for `database_restore`."""
    from django.db import connection

    with _server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{saved_name()}"')
        # A copy of the files: the shared buffers are left as they are.
        name = connection.settings_dict["NAME"]
        admin.execute(f'CREATE DATABASE "{saved_name()}" TEMPLATE "{name}" STRATEGY FILE_COPY')


def database_restore() -> bool:
    """Recreate the database DATABASE_URL names from its saved copy (its rows, indexes and planner
    statistics), if there is one; False if there is none."""
    from django.db import connection

    with _server() as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [saved_name()]
        ).fetchone()
        if not exists:
            return False
        name = connection.settings_dict["NAME"]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{saved_name()}" STRATEGY FILE_COPY')
    return True


def _server():
    """A connection to the server's `postgres` database, as DATABASE_URL's user, with Django's
    own connection closed (a database in use cannot be dropped)."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    connection.close()
    params = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
    }
    return psycopg.connect(dbname="postgres", autocommit=True, **params)


# --- Customers answering their surveys (bench/answers.py; bench/webhooks.py compares) --------

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0
CSRF_COOKIE = re.compile(rb"^Set-Cookie: csrftoken=([^;\r\n]+)", re.MULTILINE | re.IGNORECASE)
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Link:
    invitation: int
    token: str
    language: str
    score: int


# One answer given over HTTP: None when recorded, else what went wrong.
Answer = Callable[[int, Link], Awaitable[str | None]]


@dataclass
class Round:
    kind: str
    connections: int
    took: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    answered: list[Link] = field(default_factory=list)
    failed: list[Link] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.took if self.took else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def production_env(static_root: Path) -> dict[str, str]:
    return {
        "ENV_FILE": "/dev/null",  # no developer's .env
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}",
        "STATIC_ROOT": str(static_root),
        "CELERY_BROKER_URL": os.environ.get("REDIS_URL", ""),
        "LOG_LEVEL": "WARNING",
    }


def links_insert(count: int) -> list[Link]:
    """`count` customers, each with a sent NPS invitation and its answer token, by COPY."""
    from django.db import connection
    from django.utils import timezone

    from surveys.models import Questionnaire
    from surveys.tokens import token_digest

    questionnaire = Questionnaire.objects.get(name="NPS").pk
    now = timezone.now()
    expires = now + timedelta(days=7)
    draw = random.Random(1)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY tickets_customer (external_id, name, email, phone, language, timezone) FROM STDIN"
        ) as copy:
            for n in range(count):
                copy.write_row((f"bench_{n}", "", f"bench_{n}@example.com", "", "", ""))
        # The rows just copied: the last ones (a run may hold other customers).
        raw.execute("SELECT id FROM tickets_customer ORDER BY id DESC LIMIT %s", [count])
        customers = sorted(row[0] for row in raw.fetchall())
        columns = (
            "questionnaire_id, customer_id, channel, delivery, language, status, skip_reason,"
            " created_at, send_after, sent_at, expires_at, attempts, last_error"
        )
        with raw.copy(f"COPY surveys_invitation ({columns}) FROM STDIN") as copy:
            for n, customer in enumerate(customers):
                language = "en" if n % 2 else "fr"
                copy.write_row((
                    questionnaire, customer, "phone", "email", language, "sent", "",
                    now, now, now, expires, 1, "",
                ))  # fmt: skip
        raw.execute(
            "SELECT id, language FROM surveys_invitation ORDER BY id DESC LIMIT %s", [count]
        )
        invitations = sorted(raw.fetchall())
        links = [
            Link(pk, secrets.token_urlsafe(24), language, draw.randint(0, 10))
            for pk, language in invitations
        ]
        columns = "invitation_id, purpose, digest, created_at, expires_at"
        with raw.copy(f"COPY surveys_invitationtoken ({columns}) FROM STDIN") as copy:
            for link in links:
                copy.write_row((link.invitation, "answer", token_digest(link.token), now, expires))
        raw.execute("ANALYZE")
    draw.shuffle(links)
    return links


async def answers_run(
    port: int, done: Round, answer: Answer, batch: list[Link], seconds: float
) -> None:
    """Answers `batch` with `answer`, on `done.connections` connections, for at most
    `seconds`: each answer's time, the answered and the failed in `done`."""
    queue = deque(batch)
    deadline = time.monotonic() + seconds

    async def connection_loop() -> None:
        while queue and time.monotonic() < deadline:
            link = queue.popleft()
            began = time.perf_counter()
            try:
                error = await asyncio.wait_for(answer(port, link), REQUEST_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                error = type(exc).__name__
            if error:
                done.errors[error] += 1
                done.failed.append(link)
            else:
                done.latencies.append(time.perf_counter() - began)
                done.answered.append(link)

    started = time.perf_counter()
    await asyncio.gather(*(connection_loop() for _ in range(done.connections)))
    done.took = time.perf_counter() - started


async def exchange(port: int, request: bytes) -> tuple[int, bytes, bytes]:
    """One request on a new connection, read until the server closes it."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head, body


def http_request(method: str, path: str, port: int, body: str = "", headers: str = "") -> bytes:
    if body:
        headers += (
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        )
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n"
        f"Accept-Language: fr\r\n{headers}\r\n{body}"
    ).encode()


async def flow_answer(port: int, link: Link) -> str | None:
    """A customer's answer as a browser gives it; None when recorded, else what went wrong."""
    page = f"/s/{link.token}/"
    status, head, body = await exchange(
        port, http_request("GET", f"{page}?score={link.score}", port)
    )
    if status != 200:
        return f"GET {status}"
    cookie, csrf = CSRF_COOKIE.search(head), CSRF_FIELD.search(body)
    if not cookie or not csrf:
        return "no CSRF token"
    form = urlencode({
        "csrfmiddlewaretoken": csrf.group(1).decode(), "lang": link.language, "score": link.score,
    })  # fmt: skip
    cookies = f"Cookie: csrftoken={cookie.group(1).decode()}\r\n"
    status, head, _body = await exchange(port, http_request("POST", page, port, form, cookies))
    if status != 302 or f"Location: {page}more/".encode() not in head:
        return f"POST {status}"
    return None
