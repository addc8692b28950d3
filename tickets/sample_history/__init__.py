"""Sample ticket history for the demo and the benchmarks, in the reference CSV format.

`history_generate` writes contacts.csv, tickets.csv, responses.csv, agent_ratings.csv and
repeat_reasons.csv (the format `import_history` reads, see tests/reference/SOURCE.md) for a
simulated French customer service. The same arguments always give the same files.
"""

import calendar
from datetime import UTC, date, datetime
from pathlib import Path

from .generator import HEADERS, HistoryGenerator

__all__ = ["DEFAULT_CONTACTS", "HEADERS", "history_generate", "months_after"]

DEFAULT_CONTACTS = 4000


def months_after(start: date, months: int) -> date:
    """The same day `months` calendar months later (clamped to the month's last day)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def history_generate(
    out_dir: Path,
    contacts: int = DEFAULT_CONTACTS,
    seed: int = 1,
    start: date = date(2025, 1, 1),
    months: int = 6,
    snapshot: datetime | None = None,
) -> dict[str, int]:
    """Write about `contacts` contacts from `start` for `months` months; rows written per file.

    Nothing after `snapshot` is written (default: the end of the period); tickets solved after
    it are still open.
    """
    if contacts < 1 or months < 1:
        raise ValueError("contacts and months must be at least 1")
    end = months_after(start, months)
    cut = None
    if snapshot is not None:
        if snapshot.tzinfo is None:
            raise ValueError("snapshot must carry a time zone")
        cut = int(snapshot.astimezone(UTC).timestamp())
    generator = HistoryGenerator(contacts, seed, start, end, cut)
    return generator.run(Path(out_dir))
