"""The production stack as the README and docker-compose.yml start it, on the real services.

`collectstatic`, then gunicorn with production settings (DEBUG off, a strong secret, explicit
hosts and site URL), a Celery worker and Celery beat, each a process of its own, on PostgreSQL
(the test database) and Redis, with a local SMTP server. Then, over HTTP as a browser and a
helpdesk would: styled French pages, a history pushed through the API, the survey email it
causes, its link opened and answered, one response stored.

Same processes and settings as docker-compose.yml's web, worker and beat services, except for
what a test must choose: the loopback port, the database, the SMTP server, and a beat every
second instead of every 15.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from surveys.models import Invitation, InvitationStatus, Response
from tests.surveys.delivery_support import Sink, free_port
from tests.surveys.factories import PolicyFactory
from tickets.tokens import api_token_create

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
APP_NAME = "ecoute-production-stack"
HASHED_CSS = r'<link rel="stylesheet" href="(/static/css/{name}\.[0-9a-f]{{12}}\.css)">'
A_YEAR_OR_MORE = re.compile(r"max-age=(\d{8,})")
# docker-compose.yml's settings for web, worker and beat that the test keeps as they are; the
# others name what differs (the secret, the host, the database...) or what compose leaves to .env.
COMPOSE_SETTINGS = {"DEBUG": "0", "TRUSTED_PROXY": "0", "SECURE_COOKIES": "0"}
TEST_CHOICES = {
    "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "CELERY_BROKER_URL",
    "WEB_CONCURRENCY",
}  # fmt: skip


def commands(bind: str, schedule: str) -> dict[str, list[str]]:
    """The three long-running processes, as docker-compose.yml and the README start them."""
    return {
        "web": ["gunicorn", "config.wsgi:application", "--bind", bind],
        "worker": ["celery", "-A", "config", "worker", "--loglevel=info"],
        "beat": ["celery", "-A", "config", "beat", "--loglevel=info", "--schedule", schedule],
    }


class Process:
    """A child process in its own process group, its output in a log file; stopped by PID."""

    def __init__(self, name: str, args: list[str], env: dict, logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_for(self, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.output()}")
            if ready():
                return
            time.sleep(0.1)
        pytest.fail(f"{self.name} not ready after {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def terminate(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)

    def wait_stopped(self, timeout: float = 15.0) -> None:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=timeout)


def _database_url() -> str:
    """The test database, named so that its sessions can be waited for."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}?application_name={APP_NAME}"


def _sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        )
        return cursor.fetchone()[0]


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def stack(redis_url, postgres, transactional_db, django_db_serialized_rollback, tmp_path):
    """web, worker and beat started as docker-compose.yml starts them; yields (site, sink)."""
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    with Sink() as sink:
        env = {
            **os.environ,
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "PYTHONUNBUFFERED": "1",
            "ENV_FILE": "/dev/null",  # no developer's .env
            **COMPOSE_SETTINGS,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": site,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": redis_url,
            "WEB_CONCURRENCY": "2",
            "STATIC_ROOT": str(tmp_path / "static"),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            # A test's own choices.
            "DELIVERY_BEAT_SECONDS": "1",
        }
        argv = commands(f"127.0.0.1:{port}", str(tmp_path / "celerybeat-schedule"))
        processes = [Process(name, argv[name], env, tmp_path) for name in ("worker", "beat")]
        try:
            began = time.monotonic()
            # The Dockerfile's build step; WhiteNoise reads its output when gunicorn starts.
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT, env=env, check=True, timeout=120,
            )  # fmt: skip
            print(f"collectstatic: {time.monotonic() - began:.1f} s")
            web = Process("web", argv["web"], env, tmp_path)
            processes.append(web)
            web.wait_for(lambda: _answers(f"{site}/healthz"), timeout=60)
            worker, beat = processes[:2]
            worker.wait_for(lambda: b" ready." in worker.log.read_bytes(), timeout=60)
            beat.wait_for(lambda: b"beat: Starting" in beat.log.read_bytes(), timeout=60)
            print(f"stack ready: {time.monotonic() - began:.1f} s")
            yield site, sink
        finally:
            began = time.monotonic()
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait_stopped()
            print(f"stack stopped: {time.monotonic() - began:.1f} s")
            # The test database is flushed, then dropped, once their sessions are gone.
            _wait(lambda: _sessions() == 0, timeout=15, what="the stack's database sessions")


def _stylesheet(client: httpx.Client, page: str, name: str) -> httpx.Response:
    """The page's stylesheet, under its hashed name, as a browser asks for it."""
    found = re.search(HASHED_CSS.format(name=name), page)
    assert found, f"no hashed css/{name}.css in the page"
    return client.get(found.group(1), headers={"Accept-Encoding": "gzip"})


def _assert_served_for_a_year(css: httpx.Response) -> None:
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Content-Encoding"] == "gzip"
    assert "immutable" in css.headers["Cache-Control"]
    max_age = A_YEAR_OR_MORE.search(css.headers["Cache-Control"])
    assert max_age and int(max_age.group(1)) >= 365 * 24 * 3600
    assert "--accent" in css.text


def _score_links(raw: bytes) -> dict[int, str]:
    message = message_from_bytes(raw)
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode(text.get_content_charset())
    return {int(n): url for url, n in re.findall(r"(http\S+/\?score=(\d+))", body)}


@pytest.mark.services
@pytest.mark.slow
def test_the_production_stack_serves_styled_french_pages_and_a_survey_end_to_end(stack):
    site, sink = stack
    PolicyFactory(delay_minutes=0, name="CSAT après un échange")
    _token, raw_token = api_token_create(
        name="Helpdesk",
        user=User.objects.create_user("helpdesk", password=None),
        scopes=["history:write"],
    )
    client = httpx.Client(base_url=site, timeout=10, follow_redirects=True)

    # Ready, with the real database and broker; the security headers are on.
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["broker"]) == (200, "ok")

    # The login page: French, styled, its stylesheet served by the web process for a year.
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert '<html lang="fr">' in login.text
    assert "Se connecter" in login.text and "Aller au contenu" in login.text  # Ecoute's own
    assert "Mot de passe" in login.text  # Django's
    assert "unsafe-inline" not in login.headers["Content-Security-Policy"]
    _assert_served_for_a_year(_stylesheet(client, login.text, "ecoute"))
    # A client claiming HTTPS is not believed (no proxy is declared): as a plain HTTP form,
    # the login needs no Referer; as HTTPS, the CSRF check would refuse it without one.
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    claimed = client.post(
        "/accounts/login/",
        data={"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": csrf},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert claimed.status_code == 200, claimed.text[:300]
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    api_missing = client.get("/api/v1/no-such-endpoint/")
    assert (api_missing.status_code, api_missing.headers["Content-Type"]) == (
        404,
        "application/json",
    )
    assert client.get("/favicon.ico").status_code == 200

    # A helpdesk pushes a handled contact: the beat and the worker send its survey.
    started = timezone.now() - timedelta(minutes=5)
    pushed = client.post(
        "/api/v1/contacts/",
        headers={"Authorization": f"Bearer {raw_token}"},
        json={
            "contact_id": "C-1", "ticket_id": "T-1", "customer_id": "CU-1",
            "customer_email": "camille@example.com", "customer_language": "fr",
            "channel": "phone", "reason": "billing", "agent_id": "A-1", "team": "paris_n1",
            "direction": "inbound", "started_at": started.isoformat(),
            "answered_at": (started + timedelta(seconds=20)).isoformat(), "handle_seconds": 240,
        },
    )  # fmt: skip
    assert pushed.status_code == 201, pushed.text
    assert sink.handler.wait_for(1, timeout=60), "no survey email reached the SMTP server"
    [raw] = sink.handler.messages
    assert "Une question sur votre" in message_from_bytes(raw, policy=policy.default)["Subject"]
    links = _score_links(raw)
    assert sorted(links) == [1, 2, 3, 4, 5] and links[4].startswith(site)

    # The customer opens the link of a score: a French, styled page; "Envoyer" records it.
    survey = client.get(links[4])
    assert survey.status_code == 200
    assert '<html lang="fr">' in survey.text and "Envoyer" in survey.text
    _assert_served_for_a_year(_stylesheet(client, survey.text, "survey"))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', survey.text).group(1)
    sent = client.post(
        links[4].split("?")[0], data={"score": "4", "lang": "fr", "csrfmiddlewaretoken": csrf}
    )
    assert sent.status_code == 200 and sent.url.path.endswith("/more/")
    client.close()

    response = Response.objects.get()
    assert (response.score, response.kind) == (4, "csat")
    assert response.invitation.status == InvitationStatus.ANSWERED
    assert Invitation.objects.count() == 1


def _compose_value(value: str) -> str:
    """`${NAME:-default}` as compose reads it when NAME is set nowhere."""
    found = re.fullmatch(r"\$\{\w+:-(.*)\}", str(value))
    return found.group(1) if found else str(value)


def test_docker_compose_runs_the_same_processes_with_the_same_settings():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    environment = compose["x-app"]["environment"]

    expected = commands("0.0.0.0:8000", "/tmp/celerybeat-schedule")  # noqa: S108
    for name, argv in expected.items():
        assert services[name]["command"].split() == argv, name
        assert services[name]["environment"] == environment, name
    assert set(environment) == set(COMPOSE_SETTINGS) | TEST_CHOICES
    assert {k: _compose_value(environment[k]) for k in COMPOSE_SETTINGS} == COMPOSE_SETTINGS
    assert "/readyz" in str(services["web"]["healthcheck"]["test"])
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "*.mo" not in (ROOT / ".dockerignore").read_text()  # the translations ship
