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
from pathlib import Path

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: thousands of lines per second in a benchmark.
logging.getLogger("mail.log").setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
HEADER = re.compile(rb"^X-Ecoute-Invitation: *(.+?)\r?$", re.MULTILINE | re.IGNORECASE)


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
        match = HEADER.search(content)
        with self._lock:
            self.counts[match.group(1).decode().strip() if match else "?"] += 1
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
            self.process = subprocess.Popen(
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
