"""Every figure of `kpi_report --format json` equals the reference's expected.json.

The reference (tests/reference, a copy of the team's shared reference) was computed by two
independent engines that agree to the bit: counts must be equal, ratios within 1e-9, empty
denominators null. Months are UTC months there, so the report runs with TIME_ZONE=UTC.
"""

import io
import json
import math

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

# Marked so that pytest-django sets the test database up; the data is loaded once per module.
pytestmark = pytest.mark.django_db

SECTIONS = [
    "meta_counts", "satisfaction_overall", "satisfaction_by_month", "satisfaction_by_channel",
    "satisfaction_by_agent", "fcr_overall", "fcr_by_month", "fcr_by_channel",
    "exchanges_overall", "exchanges_by_month", "repeat_overall", "repeat_by_month",
    "repeat_by_channel", "repeat_causes", "aht_by_channel", "phone_answer_overall",
    "phone_answer_by_month", "backlog_by_creation_month", "csat_gap_by_agent",
]  # fmt: skip


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, reference_dir):
    """Load the history once for the module, compute the report once, roll everything back."""
    with django_db_blocker.unblock(), override_settings(TIME_ZONE="UTC"), transaction.atomic():
        call_command("import_history", str(reference_dir), stdout=io.StringIO())
        out = io.StringIO()
        call_command(
            "kpi_report", "--from", "2024-01-01", "--to", "2025-06-30", "--format", "json",
            stdout=out,
        )  # fmt: skip
        transaction.set_rollback(True)
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def expected(reference_dir):
    return json.loads((reference_dir / "expected.json").read_text())


def same(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return ours is theirs
    if isinstance(ours, float) or isinstance(theirs, float):
        return math.isclose(ours, theirs, rel_tol=0, abs_tol=1e-9)
    return ours == theirs and type(ours) is type(theirs)


def test_the_reference_has_no_section_we_do_not_check(expected):
    assert sorted(expected) == sorted(SECTIONS)


@pytest.mark.parametrize("section", SECTIONS)
def test_section_equals_the_reference(report, expected, section):
    want, got = expected[section], report[section]
    width = len(want["columns"])

    assert got["columns"][:width] == want["columns"]
    assert [row[0] for row in got["rows"]] == [row[0] for row in want["rows"]]
    mismatches = [
        (want_row[0], column, ours, theirs)
        for got_row, want_row in zip(got["rows"], want["rows"], strict=True)
        for column, ours, theirs in zip(want["columns"], got_row[:width], want_row, strict=True)
        if not same(ours, theirs)
    ]
    assert mismatches == []
