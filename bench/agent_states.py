"""Time `import_history` of a history's agent_states.csv on PostgreSQL against a bare COPY of the
same file (a benchmark, not a test).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute_states_bench \\
        .venv/bin/python bench/agent_states.py --contacts 100000 [--states 200000] [--row-by-row]

The database named by DATABASE_URL must have "bench" in its name: it is dropped and created afresh,
then migrated. The history is written once by `generate_history` into --data (default
<temp dir>/ecoute-bench-states-<contacts>-<seed>) and reused. Its other files are imported first
(not timed); then a directory holding only agent_states.csv (its first --states rows) beside
empty tickets.csv and contacts.csv is imported into an empty states table, and again (every state
sent again unchanged). --row-by-row first times the same import through the path that checks
each agent's states against its stored ones (workforce.services.states_write), which the import
takes for agents that have states already. --profile writes a cProfile of each timed import
beside the data (agent_states-<path>.prof).
"""

import argparse
import cProfile
import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.support import fresh_database  # noqa: E402
from tickets.importing import fingerprints_forget  # noqa: E402
from tickets.importing.formats import CONTACTS, TICKETS  # noqa: E402
from workforce import importing  # noqa: E402

# bench/import.py's helpers (`import` is a keyword: no import statement names it).
import_bench = importlib.import_module("bench.import")
bare_copy, generated, line_count = (
    import_bench.bare_copy,
    import_bench.generated,
    import_bench.line_count,
)


def directories(data: Path, states: int | None) -> tuple[Path, Path]:
    """(the history without agent_states.csv, a directory with only agent_states.csv)."""
    base, only = data.parent / f"{data.name}-base", data.parent / f"{data.name}-states-{states}"
    for folder in (base, only):
        folder.mkdir(exist_ok=True)
    for path in data.glob("*.csv"):
        link = base / path.name
        if path.name != "agent_states.csv" and not link.exists():
            link.symlink_to(path)
    for fmt in (TICKETS, CONTACTS):
        (only / fmt.file).write_text(",".join(fmt.names) + "\n")
    target = only / "agent_states.csv"
    if not target.exists():
        if states is None:
            shutil.copyfile(data / "agent_states.csv", target)
        else:
            with (data / "agent_states.csv").open() as f, target.open("w") as out:
                for n, line in enumerate(f):
                    if n > states:
                        break
                    out.write(line)
    return base, only


def halves(only: Path) -> tuple[Path, Path, str]:
    """The states split at the day that halves them: two exports, the second following the
    first (a sync), each beside empty tickets.csv and contacts.csv."""
    lines = (only / "agent_states.csv").read_text().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    cut = sorted(row.split(",")[2][:10] for row in rows)[len(rows) // 2]
    parts = []
    for name, keep in (("first", lambda day: day < cut), ("second", lambda day: day >= cut)):
        folder = only.parent / f"{only.name}-{name}"
        folder.mkdir(exist_ok=True)
        for fmt in (TICKETS, CONTACTS):
            (folder / fmt.file).write_text(",".join(fmt.names) + "\n")
        chosen = [row for row in rows if keep(row.split(",")[2][:10])]
        (folder / "agent_states.csv").write_text(header + "".join(chosen))
        parts.append(folder)
    return parts[0], parts[1], cut


def states_empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE workforce_agentstate, workforce_presencehour")
    fingerprints_forget()


def timed(directory: Path, profile: Path | None) -> float:
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    call_command("import_history", str(directory), stdout=open(os.devnull, "w"))  # noqa: SIM115
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--states", type=int, help="only the file's first N states")
    parser.add_argument("--row-by-row", action="store_true", help="time the per-agent path too")
    parser.add_argument("--profile", action="store_true", help="cProfile each timed import")
    args = parser.parse_args()
    data = args.data or Path(tempfile.gettempdir()) / (
        f"ecoute-bench-states-{args.contacts}-{args.seed}"
    )
    fresh_database()
    generated(data, args.contacts, args.seed)
    base, only = directories(data, args.states)
    call_command("import_history", str(base), stdout=open(os.devnull, "w"))  # noqa: SIM115
    states = line_count(only / "agent_states.csv")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {states:,} states")
    fmt = importing.AGENT_STATES
    copy = bare_copy(only / "agent_states.csv", fmt)
    print(f"bare COPY: {copy:.2f} s, {states / copy:,.0f} states/s")

    paths = [("row by row", False)] if args.row_by_row else []
    for label, fast in [*paths, ("set-based", True)]:
        states_empty()
        importing.SET_BASED = fast
        name = label.replace(" ", "-")
        seconds = timed(only, data.parent / f"agent_states-{name}.prof" if args.profile else None)
        print(
            f"import ({label}, into an empty table): {seconds:.2f} s, "
            f"{states / seconds:,.0f} states/s, {seconds / copy:.1f}x the bare COPY"
        )
    fingerprints_forget()
    seconds = timed(only, data.parent / "agent_states-again.prof" if args.profile else None)
    print(
        f"import again (all unchanged): {seconds:.2f} s, {states / seconds:,.0f} states/s, "
        f"{seconds / copy:.1f}x the bare COPY"
    )
    first, second, cut = halves(only)
    for label, fast in [*paths, ("set-based", True)]:
        states_empty()
        importing.SET_BASED = fast
        call_command("import_history", str(first), stdout=open(os.devnull, "w"))  # noqa: SIM115
        rows = line_count(second / "agent_states.csv")
        seconds = timed(second, None)
        print(
            f"import of the states from {cut} on, after those before ({label}): {seconds:.2f} s,"
            f" {rows:,} states, {rows / seconds:,.0f} states/s"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
