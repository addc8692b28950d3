"""Time the KPIs on a large generated history in PostgreSQL (a benchmark, not a test).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_bench_kpis \\
        .venv/bin/python bench/kpis.py --contacts 1000000 [--seed 1] [--skip-import] [--scan]

The database named by DATABASE_URL must have "bench" in its name: it is migrated and its history
replaced. The history is written by `generate_history` (18 months from 2024-01-01) into
--data (default <temp dir>/ecoute-bench-<contacts>), then loaded by `import_history`. Prints the
import time, (a) the full report (every section of the reference's expected.json, 18 months),
each section's share, (b) a month's dashboard figures for one team and for all teams, and (c)
the manager's pages as whole requests through Django (logged in, default period: the overview,
the first page of the drill-down lists and of the comments), the first request and the median of
the next ones, and (d) the overview's first request after a write (once its days are refreshed,
and while one is still dirty); (e) the overview's productivity panel for a month (the overview's
own tables: occupancy by team, chatbot hand-offs by reason, cost per contact type; each apart
too) and the staffing page's plan (next month's forecast per half-hour and Erlang C, phone and
chat), against the login page timed in the same run. `--only pages` times (c) and (d) alone,
`--only workforce` (e) alone.

The import builds the per-day rollups (kpis.rollups); with --skip-import they are rebuilt first
when they are not ready (timed). Figures are served from them; --scan times scanning instead.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from kpis.queries import KPIS  # noqa: E402
from kpis.report import build_report, meta_counts, report_sections  # noqa: E402
from kpis.rollups.build import rollups_rebuild, state  # noqa: E402
from kpis.scope import Scope  # noqa: E402
from tickets.models import Team  # noqa: E402

START, END = date(2024, 1, 1), date(2025, 6, 30)
MONTH = (date(2025, 5, 1), date(2025, 5, 31))
DASHBOARD = ["satisfaction", "fcr", "repeat", "exchanges", "aht", "phone_answer"]


def timed(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def load(args: argparse.Namespace, data: Path) -> None:
    if not (data / "contacts.csv").exists():
        started = time.perf_counter()
        call_command(
            "generate_history", str(data), "--contacts", str(args.contacts),
            "--seed", str(args.seed), "--start", START.isoformat(), "--months", "18",
        )  # fmt: skip
        print(f"generated {data} in {time.perf_counter() - started:.0f} s")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tickets_contact, tickets_ticket, tickets_customer, tickets_agent, "
            "tickets_team, surveys_response, surveys_agentrating, surveys_repeatcause, "
            "workforce_agentstate, workforce_presencehour, tickets_importedfile CASCADE"
        )
    started = time.perf_counter()
    call_command("import_history", str(without_states(data)))
    print(f"imported in {time.perf_counter() - started:.0f} s (agents' states apart)")
    started = time.perf_counter()
    states = states_load(data / "agent_states.csv")
    print(
        f"{states:,} agents' states and their hours loaded in {time.perf_counter() - started:.0f} s"
    )


def without_states(data: Path) -> Path:
    """The history but agent_states.csv, as links beside it: `states_load` copies the states in
    instead, as when the import checked each state through the ORM (hours for the 11 million
    states of 5,000,000 contacts), so that the runs stay comparable. bench/agent_states.py
    times the states' import."""
    folder = data.parent / f"{data.name}-without-states"
    folder.mkdir(exist_ok=True)
    for path in data.glob("*.csv"):
        link = folder / path.name
        if path.name != "agent_states.csv" and not link.exists():
            link.symlink_to(path)
    return folder


def states_load(path: Path) -> int:
    """Generated states (consistent: no overlap) copied in, then every agent's hours computed
    by workforce.presence, as an import computes them."""
    from django.db import transaction
    from django.db.models import Max, Min

    from workforce.models import AgentState
    from workforce.presence import presence_refresh

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_states (agent text, state text, started_at "
            "timestamptz, ended_at timestamptz) ON COMMIT DROP"
        )
        with (
            path.open("rb") as source,
            cursor.copy("COPY bench_states FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        cursor.execute(
            "INSERT INTO workforce_agentstate (agent_id, state, started_at, ended_at) "
            "SELECT a.id, s.state, s.started_at, s.ended_at FROM bench_states s "
            "JOIN tickets_agent a ON a.external_id = s.agent"
        )
        written = cursor.rowcount
    spans = AgentState.objects.values("agent_id").annotate(a=Min("started_at"), b=Max("ended_at"))
    for span in spans.order_by("agent_id"):
        presence_refresh({span["agent_id"]: (span["a"], span["b"] or span["a"])})
    return written


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_contact")
        contacts = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        tickets = cursor.fetchone()[0]
        cursor.execute("SHOW random_page_cost")
        page_cost = cursor.fetchone()[0]
    load1, load5, _ = os.getloadavg()
    return (
        f"{platform.node()}: {os.cpu_count()} cores, load {load1:.2f}/{load5:.2f}, "
        f"PostgreSQL {version} (random_page_cost {page_cost}); "
        f"{contacts:,} contacts, {tickets:,} tickets"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-import", action="store_true", help="reuse the loaded history")
    parser.add_argument("--scan", action="store_true", help="scan the history, not the rollups")
    parser.add_argument(
        "--only", choices=["pages", "workforce"], help="time (c) and (d), or (e), alone"
    )
    parser.add_argument(
        "--random-page-cost",
        type=float,
        help="set PostgreSQL's random_page_cost for the timings (1.1 suits SSD storage)",
    )
    args = parser.parse_args()
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit("Set DATABASE_URL to a PostgreSQL database with 'bench' in its name.")
    data = args.data or Path(tempfile.gettempdir()) / f"ecoute-bench-{args.contacts}"
    if not args.skip_import:
        load(args, data)
    call_command("migrate", verbosity=0)
    current = state()
    if (
        current is None
        or current.status != current.READY
        or current.time_zone != settings.TIME_ZONE
    ):
        started = time.perf_counter()
        days = rollups_rebuild(resume=False)
        print(f"rollups rebuilt ({days} days) in {time.perf_counter() - started:.1f} s")
    settings.KPI_ROLLUPS = not args.scan
    print("figures read from", "the history (scan)" if args.scan else "the per-day rollups")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, or the planner guesses a few hundred rows
        if args.random_page_cost:
            cursor.execute("SELECT set_config('random_page_cost', %s, false)",
                           [str(args.random_page_cost)])  # fmt: skip
    print(machine())
    if args.only is None:
        figures(args)
    if args.only in (None, "pages"):
        pages(args.rounds)
    if args.only in (None, "workforce"):
        workforce(args.rounds)


PAGES = [
    ("overview, default period", "/dashboard/"),
    ("drill-down: contacts, first page", "/dashboard/contacts/"),
    ("drill-down: solved tickets, first page", "/dashboard/tickets/"),
    ("drill-down: NPS answers, first page", "/dashboard/answers/?kind=nps"),
    ("comments, first page", "/dashboard/comments/"),
    ("comments, searched", "/dashboard/comments/?q=livraison"),
]


def pages(rounds: int) -> None:
    """(c) Each page as one whole request (URL, middleware, view, queries, template)."""
    # Baseline: a page of the same site that reads no history (the load of the machine shows in
    # it as much as in the others).
    get, baseline = baseline_get()
    print(f"(c) {'baseline: the login page':40} {baseline * 1000:6.0f} ms (median)")
    for label, url in PAGES:
        first = timed(lambda u=url: get(u), 1)
        then = timed(lambda u=url: get(u), max(rounds, 3))
        print(
            f"(c) {label:40} first {first * 1000:6.0f} ms, then {then * 1000:6.0f} ms (median, "
            f"{then / baseline:.0f}x the baseline)"
        )
    after_write(get, baseline, rounds)


def after_write(get: Callable[[str], None], baseline: float, rounds: int) -> None:
    """(d) The overview's first request after a write: a day of the period marked dirty, as a
    write marks it, then refreshed as the task queued after its commit does (every cached panel
    is then stale); and, before that refresh has run, while the day is still dirty."""
    from kpis.periods import default_period
    from kpis.rollups.build import rollups_refresh
    from kpis.rollups.marks import days_mark
    from kpis.tasks import kpi_rollups_refresh

    start, _end = default_period()
    times, refreshes = [], []
    for _round in range(max(rounds, 3)):
        days_mark([start])
        started = time.perf_counter()
        kpi_rollups_refresh()  # the task queued after the write's commit, run here
        refreshes.append(time.perf_counter() - started)
        times.append(timed(lambda: get("/dashboard/"), 1))
    first = statistics.median(times)
    print(
        f"(d) {'overview, first request after a write':40} {first * 1000:6.0f} ms (median of "
        f"{len(times)}, {first / baseline:.0f}x the baseline; the task refreshing the day before "
        f"it: {statistics.median(refreshes) * 1000:.0f} ms)"
    )
    days_mark([start])
    dirty = timed(lambda: get("/dashboard/"), 1)
    rollups_refresh()
    print(
        f"(d) {'overview, a day still dirty':40} {dirty * 1000:6.0f} ms "
        f"({dirty / baseline:.0f}x the baseline)"
    )


def figures(args: argparse.Namespace) -> None:
    report = timed(lambda: build_report(START, END), args.rounds)
    sections_list = report_sections()
    print(f"(a) full report, {len(sections_list) + 1} sections, 18 months: {report:.2f} s (median)")
    sections = {"meta_counts": timed(lambda: meta_counts(Scope(START, END)), 1)}
    for section in sections_list:
        scope = Scope.parse(START.isoformat(), END.isoformat(), section.by)
        sections[section.name] = timed(lambda s=scope, k=section.kpi: KPIS[k](s), 1)
    print("    each section computed alone (the report shares one scan per table):")
    for section_name, seconds in sorted(sections.items(), key=lambda kv: -kv[1]):
        print(f"    {section_name:28} {seconds * 1000:8.0f} ms")

    team = Team.objects.order_by("external_id").values_list("external_id", flat=True).first()
    one = Scope(*MONTH, filters={"team": team})
    every = Scope(*MONTH, by=("team",))
    for label, scope in [(f"team {team}", one), ("all teams, by team", every)]:
        seconds = timed(lambda s=scope: [KPIS[k](s) for k in DASHBOARD], args.rounds)
        print(f"(b) {MONTH[0]:%Y-%m} dashboard ({', '.join(DASHBOARD)}), {label}: "
              f"{seconds * 1000:.0f} ms")  # fmt: skip


def baseline_get() -> tuple[Callable[[str], None], float]:
    """A logged-in client's GET, and the median time of the login page (reads no history)."""
    from django.contrib.auth.models import User
    from django.test import Client

    user, _created = User.objects.get_or_create(username="bench-manager", is_staff=True)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(user)

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")

    get("/accounts/login/")
    return get, timed(lambda: get("/accounts/login/"), 5)


def workforce(rounds: int) -> None:
    """(e) The overview's productivity panel of a month (the overview's own tables, then the
    panel), and the staffing page's plan for the month after the history's end, each against
    the login page timed in the same run."""
    from kpis.counting import tables
    from kpis.dashboard.productivity import productivity_panel
    from kpis.dashboard.selectors import productivity_asks
    from kpis.queries.workload import answer_targets
    from kpis.rollups.serving import checks_shared, period_clean
    from workforce.models import AgentState, PresenceHour
    from workforce.staffing import CHANNELS, staffing_plan

    print(f"    {AgentState.objects.count():,} agents' states, "
          f"{PresenceHour.objects.count():,} agent-hours")  # fmt: skip
    scope = Scope(*MONTH)
    asks = productivity_asks(scope)
    print(f"    {MONTH[0]:%Y-%m} may be read from the rollups: {period_clean(scope)}")

    def panel() -> None:
        with checks_shared():  # as in the overview: the period's state read once
            t = dict(zip(asks, tables(list(asks.values())), strict=True))
        productivity_panel(scope, t["occupancy"], t["handoffs"], t["costs"].records(), str)

    _get, baseline = baseline_get()
    print(f"(e) {'baseline: the login page':40} {baseline * 1000:8.1f} ms (median of 5)")
    seconds = timed(panel, rounds)
    print(f"(e) {MONTH[0]:%Y-%m} productivity panel{'':17} {seconds * 1000:8.1f} ms (median, "
          f"{seconds / baseline:.0f}x the baseline; goal 300 ms)")  # fmt: skip
    for label, ask in asks.items():
        alone = timed(lambda a=ask: tables([a]), rounds)
        print(f"    {label:38} {alone * 1000:8.1f} ms")
    today = END + timedelta(days=1)
    plan = timed(lambda: staffing_plan(today, answer_targets(), CHANNELS), rounds)
    print(f"(e) staffing plan after {END}, {', '.join(CHANNELS):13} {plan * 1000:8.0f} ms (median, "
          f"{plan / baseline:.0f}x the baseline; goal 5 s)")  # fmt: skip


if __name__ == "__main__":
    main()
