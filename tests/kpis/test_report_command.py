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
    text = report("--format", "csv", "--kpi", "satisfaction").replace("\r\n", "\n")

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
    # causes, backlog; and whether the period may be read from the rollups (kpis.rollups).
    # Occupancy: agents' presence hours and the teams' alert bands, for each of its 2 sections;
    # chatbot hand-offs: chatbot sessions, then the chatbot's answers, and the stored facts'
    # window their aggregates read each time they are built (twice); the channels' answer
    # targets, read once (then cached) by the part rollups' aggregates (kpis.rollups.parts).
    # Cost per contact type: the handled contacts per team, then the teams' rates, for each of
    # its 3 sections.
    with django_assert_num_queries(27):
        report = build_report(date(2024, 1, 1), date(2024, 12, 31))

    assert len(report) == 25


def test_sections_summed_from_one_scan_equal_each_kpi_computed_alone(settings):
    import random
    from datetime import date, timedelta

    from kpis.queries import KPIS
    from kpis.report import build_report, report_sections
    from kpis.scope import Scope
    from surveys.models import AgentRating
    from tests.factories import AgentFactory, CustomerFactory, TicketFactory
    from tickets.facts import facts_refresh

    settings.TIME_ZONE = "Europe/Paris"
    rng = random.Random(4)
    agents = [AgentFactory(external_id=str(n)) for n in (2, 10, 33)]
    customers = [CustomerFactory() for _ in range(6)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(60):
        at = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 150))
        ticket = TicketFactory(
            customer=rng.choice(customers),
            created_at=at,
            solved_at=at + timedelta(hours=rng.randrange(1, 300)) if rng.random() < 0.8 else None,
        )
        for k in range(rng.randrange(0, 3)):  # some tickets have no contact at all
            agent = rng.choice([*agents, None])
            started = at + timedelta(hours=k * 30)
            contact = ContactFactory(
                ticket=ticket, customer=ticket.customer, agent=agent,
                channel=rng.choice(["phone", "email", "chat"]),
                direction=rng.choice(["inbound", "inbound", "outbound"]),
                started_at=started,
                answered_at=None if rng.random() < 0.2 else started + timedelta(seconds=40),
                handle_seconds=rng.randrange(30, 900),
            )  # fmt: skip
            if rng.random() < 0.5:
                kind, low, high = rng.choice([("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)])
                Response.objects.create(
                    contact=contact, ticket=ticket, kind=kind, score=rng.randint(low, high),
                    scale_min=low, scale_max=high, responded_at=contact.started_at,
                )  # fmt: skip
            if agent and rng.random() < 0.5:
                AgentRating.objects.create(
                    contact=contact, agent=agent, score=rng.randint(1, 5), rated_at=at
                )
    facts_refresh()
    first, last = date(2024, 1, 1), date(2024, 6, 30)

    report = build_report(first, last, filters={"channel": "phone,email"})

    for section in report_sections():
        scope = Scope.parse(
            first.isoformat(), last.isoformat(), section.by, filters={"channel": "phone,email"}
        )
        alone = KPIS[section.kpi](scope).reordered(section.lead)
        assert report[section.name].as_dict() == alone.as_dict(), section.name
