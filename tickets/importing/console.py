"""The import as the command shows it: progress bars on a terminal, a summary, the report path."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from tqdm import tqdm

from .csv_rows import Format
from .history import Rejects, history_import
from .registry import FileCounts


def default_report_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path.cwd() / f"import_history-rejected-{stamp}.csv"


class _Bars:
    """One progress bar per file, in bytes read; none when the output is not a terminal."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.enabled = out.isatty()
        self.bar: tqdm | None = None

    def __call__(self, fmt: Format, path: Path) -> Callable[[int], None] | None:
        self.close()
        if not self.enabled:
            return None
        size = path.stat().st_size
        self.bar = tqdm(total=size, desc=fmt.file, unit="B", unit_scale=True, file=self.out)
        return self.bar.update

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def import_with_console(
    directory: Path,
    out: IO[str],
    *,
    skip_invalid: bool = False,
    report: Path | None = None,
    force: bool = False,
) -> str:
    """Run the import; returns the summary to print. Raises HistoryImportError on a bad row."""
    started = time.monotonic()
    bars = _Bars(out)
    report_path = (report or default_report_path()) if skip_invalid else None
    try:
        if report_path is None:
            counts = history_import(directory, progress=bars, force=force)
        else:
            with report_path.open("w", newline="", encoding="utf-8") as report_file:
                rejects = Rejects(report_file)
                counts = history_import(directory, rejects, progress=bars, force=force)
    finally:
        bars.close()
    lines = [summary(counts), f"Imported {directory} in {time.monotonic() - started:.1f} s."]
    if report_path is not None:
        rejected = sum(c.rejected for c in counts.values())
        lines.append(f"{rejected} rejected row(s) listed in {report_path}")
    return "\n".join(lines)


def summary(counts: dict[str, FileCounts]) -> str:
    header = f"{'file':<20} {'created':>10} {'updated':>10} {'unchanged':>10} {'rejected':>10}"
    rows = [
        f"{name:<20} {c.created:>10} {c.updated:>10} {c.unchanged:>10} {c.rejected:>10}"
        for name, c in counts.items()
    ]
    return "\n".join([header, *rows])
