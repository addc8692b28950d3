"""KPIs beyond the reference: incoming flow, score drivers, declared resolution, response rate."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kpis.queries import KPIS
from kpis.scope import Scope
from surveys.models import SCALES, Invitation, Questionnaire, Response
from tests.factories import AgentFactory, ContactFactory, CustomerFactory, TeamFactory
from tickets.facts import facts_refresh

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)


def records(kpi: str, start="2024-01-01", end="2024-12-31", by="") -> list[dict]:
    return KPIS[kpi](Scope.parse(start, end, by)).records()


def answer(contact, kind="csat", score=5, resolved="") -> Response:
    low, high = SCALES[kind]
    return Response.objects.create(
        contact=contact, ticket=contact.ticket, kind=kind, score=score, scale_min=low,
        scale_max=high, responded_at=contact.started_at + timedelta(hours=1), resolved=resolved,
    )  # fmt: skip


def test_incoming_flow_has_a_rolling_view_and_a_linear_projection(settings):
    settings.TIME_ZONE = "UTC"
    for month, count in [(1, 10), (2, 20), (3, 30)]:
        for _ in range(count):
            ContactFactory(started_at=datetime(2024, month, 10, tzinfo=UTC))

    rows = records("incoming", "2024-02-01", "2024-03-31", "month")

    assert [(r["month"], r["inbound_contacts"], r["rolling_3_sum"]) for r in rows[:2]] == [
        (date(2024, 2, 1), 20, 30),  # January counts in February's rolling view
        (date(2024, 3, 1), 30, 60),
    ]
    assert rows[1]["rolling_3_mean"] == 20.0
    projection = rows[-1]
    assert (projection["month"], projection["is_projection"]) == (date(2024, 4, 1), True)
    assert projection["projected"] == pytest.approx(40.0)


def test_scores_after_a_repeat_contact_are_shown_beside_first_contacts():
    customer = CustomerFactory()
    first = ContactFactory(ticket__customer=customer, started_at=T0)
    again = ContactFactory(ticket__customer=customer, started_at=T0 + timedelta(days=2))
    facts_refresh()
    answer(first, score=5)
    answer(again, score=1)

    rows = {r["repeat"]: r for r in records("satisfaction_by_repeat")}

    assert (rows["first"]["csat_pct"], rows["repeat"]["csat_pct"]) == (100.0, 0.0)


def test_scores_by_number_of_exchanges_on_the_ticket():
    once = ContactFactory(started_at=T0)
    twice = ContactFactory(started_at=T0)
    ContactFactory(ticket=twice.ticket, customer=twice.customer, started_at=T0 + timedelta(hours=2))
    facts_refresh()
    answer(once, score=5)
    answer(twice, score=2)

    rows = {r["exchanges"]: r["csat_pct"] for r in records("satisfaction_by_exchanges")}

    assert rows == {"1": 100.0, "2": 0.0}


def test_scores_by_answer_target_met_or_missed():
    met = ContactFactory(channel="phone", started_at=T0, answered_at=T0 + timedelta(seconds=30))
    missed = ContactFactory(channel="phone", started_at=T0, answered_at=T0 + timedelta(seconds=31))
    answer(met, score=5)
    answer(missed, score=1)

    rows = {r["answer_target"]: r["csat_pct"] for r in records("satisfaction_by_answer_target")}

    assert rows == {"met": 100.0, "missed": 0.0}


def test_speed_of_answer_against_each_channel_target():
    ContactFactory(channel="phone", started_at=T0, answered_at=T0 + timedelta(seconds=10))
    ContactFactory(channel="phone", started_at=T0, answered_at=T0 + timedelta(seconds=50))
    ContactFactory(channel="email", started_at=T0, answered_at=T0 + timedelta(hours=2))

    rows = {r["channel"]: r for r in records("speed_of_answer")}

    assert rows["phone"]["avg_speed_of_answer_seconds"] == 30.0
    assert (rows["phone"]["target_seconds"], rows["phone"]["within_target_pct"]) == (30, 50.0)
    assert rows["email"]["within_target_pct"] == 100.0


def test_declared_resolution_is_shown_beside_measured_fcr_on_the_same_tickets():
    solved = ContactFactory(ticket__solved_at=T0 + timedelta(hours=1), started_at=T0)
    customer = CustomerFactory()
    came_back = ContactFactory(
        ticket__customer=customer, ticket__solved_at=T0 + timedelta(hours=1), started_at=T0
    )
    ContactFactory(ticket__customer=customer, started_at=T0 + timedelta(days=1))
    facts_refresh()
    answer(solved, resolved="yes")
    answer(came_back, resolved="yes")  # says resolved, but came back the next day

    (row,) = records("declared_resolution")

    assert (row["declared_n"], row["declared_resolved_pct"]) == (2, 100.0)
    assert (row["measured_n"], row["measured_fcr_pct"]) == (2, 50.0)
    assert (row["gap_pct"], row["agreement_pct"]) == (50.0, 50.0)


def test_response_rate_is_answered_over_sent_per_questionnaire():
    nps = Questionnaire.objects.create(
        name="Quarterly NPS", kind="nps", question_fr="?", question_en="?"
    )
    customer = CustomerFactory()
    for answered in (True, False, False, True):
        Invitation.objects.create(
            questionnaire=nps, customer=customer, delivery="email", channel="phone",
            send_after=T0, sent_at=T0, answered_at=T0 + timedelta(hours=1) if answered else None,
        )  # fmt: skip
    Invitation.objects.create(questionnaire=nps, customer=customer, delivery="email", send_after=T0)

    (row,) = records("response_rate")

    assert (row["questionnaire"], row["sent"], row["answered"]) == ("Quarterly NPS", 4, 2)
    assert row["response_rate_pct"] == 50.0


def test_the_perception_gap_is_per_team_when_cut_by_team():
    from surveys.models import AgentRating

    team = TeamFactory(external_id="lyon")
    for external_id, rating in [("1", 5), ("2", 2)]:
        contact = ContactFactory(agent=AgentFactory(external_id=external_id, team=team))
        AgentRating.objects.create(contact=contact, agent=contact.agent, score=rating, rated_at=T0)
        answer(contact, score=5)

    (row,) = records("perception_gap", by="team")

    assert (row["team"], row["agent_n"], row["agent_csat_pct"]) == ("lyon", 2, 50.0)
    assert (row["customer_csat_pct"], row["gap_pct"]) == (100.0, -50.0)
