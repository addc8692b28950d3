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
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.support import fresh_database  # noqa: E402
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


@contextmanager
def statements_over(seconds: float, enabled: bool):
    """Print every SQL statement slower than `seconds`."""
    slow: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            if elapsed > seconds:
                slow.append((elapsed, " ".join(sql.split())[:110]))

    if not enabled:
        yield
        return
    with connection.execute_wrapper(timer):
        yield
    for elapsed, sql in slow:
        print(f"  {elapsed:6.2f} s  {sql}")


def line_count(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--again", action="store_true", help="import the same files twice")
    parser.add_argument("--profile", action="store_true", help="list statements over 0.2 s")
    args = parser.parse_args()
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
        with statements_over(0.2, args.profile):
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
