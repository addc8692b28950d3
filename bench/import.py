"""Time `import_history` on PostgreSQL against a bare COPY of the same files (a benchmark, not a
test).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_bench_import \\
        .venv/bin/python bench/import.py --contacts 1000000 [--seed 1] [--again] [--profile]

The database named by DATABASE_URL must have "bench" in its name: it is dropped and created afresh,
then migrated. The history is written once by `generate_history` into --data (default
<temp dir>/ecoute-bench-import-<contacts>-<seed>) and reused by later runs. Prints the bare COPY
times (each file into a table with the same columns and types, no index, no constraint: for
contacts.csv alone and for every file), the import time, rows/s and both ratios; --again imports
the same files a second time (nothing to write); --profile lists the SQL statements that took
more than 0.2 s.

--delta: what an hourly or daily sync costs once the history is there. Two exports are written
with the same seed, one ending a day before the other (generate_history --snapshot); the first
is imported whole (N contacts), then sent again unchanged (recognised by digest, and once more
with --force, row by row), then the day between them (its new and changed rows) is imported, and
sent again unchanged. Prints each time next to N, the unchanged export's against the bare COPY of
its files:

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_scale_bench \
        .venv/bin/python bench/import.py --delta --contacts 1000000 [--months 18] [--saved]

--saved keeps a copy of the loaded history beside the database (<database>_saved, copied before
the day is imported); a later run with --saved starts from that copy (migrated to the code's
schema) and imports only the day, a few seconds instead of minutes. Drop the copy to load
afresh, and when done.

--profile lists the statements slower than --profile-ms (default 200) with a label (where in
the project each was sent from, and its first words); --profile-json PATH writes every
statement of the day's import there; --compare A.json B.json ... sets them side by side, per
label (e.g. the day at 1M and at 5M, or before and after a change).
"""

import argparse
import csv
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.support import database_restore, database_save, fresh_database, saved_name  # noqa: E402
from tickets.importing.csv_rows import Format  # noqa: E402
from tickets.importing.formats import CONTACTS, TICKETS  # noqa: E402
from tickets.importing.registry import extra_history_files  # noqa: E402


def bare_copy(path: Path, fmt: Format) -> float:
    """Seconds a plain COPY of one file takes, into a table with its columns and types (times
    as timestamptz, numbers as integer), no index, no constraint."""
    types = {"time": "timestamptz", "int": "integer"}
    columns = ", ".join(f"{c.name} {types.get(c.kind, 'text')}" for c in fmt.columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_bare ({columns})")
        started = time.perf_counter()
        copy_sql = "COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)"
        with cursor.cursor.copy(copy_sql) as copy, path.open("rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare")
    return elapsed


def history_formats() -> dict[str, Format]:
    return {f.file: f for f in (TICKETS, CONTACTS, *(h.format for h in extra_history_files()))}


def generated(directory: Path, contacts: int, seed: int) -> Path:
    if not (directory / "contacts.csv").exists():
        print(f"generating {contacts:,} contacts into {directory} ...", flush=True)
        started = time.perf_counter()
        call_command("generate_history", str(directory), contacts=contacts, seed=seed)
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    return directory


ROOT = Path(__file__).resolve().parent.parent


def statement_label(sql: str) -> str:
    """Where in the project a statement was sent from (the innermost frame outside Django, this
    script and the loader's `execute`: module, function and line) and its first words: the same
    statement gets the same label at every N, so runs can be set side by side."""
    where = "?"
    for frame in reversed(traceback.extract_stack()[:-3]):
        path = Path(frame.filename)
        if (
            path.is_relative_to(ROOT)
            and ".venv" not in path.parts
            and path.parent.name != "bench"
            and frame.name != "execute"
        ):
            where = f"{path.relative_to(ROOT).with_suffix('')}.{frame.name}"
            break
    words = re.sub(r"'[^']*'|\b\d+\b", "?", " ".join(sql.split()))
    return f"{where} {words[:70]}"


@contextmanager
def statements_over(milliseconds: float, enabled: bool, into: Path | None = None):
    """Print every SQL statement slower than `milliseconds` with its label, in the order they
    ran; `into`: write every statement's label and time (ms) there, as JSON, for --compare."""
    timings: list[tuple[str, float]] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((statement_label(sql), (time.perf_counter() - started) * 1000))

    if not enabled:
        yield
        return
    with connection.execute_wrapper(timer):
        yield
    total = sum(ms for _, ms in timings)
    print(f"  {len(timings)} statements, {total:,.0f} ms in all; over {milliseconds:g} ms:")
    for label, ms in timings:
        if ms > milliseconds:
            print(f"  {ms:8.1f} ms  {label}")
    if into is not None:
        into.write_text(json.dumps(timings))


def compare(paths: list[Path], milliseconds: float) -> None:
    """Set profiles (--profile-json) side by side: per label, the time of all its statements
    (ms) and how many ran, the labels whose time grew most from the first to the last first."""
    runs: list[dict[str, list[float]]] = []
    for path in paths:
        run: dict[str, list[float]] = {}
        for label, ms in json.loads(path.read_text()):
            run.setdefault(label, []).append(ms)
        runs.append(run)
    labels = list(dict.fromkeys(k for run in runs for k in run))
    labels.sort(key=lambda k: sum(runs[-1].get(k, [])) - sum(runs[0].get(k, [])), reverse=True)
    print("  ".join(f"{p.stem[:14]:>14}" for p in paths) + "  statement (ms, and how many)")
    totals = [sum(sum(v) for v in run.values()) for run in runs]
    print("  ".join(f"{t:14.1f}" for t in totals) + "  all statements")
    for label in labels:
        values = [run.get(label, []) for run in runs]
        if max(sum(v) for v in values) > milliseconds:
            cells = "  ".join(f"{sum(v):9.1f} ({len(v):2})" for v in values)
            print(f"{cells}  {label}")


# Where every delta history ends: in the past (the import refuses a history in the future), and
# where the 18-month history starting on 2024-01-01 always ended, so runs stay comparable.
DELTA_END = date(2025, 7, 1)


def delta_history(contacts: int, seed: int, months: int, data: Path) -> Path:
    """A history of `months` ending on DELTA_END, cut two days before its end."""
    first = DELTA_END.year * 12 + DELTA_END.month - 1 - months
    start, end = date(first // 12, first % 12 + 1, 1), DELTA_END
    at = datetime.combine(end - timedelta(days=2), day_time.min, tzinfo=UTC)
    directory = data / "history"
    if not (directory / "contacts.csv").exists():
        print(f"generating {contacts:,} contacts until {at} into {directory} ...", flush=True)
        started = time.perf_counter()
        call_command(
            "generate_history", str(directory), contacts=contacts, seed=seed, start=start,
            months=months, snapshot=at, stdout=open(os.devnull, "w"),  # noqa: SIM115
        )  # fmt: skip
        print(f"  generated in {time.perf_counter() - started:.1f} s")
    return directory


# The time that puts a row in a day: what happened that day is that day's export.
DAY_OF = {
    "contacts.csv": "started_at",
    "tickets.csv": "created_at",
    "responses.csv": "responded_at",
    "agent_ratings.csv": "rated_at",
    "repeat_reasons.csv": "answered_at",
}


def split_last_day(history: Path, base: Path, day: Path) -> tuple[dict[str, int], str]:
    """`base`: the history without its last day (tickets solved that day still open); `day`:
    that day's export (its new rows, and the tickets it solved)."""
    formats = history_formats()
    with (history / "contacts.csv").open("rb") as f:
        f.seek(-4096, 2)
        last = f.readlines()[-1].decode()
    at = formats["contacts.csv"].index("started_at")
    first_of_day = next(csv.reader([last]))[at][:10]
    base.mkdir(exist_ok=True)
    day.mkdir(exist_ok=True)
    rows = {}
    for name, column in DAY_OF.items():
        fmt = formats[name]
        when = fmt.index(column)
        solved = fmt.index("solved_at") if name == "tickets.csv" else None
        with (
            (history / name).open(newline="") as f,
            (base / name).open("w", newline="") as b,
            (day / name).open("w", newline="") as d,
        ):
            reader = csv.reader(f)
            header = next(reader)
            to_base, to_day = csv.writer(b), csv.writer(d)
            to_base.writerow(header)
            to_day.writerow(header)
            n = 0
            for row in reader:
                if row[when] >= first_of_day:
                    to_day.writerow(row)
                    n += 1
                elif solved is not None and row[solved] >= first_of_day:
                    to_day.writerow(row)  # solved that day: the day's export sends it again
                    to_base.writerow([*row[:solved], "", *row[solved + 1 :]])
                    n += 1
                else:
                    to_base.writerow(row)
        rows[name] = n
    return rows, first_of_day


# Set by main(): --profile's threshold, and where --profile-json writes the day's statements.
PROFILE_MS = 200.0
PROFILE_JSON: Path | None = None


def timed_import(
    directory: Path, *args: str, profile: bool = False, into: Path | None = None
) -> float:
    with statements_over(PROFILE_MS, profile, into):
        started = time.perf_counter()
        call_command("import_history", str(directory), *args, stdout=open(os.devnull, "w"))  # noqa: SIM115
        return time.perf_counter() - started


def delta(args: argparse.Namespace) -> None:
    data = args.data or Path(tempfile.gettempdir()) / (
        f"ecoute-bench-delta-{args.contacts}-{args.seed}-{args.months}"
    )
    if args.saved and database_restore():
        call_command("migrate", verbosity=0)  # the saved history may predate a migration
        print(f"history restored from {saved_name()}")
        page_cost_set(args.random_page_cost)
        day = data / "last-day"
        if not (day / "contacts.csv").exists():
            history = delta_history(args.contacts, args.seed, args.months, data)
            split_last_day(history, data / "all-but-last-day", day)
        day_import(args, day)
        return
    fresh_database()
    page_cost_set(args.random_page_cost)
    history = delta_history(args.contacts, args.seed, args.months, data)
    base, day = data / "all-but-last-day", data / "last-day"
    day_rows, first_of_day = split_last_day(history, base, day)
    rows = {p.name: line_count(p) for p in sorted(base.glob("*.csv"))}
    n = rows["contacts.csv"]
    formats = history_formats()
    copy_all = sum(bare_copy(base / name, formats[name]) for name in rows)
    print(f"history: {n:,} contacts, {sum(rows.values()):,} rows in {len(rows)} files")
    print(
        f"one day ({first_of_day}): " + ", ".join(f"{k:,} {name}" for name, k in day_rows.items())
    )
    print(f"bare COPY of the history's {len(rows)} files: {copy_all:.1f} s")
    first = timed_import(base)
    print(f"N={n:,}  history import (empty database): {first:.1f} s")
    again = timed_import(base, profile=args.profile)
    print(
        f"N={n:,}  the same export again, unchanged: {again:.2f} s,"
        f" {again / copy_all:.2f}x the bare COPY of its files"
    )
    if not args.skip_forced:
        forced = timed_import(base, "--force", profile=args.profile)
        print(
            f"N={n:,}  the same export again, read row by row (--force): {forced:.1f} s,"
            f" {forced / copy_all:.2f}x the bare COPY"
        )
    if args.saved:
        database_save()
        print(f"history saved as {saved_name()} for later --saved runs")
    day_import(args, day)


def page_cost_set(page_cost: float | None) -> None:
    """Give the bench database its random_page_cost (a database setting, which a copy from a
    template does not carry), and print it with the load average."""
    if page_cost:
        with connection.cursor() as cursor:
            name = connection.settings_dict["NAME"]
            cursor.execute(f'ALTER DATABASE "{name}" SET random_page_cost = %s', [page_cost])
        connection.close()  # later sessions start with it
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        [(page_cost,)] = cursor.fetchall()
    print(f"random_page_cost {page_cost}; load average {os.getloadavg()[0]:.1f}")


def day_import(args: argparse.Namespace, day: Path) -> None:
    """Import a day's export onto the loaded history, then send it again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_contact")
        [(n,)] = cursor.fetchall()
    one_day = timed_import(day, profile=args.profile, into=PROFILE_JSON)
    print(f"N={n:,}  one more day ({line_count(day / 'contacts.csv'):,} contacts): {one_day:.2f} s")
    day_again = timed_import(day, profile=args.profile)
    print(f"N={n:,}  that day's export again, unchanged: {day_again:.2f} s")
    day_forced = timed_import(day, "--force", profile=args.profile)
    print(f"N={n:,}  that day's export again, row by row (--force): {day_forced:.2f} s")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def line_count(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--again", action="store_true", help="import the same files twice")
    parser.add_argument("--profile", action="store_true", help="list the slow statements")
    parser.add_argument(
        "--profile-ms", type=float, default=200.0, help="--profile: slow from this many ms"
    )
    parser.add_argument(
        "--profile-json",
        type=Path,
        help="--delta --profile: write every statement of the day's import (label, ms) there",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        nargs="+",
        help="print profiles written by --profile-json side by side, and nothing else",
    )
    parser.add_argument("--delta", action="store_true", help="a day's import onto N contacts")
    parser.add_argument("--months", type=int, default=18, help="--delta: history length")
    parser.add_argument(
        "--skip-forced", action="store_true", help="--delta: no row-by-row re-read of N"
    )
    parser.add_argument(
        "--saved",
        action="store_true",
        help="--delta: keep a copy of the loaded history (<database>_saved) and start from it"
        " when it exists, so a rerun imports only the day",
    )
    parser.add_argument(
        "--random-page-cost",
        type=float,
        help="--delta: PostgreSQL's random_page_cost for the bench database (1.1 suits SSDs)",
    )
    args = parser.parse_args()
    global PROFILE_MS, PROFILE_JSON
    PROFILE_MS, PROFILE_JSON = args.profile_ms, args.profile_json
    if args.compare:
        compare(args.compare, args.profile_ms)
        return
    if args.delta:
        delta(args)
        return
    data = args.data or Path(tempfile.gettempdir()) / (
        f"ecoute-bench-import-{args.contacts}-{args.seed}"
    )

    fresh_database()
    generated(data, args.contacts, args.seed)
    rows = {p.name: line_count(p) for p in sorted(data.glob("*.csv"))}
    contacts = rows["contacts.csv"]
    total = sum(rows.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        [(version,)] = cursor.fetchall()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {version}")
    print("files: " + ", ".join(f"{name} {n:,} lines" for name, n in rows.items()))

    formats = history_formats()
    copies = {name: bare_copy(data / name, formats[name]) for name in rows}
    copy_seconds, all_seconds = copies["contacts.csv"], sum(copies.values())
    print(
        f"bare COPY of contacts.csv: {copy_seconds:.1f} s ({contacts / copy_seconds:,.0f} rows/s);"
        f" of all {len(rows)} files: {all_seconds:.1f} s ({total / all_seconds:,.0f} rows/s)"
    )

    runs = 2 if args.again else 1
    for run in range(1, runs + 1):
        with statements_over(PROFILE_MS, args.profile):
            started = time.perf_counter()
            call_command("import_history", str(data), stdout=open(os.devnull, "w"))  # noqa: SIM115
            seconds = time.perf_counter() - started
        label = "import_history" if run == 1 else "import_history again (nothing changes)"
        print(
            f"{label}: {seconds:.1f} s, {contacts / seconds:,.0f} contacts/s, "
            f"{total / seconds:,.0f} rows/s over the {len(rows)} files; "
            f"{seconds / copy_seconds:.1f}x the bare COPY of contacts.csv, "
            f"{seconds / all_seconds:.1f}x that of all {len(rows)} files"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
