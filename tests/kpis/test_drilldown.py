"""The lists behind the figures: the rows a figure counts, filters in the URL, exports."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from kpis.queries.repeat import repeat
from kpis.queries.resolution import fcr
from kpis.scope import Scope
from surveys.models import AgentRating, RepeatCause, Response
from tests.factories import AgentFactory, ContactFactory, TicketFactory
from tickets.facts import facts_refresh
from tickets.models import Team

pytestmark = pytest.mark.django_db

MARCH = "from=2024-03-01&to=2024-03-31"
T = datetime(2024, 3, 4, 10, tzinfo=UTC)


@pytest.fixture
def history():
    """Two customers; one came back on the same reason; answers, an agent rating, causes."""
    agent = AgentFactory(external_id="7", name="Claire", team__external_id="paris_n1")
    first = ContactFactory(agent=agent, channel="email", started_at=T, answered_at=T)
    ticket = first.ticket
    ticket.solved_at = T + timedelta(hours=1)
    ticket.save()
    again = ContactFactory(
        ticket=TicketFactory(customer=ticket.customer, created_at=T + timedelta(days=2)),
        agent=agent, channel="phone", started_at=T + timedelta(days=2),
        answered_at=T + timedelta(days=2, seconds=50), handle_seconds=300,
    )  # fmt: skip
    other = ContactFactory(channel="chat", started_at=T + timedelta(days=3), reason="delivery")
    facts_refresh([ticket.customer_id, other.customer_id])  # factories bypass the services
    Response.objects.create(
        contact=again, ticket=again.ticket, kind="nps", score=3, scale_min=0, scale_max=10,
        responded_at=T + timedelta(days=3), comment="Livraisons toujours en retard",
        resolved="no",
    )  # fmt: skip
    Response.objects.create(
        contact=other, ticket=other.ticket, kind="csat", score=5, scale_min=1, scale_max=5,
        responded_at=T + timedelta(days=4), comment="The delivery was quick",
    )  # fmt: skip
    AgentRating.objects.create(contact=again, agent=agent, score=4, rated_at=T)
    RepeatCause.objects.create(
        contact=again, code="unclear_answer", reporter="customer", answered_at=T + timedelta(days=3)
    )
    RepeatCause.objects.create(
        contact=again, code="wrong_department", reporter="agent", answered_at=T + timedelta(days=3)
    )
    return {"first": first, "again": again, "other": other}


def _rows(response) -> list[dict]:
    headers = [str(c.label) for c in response.context["columns"]]
    rows = response.context["rows"]
    return [dict(zip(headers, [v for _c, v in row], strict=True)) for row in rows]


def test_the_contacts_followed_by_a_repeat_are_the_ones_the_rate_counts(manager, history):
    figure = repeat(Scope(date(2024, 3, 1), date(2024, 3, 31))).records()[0]

    response = manager.get(f"/dashboard/contacts/?{MARCH}&followed=1", HTTP_ACCEPT_LANGUAGE="en")

    rows = _rows(response)
    assert len(rows) == figure["followed_7d"] == 1
    assert rows[0]["Contact"] == history["first"].external_id


def test_a_contact_row_shows_customer_agent_scores_causes_and_comment(manager, history):
    response = manager.get(f"/dashboard/contacts/?{MARCH}&repeat=1", HTTP_ACCEPT_LANGUAGE="en")

    (row,) = _rows(response)
    assert row["Channel"] == "Phone" and row["Agent"] == "Claire" and row["Team"] == "paris_n1"
    assert (row["NPS score"], row["Agent's rating (1-5)"], row["Wait (s)"]) == (3, 4, 50)
    assert row["Customer's cause"] == "The answer was unclear"
    assert row["Agent's cause"] == "I was sent to the wrong department"
    assert row["Resolved, as the customer says"] == "No"
    assert row["Comment"] == "Livraisons toujours en retard"


def test_the_tickets_not_solved_at_first_contact_match_the_fcr_figure(manager, history):
    counts = fcr(Scope(date(2024, 3, 1), date(2024, 3, 31))).records()[0]

    failed = manager.get(f"/dashboard/tickets/?{MARCH}&fcr=0", HTTP_ACCEPT_LANGUAGE="en")
    solved = manager.get(f"/dashboard/tickets/?{MARCH}&fcr=1", HTTP_ACCEPT_LANGUAGE="en")

    assert len(_rows(failed)) == counts["solved_with_inbound"] - counts["fcr"] == 1
    assert len(_rows(solved)) == counts["fcr"] == 0
    assert _rows(failed)[0]["Customer came back"] is True


def test_answers_filter_by_kind_band_team_and_agent(manager, history):
    def listed(query: str) -> list[int]:
        response = manager.get(f"/dashboard/answers/?{MARCH}&{query}", HTTP_ACCEPT_LANGUAGE="en")
        return [row["Score"] for row in _rows(response)]

    assert listed("band=low") == [3]
    assert listed("band=high") == [5]
    assert listed("kind=csat") == [5]
    assert listed("team=paris_n1") == [3]
    assert listed("agent=7&band=high") == []


def test_the_team_filter_offers_team_names_and_keeps_the_choice(manager, history):
    team = Team.objects.get(external_id="paris_n1")
    team.name = "Paris niveau 1"
    team.save()

    page = manager.get(
        f"/dashboard/answers/?{MARCH}&team=paris_n1", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()

    assert '<option value="paris_n1" selected>Paris niveau 1</option>' in page
    assert '<option value="">Toutes</option>' in page  # une équipe


def test_a_cause_lists_the_contacts_it_was_given_on_by_that_reporter(manager, history):
    response = manager.get(f"/dashboard/contacts/?{MARCH}&cause=wrong_department&reporter=agent")
    nobody = manager.get(f"/dashboard/contacts/?{MARCH}&cause=wrong_department&reporter=customer")

    assert [r["Contact"] for r in _rows(response)] == [history["again"].external_id]
    assert _rows(nobody) == []


def test_lists_page_and_sort(manager, history):
    for day in range(60):
        ContactFactory(started_at=T + timedelta(minutes=day), channel="email")

    first = manager.get(f"/dashboard/contacts/?{MARCH}")
    second = manager.get(f"/dashboard/contacts/?{MARCH}&page=2")
    oldest = manager.get(f"/dashboard/contacts/?{MARCH}&sort=started", HTTP_ACCEPT_LANGUAGE="en")

    assert len(first.context["rows"]) == 50 and first.context["next_url"]
    assert len(second.context["rows"]) == 13 and not second.context["next_url"]
    dates = [r["Started"] for r in _rows(oldest)]
    assert dates == sorted(dates)


def test_a_bad_parameter_is_refused_naming_its_field(manager, history):
    response = manager.get("/dashboard/answers/?band=terrible&page=0", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    body = response.content.decode()
    assert "band: Select a valid choice" in body and "page: Ensure this value" in body


@pytest.mark.parametrize("path", ["contacts", "tickets", "answers", "comments"])
def test_only_quality_managers_see_the_lists(client, history, path):
    assert client.get(f"/dashboard/{path}/").status_code == 302
    client.force_login(User.objects.create_user("outsider", password=None))
    assert client.get(f"/dashboard/{path}/").status_code == 403
    client.force_login(User.objects.create_user("boss", password=None, is_staff=True))
    assert client.get(f"/dashboard/{path}/").status_code == 200


def test_the_csv_export_is_what_a_french_spreadsheet_opens(manager, history):
    response = manager.get(
        f"/dashboard/contacts/?{MARCH}&repeat=1&export=csv", HTTP_ACCEPT_LANGUAGE="fr"
    )

    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert lines[0] == ["Contacts"]
    assert "1 mars 2024" in lines[1][0] and "31 mars 2024" in lines[1][0]
    assert lines[2] == ["Recontact : Oui"]
    header, row = lines[3], lines[4]
    record = dict(zip(header, row, strict=True))
    assert record["Canal"] == "Téléphone" and record["Recontact"] == "oui"
    assert record["Début"] == "2024-03-06 11:00"  # local time (Europe/Paris)
    assert 'filename="contacts-du-1-mars-2024-au-31-mars-2024' in response["Content-Disposition"]


def test_the_xlsx_export_has_typed_cells_and_names_its_filters(manager, history):
    response = manager.get(
        f"/dashboard/answers/?{MARCH}&kind=nps&export=xlsx", HTTP_ACCEPT_LANGUAGE="en"
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Survey answers" and rows[2][0] == "Survey: NPS (0-10)"
    header, first = rows[3], rows[4]
    record = dict(zip(header, first, strict=True))
    assert record["Score"] == 3 and isinstance(record["Answered on"], datetime)
    assert record["Comment"] == "Livraisons toujours en retard"
