"""Emails sent per second through real Celery workers, Redis and an SMTP sink (a benchmark).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_bench_dispatch \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/dispatch.py --invitations 100000 [--noop 20000] [--workers 2]

The database named by DATABASE_URL must have "bench" in its name: it is dropped, created and
migrated. The Redis database is flushed before and after. The script starts, and stops:

- a loopback SMTP sink in its own process that counts messages per invitation: bench/smtp_sink.py
  by default, or with --sink aiosmtpd the tests' aiosmtpd sink (which, at about a millisecond
  of CPU per message, becomes the bottleneck on two cores);
- one `celery -A config worker` with --workers processes (prefork).

It first measures the baseline: --noop no-op tasks, one queue message per task, published from
here while the workers drain them. Then it inserts --invitations due invitations (COPY) and
runs the beat's dispatch (claim a batch, queue one task per batch) every half second until
every invitation is sent, and checks at the sink that each one arrived exactly once. Prints
both rates and the ratio.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from celery import shared_task

ROOT = Path(__file__).resolve().parent.parent


@shared_task(name="bench.noop", acks_late=True, ignore_result=True)
def noop(n: int) -> None:
    """The baseline: a task that does nothing, one queue message each."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--noop", type=int, default=None, help="default: min(invitations, 20000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--sink", choices=["fast", "aiosmtpd"], default="fast")
    parser.add_argument("--loglevel", default="WARNING", help="the worker's (INFO logs each task)")
    args = parser.parse_args()
    noop_count = args.noop if args.noop is not None else min(args.invitations, 20_000)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        sys.exit("Set CELERY_BROKER_URL (Redis, e.g. redis://127.0.0.1:6379/7).")
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    from bench.support import fresh_database

    fresh_database()
    insert_invitations(args.invitations)

    from tests.surveys.delivery_support import Worker, free_port, worker_env

    work = Path(tempfile.mkdtemp(prefix="ecoute-bench-dispatch-"))
    port = free_port()
    sink = start_sink(args.sink, port, work / "sink.json")
    env = worker_env(
        database_url=os.environ["DATABASE_URL"],
        broker_url=settings.CELERY_BROKER_URL,
        smtp_port=port,
        DEBUG="0",
        SECRET_KEY="bench-only-not-secret",  # noqa: S106
        SITE_URL="https://ecoute.example.com",
        LOG_LEVEL="WARNING",
    )
    worker = Worker(env, work / "worker.log", pool="prefork", concurrency=args.workers)
    worker.args += ["--include=bench.dispatch", f"--loglevel={args.loglevel}"]
    worker.args.remove("--loglevel=INFO")
    try:
        worker.start(timeout=60, ready=lambda: bool(noop.app.control.ping(timeout=0.5)))
        baseline = run_noop(broker, noop_count, args.timeout)
        sent, elapsed = run_dispatch(args.invitations, args.timeout)
    finally:
        worker.stop(timeout=30)
        counts = stop_sink(sink, work / "sink.json")
        broker.flushdb()

    report(args, noop_count, baseline, sent, elapsed, counts, work)


def insert_invitations(count: int) -> None:
    """`count` customers and one due email invitation each, by COPY, half in English."""
    from django.db import connection
    from django.utils import timezone

    from surveys.models import Questionnaire

    questionnaire = Questionnaire.objects.get(name="NPS").pk
    now = timezone.now()
    due = now - timedelta(minutes=1)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        customers_columns = "external_id, name, email, phone, language, timezone"
        with raw.copy(f"COPY tickets_customer ({customers_columns}) FROM STDIN") as copy:
            for n in range(count):
                copy.write_row((f"bench_{n}", "", f"bench_{n}@example.com", "", "fr", ""))
        raw.execute("SELECT id FROM tickets_customer ORDER BY id")
        customers = [row[0] for row in raw.fetchall()]
        columns = (
            "questionnaire_id, customer_id, channel, delivery, language, status, skip_reason,"
            " created_at, send_after, attempts, last_error"
        )
        with raw.copy(f"COPY surveys_invitation ({columns}) FROM STDIN") as copy:
            for n, customer in enumerate(customers):
                language = "en" if n % 2 else "fr"
                row = (questionnaire, customer, "phone", "email", language, "pending", "")
                copy.write_row((*row, now, due, 0, ""))
        raw.execute("ANALYZE surveys_invitation")
    print(f"inserted {count} due invitations in {time.perf_counter() - started:.1f} s")


def start_sink(kind: str, port: int, out: Path) -> subprocess.Popen:
    if kind == "fast":
        command = [sys.executable, ROOT / "bench/smtp_sink.py"]
    else:
        command = [sys.executable, ROOT / "tests/surveys/delivery_support.py", "sink"]
    sink = subprocess.Popen(
        [*command, "--port", str(port), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    if sink.stdout.readline().strip() != "sink ready":
        sink.kill()
        sys.exit("the SMTP sink did not start")
    return sink


def stop_sink(sink: subprocess.Popen, out: Path) -> dict:
    sink.terminate()
    try:
        sink.wait(timeout=30)
    except subprocess.TimeoutExpired:
        sink.kill()
        sink.wait(timeout=10)
        return {"total": -1, "counts": {}}
    return json.loads(out.read_text())


def run_noop(broker, count: int, timeout: float) -> float:
    """Tasks per second: `count` no-op tasks published one message each, drained by the workers."""
    started = time.perf_counter()
    for n in range(count):
        noop.delay(n)
    published = time.perf_counter() - started
    deadline = time.monotonic() + timeout
    while broker.llen("celery") or broker.hlen("unacked"):
        if time.monotonic() > deadline:
            sys.exit("the no-op tasks did not drain in time")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    print(f"baseline: {count} no-op tasks in {elapsed:.1f} s (publishing took {published:.1f} s)")
    return count / elapsed


def run_dispatch(count: int, timeout: float) -> tuple[int, float]:
    """Run the beat's dispatch every half second until every invitation is sent."""
    from surveys import tasks
    from surveys.delivery import claims
    from surveys.models import Invitation, InvitationStatus

    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    done = 0
    while done < count and time.monotonic() < deadline:
        claims.invitations_dispatch(tasks._enqueue)
        time.sleep(0.5)
        done = Invitation.objects.filter(
            status__in=[InvitationStatus.SENT, InvitationStatus.FAILED]
        ).count()
    elapsed = time.perf_counter() - started
    sent = Invitation.objects.filter(status=InvitationStatus.SENT).count()
    print(f"dispatch: {sent} of {count} invitations sent in {elapsed:.1f} s")
    return sent, elapsed


def report(args, noop_count, baseline, sent, elapsed, counts, work) -> None:
    from django.conf import settings

    from surveys.models import Invitation

    ids = {str(pk) for pk in Invitation.objects.values_list("pk", flat=True)}
    received = {key.split()[0]: n for key, n in counts["counts"].items()}
    twice = sum(1 for n in received.values() if n > 1)
    missing = len(ids - set(received))
    rate = sent / elapsed if elapsed else 0.0
    print()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"workers: 1 celery worker, {args.workers} processes; {args.sink} SMTP sink")
    print(f"logs in {work}")
    print(f"no-op baseline, one message per task: {baseline:8.0f} tasks/s ({noop_count} tasks)")
    batches = f"invitations, batches of {settings.INVITATION_BATCH_SIZE}:"
    print(f"{batches:38} {rate:8.0f} emails/s ({sent} in {elapsed:.1f} s)")
    print(f"ratio: {rate / baseline:.2f} x the one-message-per-task ceiling")
    print(
        f"SMTP sink: {counts['total']} messages, {len(received)} invitations,"
        f" {twice} received more than once, {missing} missing"
    )
    ok = sent == args.invitations and twice == 0 and missing == 0
    print("every invitation exactly once" if ok else "NOT exactly once")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
