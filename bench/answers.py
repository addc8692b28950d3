"""Customers answering their surveys through gunicorn: answers per second, p50, p99 and errors,
next to a bare Django view doing the least an answer needs, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_answers_bench \\
        REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/answers.py [--connections 50 200] [--seconds 10] [--rounds 2] \\
        [--max-answers 8000] [--gunicorn-workers 3] [--profile 300] [--keep]

The database named by DATABASE_URL must have "bench" in its name: it is dropped, created and
migrated, and dropped again at the end (unless --keep). REDIS_URL (the cache: abuse limits) is
also the broker; the `celery` queue of that Redis database is deleted at the end (the lead
alerts queued for detractors, which no worker takes here): give the benchmark a database of
its own.

Every customer has an NPS invitation, sent, with its answer link (a token stored hashed, as
delivery stores it), half of them in English; each is answered once with a score drawn from
0-10 (so about two in three open a follow-up and queue its alert, as in production). The
per-day rollups are built first, as in production after the first import: each answer marks
its day dirty and queues the rollups' refresh.

gunicorn serves the site with production settings (DEBUG off, a strong secret, explicit hosts,
collected static files, persistent database connections, Redis for the cache and the broker)
on a free loopback port, --gunicorn-workers sync workers, which close each connection (as
behind a proxy). For each --connections, in alternating rounds of at most --seconds and
--max-answers each, a client in this process keeps that many connections busy:

- the real flow, one answer = two requests as a browser makes them: GET /s/<token>/?score=N
  (the link in the email: the page with the score preselected, a CSRF cookie and field), then
  POST /s/<token>/ with the score, the field and the cookie, answered by a redirect to the
  follow-up questions (not followed: the score is recorded by then);
- the baseline, one answer = one request: POST /bench/answer/<token>/, a bare view that looks
  the token's digest up (one indexed SELECT) and marks the invitation answered (one UPDATE),
  through the same server and middleware (bench/answer_urls.py).

An answer's time runs from its first request's connection to its last response. Afterwards
the database must hold exactly one response, with the score sent, for each invitation whose
answer the client saw recorded, and none for any other.

--profile N first runs N answers of the real flow in this process, through Django's test client
with the same settings: half of them timed (wall time, this process's CPU, queries listed), half
under cProfile in CPU time (GET and POST apart, printed and written to a temporary folder);
then N/2 answers of the bare view, timed the same way.
"""

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from urllib.parse import urlencode

from support import (
    HOST,
    Link,
    Round,
    answers_run,
    exchange,
    flow_answer,
    http_request,
    links_insert,
    production_env,
)

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=10.0, help="at most, per round")
    parser.add_argument("--max-answers", type=int, default=8000, help="at most, per round")
    parser.add_argument("--rounds", type=int, default=2, help="per kind and connections")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="answers profiled in-process")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ecoute-bench-answers-"))
    env = production_env(work / "static")
    # This process reads the same settings as the server: the profile runs what gunicorn runs.
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "answer_urls"  # as the server's (answer_wsgi.py)
    from django.core.management import call_command
    from django.db import connection
    from support import database_drop, fresh_database

    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        sys.exit("Set REDIS_URL (e.g. redis://127.0.0.1:6379/9): the limits' cache and broker.")
    fresh_database()
    began = time.perf_counter()
    call_command("collectstatic", "--noinput", verbosity=0)
    print(f"collectstatic: {time.perf_counter() - began:.1f} s")
    per_round = args.max_answers
    total = WARM_UP * 2 + args.profile * 2 + per_round * 2 * args.rounds * len(args.connections)
    links = deque(links_insert(total))
    # Built, as in production after the first import: each answer then marks its day dirty.
    from kpis.rollups.build import rollups_rebuild

    rollups_rebuild(resume=False, step_days=None)
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, "
        f"{total:,} invitations, load {_load()}"
    )
    connection.close()
    try:
        profiled = [links.popleft() for _ in range(args.profile)]
        if profiled:
            bare = [links.popleft() for _ in range(args.profile // 2)]
            profile(profiled, bare, work)
        rounds = serve_and_load(args, env, links)
        report(args, rounds)
        flows = [r for r in rounds if r.kind == "flow"]
        check(
            profiled + [link for r in flows for link in r.answered],
            [link for r in flows for link in r.failed],
        )
    finally:
        _broker_queue_clear()
        if not args.keep:
            database_drop()


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# --- The load ----------------------------------------------------------------------------------


def serve_and_load(args, env: dict[str, str], links: deque) -> list[Round]:
    port = _free_port()
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "answer_wsgi:application", "--pythonpath", "bench,.",
        "--workers", str(args.gunicorn_workers), "--bind", f"{HOST}:{port}",
        "--backlog", "2048", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    rounds: list[Round] = []
    try:
        _wait_for(port)
        for kind in ("baseline", "flow"):  # every worker's first requests, not counted
            warm = Round(kind, 10)
            asyncio.run(
                answers_run(
                    port, warm, _answer_of(warm), [links.popleft() for _ in range(WARM_UP)], 60
                )
            )
            if warm.errors:
                sys.exit(f"warming up {kind}: {dict(warm.errors)}")
            rounds.append(Round(kind, 0, answered=warm.answered))  # checked, not reported
        for connections in args.connections:
            for _ in range(args.rounds):
                for kind in ("baseline", "flow"):
                    batch = [links.popleft() for _ in range(min(args.max_answers, len(links)))]
                    done = Round(kind, connections)
                    asyncio.run(answers_run(port, done, _answer_of(done), batch, args.seconds))
                    links.extendleft(reversed(batch[len(done.answered) + len(done.failed) :]))
                    rounds.append(done)
                    print(
                        f"  {connections:3} connections, {kind:8} {done.rate:6.0f} answers/s, "
                        f"p50 {done.percentile(50):5.0f} ms, p99 {done.percentile(99):5.0f} ms, "
                        f"errors {sum(done.errors.values())} {dict(done.errors) or ''} "
                        f"(load {_load()})"
                    )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rounds


def _answer_of(done: Round):
    return flow_answer if done.kind == "flow" else _baseline_answer


async def _baseline_answer(port: int, link: Link) -> str | None:
    form = urlencode({"score": link.score})
    status, _head, _body = await exchange(
        port, http_request("POST", f"/bench/answer/{link.token}/", port, form)
    )
    return None if status == 200 else f"POST {status}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


# --- Figures and checks ------------------------------------------------------------------------


def report(args, rounds: list[Round]) -> None:
    import statistics

    print(f"\n{args.gunicorn_workers} gunicorn workers, medians of {args.rounds} rounds:")
    print(
        "connections | baseline answers/s | p50 | p99 | flow answers/s | p50 | p99 | ratio "
        "| errors (baseline / flow)"
    )
    for connections in args.connections:
        row = {}
        for kind in ("baseline", "flow"):
            mine = [r for r in rounds if r.kind == kind and r.connections == connections]
            row[kind] = (
                statistics.median(r.rate for r in mine),
                statistics.median(r.percentile(50) for r in mine),
                statistics.median(r.percentile(99) for r in mine),
                sum(sum(r.errors.values()) for r in mine),
            )
        base, flow = row["baseline"], row["flow"]
        print(
            f"{connections:11} | {base[0]:18.0f} | {base[1]:3.0f} ms | {base[2]:3.0f} ms "
            f"| {flow[0]:14.0f} | {flow[1]:3.0f} ms | {flow[2]:3.0f} ms "
            f"| {flow[0] / base[0]:5.2f} | {base[3]} / {flow[3]}"
        )


def check(answered: list[Link], failed: list[Link]) -> None:
    """One response, with the score sent, per answer the client saw recorded; none else."""
    from django.db.models import Count

    from surveys.models import Invitation, InvitationStatus, Response

    sent = {link.invitation: link.score for link in answered}
    uncertain = {link.invitation for link in failed}  # the client saw an error: either way
    stored = dict(Response.objects.values_list("invitation_id", "score"))
    twice = Response.objects.values("invitation_id").annotate(n=Count("id")).filter(n__gt=1)
    missing = set(sent) - set(stored)
    unexpected = set(stored) - set(sent) - uncertain
    wrong = [pk for pk, score in sent.items() if pk in stored and stored[pk] != score]
    not_marked = (
        Invitation.objects.filter(pk__in=list(sent))
        .exclude(status=InvitationStatus.ANSWERED)
        .count()
    )
    ok = not (twice.exists() or missing or unexpected or wrong or not_marked)
    print(
        f"\nExactly one response per answered invitation: {'yes' if ok else 'NO'} "
        f"({len(sent):,} answered: {twice.count()} twice, {len(missing)} missing, "
        f"{len(wrong)} with another score, {not_marked} not marked answered; "
        f"{len(unexpected)} stored without an answer sent; "
        f"{len(set(stored) & uncertain)} of {len(uncertain)} errors stored all the same)"
    )
    if not ok:
        sys.exit(1)


# --- Profile ------------------------------------------------------------------------------------


def profile(links: list[Link], baseline_links: list[Link], out: Path) -> None:
    """The real flow in this process (Django's handler, no HTTP server): every other answer
    timed as it runs (queries counted), the others under cProfile (CPU time); the first tenth
    warms up. The baseline's POST is timed after them."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    timings: dict[str, list[float]] = {"GET": [], "POST": []}
    cpu: dict[str, list[float]] = {"GET": [], "POST": []}
    queries: dict[str, list[int]] = {"GET": [], "POST": []}
    statements: dict[str, list[str]] = {}
    # CPU time: under load, wall time is mostly waiting for PostgreSQL to be scheduled.
    profiles = {m: cProfile.Profile(time.process_time) for m in ("GET", "POST")}
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)  # the middleware loaded once
    for n, link in enumerate(links):
        client.cookies.clear()  # each customer comes without cookies
        page = f"/s/{link.token}/"
        warming, profiled = n < len(links) // 10, n % 2 == 1
        for method in ("GET", "POST"):
            with CaptureQueriesContext(connection) as captured:
                if profiled and not warming:
                    profiles[method].enable()
                began, began_cpu = time.perf_counter(), time.process_time()
                answer = _profiled_request(client, method, page, link)
                took, took_cpu = time.perf_counter() - began, time.process_time() - began_cpu
                profiles[method].disable()
            if answer.status_code != (200 if method == "GET" else 302):
                sys.exit(f"profile: {method} answered {answer.status_code}")
            if not (profiled or warming):
                timings[method].append(took)
                cpu[method].append(took_cpu)
                queries[method].append(len(captured))
                statements[method] = [q["sql"] for q in captured.captured_queries]
    bare, bare_cpu = [], []
    for link in baseline_links:
        began, began_cpu = time.perf_counter(), time.process_time()
        answer = client.post(f"/bench/answer/{link.token}/", {"score": link.score})
        bare.append(time.perf_counter() - began)
        bare_cpu.append(time.process_time() - began_cpu)
        if answer.status_code != 200:
            sys.exit(f"profile: the baseline answered {answer.status_code}")
    print(
        f"\nProfile, the baseline's POST: {_mean_ms(bare)} ms each, "
        f"{_mean_ms(bare_cpu)} ms of this process's CPU (mean of {len(bare) * 9 // 10}, unprofiled)"
    )
    for method, profiled_stats in profiles.items():
        count = len(timings[method])
        print(
            f"\nProfile, {method}: {_mean_ms(timings[method])} ms each, "
            f"{_mean_ms(cpu[method])} ms of this process's CPU (mean of {count}, unprofiled, "
            f"load {_load()}), {sum(queries[method]) / count:.1f} queries; the last one's:"
        )
        for sql in statements[method]:
            print(f"    {sql[:150]}")
        text = io.StringIO()
        profiled_stats.dump_stats(out / f"answer-{method}.prof")
        stats = pstats.Stats(profiled_stats, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(15)
        print("\n".join(line for line in text.getvalue().splitlines() if line.strip()))
    print(f"\nProfiles written to {out} (answer-GET.prof, answer-POST.prof)")


def _mean_ms(seconds: list[float]) -> str:
    kept = seconds[len(seconds) // 10 :] if len(seconds) > 20 else seconds
    return f"{sum(kept) / len(kept) * 1000:.1f}"


def _profiled_request(client, method: str, page: str, link: Link):
    if method == "GET":
        return client.get(page, {"score": link.score})
    return client.post(page, {
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        "lang": link.language, "score": link.score,
    })  # fmt: skip


# --- Cleaning up ---------------------------------------------------------------------------------


def _broker_queue_clear() -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("celery")


if __name__ == "__main__":
    main()
