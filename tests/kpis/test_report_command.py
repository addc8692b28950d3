"""kpi_report: a readable table, CSV, cuts and filters, and clear errors."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from surveys.models import Response
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("kpi_report", "--from", "2024-03-01", "--to", "2024-03-31", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def answers():
    for channel, score in [("phone", 5), ("email", 1)]:
        contact = ContactFactory(channel=channel, started_at=datetime(2024, 3, 4, tzinfo=UTC))
        Response.objects.create(
            contact=contact, ticket=contact.ticket, kind="csat", score=score, scale_min=1,
            scale_max=5, responded_at=datetime(2024, 3, 4, 12, tzinfo=UTC),
        )  # fmt: skip


def test_the_table_names_each_section_and_flags_small_samples(answers):
    text = report()

    assert "satisfaction_by_channel" in text
    assert "csat_gap_by_agent" in text
    assert "100.00*" in text  # phone's CSAT, from one answer


def test_by_cuts_every_kpi_that_way(answers):
    body = json.loads(report("--by", "channel", "--format", "json", "--kpi", "satisfaction"))

    table = body["satisfaction_by_channel"]
    assert [row[0] for row in table["rows"]] == ["email", "phone"]


def test_a_filter_keeps_one_segment(answers):
    body = json.loads(report("--format", "json", "--kpi", "satisfaction", "--channel", "email"))

    overall = body["satisfaction_overall"]
    assert overall["rows"][0][overall["columns"].index("csat_pct")] == 0.0


def test_csv_has_one_block_per_section(answers):
    text = report("--format", "csv", "--kpi", "satisfaction")

    assert text.startswith("# satisfaction_overall\nnps_n,nps,csat_n,csat_pct")
    assert "\n\n# satisfaction_by_month\n" in text


@translation.override("en")
def test_a_bad_date_is_a_command_error():
    with pytest.raises(CommandError, match="not a date"):
        call_command("kpi_report", "--from", "2024-02-30", "--to", "2024-03-31")


def test_the_full_report_reads_each_table_once_per_family(django_assert_num_queries):
    from datetime import date

    from kpis.report import build_report

    # meta counts (5); contacts, solved tickets, responses: one scan each for the overall,
    # monthly, per-channel (and for answers per-agent) sections; agents' own ratings, repeat
    # causes, backlog.
    with django_assert_num_queries(11):
        report = build_report(date(2024, 1, 1), date(2024, 12, 31))

    assert len(report) == 19
