"""Time `generate_history` and its peak memory at several sizes (a benchmark, not a test).

    .venv/bin/python bench/generate_history.py [--contacts 10000 100000 1000000] [--months 18]

Each size runs in its own process, so that its peak memory (max RSS) is its own. Prints rows
written, seconds (wall and CPU), rows per second, megabytes written and peak memory. Memory
should follow the daily volume, not the number of rows. Needs no database.
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def one(contacts: int, months: int, seed: int, folder: Path) -> dict:
    from tickets.sample_history import history_generate

    wall, cpu = time.perf_counter(), time.process_time()
    counts = history_generate(
        folder, contacts=contacts, seed=seed, start=date(2024, 1, 1), months=months
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = sum(f.stat().st_size for f in folder.iterdir())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"counts": counts, "wall": wall, "cpu": cpu, "bytes": size, "peak_kb": peak_kb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory(prefix="ecoute-bench-gen-") as folder:
            result = one(args.contacts[0], args.months, args.seed, Path(folder))
        print(json.dumps(result))
        return

    print(f"python {platform.python_version()} on {platform.machine()}, {args.months} months")
    print(f"{'contacts':>10} {'rows':>10} {'wall s':>7} {'cpu s':>7} {'rows/s':>9} {'MB':>6} "
          f"{'peak MB':>8}")  # fmt: skip
    for contacts in args.contacts:
        command = [sys.executable, __file__, "--one", "--contacts", str(contacts)]
        command += ["--months", str(args.months), "--seed", str(args.seed)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
        rows = sum(result["counts"].values())
        print(
            f"{result['counts']['contacts.csv']:>10,} {rows:>10,} {result['wall']:>7.1f} "
            f"{result['cpu']:>7.1f} {rows / result['wall']:>9,.0f} "
            f"{result['bytes'] / 1e6:>6.0f} {result['peak_kb'] / 1024:>8.0f}"
        )


if __name__ == "__main__":
    main()
