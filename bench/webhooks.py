"""Helpdesk webhooks: bodies accepted per second, and a backlog of stored bodies processed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_bench_connectors \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/8 REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/webhooks.py [--requests 6000] [--answers 3000] [--rounds 2] \\
        [--backlog 100000] [--processes 2] [--profile FILE] [--skip-accept]

The database named by DATABASE_URL must have "bench" and "connectors" in its name: it is
dropped, created and migrated.

1. Accepting. gunicorn (production settings: DEBUG off, persistent connections, the Redis
   broker, collected static files, --gunicorn-workers sync workers) serves the site; a client
   on this machine keeps 50 connections busy, one request each at a time (gunicorn's sync
   workers close each connection, as behind a proxy). It times, in alternating rounds:
   - the baseline, a bare view that inserts the body in one row (bench/webhook_urls.py);
   - Chatwoot webhooks, each signed and each a new delivery, through `/hooks/<source>/`
     (verify, store, queue the processing after commit), --requests of them a round;
   - customers answering their surveys on the answer pages, as bench/answers.py does it (the
     same code, bench/support.py): GET the survey page with the score, POST it; --answers of
     them a round, for at most --answer-seconds.
   Prints requests per second and the ratio to the baseline, then webhooks accepted per
   second against answers per second and against the answer pages' requests per second (the
   goal: at least as fast). The queued messages are deleted from the broker's `connectors`
   and `celery` queues afterwards.
2. Processing. --backlog Chatwoot bodies (conversations opened, then resolved) are stored
   pending, then recorded by --processes processes running the workers' code
   (connectors.processing.payloads_process: batches of CONNECTORS_BATCH_SIZE through the
   services' bulk upsert). The baseline is the services alone: the same tickets and contacts,
   already mapped and checked, through `history_upsert` (the write processing calls) in the
   same batches, in one process (on --baseline-bodies of them). Prints bodies per second and
   the ratio. --profile FILE processes the backlog in this process under cProfile instead, and
   prints the costliest calls.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-key"  # noqa: S105 (the benchmark's own source)
SLUG = "chatwoot-bench"
CONNECTIONS = 50
WARM_UP = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=6000, help="per round and kind")
    parser.add_argument("--answers", type=int, default=3000, help="survey answers per round")
    parser.add_argument("--answer-seconds", type=float, default=20.0, help="at most, per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--baseline-bodies", type=int, default=20_000, help="for the services' rate"
    )
    parser.add_argument("--skip-accept", action="store_true")
    parser.add_argument(
        "--profile", metavar="FILE", help="process the backlog in this process under cProfile"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    # The server's: it reads the source's signing key, which this process stores encrypted.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "connectors" not in name:
        sys.exit('DATABASE_URL must name a database with "bench" and "connectors" in its name.')
    from support import fresh_database

    fresh_database()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_webhook_row (id bigserial PRIMARY KEY, body text)")
    source = _source()
    print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, load {_load()}")
    if not args.skip_accept:
        accept(args, source)
    if args.backlog:
        process(args, source)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _source():
    from connectors.models import Kind, Source

    source = Source(name="Chatwoot", slug=SLUG, kind=Kind.CHATWOOT, id_prefix="cw-")
    source.secret_set(SECRET)
    source.save()
    return source


def chatwoot_body(n: int, event: str, at: datetime) -> bytes:
    return json.dumps({
        "event": event, "id": n,
        "status": "resolved" if event == "conversation_resolved" else "open",
        "channel": "Channel::WebWidget", "created_at": int(at.timestamp()) - 600,
        "timestamp": int(at.timestamp()), "labels": ["billing"] if n % 3 else ["delivery"],
        "meta": {
            "sender": {"id": 10_000 + n % 20_000, "email": f"c{n % 20_000}@example.com"},
            "assignee": {"id": n % 40, "name": f"Agent {n % 40}"},
        },
        "messages": [],
    }).encode()  # fmt: skip


# --- 1. Accepting ------------------------------------------------------------------------------


def accept(args, source) -> None:
    from support import links_insert, production_env

    from kpis.rollups.build import rollups_rebuild

    port = _free_port()
    env = {**os.environ, **production_env(Path(tempfile.mkdtemp(prefix="ecoute-bench-static-")))}
    env["CELERY_BROKER_URL"] = os.environ.get("CELERY_BROKER_URL", "")
    env["SECRET_KEY"] = os.environ["SECRET_KEY"]
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    # Customers with a survey sent, as bench/answers.py has them; the rollups built, so that
    # each answer marks its day as in production.
    links = deque(links_insert(WARM_UP + args.answers * args.rounds))
    rollups_rebuild(resume=False, step_days=None)
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "webhook_wsgi:application", "--pythonpath", "bench,.",
        "--workers", str(args.gunicorn_workers), "--bind", f"127.0.0.1:{port}",
        "--backlog", "512", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_for(port)
        answers_warm_up(port, links)
        rates: dict[str, list[float]] = {"baseline": [], "webhook": [], "answers": []}
        serial = 0
        for _round in range(args.rounds):
            rates["answers"].append(answers_round(args, port, links))
            for kind in ("baseline", "webhook"):
                requests = []
                now = datetime.now(UTC)
                for _ in range(args.requests):
                    serial += 1
                    requests.append(_request(kind, serial, now, port))
                took, statuses = asyncio.run(_load_run(port, requests))
                bad = {s: c for s, c in statuses.items() if s not in (202,)}
                if bad:
                    sys.exit(f"{kind}: unexpected answers {bad}")
                rates[kind].append(args.requests / took)
                print(f"  {kind:9} {args.requests / took:7.0f} requests/s  (load {_load()})")
        base, hooks = statistics.median(rates["baseline"]), statistics.median(rates["webhook"])
        answers = statistics.median(rates["answers"])
        print(
            f"Accepting, {CONNECTIONS} connections, {args.gunicorn_workers} gunicorn workers, "
            f"medians of {args.rounds} rounds: baseline {base:.0f}/s, webhooks {hooks:.0f}/s, "
            f"ratio {hooks / base:.2f}\n"
            f"Accepting against answering: webhooks {hooks:.0f}/s, answers {answers:.0f}/s "
            f"({2 * answers:.0f} requests/s): ratio {hooks / answers:.2f} per answer, "
            f"{hooks / (2 * answers):.2f} per request"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        _broker_queue_clear()


def answers_warm_up(port: int, links: deque) -> None:
    """Every worker's first answer pages (templates, translations), not counted."""
    from support import Round, answers_run, flow_answer

    warm = Round("answers", 10)
    asyncio.run(answers_run(port, warm, flow_answer, [links.popleft() for _ in range(WARM_UP)], 60))
    if warm.errors:
        sys.exit(f"answers, warming up: {dict(warm.errors)}")


def answers_round(args, port: int, links: deque) -> float:
    """One round of customers answering: answers per second (two requests each)."""
    from support import Round, answers_run, flow_answer

    done = Round("answers", CONNECTIONS)
    batch = [links.popleft() for _ in range(min(args.answers, len(links)))]
    asyncio.run(answers_run(port, done, flow_answer, batch, args.answer_seconds))
    if done.errors:
        sys.exit(f"answers: unexpected answers {dict(done.errors)}")
    print(
        f"  {'answers':9} {done.rate:7.0f} answers/s, {2 * done.rate:5.0f} requests/s "
        f"(p50 {done.percentile(50):.0f} ms, {len(done.answered):,} answers; load {_load()})"
    )
    return done.rate


def _request(kind: str, serial: int, now: datetime, port: int) -> bytes:
    body = chatwoot_body(1_000_000 + serial, "conversation_opened", now)
    if kind == "baseline":
        path, headers = "/bench/insert/", ""
    else:
        stamp = str(int(now.timestamp()))
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        path = f"/hooks/{SLUG}/"
        headers = (
            f"X-Chatwoot-Signature: sha256={mac}\r\nX-Chatwoot-Timestamp: {stamp}\r\n"
            f"X-Chatwoot-Delivery: bench-{serial}\r\n"
        )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{headers}\r\n"
    )
    return head.encode() + body


async def _load_run(port: int, requests: list[bytes]) -> tuple[float, dict[int, int]]:
    queue = list(reversed(requests))
    statuses: dict[int, int] = {}

    async def connection_loop() -> None:
        while queue:
            raw = queue.pop()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            await writer.drain()
            answer = await reader.read()
            writer.close()
            status = int(answer.split(b" ", 2)[1]) if answer else 0
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(connection_loop() for _ in range(CONNECTIONS)))
    return time.perf_counter() - started, statuses


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def _broker_queue_clear() -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        from connectors.services import KICK_KEY

        # `celery`: the detractors' alerts the answers queued, which no worker takes here.
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("connectors", "celery", KICK_KEY)


# --- 2. Processing a backlog ---------------------------------------------------------------------


def process(args, source) -> None:
    from django.db import connection

    from connectors.models import Payload

    started = datetime.now(UTC) - timedelta(days=20)
    Payload.objects.filter(source=source).delete()
    rows = []
    for i in range(args.backlog):
        n, event = i // 2, ("conversation_opened", "conversation_resolved")[i % 2]
        at = started + timedelta(seconds=10 * i)
        body = chatwoot_body(n, event, at)
        rows.append(
            Payload(
                source=source, delivery_id=f"backlog-{i}", digest=hashlib.sha256(body).hexdigest(),
                origin="webhook", body=body.decode(), received_at=at, available_at=at,
            )
        )  # fmt: skip
    Payload.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    if args.profile:
        done, took = _profiled(args.profile)
        args.processes = 1
    else:
        print(f"Processing {args.backlog:,} stored bodies with {args.processes} processes...")
        began = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            counts = pool.map(_worker, range(args.processes))
        took = time.perf_counter() - began
        done = sum(c[0] for c in counts)
        cpu, db, queued = (sum(c[i] for c in counts) for i in (1, 2, 3))
        print(
            f"  CPU per body: {cpu / done * 1000:.2f} ms in the workers, {db / done * 1000:.2f} ms "
            f"in their PostgreSQL backends, using {(cpu + db) / took:.2f} of {os.cpu_count()} "
            f"cores; both waited {queued / took:.2f} cores' worth for a CPU taken by other "
            f"processes (load {_load()}). On {os.cpu_count()} idle cores: at most "
            f"{os.cpu_count() / (cpu + db) * done:,.0f} bodies/s"
        )
    states = dict(Payload.objects.values_list("state").annotate(n=_count()).order_by())
    rate = done / took
    print(f"  processed {done:,} in {took:.1f} s: {rate:,.0f} bodies/s; states {states}")

    base_rate = _services_baseline(min(args.baseline_bodies, args.backlog), started)
    print(
        f"Processing: {rate:,.0f} bodies/s ({args.processes} processes) against the services "
        f"alone {base_rate:,.0f} bodies/s (1 process), ratio {rate / base_rate:.2f}"
    )


def _profiled(path: str) -> tuple[int, float]:
    """The backlog in this process under cProfile: the costliest calls printed, all in `path`."""
    import cProfile
    import pstats

    from connectors.processing import payloads_process

    print(f"Processing the backlog in 1 process under cProfile (stats in {path})...")
    profiler = cProfile.Profile()
    began = time.perf_counter()
    done = profiler.runcall(payloads_process)
    took = time.perf_counter() - began
    profiler.dump_stats(path)
    pstats.Stats(path).sort_stats("cumulative").print_stats(40)
    return done, took


def _count():
    from django.db.models import Count

    return Count("id")


def _worker(_index: int) -> tuple[int, float, float, float]:
    """Bodies processed; CPU seconds this process and its PostgreSQL backend spent; seconds
    both waited for a CPU."""
    from django.db import connection

    from connectors.processing import payloads_process

    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(backend,)] = cursor.fetchall()
    me = os.getpid()
    before = _scheduled(me), _scheduled(backend)
    done = payloads_process()
    after = _scheduled(me), _scheduled(backend)
    waited = after[0][1] - before[0][1] + after[1][1] - before[1][1]
    return done, after[0][0] - before[0][0], after[1][0] - before[1][0], waited


def _scheduled(pid: int) -> tuple[float, float]:
    """Seconds a process of this machine ran on a CPU and waited for one (PostgreSQL's
    backend runs here: loopback only); zeros where /proc cannot tell."""
    try:
        running, waiting, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(running) / 1e9, int(waiting) / 1e9


def _services_baseline(count: int, started: datetime) -> float:
    """The same history, mapped and checked beforehand, through the services alone."""
    from django.conf import settings

    from tickets.records import ContactRecord, CustomerRecord, TicketRecord
    from tickets.services import history_upsert

    batch = settings.CONNECTORS_BATCH_SIZE
    took = 0.0
    for first in range(0, count, batch):
        contacts, tickets, customers = [], [], []
        for i in range(first, min(first + batch, count)):
            n, resolved = i // 2, i % 2 == 1
            at = started + timedelta(seconds=10 * i)
            ext, customer = f"base-{n}", f"base-c{n % 20_000}"
            opened = at - timedelta(minutes=10)
            contacts.append(ContactRecord(
                ext, customer, "chat", "billing", "inbound", opened, ticket=ext,
                agent=f"base-a{n % 40}", answered_at=at if resolved else None,
            ))  # fmt: skip
            tickets.append(
                TicketRecord(ext, customer, "billing", opened, solved_at=at if resolved else None)
            )
            customers.append(CustomerRecord(customer, email=f"c{n % 20_000}@example.com"))
        began = time.perf_counter()
        history_upsert(contacts, tickets, "bench", customer_details=customers)
        took += time.perf_counter() - began
    return count / took


if __name__ == "__main__":
    main()
