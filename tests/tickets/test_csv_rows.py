"""The reader's fast path (one regular expression per line) and its full check agree."""

from datetime import date, timedelta

import pytest
from django.utils import translation

from tickets.importing.csv_rows import RowError, RowReader
from tickets.importing.formats import TICKETS


def read(tmp_path, created_at: str):
    path = tmp_path / "tickets.csv"
    path.write_text(
        f"ticket_id,customer_id,reason,priority,created_at,solved_at\nt1,c1,billing,normal,{created_at},\n"
    )
    errors: list[RowError] = []
    with translation.override("en"):
        rows = list(RowReader(path, TICKETS, errors.append))
    return rows, errors


def test_every_day_of_a_leap_year_and_the_next_is_read_and_none_other(tmp_path):
    day = date(2024, 1, 1)
    while day < date(2026, 1, 1):
        rows, errors = read(tmp_path, f"{day.isoformat()}T09:30:00Z")
        assert [r.values[4] for r in rows] == [f"{day.isoformat()}T09:30:00Z"] and not errors
        day += timedelta(days=1)


NO_SUCH_TIME = [
    "2025-02-29T09:30:00Z", "2024-02-30T09:30:00Z", "2024-04-31T09:30:00Z",
    "2024-09-31T09:30:00Z", "2024-11-31T09:30:00Z", "2024-13-01T09:30:00Z",
    "2024-06-00T09:30:00Z", "2024-06-10T24:00:00Z",
]  # fmt: skip


@pytest.mark.parametrize("created_at", NO_SUCH_TIME)
def test_a_day_that_does_not_exist_is_named(tmp_path, created_at):
    rows, errors = read(tmp_path, created_at)

    assert rows == []
    [error] = errors
    assert (error.line, error.field) == (2, "created_at")
    assert "is not a date and time in ISO 8601 UTC" in error.message
