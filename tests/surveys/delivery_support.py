"""Real parts for delivery tests and bench/dispatch.py: an SMTP sink and Celery worker processes.

Everything here is started by its caller and stopped by it, by PID (or the process group it
created), within a time bound.

The sink can also run as its own process (`python tests/surveys/delivery_support.py sink
--port P --out counts.json`): it counts messages by their X-Ecoute-Invitation header and writes
the counts when it receives SIGTERM.
"""

import asyncio
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: thousands of lines per second in a benchmark.
logging.getLogger("mail.log").setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
HEADER = re.compile(rb"^X-Ecoute-Invitation: *(.+?)\r?$", re.MULTILINE | re.IGNORECASE)
ALERT_HEADER = re.compile(rb"^X-Ecoute-Follow-Up: *(.+?)\r?$", re.MULTILINE | re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CountingHandler:
    """Keeps every message (or only counts them); can be slow, and can say when N arrived.

    The delay comes after the message is recorded, before the server answers 250: like an MTA
    writing to its queue, and the moment a killed client leaves a row in doubt.
    """

    def __init__(self, *, delay: float = 0.0, keep: bool = True, pipelining: bool = True) -> None:
        self.delay = delay
        self.keep = keep
        self.pipelining = pipelining
        self.messages: list[bytes] = []
        self.counts: Counter[str] = Counter()
        self.total = 0
        self._waiters: list[tuple[int, threading.Event]] = []
        self._lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        # aiosmtpd reads pipelined commands fine but does not offer PIPELINING; production
        # MTAs do, so the sender's pipelined path is the one the tests run by default.
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or envelope.content
        with self._lock:
            self.counts[_key(content)] += 1
            self.total += 1
            if self.keep:
                self.messages.append(content)
            for count, event in self._waiters:
                if self.total >= count:
                    event.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float) -> bool:
        event = threading.Event()
        with self._lock:
            if self.total >= count:
                return True
            self._waiters.append((count, event))
        return event.wait(timeout)


def _key(content: bytes) -> str:
    """What a message is: `<pk> invitation|reminder`, `follow-up <pk>` (an alert), or `?`."""
    match = HEADER.search(content)
    if match:
        return match.group(1).decode().strip()
    match = ALERT_HEADER.search(content)
    return f"follow-up {match.group(1).decode().strip()}" if match else "?"


class Sink:
    """An aiosmtpd server on loopback in a thread of this process."""

    def __init__(
        self, *, delay: float = 0.0, keep: bool = True, pipelining: bool = True, wrap=None
    ) -> None:
        self.handler = CountingHandler(delay=delay, keep=keep, pipelining=pipelining)
        self.port = free_port()
        # `wrap` puts a handler in front of the counting one (to refuse some addresses).
        handler = wrap(self.handler) if wrap else self.handler
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "Sink":
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()


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


@contextmanager
def app_broker(url: str):
    """This process's Celery app publishing to `url` (not eagerly), put back afterwards.

    Publishing reads `broker_write_url`, which the CELERY_BROKER_URL environment variable does
    not override (it overrides `broker_url`).
    """
    from config.celery import app

    saved = app.conf.get("broker_write_url"), app.conf.task_always_eager

    def reset() -> None:
        # Forget the pools, without closing them: kombu keeps one per broker for the process,
        # and hands the same one back when the URL is put back.
        app._pool = None
        app.amqp._producer_pool = None

    app.conf["broker_write_url"], app.conf.task_always_eager = url, False
    reset()
    try:
        yield app
    finally:
        app.conf["broker_write_url"], app.conf.task_always_eager = saved
        reset()


WORKER_APP = "ecoute-test-worker"


def database_url() -> str:
    """The test database (pytest-django's, not the configured one), for a worker process."""
    from django.db import connection

    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}?application_name={WORKER_APP}"


def worker_sessions() -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [WORKER_APP],
        )
        return cursor.fetchall()


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    import pytest

    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def worker_env(*, database_url: str, broker_url: str, smtp_port: int, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG=env.get("DEBUG", "1"),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Worker:
    """`celery -A config worker` as a child process in its own process group."""

    def __init__(
        self,
        env: dict,
        log: Path,
        *,
        pool: str = "solo",
        concurrency: int = 1,
        name: str = "w",
        queue: str = "",
    ) -> None:
        self.env = env
        self.log = log
        self.args = [
            str(CELERY),
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-n",
            f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        if queue:
            self.args.append(f"--queues={queue}")
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0, ready=None) -> "Worker":
        """Start and wait until ready: its log says so, or `ready()` is true (quiet logs)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}: see {self.log}")
            if ready() if ready else b" ready." in self.log.read_bytes()[offset:]:
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"worker not ready after {timeout} s: see {self.log}")

    def kill(self) -> None:
        """SIGKILL, no goodbye: what an OOM killer or a pulled plug does."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop one child we started, by its PID (its own session), killing it if it hangs."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 (not up yet)
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} not ready after {timeout} s")


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port, which the test may stop and
    start again (same port, nothing kept: what was queued is lost, as in a crash)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> "PrivateRedis":
        import redis

        self.workdir.mkdir(parents=True, exist_ok=True)
        with (self.workdir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",  # noqa: S607
                 "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        _wait_for(client.ping, timeout, f"redis on port {self.port}")
        return self

    def stop(self) -> None:
        _stop(self.process)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own: initdb in a temporary folder, a free loopback
    port, the server started and stopped by its PID (fast shutdown, as `pg_ctl restart` does).

    PostgreSQL refuses to run as root: when the tests do, the cluster belongs to `postgres`.
    """

    def __init__(self) -> None:
        import glob
        import pwd
        import tempfile

        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="ecoute-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.dir, pwd.getpwnam(self.user).pw_uid, -1)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.down_seconds = 0.0

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> "PrivatePostgres":
        subprocess.run(  # noqa: S603 (our own argv)
            [self.bin / "initdb", "-D", self.dir / "data", "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8"],
            check=True, capture_output=True, user=self.user, timeout=120,
        )  # fmt: skip
        return self

    def start(self, timeout: float = 30) -> "PrivatePostgres":
        import psycopg

        with (self.dir / "server.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                [self.bin / "postgres", "-D", self.dir / "data", "-p", str(self.port),
                 "-k", self.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                stdout=log, stderr=subprocess.STDOUT, user=self.user, start_new_session=True,
            )  # fmt: skip
        _wait_for(
            lambda: psycopg.connect(self.url(), connect_timeout=1).close() or True,
            timeout,
            f"PostgreSQL on port {self.port}",
        )
        return self

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT, timeout=30)  # SIGINT: fast shutdown.

    def restart(self) -> float:
        """Fast shutdown, then start again; returns the seconds it was down."""
        began = time.monotonic()
        self.stop()
        self.start()
        self.down_seconds = time.monotonic() - began
        return self.down_seconds

    def cleanup(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Blackhole:
    """A TCP server on loopback that accepts connections and never says a word (an SMTP server
    that hangs before its greeting)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def __enter__(self) -> "Blackhole":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.listener.close()
        for conn in self.accepted:
            conn.close()
        self.thread.join(timeout=5)


def _beat_main(argv: list[str]) -> None:
    """What `celery beat` makes the workers do for delivery, run in a loop in this process
    (claims, stale releases), and carrying on through database errors as the beat would.

    Exits when no invitation is pending or being sent, or after --seconds.
    """
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.db import DatabaseError, connection

    from surveys import tasks
    from surveys.delivery import claims
    from surveys.models import Invitation, InvitationStatus

    deadline = time.monotonic() + args.seconds
    errors = 0
    while time.monotonic() < deadline:
        try:
            claims.claims_release_stale()
            claims.invitations_dispatch(tasks._enqueue)
            left = Invitation.objects.filter(
                status__in=[InvitationStatus.PENDING, InvitationStatus.SENDING]
            ).count()
        except DatabaseError as exc:
            errors += 1
            print(f"beat: database error ({type(exc).__name__}), trying again", flush=True)
            connection.close()
            time.sleep(0.2)
            continue
        if not left:
            print(f"beat: done, {errors} database errors", flush=True)
            return
        time.sleep(0.2)
    print("beat: gave up", flush=True)
    sys.exit(1)


def _sink_main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    handler = CountingHandler(keep=False)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("sink ready", flush=True)
    while not stop.wait(0.5):
        pass
    controller.stop()
    args.out.write_text(json.dumps({"total": handler.total, "counts": handler.counts}))


if __name__ == "__main__" and sys.argv[1:2] == ["sink"]:
    _sink_main(sys.argv[2:])
if __name__ == "__main__" and sys.argv[1:2] == ["beat"]:
    sys.path.insert(0, str(ROOT))
    _beat_main(sys.argv[2:])
